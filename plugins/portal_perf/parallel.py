"""Writing the articles generator's pages on two cores: the build forks, each process writes half.

Rendering article, listing and taxonomy pages (or, on a rebuild, computing their render keys) is
the largest single-threaded step of a build. Once ``generate_context`` is over, every value a page
shows is final, so the build forks: the child shares the parent's memory (copy-on-write; nothing
is pickled), both walk the same sequence of ``write_file`` calls, and each makes every second one.
The child then sends the parent what the rest of the build must know of its half: the files it
produced (or pruning would delete them), the pages' render keys (or the next build would render
them again), the counts, the files the writer has seen (overwrite checks). An exception in the
child fails the build with the child's traceback, as it would have failed in one process.

Only where ``os.fork`` exists, with two cores or more and at least ``PORTAL_PERF_PARALLEL_MIN``
articles (a fork costs more than it saves on a small site).
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
    """The process writing the other half of the pages failed."""


class _Share:
    """A writer that performs every ``parts``-th ``write_file`` call, starting at ``part``."""

    def __init__(self, writer, part: int, parts: int):
        self._writer, self._part, self._parts, self._calls = writer, part, parts, 0

    def __getattr__(self, name):
        return getattr(self._writer, name)

    def write_file(self, *args, **kwargs):
        mine = self._calls % self._parts == self._part
        self._calls += 1
        return self._writer.write_file(*args, **kwargs) if mine else None


def _state(writer) -> tuple:
    """Return what the parent will compare against: the records as they are before the fork."""
    cache = getattr(writer, "render_cache", None)
    return (
        set(OUTPUTS.produced),
        len(cache.current) if cache else 0,
        set(writer._written_files),
        set(writer._overridden_files),
    )


def _news(writer, before: tuple) -> dict:
    produced, keys, written, overridden = before
    cache = getattr(writer, "render_cache", None)
    return {
        "produced": OUTPUTS.produced - produced,
        "keys": list(cache.current.items())[keys:] if cache else [],
        "rendered": cache.rendered if cache else 0,
        "skipped": cache.skipped if cache else 0,
        "written": writer._written_files - written,
        "overridden": writer._overridden_files - overridden,
    }


def _merge(writer, news: dict, counts: tuple[int, int]) -> None:
    OUTPUTS.produced |= news["produced"]
    cache = getattr(writer, "render_cache", None)
    if cache is not None:
        cache.current.update(news["keys"])
        cache.rendered += news["rendered"] - counts[0]
        cache.skipped += news["skipped"] - counts[1]
    writer._written_files |= news["written"]
    writer._overridden_files |= news["overridden"]


def _read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    os.close(fd)
    return b"".join(chunks)


def write_pages_in_two(generate_pages, writer) -> None:
    """Run ``generate_pages(writer)`` in this process and a forked one, each making half the writes."""
    cache = getattr(writer, "render_cache", None)
    counts = (cache.rendered, cache.skipped) if cache else (0, 0)
    before = _state(writer)
    gc.collect()
    gc.freeze()  # the collector would otherwise touch (and copy) every shared object in the child
    reader, sender = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: the second half, then report and leave without any cleanup
        status = 0
        try:
            os.close(reader)
            generate_pages(_Share(writer, 1, 2))
            payload = pickle.dumps(("ok", _news(writer, before)), protocol=pickle.HIGHEST_PROTOCOL)
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
        generate_pages(_Share(writer, 0, 2))
    finally:
        data = _read_all(reader)
        os.waitpid(pid, 0)
        gc.unfreeze()
    kind, value = pickle.loads(data) if data else ("error", "the process ended without a word")  # noqa: S301
    if kind != "ok":
        raise ChildFailedError(f"portal_perf: the process writing half of the pages failed:\n{value}")
    _merge(writer, value, counts)


def parallel_pages(generator, minimum: int):
    """Return ``generator.generate_pages`` split over two processes when it is worth it."""
    original = generator.generate_pages

    def generate_pages(writer):
        if not hasattr(os, "fork") or (os.cpu_count() or 1) < 2 or len(generator.articles) < minimum:
            return original(writer)
        return write_pages_in_two(original, writer)

    return generate_pages
