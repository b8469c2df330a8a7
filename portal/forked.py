"""Run a function in a forked child of the build: its value and the files it made come back.

Two steps of a build use it: the article pages rendered by two processes (``portal_perf``'s
``write_in_two``) and the search index built beside the feeds and the API (``portal_search``).
The child shares the parent's memory copy-on-write, so nothing is pickled on the way in; every
value it reads must be final when it is forked. ``gc.freeze()`` before the fork keeps both
collectors from touching (and so copying) the shared objects until the child is waited for; when
the build had frozen its objects already (``portal_perf``'s article cache), they stay frozen.
The child sends back its value and the outputs it recorded (``OUTPUTS``), or its error and
traceback, through a temporary file (a pipe would block it until the parent reads), and leaves
with ``os._exit``: none of the parent's cleanup runs twice.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import os
import pickle
import tempfile
import traceback

from .incremental import OUTPUTS


def return_memory() -> None:
    """Give back to the kernel the memory malloc keeps free (glibc's ``malloc_trim``); else nothing.

    Before a fork: a free page both processes map is held by the parent once the child writes to
    it (copy-on-write), although neither uses what it held; given back, it is held by nobody. After
    the release's compressing threads: each left its buffers in an arena of its own.
    """
    with contextlib.suppress(OSError, AttributeError):  # no glibc (``malloc_trim`` is its own)
        ctypes.CDLL(None).malloc_trim(0)  # the process's own symbols: no search for the library


class ChildError(Exception):
    """The child failed: ``summary`` is its error in one line, ``details`` its traceback ("" if none)."""

    def __init__(self, summary: str, details: str = "") -> None:
        super().__init__(summary)
        self.summary, self.details = summary, details


class Forked:
    """A function running in a forked child; ``wait`` returns its value, ``abandon`` only reaps it."""

    def __init__(self, function, *args, collect: bool = False) -> None:
        """Fork and run ``function(*args)`` in the child; ``collect`` runs the collector first.

        A collection before the freeze keeps this moment's garbage from being frozen with the
        rest; it costs a pass over the whole heap, which a caller pays only where it saves more.
        """
        produced = set(OUTPUTS.produced)
        self._thaw = gc.get_freeze_count() == 0  # else the build froze its objects: they stay so
        self._result = tempfile.TemporaryFile()  # noqa: SIM115 (closed by ``wait`` or ``abandon``)
        if collect:
            gc.collect()
        gc.freeze()  # unfrozen once the child is waited for (unless frozen before)
        return_memory()
        self.pid = os.fork()
        if self.pid == 0:  # the child: run, report, leave without any cleanup
            status = 0
            try:
                value = function(*args)
                payload = pickle.dumps(("ok", value, OUTPUTS.produced - produced), pickle.HIGHEST_PROTOCOL)
            except BaseException as error:  # noqa: BLE001 (everything goes back to the parent)
                status = 1
                payload = pickle.dumps(("error", f"{type(error).__name__}: {error}", traceback.format_exc()))
            try:
                self._result.write(payload)
                self._result.flush()
            finally:
                os._exit(status)

    def wait(self):
        """Wait for the child and return its value, its files recorded as produced; raise ``ChildError``."""
        data, status = self._reap()
        if not data:
            raise ChildError(f"the process ended without a result (status {status})")
        kind, value, extra = pickle.loads(data)  # noqa: S301 (our own child)
        if kind != "ok":
            raise ChildError(value, extra)
        OUTPUTS.produced |= extra
        return value

    def abandon(self) -> None:
        """Wait for a child whose result nobody will read (its build failed before it)."""
        self._reap()

    def _reap(self) -> tuple[bytes, int]:
        if self._result.closed:
            return b"", 0
        status = 0
        try:
            with contextlib.suppress(ChildProcessError):
                _, status = os.waitpid(self.pid, 0)
            self._result.seek(0)
            return self._result.read(), status
        finally:
            if self._thaw:
                gc.unfreeze()
            self._result.close()
