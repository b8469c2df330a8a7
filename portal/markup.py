"""What an article body holds besides text: raw HTML tags and attributes, and links, with lines.

The body is Markdown. Code (fenced blocks and inline spans) is blanked first, keeping line
breaks, so an article that *shows* ``<script>`` in code is not taken for one that *runs* it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

_FENCE = re.compile(r"^( {0,3})(`{3,}|~{3,})[^\n]*\n.*?(?:^\1?\2[`~]*[ \t]*$|\Z)", re.M | re.S)
_INLINE_CODE = re.compile(r"(`+)(?!`).+?(?<!`)\1(?!`)", re.S)
HTML_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9-]*(?:\s[^<>]*)?/?>|<!--")
_AUTOLINK = re.compile(r"<(?:[a-zA-Z][a-zA-Z0-9+.-]{1,31}:[^<>\s]*|[^<>\s@]+@[^<>\s]+)>")
_INLINE_LINK = re.compile(r"\[[^\]\n]*\]\(\s*<?([^)\s>]*)>?(?:\s+[\"'(][^\n]*?[\"')])?\s*\)")
_REFERENCE = re.compile(r"^ {0,3}\[(?!\^)[^\]\n]+\]:\s*<?([^\s>]+)>?", re.M)  # not footnotes
URL_ATTRIBUTES = frozenset(
    {
        "href",
        "src",
        "action",
        "formaction",
        "data",
        "poster",
        "background",
        "cite",
        "srcset",
        "xlink:href",
        "longdesc",
        "manifest",
        "icon",
        "ping",
    }
)


@dataclass(frozen=True)
class Tag:
    """One start tag of raw HTML in a body, with its attributes (names lower-case)."""

    name: str
    attributes: tuple[tuple[str, str], ...]
    line: int


@dataclass(frozen=True)
class Link:
    """One link or image target in a body, from Markdown or from raw HTML."""

    url: str
    line: int
    markdown: bool = True  # False: from a raw HTML attribute
    image: bool = False  # a Markdown image, ``![alt](src)``


def _blank(match: re.Match) -> str:
    """Replace a match by spaces, keeping its line breaks so later lines keep their numbers."""
    return re.sub(r"[^\n]", " ", match.group(0))


def strip_code(body: str) -> str:
    """Return ``body`` with fenced code, inline code and autolinks blanked out."""
    if "```" in body or "~~~" in body:
        body = _FENCE.sub(_blank, body)
    if "`" in body:
        body = _INLINE_CODE.sub(_blank, body)
    return _AUTOLINK.sub(_blank, body) if "<" in body else body


class _TagCollector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list, int]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs, self.getpos()[0]))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)


def tags(body: str, first_line: int) -> list[Tag]:
    """Return the raw HTML start tags of a code-stripped body; lines count from ``first_line``."""
    if "<" not in body:
        return []
    collector = _TagCollector()
    collector.feed(body)
    collector.close()
    return [
        Tag(name, tuple((key.lower(), value or "") for key, value in attrs), first_line + line - 1)
        for name, attrs, line in collector.tags
    ]


def _line_at(body: str, offset: int, first_line: int) -> int:
    return first_line + body.count("\n", 0, offset)


def links(body: str, first_line: int, found_tags: list[Tag]) -> list[Link]:
    """Return every link target: Markdown inline and reference links, and HTML URL attributes."""
    result = [
        Link(
            match.group(1),
            _line_at(body, match.start(), first_line),
            image=body[match.start() - 1 : match.start()] == "!",
        )
        for match in _INLINE_LINK.finditer(body)
    ]
    result.extend(
        Link(match.group(1), _line_at(body, match.start(), first_line)) for match in _REFERENCE.finditer(body)
    )
    result.extend(
        Link(value, tag.line, markdown=False)
        for tag in found_tags
        for key, value in tag.attributes
        if key in URL_ATTRIBUTES
    )
    return sorted(result, key=lambda link: link.line)


_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
_IGNORED_IN_SCHEME = re.compile(r"[\x00-\x20\x7f-\x9f]+")


def scheme(url: str) -> str:
    """Return the lower-case scheme browsers would see (a tab inside ``javascript:`` is ignored)."""
    match = _SCHEME.match(_IGNORED_IN_SCHEME.sub("", url))
    return match.group(1).lower() if match else ""
