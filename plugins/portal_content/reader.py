"""The Markdown reader of the portal: strict metadata, NFC text, one reused Markdown instance."""

from __future__ import annotations

import os
from pathlib import Path

from pelican.readers import BaseReader
from pelican.urlwrappers import Author, Category, Tag

from portal import check
from portal.metadata import ARTICLE, PAGE, sections_from_settings
from portal.render import DocumentCache, DocumentParser, Job, fingerprint
from portal.sanitize import SANITIZED, own_host
from portal.text import slugify

from . import readahead
from .settings import validate

FINDINGS_KEY = "_portal_findings"


def document_cache(settings) -> DocumentCache:
    """Return the parse cache of this build: ``CACHE_PATH/documents``, salted by the reader config."""
    folder = None
    if validate(settings)["PORTAL_DOCUMENT_CACHE"]:  # on by default (a missing key is not "off")
        folder = os.path.join(settings["CACHE_PATH"], "documents")
    salt = fingerprint(settings["MARKDOWN"], sections_from_settings(settings["SECTIONS"]))
    return DocumentCache(folder, salt)


def kind_of(path: str, settings) -> str:
    """Articles live under the first ``ARTICLE_PATHS`` folder; everything else is a page."""
    articles = os.path.abspath(os.path.join(settings["PATH"], settings["ARTICLE_PATHS"][0]))
    return ARTICLE if os.path.abspath(path).startswith(articles + os.sep) else PAGE


_AHEAD: readahead.ReadAhead | None = None  # this build's read-ahead pool, while it runs
_AHEAD_SETTINGS: dict | None = None  # the settings of the build it reads for: only its readers take


def warm_cache(settings, kept: frozenset[str] = frozenset(), order=()) -> int:
    """Start parsing every content file the build will read, on all cores, ahead of Pelican.

    ``kept``: absolute paths of files the build will not read (the articles kept between builds).
    ``order``: absolute paths in the order the build reads them (the articles generator's
    listing, which then stands for the article folders: they are not walked again); the other
    files follow in path order. Returns how many files the pool prepares (0: none, the build
    reads each file itself). See ``readahead``.
    """
    global _AHEAD, _AHEAD_SETTINGS  # noqa: PLW0603 (one read-ahead per build, taken by its readers)
    finish_reading()
    root = settings["PATH"]
    folders = [*([] if order else settings["ARTICLE_PATHS"]), *settings["PAGE_PATHS"]]
    found = {os.path.abspath(p) for f in folders for p in Path(root, f).rglob("*.md")}
    found = found.union(p for p in order if p.endswith(".md")).difference(kept)
    listed = [p for p in dict.fromkeys(order) if p in found]
    paths = [*listed, *sorted(found.difference(listed))]
    jobs = [Job(p, display_path(p), kind_of(p, settings)) for p in paths]
    sections = sections_from_settings(settings["SECTIONS"])
    sanitized = "portal_security" in [str(name).rsplit(".", 1)[-1] for name in settings.get("PLUGINS") or ()]
    host = own_host(settings) if sanitized else None
    _AHEAD = readahead.start(jobs, (settings["MARKDOWN"], sections, host), document_cache(settings))
    _AHEAD_SETTINGS = settings
    return len(jobs) if _AHEAD is not None else 0


def finish_reading() -> None:
    """Stop this build's read-ahead pool, if any, and drop what it made that nobody took."""
    global _AHEAD  # noqa: PLW0603
    if _AHEAD is not None:
        _AHEAD.close()
        _AHEAD = None
    check.PREPARED.clear()


class PortalReader(BaseReader):
    """Reads ``.md`` files laid out as DESIGN.md says, reporting every problem as a finding.

    Files with an error that leaves no usable page (no title, date or section) get status
    ``skip``; the build gate then decides, from the findings, whether the build may go on.
    """

    enabled = True
    file_extensions = ["md"]

    def __init__(self, settings):
        super().__init__(settings)
        self._parser = None
        self._cache = document_cache(settings)
        # One taxonomy object per kind, name and slug for every file read: Pelican compares them
        # by slug, and a few hundred shared objects hold less than a few per article (as the
        # articles kept between builds already share theirs, ``portal_perf.article_cache``).
        self._wrappers: dict[tuple, object] = {}

    def _parse(self, source_path: str):
        prepared = None
        if _AHEAD is not None and _AHEAD_SETTINGS is self.settings:  # never another build's
            prepared = _AHEAD.take(source_path)
        if prepared is not None:
            return self._take(source_path, prepared)
        with open(source_path, "rb") as handle:
            raw = handle.read()
        display, kind = display_path(source_path), kind_of(source_path, self.settings)
        key = self._cache.key(display, kind, raw)
        parsed = self._cache.load(key)
        if parsed is None:
            if self._parser is None:
                sections = sections_from_settings(self.settings["SECTIONS"])
                self._parser = DocumentParser(self.settings["MARKDOWN"], sections)
            parsed = self._parser.parse(display, raw, kind)
            self._cache.store(key, parsed)
        return parsed

    def _take(self, source_path: str, prepared: readahead.Prepared):
        """Use what the read-ahead made of a file: its parse, and its record and body for later steps."""
        parsed = prepared.parsed
        display, kind = display_path(source_path), kind_of(source_path, self.settings)
        check.PREPARED[(display, kind, bytes.fromhex(parsed.source_hash))] = prepared.record
        if prepared.sanitized is not None:
            SANITIZED.offer(parsed.html, own_host(self.settings), prepared.sanitized)
        return parsed

    def read(self, source_path):
        """Return ``(html, metadata)`` of one file; findings travel in the metadata."""
        parsed = self._parse(source_path)
        metadata = self._pelican_metadata(parsed.values, source_path)
        if not parsed.usable:
            metadata["status"] = "skip"
        metadata[FINDINGS_KEY] = parsed.findings
        metadata["field_lines"] = parsed.field_lines
        metadata["source_hash"] = parsed.source_hash
        return parsed.html, metadata

    def _pelican_metadata(self, values: dict, source_path: str) -> dict:
        """Turn typed values into what Pelican's content classes expect."""
        metadata = dict(values)
        section = metadata.pop("category", None)
        if section is not None:
            metadata["category"] = self._wrap(Category, section.name, section.slug)
        if "tags" in metadata:
            metadata["tags"] = [self._wrap(Tag, name) for name in values["tags"]]
        if "authors" in metadata:
            metadata["authors"] = [self._wrap(Author, name) for name in values["authors"]]
        stem = os.path.splitext(os.path.basename(source_path))[0]
        metadata["slug"] = slugify(values.get("slug") or stem)
        metadata.setdefault("lang", self.settings["DEFAULT_LANG"])
        return metadata

    def _wrap(self, cls, name: str, slug: str | None = None):
        """Return the Pelican taxonomy object of ``name``, its slug by the portal's slug rule."""
        key = (cls, name, slug)
        wrapper = self._wrappers.get(key)
        if wrapper is None:
            wrapper = self._wrappers[key] = cls(name, self.settings)
            wrapper.slug = slug or slugify(name)
        return wrapper


def display_path(path: str) -> str:
    """Return ``path`` as editors see it: relative to the working directory when inside it."""
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative
