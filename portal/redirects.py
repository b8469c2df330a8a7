"""301 redirects from the old portal's URLs (``Legacy_url``) to the new ones, as an nginx map.

Old Liferay URLs carry query strings (``/web/guest/…/Content/<slug>?<id>``), so nginx matches
``$request_uri`` (path and query, as the browser sent it) against exact keys: a hash lookup,
fast for tens of thousands of entries. Browsers send non-ASCII characters percent-encoded, so
keys are percent-encoded the same way. A value that could break out of the nginx string
(quotes, ``;``, braces, ``$``, spaces, backslashes) is refused with a finding.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from .findings import ERROR, Finding

RULE = "legacy-url"
_UNSAFE = re.compile(r"[\s\"'\\{};$<>`]")
_KEEP = "/?&=%-._~:@!,+()*[]"


@dataclass(frozen=True)
class Legacy:
    """One article's old URL: where it is declared and where it must lead."""

    path: str  # source file, as editors see it
    line: int
    value: str
    target: str  # path of the new page, e.g. /thanh-tra/<slug>/


def normalise(value: str) -> str | None:
    """Return the ``$request_uri`` a browser sends for ``value``, or ``None`` if unusable.

    Accepts a path (``/web/guest/…?123``) or a full URL of the old portal (scheme and host are
    dropped); a ``#fragment`` is never sent, so it is dropped too.
    """
    value = value.strip()
    if _UNSAFE.search(value):
        return None
    parts = urlsplit(value)
    if parts.scheme and parts.scheme not in ("http", "https"):
        return None
    path = parts.path if parts.scheme else value.split("#", 1)[0].split("?", 1)[0]
    if not path.startswith("/") or path.startswith("//") and not parts.scheme:
        return None
    uri = quote(path, safe=_KEEP)
    if parts.query:
        uri += "?" + quote(parts.query, safe=_KEEP)
    return uri


def _invalid(item: Legacy) -> Finding:
    return Finding(
        item.path,
        item.line,
        ERROR,
        RULE,
        f'Legacy_url "{item.value}" không dùng được để chuyển hướng. Ghi đường dẫn cũ bắt đầu '
        'bằng "/" (ví dụ "/web/guest/xem-chi-tiet-tin-tuc/-/asset_publisher//Content/ten-bai?123") '
        "hoặc địa chỉ đầy đủ http(s)://…, không có dấu cách, dấu nháy, ; { } $ hay \\.",
    )


def _duplicate(item: Legacy, first: Legacy) -> Finding:
    return Finding(
        item.path,
        item.line,
        ERROR,
        RULE,
        f'Legacy_url "{item.value}" đã được khai báo ở {first.path}:{first.line}. Một địa chỉ cũ '
        "chỉ chuyển về một bài: xóa dòng Legacy_url ở một trong hai bài.",
    )


def resolve(items: list[Legacy]) -> tuple[dict[str, str], list[Finding]]:
    """Return ``({request_uri: target}, findings)``; the first article of a duplicate wins."""
    mapping: dict[str, str] = {}
    owners: dict[str, Legacy] = {}
    findings = []
    for item in items:
        key = normalise(item.value)
        if key is None:
            findings.append(_invalid(item))
        elif key in owners:
            findings.append(_duplicate(item, owners[key]))
        else:
            mapping[key], owners[key] = item.target, item
    return mapping, findings


def nginx_map(mapping: dict[str, str]) -> str:
    """Return the body of an nginx ``map $request_uri`` block: one quoted key and target per line."""
    lines = ["# Written by portal_redirects: Legacy_url -> new URL (301). Do not edit."]
    lines += [f'"{key}" "{target}";' for key, target in sorted(mapping.items())]
    return "\n".join(lines) + "\n"
