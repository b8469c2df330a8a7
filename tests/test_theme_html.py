"""Every built page is valid HTML by the Nu Html Checker (npm ``vnu-jar``, run with Java)."""

from __future__ import annotations

import json
import subprocess

import pytest
from conftest import ROOT, require
from theme_site import build_theme_site

pytestmark = pytest.mark.system

VNU = ROOT / "tools" / "vnu" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


def run_vnu(java: str, *targets) -> list[dict]:
    """Return the checker's errors for ``targets`` (files or folders)."""
    done = subprocess.run(
        [java, "-jar", str(VNU), "--errors-only", "--format", "json", "--skip-non-html", *map(str, targets)],
        capture_output=True,
        text=True,
        check=False,
    )
    return json.loads(done.stderr or '{"messages": []}')["messages"]


def test_every_built_page_is_valid_html(tmp_path):
    java = require("java")
    if not VNU.exists():
        pytest.fail("vnu.jar is missing: run `make install` (npm ci in tools/vnu)")
    build = build_theme_site(tmp_path)
    pages = list(build.output.rglob("*.html"))
    assert len(pages) > 40
    errors = run_vnu(java, build.output)
    assert [f"{m['url'].rsplit('/output/', 1)[-1]}:{m.get('lastLine')}: {m['message']}" for m in errors] == []


def test_the_checker_reports_invalid_html(tmp_path):
    java = require("java")
    broken = tmp_path / "broken.html"
    broken.write_text("<!doctype html><html lang=vi><title>x</title><p><div></p>", encoding="utf-8")
    assert run_vnu(java, broken), "the checker must catch a stray end tag"
