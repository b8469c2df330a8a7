"""The headless outputs of a rebuild written beside its article pages, by a forked child.

A rebuild that read few articles spends its output phase visiting the archive: this process
takes every article page's key, and then the feeds, the API and the sitemaps each join their
records, one after the other, and the search index is updated, while the second core mostly
waits. Those four generators (a class attribute ``portal_beside_pages``) read only the build's
context and the articles' records (``portal.entries``), write only through the writers that
record their files
(``portal.incremental``) and keep their own caches, so once the context is final they can run in
a forked child (``portal.forked.Forked``: copy-on-write, nothing pickled on the way in): it is
started when the articles generator's output begins; their own ``generate_output`` then does
nothing in this process, which writes the article pages and the other generators' outputs, does
the work queued for a wait (``portal.forked.IDLE``: the release reads its digests), and waits
for the child once the last generator's output is written (Pelican's ``finalized`` comes next).
The search index is updated by that child, in its own process (``portal_search.start_index``
starts none). A file the child and this process both wrote fails the build.

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

from portal.entries import ENTRY_CACHE
from portal.forked import ChildError, Forked, abandon_all, can_fork, run_idle

ATTRIBUTE = "portal_beside_pages"
_PENDING: list[Forked] = []  # a child a failed build left unwaited (a long-lived process)


class BesideFailedError(RuntimeError):
    """The process writing the feeds, the API, the sitemaps and the search index beside the pages failed."""


class _Beside:
    """One build's child: started by the articles generator's output, joined after the last generator's."""

    def __init__(self, group: list) -> None:
        self.outputs = [generator.generate_output for generator in group]  # their own, run by the child
        self.child: Forked | None = None
        self.started = False
        self.writer = None
        self.before: frozenset[str] = frozenset()  # the files written when the child was started

    def start(self, writer) -> None:
        self.child = Forked(_write_beside, self.outputs, writer)
        self.started, self.writer, self.before = True, writer, frozenset(writer._written_files)
        _PENDING.append(self.child)

    def instead(self, own):
        """Return a generator's ``generate_output``: nothing when the child writes it, else ``own``."""

        def generate_output(writer):
            if self.started:  # written by the child
                return None
            return own(writer)  # no child was started (a build that does not pay for one)

        return generate_output

    def then_join(self, own):
        """Return the last generator's ``generate_output``: ``own``, then the child is joined."""

        def generate_output(writer):
            own(writer)
            self.join()

        return generate_output

    def join(self) -> None:
        """Wait for the child (doing first the work queued for a wait) and take in what it did."""
        if self.child is None:
            return
        child, self.child = self.child, None
        _PENDING.remove(child)
        run_idle()
        try:
            written = child.wait()
        except ChildError as error:
            raise BesideFailedError(
                "portal_perf: the process writing the feeds, the API, the sitemaps and the search "
                "index failed:\n"
                f"{error.details or error.summary}"
            ) from None
        _merge(self.writer, written, self.before)
        ENTRY_CACHE.handed_off()


def install(generators, maximum: int) -> None:
    """Have ``generators``' headless outputs written beside the article pages when it pays.

    Connected to ``all_generators_finalized`` (the context is final): decides from what the
    articles generator read, and, once Pelican's writer exists, from its render keys.
    """
    abandon_all(_PENDING)
    articles = next((g for g in generators if hasattr(g, "portal_article_cache")), None)
    group = [g for g in generators if getattr(type(g), ATTRIBUTE, False)]
    if articles is None or not group or not can_fork():
        return
    if articles.portal_article_cache.stored > maximum:
        return
    beside = _Beside(group)
    original = articles.generate_output

    def generate_output(writer):
        cache = getattr(writer, "render_cache", None)
        if cache is not None and cache.previous:  # a build of this code was published before
            cache.decide(articles.context)  # the pages' first key would: the child inherits it
            beside.start(writer)
            articles.portal_beside_started = True  # the search index too: no process of its own
        return original(writer)

    articles.generate_output = generate_output
    for generator in group:
        generator.generate_output = beside.instead(generator.generate_output)
    last = generators[-1]  # Pelican sends ``finalized`` once its output is written
    last.generate_output = beside.then_join(last.generate_output)


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


def _merge(writer, written: dict, before: frozenset[str]) -> None:
    """Take into this process what the child did to the writer and its render cache.

    A file both the child and this process wrote since ``before`` fails the build: two
    generators made it, and which of them is on disk depends on which process renamed it last.
    """
    both = written["written"] & (writer._written_files - before)
    if both:
        raise BesideFailedError(
            f"portal_perf: {min(both)} was written by two generators: one of the feeds, the API, the "
            "sitemaps or the search index, and another one (give each of them its own output path)"
        )
    cache = writer.render_cache
    cache.current.update(written["current"])
    for name, value in written["analyses"].items():
        cache.analyses.setdefault(name, value)
    cache.rendered += written["rendered"]
    cache.skipped += written["skipped"]
    writer._written_files |= written["written"]
    writer._overridden_files |= written["overridden"]
    cache.beside = True
