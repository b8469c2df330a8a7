"""Articles kept between builds as reading left them, keyed by the bytes of their file.

Reading an unchanged article again (its cached parse, Pelican's metadata processing, the
``Article`` and its ``content_object_init`` handlers, sanitising) cost about a millisecond per
file: seconds on every build of a large archive. Pelican's generators ask ``get_cached_data``
before reading a file and call ``cache_data`` after; this cache answers them:

- the key is a hash of the file's path and bytes and of everything else reading depends on
  (Pelican's version, every setting but the output and cache folders, the code of ``portal/``
  and ``plugins/``), never an mtime;
- an article is pickled the moment it is read, before any later step (neighbours, URLs, records)
  adds to it; the settings and the build's context are left out and given back on loading;
- a file whose reading reported findings is never cached, so its findings are reported again on
  every build (the reader's findings are the build gate's input);
- an article dated in the future is never cached: reading made it a draft (``WITH_FUTURE_DATES``
  is off) because of today's date, which the key does not hold;
- values live in an SQLite file (``portal.buildcache``); the keys this build did not use are
  forgotten once the generator's context is complete.
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
from datetime import UTC, datetime

from portal.buildcache import MISSING, BuildCache
from portal.output import code_digest

from .render_cache import settings_digest

FINDINGS = "PORTAL_FINDINGS"  # portal_content's list of the build's findings in the context
SKIPPED_SETTINGS = ("OUTPUT_PATH", "CACHE_PATH")


def salt(settings) -> bytes:
    """Hash of what reading an article depends on besides its file."""
    import pelican

    digest = hashlib.sha256(pelican.__version__.encode())
    digest.update(settings_digest(settings, SKIPPED_SETTINGS))
    digest.update(code_digest())
    return digest.digest()


class _Pickler(pickle.Pickler):
    def __init__(self, handle, shared: dict[int, str]):
        super().__init__(handle, protocol=pickle.HIGHEST_PROTOCOL)
        self._shared = shared

    def persistent_id(self, obj):
        return self._shared.get(id(obj))


class _Unpickler(pickle.Unpickler):
    def __init__(self, handle, shared: dict[str, object]):
        super().__init__(handle)
        self._shared = shared

    def persistent_load(self, pid):
        return self._shared[pid]


class ArticleCache:
    """``get_cached_data`` / ``cache_data`` / ``save_cache`` of one articles generator."""

    def __init__(self, generator):
        self.settings, self.context = generator.settings, generator.context
        folder = self.settings.get("CACHE_PATH")
        self.store = BuildCache(os.path.join(folder, "articles.sqlite") if folder else None)
        self.salt = salt(self.settings) if folder else b""
        self._keys: dict[str, bytes] = {}  # file (relative to PATH) → key, for this build
        self._files: set[str] = set()  # the generator's article files, once it listed them
        self._findings_seen = 0
        self.hits = self.stored = 0  # read by tests

    def _key(self, filename: str) -> bytes:
        key = self._keys.get(filename)
        if key is None:
            path = os.path.join(self.settings["PATH"], filename)  # Pelican's paths are relative to it
            with open(path, "rb") as handle:
                raw = handle.read()
            digest = hashlib.sha256(self.salt)
            digest.update(os.path.relpath(path, self.settings["PATH"]).encode() + b"\0")
            digest.update(raw)
            key = self._keys[filename] = digest.digest()
        return key

    def listed(self, files) -> None:
        """Learn the files the generator is about to read (its ``get_files``)."""
        self._files.update(files)

    def kept_files(self) -> frozenset[str]:
        """Absolute paths of the listed files this cache answers: the build does not read them."""
        if self.store.path is None:
            return frozenset()
        root = self.settings["PATH"]
        return frozenset(
            os.path.abspath(os.path.join(root, name)) for name in self._files
            if self.store.holds(self._key(name))
        )

    def get(self, filename: str, default=None):
        """Return the article read from these exact bytes by an earlier build, or ``default``."""
        self._findings_seen = len(self.context.get(FINDINGS, ()))
        if self.store.path is None:
            return default
        key = self._key(filename)
        data = self.store.get(key, MISSING)
        if data is MISSING:
            return default
        shared = {"settings": self.settings, "context": self.context}
        try:
            article = _Unpickler(io.BytesIO(data), shared).load()  # noqa: S301 (our own cache)
        except Exception:  # noqa: BLE001 (a damaged or outdated entry is a miss)
            return default
        self.hits += 1
        return article

    def put(self, filename: str, article) -> None:
        """Keep an article just read, unless reading it reported findings."""
        key = self._keys.pop(filename, None)
        if key is None or len(self.context.get(FINDINGS, ())) != self._findings_seen:
            return
        date = getattr(article, "date", None)
        if not isinstance(date, datetime) or date > datetime.now(date.tzinfo and UTC):
            return  # a future date made it a draft today: read it again until the date has passed
        handle = io.BytesIO()
        shared = {id(self.settings): "settings", id(self.context): "context"}
        try:
            _Pickler(handle, shared).dump(article)
        except (pickle.PicklingError, TypeError, AttributeError):
            return  # something unpicklable was attached: read it again next time
        self.store.put(key, handle.getvalue())
        self.stored += 1

    def save(self) -> None:
        """Forget the articles this build did not read (deleted or changed files)."""
        self.store.save()
        self.store.close()


def install(generator) -> None:
    """Answer the generator's cache calls with an ``ArticleCache``; tell it the files listed."""
    cache = ArticleCache(generator)
    get_files = generator.get_files

    def listing(*args, **kwargs):
        files = get_files(*args, **kwargs)
        cache.listed(files)
        return files

    generator.get_files = listing
    generator.get_cached_data = cache.get
    generator.cache_data = cache.put
    generator.save_cache = cache.save
    generator.portal_article_cache = cache
