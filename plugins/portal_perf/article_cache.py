"""Articles kept between builds as reading left them, keyed by the bytes of their file.

Reading an unchanged article again (its cached parse, Pelican's metadata processing, the
``Article`` and its ``content_object_init`` handlers, sanitising) cost about a millisecond per
file: seconds on every build of a large archive. Pelican's generators ask ``get_cached_data``
before reading a file and call ``cache_data`` after; this cache answers them:

- the key is a hash of the file's path and bytes and of everything else reading depends on
  (the versions of Pelican, Markdown and nh3, every setting but the output and cache folders,
  the code of ``portal/`` and ``plugins/``), never an mtime;
- an article is pickled the moment it is read, before any later step (neighbours, URLs, records)
  adds to it; the settings and the build's context are left out and given back on loading;
- a file whose reading reported findings is never cached, so its findings are reported again on
  every build (the reader's findings are the build gate's input);
- an article dated in the future is never cached: reading made it a draft (``WITH_FUTURE_DATES``
  is off) because of today's date, which the key does not hold;
- values live in an SQLite file (``portal.buildcache``); the keys this build did not use are
  forgotten once the generator's context is complete; kept articles are read from it in chunks
  (``PREFETCH`` files ahead, in the order the generator lists them), not one query each;
- the articles of the last builds are also kept together in one pickle file, the pack
  (``articles-<digest>-pack.pickle``), loaded whole by the first lookup: one file read and a
  few unpicklers instead of a query and an unpickler per article (their shared strings and
  classes pickled once), about a third of the time at 10,000 articles. The SQLite file stays
  what is true; the pack is made again from it when it lacks or holds unused more than
  ``PACK_STALE`` of a build's articles (a cold build, a tenth of the archive edited since);
- an article's body is kept apart and read only when something asks for it (``KeptArticle``),
  and tag, author and section objects are pickled by their state and shared on loading;
- a file's key is hashed from its bytes once: the next builds take it back while the file's
  identity (device, inode, size, mtime and ctime in ns) is the one recorded with it, as git's
  index does (``portal.buildcache.Stamps``); a file written too close to the build's start is
  hashed again;
- the cyclic garbage collector is paused while kept articles are loaded (they are all alive:
  its passes over the growing heap cost more than the loading), and resumed before any file is
  read and once the generator's context is complete; then every object alive is frozen
  (``gc.freeze``: the articles live until the build ends, and each full collection walked them
  all again) until the build is over (``finalized``), and so are the articles loaded before a
  file the generator reads;
- the generator's own steps for each listed file are made cheaper where Pelican repeats work per
  file: ``add_source_path`` without a ``relpath``, ``_include_path`` with its ``IGNORE_FILES``
  patterns compiled once (same results as Pelican's, ``tests/test_perf_linear.py``), and
  ``check_disabled_readers``, a second walk of the articles' folder for files of readers
  disabled by a missing library, skipped when no reader is disabled (it could find none).
"""

from __future__ import annotations

import fnmatch
import gc
import hashlib
import io
import json
import logging
import os
import pickle
import re
import sqlite3
from datetime import UTC, datetime

from pelican import signals
from pelican.contents import Article
from pelican.urlwrappers import Author, Category, Tag

from portal.buildcache import MISSING, BuildCache, Stamps, read_pickle, write_pickle
from portal.incremental import under
from portal.output import code_digest, settings_digest

PREFETCH = 256  # kept articles read from the file per query, ahead of the generator
PACK_STALE = 0.1  # share of a build's articles the pack may lack or hold unused before it is made again
PACK_CHUNK = 1000  # articles per pickle of the pack: what making it holds in memory at once
FINDINGS = "PORTAL_FINDINGS"  # portal_content's list of the build's findings in the context
READING_LIBRARIES = ("pelican", "markdown", "nh3")


