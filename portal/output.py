"""The one helper that writes non-template files into the output folder, refusing to escape it.

Pelican's own check uses ``startswith``, which lets ``output-old/`` through; this one resolves
the path and checks ``is_relative_to``. It also skips rewriting a file whose bytes are unchanged,
so an incremental publish leaves untouched files (and their mtimes) alone, and it records every
path it produced so that the build can prune what it no longer makes (``portal.incremental``).
"""

from __future__ import annotations

import os
from pathlib import Path

from .incremental import replace_if_changed


class OutputPathError(Exception):
    """A plugin tried to write outside the output folder."""


def target(output: str | os.PathLike, relative: str) -> Path:
    """Return the absolute path of ``relative`` inside ``output``, or raise if it escapes."""
    root = Path(output).resolve()
    path = (root / relative).resolve()
    if not path.is_relative_to(root) or path == root:
        raise OutputPathError(f"refusing to write {relative!r} outside {root}")
    return path


def write_output(output: str | os.PathLike, relative: str, data: bytes | str) -> Path:
    """Write ``data`` (text is UTF-8) to ``output/relative``; unchanged files are not rewritten."""
    path = target(output, relative)
    replace_if_changed(path, data.encode("utf-8") if isinstance(data, str) else data)
    return path
