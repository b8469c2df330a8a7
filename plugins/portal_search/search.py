"""Writes the search page and the static search index of the published articles.

``get_generators`` adds ``SearchGenerator``: after Pelican's article generator has run, it takes
the published articles (never drafts, hidden or future ones, which Pelican keeps out of
``context["articles"]``), builds the sharded index with ``portal.search`` and writes it, then
renders ``search.html`` to ``<PORTAL_SEARCH_DIR>/index.html``.

The index is built in another process started once the article pages are written
(``article_writer_finalized``, see ``start_index``), on the second core while this one writes the
feeds, API and sitemaps; the generator collects it (the files it wrote, recorded as produced)
before rendering the page, and its failure stops the build with its reason. A whole build (no
state to update: a cold build) runs in a fresh interpreter fed with copies of the articles, their
bodies in a file it reads one at a time; an update runs in a fork of the build, which reads only
what changed. Without ``os.fork`` or a second core the generator builds it itself.

A rebuild does only what changed: the index's state (``portal.search.IndexState``) is kept in
Pelican's cache folder, and when every file the last build wrote is still intact in the output
(each file's name carries a hash of its bytes, checked), ``portal.search.update`` rewrites the
shards and chunks an edit touches; a no-change build writes nothing and only records the files as
produced. Anything else (no state, other settings or code, a damaged or missing file, an article
inserted or deleted in the middle of the archive, a change in the number of shards) builds the
index whole, with the same bytes.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import os
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

from pelican import signals
from pelican.generators import Generator

from portal.buildcache import BuildCache, read_pickle, write_pickle
from portal.forked import ChildError, Forked, Fresh, abandon_all, can_fork
from portal.incremental import OUTPUTS
from portal.output import target, write_output
from portal.search import (
    Analysis,
    IndexLayout,
    IndexSetup,
    IndexState,
    SearchDocument,
    Source,
    analyse,
    analysis_salt,
    assemble,
    intact,
    plain_text,
    update,
    words_text,
)

from .settings import PREFIX, validate

logger = logging.getLogger(__name__)
# The index files, all named by content, live apart from the page: a deploy keeps this folder of
# every release available (portal/cluster.py ASSET_FOLDERS), as it does theme/, so a page of the
# release before a switch still finds its index.
DATA = "data"
STATE = "search-index.pickle"  # in CACHE_PATH: the last index's state (portal.search.IndexState)
ANALYSES = "search-analyses.sqlite"  # in CACHE_PATH: each article's tokens
SOURCES = "search-sources.pickle"  # in CACHE_PATH: kept articles' sources by file key (``_Sources``)


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
        body=words_text(article.content or "") if body else "",  # tokenised only
    )


def _body(article) -> str | bytes:
    """Return ``article.content``, or a digest naming it without reading it (``portal_body_digest``).

    ``portal_perf`` keeps unchanged articles' bodies on disk: reading every one to key its tokens
    would load them all on every build.
    """
    digest = getattr(article, "portal_body_digest", None)
    return article.content if digest is None else digest


class _Analyses(BuildCache):
    """The analyses' store, told which keys to keep when a build asked only for the changed ones."""

    def retain(self, keys) -> None:
        """Keep exactly ``keys`` at ``save`` (an edited article's old analysis is forgotten).

        ``BuildCache`` keeps what a build asked for; an incremental index asks only for the
        analyses of changed articles, yet every article's stays valid.
        """
        self._used = set(keys)


class AnalysisCache:
    """Each article's tokens (``portal.search.Analysis``) between builds, keyed by its texts.

    The store is opened only when an analysis is asked for: a no-change rebuild never opens it.
    """

    def __init__(self, path: str | None, index: str | None = None) -> None:
        self.path = path
        self.index = index  # the folder of the last build's index files (``read``)
        self._kept: _Analyses | None = None

    @property
    def kept(self) -> _Analyses:
        """The store, opened on first use."""
        if self._kept is None:
            self._kept = _Analyses(self.path)
        return self._kept

    def source(self, article) -> Source:
        """Return the article as the index sees it: its place, its digests, its text on demand."""
        title, summary = article.title, str(getattr(article, "summary", "") or "")
        url, date, section = article.url, article.date, article.category.slug
        key = hashlib.sha256(f"{analysis_salt()}\0{title}\0{summary}\0".encode())
        body = _body(article)  # the body alone (or its digest): no copy of it joined to the rest
        key.update(b"d" + body if isinstance(body, bytes) else b"t" + (body or "").encode())
        row = hashlib.sha256(f"{url}\0{title}\0{section}\0{date.isoformat()}\0{summary}".encode()).digest()
        return Source(url, date, section, key.digest(), row, functools.partial(document, article))

    def analysis(self, source: Source) -> Analysis:
        """Return a source's analysis: stored by an earlier build, or computed now (and stored)."""
        known = self.kept.get(source.key, None)
        if known is None:
            known = analyse(source.document(True))
            self.kept.put(source.key, known)
        return known

    def earlier(self, key: bytes) -> Analysis | None:
        """Return the analysis stored under a key of the previous build, if it is still there."""
        return self.kept.get(key, None)

    def read(self, name: str) -> bytes | None:
        """Return the bytes of a file of the last build's index in the output, if it can be read."""
        return _read(os.path.join(self.index, name)) if self.index else None

    def save(self, keys) -> None:
        """Keep the analyses of this build's articles, forget the others (only if the store was opened)."""
        if self._kept is not None:
            self._kept.retain(keys)
            self._kept.save()
            self._kept.close()


