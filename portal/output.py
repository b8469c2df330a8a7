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
