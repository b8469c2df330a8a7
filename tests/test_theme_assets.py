"""Pages come out of the renderer pointing at the fingerprinted theme assets, with SRI, in every build.

No step reads or rewrites a page after it is written (``portal_assets`` gives the templates the
names and digests), so these tests hold every HTML file a build writes, templates' and plugins'
alike, to what rewriting it afterwards would give, and a changed theme file to a re-render.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
from pathlib import Path

from bs4 import BeautifulSoup
from conftest import ROOT, SITES, run_pelican

from portal.assets import FINGERPRINTED, AssetMap, is_asset, rewrite_html
from portal.preview import PREVIEW_SETTINGS

SITEURL = "https://thanhtra.gov.vn"


def _assets(output: Path) -> AssetMap:
    """The assets as fingerprinting the output's copy of the theme gives them (nothing is written)."""
    return AssetMap.of_files(
        {
            path.relative_to(output).as_posix(): path.read_bytes()
            for path in sorted((output / "theme").rglob("*"))
            if path.is_file() and is_asset(path.name)
        }
    )


def _pages(output: Path) -> dict[str, str]:
    return {p.relative_to(output).as_posix(): p.read_text("utf-8") for p in sorted(output.rglob("*.html"))}


def _subresources(html: str, siteurl: str) -> list[dict]:
    """The page's own stylesheets, scripts and icons (``<link>``/``<script>`` with a same-site URL)."""
    page = BeautifulSoup(html, "html.parser")
    found = page.find_all("link", rel=["stylesheet", "icon"]) + page.find_all("script", src=True)
    return [tag for tag in found if (tag.get("href") or tag.get("src")).startswith(f"{siteurl}/theme/")]


def _check_pages(output: Path, siteurl: str) -> dict[str, str]:
    """Every HTML file is what rewriting it would give, and its stylesheets and scripts carry SRI."""
    assets, pages = _assets(output), _pages(output)
    assert [name for name, html in pages.items() if rewrite_html(html, siteurl, assets.assets) != html] == []
    for name, html in pages.items():
        tags = _subresources(html, siteurl)
        assert len(tags) >= 5, name  # icon, two stylesheets, two scripts
        for tag in tags:
            url = tag.get("href") or tag.get("src")
            data = (output / url.removeprefix(f"{siteurl}/")).read_bytes()
            assert FINGERPRINTED.search(url) and hashlib.sha256(data).hexdigest()[:10] in url, (name, url)
            if tag.name == "script" or "stylesheet" in tag["rel"]:
                digest = "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()
                assert tag["integrity"] == digest, (name, url)
    return pages


def test_every_page_of_a_publish_points_at_fingerprinted_assets_with_integrity(build_site):
    build = build_site("minimal")
    assert build.returncode == 0, build.log
    pages = _check_pages(build.output, SITEURL)
    for name in ("404.html", "search/index.html", "rss/index.html", "index.html"):  # plugins' pages too
        assert name in pages
    search = _subresources(pages["search/index.html"], SITEURL)
    assert any("/theme/js/search." in (tag.get("src") or "") for tag in search)


def test_a_preview_build_points_at_its_fingerprinted_reload_script(build_site):
    extra = ["-e", "PREVIEW=true", *(f"{k}={json.dumps(v)}" for k, v in PREVIEW_SETTINGS.items())]
    build = build_site("minimal", "pelicanconf.py", *extra)
    assert build.returncode == 0, build.log
    pages = _check_pages(build.output, "")
    scripts = [tag for tag in _subresources(pages["index.html"], "") if "/preview." in tag.get("src", "")]
    assert len(scripts) == 1 and scripts[0].get("integrity")


def test_a_changed_stylesheet_renders_every_page_again_as_a_cold_build_does(tmp_path):
    theme = tmp_path / "theme"
    shutil.copytree(ROOT / "theme", theme)

    def build(output: Path, cache: Path):
        settings = [f"THEME={json.dumps(str(theme))}", f"CACHE_PATH={json.dumps(str(cache))}"]
        built = run_pelican(SITES / "minimal", output, "publishconf.py", "-e", *settings)
        assert built.returncode == 0, built.log
        return _pages(output)

    before = build(tmp_path / "output", tmp_path / "cache")
    (compiled,) = (tmp_path / "cache").glob("jinja-*")  # compiled templates kept (portal_perf.compiled)
    assert any(compiled.iterdir())
    stylesheet = theme / "static" / "css" / "portal.css"
    stylesheet.write_text(stylesheet.read_text("utf-8") + "\n.portal-body{color:#111}\n", "utf-8")
    after = build(tmp_path / "output", tmp_path / "cache")
    # Compiled code folds in the stylesheet's fingerprinted name: a new fingerprint, a new folder.
    assert len(list((tmp_path / "cache").glob("jinja-*"))) == 2
    cold = build(tmp_path / "cold", tmp_path / "cold-cache")
    assert after == cold
    assert all(after[name] != before[name] for name in before)  # every page names the new stylesheet
    _check_pages(tmp_path / "output", SITEURL)
    assert _files(tmp_path / "output") == _files(tmp_path / "cold")  # the old stylesheet's copy pruned


def _files(folder: Path) -> set[str]:
    return {path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file()}