def salt(settings) -> bytes:
    """Hash of what reading an article depends on besides its file."""
    from importlib.metadata import version

    # The libraries that turn a file into an article: its HTML and its sanitised body.
    digest = hashlib.sha256(repr([version(name) for name in READING_LIBRARIES]).encode())
    digest.update(settings_digest(settings))
    digest.update(code_digest())
    return digest.digest()


logger = logging.getLogger(__name__)
WRAPPERS = {cls.__name__: cls for cls in (Author, Category, Tag)}


_WRAPPER_TYPES = frozenset(WRAPPERS.values())


class KeptArticle(Article):
    """An article kept between builds whose body stays on disk until something reads it.

    The body is two thirds of an article in memory (about 9 KB of 15 at 10,000 articles); a
    rebuild renders, indexes and feeds the changed articles only, so most bodies are never read.
    What Pelican reads of every body on every build, its ``{static}`` links, is kept with the
    article; ``portal_body_has_img`` tells the image step whether the body holds any ``<img>``.

    The article's attributes name the body by its key (``_portal_body_key``, a hash of the file's
    bytes and the reading's inputs), never hold it: an article read in this build and the same
    article loaded from the cache look the same to the render keys. A body assigned during the
    build (the image step's ``<picture>`` rewrite) is an attribute of its own, ``_portal_body_set``.
    """

    @property
    def _content(self) -> str:
        state = self.__dict__
        replaced = state.get("_portal_body_set")
        return replaced if replaced is not None else _BODIES.load(state["_portal_body_key"])

    @_content.setter
    def _content(self, value: str) -> None:
        self.__dict__["_portal_body_set"] = value

    def _read_body_key(self) -> bytes | None:
        """Return the body's key while ``content`` is the body as read, else ``None``.

        That is while no step set another body (``_portal_body_set``) and the body holds no
        intrasite link (``{filename}`` and the like, which Pelican resolves against other
        articles' URLs on every access).
        """
        state = self.__dict__
        if "_portal_body_set" in state or state["_portal_body_links"]:
            return None
        return state["_portal_body_key"]

    @property
    def portal_body_digest(self) -> bytes:
        """Name ``content`` (the body as outputs show it) without reading it when that can be done.

        For the headless outputs' record keys (``portal.entries``). While ``content`` is the body
        as read (``_read_body_key``), the body's key names it. Otherwise a hash of ``content``.
        """
        key = self._read_body_key()
        if key is not None:
            return key
        return hashlib.sha256(self.content.encode("utf-8", "surrogatepass")).digest()

    @property
    def portal_file_key(self) -> bytes | None:
        """Name the whole article by the key of what it was read from, when nothing else decides it.

        While the body is the one read from the file and holds no intrasite link, and no field is
        formatted against other articles (``FORMATTED_FIELDS``), every value of the article (its
        fields, URL, sapo and body) is made from its file, the settings and the code, which the
        body's key digests: a step may keep what it made of the article by that key between builds
        (``portal_search``'s sources). ``None`` otherwise.
        """
        return None if self.settings.get("FORMATTED_FIELDS") else self._read_body_key()

    def get_content(self, siteurl: str) -> str:
        """Return the body as outputs show it, without holding it when it is the one read.

        Pelican's ``get_content`` keeps every answer for the rest of the build (``memoized``),
        which would hold every body again. A body read from the file with no intrasite link is
        its own answer (Pelican's link substitution finds nothing to replace): it is given as
        the bodies' store holds it. Any other body is Pelican's memoized answer.
        """
        key = self._read_body_key()
        return super().get_content(siteurl) if key is None else _BODIES.load(key)

    def get_static_links(self) -> set[str]:
        """Return the ``{static}`` links of the body as read (kept with the article)."""
        if "_portal_body_set" in self.__dict__:
            return super().get_static_links()
        return set(self.__dict__["_portal_static_links"])


class _Bodies:
    """The bodies of kept articles, read from the articles' SQLite file when asked, the last few held.

    Each body is 9 of an article's 15 KB in memory: a cold build that held every body it stored
    until its end held about 150 MB at 10,000 articles, in the build's process and, as the pages'
    renderer touched them, in its forked one. Only the ``KEEP`` bodies asked for last are held
    (each step reads its article's body a few times in a row, then moves on); a body this build
    stored and has not written to the file yet is read from the store's pending values.

    A connection per process: pages are written by forked processes (``parallel``), and an SQLite
    connection must not cross a fork.
    """

    KEEP = 256

    def __init__(self) -> None:
        self.store: BuildCache | None = None  # the build's store: its file, the bodies not written yet
        self.loaded: dict[bytes, str] = {}  # the bodies asked for last, oldest first
        self.stored: set[bytes] = set()  # keys of the bodies this build stored
        self.reads = 0  # bodies of earlier builds this process read back from the file
        self._db: sqlite3.Connection | None = None
        self._pid = 0

    def start(self, store: BuildCache) -> None:
        """Begin a build whose articles are kept in ``store``."""
        self.store = store
        self.loaded.clear()  # an earlier build's bodies (a long-lived process)
        self.stored.clear()

    def hold(self, key: bytes, body: str) -> None:
        """Hold ``body`` as the last one asked for (dropping the oldest beyond ``KEEP``)."""
        loaded = self.loaded
        loaded.pop(key, None)
        loaded[key] = body
        if len(loaded) > self.KEEP:
            del loaded[next(iter(loaded))]

    def load(self, key: bytes) -> str:
        body = self.loaded.get(key)
        if body is not None:
            return body
        data = self.store.pending(key) if self.store is not None else None
        if data is None:
            if self._db is None or self._pid != os.getpid():
                self._db = sqlite3.connect(self.store.path, timeout=30)
                self._pid = os.getpid()
            row = self._db.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
            if row is None:
                raise LookupError(f"portal_perf: an article's kept body is missing from {self.store.path}")
            data = row[0]
        body = pickle.loads(data)  # noqa: S301 (our own cache)
        if key not in self.stored:
            self.reads += 1
        self.hold(key, body)
        return body


_BODIES = _Bodies()


def _body_key(key: bytes) -> bytes:
    return hashlib.sha256(key + b"\0body").digest()


class _Pickler(pickle.Pickler):
    """Leaves out the settings and the context; taxonomy objects of these settings by their state."""

    def __init__(self, handle, shared: dict[int, str], settings):
        super().__init__(handle, protocol=pickle.HIGHEST_PROTOCOL)
        self._shared = shared
        self._settings = settings
        # Each taxonomy object's id, made once: the same tuple for every reference to the object,
        # so the pickle holds it once and refers to it (a tuple of its state per reference was
        # most of loading the pack). The object is held so that its ``id`` stays its own.
        self._ids: dict[int, tuple[object, tuple | None]] = {}

    def persistent_id(self, obj):
        found = self._shared.get(id(obj))
        if found is not None or type(obj) not in _WRAPPER_TYPES:
            return found
        made = self._ids.get(id(obj))
        if made is None:
            made = self._ids[id(obj)] = (obj, self._state_id(obj))
        return made[1]

    def _state_id(self, obj) -> tuple | None:
        state = obj.__dict__
        if state.get("settings") is not self._settings:
            return None
        # Class and state without the settings: equal ids, interchangeable objects.
        return (type(obj).__name__, *sorted((k, v) for k, v in state.items() if k != "settings"))


class _Unpickler(pickle.Unpickler):
    """Gives back the settings and the context, and one taxonomy object per state for the build.

    Tens of thousands of tag, author and section objects (a few per article) become a few hundred
    shared ones, which Pelican compares by slug anyway: less to build on loading, less memory.
    """

    def __init__(self, handle, shared: dict, wrappers: dict[tuple, object]):
        super().__init__(handle)
        self._shared = shared
        self._wrappers = wrappers
        self._seen: dict[int, tuple[tuple, object]] = {}  # an id met before, as the same tuple

    def persistent_load(self, pid):
        if isinstance(pid, str):
            return self._shared[pid]
        seen = self._seen.get(id(pid))  # the pickle's one tuple for an object: no hash of it again
        if seen is not None:
            return seen[1]
        found = self._wrappers.get(pid)
        if found is None:
            found = object.__new__(WRAPPERS[pid[0]])
            found.__dict__.update(pid[1:], settings=self._shared["settings"])
            self._wrappers[pid] = found
        self._seen[id(pid)] = (pid, found)  # the tuple held: its ``id`` stays its own
        return found


_PAUSED = [False]  # whether this module paused the cyclic collector (``_pause``)


def _pause() -> None:
    """Pause the cyclic collector while kept articles are loaded (until ``_resume``)."""
    if not _PAUSED[0] and gc.isenabled():
        gc.disable()
        _PAUSED[0] = True


def _resume() -> None:
    """Resume the collector ``_pause`` paused: a file is about to be read, or reading is over."""
    if _PAUSED[0]:
        _PAUSED[0] = False
        gc.enable()


_FROZEN = [False]  # whether this module froze the build's objects (``_freeze``)
COLLECT_FROM = 100  # articles read in a build from which its garbage is collected before freezing


def _freeze(read: int) -> None:
    """Move every object alive once the articles are read out of the collector's sight.

    The articles, kept or read, live until the build ends; each full collection of the cyclic
    collector walked all of them again (about a second of a rebuild at 10,000 articles). A build
    that read many files (``read``) has garbage of its own: it is collected first, or it would
    stay until ``_thaw``.
    """
    if read >= COLLECT_FROM:
        gc.collect()
    gc.freeze()
    _FROZEN[0] = True


def _thaw() -> None:
    """Give the collector back what ``_freeze`` froze."""
    if _FROZEN[0]:
        _FROZEN[0] = False
        gc.unfreeze()


def thaw(pelican) -> None:
    """Unfreeze the build's objects once it is over (``finalized``, after every other receiver)."""
    _thaw()


def store_name(settings) -> str:
    """Return the name of the articles' file for these settings: ``articles-<digest>.sqlite``.

    One file per set of settings: a development build and a publish (other settings, so other
    keys) sharing the cache folder would otherwise forget each other's articles at every build,
    and one could remove a body the other is about to read.
    """
    return f"articles-{settings_digest(settings).hex()[:16]}.sqlite"


