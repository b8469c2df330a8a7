"""The built portal in a real Chromium: layout at phone and desktop widths, screenshots."""

import pytest
from conftest import ROOT

ARTIFACTS = ROOT / "tests" / "artifacts" / "screenshots"
WIDTHS = [320, 375, 768, 1280]

pytestmark = pytest.mark.system


@pytest.fixture(scope="module")
def dev_site(tmp_path_factory):
    from conftest import SITES, run_pelican

    build = run_pelican(SITES / "minimal", tmp_path_factory.mktemp("site") / "out", "pelicanconf.py")
    assert build.returncode == 0, build.log
    return build


@pytest.mark.parametrize("width", WIDTHS, ids=[f"{w}px" for w in WIDTHS])
@pytest.mark.parametrize(
    ("name", "path"),
    [("home", "/"), ("article", "/thanh-tra/doan-thanh-tra-lam-viec-tai-dak-lak/")],
    ids=["home", "article"],
)
def test_page_fits_the_screen_and_renders_vietnamese(browser, serve_dir, dev_site, name, path, width):
    base = serve_dir(dev_site.output)
    page = browser.new_page(viewport={"width": width, "height": 900})
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    response = page.goto(base + path)
    assert response.status == 200
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name} overflows by {overflow}px at {width}px"
    assert page.locator("h1").count() == 1
    assert page.locator("text=Thanh tra Chính phủ").first.is_visible()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)
    assert errors == []
    page.close()
