"""Incremental output: write a file only when its bytes change, and prune what a build no longer makes.

A publish builds into a staged copy of the last output (hard links, see ``portal.publish.stage``),
so every write must replace a file (a new inode) and never write into it: the last output stays
whole until the swap. Files whose bytes are unchanged are left alone (mtime and inode included),
which keeps a no-change publish cheap and lets rsync/ETags see only real changes.

Every writer of the build (Pelican's writer through portal_perf, ``portal.output.write_output``,
static copies) records the paths it produced here; once the build has written everything, files
of the output that it did not produce are orphans (a deleted article, a vanished tag page) and are
removed, so an incremental publish equals a cold one. The output is not listed when the build
starts: the orphans are found by the one walk of the whole output at the end, the release's when
it runs (``Outputs.defer_prune``), else ``Outputs.prune``'s own.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

CHUNK = 1 << 20
PRECOMPRESSED = (".gz", ".br")


def _orphaned(name: str, produced) -> bool:
    """Tell whether ``name`` is neither in ``produced`` nor a precompressed sibling of a name in it.

    A sibling's source is its name without the 3 letters of ``.gz``/``.br``; absolute paths or
    names relative to the output alike, as ``produced`` holds them.
    """
    return name not in produced and not (name.endswith(PRECOMPRESSED) and name[:-3] in produced)


def under(folder: str, relative: str) -> str:
    """Return ``os.path.abspath(os.path.join(folder, relative))``, ``folder`` absolute and normal.

    A plain relative name (no ``.`` or ``..`` part, no doubled, leading or trailing ``/``) is joined
    as it is: callers join thousands of names a build, and making each path normal again cost more
    than the rest of what they do with it.
    """
    wrapped = f"/{relative}/"
    if "//" in wrapped or "/./" in wrapped or "/../" in wrapped:
        return os.path.abspath(os.path.join(folder, relative))
    return f"{folder}/{relative}" if folder != "/" else "/" + relative


class Outputs:
    """The files one build produced, and whether the orphans it leaves are still to be deleted."""

    def __init__(self) -> None:
        self.produced: set[str] = set()
        self.root: Path | None = None
        self.pending: frozenset[str] | None = None  # a prune left to the next walk: names it keeps
        self.removed: list[str] = []  # what the last prune deleted

    def start(self, root: str | os.PathLike) -> None:
        """Begin a build into ``root``: forget what earlier builds made (nothing is listed yet)."""
        self.root = Path(root).resolve()
        self.produced = set()
        self.pending, self.removed = None, []

    def made(self, root: str | os.PathLike, suffix: str = "") -> list[str] | None:
        """Return the files this build produced under ``root`` ending with ``suffix``, relative (POSIX).

        ``None`` when the last build started is not one into ``root``.
        """
        if self.root is None or self.root != Path(root).resolve():
            return None
        prefix = os.path.join(self.root, "")
        return [
            path[len(prefix) :] for path in self.produced if path.endswith(suffix) and path.startswith(prefix)
        ]

    def record(self, path: str | os.PathLike) -> None:
        """Note that this build produced ``path`` (written or found unchanged)."""
        self.produced.add(os.path.abspath(path))

    def record_normal(self, path: str) -> None:
        """``record`` of a path already absolute and normal (as ``os.path.abspath`` returns it)."""
        self.produced.add(path)

    def record_under(self, folder: str, relative: str) -> None:
        """``record`` of ``folder``/``relative``, ``folder`` absolute and normal, joined by ``under``.

        The API and the feeds record thousands of unchanged files a build this way.
        """
        self.produced.add(under(folder, relative))

    def is_orphan(self, path: str) -> bool:
        """Whether the file at ``path`` (absolute, under the root) was not produced by this build.

        A precompressed sibling (``x.html.gz``) of a produced file is not an orphan: the step that
        compresses runs after pruning and keeps or replaces it.
        """
        return _orphaned(path, self.produced)

    def orphans(self) -> list[str]:
        """Files of the output (listed now) that this build did not produce."""
        if self.root is None or not self.root.is_dir():
            return []
        return sorted(path for path in list_files(self.root) if self.is_orphan(path))

    def prune(self, keep: tuple[str, ...] = ()) -> list[str]:
        """Delete the orphans and the folders they leave empty; return what was deleted.

        ``keep`` names files (relative to the output) that a later step writes anyway.
        """
        kept = {os.path.join(self.root, name) for name in keep} if self.root else set()
        removed = [path for path in self.orphans() if path not in kept]
        for path in removed:
            try:
                os.unlink(path)
            except FileNotFoundError:
                continue
            _remove_empty_parents(Path(path).parent, self.root)
        self.pending, self.removed = None, removed
        return removed

    def defer_prune(self, keep: tuple[str, ...] = ()) -> None:
        """Leave this build's prune to the next walk of the whole output (``take_prune``).

        Whoever walks the output anyway (the release) deletes the orphans on its way; if nobody
        does, ``prune_pending`` deletes them with a walk of its own.
        """
        self.pending = frozenset(keep)

    def take_prune(self, root: str | os.PathLike) -> Prune | None:
        """Take over a deferred prune of ``root``: return its test of a relative name, or ``None``.

        The caller deletes every file of ``root`` for which the test is true (and the folders
        that leaves empty) and puts the absolute paths in ``removed``.
        """
        if self.pending is None or self.root is None or self.root != Path(root).resolve():
            return None
        keep, prefix = self.pending, os.path.join(self.root, "")
        self.pending, self.removed = None, []
        start = len(prefix)  # ``is_orphan`` on relative names: the walk asks for every file
        return Prune({path[start:] for path in self.produced if path.startswith(prefix)}, keep)

    def prune_pending(self) -> list[str]:
        """Prune now if a deferred prune was not taken over; return what the prune deleted."""
        if self.pending is not None:
            return self.prune(tuple(self.pending))
        return self.removed


class Prune:
    """A build's deferred prune, as ``Outputs.take_prune`` hands it over: which relative names are orphans.

    ``made`` holds the names the build produced, ``keep`` those a later step writes anyway.
    """

    def __init__(self, made: set[str], keep: frozenset[str]) -> None:
        self.made, self.keep = made, keep
        self._copies: set[str] | None = None  # the compressed copies' names of what was made

    def __call__(self, relative: str) -> bool:
        """Tell whether ``relative`` is an orphan (as ``Outputs.is_orphan`` tells of a path)."""
        return relative not in self.keep and _orphaned(relative, self.made)

    def among(self, names) -> set[str]:
        """Return the orphans among ``names`` (a set or a dictionary's keys) by set differences alone.

        A name is no orphan if it was made, is kept, or is a compressed copy of a name made: the
        copies' names are made once per prune. A release tests every name of the output so
        (90,000 at 10,000 articles), most of them copies, which a test of each in Python cost.
        """
        if self._copies is None:
            self._copies = {name + suffix for name in self.made for suffix in PRECOMPRESSED}
        return names - self.made - self.keep - self._copies


OUTPUTS = Outputs()


Key = tuple  # (device, inode, size, mtime in ns) of one output file


def identity(st: os.stat_result) -> Key:
    """Return a file's identity: device, inode, size and mtime (ns)."""
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def scan(output: Path, folders: dict[str, int] | None = None, suffix: str = "") -> dict[str, Key]:
    """Every file of ``output`` (relative, POSIX) ending with ``suffix``, with its identity, in one walk.

    With ``folders``, also fills in the mtime of every folder (``""`` is ``output`` itself).
    """
    found: dict[str, Key] = {}
    if folders is not None:
        folders[""] = os.stat(output).st_mtime_ns
    pending = [(str(output), "")]
    while pending:
        folder, prefix = pending.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    name = prefix + entry.name + "/"
                    pending.append((entry.path, name))
                    if folders is not None:
                        folders[name] = entry.stat(follow_symlinks=False).st_mtime_ns
                elif entry.name.endswith(suffix) and entry.is_file():
                    found[prefix + entry.name] = identity(entry.stat())
    return found


def tree_entries(root: str | os.PathLike) -> Iterator[os.DirEntry]:
    """Every entry under ``root`` that is not a folder, walking real folders only.

    What ``os.walk`` lists as files (a symlink to a folder is neither walked nor listed), in one
    ``scandir`` per folder without its generator and joins; a folder that cannot be read is skipped.
    """
    pending = [os.fspath(root)]
    while pending:
        try:
            entries = os.scandir(pending.pop())
        except OSError:
            continue
        with entries:
            for entry in entries:
                try:
                    is_dir = entry.is_dir()
                except OSError:
                    is_dir = False
                if not is_dir:
                    yield entry
                elif not entry.is_symlink():
                    pending.append(entry.path)


def list_files(root: Path) -> list[str]:
    """Every file under ``root`` as an absolute path (``tree_entries``): a rebuild lists its whole output."""
    return [entry.path for entry in tree_entries(root)]


def _remove_empty_parents(folder: Path, root: Path | None) -> None:
    while root is not None and folder != root and folder.is_relative_to(root):
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


def same_bytes(path: str | os.PathLike, payload: bytes) -> bool:
    """Tell whether ``path`` is a file holding exactly ``payload``."""
    try:
        if os.stat(path).st_size != len(payload):
            return False
        with open(path, "rb") as handle:
            return handle.read() == payload
    except OSError:
        return False


def replace_if_changed(path: str | os.PathLike, payload: bytes) -> bool:
    """Write ``payload`` to ``path`` through a temporary file and a rename; skip equal bytes.

    Returns whether the file was written. The rename gives the path a new inode, so a hard-linked
    copy of the old output never changes.
    """
    OUTPUTS.record(path)
    if same_bytes(path, payload):
        return False
    os.makedirs(os.path.dirname(path), exist_ok=True)
    replace_file(path, payload)
    return True


def link_from_cache(cached: str | os.PathLike, path: str | os.PathLike) -> None:
    """Put the bytes of ``cached`` (a cache's file, never changed in place) at ``path``, unwritten.

    A hard link (a temporary link, then a rename): the output and the cache share the file, so a
    share card or a photo is written once, not twice. Where they cannot share one (another
    filesystem, links not allowed) the bytes are copied, as ``replace_if_changed`` does.
    """
    OUTPUTS.record(path)
    path = os.fspath(path)
    folder, name = os.path.split(path)
    os.makedirs(folder, exist_ok=True)
    temporary = os.path.join(folder, f".{name}.{os.getpid()}.link")
    try:
        os.link(cached, temporary)
    except OSError:
        with open(cached, "rb") as handle:
            replace_if_changed(path, handle.read())
        return
    os.replace(temporary, path)


def replace_file(path: str | os.PathLike, payload: bytes) -> os.stat_result:
    """Write ``payload`` to ``path`` (its folder exists) by a temporary file and a rename.

    Returns the new file's ``stat``. The rename gives the path a new inode: a hard-linked copy of
    the old file never changes.
    """
    folder, name = os.path.split(path)
    temporary = os.path.join(folder, f".{name}.{os.getpid()}.tmp")
    with open(temporary, "wb") as handle:
        handle.write(payload)
        handle.flush()
        written = os.fstat(handle.fileno())
    os.replace(temporary, path)
    return written


def same_file(first: str | os.PathLike, second: str | os.PathLike) -> bool:
    """Tell whether both files exist and hold the same bytes."""
    try:
        if os.path.samefile(first, second):
            return True
        if os.stat(first).st_size != os.stat(second).st_size:
            return False
        with open(first, "rb") as one, open(second, "rb") as two:
            while True:
                left, right = one.read(CHUNK), two.read(CHUNK)
                if left != right:
                    return False
                if not left:
                    return True
    except OSError:
        return False


def copy_if_changed(source: str | os.PathLike, destination: str | os.PathLike) -> bool:
    """Copy a file by temporary file and rename unless the destination already has its bytes."""
    OUTPUTS.record(destination)
    if same_file(source, destination):
        return False
    folder = os.path.dirname(os.path.abspath(destination))
    os.makedirs(folder, exist_ok=True)
    temporary = os.path.join(folder, f".{os.path.basename(destination)}.{os.getpid()}.tmp")
    with open(source, "rb") as reader, open(temporary, "wb") as writer:
        while chunk := reader.read(CHUNK):
            writer.write(chunk)
    os.replace(temporary, destination)
    return True


def read_record(path: Path | None, version: int) -> dict | None:
    """Return the JSON record a build kept at ``path`` when it is of ``version``, else ``None``."""
    import json

    if path is None:
        return None
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("format") == version else None