class ArticleCache:
    """``get_cached_data`` / ``cache_data`` / ``save_cache`` of one articles generator."""

    def __init__(self, generator):
        self.settings, self.context = generator.settings, generator.context
        folder = self.settings.get("CACHE_PATH")
        self.store = BuildCache(os.path.join(folder, store_name(self.settings)) if folder else None)
        _BODIES.start(self.store)
        self.salt = salt(self.settings) if folder else b""
        stamps = os.path.join(folder, store_name(self.settings)[: -len(".sqlite")] + "-stamps.pickle")
        self._stamps = Stamps(stamps if folder else None, self.salt)
        self._pack_path = stamps[: -len("-stamps.pickle")] + "-pack.pickle" if folder else None
        self._packed: dict[bytes, Article] | None = None  # the pack's articles not taken yet, once read
        self._pack_keys: frozenset[bytes] = frozenset()  # every article the pack held
        self._taken: set[bytes] = set()  # keys of the articles this build took or kept: the next pack
        self._bodies: list[bytes | None] = []  # the body keys of the articles taken from the cache
        self._root = os.path.abspath(self.settings["PATH"])
        self._keys: dict[str, bytes] = {}  # file (relative to PATH) → key, for this build
        self._files: set[str] = set()  # the generator's article files, once it listed them
        self._order: dict[str, int] = {}  # file → its place in the generator's listing
        self._listing: list[str] = []
        self._ahead: dict[bytes, bytes] = {}  # kept articles read ahead of the generator
        self._findings_seen = 0
        self._wrappers: dict[tuple, object] = {}  # taxonomy objects shared by the kept articles
        self.loaded: set[str] = set()  # source paths of the articles taken from the cache
        self.hits = self.stored = self.packed = 0  # read by tests

    def _key(self, filename: str) -> bytes:
        key = self._keys.get(filename)
        if key is None:
            path = os.path.join(self._root, filename)  # Pelican's paths are relative to PATH
            key = self._keys[filename] = self._stamps.key(filename, path, self._hash)
        return key

    def _hash(self, path: str) -> bytes:
        """Hash the salt, the file's path relative to ``PATH`` and its bytes."""
        with open(path, "rb") as handle:
            raw = handle.read()
        digest = hashlib.sha256(self.salt)
        digest.update(os.path.relpath(path, self._root).encode() + b"\0")
        digest.update(raw)
        return digest.digest()

    def listed(self, files) -> None:
        """Learn the files the generator is about to read (its ``get_files``), in its order."""
        self._files.update(files)
        for name in files:
            if name not in self._order:
                self._order[name] = len(self._listing)
                self._listing.append(name)

    def _read_ahead(self, filename: str) -> None:
        """Read the kept articles of ``filename`` and the next ``PREFETCH - 1`` listed files at once.

        Articles the pack holds are left out.
        """
        start = self._order.get(filename)
        names = [filename] if start is None else self._listing[start : start + PREFETCH]
        keys = [key for key in map(self._key, names) if key in self.store and key not in self._packed]
        self._ahead.update(self.store.get_many(keys))

    def _shared(self) -> dict:
        return {"settings": self.settings, "context": self.context}

    def _read_pack(self, handle) -> dict | None:
        """Return the articles of the pack at ``handle`` by key, or ``None`` when made with another salt."""
        if pickle.load(handle) != self.salt:  # noqa: S301 (our own cache)
            return None
        packed = {}
        while handle.peek(1):
            packed.update(_Unpickler(handle, self._shared(), self._wrappers).load())  # noqa: S301
        return packed

    def _from_pack(self, key: bytes):
        """Return the article of ``key`` from the pack (read whole by the first call), or ``None``."""
        if self._packed is None:
            _pause()  # the pack's articles all live: a collection over them would find nothing
            found = read_pickle(self._pack_path, self._read_pack)
            self._packed = found if isinstance(found, dict) else {}
            self._pack_keys = frozenset(self._packed)
        if key not in self.store:  # the SQLite file is what is true: a pack it lost track of is not
            return None
        return self._packed.pop(key, None)

    def _unpickled(self, key: bytes, filename: str):
        """Return the article of ``key`` from the SQLite file (read ahead), or ``None``."""
        if key not in self._ahead and key in self.store:
            self._read_ahead(filename)
        data = self._ahead.pop(key, MISSING)
        if data is MISSING:
            return None
        _pause()
        try:
            return _Unpickler(io.BytesIO(data), self._shared(), self._wrappers).load()  # noqa: S301
        except Exception:  # noqa: BLE001 (a damaged or outdated entry is a miss)
            return None

    def kept_files(self) -> frozenset[str]:
        """Absolute paths of the listed files this cache answers: the build does not read them."""
        if self.store.path is None:
            return frozenset()
        root = self._root
        return frozenset(under(root, name) for name in self._files if self._key(name) in self.store)

    def get(self, filename: str, default=None):
        """Return the article read from these exact bytes by an earlier build, or ``default``."""
        self._findings_seen = len(self.context.get(FINDINGS, ()))
        if self.store.path is None:
            return default
        key = self._key(filename)
        article = self._from_pack(key)
        if article is not None:
            self.packed += 1
        else:
            article = self._unpickled(key, filename)
        if isinstance(article, KeptArticle) and article.__dict__["_portal_body_key"] not in self.store:
            article = None
        if article is None:
            if _PAUSED[0]:  # the articles loaded so far stay out of the collector's sight
                _freeze(read=0)
            _resume()  # the generator reads this file: its parse makes garbage
            return default
        self._taken.add(key)
        self._bodies.append(article.__dict__.get("_portal_body_key"))  # used, not read now
        self.hits += 1
        self.loaded.add(article.source_path)
        return article

    def put(self, filename: str, article) -> None:
        """Keep an article just read, unless reading it reported findings."""
        key = self._keys.pop(filename, None)
        if key is None or len(self.context.get(FINDINGS, ())) != self._findings_seen:
            return
        date = getattr(article, "date", None)
        if not isinstance(date, datetime) or date > datetime.now(date.tzinfo and UTC):
            return  # a future date made it a draft today: read it again until the date has passed
        state = article.__dict__
        body = state.get("_content")
        if type(article) is not Article or not isinstance(body, str):
            return
        original = dict(state)
        body_key = _body_key(key)
        links = tuple(sorted(article.get_static_links()))
        intrasite = article._get_intrasite_link_regex().search(body) is not None
        # The article as every later build will load it: its body named by key, held apart.
        del state["_content"]
        state.update(
            _portal_body_key=body_key,
            _portal_static_links=links,
            _portal_body_links=intrasite,
            portal_body_has_img="<img" in body,
        )
        article.__class__ = KeptArticle
        handle = io.BytesIO()
        shared = {id(self.settings): "settings", id(self.context): "context"}
        try:
            _Pickler(handle, shared, self.settings).dump(article)
        except (pickle.PicklingError, TypeError, AttributeError):
            article.__class__ = Article  # something unpicklable was attached: read it again next time
            state.clear()
            state.update(original)
            return
        self.store.put(body_key, body)
        _BODIES.stored.add(body_key)
        _BODIES.hold(body_key, body)
        self.store.put(key, handle.getvalue())
        self._taken.add(key)
        self.stored += 1

    def _write_pack(self, keys: list[bytes], handle) -> None:
        """Write the pack of the articles of ``keys``: the salt, then pickles of ``PACK_CHUNK`` of them.

        Each article is loaded from its own pickle in the SQLite file: the articles of this build
        have changed since they were read.
        """
        pickle.dump(self.salt, handle, protocol=pickle.HIGHEST_PROTOCOL)
        shared, wrappers = {id(self.settings): "settings", id(self.context): "context"}, {}
        for start in range(0, len(keys), PACK_CHUNK):
            found = self.store.get_many(keys[start : start + PACK_CHUNK])
            chunk = {
                key: _Unpickler(io.BytesIO(data), self._shared(), wrappers).load()  # noqa: S301
                for key, data in found.items()
            }
            _Pickler(handle, shared, self.settings).dump(chunk)

    def save(self) -> None:
        """Forget the articles this build did not read (deleted or changed files).

        The generator's context is complete: the articles are frozen (``_freeze``). The pack is
        made again when it is stale (``PACK_STALE``).
        """
        self._ahead.clear()
        self._packed = None  # the pack's articles this build did not take: gone or changed
        self.store.keep([*self._taken, *filter(None, self._bodies)])
        taken, packed = self._taken, self._pack_keys
        if self._pack_path and len(taken - packed) + len(packed - taken) > PACK_STALE * len(taken):
            _pause()
            write_pickle(self._pack_path, sorted(taken), self._write_pack)
        _resume()
        _freeze(self.stored)
        self._stamps.save()
        self.store.save()
        self.store.close()
        _BODIES.reads = 0
        signals.finalized.connect(report)
        signals.finalized.connect(thaw)
        global _LAST  # noqa: PLW0603 (what the build's last message reports)
        _LAST = self


