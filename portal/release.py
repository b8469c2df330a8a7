"""A release: precompressed siblings, ``version.json``, ``/healthz``, ``manifest.json``, fixed mtimes.

Everything here is a pure function of the output's bytes and the build's epoch, so two
publishes of one commit give the same files, the same mtimes and so the same ETags on every node.
"""

from __future__ import annotations

import array
import bisect
import contextlib
import gzip
import hashlib
import heapq
import io
import itertools
import json
import logging
import mimetypes
import operator
import os
import pickle
import shutil
import subprocess
import tarfile
import tempfile
import time
import zlib
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from stat import S_ISDIR
from typing import BinaryIO

import brotli

from portal.buildcache import read_pickle, write_pickle
from portal.epoch import as_datetime
from portal.forked import return_memory
from portal.incremental import OUTPUTS, Key, Prune, identity, replace_if_changed, scan
from portal.output import write_output
from portal.publish import CHANGES_FORMAT, read_changes, root_of

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
# Release files that configure the web node and are never served (nginx answers 404).
NOT_SERVED = ("_nginx/",)
VERSION = "version.json"
HEALTHZ = "healthz"
COMPRESSIBLE = (
    ".html",
    ".css",
    ".js",
    ".mjs",
    ".json",
    ".xml",
    ".txt",
    ".svg",
    ".xsl",
    ".webmanifest",
    ".map",
    ".md",
)
MIN_COMPRESS_SIZE = 256  # below this a compressed copy saves less than a packet's headers
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".xml": "application/xml",
    ".txt": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".gz": "application/gzip",
    ".br": "application/x-brotli",
    ".pdf": "application/pdf",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".ico": "image/x-icon",
    ".wasm": "application/wasm",
}


@dataclass(frozen=True)
class Version:
    """What ``/version.json`` says: which build this is, of which commit, from when."""

    build_id: str
    commit: str
    built_at: str

    def to_json(self) -> str:
        """Return the file's text (sorted keys, one line per key)."""
        data = {"build_id": self.build_id, "commit": self.commit, "built_at": self.built_at}
        return json.dumps(data, indent=2, sort_keys=True) + "\n"


def content_type(relative: str) -> str:
    """Return the content type of an output file, by suffix (``healthz`` is text)."""
    suffix = Path(relative).suffix.lower()
    if relative == HEALTHZ:
        return "text/plain; charset=utf-8"
    return TYPES.get(suffix) or mimetypes.guess_type(relative)[0] or "application/octet-stream"


def files_of(output: Path) -> list[str]:
    """Every file of ``output``, relative and sorted (POSIX separators)."""
    return sorted(scan(output))


def gzip_bytes(data: bytes) -> bytes:
    """Deterministic gzip: no file name, mtime 0, level ``GZIP_LEVEL``."""
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=GZIP_LEVEL) as handle:
        handle.write(data)
    return buffer.getvalue()


# Level 6: on the 2,000-article output, 20 % less CPU than 9 for 0.3 % more bytes.
GZIP_LEVEL = 6
SIBLINGS = (".gz", ".br")


def _brotli(data: bytes) -> bytes:
    # Quality 8: measured on 200 article pages, 54x faster than 11 for 6 % more bytes; at
    # archive scale quality 11 made precompression most of a publish. Quality 9 (2,000-article
    # output) saves 0.3 % for about 8 % more CPU, and only with glibc tuned (untuned, ten times
    # the CPU: brotli's large buffers were mapped and unmapped per file); 10 costs 16 times the
    # CPU for 4 %.
    return brotli.compress(data, quality=BROTLI_QUALITY, lgwin=_window(len(data)))


def _window(size: int) -> int:
    """Return brotli's window (lgwin) for ``size`` bytes: the smallest that holds them, within bounds.

    A window larger than the file finds nothing more. With 16 or less, brotli picks a small
    hasher: on 1,180 output files (25 MB) 18 % less CPU than its default of 22, 0.2 % fewer bytes,
    and about 1 MB of buffers instead of 16 MB.
    """
    smallest, largest = BROTLI_WINDOWS
    return max(smallest, min(largest, (size - 1).bit_length()))


BROTLI_QUALITY = 8
BROTLI_WINDOWS = (16, 22)
COMPRESSORS = ((".gz", gzip_bytes, gzip.decompress), (".br", _brotli, brotli.decompress))


def _compressed(relative: str, size: int) -> bool:
    """Whether a release keeps ``.gz`` and ``.br`` copies of this file."""
    return (
        relative.lower().endswith(COMPRESSIBLE)
        and size >= MIN_COMPRESS_SIZE
        and relative not in (MANIFEST, VERSION)  # written after the copies are made
    )


def _is_sibling(relative: str) -> bool:
    """Whether a file's name is that of a compressed copy this step makes (``x.html.gz``)."""
    return relative.endswith(SIBLINGS) and relative[:-3].lower().endswith(COMPRESSIBLE)


