"""The predicates of the content rules: small generators yielding ``(line, values)`` per hit.

Each looks at one document (and, for rules that look across files, the site). The table that
gives each an id, a severity and a message is ``portal/rules.py``.
"""

from __future__ import annotations

import difflib
import importlib.util
import os
import re
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from . import markup, scaffold, spelling
from .document import Document, Hit, Site, folded
from .metadata import ARTICLE, FIELDS
from .text import slugify

TITLE_MAX = 150
SUMMARY_MAX = 500
DANGEROUS_TAGS = frozenset(
    {
        "script",
        "iframe",
        "object",
        "embed",
        "form",
        "style",
        "frame",
        "frameset",
        "applet",
        "base",
        "meta",
        "link",
        "svg",
        "math",
        "template",
    }
)
UNSAFE_SCHEMES = frozenset({"javascript", "data", "vbscript"})
# Number/[year/]symbol: 123/QĐ-TTCP, 42/2022/NĐ-CP, 25/2018/QH14, 1234/TTCP-KHTH.
DOC_NUMBER = re.compile(r"^\d{1,5}[a-z]?(?:/\d{4})?/[A-ZĐ][A-ZĐ0-9]*(?:-[A-ZĐ0-9]+)*$")
# The hints ``invoke new`` writes (portal/scaffold.py): an article still holding one is unfinished.
HINTS = tuple(scaffold.HINTS.values())


# --- predicates: header -------------------------------------------------------------------------


def unknown_field(doc: Document, site: Site) -> Iterator[Hit]:
    """Header keys outside the field table, with the closest known key."""
    for key, found in doc.source.fields.items():
        if key in FIELDS:
            continue
        close = difflib.get_close_matches(key, FIELDS, n=1, cutoff=0.6)
        hint = f' Có phải ý bạn là "{close[0].capitalize()}"?' if close else ""
        yield found.line, {"key": found.key, "hint": hint}


def invisible_char(doc: Document, site: Site) -> Iterator[Hit]:
    """Control, zero-width and bidi-override characters in header lines (titles, slugs, tags)."""
    header_end = doc.source.text.find("\n\n")
    header = doc.source.text[: header_end if header_end >= 0 else None]
    if not spelling.INVISIBLE.search(header + Path(doc.source.path).name):
        return
    for line, text in [(1, Path(doc.source.path).name), *doc.header_lines]:
        codes = spelling.invisible_characters(text)
        if codes:
            yield line, {"codes": ", ".join(codes)}


def html_in_field(doc: Document, site: Site) -> Iterator[Hit]:
    """Find HTML tags in header fields, which are plain text and would show the tag as typed."""
    for found in doc.source.fields.values():
        tag = markup.HTML_TAG.search(found.value)
        if tag:
            yield found.line, {"key": found.key, "tag": tag.group(0)[:40]}


def not_nfc(doc: Document, site: Site) -> Iterator[Hit]:
    """Decomposed (NFD) text: the first line holding it."""
    if doc.original is None:
        return
    for line, (before, after) in enumerate(
        zip(doc.original.split("\n"), doc.source.text.split("\n"), strict=False), start=1
    ):
        if before != after:
            yield line, {}
            return


def legacy_encoding(doc: Document, site: Site) -> Iterator[Hit]:
    """TCVN3 / VNI / double-encoded UTF-8 text pasted from old files: the first line showing it."""
    if not spelling.may_be_legacy(doc.source.text):
        return
    words: list[tuple[int, str]] = []
    for line, text in enumerate(doc.source.text.split("\n"), start=1):
        if spelling.is_double_utf8(text):
            yield line, {"sample": text.strip()[:40]}
            return
        words.extend((line, word) for word in spelling.legacy_words(text))
    if len(words) >= spelling.LEGACY_WORDS_FOR_ERROR:
        yield words[0][0], {"sample": ", ".join(word for _, word in words[:3])}


def unfilled_hint(doc: Document, site: Site) -> Iterator[Hit]:
    """Lines still holding a hint written by ``invoke new``."""
    for line, text in enumerate(doc.source.text.split("\n"), start=1):
        for hint in HINTS:
            if hint in text:
                yield line, {"hint": hint}


# --- predicates: dates and documents ------------------------------------------------------------


def _line(doc: Document, key: str) -> int:
    return doc.source.line_of(key)


def modified_before_date(doc: Document, site: Site) -> Iterator[Hit]:
    """Find ``Modified`` earlier than ``Date``."""
    date, modified = doc.values.get("date"), doc.values.get("modified")
    if date and modified and modified < date:
        yield _line(doc, "modified"), {}