class _Sources:
    """The sources of the last build's kept articles, by the key of the file each was read from.

    A kept article whose file alone decides it (``portal_file_key``, see ``portal_perf``) has the
    source an earlier build made of the same file under the same code: its URL, date, section and
    digests are taken back instead of made again (0.2 s at 10,000 articles, in the process that
    writes the index beside the pages). Any other article's source is made, and kept when it has
    a file key. The file holds only this build's articles, and is written only when they changed.
    """

    def __init__(self, path: str | None, cache: AnalysisCache) -> None:
        self.path, self.cache = path, cache
        self.salt = f"{analysis_salt()}\0{_code_salt()}"
        found = read_pickle(path)
        valid = isinstance(found, tuple) and len(found) == 2 and found[0] == self.salt
        self.known: dict[bytes, tuple] = found[1] if valid and isinstance(found[1], dict) else {}
        self.used: dict[bytes, tuple] = {}

    def source(self, article) -> Source:
        """Return the article's source: the one kept under its file key, or one made now."""
        key = getattr(article, "portal_file_key", None)
        if not isinstance(key, bytes):  # no file key: made now, not kept
            return self.cache.source(article)
        kept = self.known.get(key)
        if kept is not None:
            self.used[key] = kept
            return Source(*kept, functools.partial(document, article))
        made = self.cache.source(article)
        self.used[key] = (made.url, made.date, made.section, made.key, made.row)
        return made

    def save(self) -> None:
        """Keep this build's sources, if they are not those already kept."""
        if self.path and self.used.keys() != self.known.keys():
            with contextlib.suppress(OSError):
                write_pickle(self.path, (self.salt, self.used))


@functools.lru_cache(maxsize=1)
def _code_salt() -> str:
    """Hash of this module: how it reads an article is part of what the index depends on."""
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()


def _load_state(path: str | None) -> IndexState | None:
    state = read_pickle(path or None)
    return state if isinstance(state, IndexState) else None


def _setup(settings) -> tuple[str, IndexSetup]:
    """Return the index's folder and everything besides the articles its files depend on."""
    options = validate(settings)
    folder = options["PORTAL_SEARCH_DIR"].strip("/")
    layout = IndexLayout(options["PORTAL_SEARCH_CHUNK_SIZE"], options["PORTAL_SEARCH_SHARD_BYTES"])
    sections = tuple(map(tuple, settings.get("SECTIONS", [])))
    return folder, IndexSetup(sections, layout, f"{_code_salt()}\0{folder}")


def _updatable(settings, setup: IndexSetup) -> IndexState | None:
    """Return the last build's state if this code could update it (its files are checked later)."""
    cache_folder = settings.get("CACHE_PATH")
    previous = _load_state(os.path.join(cache_folder, STATE) if cache_folder else None)
    if (
        previous is None or getattr(previous, "signature", None) != setup.signature()
    ):  # same code: same fields
        return None
    return previous


def _save_state(path: str | None, state: IndexState) -> None:
    if not path:
        return
    with contextlib.suppress(OSError):
        write_pickle(path, state)


def _read(path: str) -> bytes | None:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError:
        return None


class IndexBuildError(SystemExit):
    """The index could not be built: the build stops with the reason (no traceback for editors)."""


