"""The theme over a real build: every page type, Vietnamese, metadata, strict-CSP markup,
pagination, the page-weight budget, and every component rendered from its examples."""

from __future__ import annotations

import gzip
import json
import re
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import ROOT
from jinja2 import Environment, FileSystemLoader
from theme_site import FILLER_COUNT, PHOTO_ARTICLE, build_theme_site

from portal import text

SITEURL = "https://thanhtra.gov.vn"
BUDGET = 100 * 1024


class Page(HTMLParser):
    """Collects what the tests look at: tags with attributes, scripts, text."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.scripts: list[tuple[dict, str]] = []
        self.text: list[str] = []
        self._script: dict | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._script = dict(attrs)

    def handle_endtag(self, tag):
        if tag == "script":
            self._script = None

    def handle_data(self, data):
        if self._script is not None:
            self.scripts.append((self._script, data))
        else:
            self.text.append(data)

    def find(self, tag: str, **attrs) -> list[dict]:
        """Return the attributes of every ``tag`` whose attributes include ``attrs``."""
        want = {k.rstrip("_").replace("_", "-"): v for k, v in attrs.items()}
        return [a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in want.items())]

    @property
    def words(self) -> str:
        return " ".join(" ".join(self.text).split())


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    return build_theme_site(tmp_path_factory.mktemp("theme"))


def page(site, relative: str) -> Page:
    return Page(site.read(relative))


PAGE_TYPES = {
    "home": ("index.html", "Tin nổi bật"),
    "latest": ("tin-moi/index.html", "Tin mới"),
    "latest-page-2": ("tin-moi/trang/2/index.html", "Tin mới – Trang 2"),
    "article": (f"{PHOTO_ARTICLE}index.html", "Tin cùng chuyên mục"),
    "section": ("thanh-tra/index.html", "Thanh tra"),
    "documents": ("van-ban/index.html", "Số ký hiệu"),
    "tag": ("chu-de/dat-dai/index.html", "Chủ đề: Đất đai"),
    "author": ("tac-gia/thanh-danh/index.html", "Tác giả: Thanh Danh"),
    "archives": ("luu-tru/index.html", "Năm 2026"),
    "year": ("luu-tru/2025/index.html", "Lưu trữ năm 2025"),
    "page": ("gioi-thieu/index.html", "Trang chủ"),
    "not-found": ("404.html", "Không tìm thấy trang"),
    "tags": ("chu-de/index.html", "Chủ đề"),
    "authors": ("tac-gia/index.html", "Tác giả"),
}


@pytest.mark.parametrize(("relative", "expected"), PAGE_TYPES.values(), ids=PAGE_TYPES.keys())
def test_every_page_type_is_complete_and_vietnamese(site, relative, expected):
    html = site.read(relative)
    parsed = Page(html)
    assert html.startswith('<!doctype html>\n<html lang="vi">')
    assert text.nfc(html) == html
    assert len(parsed.find("h1")) == 1
    assert parsed.find("a", class_="portal-skip-link", href="#noi-dung")
    assert parsed.find("main", id="noi-dung")
    for landmark in ("header", "nav", "footer"):
        assert parsed.find(landmark), landmark
    assert parsed.find("form", action=f"{SITEURL}/search/", method="get")
    assert parsed.find("input", name="q", type="search")
    assert expected in parsed.words
    assert "Cơ quan chủ quản: Thanh tra Chính phủ" in parsed.words
    assert "Chịu trách nhiệm nội dung" in parsed.words


def test_footer_links_to_the_english_pages(site):
    parsed = page(site, "index.html")
    english = parsed.find("a", href=f"{SITEURL}/en/about/", hreflang="en")
    assert english, "the English pages are linked from every footer"


def test_article_page_has_everything_a_news_item_shows(site):
    parsed = page(site, f"{PHOTO_ARTICLE}index.html")
    words = parsed.words
    assert "Thứ Tư, 25/11/2026 08:30" in words and "Cập nhật: Thứ Tư, 25/11/2026 17:45" in words
    assert words.count("Thanh Danh") >= 1 and "Nguồn: Báo Thanh tra" in words
    assert "Quang cảnh hội nghị. Ảnh: Thanh Danh" in words
    assert parsed.find("img", alt="Quang cảnh hội nghị sơ kết tại Hà Nội", width="1200", height="800")
    assert "bao-cao-so-ket.pdf (PDF, 146 KB)" in words
    assert "Tin liên quan" in words and "Đoàn thanh tra làm việc tại Đắk Lắk" in words
    assert parsed.find("nav", aria_label="Đường dẫn")
    assert parsed.find("span", aria_current="page")
    assert parsed.find("link", rel="canonical", href=f"{SITEURL}/{PHOTO_ARTICLE}")
    # The share card drawn by portal_images, published; the original photo never is.
    card = parsed.find("meta", property="og:image")[0]["content"]
    assert card.startswith(f"{SITEURL}/images/og/") and (site.output / card.removeprefix(SITEURL + "/")).is_file()
    assert not (site.output / "images/2026/hoi-nghi.jpg").exists()
    assert parsed.find("meta", name="twitter:card", content="summary_large_image")
    printing = parsed.find("li", data_module="print")
    assert printing and "hidden" in printing[0], "the print button appears only with JavaScript"


def test_the_byline_is_printed_once_at_the_end(site):
    html = site.read(f"{PHOTO_ARTICLE}index.html")
    body = html.split('class="portal-article__body">', 1)[1].split("</div>", 1)[0]
    assert "Thanh Danh" not in body
    assert (
        'class="portal-article__byline"><a href="https://thanhtra.gov.vn/tac-gia/thanh-danh/">Thanh Danh</a>'
        in html
    )


def test_article_carries_news_article_json_ld(site):
    parsed = page(site, f"{PHOTO_ARTICLE}index.html")
    blocks = [body for attrs, body in parsed.scripts if attrs.get("type") == "application/ld+json"]
    assert len(blocks) == 1
    data = json.loads(blocks[0])
    assert data["@type"] == "NewsArticle"
    assert data["headline"] == "Hội nghị sơ kết công tác thanh tra 6 tháng"
    assert data["datePublished"] == "2026-11-25T08:30:00+07:00"
    assert data["dateModified"] == "2026-11-25T17:45:00+07:00"
    (image,) = data["image"]  # the largest published JPEG, never the original
    assert image.startswith(f"{SITEURL}/images/2026/hoi-nghi-") and image.endswith("-1200.jpg")
    assert (site.output / image.removeprefix(SITEURL + "/")).is_file()
    assert data["author"] == [{"@type": "Person", "name": "Thanh Danh"}]


def test_documents_read_as_a_table_and_the_document_page_shows_the_fields(site):
    listing = page(site, "van-ban/index.html")
    headers = [a for t, a in listing.tags if t == "th"]
    assert len(headers) == 7
    assert listing.find("td", data_label="Số ký hiệu")
    assert "12/QĐ-TTCP" in listing.words
    document = page(site, "van-ban/quyet-dinh-12-qd-ttcp/index.html").words
    for shown in (
        "Số ký hiệu 12/QĐ-TTCP",
        "Loại văn bản Quyết định",
        "Ngày ban hành 20/11/2025",
        "Ngày hiệu lực 01/01/2026",
        "Cơ quan ban hành Thanh tra Chính phủ",
    ):
        assert shown in document


def test_section_pages_are_numbered_from_the_oldest_with_a_small_window_and_rel_links(site):
    first, second = page(site, "tiep-cong-dan/index.html"), page(site, "tiep-cong-dan/trang/2/index.html")
    oldest = page(site, "tiep-cong-dan/trang/1/index.html")
    assert len(first.find("article", class_="portal-card")) == 25  # 65 = 25 + 20 + 20
    assert "65 bài" in first.words
    assert first.find("link", rel="next", href=f"{SITEURL}/tiep-cong-dan/trang/2/")
    assert first.find("span", class_="portal-pagination__current", aria_current="page") and "Mới nhất" in first.words
    assert second.find("link", rel="prev", href=f"{SITEURL}/tiep-cong-dan/")
    assert second.find("link", rel="next", href=f"{SITEURL}/tiep-cong-dan/trang/1/")
    assert second.find("span", class_="portal-pagination__current", aria_current="page")
    assert "Trang 2" in second.words and "65 bài" not in second.words  # the count: first page only
    # Page 1 holds the 20 oldest; its status names their first and last dates.
    dates = sorted((1 + n % 12, 1 + n % 28) for n in range(1, FILLER_COUNT + 1))  # theme_site.FILLER
    (m1, d1), (m20, d20) = dates[0], dates[19]
    assert f"Tin đăng từ {d1:02d}/{m1:02d}/2025 đến {d20:02d}/{m20:02d}/2025" in oldest.words
    assert len(oldest.find("article", class_="portal-card")) == 20
    assert not oldest.find("link", rel="next") and not oldest.find("a", rel="next")


def test_service_pages_link_to_the_service_named_in_the_settings(tmp_path):
    from conftest import run_pelican

    build = run_pelican(ROOT / "content", tmp_path / "out", "pelicanconf.py")
    assert build.returncode == 0, build.log
    for slug in ("hoi-dap", "gop-y-du-thao"):
        parsed = Page(build.read(f"{slug}/index.html"))
        links = parsed.find("a", class_="portal-service__button")
        assert links and links[0]["href"].startswith("https://"), slug


INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)


def test_markup_works_under_a_strict_content_security_policy(site):
    for path in site.output.rglob("*.html"):
        html = path.read_text(encoding="utf-8")
        parsed = Page(html)
        for attrs, _body in parsed.scripts:
            assert attrs.get("src") or attrs.get("type") == "application/ld+json", path
        assert not parsed.find("style"), path
        assert not any("style" in attrs for _, attrs in parsed.tags), path
        assert not INLINE_HANDLER.search(
            re.sub(r"<script type=\"application/ld\+json\">.*?</script>", "", html)
        ), path


def test_no_page_loads_anything_from_a_third_party(site):
    for path in site.output.rglob("*.html"):
        parsed = Page(path.read_text(encoding="utf-8"))
        loaded = [a.get("src") for t, a in parsed.tags if t in ("img", "script", "iframe", "source")]
        loaded += [
            a.get("href")
            for t, a in parsed.tags
            if t == "link" and a.get("rel") in ("stylesheet", "preload", "icon")
        ]
        outside = [url for url in loaded if url and not url.startswith(SITEURL + "/")]
        assert outside == [], path
    css = (site.output / "theme/css/portal.css").read_text(encoding="utf-8")
    assert "http" not in css.split("*/", 1)[1] and "font-display: swap" in css


def test_first_view_of_an_article_fits_the_budget(site):
    """HTML, CSS, JS and every font face (an upper bound: a page uses at most these)."""
    parsed = page(site, f"{PHOTO_ARTICLE}index.html")
    assets = [a["href"] for a in parsed.find("link", rel="stylesheet")]
    assets += [a["src"] for t, a in parsed.tags if t == "script" and a.get("src")]
    files = [site.output / url.removeprefix(SITEURL + "/") for url in assets]
    files += sorted((site.output / "theme" / "fonts").glob("*.woff2"))
    files.append(site.output / PHOTO_ARTICLE / "index.html")
    sizes = {f.name: len(gzip.compress(f.read_bytes(), 9)) for f in files}
    assert sum(sizes.values()) <= BUDGET, sizes


def test_fonts_are_vendored_with_their_licence():
    fonts = ROOT / "theme" / "static" / "fonts"
    assert "SIL Open Font License" in (fonts / "OFL.txt").read_text(encoding="utf-8")
    for face in ("latin-400", "latin-700", "vietnamese-400", "vietnamese-700"):
        assert (fonts / f"noto-sans-{face}-normal.woff2").read_bytes()[:4] == b"wOF2"


# Components: every example of theme/templates/components/<name>/example.json renders.

COMPONENTS = sorted((ROOT / "theme" / "templates" / "components").glob("*/example.json"))
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")


def _values(value):
    if isinstance(value, str) and ISO.match(value):
        return datetime.fromisoformat(value)
    if isinstance(value, list):
        return [_values(v) for v in value]
    if isinstance(value, dict):
        return {k: _values(v) for k, v in value.items()}
    return value


def render_example(example_file: Path) -> list[str]:
    """Render each example of one component with the theme's filters; return the HTML."""
    env = Environment(loader=FileSystemLoader(ROOT / "theme" / "templates"), autoescape=True)
    env.filters.update(vi_datetime=text.format_datetime, vi_date=text.format_date)
    env.globals.update(SITEURL=SITEURL)
    env.globals["portal_memo"] = lambda *key, caller: caller()  # portal_perf's cache, off here
    spec = json.loads(example_file.read_text(encoding="utf-8"))
    template = env.from_string(
        f'{{% from "components/{spec["name"]}/macro.html" import {spec["macro"]} with context %}}'
        f"{{{{ {spec['macro']}(*args) }}}}"
    )
    return [template.render(args=_arguments(example)) for example in spec["examples"]]


