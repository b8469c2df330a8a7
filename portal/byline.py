"""The byline of a news item: shown once, at the end, from ``Authors``.

Editors often end the body with the byline paragraph as newspapers print it ("Thanh Danh").
The theme prints the byline from ``Authors``, so a last paragraph that only repeats the authors
is dropped from the shown body rather than printed twice.
"""

from __future__ import annotations

import re

from .text import fold

_LAST_PARAGRAPH = re.compile(r"\s*<p>([^<]{1,120})</p>\s*$")
_SEPARATORS = re.compile(r"[\s,;.\-–]+")


def _words(text: str) -> str:
    return " ".join(_SEPARATORS.split(fold(text))).strip()


def strip_trailing_byline(html: str, authors: list[str]) -> str:
    """Return ``html`` without a last ``<p>`` that only names ``authors`` (any order, any case)."""
    found = _LAST_PARAGRAPH.search(html)
    if not found or not authors:
        return html
    said = sorted(part for part in re.split(r"\s*[,;]\s*|\s+-\s+", found.group(1)) if part.strip())
    if sorted(_words(name) for name in authors) != sorted(_words(name) for name in said):
        return html
    return html[: found.start()].rstrip() + "\n"
