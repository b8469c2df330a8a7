"""Writes the search page and the static search index of the published articles.

``get_generators`` adds ``SearchGenerator``: after Pelican's article generator has run, it takes
the published articles (never drafts, hidden or future ones, which Pelican keeps out of
``context["articles"]``), builds the sharded index with ``portal.search`` and writes it, then
renders ``search.html`` to ``<PORTAL_SEARCH_DIR>/index.html``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from pathlib import Path

from pelican import signals
from pelican.generators import Generator

from portal.buildcache import BuildCache
from portal.output import write_output
from portal.search import (
    Analysis,
    IndexLayout,
    SearchDocument,
    analyse,
    analysis_salt,
    build_index,
    plain_text,
)

from .settings import validate

logger = logging.getLogger(__name__)
# The index files, all named by content, live apart from the page: a deploy keeps this folder of
# every release available (portal/cluster.py ASSET_FOLDERS), as it does theme/, so a page of the
# release before a switch still finds its index.
DATA = "data"


def check_settings(pelican) -> None:
    """Fail early on a malformed or unknown ``PORTAL_SEARCH_*`` setting."""
    validate(pelican.settings)


def document(article, body: bool = True) -> SearchDocument:
    """Return what the index keeps of a Pelican article: its text, not navigation or footers."""
    return SearchDocument(
        url=article.url,
        title=article.title,
        section=article.category.slug,
        date=article.date,
        summary=plain_text(str(getattr(article, "summary", "") or "")),
        body=plain_text(article.content or "") if body else "",
    )


class AnalysisCache:
    """Each article's tokens (``portal.search.Analysis``) between builds, keyed by its texts.

    Tokenising every article again was most of an index rebuild; the index files themselves are
    still assembled whole (a shard mixes terms of every article).
    """

    def __init__(self, path: str | None) -> None:
        self.kept = BuildCache(path)
        self._by_document: dict[int, tuple[bytes, Analysis | None]] = {}

    def document(self, article) -> SearchDocument:
        """Return the article's search document; its body is left out when its tokens are known."""
        title, summary = article.title, str(getattr(article, "summary", "") or "")
        content = article.content or ""
        key = hashlib.sha256(f"{analysis_salt()}\0{title}\0{summary}\0{content}".encode()).digest()
        known = self.kept.get(key, None)
        doc = document(article, body=known is None)
        self._by_document[id(doc)] = (key, known)
        return doc

    def __call__(self, doc: SearchDocument) -> Analysis:
        """Return the analysis of a document made by ``document``: cached, or computed now."""
        key, known = self._by_document.get(id(doc), (None, None))
        if known is not None:
            return known
        analysis = analyse(doc)
        if key is not None:
            self.kept.put(key, analysis)
        return analysis

    def save(self) -> None:
        """Keep this build's analyses (articles that are gone are forgotten)."""
        self.kept.save()


class SearchGenerator(Generator):
    """Builds the index from the published articles and writes it with the search page."""

    def generate_context(self):
        """Nothing to add: the articles are read in ``generate_output``, once every generator ran."""

    def generate_output(self, writer):
        """Write the index files, drop the ones an earlier build left, then render the page."""
        options = validate(self.settings)
        folder = options["PORTAL_SEARCH_DIR"].strip("/")
        started = time.perf_counter()
        folder_cache = self.settings.get("CACHE_PATH")
        cache = AnalysisCache(os.path.join(folder_cache, "search-analyses.sqlite") if folder_cache else None)
        documents = [cache.document(a) for a in self.context.get("articles", [])]
        layout = IndexLayout(options["PORTAL_SEARCH_CHUNK_SIZE"], options["PORTAL_SEARCH_SHARD_BYTES"])
        manifest, files = build_index(documents, self.settings.get("SECTIONS", []), layout, cache)
        cache.save()
        for name, data in files.items():
            write_output(self.output_path, f"{folder}/{DATA}/{name}", data)
        removed = _remove_stale(Path(self.output_path) / folder / DATA, set(files))
        logger.info(
            "portal_search: %d bài, %d tệp chỉ mục (%d tệp cũ đã xóa) trong %.2f s",
            len(documents),
            len(files),
            removed,
            time.perf_counter() - started,
        )
        writer.write_file(
            f"{folder}/index.html",
            self.get_template("search"),
            self.context,
            relative_urls=self.settings.get("RELATIVE_URLS", False),
            SEARCH_INDEX_URL=f"{folder}/{DATA}/{manifest}",
            SEARCH_URL=f"{folder}/",
        )


def _remove_stale(root: Path, current: set[str]) -> int:
    """Delete index files of earlier builds, with their compressed copies (names never match)."""
    removed = 0
    for path in [p for p in root.rglob("*") if p.is_file()]:
        name = path.relative_to(root).as_posix().removesuffix(".gz").removesuffix(".br")
        if name not in current:
            path.unlink()
            removed += 1
    return removed


def get_generators(pelican):
    """Return the search generator (a class: Pelican instantiates it)."""
    return SearchGenerator


def register():
    """Connect the handlers."""
    signals.initialized.connect(check_settings)
    signals.get_generators.connect(get_generators)