def make_index(settings, output_path: str, articles) -> dict:
    """Build or update the index of ``articles`` and write its files; return what the page and the log need.

    Runs in the forked process (``start_index``) or, without one, in ``generate_output``.
    """
    folder, setup = _setup(settings)
    started = time.perf_counter()
    cache_folder = settings.get("CACHE_PATH")
    root = os.path.join(output_path, folder, DATA)
    cache = AnalysisCache(os.path.join(cache_folder, ANALYSES) if cache_folder else None, root)
    state_path = os.path.join(cache_folder, STATE) if cache_folder else None
    kept = _Sources(os.path.join(cache_folder, SOURCES) if cache_folder else None, cache)
    sources = [kept.source(a) for a in articles]
    previous = _updatable(settings, setup)
    result = None
    if previous is not None and all(intact(name, cache.read(name)) for name in previous.names()):
        result = update(previous, sources, setup, cache)
    whole = result is None
    if whole:
        result = assemble(sources, setup, cache.analysis)
    manifest, files, state = result
    cache.save([s.key for s in sources])
    kept.save()
    real = os.path.dirname(target(output_path, f"{folder}/{DATA}/index.json"))
    for name in state.names():
        if name in files:
            write_output(output_path, f"{folder}/{DATA}/{name}", files[name])
        else:  # kept from the last build, checked intact above
            OUTPUTS.record(os.path.join(real, name))
    removed = _remove_stale(root, set(state.names()))
    if state is not previous:
        _save_state(state_path, state)
    return {
        "manifest": manifest,
        "articles": len(sources),
        "files": len(state.names()),
        "whole": whole,
        "written": len(files),
        "removed": removed,
        "seconds": time.perf_counter() - started,
        "cpu": time.process_time(),  # in a forked process: its own CPU time (a child starts at zero)
    }


class _Job:
    """The index being built by another process (``portal.forked``), for one build's context."""

    def __init__(self, context: dict, child: Forked | Fresh, bodies: _Bodies | None = None) -> None:
        self.context, self.child, self.bodies = context, child, bodies

    def wait(self) -> dict:
        """Return the child's result (``portal.forked.ChildError`` on failure); remove the bodies' file."""
        try:
            return self.child.wait()
        finally:
            self.forget()

    def abandon(self) -> None:
        """Wait for a child whose result nobody will read; remove the bodies' file."""
        self.child.abandon()
        self.forget()

    def forget(self) -> None:
        """Remove the file of bodies a fresh child read (if any)."""
        if self.bodies is not None:
            _remove(self.bodies.path)


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


class _Section(NamedTuple):
    """What the index reads of an article's category."""

    slug: str


class _Bodies:
    """Articles' bodies written one after another into a file, for a fresh process to read one at a time.

    Pickled, it is its path alone: the child holds one body at a time, never all of them.
    """

    def __init__(self, folder: str | None) -> None:
        handle, self.path = tempfile.mkstemp(prefix=".search-bodies-", dir=folder)
        self._file = os.fdopen(handle, "w+b")

    def add(self, body: str) -> tuple[int, int]:
        """Write a body; return where it starts and its length in bytes."""
        data = body.encode("utf-8", "surrogatepass")
        offset = self._file.tell()
        self._file.write(data)
        return offset, len(data)

    def close(self) -> None:
        """Close the file (written whole) in this process."""
        self._file.close()

    def read(self, offset: int, length: int) -> str:
        """Return the body written at ``offset``."""
        if self._file.closed:
            self._file = open(self.path, "rb")  # noqa: SIM115 (open while the index is built)
        self._file.seek(offset)
        return self._file.read(length).decode("utf-8", "surrogatepass")

    def __reduce__(self):
        return _reopened, (self.path,)


def _reopened(path: str) -> _Bodies:
    bodies = _Bodies.__new__(_Bodies)
    bodies.path = path
    bodies._file = open(path, "rb")  # noqa: SIM115 (read while the index is built)
    return bodies


class ArticleCopy(NamedTuple):
    """What the index reads of a Pelican article (``document``, ``AnalysisCache.source``), picklable."""

    url: str
    title: str
    category: _Section
    date: object  # the article's own datetime
    summary: str
    portal_body_digest: bytes | None  # see ``_body``
    bodies: _Bodies
    offset: int
    length: int

    @property
    def content(self) -> str:
        """The body, read from the file the build wrote it into."""
        return self.bodies.read(self.offset, self.length)


def copies(articles, bodies: _Bodies) -> list[ArticleCopy]:
    """Return copies of ``articles`` for a fresh process, their bodies written into ``bodies``."""
    found = []
    for article in articles:
        where = bodies.add(article.content or "")
        summary = str(getattr(article, "summary", "") or "")
        digest = getattr(article, "portal_body_digest", None)
        category = _Section(article.category.slug)
        found.append(
            ArticleCopy(article.url, article.title, category, article.date, summary, digest, bodies, *where)
        )
    bodies.close()
    return found


def _picklable(settings) -> dict:
    """Return the settings ``make_index`` reads (the build's whole dictionary holds functions)."""
    found = {key: value for key, value in settings.items() if key.startswith(PREFIX)}
    found.update((key, settings[key]) for key in ("CACHE_PATH", "SECTIONS") if key in settings)
    return found


_PENDING: list[_Job] = []  # at most one: the job of the build running in this process


