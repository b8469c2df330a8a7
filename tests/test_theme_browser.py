"""The theme in Debian's Chromium under the portal's strict CSP: WCAG 2.1 AA by axe-core, no
overflow from 320 px, keyboard menu, visible focus, text size and contrast that persist, reading
with JavaScript off, no third-party request, and screenshots for people to look at."""

from __future__ import annotations

import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
from conftest import ROOT
from theme_site import PHOTO_ARTICLE, build_theme_site

pytestmark = pytest.mark.system

AXE = ROOT / "tools" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "tests" / "artifacts" / "screenshots"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
PAGES = {
    "home": "/",
    "article": f"/{PHOTO_ARTICLE}",
    "section": "/tiep-cong-dan/trang/2/",
    "documents": "/van-ban/",
    "document": "/van-ban/quyet-dinh-12-qd-ttcp/",
    "tag": "/chu-de/dat-dai/",
    "not-found": "/404.html",
    "page": "/gioi-thieu/",
}


class StrictHandler(SimpleHTTPRequestHandler):
    """Serves files with the production Content-Security-Policy header."""

    def end_headers(self):
        self.send_header("Content-Security-Policy", CSP)
        super().end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    build = build_theme_site(tmp_path_factory.mktemp("theme-browser"), "pelicanconf.py")
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(StrictHandler, directory=str(build.output))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def open_page(browser, base_url):
    contexts = []

    def open_(path: str, width: int = 1280, **options):
        context = browser.new_context(viewport={"width": width, "height": 900}, **options)
        contexts.append(context)
        page = context.new_page()
        page.problems = []
        page.on("console", lambda msg: page.problems.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda error: page.problems.append(str(error)))
        page.requests = []
        page.on("request", lambda request: page.requests.append(request.url))
        response = page.goto(base_url + path)
        assert response.status == 200, path
        return page

    yield open_
    for context in contexts:
        context.close()


def axe_violations(page) -> list[str]:
    page.evaluate(AXE.read_text(encoding="utf-8"))
    found = page.evaluate(
        """async () => (await axe.run(document, {runOnly: {type: 'tag',
             values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})).violations
             .map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '))"""
    )
    return found


@pytest.mark.parametrize("width", [375, 1280], ids=["phone", "desktop"])
@pytest.mark.parametrize("path", PAGES.values(), ids=PAGES.keys())
def test_no_wcag_a_or_aa_violation(open_page, path, width):
    if not AXE.exists():
        pytest.fail("axe-core is missing: run `make install` (npm ci in tools/axe)")
    page = open_page(path, width)
    assert axe_violations(page) == []
    assert page.problems == [], "the page breaks the CSP or throws"


def test_axe_reports_a_planted_violation(open_page):
    """The accessibility check can fail: an image without alt text is caught."""
    page = open_page("/404.html")
    page.evaluate("document.querySelector('main').append(Object.assign(new Image(), {src: 'x.png'}))")
    assert any(found.startswith("image-alt") for found in axe_violations(page))


@pytest.mark.parametrize("width", [320, 375, 768, 1280], ids=lambda w: f"{w}px")
@pytest.mark.parametrize("name", ["home", "article", "documents", "section"])
def test_no_horizontal_overflow(open_page, name, width):
    page = open_page(PAGES[name], width)
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    if name in ("home", "article") and width in (375, 1280):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"theme-{name}-{width}.png"), full_page=True)


def test_the_phone_menu_opens_and_closes_by_keyboard(open_page):
    page = open_page("/", 375)
    toggle = page.locator(".portal-nav__toggle")
    first_section = page.locator(".portal-nav__link").nth(1)
    assert toggle.is_visible() and not first_section.is_visible()
    toggle.focus()
    page.keyboard.press("Enter")
    assert toggle.get_attribute("aria-expanded") == "true" and first_section.is_visible()
    page.keyboard.press("Tab")
    page.keyboard.press("Escape")
    assert toggle.get_attribute("aria-expanded") == "false" and not first_section.is_visible()
    assert page.evaluate("document.activeElement.classList.contains('portal-nav__toggle')")
    page.keyboard.press("Space")
    assert toggle.get_attribute("aria-expanded") == "true"