def future_date(doc: Document, site: Site) -> Iterator[Hit]:
    """Find a date after now without ``Status: draft`` (scheduled, not published yet)."""
    date = doc.values.get("date")
    if date and date > site.now and doc.values.get("status") != "draft":
        yield _line(doc, "date"), {"date": f"{date:%d/%m/%Y %H:%M}"}


def effective_before_signed(doc: Document, site: Site) -> Iterator[Hit]:
    """Find a document in effect before it was signed."""
    signed, effective = doc.values.get("signed"), doc.values.get("effective")
    if signed and effective and effective < signed:
        yield _line(doc, "effective"), {}


def doc_number_format(doc: Document, site: Site) -> Iterator[Hit]:
    """``Doc_number`` not in the number/[year/]symbol form."""
    number = doc.values.get("doc_number")
    if number and not DOC_NUMBER.match(number.strip()):
        yield _line(doc, "doc_number"), {"value": number}


def doc_number_missing(doc: Document, site: Site) -> Iterator[Hit]:
    """Find a document (in the documents section) without ``Doc_number``."""
    section = doc.values.get("category")
    if section and section.slug == site.document_section and "doc_number" not in doc.values:
        yield _line(doc, "doc_number"), {}


# --- predicates: lengths and house style --------------------------------------------------------


def title_length(doc: Document, site: Site) -> Iterator[Hit]:
    """Titles too long for cards, tabs and search results."""
    title = doc.values.get("title", "")
    if len(title) > TITLE_MAX:
        yield _line(doc, "title"), {"length": len(title), "limit": TITLE_MAX}


def summary_length(doc: Document, site: Site) -> Iterator[Hit]:
    """Find a sapo too long to be a lead."""
    summary = doc.values.get("summary", "")
    if len(summary) > SUMMARY_MAX:
        yield _line(doc, "summary"), {"length": len(summary), "limit": SUMMARY_MAX}


def empty_body(doc: Document, site: Site) -> Iterator[Hit]:
    """Find an article with a header and no body."""
    if doc.kind == ARTICLE and doc.source.text and not doc.source.body.strip():
        yield doc.source.body_line - 1, {}


def name_variant(doc: Document, site: Site) -> Iterator[Hit]:
    """Tags or authors spelled differently from the same name elsewhere (case, diacritics)."""
    for key in ("tags", "authors"):
        for name in doc.values.get(key) or []:
            first, path = site.spellings[(key, folded(name))]
            if first != name:
                yield _line(doc, key), {"name": name, "first": first, "path": path}


def tone_style(doc: Document, site: Site) -> Iterator[Hit]:
    """Find new-style tone marks (hoà, khoẻ, thuý) where the house style is old (hòa, khỏe, thúy)."""
    header = "\n".join(text for _, text in doc.header_lines)
    by_line: dict[int, list[tuple[str, str]]] = {}
    for first_line, text in ((1, header), (doc.source.body_line, doc.prose)):
        for offset, word, fixed in spelling.new_style_matches(text):
            line = first_line + text.count("\n", 0, offset)
            by_line.setdefault(line, []).append((word, fixed))
    for line, pairs in sorted(by_line.items()):
        listed = ", ".join(f'"{old}" → "{new}"' for old, new in dict.fromkeys(pairs))
        yield line, {"words": listed}


# --- predicates: body markup and links ----------------------------------------------------------


def dangerous_tag(doc: Document, site: Site) -> Iterator[Hit]:
    """``<script>``, ``<iframe>``, ``<object>``, ``<embed>``, ``<form>``, ``<style>`` and kin."""
    for tag in doc.tags:
        if tag.name in DANGEROUS_TAGS:
            yield tag.line, {"tag": tag.name}


def event_handler(doc: Document, site: Site) -> Iterator[Hit]:
    """``on*=`` attributes (``onclick``, ``onerror``…)."""
    for tag in doc.tags:
        for key, _ in tag.attributes:
            if key.startswith("on"):
                yield tag.line, {"attribute": key, "tag": tag.name}


def inline_style(doc: Document, site: Site) -> Iterator[Hit]:
    """``style=`` attributes, which the site's Content-Security-Policy blocks."""
    for tag in doc.tags:
        if any(key == "style" for key, _ in tag.attributes):
            yield tag.line, {"tag": tag.name}


def raw_html(doc: Document, site: Site) -> Iterator[Hit]:
    """Other raw HTML: allowed through the sanitiser, but Markdown is the house format."""
    for tag in doc.tags:
        if tag.name not in DANGEROUS_TAGS and not _has_bad_attribute(tag):
            yield tag.line, {"tag": tag.name}


def _has_bad_attribute(tag: markup.Tag) -> bool:
    """Whether a tag already has an error of its own (handler, style, unsafe URL)."""
    return any(
        key.startswith("on") or key == "style" or markup.scheme(value) in UNSAFE_SCHEMES
        for key, value in tag.attributes
    )