_LAST: ArticleCache | None = None


def running(context) -> ArticleCache | None:
    """Return the article cache of the build whose context is ``context``, if it has one.

    Its context's article list is the very one ``context`` holds (a page's context is a copy).
    """
    cache = _LAST
    articles = context.get("articles")
    if cache is None or articles is None or cache.context.get("articles") is not articles:
        return None
    return cache


def report(pelican) -> None:
    """Log and record (``CACHE_PATH/articles-report.json``) what the build took from the cache.

    How many articles were loaded (and how many of them from the pack), how many read again, and
    how many kept bodies were read back by this process (a no-change build: none).
    """
    cache = _LAST
    if cache is None or cache.store.path is None:
        return
    counts = {"kept": cache.hits, "packed": cache.packed, "read": cache.stored, "bodies_read": _BODIES.reads}
    logger.info(
        "portal_perf: %d bài viết lấy từ bộ nhớ đệm, %d bài được đọc lại, %d phần nội dung được nạp lại",
        counts["kept"],
        counts["read"],
        counts["bodies_read"],
    )
    record = os.path.join(os.path.dirname(cache.store.path), "articles-report.json")
    with open(record, "w", encoding="utf-8") as handle:
        json.dump(counts, handle)


def install(generator) -> None:
    """Answer the generator's cache calls with an ``ArticleCache``; tell it the files listed."""
    _resume()  # a build that stopped while loading (a long-lived process) left it paused
    _thaw()  # a build that failed left its objects frozen
    cache = ArticleCache(generator)
    get_files = generator.get_files

    def listing(*args, **kwargs):
        files = get_files(*args, **kwargs)
        cache.listed(files)
        return files

    generator.get_files = listing
    generator.add_source_path = _source_paths(generator)
    generator._include_path = _include_path(generator)
    generator.check_disabled_readers = _disabled_readers_check(generator)
    generator.get_cached_data = cache.get
    generator.cache_data = cache.put
    generator.save_cache = cache.save
    generator.portal_article_cache = cache


