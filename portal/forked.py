"""Run a function in a child of the build (forked, or a fresh interpreter): its value and files come back.

Two steps of a build use ``Forked``: the article pages rendered by two processes (``portal_perf``'s
``write_in_two``) and the search index built beside the feeds and the API (``portal_search``).
The child shares the parent's memory copy-on-write, so nothing is pickled on the way in; every
value it reads must be final when it is forked. ``gc.freeze()`` before the fork keeps both
collectors from touching (and so copying) the shared objects until the child is waited for; when
the build had frozen its objects already (``portal_perf``'s article cache), they stay frozen.
The child sends back its value and the outputs it recorded (``OUTPUTS``), or its error and
traceback, through a temporary file (a pipe would block it until the parent reads), and leaves
with ``os._exit``: none of the parent's cleanup runs twice.

``Fresh`` runs the function in a new interpreter (``python -m portal.forked ORDER RESULT``) from
a pickle of it and its arguments: the child holds only what it makes, never a copy of a page of
the build's that one of the two processes wrote to (a fork building the whole search index held
about 250 MB of its own at 10,000 articles). Its value comes back the same way.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import os
import pickle
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path

from .incremental import OUTPUTS

# Work this process may do ahead while it waits for a child (``run_idle``), by name: queued by a
# step that would otherwise do it later itself (the release reads its digests), so nothing
# depends on it being done; a name queued again replaces the work queued before.
IDLE: dict = {}


def run_idle() -> None:
    """Do, once, the work queued for a wait (``IDLE``), in the order it was queued."""
    while IDLE:
        IDLE.pop(next(iter(IDLE)))()


def return_memory() -> None:
    """Give back to the kernel the memory malloc keeps free (glibc's ``malloc_trim``); else nothing.

    Before a fork: a free page both processes map is held by the parent once the child writes to
    it (copy-on-write), although neither uses what it held; given back, it is held by nobody. After
    the release's compressing threads: each left its buffers in an arena of its own.
    """
    with contextlib.suppress(OSError, AttributeError):  # no glibc (``malloc_trim`` is its own)
        ctypes.CDLL(None).malloc_trim(0)  # the process's own symbols: no search for the library


def can_fork() -> bool:
    """Tell whether a child can work beside this process: ``fork`` exists and a second core too."""
    return hasattr(os, "fork") and (os.cpu_count() or 1) >= 2


def abandon_all(children: list) -> None:
    """Wait for every child in ``children`` that a failed build left unwaited (each ``abandon``); empty it.

    A long-lived process (the preview) starts its next build after a failed one: each step that
    forks reaps, when it starts again, the children it had not waited for.
    """
    while children:
        children.pop().abandon()


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
            status, payload = _run(function, args, produced)
            try:
                self._result.write(payload)
                self._result.flush()
            finally:
                os._exit(status)

    def wait(self):
        """Wait for the child and return its value, its files recorded as produced; raise ``ChildError``."""
        return _outcome(*self._reap())

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


def _run(function, args, produced: set) -> tuple[int, bytes]:
    """Run ``function(*args)`` in a child; return its exit status and the report ``_outcome`` reads."""
    try:
        value = function(*args)
        return 0, pickle.dumps(("ok", value, OUTPUTS.produced - produced), pickle.HIGHEST_PROTOCOL)
    except BaseException as error:  # noqa: BLE001 (everything goes back to the parent)
        return 1, pickle.dumps(("error", f"{type(error).__name__}: {error}", traceback.format_exc()))


def _outcome(data: bytes, status: int):
    """Return a child's value from its report, its files recorded as produced; raise ``ChildError``."""
    if not data:
        raise ChildError(f"the process ended without a result (status {status})")
    kind, value, extra = pickle.loads(data)  # noqa: S301 (our own child)
    if kind != "ok":
        raise ChildError(value, extra)
    OUTPUTS.produced |= extra
    return value


def _import_roots(function) -> list[str]:
    """Return the folder ``function``'s module is imported from (a plugin's is on no ``sys.path``)."""
    found = getattr(sys.modules.get(function.__module__), "__file__", None)  # none for builtins
    return [str(Path(found).resolve().parents[function.__module__.count(".")])] if found else []


class Fresh:
    """A function (importable by name) in a fresh interpreter; ``wait`` and ``abandon`` as ``Forked``'s."""

    def __init__(self, function, *args, folder: str | None = None) -> None:
        """Write the order (``function`` and ``args``, pickled) into ``folder`` and start the child."""
        handle, self._order = tempfile.mkstemp(prefix=".fresh-", suffix=".pickle", dir=folder)
        with os.fdopen(handle, "wb") as order:
            pickle.dump((function, args), order, pickle.HIGHEST_PROTOCOL)
        self._result = self._order.removesuffix(".pickle") + ".result"
        paths = [*_import_roots(function), *(entry or os.getcwd() for entry in sys.path)]
        environment = dict(os.environ, PYTHONPATH=os.pathsep.join(paths))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "portal.forked", self._order, self._result], env=environment
        )

    def wait(self):
        """Wait for the child and return its value, its files recorded as produced; raise ``ChildError``."""
        return _outcome(*self._reap())

    def abandon(self) -> None:
        """Wait for a child whose result nobody will read (its build failed before it)."""
        self._reap()

    def _reap(self) -> tuple[bytes, int]:
        status = self.process.wait()
        try:
            with open(self._result, "rb") as result:
                return result.read(), status
        except OSError:
            return b"", status
        finally:
            for path in (self._order, self._result):
                with contextlib.suppress(OSError):
                    os.unlink(path)


def _perform(order: str):
    """Return the value of the function an order names, called with its arguments."""
    with open(order, "rb") as handle:
        function, args = pickle.load(handle)  # noqa: S301 (our own parent's order)
    return function(*args)


def main(order: str, result: str) -> int:
    """Run the order a ``Fresh`` wrote; write its report into ``result``; return the exit status."""
    status, payload = _run(_perform, (order,), set(OUTPUTS.produced))
    with open(result, "wb") as handle:
        handle.write(payload)
    return status


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
