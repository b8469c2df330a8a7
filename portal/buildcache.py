"""One key → value store kept between builds, in an SQLite file of Pelican's cache folder.

The build's caches of pure functions (a body's sanitised HTML, an article's record, its search
tokens, a file's check document) share this shape: serve what an earlier build stored, remember
what this build used, forget the rest at the end of a build that went through. Keys are content
hashes, never mtimes (a fresh clone resets those). A missing or unreadable file only costs the work.

Values stay on disk until asked for: a build holds only the keys, and what it added but has not
yet written. (The first version loaded one pickle of every value and wrote it whole again: at
10,000 articles that was hundreds of megabytes resident, and a whole rewrite for one edit.)
Since every value is a pure function of its key, values are written as they come, in small
transactions, even by a build that fails later; only the forgetting waits for a build's end.

``Stamps`` keeps the hash of each source file with the file's identity (device, inode, size,
mtime and ctime), as git's index does: a hash is taken back only while the file is provably
untouched since it was hashed, and made again otherwise.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import sqlite3
import time

MISSING = object()
BATCH = 500  # values written per transaction
RACY_NS = 2_000_000_000  # a file changed this close before a build started is hashed again
_ERRORS = (pickle.UnpicklingError, EOFError, AttributeError, ImportError, ValueError, TypeError)


def _dump(value, handle) -> None:
    pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)


def write_pickle(path: str | os.PathLike, value, dump=_dump) -> None:
    """Write ``value`` pickled to ``path`` atomically (a temporary file, then a rename).

    For the caches kept as one small file (a build's records of what it made): a build that
    reads the file while another writes it sees the old file or the new one, never half of one.
    ``dump(value, handle)`` writes the file's bytes when plain ``pickle.dump`` is not the way.
    """
    path = os.fspath(path)
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    temporary = os.path.join(os.path.dirname(path), f".{os.path.basename(path)}.{os.getpid()}.tmp")
    with open(temporary, "wb") as handle:
        dump(value, handle)
    os.replace(temporary, path)


def read_pickle(path: str | os.PathLike | None, load=pickle.load):
    """Return what a file written by ``write_pickle`` holds, or ``None`` when it is missing or damaged.

    A cache file that cannot be read (another format, a class since renamed, a torn copy) only
    costs the work it saved; callers check the shape of what they get. ``load(handle)`` reads
    a file written with a ``dump`` of its own.
    """
    if path is None:
        return None
    try:
        with open(path, "rb") as handle:
            return load(handle)  # noqa: S301 (our own cache folder)
    except Exception:  # noqa: BLE001 (a damaged cache of any kind is only a cache miss)
        return None


def _key_bytes(key) -> bytes:
    """Return the stored form of a key: bytes as they are, anything else by a hash of its pickle."""
    if isinstance(key, bytes):
        return key
    return hashlib.sha256(pickle.dumps(key, protocol=5)).digest()


def stored_key(key) -> bytes:
    """Return the form ``key`` is stored under (what ``keep`` takes without hashing it again)."""
    return _key_bytes(key)


class BuildCache:
    """Key → value from earlier builds; what this build used is what is kept."""

    def __init__(self, path: str | os.PathLike | None = None) -> None:
        self.path = os.fspath(path) if path else None
        self._db: sqlite3.Connection | None = None
        self._known: set[bytes] = set()
        self._used: set[bytes] = set()
        self._pending: dict[bytes, bytes] = {}
        self.hits = self.misses = 0  # this build's lookups (read by tests)
        if self.path:
            self._db = self._connect()

    def _connect(self) -> sqlite3.Connection | None:
        try:
            os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("CREATE TABLE IF NOT EXISTS kv (key BLOB PRIMARY KEY, value BLOB) WITHOUT ROWID")
            self._known = {row[0] for row in db.execute("SELECT key FROM kv")}
            return db
        except sqlite3.Error:  # not a database (an old pickle, a damaged file): start again
            try:
                os.unlink(self.path)
                db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
                db.execute("CREATE TABLE kv (key BLOB PRIMARY KEY, value BLOB) WITHOUT ROWID")
                return db
            except (OSError, sqlite3.Error):
                return None

    def __len__(self) -> int:
        return len(self._known | self._pending.keys())

    def get(self, key, default=MISSING):
        """Return the value an earlier build or this one stored under ``key`` (and keep it)."""
        stored = _key_bytes(key)
        data = self._pending.get(stored)
        if data is None and stored in self._known and self._db is not None:
            try:
                row = self._db.execute("SELECT value FROM kv WHERE key = ?", (stored,)).fetchone()
            except sqlite3.Error:
                row = None
            data = row[0] if row else None
        if data is None:
            self.misses += 1
            return default
        try:
            value = pickle.loads(data)  # noqa: S301 (our own cache folder)
        except _ERRORS:
            self.misses += 1
            return default
        self._used.add(stored)
        self.hits += 1
        return value

    def __contains__(self, key) -> bool:
        """Tell whether a value is stored under ``key`` (by an earlier build or this one)."""
        stored = _key_bytes(key)
        return stored in self._pending or stored in self._known

    def pending(self, key) -> bytes | None:
        """Return the pickled value this build stored under ``key`` and has not written yet, or ``None``."""
        return self._pending.get(_key_bytes(key))

    def keep(self, keys) -> None:
        """Count ``keys`` as used by this build, so ``save`` keeps them, without reading their values."""
        self._used.update(_key_bytes(key) for key in keys)

    def get_many(self, keys) -> dict:
        """Return ``{key: value}`` for those of ``keys`` stored (and keep them), read in few queries.

        The same as ``get`` for each key, but the file is asked for up to ``BATCH`` values at once.
        """
        wanted = {_key_bytes(key): key for key in keys}
        found: dict[bytes, bytes] = {}
        unread = []
        for stored in wanted:
            if stored in self._pending:
                found[stored] = self._pending[stored]
            elif stored in self._known:
                unread.append(stored)
        if self._db is not None:
            for start in range(0, len(unread), BATCH):
                chunk = unread[start : start + BATCH]
                query = f"SELECT key, value FROM kv WHERE key IN ({','.join('?' * len(chunk))})"  # noqa: S608
                with contextlib.suppress(sqlite3.Error):
                    found.update(self._db.execute(query, chunk))
        values = {}
        for stored, key in wanted.items():
            try:
                values[key] = pickle.loads(found[stored])  # noqa: S301 (our own cache folder)
            except (KeyError, *_ERRORS):
                self.misses += 1
                continue
            self._used.add(stored)
            self.hits += 1
        return values

    def put(self, key, value) -> None:
        """Store ``value`` under ``key`` for this build and the next ones."""
        stored = _key_bytes(key)
        self._used.add(stored)
        if stored in self._known:
            return  # the same key always means the same value
        self._pending[stored] = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        if len(self._pending) >= BATCH:
            self._flush()

    def replace(self, key, value) -> None:
        """Store ``value`` under ``key`` even when a value is stored there (a value completed later)."""
        stored = _key_bytes(key)
        self._used.add(stored)
        self._pending[stored] = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        if len(self._pending) >= BATCH:
            self._flush()

    def _flush(self) -> None:
        if self._db is None or not self._pending:
            return
        try:
            with self._db:
                self._db.execute("BEGIN")
                self._db.executemany("INSERT OR REPLACE INTO kv VALUES (?, ?)", self._pending.items())
        except sqlite3.Error:
            return  # kept in memory; tried again at the next flush
        self._known.update(self._pending)
        self._pending.clear()

    def save(self) -> None:
        """End a build: write what is pending and forget the keys this build did not use."""
        if self._db is None:
            return
        self._flush()
        unused = self._known - self._used
        if unused:
            try:
                with self._db:
                    self._db.execute("BEGIN")
                    self._db.executemany("DELETE FROM kv WHERE key = ?", ((k,) for k in unused))
            except sqlite3.Error:
                return
            self._known -= unused
        self._used = set()

    def close(self) -> None:
        """Close the file (pending values are written first)."""
        self._flush()
        if self._db is not None:
            self._db.close()
            self._db = None


def stamp_of(st: os.stat_result) -> tuple[int, int, int, int, int]:
    """Return a file's identity: device, inode, size, mtime and ctime in nanoseconds.

    Every write moves the ctime, which no program can set back: while the identity is the one
    recorded, the file holds the bytes it held then (unless it was ``racy`` when recorded).
    """
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def racy(st: os.stat_result, started: int) -> bool:
    """Tell whether a file changed less than ``RACY_NS`` before ``started`` (ns).

    A second write in the same clock tick could have kept its identity: it proves nothing then.
    """
    return max(st.st_mtime_ns, st.st_ctime_ns) >= started - RACY_NS


class Stamps:
    """Files' keys (hashes of their bytes), each with the file's identity when it was hashed.

    Reading and hashing every kept file was most of a rebuild's look at an unchanged archive. A
    file whose identity (device, inode, size, mtime and ctime in nanoseconds) is the one recorded
    holds the bytes it was hashed from: every write changes the ctime, which no program can set
    back. The identity is taken before the bytes are read (a write in between leaves a stamp that
    never matches again), and a file changed less than ``RACY_NS`` before the build started is
    not recorded (a second write in the same clock tick could keep its identity): the next build
    hashes it again. A stamp that differs only costs the hash.
    """

    def __init__(self, path: str | None, salt: bytes) -> None:
        self.path, self.salt = path, salt
        self.started = time.time_ns()
        stored = read_pickle(path)  # (salt, {file: (identity, key)})
        valid = isinstance(stored, tuple) and len(stored) == 2 and stored[0] == salt
        self.known: dict = stored[1] if valid and isinstance(stored[1], dict) else {}
        self.used: dict = {}

    def key(self, filename: str, path: str, make) -> bytes:
        """Return the key of ``filename`` (at ``path``): the recorded one, or ``make(path)``."""
        st = os.stat(path)
        stamp = stamp_of(st)
        found = self.known.get(filename)
        key = found[1] if found is not None and found[0] == stamp else make(path)
        if not racy(st, self.started):
            self.used[filename] = (stamp, key)
        return key

    def save(self) -> None:
        """Keep this build's stamps (only), when they differ from the recorded ones."""
        if self.path and self.used != self.known:
            write_pickle(self.path, (self.salt, self.used))
