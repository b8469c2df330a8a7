"""Article and page metadata: the field table of DESIGN.md and a strict parser per field kind.

Every parser records a finding and returns ``None`` for a value it refuses, so one read of a file
reports every bad field at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from .source import Field, Source
from .text import TIMEZONE, fold

ARTICLE = "article"
PAGE = "page"
STATUSES = ("draft", "published", "hidden")

_ISO = re.compile(
    r"^(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})"
    r"(?:[ T](?P<H>\d{2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?)?$"
)


@dataclass(frozen=True)
class Section:
    """A section (chuyên mục): an ASCII slug and its Vietnamese name."""

    slug: str
    name: str


def sections_from_settings(pairs) -> list[Section]:
    """Turn the ``SECTIONS`` setting (``(slug, name)`` pairs) into records."""
    return [Section(slug, name) for slug, name in pairs]


def _text(source: Source, found: Field, context) -> str | None:
    return found.value or None


def _list(source: Source, found: Field, context) -> list[str] | None:
    # As in Pelican: ";" separates when present, so a tag may hold a comma
    # ("Phòng, chống tham nhũng; Đất đai").
    separator = ";" if ";" in found.value else ","
    items = [item.strip() for item in found.value.split(separator)]
    return [item for item in items if item] or None


def parse_datetime(value: str) -> tuple[datetime | None, str | None]:
    """Parse an ISO 8601 local date-time; return ``(value, None)`` or ``(None, reason)``."""
    match = _ISO.match(value.strip())
    if not match:
        return None, "format"
    parts = {k: int(v) for k, v in match.groupdict(default="0").items()}
    try:
        moment = datetime(
            parts["y"], parts["m"], parts["d"], parts["H"], parts["M"], parts["S"]
        )
    except ValueError:
        return None, "invalid"
    return moment.replace(tzinfo=TIMEZONE), None


def _datetime(source: Source, found: Field, context) -> datetime | None:
    moment, reason = parse_datetime(found.value)
    if reason == "format":
        source.error(
            found.line,
            "date-format",
            f'{found.key} "{found.value}" không đúng định dạng. Chỉ dùng ISO 8601: '
            'YYYY-MM-DD HH:MM (năm-tháng-ngày giờ:phút), ví dụ "2019-06-05 15:30" là '
            "ngày 5 tháng 6 năm 2019.",
        )
    elif reason == "invalid":
        source.error(
            found.line,
            "date-invalid",
            f'{found.key} "{found.value}" là ngày giờ không có thật. Kiểm tra lại ngày, '
            "tháng (ví dụ tháng 2 không có ngày 30) và giờ (00–23), phút (00–59).",
        )
    return moment


def _date(source: Source, found: Field, context) -> date | None:
    moment = _datetime(source, found, context)
    return moment.date() if moment else None


def _section(source: Source, found: Field, sections: list[Section]) -> Section | None:
    wanted = fold(found.value)
    for section in sections:
        if wanted in (section.slug, fold(section.name)):
            return section
    valid = ", ".join(s.slug for s in sections)
    source.error(
        found.line,
        "unknown-section",
        f'Chuyên mục "{found.value}" không có trong danh sách. Dùng một trong: {valid}.',
    )
    return None


def _status(source: Source, found: Field, context) -> str | None:
    value = found.value.strip().lower()
    if value in STATUSES:
        return value
    source.error(
        found.line,
        "unknown-status",
        f'Status "{found.value}" không hợp lệ. Dùng draft (bản nháp), published '
        "(xuất bản) hoặc hidden (ẩn khỏi danh sách).",
    )
    return None


# key: (parser, required for articles, required for pages)
FIELDS = {
    "title": (_text, True, True),
    "date": (_datetime, True, False),
    "category": (_section, True, False),
    "summary": (_text, True, False),
    "authors": (_list, True, False),
    "slug": (_text, False, False),
    "modified": (_datetime, False, False),
    "tags": (_list, False, False),
    "image": (_text, False, False),
    "image_alt": (_text, False, False),
    "image_caption": (_text, False, False),
    "image_credit": (_text, False, False),
    "source": (_text, False, False),
    "status": (_status, False, False),
    "related": (_list, False, False),
    "attachments": (_list, False, False),
    "legacy_url": (_text, False, False),
    "lang": (_text, False, False),
    "translation": (_text, False, False),
    "template": (_text, False, False),
    "doc_number": (_text, False, False),
    "doc_type": (_text, False, False),
    "issuer": (_text, False, False),
    "signed": (_date, False, False),
    "effective": (_date, False, False),
}

FIELD_NAMES = {
    "title": "Title",
    "date": "Date",
    "category": "Category",
    "summary": "Summary",
    "authors": "Authors",
}


def parse_metadata(source: Source, kind: str, sections: list[Section]) -> dict:
    """Return the typed metadata of ``source``; problems are added to ``source.findings``.

    Unknown keys are left to the content checks (which suggest the right spelling) and are
    not carried into the output.
    """
    values = {}
    for key, (parser, for_article, for_page) in FIELDS.items():
        found = source.fields.get(key)
        if found is None or not found.value.strip():
            if (for_article and kind == ARTICLE) or (for_page and kind == PAGE):
                name = FIELD_NAMES.get(key, key.capitalize())
                source.error(
                    source.line_of(key),
                    "required-field",
                    f'Thiếu trường bắt buộc "{name}". Thêm dòng "{name}: …" vào phần đầu '
                    "bài (trước dòng trống đầu tiên).",
                )
            continue
        value = parser(source, found, sections)
        if value is not None:
            values[key] = value
    return values