def _source_paths(generator):
    """Return the generator's ``add_source_path`` without a ``relpath`` for each article.

    Pelican's ``get_relative_source_path`` makes both paths absolute and asks ``os.path.relpath``,
    for every article of every build; an article's ``source_path`` is already absolute and
    normalised (Pelican's ``read_file`` made it so), so under ``PATH`` the relative path is its end.
    """
    original, settings = generator.add_source_path, generator.settings
    prefix = os.path.join(os.path.abspath(settings["PATH"]), "")
    context = generator.context

    def add_source_path(content, static=False):
        source = getattr(content, "source_path", None)
        if static or content.settings is not settings or not source or not source.startswith(prefix):
            return original(content, static)
        context["generated_content"][source[len(prefix) :].replace(os.sep, "/")] = content
        return None

    return add_source_path


def _disabled_readers_check(generator):
    """Return the generator's ``check_disabled_readers``, with no walk when no reader is disabled.

    Pelican lists the articles' folder again for the extensions of readers whose library is
    missing (``Readers.disabled_readers``) and warns about each such file: with none disabled,
    the walk matches no file.
    """
    original = generator.check_disabled_readers

    def check_disabled_readers() -> None:
        if generator.readers.disabled_readers:
            original()

    return check_disabled_readers


def _include_path(generator):
    """Return the generator's ``_include_path`` with its ``IGNORE_FILES`` patterns compiled once.

    Pelican asks ``fnmatch`` for each pattern and builds the tuple of the readers' extensions
    again for every file of the content folder, on every build.
    """
    readers = generator.readers
    patterns = [fnmatch.translate(os.path.normcase(p)) for p in generator.settings["IGNORE_FILES"]]
    ignored = re.compile("|".join(patterns)).match if patterns else lambda name: None

    def include_path(path, extensions=None):
        if extensions is None:
            extensions = readers.extensions
        basename = os.path.basename(path)
        if ignored(os.path.normcase(basename)):
            return False
        return extensions is False or os.path.splitext(basename)[1][1:] in extensions

    return include_path