def _arguments(example: dict) -> list:
    """The macro's arguments; a ``paginator`` example becomes the page ``current`` (0: the first)."""
    if "paginator" not in example:
        return _values(example["args"])
    from datetime import datetime, timedelta
    from types import SimpleNamespace

    from pelican.paginator import PaginationRule

    import pelicanconf
    from portal.pagination import numbered_pattern, stable_pages

    spec = example["paginator"]
    pattern = numbered_pattern({"PAGINATION_PATTERNS": [PaginationRule(*r) for r in pelicanconf.PAGINATION_PATTERNS]})
    start = datetime(2020, 1, 1, 8)
    articles = [SimpleNamespace(date=start + timedelta(hours=n)) for n in range(spec["count"])][::-1]
    pages = stable_pages(spec["save_as"], spec["url"], articles, 20, pattern)
    return [next(p for p in pages if (p.number or 0) == spec["current"])]


@pytest.mark.parametrize("example_file", COMPONENTS, ids=[p.parent.name for p in COMPONENTS])
def test_every_component_renders_its_examples(example_file):
    for html in render_example(example_file):
        parsed = Page(html)
        assert parsed.tags, html
        assert "Undefined" not in html and "None" not in parsed.words


def test_the_pagination_of_a_huge_section_stays_small():
    first, middle, small = render_example(ROOT / "theme/templates/components/pagination/example.json")
    # 10,000 articles: the first page, then pages 499 (newest) down to 1 (oldest).
    assert first.count("portal-pagination__link") == 4  # 499, 498, 1 and "Tin cũ hơn"
    assert 'href="https://thanhtra.gov.vn/thanh-tra/trang/499/"' in first
    assert 'href="https://thanhtra.gov.vn/thanh-tra/trang/1/"' in first and 'rel="prev"' not in first
    assert middle.count("<li") <= 11 and 'rel="prev"' in middle and 'rel="next"' in middle
    assert 'href="https://thanhtra.gov.vn/thanh-tra/trang/249/"' in middle
    assert 'href="https://thanhtra.gov.vn/thanh-tra/"' in middle  # the first page, "Mới nhất"
    assert "Tin đăng từ" in middle
    assert 'aria-current="page"><span class="portal-visually-hidden">Trang </span>1<' in small
    assert 'rel="next"' not in small


def test_component_text_is_escaped():
    html = render_example(ROOT / "theme/templates/components/share/example.json")[0]
    assert "%20%26%20Gia%20Lai" in html  # the title is URL-encoded in share links
    assert "& Gia" not in html


def test_the_home_links_to_every_article_newest_first_twenty_a_page(site):
    home = page(site, "index.html")
    assert home.find("a", href=f"{SITEURL}/tin-moi/") and not home.find("nav", class_="portal-pagination")
    assert not (site.output / "trang").exists()  # the home is one page; the listing is /tin-moi/
    first, second = page(site, "tin-moi/index.html"), page(site, "tin-moi/trang/2/index.html")
    assert len(first.find("article", class_="portal-card")) == 30  # 70 = 30 + 20 + 20
    assert "70 bài" in first.words
    assert len(second.find("article", class_="portal-card")) == 20
    assert second.find("link", rel="prev", href=f"{SITEURL}/tin-moi/")
    assert second.find("link", rel="next", href=f"{SITEURL}/tin-moi/trang/1/")
    assert "Tin mới – Trang 2" in second.words and "Tin đăng từ" in second.words


