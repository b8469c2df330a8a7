"""The articles generator's pages: keys in one pass, the pages to render on two cores.

Rendering article, listing and taxonomy pages is the largest single-threaded step of a cold
build, while a rebuild renders a handful of them. So ``generate_pages`` first runs with the
writer queueing the pages it must render (their keys are computed, unchanged pages skipped, as
they come); then, once their number is known, the queue is rendered: in this process, or, from
``PORTAL_PERF_PARALLEL_MIN`` pages, by this process and a forked one, each rendering every second
page. Every value a page shows is final by then, so the child shares the parent's memory
(copy-on-write; nothing is pickled) and ``gc.freeze()`` keeps the collector from copying it. The
child sends back the files it produced (or pruning would delete them); its failure fails the
build with its traceback, as it would have failed in one process.

Two processes only where ``os.fork`` exists and there are two cores or more.
"""

from __future__ import annotations

import gc
import logging
import os
import pickle
import traceback

from portal.incremental import OUTPUTS

logger = logging.getLogger(__name__)


class ChildFailedError(RuntimeError):
    """The process rendering the other half of the pages failed."""


def _read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    os.close(fd)
    return b"".join(chunks)


def write_in_two(writer, jobs: list) -> None:
    """Write ``jobs`` (``writer.write_job``) in this process and a forked one, half each."""
    produced = set(OUTPUTS.produced)
    gc.collect()
    gc.freeze()  # the collector would otherwise touch (and copy) every shared object in the child
    reader, sender = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: the odd jobs, then report and leave without any cleanup
        status = 0
        try:
            os.close(reader)
            for job in jobs[1::2]:
                writer.write_job(job)
            payload = pickle.dumps(("ok", OUTPUTS.produced - produced), protocol=pickle.HIGHEST_PROTOCOL)
        except BaseException:  # noqa: BLE001 (everything goes back to the parent)
            payload = pickle.dumps(("error", traceback.format_exc()))
            status = 1
        try:
            with os.fdopen(sender, "wb") as pipe:
                pipe.write(payload)
        finally:
            os._exit(status)
    os.close(sender)
    try:
        for job in jobs[0::2]:
            writer.write_job(job)
    finally:
        data = _read_all(reader)
        os.waitpid(pid, 0)
        gc.unfreeze()
    kind, value = pickle.loads(data) if data else ("error", "the process ended without a word")  # noqa: S301
    if kind != "ok":
        raise ChildFailedError(f"portal_perf: the process writing half of the pages failed:\n{value}")
    OUTPUTS.produced |= value
    cache = getattr(writer, "render_cache", None)
    if cache is not None:
        cache.rendered += len(jobs[1::2])


def write_jobs(writer, jobs: list, minimum: int) -> None:
    """Write the queued pages, in two processes from ``minimum`` of them when it can be done."""
    if len(jobs) > 1 and len(jobs) >= minimum and hasattr(os, "fork") and (os.cpu_count() or 1) >= 2:
        write_in_two(writer, jobs)
        return
    for job in jobs:
        writer.write_job(job)


def parallel_pages(generator, minimum: int):
    """Return ``generator.generate_pages`` with its pages to render queued, then written."""
    original = generator.generate_pages

    def generate_pages(writer):
        if not hasattr(writer, "write_job"):  # another plugin's writer
            return original(writer)
        writer.deferred = []
        try:
            original(writer)
            jobs = writer.deferred
        finally:
            writer.deferred = None
        write_jobs(writer, jobs, minimum)

    return generate_pages
