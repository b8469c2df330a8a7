"""The search page in a real Chromium, served with the production CSP, on a built fixture site."""

import threading
import unicodedata
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote_plus

import pytest
from conftest import SITES, run_pelican

pytestmark = pytest.mark.system

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
QUANLY = "/thanh-tra/thanh-tra-quan-ly-dat-dai/"
KETLUAN = "/ket-luan-thanh-tra/ket-luan-thanh-tra-du-an-thuy-loi/"
CHANGDUONG = "/tin-tuc-su-kien/chang-duong-dai-dat-ket-qua/"
DANGUY = "/tin-tuc-su-kien/dang-uy-thanh-tra-chinh-phu-hop/"
THAMNHUNG = "/phong-chong-tham-nhung/day-manh-phong-chong-tham-nhung/"
HOINGHI = "/tiep-cong-dan/hoi-nghi-tiep-cong-dan-nfd/"
# "kê khai tài sản": the whole phrase (oldest of all), "kê khai tài" + "sản", "kê khai" + "tài sản"
# (two pairs, not adjacent: newer than the three-word phrase), the four words apart (newest).
KEKHAI = "/thong-bao/huong-dan-ke-khai-tai-san-lan-dau/"
KEKHAI_TAI = "/thong-bao/ke-khai-tai-chinh-co-so-san-xuat/"
KEKHAI_TAISAN = "/thong-bao/ke-khai-dung-han-giu-gin-tai-san-cong/"
KEKHAI_APART = "/thong-bao/khai-mac-trien-lam-san-pham-dia-phuong/"


