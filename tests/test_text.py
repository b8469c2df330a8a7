"""Vietnamese text primitives: folding, slugs, collation and dates."""

import random
import unicodedata
from datetime import date, datetime

import pytest

from portal.text import WEEKDAYS, collation_key, fold, format_datetime, slugify, vi_sorted

ICU_VI_ORDER = ["An Giang", "Ấn Độ", "Âu Lạc", "Bạc Liêu", "Bắc Ninh", "Bình Dương", "Ca", "Cà", "Cả", "Cã", "Cá", "Cạ", "Cà Mau", "Cần Thơ", "Dung", "Đà Nẵng", "Đồng Nai", "On", "Ôn", "Ơn", "Ung", "Ưng", "Yên Bái"]


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Điện thoại di động", "dien-thoai-di-dong"),
        ("Phòng, chống tham nhũng", "phong-chong-tham-nhung"),
        ("Đảng ủy họp", "dang-uy-hop"),
        ("Dang uy hop", "dang-uy-hop"),
        ("Quyết định 12/QĐ-TTCP", "quyet-dinh-12-qd-ttcp"),
        ("  Tiếp   công dân!  ", "tiep-cong-dan"),
    ],
    ids=["dien-thoai", "commas", "d-stroke", "already-ascii", "doc-number", "spaces"],
)
def test_slugify_folds_vietnamese_with_d_stroke(text, slug):
    assert slugify(text) == slug
    assert slugify(unicodedata.normalize("NFD", text)) == slug


def test_fold_maps_d_stroke_which_accent_stripping_drops():
    assert fold("Phòng, chống tham nhũng") == "phong, chong tham nhung"
    assert fold("ĐẢNG ỦY") == "dang uy"
    naive = unicodedata.normalize("NFKD", "Điện").encode("ascii", "ignore").decode()
    assert naive == "ien"  # what the portal must not do
    assert fold("Điện") == "dien"


def test_collation_matches_icu_vi_order():
    shuffled = ICU_VI_ORDER[:]
    random.Random(7).shuffle(shuffled)
    assert vi_sorted(shuffled) == ICU_VI_ORDER


def test_collation_letters_before_tones_before_case():
    assert collation_key("a") < collation_key("ă") < collation_key("â") < collation_key("b")
    assert collation_key("d") < collation_key("đ") < collation_key("e")
    assert collation_key("o") < collation_key("ô") < collation_key("ơ") < collation_key("p")
    assert collation_key("u") < collation_key("ư") < collation_key("v")
    assert vi_sorted(["má", "mạ", "mà", "ma", "mả", "mã"]) == ["ma", "mà", "mả", "mã", "má", "mạ"]
    assert vi_sorted(["Zê", "Âu", "Ơn", "An"]) == ["An", "Âu", "Ơn", "Zê"]  # not code-point order
    assert collation_key("an") < collation_key("An")


@pytest.mark.parametrize(
    ("day", "weekday"),
    [
        (date(2026, 11, 26), "Thứ Năm"),
        (date(1945, 9, 2), "Chủ Nhật"),
        (date(1975, 4, 30), "Thứ Tư"),
        (date(2000, 1, 1), "Thứ Bảy"),
        (date(2024, 2, 29), "Thứ Năm"),
        (date(2019, 6, 28), "Thứ Sáu"),
        (date(2026, 11, 23), "Thứ Hai"),
        (date(2026, 11, 24), "Thứ Ba"),
    ],
    ids=lambda v: str(v),
)
def test_weekday_names_on_known_calendar_dates(day, weekday):
    moment = datetime(day.year, day.month, day.day, 14, 5)
    assert format_datetime(moment) == f"{weekday}, {day:%d/%m/%Y} 14:05"


def test_weekday_table_is_fixed_not_locale():
    assert WEEKDAYS == ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật")
    assert all(unicodedata.is_normalized("NFC", name) for name in WEEKDAYS)


def test_format_converts_other_timezones_to_hanoi():
    from zoneinfo import ZoneInfo

    utc = datetime(2026, 11, 26, 7, 5, tzinfo=ZoneInfo("UTC"))
    assert format_datetime(utc) == "Thứ Năm, 26/11/2026 14:05"
