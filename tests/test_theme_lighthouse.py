"""Lighthouse's deterministic categories (accessibility, best practices, SEO) on the mobile preset.

Performance is timing-based, so it is measured by ``invoke lighthouse`` into docs/quality.md,
never asserted in a test.
"""

from __future__ import annotations

import pytest
from conftest import ROOT, require, run_pelican
from theme_site import PHOTO_ARTICLE, make_theme_site

from portal.lighthouse import scores, serve

pytestmark = pytest.mark.system

LIGHTHOUSE = ROOT / "tools" / "lighthouse" / "node_modules" / ".bin" / "lighthouse"
CATEGORIES = ("accessibility", "best-practices", "seo")


def test_article_scores_at_least_95_in_every_deterministic_category(tmp_path):
    chrome = require("chromium")
    if not LIGHTHOUSE.exists():
        pytest.fail("Lighthouse is missing: run `make install` (npm ci in tools/lighthouse)")
    site = make_theme_site(tmp_path / "site")
    output = tmp_path / "output"
    output.mkdir()
    with serve(output) as base:
        build = run_pelican(site, output, "pelicanconf.py", "-e", f'SITEURL="{base}"')
        assert build.returncode == 0, build.log
        found = scores(LIGHTHOUSE, chrome, f"{base}/{PHOTO_ARTICLE}", CATEGORIES)
    assert all(found[name] >= 95 for name in CATEGORIES), found
