"""The one clock of a build: ``SOURCE_DATE_EPOCH``, else the commit time, never the wall clock.

Everything time-dependent in the output (``security.txt`` Expires, ``version.json`` built-at,
file mtimes) reads this, so two publishes of one commit are byte-identical.
"""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path


def git(folder: str | os.PathLike, *args: str) -> str:
    """Return git's output for ``folder``'s repository, or "" outside one (or without git)."""
    try:
        done = subprocess.run(
            ["git", "-C", str(folder), *args],
            capture_output=True,
            text=True,
            check=False,
        )
    except FileNotFoundError:
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def commit_of(folder: str | os.PathLike) -> str:
    """Return the commit checked out where ``folder`` lives ("" outside git); ``SOURCE_COMMIT`` wins."""
    return os.environ.get("SOURCE_COMMIT") or git(folder, "rev-parse", "HEAD")


def source_date_epoch(folder: str | os.PathLike) -> int:
    """``SOURCE_DATE_EPOCH``, else the commit time of ``folder``, else its newest file's mtime."""
    value = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if value:
        return int(value)
    committed = git(folder, "log", "-1", "--format=%ct")
    if committed:
        return int(committed)
    files = [p for p in Path(folder).rglob("*") if p.is_file()]
    return int(max((p.stat().st_mtime for p in files), default=0))


def as_datetime(epoch: int) -> datetime:
    """Return the epoch as an aware UTC datetime."""
    return datetime.fromtimestamp(epoch, UTC)
