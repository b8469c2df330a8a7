"""``invoke check``: read every content file as the build does and report every finding."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from . import collisions
from .findings import WARNING, Finding
from .metadata import ARTICLE, PAGE, Section, parse_metadata
from .source import Source, decode
from .text import slugify


@dataclass
class Document:
    """One content file as the checks see it."""

    source: Source
    kind: str
    values: dict = field(default_factory=dict)

    @property
    def slug(self) -> str:
        """The URL slug the build will give this file."""
        return slugify(self.values.get("slug") or Path(self.source.path).stem)


def display_path(path: Path) -> str:
    """Return ``path`` relative to the working directory when inside it."""
    relative = os.path.relpath(path)
    return str(path) if relative.startswith("..") else relative


def read_tree(content: Path, article_dir: str, page_dir: str, sections: list[Section]):
    """Read every ``.md`` file under the article and page folders, in path order."""
    documents = []
    for kind, folder in ((ARTICLE, article_dir), (PAGE, page_dir)):
        for path in sorted((content / folder).rglob("*.md")):
            source = decode(display_path(path), path.read_bytes())
            values = parse_metadata(source, kind, sections) if source.text else {}
            documents.append(Document(source, kind, values))
    return documents


def nfc_rule(document: Document) -> list[Finding]:
    """Text not in NFC is normalised by the build, but editors should know their tool makes it."""
    if document.source.was_nfc:
        return []
    return [Finding(
        document.source.path, 1, WARNING, "not-nfc",
        "Tệp có chữ tiếng Việt dạng tổ hợp (NFD), thường do bộ gõ hoặc sao chép từ PDF. "
        "Bản dựng tự chuẩn hóa sang NFC; nên lưu lại tệp ở dạng dựng sẵn (NFC).",
    )]


def _entries(documents: list[Document]) -> list[collisions.Entry]:
    entries = []
    for doc in documents:
        if doc.kind != ARTICLE or "title" not in doc.values or "category" not in doc.values:
            continue
        entries.append(collisions.Entry(
            doc.source.path, f"{doc.values['category'].slug}/{doc.slug}/", doc.values["title"],
            doc.source.line_of("slug") if "slug" in doc.source.fields else 1,
            doc.source.line_of("title"),
        ))
    return entries


def check_tree(content: Path, article_dir: str, page_dir: str, sections: list[Section]):
    """Return every finding of every file under ``content``, sorted by path and line."""
    documents = read_tree(content, article_dir, page_dir, sections)
    found = [f for doc in documents for f in doc.source.findings]
    for doc in documents:
        found.extend(nfc_rule(doc))
    found.extend(collisions.find(_entries(documents))[0])
    return sorted(found)
