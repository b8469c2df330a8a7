"""The headless outputs of a rebuild written beside its article pages, by a forked child.

A rebuild that read few articles spends its output phase visiting the archive: this process
takes every article page's key, and then the feeds, the API and the sitemaps each join their
records, one after the other, and the search index is updated, while the second core mostly
waits. Those four generators (a class attribute ``portal_beside_pages``) read only the build's
context and the articles' records (``portal.entries``), write only through the writers that
record their files
(``portal.incremental``) and keep their own caches, so once the context is final they can run in
a forked child (``portal.forked.Forked``: copy-on-write, nothing pickled on the way in): it is
started when the articles generator's output begins, and waited for when the first of them
would run in this process, whose own ``generate_output`` then does nothing. The search index is
then updated by that child, in its own process (``portal_search.start_index`` starts none).

The child sends back what this process keeps of those writes: the render keys and template
analyses of the pages they wrote through Pelican's writer (``/rss/``), its counts and the writer's
record of written files (the files themselves come back as ``Forked`` sends them). It saves the
articles' records (``ENTRY_CACHE``) itself, with its own connection to their file (an SQLite
connection must not cross a fork: the one inherited is never used or closed in the child), and
this process's is then left with nothing to save. A child that fails fails the build with its
traceback.

A cold build, a build of new code (no render keys of the last build) or one that read more
than ``PORTAL_PERF_BESIDE_MAX`` articles does not: its pages are rendered by two processes
already (``parallel``), and a third would add memory, not speed.
"""

from __future__ import annotations

import os

from portal.entries import ENTRY_CACHE
from portal.forked import ChildError, Forked

ATTRIBUTE = "portal_beside_pages"
_PENDING: list[Forked] = []  # a child a failed build left unwaited (a long-lived process)


class BesideFailedError(RuntimeError):
    """The process writing the feeds, the API, the sitemaps and the search index beside the pages failed."""


def _reap() -> None:
    while _PENDING:
        _PENDING.pop().abandon()


class _Beside:
    """One build's child: started by the articles generator's output, joined by the first of ``group``."""

    def __init__(self, group: list) -> None:
        self.outputs = [generator.generate_output for generator in group]  # their own, run by the child
        self.child: Forked | None = None
        self.joined = False

    def start(self, writer) -> None:
        self.child = Forked(_write_beside, self.outputs, writer)
        _PENDING.append(self.child)

    def instead(self, own):
        """Return a generator's ``generate_output`` that joins the child, or runs ``own`` without one."""

        def generate_output(writer):
            if self.joined:  # written by the child
                return None
            if self.child is None:  # no child was started (a build that does not pay for one)
                return own(writer)
            child, self.child, self.joined = self.child, None, True
            _PENDING.remove(child)
            try:
                written = child.wait()
            except ChildError as error:
                raise BesideFailedError(
                    "portal_perf: the process writing the feeds, the API, the sitemaps and the search "
                    "index failed:\n"
                    f"{error.details or error.summary}"
                ) from None
            _merge(writer, written)
            ENTRY_CACHE.handed_off()
            return None

        return generate_output


def install(generators, maximum: int) -> None:
    """Have ``generators``' headless outputs written beside the article pages when it pays.

    Connected to ``all_generators_finalized`` (the context is final): decides from what the
    articles generator read, and, once Pelican's writer exists, from its render keys.
    """
    _reap()
    articles = next((g for g in generators if hasattr(g, "portal_article_cache")), None)
    group = [g for g in generators if getattr(type(g), ATTRIBUTE, False)]
    if articles is None or not group or not hasattr(os, "fork") or (os.cpu_count() or 1) < 2:
        return
    if articles.portal_article_cache.stored > maximum:
        return
    beside = _Beside(group)
    original = articles.generate_output

    def generate_output(writer):
        cache = getattr(writer, "render_cache", None)
        if cache is not None and cache.previous:  # a build of this code was published before
            beside.start(writer)
            articles.portal_beside_started = True  # the search index too: no process of its own
        return original(writer)

    articles.generate_output = generate_output
    for generator in group:
        generator.generate_output = beside.instead(generator.generate_output)


def _write_beside(outputs: list, writer) -> dict:
    """In the child: run ``outputs`` and save the records; return what the build's process keeps."""
    ENTRY_CACHE.inherited()
    cache = writer.render_cache
    current, analyses = dict(cache.current), set(cache.analyses)
    counts = (cache.rendered, cache.skipped)
    written, overridden = set(writer._written_files), set(writer._overridden_files)
    for output in outputs:
        output(writer)
    ENTRY_CACHE.save()
    return {
        "current": {path: key for path, key in cache.current.items() if current.get(path) != key},
        "analyses": {name: value for name, value in cache.analyses.items() if name not in analyses},
        "rendered": cache.rendered - counts[0],
        "skipped": cache.skipped - counts[1],
        "written": writer._written_files - written,
        "overridden": writer._overridden_files - overridden,
    }


def _merge(writer, written: dict) -> None:
    """Take into this process what the child did to the writer and its render cache."""
    cache = writer.render_cache
    cache.current.update(written["current"])
    for name, value in written["analyses"].items():
        cache.analyses.setdefault(name, value)
    cache.rendered += written["rendered"]
    cache.skipped += written["skipped"]
    writer._written_files |= written["written"]
    writer._overridden_files |= written["overridden"]
    cache.beside = True
