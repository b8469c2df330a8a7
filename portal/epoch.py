"""The one clock of a build: ``SOURCE_DATE_EPOCH``, else the commit time, never the wall clock.

Everything time-dependent in the output (``security.txt`` Expires, ``version.json`` built-at,
file mtimes) reads this, so two publishes of one commit are byte-identical. A build asks once
(``build_clock``): the plugins that need the time share one answer.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from weakref import WeakKeyDictionary

from .incremental import tree_entries


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
    return newest_mtime(folder)


def newest_mtime(folder: str | os.PathLike) -> int:
    """Return the mtime (whole seconds) of the newest file under ``folder``, 0 without any."""
    newest = max((entry.stat().st_mtime_ns for entry in tree_entries(folder) if entry.is_file()), default=0)
    return newest // 1_000_000_000


@dataclass(frozen=True)
class Clock:
    """The time and commit of one build."""

    epoch: int
    commit: str


_CLOCKS: WeakKeyDictionary = WeakKeyDictionary()


def build_clock(pelican) -> Clock:
    """Return the clock of the build run by ``pelican`` (its content folder's), asked once per build.

    Each Pelican run (a publish, each rebuild of the preview) is a new ``Pelican`` object and so
    asks again; within one run every plugin gets the same answer.
    """
    clock = _CLOCKS.get(pelican)
    if clock is None:
        content = pelican.settings["PATH"]
        clock = _CLOCKS[pelican] = Clock(source_date_epoch(content), commit_of(content))
    return clock


def as_datetime(epoch: int) -> datetime:
    """Return the epoch as an aware UTC datetime."""
    return datetime.fromtimestamp(epoch, UTC)
