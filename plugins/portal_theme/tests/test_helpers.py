"""Pelican-free helpers of the theme: pagination window, byline, attachments, JSON-LD."""

import json
from datetime import datetime, timedelta, timezone

import pytest

from portal.byline import strip_trailing_byline
from portal.jsonld import NewsItem, news_article, to_script_json
from portal.pagination import page_window

ICT = timezone(timedelta(hours=7))


@pytest.mark.parametrize(
    ("current", "total", "expected"),
    [
        (1, 1, []),
        (1, 3, [1, 2, 3]),
        (1, 500, [1, 2, 3, None, 500]),
        (250, 500, [1, None, 248, 249, 250, 251, 252, None, 500]),
        (4, 500, [1, 2, 3, 4, 5, 6, None, 500]),
        (500, 500, [1, None, 498, 499, 500]),
    ],
    ids=["single", "few", "first-of-many", "middle", "gap-of-one-filled", "last"],
)
def test_page_window_stays_small(current, total, expected):
    assert page_window(current, total) == expected


def test_page_window_size_does_not_grow_with_the_archive():
    assert max(len(page_window(n, 10_000)) for n in range(1, 10_001, 37)) <= 9


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
