"""Source files: bytes to NFC text, a ``Key: value`` header with line numbers, and a body."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .findings import ERROR, Finding
from .text import nfc

_HEADER_LINE = re.compile(r"^(?P<key>[A-Za-z][A-Za-z0-9_-]*)\s*:\s?(?P<value>.*)$")
_CONTINUATION = re.compile(r"^(?: {4}|\t)\s*(?P<value>\S.*)$")


@dataclass
class Field:
    """One header field as written: its key as typed, its raw value and its line."""

    key: str
    value: str
    line: int


@dataclass
class Source:
    """A content file split into header fields and body, with every problem found on the way."""

    path: str
    text: str = ""
    fields: dict[str, Field] = field(default_factory=dict)
    body: str = ""
    body_line: int = 1
    was_nfc: bool = True
    findings: list[Finding] = field(default_factory=list)

    def error(self, line: int, rule: str, message: str) -> None:
        """Record an error at ``line`` of this file."""
        self.findings.append(Finding(self.path, line, ERROR, rule, message))

    def line_of(self, key: str) -> int:
        """Return the line of header ``key``, or the line after the header when it is absent."""
        found = self.fields.get(key)
        return found.line if found else max(self.body_line - 1, 1)


def decode(path: str, raw: bytes) -> Source:
    """Decode UTF-8 (a BOM is allowed), normalise to NFC and split the header from the body."""
    source = Source(path)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        source.error(
            line,
            "encoding",
            "Tệp không phải mã UTF-8 (byte lạ ở dòng này). Mở tệp và lưu lại với "
            "mã hóa UTF-8 (Unicode).",
        )
        return source
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    normalised = nfc(text)
    source.was_nfc = normalised == text
    source.text = normalised
    _split(source)
    return source


def _split(source: Source) -> None:
    """Fill ``fields``, ``body`` and ``body_line`` of ``source`` from its text."""
    lines = source.text.split("\n")
    last: Field | None = None
    index = 0
    for index, line in enumerate(lines):  # noqa: B007 (index is used after the loop)
        if not line.strip():
            break
        match = _HEADER_LINE.match(line)
        continuation = _CONTINUATION.match(line)
        if continuation and last is not None:
            last.value = f"{last.value} {continuation['value'].strip()}"
        elif match:
            key = match["key"].lower()
            if key in source.fields:
                source.error(
                    index + 1,
                    "duplicate-field",
                    f'Trường "{match["key"]}" được khai báo hai lần (lần đầu ở dòng '
                    f"{source.fields[key].line}). Giữ lại một dòng.",
                )
            last = Field(match["key"], match["value"].strip(), index + 1)
            source.fields.setdefault(key, last)
        else:
            source.error(
                index + 1,
                "header-syntax",
                f'Dòng "{line.strip()[:60]}" nằm trong phần đầu bài nhưng không có dạng '
                '"Khóa: giá trị". Nếu đây là nội dung, thêm một dòng trống sau phần đầu bài.',
            )
    else:
        index = len(lines)
    source.body_line = index + 2
    source.body = "\n".join(lines[index + 1 :])
