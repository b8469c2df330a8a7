"""The one helper that writes non-template files into the output folder, refusing to escape it.

Pelican's own check uses ``startswith``, which lets ``output-old/`` through; this one resolves
the path and checks ``is_relative_to``. It also skips rewriting a file whose bytes are unchanged,
so an incremental publish leaves untouched files (and their mtimes) alone, and it records every
path it produced so that the build can prune what it no longer makes (``portal.incremental``).
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

from .incremental import replace_if_changed


class OutputPathError(Exception):
    """A plugin tried to write outside the output folder."""


def target(output: str | os.PathLike, relative: str) -> Path:
    """Return the absolute path of ``relative`` inside ``output``, or raise if it escapes.

    Symlinks are resolved in the folder part (where an escape would hide); folders already seen
    are not resolved again, since a build writes thousands of files into a few hundred folders.
    """
    root = _real(os.fspath(output))
    joined = os.path.normpath(os.path.join(root, relative))
    folder, name = os.path.split(joined)
    path = os.path.join(_real(folder), name)
    if os.path.islink(path):
        path = os.path.realpath(path)
    if not (path.startswith(root + os.sep) and path != root):
        raise OutputPathError(f"refusing to write {relative!r} outside {root}")
    return Path(path)


@functools.lru_cache(maxsize=4096)
def _real_cached(folder: str) -> str:
    return os.path.realpath(folder)


def _real(folder: str) -> str:
    """``realpath`` of a folder, remembered once it exists (a missing one may still be made a link)."""
    if os.path.isdir(folder):
        return _real_cached(folder)
    return os.path.realpath(folder)


def write_output(output: str | os.PathLike, relative: str, data: bytes | str) -> Path:
    """Write ``data`` (text is UTF-8) to ``output/relative``; unchanged files are not rewritten."""
    path = target(output, relative)
    replace_if_changed(path, data.encode("utf-8") if isinstance(data, str) else data)
    return path


@functools.lru_cache(maxsize=1)
def code_digest() -> bytes:
    """Hash of the portal's Python code (``portal/`` and ``plugins/``): what every output is made by."""
    import hashlib

    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for folder in ("portal", "plugins"):
        for path in sorted((root / folder).rglob("*.py")):
            digest.update(f"{path.relative_to(root)}\0".encode() + path.read_bytes())
    return digest.digest()


SETTINGS_SKIPPED = ("OUTPUT_PATH", "CACHE_PATH")  # where a build writes, not what it makes


def settings_digest(settings) -> bytes:
    """Hash of every setting but ``SETTINGS_SKIPPED``: the same settings give the same hash in any process.

    Sets are hashed in sorted order, functions by their name and bytecode, other objects by their
    type and ``repr`` (by the type alone when the ``repr`` shows a memory address).
    """
    import hashlib

    digest = hashlib.sha256()
    for name in sorted(settings):
        if name not in SETTINGS_SKIPPED:
            try:
                part = _stable(settings[name])
            except RecursionError:
                part = type(settings[name]).__qualname__
            digest.update(f"{name}={part}\n".encode("utf-8", "surrogatepass"))
    return digest.digest()


def _stable(value) -> str:  # noqa: PLR0911 (one return per kind of value)
    """Return a text that stands for ``value`` the same way in every process."""
    import hashlib
    import re

    if value is None or isinstance(value, (str, bytes, int, float)):
        return repr(value)
    if isinstance(value, os.PathLike):
        return repr(os.fspath(value))
    if isinstance(value, (list, tuple)):
        return f"{type(value).__name__}[{','.join(map(_stable, value))}]"
    if isinstance(value, (set, frozenset)):
        return f"set[{','.join(sorted(map(_stable, value)))}]"
    if isinstance(value, dict):
        return "dict{" + ",".join(f"{_stable(k)}:{_stable(v)}" for k, v in value.items()) + "}"
    if isinstance(value, re.Pattern):
        return f"re({value.pattern!r},{value.flags})"
    if isinstance(value, type):
        return f"class {value.__module__}.{value.__qualname__}"
    code = getattr(value, "__code__", None)
    if code is not None:
        constants = [c for c in code.co_consts if c is None or isinstance(c, (str, bytes, int, float))]
        body = hashlib.sha256(code.co_code + repr(constants).encode("utf-8", "surrogatepass")).hexdigest()
        return f"function {value.__module__}.{value.__qualname__} {body}"
    kind = f"{type(value).__module__}.{type(value).__qualname__}"
    text = repr(value)
    return kind if " at 0x" in text else f"{kind}:{text}"


class KeyedOutputs:
    """Files made from values whose key is known, skipped while the file is the one made for it.

    A generator that writes thousands of files from cached records (the API's article documents)
    asks ``current(relative, key)`` first: when the file is still the one this record wrote for
    the same key (same device, inode and size: every writer replaces files by rename, and the
    staged copy of a publish keeps inodes), it is recorded as produced and not made again.
    Otherwise ``write`` makes it. ``save`` keeps the record for the next build, in the cache folder,
    one record per output folder. Keys must cover everything the bytes depend on.
    """

    def __init__(self, cache_folder: str | None, output: str | os.PathLike, name: str):
        import hashlib

        from .buildcache import read_pickle

        self.output = os.fspath(output)
        self._absolute = os.path.abspath(self.output)  # what ``OUTPUTS`` records paths under
        self.previous: dict[str, tuple] = {}
        self.current: dict[str, tuple] = {}
        self.skipped = self.written = 0
        self.path = None
        if cache_folder:
            tag = hashlib.sha256(os.path.abspath(self.output).encode()).hexdigest()[:16]
            self.path = os.path.join(cache_folder, f"{name}-outputs-{tag}.pickle")
            previous = read_pickle(self.path)
            self.previous = previous if isinstance(previous, dict) else {}

    def current_file(self, relative: str, key: bytes | None) -> bool:
        """Tell whether ``relative`` still holds what was made for ``key`` (then it counts as produced)."""
        from .incremental import OUTPUTS

        recorded = self.previous.get(relative)
        if key is None or recorded is None or recorded[0] != key:
            return False
        path = os.path.join(self.output, relative)
        try:
            info = os.stat(path)
        except OSError:
            return False
        if (info.st_dev, info.st_ino, info.st_size) != recorded[1:]:
            return False
        OUTPUTS.record_under(self._absolute, relative)
        self.current[relative] = recorded
        self.skipped += 1
        return True

    def write(self, relative: str, key: bytes | None, data: bytes | str) -> Path:
        """Make ``relative`` with ``write_output`` and remember it under ``key``."""
        path = write_output(self.output, relative, data)
        self.written += 1
        if key is not None:
            info = os.stat(path)
            self.current[relative] = (key, info.st_dev, info.st_ino, info.st_size)
        return path

    def save(self) -> None:
        """Keep what this build made or found current (nothing else) for the next build."""
        from .buildcache import write_pickle

        if not self.path or self.current == self.previous:
            return
        write_pickle(self.path, self.current)
