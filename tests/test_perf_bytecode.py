"""portal_perf keeps compiled templates between builds, reused only where compiling gives the same code."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from jinja2 import DictLoader, Environment, pass_context

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "plugins"))
from conftest import SITES, run_pelican  # noqa: E402
from portal_perf.bytecode import TemplateCache, signature  # noqa: E402


def _environment(folder: Path, templates: dict[str, str], **options) -> Environment:
    environment = Environment(loader=DictLoader(templates), bytecode_cache=TemplateCache(folder), **options)
    environment.filters["shout"] = lambda text: f"{text}!"
    return environment


def _compiles(environment: Environment, monkeypatch) -> list[str]:
    """Record the names of the templates ``environment`` compiles from source."""
    compiled: list[str] = []
    original = environment.compile

    def compile_(source, name=None, filename=None, raw=False, defer_init=False):
        compiled.append(name)
        return original(source, name, filename, raw, defer_init)

    monkeypatch.setattr(environment, "compile", compile_)
    return compiled


def test_a_template_is_compiled_once_then_loaded_and_renders_the_same(tmp_path, monkeypatch):
    templates = {"page.html": "{% if x %}<b>{{ x | shout }}</b>{% endif %}"}
    first = _environment(tmp_path, templates, autoescape=True)
    compiled = _compiles(first, monkeypatch)
    assert first.get_template("page.html").render(x="<a>") == "<b>&lt;a&gt;!</b>"
    assert compiled == ["page.html"]
    second = _environment(tmp_path, templates, autoescape=True)
    compiled = _compiles(second, monkeypatch)
    assert second.get_template("page.html").render(x="<a>") == "<b>&lt;a&gt;!</b>"
    assert compiled == []


@pytest.mark.parametrize(
    ("change", "options", "templates"),
    [
        ("source", {"autoescape": True}, {"page.html": "{% if x %}<i>{{ x | shout }}</i>{% endif %}"}),
        ("option", {"autoescape": True, "trim_blocks": True}, None),
        ("autoescape", {"autoescape": False}, None),
    ],
    ids=["edited-source", "other-syntax-option", "autoescape-off"],
)
def test_a_change_of_source_or_options_compiles_again(tmp_path, monkeypatch, change, options, templates):
    base = {"page.html": "{% if x %}<b>{{ x | shout }}</b>{% endif %}"}
    _environment(tmp_path, base, autoescape=True).get_template("page.html")
    again = _environment(tmp_path, templates or base, **options)
    compiled = _compiles(again, monkeypatch)
    again.get_template("page.html")
    assert compiled == ["page.html"], change


def test_the_signature_counts_filters_by_name_and_what_they_are_passed(tmp_path):
    environment = _environment(tmp_path, {})
    before = signature(environment)
    environment.filters["shout"] = lambda text: text.upper()  # same name, same arguments: same code
    assert signature(environment) == before
    environment.filters["shout"] = pass_context(lambda context, text: text)
    assert signature(environment) != before
    del environment.filters["shout"]  # a template using it must fail to compile, not load old code
    assert signature(environment) != before


def test_a_rebuild_loads_its_templates_and_gives_the_same_output(tmp_path):
    cache = tmp_path / "cache"
    extra = ("-e", f'CACHE_PATH="{cache}"')
    first = run_pelican(SITES / "minimal", tmp_path / "first", "publishconf.py", *extra)
    assert first.returncode == 0, first.log
    kept = sorted(path.name for path in (cache / "templates").iterdir())
    assert kept and all(name.endswith(".jinja") for name in kept)
    second = run_pelican(SITES / "minimal", tmp_path / "second", "publishconf.py", *extra)
    assert second.returncode == 0, second.log
    assert sorted(path.name for path in (cache / "templates").iterdir()) == kept
    pages = sorted(path.relative_to(tmp_path / "first") for path in (tmp_path / "first").rglob("*.html"))
    assert pages
    for page in pages:
        assert (tmp_path / "second" / page).read_bytes() == (tmp_path / "first" / page).read_bytes(), page
