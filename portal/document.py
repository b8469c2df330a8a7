"""What the content rules read: one document (a parsed content file) and the site around it."""

from __future__ import annotations

import os
from dataclasses import astuple, dataclass, field
from datetime import datetime
from functools import cached_property, lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from . import markup
from .findings import Finding
from .metadata import ARTICLE, Section
from .source import Source
from .text import fold, slugify

Hit = tuple[int, dict]

# Tag and author names repeat across thousands of files: fold each distinct one once per process.
folded = lru_cache(maxsize=16384)(fold)

# What the cross-file rules (``rules.SITE_RULES``), slug collisions and ``portal/media.py`` read
# of a file's typed header values; a ``Record`` keeps these and nothing else of the values.
RECORD_VALUES = (
    "title",
    "slug",
    "date",
    "status",
    "category",
    "doc_number",
    "tags",
    "authors",
    "related",
    "image",
    "image_alt",
    "attachments",
)


@dataclass
class Document:
    """One content file as the rules see it: parsed header and body, and its text before NFC."""

    source: Source
    kind: str
    values: dict = field(default_factory=dict)
    original: str | None = None  # the decoded text before NFC, kept only when it differs

    @property
    def slug(self) -> str:
        """The URL slug the build gives this file."""
        return slugify(self.values.get("slug") or Path(self.source.path).stem)

    @cached_property
    def header_lines(self) -> list[tuple[int, str]]:
        """The header's lines with their numbers."""
        lines = self.source.text.split("\n")[: max(self.source.body_line - 2, 0)]
        return list(enumerate(lines, start=1))

    @cached_property
    def prose(self) -> str:
        """The body with code blanked out (line numbers kept)."""
        return markup.strip_code(self.source.body)

    @cached_property
    def tags(self) -> list[markup.Tag]:
        """Raw HTML start tags of the body."""
        return markup.tags(self.prose, self.source.body_line)

    @cached_property
    def links(self) -> list[markup.Link]:
        """Link and image targets of the body, from Markdown and from raw HTML."""
        return markup.links(self.prose, self.source.body_line, self.tags)


@dataclass(eq=False)
class Record:
    """What is kept of one file once its file-only rules ran: small, cached between builds.

    It answers the rules that look across files as the ``Document`` it was made from does
    (``source.path``, ``source.line_of``, ``values``, ``links``, ``slug``, ``kind``), without the
    file's text: a build holds one record per file, never every file's text at once. ``read`` are
    the findings of reading the file, ``local`` those of the rules that look at nothing but it.
    """

    path: str
    kind: str
    values: dict
    fields: dict[str, int]  # header key (lower-case) -> line
    body_line: int
    has_text: bool
    slug: str
    links: list[markup.Link]  # only links a cross-file rule may follow (internal targets)
    read: list[Finding]
    local: list[Finding]

    @property
    def source(self) -> Record:
        """The record itself: rules name ``doc.source.path`` and ``doc.source.line_of``."""
        return self

    def line_of(self, key: str) -> int:
        """Return the line of header ``key``, or the line after the header when it is absent."""
        found = self.fields.get(key)
        return found if found is not None else max(self.body_line - 1, 1)

    def __reduce__(self):
        """Pickle as plain tuples: a build loads one record per file, so loading must be cheap."""
        links = tuple((link.url, link.line, link.markdown, link.image) for link in self.links)
        findings = tuple(tuple(astuple(f) for f in found) for found in (self.read, self.local))
        values = tuple(_pack(key, value) for key, value in self.values.items())
        fields = (self.path, self.kind, self.fields, self.body_line, self.has_text, self.slug)
        return _unpickle_record, (fields, values, links, findings)


_AWARE, _SECTION = 1, 2  # how ``_pack`` wrote a value: a datetime in a named zone, a section


def _pack(key: str, value) -> tuple:
    if isinstance(value, datetime) and isinstance(value.tzinfo, ZoneInfo) and value.tzinfo.key:
        return key, _AWARE, value.replace(tzinfo=None), value.tzinfo.key
    if type(value) is Section:
        return key, _SECTION, value.slug, value.name
    return key, 0, value, None


def _unpack(kind: int, value, extra):
    if kind == _AWARE:
        return value.replace(tzinfo=ZoneInfo(extra))  # ZoneInfo keeps one instance per key
    if kind == _SECTION:
        return Section(value, extra)
    return value


def _unpickle_record(fields, values, links, findings) -> Record:
    path, kind, lines, body_line, has_text, slug = fields
    return Record(
        path,
        kind,
        {key: _unpack(code, value, extra) for key, code, value, extra in values},
        lines,
        body_line,
        has_text,
        slug,
        [markup.Link(*link) for link in links],
        *([Finding(*f) for f in found] for found in findings),
    )


def site_path(kind: str, section: str | None, slug: str) -> str:
    """Return a site path: ``/<section>/<slug>/`` for an article in a section, else ``/<slug>/``."""
    return f"/{section}/{slug}/" if kind == ARTICLE and section else f"/{slug}/"


@dataclass
class Site:
    """What rules that look beyond one file need: every document, the content folder, now."""

    content: Path
    sections: list[Section]
    documents: list[Document | Record]
    now: datetime
    document_section: str | None = None  # DOCUMENT_SECTION: where documents need a Doc_number

    @cached_property
    def root(self) -> str:
        """The content folder, absolute."""
        return os.path.abspath(self.content)

    @cached_property
    def paths(self) -> frozenset[str]:
        """Every file and folder under the content folder, absolute (links resolve against it)."""
        found = set()
        for folder, folders, files in os.walk(self.root):
            found.update(os.path.join(folder, name) for name in (*folders, *files))
        return frozenset(found)

    @cached_property
    def url_roots(self) -> frozenset[str]:
        """First segments of site paths that name content: section slugs and page slugs."""
        return frozenset({s.slug for s in self.sections} | set(self.slugs))

    @cached_property
    def slugs(self) -> dict[str, str]:
        """Every article and page slug, mapped to its file."""
        found: dict[str, str] = {}
        for doc in self.documents:
            found.setdefault(doc.slug, doc.source.path)
        return found

    @cached_property
    def article_urls(self) -> set[str]:
        """Site paths of articles (``/thanh-tra/slug/``) and pages (``/slug/``)."""
        urls = set()
        for doc in self.documents:
            section = doc.values.get("category")
            urls.add(site_path(doc.kind, section.slug if section else None, doc.slug))
        return urls

    @cached_property
    def spellings(self) -> dict[tuple[str, str], tuple[str, str]]:
        """First spelling (by path) of each folded tag and author name, with its file."""
        first: dict[tuple[str, str], tuple[str, str]] = {}
        for doc in self.documents:
            for key in ("tags", "authors"):
                for name in doc.values.get(key) or []:
                    first.setdefault((key, folded(name)), (name, doc.source.path))
        return first