class CspHandler(SimpleHTTPRequestHandler):
    """Static files with the portal's production Content-Security-Policy."""

    def end_headers(self):
        self.send_header("Content-Security-Policy", CSP)
        super().end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    # The production settings, with root-relative URLs so the local server serves every asset.
    build = run_pelican(
        SITES / "search", tmp_path_factory.mktemp("search") / "out", "publishconf.py", "-e", 'SITEURL=""'
    )
    assert build.returncode == 0, build.log
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(CspHandler, directory=str(build.output)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def page(browser, site):
    page = browser.new_page()
    page.problems = []
    page.on("console", lambda m: page.problems.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: page.problems.append(str(e)))
    page.goto(site + "/search/")
    page.wait_for_selector("#loc-nam option[value='2026']", state="attached")
    yield page
    assert page.problems == [], "console errors or CSP violations on the search page"
    page.close()


def search(page, query: str) -> list[str]:
    """Type the query as a reader does and return the result paths, best first."""
    page.fill("#tu-khoa", "")
    page.locator("#tu-khoa").press_sequentially(query)
    page.wait_for_function(
        "q => document.getElementById('tim-kiem-trang-thai').textContent.includes(q)", arg=query.strip()
    )
    return [
        "/" + href.split("/", 3)[3]
        for href in page.locator(".portal-search-page__link").evaluate_all("links => links.map(a => a.href)")
    ]


@pytest.mark.parametrize(
    ("query", "first", "also"),
    [
        ("dat dai", [QUANLY, KETLUAN], {CHANGDUONG}),
        ("đất đai", [QUANLY, KETLUAN], {CHANGDUONG}),
        ("đạt", [CHANGDUONG], {QUANLY, KETLUAN}),
        ("dang uy", [DANGUY], set()),
        ("ĐẢNG ỦY", [DANGUY], set()),
        ("tham nhung", [THAMNHUNG], set()),
        ("tham nhũng", [THAMNHUNG], set()),
        (unicodedata.normalize("NFD", "hội nghị"), [HOINGHI], {DANGUY}),
        ("thanh tra chinh phu", [DANGUY], {KETLUAN}),
        ("ke khai tai san", [KEKHAI, THAMNHUNG, KEKHAI_TAI, KEKHAI_TAISAN, KEKHAI_APART], set()),
        ("qd ttcp", [], set()),
    ],
    ids=[
        "folded-phrase",
        "exact-phrase",
        "exact-marks-first",
        "d-folds-to-d",
        "upper-case",
        "no-diacritics",
        "diacritics",
        "nfd-input",
        "long-phrase",
        "longest-phrase-first",
        "no-results",
    ],
)
def test_queries_find_and_rank_the_expected_articles(page, query, first, also):
    found = search(page, query)
    assert found[: len(first)] == first
    assert set(found) == set(first) | also
    if not found:
        assert "Không tìm thấy kết quả nào" in page.text_content("#tim-kiem-trang-thai")


def test_words_after_the_tenth_are_not_used_and_the_reader_is_told(page):
    query = "ke khai tai san " * 2 + "ke khai xuongrongtim"  # the 11th word is only in a draft
    assert search(page, query) == [KEKHAI, THAMNHUNG, KEKHAI_TAI, KEKHAI_TAISAN, KEKHAI_APART]
    assert "Chỉ 10 từ đầu được dùng để tìm." in page.text_content("#tim-kiem-trang-thai")
    assert search(page, "kê khai tài sản")[0] == KEKHAI  # a status naming this query: a new one
    assert "Chỉ 10 từ đầu" not in page.text_content("#tim-kiem-trang-thai")


def test_drafts_hidden_and_future_articles_are_not_findable(page):
    for query in ("xuongrongtim", "kiểm toán nội bộ", "bản nháp", "bài ẩn", "hẹn giờ"):
        assert search(page, query) == [], query


def test_results_show_title_section_date_and_highlighted_sapo(page):
    search(page, "dat dai")
    first = page.locator(".portal-search-page__result").first
    assert (
        first.locator(".portal-search-page__link").text_content()
        == "Thanh tra việc quản lý đất đai tại Đắk Lắk"
    )
    assert first.locator(".portal-search-page__meta").text_content() == "Thanh tra · 15/03/2024"
    marks = first.locator(".portal-search-page__snippet mark").all_text_contents()
    assert marks == ["đất", "đai"]
    assert "Tìm thấy 3 kết quả" in page.text_content("#tim-kiem-trang-thai")


def test_section_and_year_filters_narrow_the_results(page):
    page.select_option("#loc-chuyen-muc", "ket-luan-thanh-tra")
    assert search(page, "dat dai") == [KETLUAN]
    assert "section=ket-luan-thanh-tra" in page.url
    page.select_option("#loc-chuyen-muc", "")
    page.select_option("#loc-nam", "2024")
    page.wait_for_function("() => document.querySelectorAll('.portal-search-page__link').length === 1")
    assert "year=2024" in page.url
    assert page.locator(".portal-search-page__link").get_attribute("href").endswith(QUANLY)


def test_query_is_kept_in_the_url_and_a_link_reproduces_the_results(page, site):
    search(page, "tham nhũng")
    assert f"q={quote_plus('tham nhũng')}" in page.url or "q=tham+nh%C5%A9ng" in page.url
    page.goto(site + "/search/?q=dang+uy&year=2026")
    page.wait_for_selector(".portal-search-page__link")
    assert page.input_value("#tu-khoa") == "dang uy"
    assert page.input_value("#loc-nam") == "2026"
    assert page.locator(".portal-search-page__link").get_attribute("href").endswith(DANGUY)


def test_header_box_searches_from_any_page_with_the_keyboard(page, site):
    page.goto(site + QUANLY)
    page.locator("#tim-kiem").focus()
    page.keyboard.type("ket luan thanh tra")
    page.keyboard.press("Enter")
    page.wait_for_selector(".portal-search-page__link")
    assert "/search/?q=ket+luan+thanh+tra" in page.url
    assert page.locator(".portal-search-page__link").first.get_attribute("href").endswith(KETLUAN)
    page.locator("#tu-khoa").focus()
    page.keyboard.press("Tab")  # the search button, then the filters, then the results
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "portal-search-page__link"


def test_search_page_is_labelled_and_fits_a_phone(browser, site):
    page = browser.new_page(viewport={"width": 320, "height": 700})
    page.goto(site + "/search/?q=thanh+tra")
    page.wait_for_selector(".portal-search-page__link")
    assert page.locator("[role=search]").count() == 1  # the header box gives way to the page's form
    for control in ("#tu-khoa", "#loc-chuyen-muc", "#loc-nam"):
        control_id = control[1:]
        assert page.locator(f"label[for='{control_id}']").count() == 1, control
    assert page.get_attribute("#tim-kiem-trang-thai", "aria-live") == "polite"
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    page.close()


def test_more_results_load_on_demand_and_take_the_focus(page):
    found = search(page, "truc ban")
    assert len(found) == 10
    assert "Tìm thấy 11 kết quả" in page.text_content("#tim-kiem-trang-thai")
    assert found[0].endswith("/lich-truc-ban-tuan-11/")  # equal scores: newest first
    more = page.locator("#xem-them-ket-qua")
    more.focus()
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelectorAll('.portal-search-page__link').length === 11")
    assert page.evaluate("document.activeElement.getAttribute('href')").endswith("/lich-truc-ban-tuan-1/")
    assert more.is_hidden()
