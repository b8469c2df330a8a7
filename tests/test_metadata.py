"""Metadata parsing: ISO-only dates, required fields, sections; every problem reported at once."""

import pytest

from portal.metadata import ARTICLE, PAGE, Section, parse_datetime, parse_metadata
from portal.source import decode

SECTIONS = [Section("thanh-tra", "Thanh tra"), Section("khieu-nai-to-cao", "Giải quyết khiếu nại, tố cáo")]


def read(text: str, kind: str = ARTICLE):
    source = decode("content/articles/x.md", text.encode("utf-8"))
    return source, parse_metadata(source, kind, SECTIONS)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("2019-06-28 15:30", None),
        ("2019-06-28T15:30", None),
        ("2019-06-28", None),
        ("05/06/2019", "format"),
        ("28-06-2019", "format"),
        ("June 5, 2019", "format"),
        ("2019-02-30 10:00", "invalid"),
        ("2019-06-28 25:00", "invalid"),
    ],
    ids=["iso", "iso-t", "date-only", "slashes", "day-first", "english", "feb-30", "hour-25"],
)
def test_only_real_iso_dates_are_accepted(value, reason):
    moment, why = parse_datetime(value)
    assert why == reason
    assert (moment is None) == (reason is not None)


def test_slash_date_is_an_error_never_6_may():
    source, values = read(
        "Title: T\nDate: 05/06/2019\nCategory: thanh-tra\nSummary: S\nAuthors: A\n\nBody\n"
    )
    assert "date" not in values
    [finding] = source.findings
    assert (finding.line, finding.rule, finding.severity) == (2, "date-format", "error")
    assert "YYYY-MM-DD" in finding.message and "05/06/2019" in finding.message


def test_every_missing_field_and_bad_value_is_reported_in_one_read():
    source, _ = read("Title: T\nDate: 2019-02-30\nCategory: khong-co\n\nBody\n")
    rules = sorted(f.rule for f in source.findings)
    assert rules == ["date-invalid", "required-field", "required-field", "unknown-section"]
    unknown = next(f for f in source.findings if f.rule == "unknown-section")
    assert unknown.line == 3 and "thanh-tra" in unknown.message


def test_section_by_slug_or_vietnamese_name_in_any_normal_form():
    import unicodedata

    name = unicodedata.normalize("NFD", "Giải quyết khiếu nại, tố cáo")
    _, values = read(f"Title: T\nDate: 2019-01-01\nCategory: {name}\nSummary: S\nAuthors: A\n\nB\n")
    assert values["category"].slug == "khieu-nai-to-cao"


def test_pages_need_only_a_title():
    source, values = read("Title: Giới thiệu\n\nNội dung\n", PAGE)
    assert source.findings == [] and values == {"title": "Giới thiệu"}


def test_text_is_nfc_and_header_lines_are_numbered():
    import unicodedata

    nfd = unicodedata.normalize("NFD", "Title: Đảng ủy\nAuthors: Ánh, Bình\n\nThân bài\n")
    source = decode("a.md", nfd.encode("utf-8"))
    assert not source.was_nfc
    assert source.fields["title"].value == "Đảng ủy" and source.fields["authors"].line == 2
    assert unicodedata.is_normalized("NFC", source.body)
    assert source.body_line == 4


def test_non_utf8_file_names_the_line():
    source = decode("a.md", "Title: ok\n\nDòng hai\n".encode() + b"\xff\xfe broken\n")
    [finding] = source.findings
    assert finding.rule == "encoding" and finding.line == 4


def test_header_line_without_colon_is_reported():
    source, _ = read("Title: T\nđây không phải khóa\n\nB\n", PAGE)
    assert [(f.rule, f.line) for f in source.findings] == [("header-syntax", 2)]


def test_lists_split_on_semicolons_when_present_so_tags_may_hold_commas():
    _, values = read(
        "Title: T\nDate: 2019-01-01\nCategory: thanh-tra\nSummary: S\nAuthors: A, B\n"
        "Tags: Phòng, chống tham nhũng; Đất đai\n\nB\n"
    )
    assert values["tags"] == ["Phòng, chống tham nhũng", "Đất đai"]
    assert values["authors"] == ["A", "B"]
