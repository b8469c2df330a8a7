"""``invoke check``: read every content file as the build does and report every finding.

Three sources of findings, the same as in a build: what reading a file reports
(``portal/source.py``, ``portal/metadata.py``), slug collisions (``portal/collisions.py``), and
the rule table (``portal/rules.py``, run in the build by ``plugins/portal_checks``). Image and
attachment rules come from ``portal/media.py`` when it is there (the images plugin owns them).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from . import collisions, rules
from .buildcache import BuildCache
from .document import Document, Site
from .findings import Finding
from .metadata import ARTICLE, PAGE, Section, parse_metadata
from .source import decode
from .text import TIMEZONE

try:  # the images plugin's Pelican-free checks, when merged
    from .media import check_media
except ImportError:  # pragma: no cover (depends on what is merged)
    check_media = None


def display_path(path: Path) -> str:
    """Return ``path`` relative to the working directory when inside it."""
    relative = os.path.relpath(path)
    return str(path) if relative.startswith("..") else relative


def read_document(path: Path, kind: str, sections: list[Section]) -> Document:
    """Read one file as the build's reader does, keeping its pre-NFC text when that differs."""
    raw = path.read_bytes()
    source = decode(display_path(path), raw)
    values = parse_metadata(source, kind, sections) if source.text else {}
    original = None
    if not source.was_nfc:
        original = raw.decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")
    return Document(source, kind, values, original)


def read_tree(
    content: Path, article_dir: str, page_dir: str, sections: list[Section], cache: CheckCache | None = None
):
    """Read every ``.md`` file under the article and page folders, in path order."""
    documents = []
    for kind, folder in ((ARTICLE, article_dir), (PAGE, page_dir)):
        for path in sorted((content / folder).rglob("*.md")):
            if cache is None:
                documents.append(read_document(path, kind, sections))
                continue
            raw = path.read_bytes()
            key = (display_path(path), kind, hashlib.sha256(raw).digest())
            doc = cache.document(key)
            if doc is None:
                doc = cache.add(key, read_document(path, kind, sections))
            documents.append(doc)
    return documents


class CheckCache:
    """Documents read, and their findings that depend on nothing but the file, kept between builds.

    Keyed by path, kind and the file's bytes; the whole cache is dropped when the code of the
    checks (``portal/``) or the sections change. Findings of rules that look at other files or at
    the date (``rules.SITE_RULES``) are never cached: they run on every build.
    """

    def __init__(self, path: Path | None, salt: str) -> None:
        self.salt = salt  # part of every key: a new salt leaves the old entries unused, then gone
        self.kept = BuildCache(path)
        self._entries: dict[int, tuple[tuple, list[Finding] | None]] = {}  # id(doc) → (key, findings)

    def document(self, key: tuple) -> Document | None:
        """Return the document read from these exact bytes by an earlier build, if any."""
        entry = self.kept.get((self.salt, *key), None)
        if entry is None:
            return None
        self._entries[id(entry[0])] = ((self.salt, *key), entry[1])
        return entry[0]

    def add(self, key: tuple, doc: Document) -> Document:
        """Remember a document just read."""
        self.kept.put((self.salt, *key), (doc, None))
        self._entries[id(doc)] = ((self.salt, *key), None)
        return doc

    def local_findings(self, doc: Document, compute) -> list[Finding]:
        """Return the file-only findings of ``doc``: cached, or ``compute()``d and remembered."""
        key, found = self._entries.get(id(doc), (None, None))
        if found is not None:
            return found
        found = compute()
        if key is not None:
            self.kept.replace(key, (doc, found))
            self._entries[id(doc)] = (key, found)
        return found

    def save(self) -> None:
        """Keep what this build read (files that are gone are forgotten); unchanged, nothing is written."""
        self.kept.save()


def check_salt(tree: Tree) -> str:
    """Hash what invalidates every cached check: the checks' code and the content model's settings."""
    digest = hashlib.sha256(repr((tree.sections, tree.document_section)).encode())
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class Tree:
    """Where the content is and what it may hold: read from the settings by each caller."""

    content: Path
    article_dir: str
    page_dir: str
    sections: list[Section]
    document_section: str | None = None  # DOCUMENT_SECTION: where documents need a Doc_number


def make_site(tree: Tree, now: datetime | None = None, cache: CheckCache | None = None) -> Site:
    """Read the tree into what the rule table runs over."""
    documents = read_tree(tree.content, tree.article_dir, tree.page_dir, tree.sections, cache)
    return Site(tree.content, tree.sections, documents, now or datetime.now(TIMEZONE), tree.document_section)


def _entries(documents: list[Document]) -> list[collisions.Entry]:
    entries = []
    for doc in documents:
        if doc.kind != ARTICLE or "title" not in doc.values or "category" not in doc.values:
            continue
        entries.append(
            collisions.Entry(
                doc.source.path,
                f"{doc.values['category'].slug}/{doc.slug}/",
                doc.values["title"],
                doc.source.line_of("slug") if "slug" in doc.source.fields else 1,
                doc.source.line_of("title"),
            )
        )
    return entries


def media_findings(site: Site) -> list[Finding]:
    """Image and attachment findings of ``portal/media.py``, or none when it is not merged."""
    if check_media is None:
        return []
    return list(check_media(site.content, [doc for doc in site.documents if doc.source.text]))


def check_tree(tree: Tree, now: datetime | None = None) -> list[Finding]:
    """Return every finding of every file under ``tree.content``, sorted by path and line."""
    site = make_site(tree, now)
    found = [f for doc in site.documents for f in doc.source.findings]
    found.extend(collisions.find(_entries(site.documents))[0])
    found.extend(rules.run(site))
    found.extend(media_findings(site))
    return sorted(set(found))
