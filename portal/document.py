"""What the content rules read: one document (a parsed content file) and the site around it."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path

from . import markup
from .metadata import ARTICLE, Section
from .source import Source
from .text import fold, slugify

Hit = tuple[int, dict]


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


@dataclass
class Site:
    """What rules that look beyond one file need: every document, the content folder, now."""

    content: Path
    sections: list[Section]
    documents: list[Document]
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
            prefix = f"/{section.slug}" if doc.kind == ARTICLE and section else ""
            urls.add(f"{prefix}/{doc.slug}/")
        return urls

    @cached_property
    def spellings(self) -> dict[tuple[str, str], tuple[str, str]]:
        """First spelling (by path) of each folded tag and author name, with its file."""
        first: dict[tuple[str, str], tuple[str, str]] = {}
        for doc in self.documents:
            for key in ("tags", "authors"):
                for name in doc.values.get(key) or []:
                    first.setdefault((key, fold(name)), (name, doc.source.path))
        return first
