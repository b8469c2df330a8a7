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


@pytest.mark.parametrize("value", [-2, 1.5, True, "100"])
def test_the_beside_pages_limit_is_a_whole_number_from_minus_one(value):
    module = settings_of("portal_perf")
    base = {k: v for k, v in vars(pelicanconf).items() if k.isupper()}
    assert module.validate({**base, "PORTAL_PERF_BESIDE_MAX": -1})["PORTAL_PERF_BESIDE_MAX"] == -1
    with pytest.raises(SystemExit, match="PORTAL_PERF_BESIDE_MAX must be a whole number"):
        module.validate({**base, "PORTAL_PERF_BESIDE_MAX": value})
