"""The articles generator's pages: keys in one pass, the pages to render on two cores.

Rendering article, listing and taxonomy pages is the largest single-threaded step of a cold
build, while a rebuild renders a handful of them. So ``generate_pages`` first runs with the
writer queueing the pages it must render (their keys are computed, unchanged pages skipped, as
they come); then, once their number is known, the queue is rendered: in this process, or, from
``PORTAL_PERF_PARALLEL_MIN`` pages, by this process and a forked one, each rendering one half of
the queue, in its order (``portal.forked``). Halves, not every second page: the queue holds the
article pages by date, then the listings, so each process renders the cards of about half of the
articles (each card once per process, ``portal_memo``) and touches the other half's objects
less, which copy-on-write would have copied into both. Every value a page shows is final by
then, so the child shares the parent's memory (copy-on-write; nothing is pickled). The child
sends back the files it produced (or pruning would delete them); its failure fails the build
with its traceback, as it would have failed in one process. Once they are written, the cards
rendered for them (``portal_memo``, tens of megabytes at 10,000 articles) are dropped: the steps
after run without them.

Two processes only where ``os.fork`` exists and there are two cores or more.
"""

from __future__ import annotations

import logging

from portal.forked import ChildError, Forked, can_fork

from .memo import MEMO

logger = logging.getLogger(__name__)


class ChildFailedError(RuntimeError):
    """The process rendering the other half of the pages failed."""


def _write_all(writer, jobs: list) -> None:
    for job in jobs:
        writer.write_job(job)


def write_in_two(writer, jobs: list) -> None:
    """Write ``jobs`` (``writer.write_job``) in this process and a forked one, half each."""
    half = len(jobs) // 2
    child = Forked(_write_all, writer, jobs[half:], collect=True)
    try:
        _write_all(writer, jobs[:half])
    except BaseException:
        child.abandon()
        raise
    try:
        child.wait()
    except ChildError as error:
        raise ChildFailedError(
            f"portal_perf: the process writing half of the pages failed:\n{error.details or error.summary}"
        ) from None
    cache = getattr(writer, "render_cache", None)
    if cache is not None:
        cache.rendered += len(jobs) - half


def write_jobs(writer, jobs: list, minimum: int) -> None:
    """Write the queued pages, in two processes from ``minimum`` of them when it can be done."""
    if len(jobs) > 1 and len(jobs) >= minimum and can_fork():
        write_in_two(writer, jobs)
        return
    _write_all(writer, jobs)


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
        # Every page that shows most cards is written: what is left (the search fork, feeds, API,
        # release) runs without them, and a later page showing a card renders it again.
        MEMO.clear()

    return generate_pages
