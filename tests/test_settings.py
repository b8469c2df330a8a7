"""Every plugin refuses a misspelt setting of its own prefix, naming it (portal/settings.py)."""

import importlib
import sys

import pytest
from conftest import ROOT

import pelicanconf

sys.path.insert(0, str(ROOT / "plugins"))
PLUGINS = sorted(p.parent.name for p in (ROOT / "plugins").glob("portal_*/settings.py"))


def settings_of(plugin: str):
    return importlib.import_module(f"{plugin}.settings")


def test_every_plugin_with_settings_is_in_the_build():
    assert set(PLUGINS) <= set(pelicanconf.PLUGINS)


@pytest.mark.parametrize("plugin", PLUGINS)
def test_a_misspelt_key_stops_the_build_with_its_name(plugin):
    module = settings_of(plugin)
    base = {k: v for k, v in vars(pelicanconf).items() if k.isupper()}
    module.validate(base)  # the project's own settings pass
    typo = module.PREFIX + "TYPO_KEY"
    with pytest.raises(SystemExit, match=f"{plugin}: unknown settings {typo}"):
        module.validate({**base, typo: 1})
