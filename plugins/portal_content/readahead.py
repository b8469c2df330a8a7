"""Files parsed ahead of Pelican on every core, handed over in memory in the order Pelican reads.

A cold build used to parse every file in a process pool into the parse cache (``portal.render``)
while the build waited, then read each parse back from disk, and later parse each file's header
again for the checks and run nh3 over each body, in the build's process. Now each worker does,
per file, all that depends on the file alone: the parse (from the parse cache when an earlier
build stored it, else Markdown, stored for the next build), the checks' ``Record``
(``portal.check.make_record``, from the same decoded text) and the sanitised body
(``portal.sanitize.sanitize_html``). The results come back through the pool, batch by batch, in
the order the generator lists its files, while the build's process turns the earlier ones into
articles: the two overlap, and a few batches per worker are in flight at a time (memory stays
flat). A file the pool did not prepare (or failed on) is read by the build as before.
"""

from __future__ import annotations

import logging
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from portal import check
from portal.render import WARM_THRESHOLD, DocumentCache, Job, Parsed, convert, make_markdown
from portal.sanitize import sanitize_html

logger = logging.getLogger(__name__)
BATCH = 16  # files per task: large enough to amortise the pool, small enough to start soon
AHEAD = 4  # batches per worker in flight beyond the one the build waits for


@dataclass
class Prepared:
    """What a worker made of one file: its parse, its checks' record, its sanitised body."""

    parsed: Parsed
    record: object  # portal.document.Record
    sanitized: str | None  # sanitize_html(parsed.html, host), or None when not asked for


_worker: tuple | None = None


def _init_worker(markdown_config, sections, folder, salt, host) -> None:
    global _worker  # noqa: PLW0603 (one Markdown instance per worker process)
    _worker = (make_markdown(markdown_config), sections, DocumentCache(folder, salt), host)


def _prepare(jobs: list[Job]) -> dict[str, Prepared]:
    """Prepare a batch of files; a file that fails here is left to the build, which reports it."""
    markdown, sections, cache, host = _worker
    done = {}
    for job in jobs:
        try:
            raw = Path(job.path).read_bytes()
            key = cache.key(job.display, job.kind, raw)
            doc = check.parse_document(job.display, raw, job.kind, sections)
            parsed = cache.load(key)  # the same bytes parsed by an earlier build
            if parsed is None:
                parsed = convert(markdown, doc.source, doc.values, job.kind, raw)
                cache.store(key, parsed)
            record = check.make_record(doc)
            sanitized = None if host is None else sanitize_html(parsed.html, host)
        except Exception:  # noqa: BLE001, S112 (the build reads the file itself and reports it)
            continue
        done[job.path] = Prepared(parsed, record, sanitized)
    return done


class ReadAhead:
    """A pool preparing ``jobs`` in order, a few batches ahead of what the build takes."""

    def __init__(self, jobs: list[Job], init: tuple, workers: int) -> None:
        self._batches = [jobs[i : i + BATCH] for i in range(0, len(jobs), BATCH)]
        self._batch_of = {job.path: n for n, batch in enumerate(self._batches) for job in batch}
        self._futures: dict[int, object] = {}
        self._ready: dict[str, Prepared] = {}
        self._submitted = 0
        self._ahead = max(1, workers) * (AHEAD + 1)
        self._pool = ProcessPoolExecutor(workers, initializer=_init_worker, initargs=init)
        self._submit_until(self._ahead)

    def _submit_until(self, end: int) -> None:
        while self._pool is not None and self._submitted < min(end, len(self._batches)):
            self._futures[self._submitted] = self._pool.submit(_prepare, self._batches[self._submitted])
            self._submitted += 1

    def take(self, path: str) -> Prepared | None:
        """Return what the pool made of ``path`` (waiting for its batch), or ``None``."""
        found = self._ready.pop(path, None)
        if found is not None:
            return found
        number = self._batch_of.pop(path, None)
        if number is None or self._pool is None:
            return None
        self._submit_until(number + self._ahead)
        future = self._futures.pop(number, None)
        if future is not None:
            try:
                self._ready.update(future.result())
            except Exception:  # noqa: BLE001 (a broken pool: the build reads the files itself)
                logger.warning("portal_content: đọc song song thất bại, các tệp còn lại được đọc tuần tự")
                self.close()
        if not self._batch_of:
            self.close()
        return self._ready.pop(path, None)

    def close(self) -> None:
        """Stop the workers; what was not taken is dropped (the build reads it itself)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        self._futures.clear()
        self._ready.clear()
        self._batch_of.clear()


def start(jobs: list[Job], reading: tuple, cache: DocumentCache, workers: int | None = None):
    """Start preparing ``jobs`` (in the order the build will read them); ``None`` when not worth it.

    ``reading``: ``(markdown_config, sections, host)``, ``host`` the site's host to sanitise
    bodies for, or ``None`` to leave bodies to the build.
    """
    workers = workers or os.cpu_count() or 1
    if len(jobs) < WARM_THRESHOLD or workers < 2:
        return None
    markdown_config, sections, host = reading
    init = (markdown_config, sections, cache.folder and str(cache.folder), cache.salt, host)
    return ReadAhead(jobs, init, workers)