def start_index(generator, writer=None) -> None:
    """Once the article pages are written, build the index in a forked process (``article_writer_finalized``).

    The pages, feeds, API and sitemaps that follow are written by this process alone: the index
    (a fifth of a cold build's main process at 10,000 articles) is built meanwhile on the other
    core. Every value the index reads is final by then (intrasite links in summaries were
    resolved, images rewritten), and the child shares the parent's memory copy-on-write; its
    frozen collector (``portal.forked``) keeps the parent's from copying every page of the heap
    holding a tracked object while it writes the feeds and the API.
    ``SearchGenerator.generate_output`` collects the result. Without ``os.fork`` or a second
    core, the index is built there instead.
    """
    abandon_all(_PENDING)  # a job an earlier build in this process left uncollected
    if not can_fork():
        return
    if getattr(generator, "portal_beside_started", False):  # built by the child beside the pages
        return
    context, settings = generator.context, generator.settings
    articles = list(context.get("articles", []))
    if _updatable(settings, _setup(settings)[1]) is not None:
        _PENDING.append(_Job(context, Forked(make_index, settings, generator.output_path, articles)))
        return
    folder = settings.get("CACHE_PATH") or None
    if folder:
        os.makedirs(folder, exist_ok=True)
    bodies = _Bodies(folder)
    try:
        child = Fresh(
            make_index, _picklable(settings), generator.output_path, copies(articles, bodies), folder=folder
        )
    except BaseException:
        _remove(bodies.path)
        raise
    _PENDING.append(_Job(context, child, bodies))


def _collect(job: _Job) -> dict:
    """Wait for a forked index build; record the files it produced; raise ``IndexBuildError`` on failure."""
    try:
        return job.wait()
    except ChildError as error:
        if not error.details:
            raise IndexBuildError(
                f"portal_search: tiến trình dựng chỉ mục tìm kiếm dừng mà không trả kết quả ({error.summary})"
            ) from None
        logger.debug("portal_search: tiến trình dựng chỉ mục tìm kiếm:\n%s", error.details)
        raise IndexBuildError(f"portal_search: không dựng được chỉ mục tìm kiếm: {error.summary}") from None


class SearchGenerator(Generator):
    """Builds the index from the published articles and writes it with the search page."""

    # Reads only the context, writes only through the recording writers, keeps its own state: a
    # rebuild may run it in a child beside the article pages (portal_perf), after the feeds and the
    # API; ``start_index`` then starts no process of its own.
    portal_beside_pages = True

    def generate_context(self):
        """Nothing to add: the articles are read in ``generate_output``, once every generator ran."""

    def generate_output(self, writer):
        """Collect (or build here) the index files, then render the page."""
        folder = validate(self.settings)["PORTAL_SEARCH_DIR"].strip("/")
        job = _PENDING.pop() if _PENDING and _PENDING[-1].context is self.context else None
        waited = time.perf_counter()
        if job is not None:
            done = _collect(job)
            waited = time.perf_counter() - waited
            how = f" (tiến trình song song, {done['cpu']:.2f} s CPU; chờ {waited:.2f} s)"
        else:
            done = make_index(self.settings, self.output_path, self.context.get("articles", []))
            how = ""
        logger.info(
            "portal_search: %d bài, %d tệp chỉ mục (%s, %d tệp ghi lại, %d tệp cũ đã xóa) trong %.2f s%s",
            done["articles"],
            done["files"],
            "dựng toàn bộ" if done["whole"] else "cập nhật phần thay đổi",
            done["written"],
            done["removed"],
            done["seconds"],
            how,
        )
        writer.write_file(
            f"{folder}/index.html",
            self.get_template("search"),
            self.context,
            relative_urls=self.settings.get("RELATIVE_URLS", False),
            SEARCH_INDEX_URL=f"{folder}/{DATA}/{done['manifest']}",
            SEARCH_URL=f"{folder}/",
        )


def _remove_stale(root: str, current: set[str]) -> int:
    """Delete index files of earlier builds, with their compressed copies (names never match)."""
    removed = 0
    for folder, _, names in os.walk(root):
        prefix = "" if folder == root else os.path.relpath(folder, root).replace(os.sep, "/")
        for name in names:
            relative = f"{prefix}/{name}" if prefix else name
            if relative.removesuffix(".gz").removesuffix(".br") not in current:
                os.unlink(os.path.join(folder, name))
                removed += 1
    return removed


def get_generators(pelican):
    """Return the search generator (a class: Pelican instantiates it)."""
    return SearchGenerator


def register():
    """Connect the handlers."""
    signals.initialized.connect(check_settings)
    signals.get_generators.connect(get_generators)
    signals.article_writer_finalized.connect(start_index)
