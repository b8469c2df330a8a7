"""The one helper that writes non-template files into the output folder, refusing to escape it.

Pelican's own check uses ``startswith``, which lets ``output-old/`` through; this one resolves
the path and checks ``is_relative_to``. It also skips rewriting a file whose bytes are unchanged,
so an incremental publish leaves untouched files (and their mtimes) alone.
"""

from __future__ import annotations

import os
from pathlib import Path


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
    payload = data.encode("utf-8") if isinstance(data, str) else data
    if path.is_file() and path.stat().st_size == len(payload) and path.read_bytes() == payload:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(payload)
    os.replace(temporary, path)
    return path
