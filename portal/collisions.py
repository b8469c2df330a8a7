"""Slug collisions: two contents at one URL, or two titles that fold to one slug.

Pelican 4.12 either crashes (``FileOverwriteFailedError``) or silently merges; the portal names
both files instead.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from .findings import ERROR, Finding
from .text import slugify


@dataclass(frozen=True)
class Entry:
    """What collision checks need to know of one content file."""

    path: str
    url: str
    title: str
    url_line: int = 1
    title_line: int = 1


def _groups(entries, key_of) -> list[list[Entry]]:
    groups = defaultdict(list)
    for entry in entries:
        key = key_of(entry)
        if key:
            groups[key].append(entry)
    return [sorted(g, key=lambda e: e.path) for g in groups.values() if len(g) > 1]


def find(entries: list[Entry]) -> tuple[list[Finding], set[str]]:
    """Return findings for colliding entries, and the paths of those to leave out of a build.

    The first file of each group (by path) is kept, so a development build still has a page.
    """
    findings, dropped = [], set()
    for first, *others in _groups(entries, lambda e: e.url):
        for other in others:
            dropped.add(other.path)
            findings.append(Finding(
                other.path, other.url_line, ERROR, "duplicate-slug",
                f'Bài này có cùng địa chỉ "{other.url}" với {first.path}. Đổi tên tệp hoặc '
                'thêm dòng "Slug: …" khác cho một trong hai bài.',
            ))
    for first, *others in _groups(entries, lambda e: slugify(e.title)):
        for other in others:
            findings.append(Finding(
                other.path, other.title_line, ERROR, "duplicate-title",
                f'Tiêu đề "{other.title}" trùng (khi bỏ dấu) với tiêu đề "{first.title}" của '
                f"{first.path}. Sửa một trong hai tiêu đề cho khác nhau.",
            ))
    return findings, dropped