def unsafe_url(doc: Document, site: Site) -> Iterator[Hit]:
    """Links and sources with a ``javascript:``, ``data:`` or ``vbscript:`` URL."""
    for link in doc.links:
        found = markup.scheme(link.url)
        if found in UNSAFE_SCHEMES:
            yield link.line, {"scheme": found}
    # Attributes of tags the HTML parser could not finish (``<a href="javascript:…`` unclosed).
    for match in _UNSAFE_ATTRIBUTE.finditer(doc.prose if "=" in doc.prose else ""):
        line = doc.source.body_line + doc.prose.count("\n", 0, match.start())
        yield line, {"scheme": match.group(1).lower()}


_UNSAFE_ATTRIBUTE = re.compile(
    r"\b(?:href|src|action|formaction|data|poster)\s*=\s*[\"']?\s*(javascript|vbscript|data)\s*:", re.I
)
_PELICAN_LINK = re.compile(r"^\{(filename|static|attach)\}(.*)$")
_OTHER_TARGET = re.compile(r"^(?:#|//|\{\w+\}|\|\w+\|)")


def _internal_path(url: str) -> tuple[str, bool] | None:
    """Return the path an internal link points to, and whether it is written ``{filename}…``.

    ``None`` when the link is not internal.
    """
    path = re.split(r"[?#]", url, maxsplit=1)[0]
    pelican = _PELICAN_LINK.match(path)
    if pelican:
        return pelican.group(2), True
    if markup.scheme(url) or _OTHER_TARGET.match(url) or not path:
        return None
    return path, False


def link_target(url: str, source_path: str, root: str) -> tuple[str, str, str] | None:
    """Return what an internal link's existence is decided by; ``None`` when it is not internal.

    ``("path", absolute path, "")``: a file or folder of the content (``site.paths``);
    ``("url", first segment, site path)``: a site path, looked up only when its first segment
    names content (``site.url_roots``), then in ``site.article_urls``. ``portal.check`` keeps
    these per file to know whose findings a new, moved or deleted file can change.
    """
    internal = _internal_path(url)
    if internal is None:
        return None
    path, pelican = internal
    if not pelican and path.startswith("/") and not path.startswith(("/images/", "/files/")):
        first = PurePosixPath(path).parts[1:2]
        return ("url", first[0], path.rstrip("/") + "/") if first else None
    base = root if path.startswith("/") else os.path.dirname(os.path.abspath(source_path))
    return "path", os.path.normpath(os.path.join(base, path.lstrip("/"))), ""


def _target_exists(doc: Document, site: Site, url: str) -> bool | None:
    """Whether an internal link target exists; ``None`` when the link is not internal."""
    target = link_target(url, doc.source.path, site.root)
    if target is None:
        return None
    kind, where, page = target
    if kind == "url":
        return page in site.article_urls if where in site.url_roots else None
    return where in site.paths


# When portal/media.py is merged, Markdown images and links to files/ are its rules
# (image-missing, attachment-missing…); a body link is then reported once, by its owner.
MEDIA_OWNS_MARKDOWN_MEDIA = importlib.util.find_spec(f"{__package__}.media") is not None
_MEDIA_PREFIX = re.compile(r"^(?:\{static\}|\{attach\})?/?files/")


def _owned_by_media(link: markup.Link) -> bool:
    return MEDIA_OWNS_MARKDOWN_MEDIA and link.markdown and (link.image or bool(_MEDIA_PREFIX.match(link.url)))


def followed_links(links: list[markup.Link]) -> list[markup.Link]:
    """Return the links ``broken_link`` may look up: internal ones (what a ``Record`` keeps)."""
    return [
        link
        for link in links
        if link.url and markup.scheme(link.url) not in UNSAFE_SCHEMES and _internal_path(link.url) is not None
    ]


def broken_link(doc: Document, site: Site) -> Iterator[Hit]:
    """Find ``{filename}``, ``{static}``, relative and site-absolute links to nothing."""
    for link in followed_links(doc.links):
        if _owned_by_media(link):
            continue
        if _target_exists(doc, site, link.url) is False:
            yield link.line, {"url": link.url}


def unknown_related(doc: Document, site: Site) -> Iterator[Hit]:
    """``Related`` slugs that are no article or page."""
    for slug in doc.values.get("related") or []:
        if slugify(slug) in site.slugs:
            continue
        close = difflib.get_close_matches(slugify(slug), site.slugs, n=1, cutoff=0.75)
        hint = f' Có phải ý bạn là "{close[0]}"?' if close else ""
        yield _line(doc, "related"), {"slug": slug, "hint": hint}