def test_the_first_tab_reaches_a_visible_skip_link_and_focus_is_always_visible(open_page):
    page = open_page(PAGES["article"])
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.className")
    assert focused == "portal-skip-link"
    assert page.locator(".portal-skip-link").bounding_box()["x"] >= 0
    for _ in range(6):
        page.keyboard.press("Tab")
        style = page.evaluate(
            "(() => { const s = getComputedStyle(document.activeElement);"
            " return [s.outlineStyle, s.outlineWidth]; })()"
        )
        assert style[0] != "none" and style[1] != "0px", page.evaluate("document.activeElement.outerHTML")
    page.reload()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#noi-dung"
    assert page.evaluate("document.activeElement.id") == "noi-dung"


def font_size(page) -> float:
    return page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")


def test_text_size_and_contrast_change_and_persist_across_pages(open_page, base_url):
    page = open_page("/", 1280)
    normal = font_size(page)
    page.get_by_role("button", name="tăng cỡ chữ").click()
    page.get_by_role("button", name="tăng cỡ chữ").click()
    bigger = font_size(page)
    assert bigger > normal
    contrast = page.get_by_role("button", name="Tương phản cao")
    contrast.click()
    assert contrast.get_attribute("aria-pressed") == "true"
    background = page.evaluate("getComputedStyle(document.querySelector('.portal-header')).backgroundColor")
    assert background == "rgb(0, 0, 0)"
    page.goto(base_url + PAGES["article"])
    assert font_size(page) == bigger
    assert page.evaluate("document.documentElement.classList.contains('portal-contrast')")
    assert page.get_by_role("button", name="Tương phản cao").get_attribute("aria-pressed") == "true"
    page.get_by_role("button", name="cỡ chữ mặc định").click()
    page.get_by_role("button", name="Tương phản cao").click()
    page.reload()
    assert font_size(page) == normal
    assert not page.evaluate("document.documentElement.classList.contains('portal-contrast')")
    assert page.problems == []


def test_every_page_reads_fully_with_javascript_off(open_page):
    page = open_page(PAGES["article"], 375, java_script_enabled=False)
    assert page.locator(".portal-article__body").is_visible()
    assert page.locator(".portal-nav__link", has_text="Văn bản").is_visible()
    assert not page.locator(".portal-prefs").is_visible()
    assert not page.locator("[data-module=print]").is_visible()


def test_an_article_requests_nothing_from_a_third_party(open_page, base_url):
    page = open_page(PAGES["article"])
    page.wait_for_load_state("networkidle")
    assert [url for url in page.requests if not url.startswith(base_url)] == []
    fonts = [url for url in page.requests if url.endswith(".woff2")]
    assert fonts and all("/theme/fonts/noto-sans-" in url for url in fonts)


def test_the_print_button_appears_with_javascript_and_prints_the_article_only(open_page):
    page = open_page(PAGES["article"])
    assert page.get_by_role("button", name="In / lưu bài (PDF)").is_visible()
    page.emulate_media(media="print")
    assert not page.locator(".portal-nav").is_visible()
    assert not page.locator(".portal-share").is_visible()
    assert page.locator(".portal-article__body").is_visible()
    assert page.locator(".portal-article__byline").is_visible()


def test_every_component_example_passes_axe(open_page):
    """GOV.UK's practice: each component's examples, rendered and checked on their own."""
    from test_theme import COMPONENTS, render_example

    page = open_page("/404.html", 375)
    examples = "".join(
        f"<section><h2>{f.parent.name}</h2>{''.join(render_example(f))}</section>" for f in COMPONENTS
    )
    page.evaluate("html => { document.querySelector('main').innerHTML = html; }", examples)
    assert page.locator("main > section").count() == len(COMPONENTS) >= 8
    assert axe_violations(page) == []


@pytest.mark.parametrize("name", ["home", "article", "documents"])
def test_largest_text_in_high_contrast_still_reflows_at_320px_and_passes_axe(open_page, base_url, name):
    page = open_page("/", 320)
    for _ in range(3):
        page.get_by_role("button", name="tăng cỡ chữ").click()
    page.get_by_role("button", name="Tương phản cao").click()
    page.goto(base_url + PAGES[name])
    assert page.evaluate("document.documentElement.getAttribute('data-font-size')") == "3"
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    assert axe_violations(page) == []