def sha256_of(path: str | os.PathLike) -> str:
    """Return the hex sha256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class DigestCache:
    """The sha256 of each file of the last release, valid while the file keeps its identity.

    Every writer of the build replaces a file by a rename (a new inode) and the release gives each
    file the epoch as mtime, so a file with the same device, inode, size and mtime as the last
    release's holds the same bytes: its digest, and its compressed copies, need no reading. It also
    says which release it describes (epoch, commit, compression rules, content types), so a release
    of an unchanged output finds that out with one comparison and writes nothing. Kept in Pelican's
    cache folder as a pickle (a JSON of 90,000 entries took longer to read than the rest of a
    no-change release); a missing, old or unreadable cache only costs the reading.
    """

    FORMAT = 5  # 5: names, identities and digests as three lists in name order

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.entries: dict[str, Key] = {}  # identity of every file after the last release
        self.digests: dict[str, str] = {}
        self.release: tuple | None = None  # epoch (ns), commit, compression, rules, types
        self.build_id: str | None = None
        self.folders: frozenset[str] | None = None  # every folder of that release ("" is the output)
        self.token: str | None = None  # names this state of the cache (``portal.publish.CHANGES``)
        # The tree that release stamped (its root's device and inode) and when it had stamped every
        # folder (ns, wall clock), and the names that were symlinks: see ``_settled``.
        self.stamped: tuple | None = None
        self.symlinks: frozenset[str] | None = None
        data = read_pickle(path)
        if isinstance(data, dict) and data.get("format") == self.FORMAT:
            names, held, digests = data.get("names"), data.get("keys"), data.get("digests")
            if all(isinstance(value, list) for value in (names, held, digests)) and (
                len(names) == len(held) == len(digests)
            ):
                self.entries, self.digests = (
                    dict(zip(names, held, strict=True)),
                    dict(zip(names, digests, strict=True)),
                )
                self.release = data.get("release")
                self.build_id = data.get("build_id")
                folders, token = data.get("folders"), data.get("token")
                self.folders = folders if isinstance(folders, frozenset) else None
                self.token = token if isinstance(token, str) else None
                stamped, symlinks = data.get("stamped"), data.get("symlinks")
                self.stamped = stamped if isinstance(stamped, tuple) and len(stamped) == 2 else None
                self.symlinks = symlinks if isinstance(symlinks, frozenset) else None

    def sha(self, relative: str, key: Key | None) -> str | None:
        """Return the cached digest of ``relative`` if it still has identity ``key``."""
        if key is None or self.entries.get(relative) != key:
            return None
        digest = self.digests.get(relative)
        return digest if isinstance(digest, str) else None

    def save(  # noqa: PLR0913
        self,
        keys: dict[str, Key],
        digests: dict[str, str],
        release: tuple,
        build_id: str,
        *,
        folders: frozenset[str] | None = None,
        stamped: tuple | None = None,
        symlinks: frozenset[str] | None = None,
    ) -> None:
        """Remember the finished release (``keys`` taken after its mtimes were fixed) under a new token.

        Both tables are kept in name order in the file: the next release's tables start as copies
        of them and take the few names that changed at their end, so its sorts (``build_id``, the
        last manifest's names) find runs already in order (7 ms, not 33, for 88,000 names). This
        object takes ``keys`` and ``digests`` as they are (not sorted again into new dictionaries:
        50 ms at 88,000 names, for tables no step reads after the save).
        """
        if self.path is None:
            return
        names = sorted(keys)  # in order but for what this release changed: one pass
        held, shas = list(map(keys.__getitem__, names)), list(map(digests.__getitem__, names))
        self.entries, self.digests = keys, digests
        self.release, self.build_id = release, build_id
        self.folders, self.token = folders, os.urandom(16).hex()
        self.stamped, self.symlinks = stamped, symlinks
        data = {
            "format": self.FORMAT,
            "names": names,
            "keys": held,
            "digests": shas,
            "release": release,
            "build_id": build_id,
            "folders": folders,
            "token": self.token,
            "stamped": stamped,
            "symlinks": symlinks,
        }
        write_pickle(self.path, data, _dump_unshared)


def _dump_unshared(value, handle) -> None:
    """Pickle ``value``, which holds no object twice, without the pickler's memo.

    The digest cache is three lists of 88,000 distinct names, identities and digests (and a few
    small values): a memo of every one of them was a third of the dump's time. The pickler's
    ``fast`` mode leaves it out, which is safe for values that refer to no object twice.
    """
    pickler = pickle.Pickler(handle, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.fast = True
    pickler.dump(value)


@dataclass
class _Plan:
    """What a release must still do to the files found in the output."""

    digests: dict[str, str]  # known from the cache
    sources: list[str]  # to read, digest and compress (their copies are digested too)
    others: list[str]  # to read and digest
    stale: list[str]  # compressed copies of nothing (or of a file no longer compressed)
    # Names whose digest, size or identity may differ from the last release's (every name when the
    # cache is not trusted: ``None``); all others are as that release listed them.
    moved: set[str] | None = None
    # Whether the compressed copies found were made under this code's rules (the last release's
    # were): only then is a copy that expands to its file's bytes kept rather than made again.
    keep: bool = False


def _rules() -> tuple:
    """Return what decides which copies a file has and their bytes (a cache of other rules is not trusted)."""
    return (COMPRESSIBLE, MIN_COMPRESS_SIZE, SIBLINGS, GZIP_LEVEL, BROTLI_QUALITY, BROTLI_WINDOWS)


def _plan(
    keys: dict[str, Key], known: DigestCache | None, compress: bool, looked: list[str] | None = None
) -> _Plan:
    """Sort the files found into digests known, files to read (and compress) and stale copies.

    A file with the identity the last release left, made under the same rules, needs no look: the
    last release planned it. Only the groups (a file and its copies) where something changed,
    appeared or vanished since then are planned file by file. The comparison with the last release
    is one comprehension and set operations on the dictionaries' views: at 90,000 files, a loop
    in Python that planned every name was most of the release of one edit. ``looked`` (the walk's
    ``read``), when given, holds every name whose identity may differ from the last release's
    (the others were taken from its table): only those are compared.
    """
    plan = _Plan({}, [], [], [])
    base = (lambda rel: rel[:-3] if _is_sibling(rel) else rel) if compress else (lambda rel: rel)
    if known is not None and known.release is not None and known.release[2:4] == (compress, _rules()):
        cached, digests = known.entries, known.digests
        # A comprehension over the names: less CPU than the views' difference, which makes a set of
        # every (name, identity) pair.
        names = keys.keys() if looked is None else looked
        moved = {rel for rel in names if cached.get(rel) != keys[rel]} | (keys.keys() - digests.keys())
        gone = cached.keys() - keys.keys()
        dirty = {base(rel) for rel in moved} | {base(rel) for rel in gone}
        group = [rel for name in dirty for rel in (name, name + ".gz", name + ".br") if rel in keys]
        todo = set(group) if compress else dirty & keys.keys()
        plan.digests = dict(digests)
        for rel in (digests.keys() - keys.keys()) | moved | todo | {MANIFEST, VERSION}:
            plan.digests.pop(rel, None)
        plan.moved, plan.keep = moved | todo, True
    else:
        todo = keys.keys()
    for relative in sorted(todo):
        _plan_file(plan, relative, keys, known, compress)
    return plan


def _plan_file(
    plan: _Plan, relative: str, keys: dict[str, Key], known: DigestCache | None, compress: bool
) -> None:
    key = keys[relative]
    if relative in (MANIFEST, VERSION):
        return
    if compress and _is_sibling(relative):
        base = keys.get(relative[:-3])
        if base is None or not _compressed(relative[:-3], base[2]):
            plan.stale.append(relative)
        return  # digested with its source
    if compress and _compressed(relative, key[2]):
        group = [relative] + [relative + suffix for suffix in SIBLINGS]
        found = [known.sha(name, keys.get(name)) for name in group] if known else [None]
        if all(found):
            plan.digests.update(zip(group, found, strict=True))
        else:
            plan.sources.append(relative)
        return
    digest = known.sha(relative, key) if known else None
    if digest:
        plan.digests[relative] = digest
    else:
        plan.others.append(relative)


def _compress_batch(output: str, stamp: int | None, keep: bool, items: list[tuple[str, bool]]) -> list[tuple]:
    """Digest each file of a batch; compress those marked so. Returns ``(relative, sha256, key)`` rows.

    ``key`` is the identity of a compressed copy written here (``None`` for a file left as it was);
    with ``stamp``, a written copy gets it as mtime. With ``keep``, an existing copy that expands
    to the file's bytes is kept: it was made under the same rules, so it has a cold build's bytes.
    """
    rows = []
    for relative, source in items:
        path = os.path.join(output, relative)
        if not source:
            rows.append((relative, sha256_of(path), None))
            continue
        with open(path, "rb") as handle:
            data = handle.read()
        rows.append((relative, hashlib.sha256(data).hexdigest(), None))
        for suffix, compress, expand in COMPRESSORS:
            sibling = path + suffix
            packed = _held(sibling, expand, data) if keep else None
            key = None
            if packed is None:
                packed = compress(data)
                replace_if_changed(sibling, packed)
                if stamp is not None:
                    os.utime(sibling, ns=(stamp, stamp))
                key = identity(os.stat(sibling))
            rows.append((relative + suffix, hashlib.sha256(packed).hexdigest(), key))
    return rows


def _held(sibling: str, expand, data: bytes) -> bytes | None:
    """Return an existing compressed copy's bytes if they expand to ``data`` (decompressing is cheap)."""
    try:
        with open(sibling, "rb") as handle:
            packed = handle.read()
        return packed if expand(packed) == data else None
    except (OSError, EOFError, gzip.BadGzipFile, brotli.error, zlib.error):
        return None


def _batches(items: list, weights: list[int], count: int) -> list[list]:
    """Split ``items`` into at most ``count`` batches of near-equal weight (heaviest item first)."""
    totals = [(0, index) for index in range(count)]
    batches: list[list] = [[] for _ in range(count)]
    for weight, item in sorted(zip(weights, items, strict=True), key=lambda pair: -pair[0]):
        total, index = heapq.heappop(totals)
        batches[index].append(item)
        heapq.heappush(totals, (total + weight, index))
    return [batch for batch in batches if batch]


def _digest_and_compress(
    output: Path, keys: dict[str, Key], plan: _Plan, stamp: int | None, workers: int | None
) -> list[tuple]:
    """Return the rows of ``_compress_batch`` over the whole plan (see ``_compression``)."""
    with contextlib.ExitStack() as stack:
        return list(_compression(output, keys, plan, stamp, workers, stack=stack))


def _compression(  # noqa: PLR0913
    output: Path, keys: dict[str, Key], plan: _Plan, stamp: int | None, workers: int | None, *, stack
) -> Iterable[tuple]:
    """Start ``_compress_batch`` over the plan: in this thread when little, else on every core.

    Returns its rows as they come: the pool (kept open by ``stack``, a ``contextlib.ExitStack``)
    works from this call on, so the caller can do its own work before reading them; in this
    thread the work is done before it returns.

    The pool is of threads: zlib, brotli and hashlib release the GIL while they work on a buffer,
    which is most of the work. Forked processes (until stop 18) were the peak of memory of a
    rebuild: each dirtied some 65 MB of its own beside the build's 340 MB. How many threads is
    decided by the bytes to compress, not the number of files: one edit's few pages, or a few
    large JSON files, stay in this thread; a new article's ~730 listing pages (about 25 MB) go to
    every core. Batches are balanced by estimated cost (compressing a byte costs about 30 times
    hashing it).
    """
    items = [(relative, True) for relative in plan.sources] + [(relative, False) for relative in plan.others]
    if not items:
        return ()
    weights = [keys[relative][2] * (COMPRESS_COST if source else 1) + 4096 for relative, source in items]
    packed = sum(keys[relative][2] for relative in plan.sources)
    workers = min(workers or os.cpu_count() or 1, max(1, packed // PARALLEL_MIN))
    if workers <= 1:
        return _compress_batch(str(output), stamp, plan.keep, items)
    # Once the pool has ended: each compressing thread has an arena of its own, where brotli's
    # buffers for the largest files (a window of 4 MB: some 16 MB of buffers) stay allocated once
    # freed: about 40 MB of a new article's release at 10,000 articles, held while the manifest
    # is read and written.
    stack.callback(return_memory)
    pool = stack.enter_context(ThreadPoolExecutor(workers, thread_name_prefix="portal-release"))
    work = partial(_compress_batch, str(output), stamp, plan.keep)
    found = pool.map(work, _batches(items, weights, workers * 4))
    return itertools.chain.from_iterable(found)


# Bytes to compress per worker below which a second core saves little: about 0.15 s of gzip and
# brotli (an article page of 33 KB takes 2.5-3 ms).
PARALLEL_MIN = 2_000_000
COMPRESS_COST = 30


def precompress(output: Path, known: DigestCache | None = None, workers: int | None = None) -> int:
    """Write ``.gz`` and ``.br`` beside every text file above ``MIN_COMPRESS_SIZE``; drop stale ones.

    With ``known`` (the last release's file identities, made under this code's rules), a file whose
    copies are all untouched since then is not even read, and a copy that already expands to its
    file's bytes is kept; without, every copy is made again (one made under other rules, such as
    another ``BROTLI_QUALITY``, would differ in bytes from a cold build's). The rest is spread over
    ``workers`` threads. Returns how many files were read.
    """
    keys = scan(output)
    plan = _plan(keys, known, compress=True)
    for relative in plan.stale:
        os.unlink(output / relative)
    plan.others = []  # digests only matter to a release
    _digest_and_compress(output, keys, plan, None, workers)
    return len(plan.sources)


def _samples(names) -> dict[str, tuple[str, str]]:
    """Return one name of each suffix among ``names`` (the first in order) with its content type.

    They are what a release remembers of the content types it listed (see ``_same_release``).
    """
    samples: dict[str, tuple[str, str]] = {}
    for rel in names:
        suffix = _type_key(rel)
        if suffix not in samples:
            samples[suffix] = (rel, _type_of(rel))
    return samples


def _type_key(relative: str) -> str:
    """Return what a file's content type depends on: its suffix (lower case), or its name without one."""
    name = relative[relative.rfind("/") + 1 :]
    dot = name.rfind(".")
    if relative == HEALTHZ or not 0 < dot < len(name) - 1:  # no suffix, as pathlib sees it
        return relative
    return name[dot:].lower()


def build_id(output: Path, epoch: int, commit: str, digests: dict | None = None) -> str:
    """``<UTC time>-<12 hex>``: the time orders releases, the digest names their exact bytes.

    The digest is the sha256 of the commit, then of each file's name, a NUL, its sha256 and a
    newline, in name order, for every file but the manifest and version files (``version.json``
    and its copies).
    """
    if digests is None:
        keys = scan(output)
        digests = {rel: sha256_of(output / rel) for rel in keys}
    names = _named_files(digests)
    digest = hashlib.sha256(commit.encode())
    for start in range(0, len(names), BUILD_ID_PIECE):  # in pieces: the whole text is tens of megabytes
        piece = names[start : start + BUILD_ID_PIECE]
        pairs = zip(piece, map(digests.__getitem__, piece), strict=True)
        digest.update(("\n".join(map("\0".join, pairs)) + "\n").encode())
    return f"{as_datetime(epoch).strftime('%Y%m%dT%H%M%SZ')}-{digest.hexdigest()[:12]}"


BUILD_ID_PIECE = 4096  # names hashed at a time by ``build_id`` (about 1 MB of text)


def _named_files(digests: dict[str, str]) -> list[str]:
    """Return the names ``build_id`` digests, sorted: all but the manifest, ``version.json`` and its copies.

    The names left out are found by bisection, not tested one by one.
    """
    names = sorted(digests)
    copies = VERSION + "."
    del names[bisect.bisect_left(names, copies) : bisect.bisect_left(names, VERSION + "/")]  # "/" follows "."
    for name in (MANIFEST, VERSION):
        _drop_sorted(names, name)
    return names


def _drop_sorted(names: list[str], name: str) -> None:
    """Remove ``name`` from the sorted list ``names``, if it is there (found by bisection)."""
    index = bisect.bisect_left(names, name)
    if index < len(names) and names[index] == name:
        del names[index]


_TYPE_OF_SUFFIX: dict[str, str] = {}


def _type_of(relative: str) -> str:
    """Return ``content_type(relative)``, remembered per suffix (the manifest asks for every file)."""
    suffix = _type_key(relative)
    if suffix == relative:
        return content_type(relative)
    found = _TYPE_OF_SUFFIX.get(suffix)
    if found is None:
        found = _TYPE_OF_SUFFIX[suffix] = content_type(relative)
    return found


# How ``_manifest_of`` lays out the list of files (as ``json.dumps(..., indent=1, sort_keys=True)``
# would): the entries' text, found again in the last release's manifest, is reused for every file
# that did not change.
FILES_OPEN = ',\n "files": [\n'
ENTRY_SEPARATOR = "\n  },\n"
FILES_CLOSE = "\n  }\n ]\n}\n"


def _entry(relative: str, digest: str, size: int, kind: str) -> str:
    """Return a file's entry in the manifest's text, without its closing brace (``ENTRY_SEPARATOR``)."""
    string = json.encoder.encode_basestring_ascii
    return (
        f'  {{\n   "path": {string(relative)},\n   "sha256": {string(digest)},\n'
        f'   "size": {int(size)},\n   "type": {string(kind)}'
    )


def _manifest_chunks(version: Version, entries: Iterable[bytes | memoryview]) -> Iterator[bytes | memoryview]:
    """Yield the bytes of a release's manifest in order, given its files' entries (``_entry``) in order.

    An item of ``entries`` may also be a run of consecutive entries as a manifest holds them
    (joined by ``ENTRY_SEPARATOR``). The text is that of ``json.dumps(manifest, indent=1,
    sort_keys=True)`` and a newline, made faster: the standard encoder takes its pure-Python path
    with ``indent`` (a second per 100,000 files).
    """
    head = json.dumps(
        {"build_id": version.build_id, "commit": version.commit, "built_at": version.built_at},
        indent=1,
        sort_keys=True,
    )
    yield f'{head[:-2]},\n "files": '.encode()
    first = True
    for piece in entries:
        yield b"[\n" if first else SEPARATOR
        first = False
        yield piece
    yield b"[]\n}\n" if first else FILES_CLOSE.encode()


SEPARATOR = ENTRY_SEPARATOR.encode()


def _manifest_of(version: Version, entries: dict[str, str]) -> str:
    """Return the text of a release's manifest, given every file's entry by path (``_entry``)."""
    ordered = (entries[name].encode() for name in sorted(entries))
    return b"".join(_manifest_chunks(version, ordered)).decode()


@dataclass
class _LastManifest:
    """The last release's manifest as found in the output: an open file and where each entry starts.

    Only the offsets are held, not the text (tens of megabytes at 10,000 articles, at the peak of a
    rebuild's memory): the next manifest copies the runs of entries that did not change from the
    file (``_runs``), a piece at a time. The file stays readable through ``handle`` when the next
    manifest replaces its name.
    """

    handle: BinaryIO
    names: list[str]
    starts: array.array  # offset of each entry, then that of the end of the last one plus a separator

    def entry(self, index: int) -> bytes:
        """Return the bytes of entry ``index``."""
        return b"".join(self.run(index, index + 1))

    def run(self, first: int, end: int) -> Iterator[bytes]:
        """Yield the bytes of entries ``first`` to ``end`` (excluded) in pieces of whole entries.

        Each piece holds its entries with the separators between them, none after the last: the
        pieces are themselves runs (``_manifest_chunks`` puts a separator between two).
        """
        starts = self.starts
        for low in range(first, end, RUN_PIECE):
            high = min(end, low + RUN_PIECE)
            yield _read_at(self.handle, starts[low], starts[high] - len(SEPARATOR))

    def find(self, name: str, low: int = 0) -> int:
        """Return where ``name`` is or would be among ``names``, from ``low`` on."""
        return bisect.bisect_left(self.names, name, low)


RUN_PIECE = 4096  # entries of the last manifest copied at a time (about 1 MB)
SCAN_PIECE = 1 << 20  # bytes of the last manifest searched at a time for its entries
HEAD_PIECE = 1 << 16  # where the list of files must begin (a manifest's head is a few lines)


def _read_at(handle: BinaryIO, start: int, end: int) -> bytes:
    """Return the bytes ``start`` to ``end`` of an open file (``OSError`` if it holds fewer)."""
    data = os.pread(handle.fileno(), end - start, start)
    while len(data) < end - start:
        more = os.pread(handle.fileno(), end - start - len(data), start + len(data))
        if not more:
            raise OSError(f"portal_release: {handle.name} is shorter than it was")
        data += more
    return data


def _entry_starts(handle: BinaryIO, size: int) -> array.array | None:
    """Return where each entry of a manifest starts (``_LastManifest.starts``), reading it in pieces.

    ``None`` unless the file is ASCII, has the list of files laid out as ``_manifest_chunks`` lays
    it out, and ends as it ends. Entries are found as the separators between them, searched from
    left to right without overlap, as one ``bytes.split`` of the whole text finds them.
    """
    opening, closing = FILES_OPEN.encode(), FILES_CLOSE.encode()
    head = _read_at(handle, 0, min(size, HEAD_PIECE))
    start = head.find(opening)
    if start < 0 or not head[:start].isascii() or size < start + len(opening) + len(closing):
        return None
    end = size - len(closing)
    if _read_at(handle, end, size) != closing:
        return None
    position = start + len(opening)
    starts = array.array("q", [position])
    rest = b""  # the bytes read since the last separator (where ``starts[-1]`` points)
    step = itertools.repeat(len(SEPARATOR))
    while position < end:
        piece = _read_at(handle, position, min(end, position + SCAN_PIECE))
        if not piece.isascii():
            return None
        parts = (rest + piece).split(SEPARATOR)  # each but the last ends at a separator
        rest = parts.pop()
        # The next entry starts after each separator: the lengths summed in C, not a loop here.
        found = itertools.accumulate(map(operator.add, map(len, parts), step), initial=starts[-1])
        starts.extend(itertools.islice(found, 1, None))
        position += len(piece)
    starts.append(end + len(SEPARATOR))
    return starts


def _last_manifest(
    output: Path, known: DigestCache, keys: dict[str, Key], moved: set[str], stack: contextlib.ExitStack
) -> _LastManifest | None:
    """Return the manifest the last release wrote, if the output still holds it as that release left it.

    ``None`` unless that manifest was found with the identity the release left (``moved`` does not
    name it), every content type it gave is still this code's, and it is laid out as ``_entry``
    lays out (its first and last entries are made again to see): then the caller makes every entry.
    The file stays open until ``stack`` closes.
    """
    names = sorted(known.entries)  # a list sorts faster than a set: walk order is partly ordered
    _drop_sorted(names, MANIFEST)
    if (
        known.release is None
        or not names
        or MANIFEST in moved
        or MANIFEST not in keys
        or MANIFEST not in known.entries
        or any(content_type(name) != kind for name, kind in known.release[4])
    ):
        return None
    try:
        handle = stack.enter_context(open(output / MANIFEST, "rb"))  # noqa: SIM115 (closed by ``stack``)
        starts = _entry_starts(handle, os.fstat(handle.fileno()).st_size)
    except OSError:
        return None
    if starts is None or len(starts) != len(names) + 1:
        return None
    last = _LastManifest(handle, names, starts)
    for index in (0, -1):
        name = names[index]
        made = _entry(name, known.digests.get(name, ""), known.entries[name][2], _type_of(name))
        if last.entry(index % len(names)) != made.encode():
            return None
    return last


def _entries(
    last: _LastManifest | None,
    known: DigestCache,
    keys: dict[str, Key],
    digests: dict[str, str],
    moved: set[str] | None,
) -> tuple[Iterable[bytes | memoryview], dict[str, tuple[str, str]], bool]:
    """Return the manifest's entries in order, one name per suffix with its type, whether nothing changed.

    With ``last`` (``_last_manifest``), the entries of files that ``moved`` does not name are the
    last manifest's, copied in runs: only the others are made, so the release of one edit formats
    a few entries, not 90,000. Without, every entry is made.
    """
    if last is None or moved is None:
        names = sorted(digests.keys() - {MANIFEST})
        made = (_entry(rel, digests[rel], keys[rel][2], _type_of(rel)).encode() for rel in names)
        return made, _samples(names), False
    samples = {_type_key(name): (name, kind) for name, kind in known.release[4]}
    fresh = (digests.keys() - known.entries.keys()) | (moved & digests.keys()) | {VERSION}
    gone = known.entries.keys() - digests.keys()
    fresh.discard(MANIFEST)
    gone.discard(MANIFEST)
    made: dict[str, bytes] = {}
    same = not gone
    for rel in sorted(fresh):
        made[rel] = _entry(rel, digests[rel], keys[rel][2], _type_of(rel)).encode()
        if same:
            index = last.find(rel)
            same = index < len(last.names) and last.names[index] == rel and last.entry(index) == made[rel]
        samples.setdefault(_type_key(rel), (rel, _type_of(rel)))
    return _runs(last, made, gone), samples, same


def _runs(last: _LastManifest, made: dict[str, bytes], gone: set[str]) -> Iterator[bytes | memoryview]:
    """Yield the entries of the next manifest in order: ``made`` ones, and runs of ``last`` between them.

    A name of ``made`` replaces its entry in ``last``, if any; a name of ``gone`` drops it.
    """
    index, count = 0, len(last.names)
    for name in sorted(made.keys() | gone):
        found = last.find(name, index)
        if found > index:
            yield from last.run(index, found)
        index = found + 1 if found < count and last.names[found] == name else found
        if name in made:
            yield made[name]
    if index < count:
        yield from last.run(index, count)


def _write_manifest(output: Path, chunks: Iterable[bytes | memoryview]) -> str:
    """Write the manifest from its bytes in order, by a temporary file and a rename; return its sha256."""
    path = output / MANIFEST
    temporary = output / f".{MANIFEST}.{os.getpid()}.tmp"
    digest = hashlib.sha256()
    with open(temporary, "wb") as handle:
        for chunk in chunks:
            digest.update(chunk)
            handle.write(chunk)
    os.replace(temporary, path)
    return digest.hexdigest()


@dataclass
class _Settled:
    """The folders of a stage that no step changed since the release of its tree stamped them.

    ``folders`` holds those (with their mtimes): their files are the last release's, as its digest
    cache lists them; ``others`` the other folders the last release had that are still folders
    (with their mtimes); ``unsettled``, every folder of the last release not in ``folders`` (the
    output itself among them); ``symlinks``, the names the last release found to be symlinks.
    """

    folders: dict[str, int]
    others: dict[str, int]
    symlinks: frozenset[str]
    unsettled: frozenset[str]


def _settled(output: Path, known: DigestCache, since: int | None) -> _Settled | None:
    """Tell which folders of a stage hold what the last release left, by one ``lstat`` each.

    ``since`` (``portal.publish.hand_over``) is when the release of the stage's tree had stamped
    every folder of it. Adding, removing or renaming an entry sets a folder's ctime to the time
    of the change, and so does renaming or stamping the folder itself, so a folder whose ctime is
    not after ``since`` has the entries it had then. Those were that release's, and the stage was
    then brought to the last release's tree by relinking the names that release changed, which
    changed their folders (a new ctime): an unchanged folder holds the last release's names, each
    with the last release's file, as ``_linked_identities`` trusts a name found with its inode.
    ``None`` when the hand-over gave no time, or the cache does not know the last release's
    folders and symlinks.
    """
    if since is None or known.folders is None or known.symlinks is None:
        return None
    settled, others = {}, {}
    prefix = os.path.join(output, "")
    for folder in known.folders:
        if not folder:  # the output itself: its entries change on every release
            continue
        try:
            st = os.lstat(prefix + folder)
        except OSError:
            continue
        if S_ISDIR(st.st_mode):
            (settled if st.st_ctime_ns <= since else others)[folder] = st.st_mtime_ns
    return _Settled(settled, others, known.symlinks, (known.folders - settled.keys()) | {""})


@dataclass
class _Found:
    """What ``_walk`` finds: identities, the names to stamp, the orphans deleted, the symlinks.

    ``read`` lists the names whose identity was found by a look at the file (``_read``, a
    symlink): the other files of ``files`` (those of the settled folders, and those found with
    the inode the last release left them) have the identity that release left them. Without the
    last release's identities, every file found is listed.
    """

    files: dict[str, Key]
    stamped: list[str]
    deleted: list[str]
    links: list[str]
    read: list[str] = field(default_factory=list)


def _take_settled(  # noqa: PLR0913, PLR0917
    output: Path, settled: _Settled, linked: dict[str, Key], orphan: Prune | None, stamp: int, into: _Found
) -> None:
    """Take the files of the settled folders from the last release, as ``_read`` would find them.

    Their orphans are deleted; their symlinks are stat'ed again (their target may have changed).
    The last release's table is copied whole and the files of the folders that are not settled
    are taken out of it (``_unsettled_names``): a one-edit publish reads a few folders of 13,000,
    and a test of every name's folder was most of this step (0.16 s at 88,000 names).
    """
    found, stamped = into.files, into.stamped
    found.update(linked)
    for relative in _unsettled_names(linked, settled):
        del found[relative]
    deleted = sorted(orphan.among(found.keys())) if orphan is not None else []
    for relative in deleted:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(os.path.join(output, relative))
        del found[relative]
    into.deleted.extend(deleted)
    for relative in settled.symlinks & found.keys():
        found[relative] = identity(os.stat(os.path.join(output, relative)))
        into.links.append(relative)
        into.read.append(relative)
    stamped.extend([relative for relative, key in found.items() if key[3] != stamp])


def _unsettled_names(linked: dict[str, Key], settled: _Settled) -> list[str]:
    """Return the names of ``linked`` whose folder is not one of ``settled``'s.

    In name order, a folder's names are one run: those that start with it (``bisect``), less the
    deeper ones. The output's own files are found between the runs of its folders.
    """
    names = sorted(linked)  # the cache keeps them in order: one pass
    found = []
    for folder in settled.unsettled:
        if not folder:
            index = 0
            while index < len(names):
                name = names[index]
                cut = name.find("/")
                if cut < 0:
                    found.append(name)
                    index += 1
                else:  # past every name under this top folder: "0" follows "/"
                    index = bisect.bisect_left(names, name[:cut] + "0", index)
            continue
        depth = len(folder)
        low = bisect.bisect_left(names, folder)
        high = bisect.bisect_left(names, folder[:-1] + "0", low)
        found.extend(name for name in names[low:high] if name.find("/", depth) < 0)
    return found


def _walk(  # noqa: PLR0913, PLR0917
    output: Path,
    folders: dict[str, int],
    stamp: int,
    orphan: Prune | None = None,
    linked: dict[str, Key] | None = None,
    settled: _Settled | None = None,
) -> _Found:
    """Every file of ``output`` with its identity as found (as ``scan``), and which need ``stamp`` as mtime.

    Returns the identities found (before any stamp: what the last release is compared with), the
    names whose mtime differs from ``stamp`` (``_stamping`` changes them), the names deleted and
    the names that are symlinks; fills in ``folders`` as ``scan`` does (they are stamped last,
    once this step has written into them). With ``orphan`` (a build's prune,
    ``portal.incremental.Outputs.take_prune``), a file or symlink it names is deleted, not listed:
    the build needs no walk of its own. Each folder is read through its descriptor, so a file's
    ``stat`` resolves one name, not its path.

    ``linked`` (``_linked_identities``) gives the identity of every file the output shares with the
    live tree of the last release: a file found with the inode it names there, as the directory
    entry tells it, is that very file, and needs no ``stat`` (most of the walk's system calls).
    With ``settled`` (``_settled``), the folders no step changed are not read at all: their files
    are the last release's (a one-edit publish reads a few hundred folders of 13,000).
    """
    found = _Found({}, [], [], [])
    folders[""] = os.stat(output).st_mtime_ns
    pending = [""]
    if settled is not None and linked is not None:
        folders.update(settled.folders)  # not read: their files are the last release's
        folders.update(settled.others)  # read for themselves: their parents may be settled
        _take_settled(output, settled, linked, orphan, stamp, found)
        pending.extend(settled.others)
    root = os.open(output, DIRECTORY)
    try:
        while pending:
            prefix = pending.pop()
            here = os.open(prefix or ".", DIRECTORY, dir_fd=root)
            try:
                _read(here, prefix, pending, folders, (stamp, orphan, linked), found)
            finally:
                os.close(here)
    finally:
        os.close(root)
    return found


def _read(  # noqa: PLR0913, PLR0917
    here: int, prefix: str, pending: list[str], folders: dict[str, int], rules: tuple, into: _Found
) -> None:
    """Read one folder of ``_walk`` (open as ``here``): files into ``into``, new folders into ``pending``.

    A folder already in ``folders`` is settled or read for itself (``_walk``), and is not read here.
    Its orphans are told apart in one go (``Prune.among``); a file found with the inode ``linked``
    gives it has the last release's identity, and is not listed in ``read`` (a folder of the API
    holds 30,000 files at 10,000 articles, and one edit changes a few).
    """
    stamp, orphan, linked = rules
    found, stamped, read = into.files, into.stamped, into.read
    with os.scandir(here) as listing:
        entries = [entry for entry in listing if not _subfolder(entry, prefix, pending, folders)]
    orphans = () if orphan is None or not entries else orphan.among({prefix + e.name for e in entries})
    for entry in entries:
        relative = prefix + entry.name
        if relative in orphans and not entry.is_dir():  # a symlink to a folder is left alone
            os.unlink(entry.name, dir_fd=here)
            into.deleted.append(relative)
        elif entry.is_file():
            key = linked.get(relative) if linked is not None else None
            if key is None or key[1] != entry.inode() or entry.is_symlink():
                st = entry.stat()
                key = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
                if entry.is_symlink():
                    into.links.append(relative)
                read.append(relative)
            found[relative] = key
            if key[3] != stamp:
                stamped.append(relative)


def _subfolder(entry: os.DirEntry, prefix: str, pending: list[str], folders: dict[str, int]) -> bool:
    """Tell whether ``entry`` is a folder (not a symlink to one); put it in ``pending`` if new there."""
    if not entry.is_dir(follow_symlinks=False):
        return False
    folder = prefix + entry.name + "/"
    if folder not in folders:
        pending.append(folder)
        folders[folder] = entry.stat(follow_symlinks=False).st_mtime_ns
    return True


@contextlib.contextmanager
def _stamping(output: Path, names: list[str], stamp: int) -> Iterator[None]:
    """Give the files ``names`` ``stamp`` as mtime while the caller goes on: by ``touch``, on another core.

    A release of a new commit stamps every file (90,000 at 10,000 articles). A thread of this
    process would hardly overlap the release's own work (each ``utime`` waits for the GIL again
    while the release runs Python), so GNU ``touch -h -c``, fed the names by ``xargs``, does it in a
    process of its own, which the block's end waits for. A name removed meanwhile (a stale
    compressed copy) is skipped (``-c``); one replaced meanwhile has its new file stamped, or
    stamped by its writer. Without ``xargs`` and ``touch``, or for a few files, the names are
    stamped here, before the block; so they are after it when ``touch`` could not run or failed
    (a ``touch`` without ``-h``, as BusyBox's): stamping twice gives the same times.
    """
    tools = shutil.which("xargs") and shutil.which("touch")
    if len(names) < STAMP_PROCESS_MIN or not tools or stamp % 1_000_000_000:
        _stamp_here(output, names, stamp)
        yield
        return
    with tempfile.TemporaryFile() as listed:
        listed.write("\0".join(names).encode("utf-8", "surrogateescape"))
        listed.seek(0)
        command = ["xargs", "-0", "-r", "touch", "-c", "-h", "-d", f"@{stamp // 1_000_000_000}", "--"]
        try:
            process = subprocess.Popen(command, cwd=output, stdin=listed, stderr=subprocess.PIPE)
        except OSError as error:  # could not be started (no memory for a process, not executable)
            process, errors = None, str(error).encode()
        try:
            yield
        finally:
            if process is not None:
                errors = process.communicate()[1]
    if process is None or process.returncode:
        message = errors.decode(errors="replace").strip()
        log.warning("portal_release: touch could not stamp %s (%s): stamped by the release", output, message)
        _stamp_here(output, names, stamp)


def _stamp_here(output: Path, names: list[str], stamp: int) -> None:
    """Give the files ``names`` ``stamp`` as mtime from this process (a name removed is skipped)."""
    prefix, times = os.path.join(output, ""), (stamp, stamp)
    for relative in names:
        with contextlib.suppress(FileNotFoundError):
            os.utime(prefix + relative, ns=times, follow_symlinks=False)


STAMP_PROCESS_MIN = 2000  # files below which starting a process costs more than it overlaps


def _remove_emptied(output: Path, deleted: list[str], folders: dict[str, int]) -> set[str]:
    """Remove the folders that deleting ``deleted`` left empty, deepest first (never the output).

    Returns the folders whose entries changed; a removed folder leaves ``folders``.
    """
    touched = {_parent(relative) for relative in deleted}
    for emptied in sorted(touched, key=len, reverse=True):
        folder = emptied
        while folder and folder in folders:
            try:
                os.rmdir(os.path.join(output, folder))
            except OSError:  # not empty
                break
            del folders[folder]
            touched.discard(folder)
            folder = _parent(folder[:-1])
            touched.add(folder)
    return touched


DIRECTORY = os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0)


def _stamp_files(output: Path, keys: dict[str, Key], names, stamp: int) -> None:
    """Give the files ``names`` (written after ``_walk``) the epoch as mtime where it differs.

    ``keys`` follow the files' new mtimes.
    """
    prefix, times = os.path.join(output, ""), (stamp, stamp)
    for relative in names:
        key = keys.get(relative)
        if key is not None and key[3] != stamp:
            os.utime(prefix + relative, ns=times, follow_symlinks=False)
            keys[relative] = (key[0], key[1], key[2], stamp)


def _stamp_folders(output: Path, folders: dict[str, int], touched: set[str], stamp: int) -> None:
    """Give every folder the epoch as mtime where it differs, or where this step changed its entries."""
    prefix, times = os.path.join(output, ""), (stamp, stamp)
    for folder, mtime in folders.items():
        if mtime != stamp or folder in touched:
            os.utime(prefix + folder, ns=times)


def _parent(relative: str) -> str:
    head, _, _ = relative.rpartition("/")
    return head + "/" if head else ""


def _release_manifest(  # noqa: PLR0913
    output: Path,
    version: Version,
    known: DigestCache,
    keys: dict[str, Key],
    digests: dict[str, str],
    *,
    moved: set[str] | None,
) -> dict[str, tuple[str, str]]:
    """Write the manifest unless the last one is found as left and says the same; record its digest.

    Returns one name per suffix with its content type (``_samples``).
    """
    with contextlib.ExitStack() as stack:  # the last manifest, open while the next is written
        last = _last_manifest(output, known, keys, moved, stack) if moved is not None else None
        entries, samples, same = _entries(last, known, keys, digests, moved)
        digests[MANIFEST] = (known.digests.get(MANIFEST) if same else None) or ""  # ``same``: found as left
        if not digests[MANIFEST]:
            digests[MANIFEST] = _write_manifest(output, _manifest_chunks(version, entries))
            keys[MANIFEST] = identity(os.stat(output / MANIFEST))
    return samples


_READ_AHEAD: dict[Path, tuple[tuple, DigestCache]] = {}  # see ``read_ahead``


def read_ahead(path: Path) -> None:
    """Read the digest cache at ``path`` now for the next ``finish`` (while the build waits for a child).

    ``finish`` takes it only if the file still has the identity it had before it was read.
    """
    try:
        found = identity(os.stat(path))
    except OSError:
        return
    _READ_AHEAD[path] = (found, DigestCache(path))


def _digest_cache(path: Path | None) -> DigestCache:
    """Return the digest cache at ``path``: the one ``read_ahead`` read, if the file is still that one."""
    found = _READ_AHEAD.pop(path, None) if path is not None else None
    with contextlib.suppress(OSError):
        if found is not None and identity(os.stat(path)) == found[0]:
            return found[1]
    return DigestCache(path)


def finish(  # noqa: PLR0913
    output: Path,
    epoch: int,
    commit: str,
    compress: bool = True,
    cache: Path | None = None,
    *,
    changes: Path | None = None,
) -> Version:
    """Turn a built output into a release: healthz, compressed copies, version, manifest, mtimes.

    ``cache`` (a file) keeps the digests of the last release, so an incremental publish reads and
    compresses only the files it changed, and a release of an output that did not change since
    the last one, for the same epoch and commit, writes nothing. One walk of the output, then every
    file it found with another mtime gets the epoch on a thread of its own (``_stamping``) while
    the rest goes on; every later step works on what the walk found and on the files it wrote
    itself, and in Python only on the names that changed since the last release (the manifest's
    other entries are the last manifest's text). ``changes`` (a file, see
    ``portal.publish.CHANGES``) receives which names this release replaced, added or removed
    since the tree its output was staged from, for the next ``stage``.
    """
    known = _digest_cache(cache)
    before = (known.entries, known.folders, known.build_id, known.stamped)  # ``save`` replaces them
    handed = _handed(changes, known, output)
    stamp = epoch * 1_000_000_000
    built_at = as_datetime(epoch).strftime("%Y-%m-%dT%H:%M:%SZ")
    write_output(output, HEALTHZ, "ok\n")
    folders: dict[str, int] = {}
    linked = _linked_identities(known, output) if handed is not None else None
    settled = _settled(output, known, handed.get("stamped")) if linked is not None else None
    prune = OUTPUTS.take_prune(output)
    walked = _walk(output, folders, stamp, prune, linked, settled)
    keys, stamped, deleted = walked.files, walked.stamped, walked.deleted
    touched = _remove_emptied(output, deleted, folders)  # folders whose entries this step changes
    OUTPUTS.removed.extend(os.path.join(output, relative) for relative in deleted)
    if not deleted and _same_release(known, keys, folders, (stamp, commit, compress, _rules())):
        record_changes(
            changes,
            output,
            before,
            handed,
            keys=keys,
            folders=folders,
            build_id=known.build_id,
            token=known.token,
        )
        return Version(known.build_id, commit, built_at)
    with _stamping(output, stamped, stamp):  # every file the walk found with another mtime
        written = {VERSION, MANIFEST}  # names this step may replace
        plan = _plan(keys, known, compress, walked.read)
        for relative in plan.stale:
            os.unlink(output / relative)
            del keys[relative]
            touched.add(_parent(relative))
        digests = plan.digests
        with contextlib.ExitStack() as stack:
            rows = _compression(output, keys, plan, stamp, None, stack=stack)
            # While a pool compresses: what needs no digest of this release.
            for relative in stamped:  # compared with the last release: now as the files are
                if relative in keys:
                    key = keys[relative]
                    keys[relative] = (key[0], key[1], key[2], stamp)
            for relative, digest, key in rows:
                digests[relative] = digest
                if key is not None:
                    keys[relative] = key
                    touched.add(_parent(relative))
                    written.add(relative)
        version = Version(build_id(output, epoch, commit, digests), commit, built_at)
        text = version.to_json()
        write_output(output, VERSION, text)
        keys[VERSION] = identity(os.stat(output / VERSION))
        digests[VERSION] = hashlib.sha256(text.encode()).hexdigest()
        samples = _release_manifest(output, version, known, keys, digests, moved=plan.moved)
    touched.add("")  # version.json or manifest.json may have been replaced (one utime)
    _stamp_files(output, keys, written, stamp)
    _stamp_folders(output, folders, touched, stamp)
    settles = (root_of(output), time.time_ns())  # no folder of this tree changes after it unseen
    release = (stamp, commit, compress, _rules(), tuple(sorted(samples.values())))
    known.save(
        keys,
        digests,
        release,
        version.build_id,
        folders=frozenset(folders),
        stamped=settles,
        symlinks=frozenset(walked.links),
    )
    suspects = None if plan.moved is None else plan.moved | written
    record_changes(
        changes,
        output,
        before,
        handed,
        keys=keys,
        folders=folders,
        build_id=version.build_id,
        token=known.token,
        suspects=suspects,
    )
    return version


def _handed(path: Path | None, known: DigestCache, output: Path) -> dict | None:
    """Return the record ``portal.publish.stage`` handed over if ``output`` is a stage of the last release.

    That is: the stage was made for this very output from the tree the release ``known`` describes
    (its token and build id), and brought to that tree's state, name for name and inode for inode.
    ``None`` otherwise (no record, a build straight into a folder, a broken chain).
    """
    if path is None or known.token is None or known.folders is None:
        return None
    handed = read_changes(path)
    try:
        staged = root_of(output)
    except OSError:
        return None
    if (
        handed is not None
        and handed.get("token") == known.token
        and handed.get("staged") == staged
        and handed.get("build_id") == known.build_id
        and isinstance(handed.get("root"), tuple)
    ):
        return handed
    return None


def _linked_identities(known: DigestCache, output: Path) -> dict[str, Key] | None:
    """Return the last release's file identities, to be trusted by inode in a stage of its tree.

    In a stage handed over by ``portal.publish.stage`` (``_handed``) every name the build did not
    replace is a hard link of the live tree's file, which stays in place until the swap: its inode
    cannot have been reused, and no writer changes a file in place (``portal.incremental``), so a
    name found with that inode has that identity (size, and the mtime the release gave it). Files
    of another device than the stage's are not trusted.
    """
    try:
        device = os.stat(output).st_dev
    except OSError:
        return None
    sample = next(iter(known.entries.values()), None)
    return known.entries if sample is not None and sample[0] == device else None


def record_changes(  # noqa: PLR0913
    path: Path | None,
    output: Path,
    before: tuple,
    handed: dict | None,
    *,
    keys: dict[str, Key],
    folders: dict[str, int],
    build_id: str,
    token: str | None,
    suspects: set[str] | None = None,
) -> None:
    """Write the record ``portal.publish.stage`` reads: this release, and what it changed if known.

    ``before`` is what the digest cache said before this release (file identities, folders, build
    id, the tree it stamped and when); ``handed``, the record ``stage`` handed over (``_handed``),
    when this output is a stage of the tree that cache describes: then every name whose device and
    inode differ from that tree's, or that one of both trees lacks, is listed. ``suspects``, when
    given, holds every name that may differ (the others had the identity of ``before`` when the
    release found them, and the release wrote none of them): only those are compared.
    """
    if path is None:
        return
    record = {"format": CHANGES_FORMAT, "root": root_of(output), "build_id": build_id, "token": token}
    entries, known_folders, known_build, stamped = before
    if handed is not None:
        record["from"], record["from_build"] = handed["root"], known_build
        # When the tree staged from had every folder stamped (``_settled``), if this cache knows.
        record["from_stamped"] = stamped[1] if stamped is not None and stamped[0] == handed["root"] else None
        names = keys.keys() if suspects is None else suspects & keys.keys()
        record["changed"] = sorted(
            rel for rel in names if (old := entries.get(rel)) is None or old[:2] != keys[rel][:2]
        )
        record["removed"] = sorted(entries.keys() - keys.keys())
        record["folders_added"] = sorted(folders.keys() - known_folders)
        record["folders_removed"] = sorted(known_folders - folders.keys())
    write_pickle(path, record)


def _same_release(known: DigestCache, keys: dict[str, Key], folders: dict[str, int], release: tuple) -> bool:
    """Whether the output is, file for file, the release ``known`` describes, made the same way.

    Same epoch, commit and rules, every file with the identity that release left (so the same
    bytes, version and manifest included), every folder at the epoch, and every content type the
    manifest gave still the one this code gives.
    """
    last = known.release
    return (
        last is not None
        and known.build_id is not None
        and last[:4] == release
        and keys == known.entries
        and all(mtime == release[0] for mtime in folders.values())
        and all(content_type(name) == kind for name, kind in last[4])
    )


def read_manifest(output: Path) -> dict:
    """Return the manifest of a finished release folder."""
    return json.loads((output / MANIFEST).read_text(encoding="utf-8"))


def tarball(output: Path, target: Path, epoch: int) -> Path:
    """Write a deterministic ``.tar.gz`` of ``output`` (sorted, fixed owner and mtime) to ``target``.

    Every file is a regular member with its bytes, even one that shares its inode with another
    (share cards are hard links of the cache's files, and two articles may have the same card):
    the archive depends on the bytes, never on which names a build happened to link.
    """
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for relative in files_of(output):
            info = tarfile.TarInfo(relative)
            info.size = (output / relative).stat().st_size
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            info.mtime = epoch
            info.mode = 0o644
            with (output / relative).open("rb") as handle:
                archive.addfile(info, handle)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(gzip_bytes(buffer.getvalue()))
    return target
