"""Pelican-free helpers of the theme: pagination window, byline, attachments, JSON-LD."""

import json
from datetime import datetime, timedelta, timezone

import pytest

from portal.byline import strip_trailing_byline
from portal.jsonld import NewsItem, news_article, to_script_json
from portal.pagination import stable_pages

ICT = timezone(timedelta(hours=7))


@pytest.mark.parametrize(
    ("html", "authors", "kept"),
    [
        ("<p>Nội dung.</p>\n<p>Thanh Danh</p>", ["Thanh Danh"], False),
        ("<p>Nội dung.</p>\n<p>Thanh Danh, Ánh Dương</p>", ["Ánh Dương", "Thanh Danh"], False),
        ("<p>Nội dung.</p>\n<p>thanh danh</p>", ["Thanh Danh"], False),
        ("<p>Nội dung.</p>\n<p>Thanh Danh (Theo AFP)</p>", ["Thanh Danh"], True),
        ("<p>Nội dung.</p>\n<p>Kết luận cuối.</p>", ["Thanh Danh"], True),
    ],
    ids=["one-author", "two-authors-any-order", "any-case", "reprint-credit-kept", "other-text-kept"],
)
def test_a_last_paragraph_repeating_the_byline_is_dropped(html, authors, kept):
    shown = strip_trailing_byline(html, authors)
    assert ("<p>Nội dung.</p>" in shown) and ((shown == html) is kept)


def test_news_article_json_cannot_close_its_script_element():
    item = NewsItem(
        url="https://thanhtra.gov.vn/thanh-tra/a/",
        headline="Kết luận </script><script>alert(1)</script> & hơn",
        description="Sapo",
        published=datetime(2026, 11, 26, 14, 5, tzinfo=ICT),
        modified=None,
        authors=["Thanh Danh"],
        section="Thanh tra",
    )
    data = news_article(item, "Thanh tra Chính phủ", "https://thanhtra.gov.vn/theme/images/logo.png")
    text = to_script_json(data)
    assert "<" not in text and "&" not in text
    parsed = json.loads(text)
    assert parsed["@type"] == "NewsArticle"
    assert parsed["headline"].startswith("Kết luận </script>")
    assert parsed["datePublished"] == parsed["dateModified"] == "2026-11-26T14:05:00+07:00"


PATTERN = ("{base_name}/trang/{number}/", "{base_name}/trang/{number}/index.html")


def _state(page) -> tuple:
    return (page.url, page.save_as, page.object_list, page.newer, page.older, page.window, page.count)


@pytest.mark.parametrize("total", [0, 1, 19, 20, 39, 40, 41, 65, 100, 1001])
def test_stable_pages_cut_the_listing_from_its_oldest_end(total):
    articles = list(range(total))[::-1]  # newest first, as the listing is
    pages = stable_pages("thanh-tra/index.html", "thanh-tra/", articles, 20, PATTERN)
    assert [a for p in pages for a in p.object_list] == articles  # every article once, in order
    first, numbered = pages[0], pages[1:]
    assert first.front and first.url == "thanh-tra/" and first.count == total
    assert len(first.object_list) == (total if total < 40 else 20 + total % 20)
    assert [p.number for p in numbered] == list(range(len(numbered), 0, -1))
    for page in numbered:
        assert len(page.object_list) == 20 and page.count is None
        assert page.object_list[-1] == 20 * (page.number - 1)  # page 1 ends with the oldest article
        assert page.save_as == f"thanh-tra/trang/{page.number}/index.html"
    for newer, older in zip(pages, pages[1:], strict=False):
        assert (newer.older, older.newer) == (older.url, newer.url)
    assert first.newer is None and pages[-1].older is None
    assert all(sum(1 for link in p.window if link and link.current) == (len(pages) > 1) for p in pages)


def test_a_new_article_changes_only_the_first_page_and_the_top_of_the_others():
    radius = 2
    for total in range(0, 300):
        before = stable_pages("index.html", "", list(range(total))[::-1], 20, PATTERN, radius)
        after = stable_pages("index.html", "", list(range(total + 1))[::-1], 20, PATTERN, radius)
        top = len(before) - 1
        kept = {p.number: _state(p) for p in after[1:]}
        for page in before[1:]:
            if page.number < top - radius - 1:  # below the window of the top
                assert kept[page.number] == _state(page), (total, page.number)
        assert len(after) - len(before) in {0, 1}


def test_the_window_of_a_stable_page_stays_small():
    pages = stable_pages("index.html", "", list(range(10_000))[::-1], 20, PATTERN)
    assert max(len(p.window) for p in pages) <= 9
    middle = next(p for p in pages if p.number == 250)
    assert [link and link.number for link in middle.window] == [0, None, 252, 251, 250, 249, 248, None, 1]
