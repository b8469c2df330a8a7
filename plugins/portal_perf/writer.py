"""Pelican's writer, writing each file only when its bytes change, by rename (never in place).

A page whose render key is unchanged (``render_cache``) is not rendered at all; it is then
settled without Pelican's ``write_file``, whose copy of the whole context, path work and
``makedirs`` cost more than the key at archive scale. A paginated listing is cut into pages from
its oldest end (``portal.pagination``: a new article leaves its full pages as they were), and
each page is written as a page of its own; a listing whose key as a whole is unchanged
(``RenderCache.group_key``) is settled without making its pages at all. While the articles
generator writes its pages (``parallel``), the pages that must be rendered are not rendered at
once but queued as ``Job``s, so that they can be rendered by two processes once their number is
known: a rebuild that renders a handful of pages never forks.
"""

from __future__ import annotations

import io
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from pelican import signals
from pelican.utils import get_relative_path, path_to_url, posixize_path
from pelican.writers import FileOverwriteFailedError, Writer

from portal.forked import ChildError, Forked, can_fork
from portal.incremental import OUTPUTS, replace_if_changed, under
from portal.pagination import RADIUS, numbered_pattern, stable_pages

from . import compiled
from .render_cache import RenderCache

logger = logging.getLogger(__name__)
_ABSENT = object()
ALWAYS_OWN = ("output_file", "localsiteurl")  # values Pelican sets for each page
# Besides the call's keywords and its paginated names, the context values Pelican sets per page.
SET_BY_PELICAN = ("SITEURL", *ALWAYS_OWN)
PAGINATED_NAMES = ("paginator", "page", "previous_page", "next_page")  # each ``{key}_{name}``


class RenderKeysError(RuntimeError):
    """The child recording this build's render keys failed."""


class _Pending(io.StringIO):
    """A text buffer that lands in ``path`` on close, unless the file already holds its bytes."""

    def __init__(self, path: str, encoding: str):
        super().__init__()
        self._path, self._encoding = path, encoding

    def close(self) -> None:
        if not self.closed:
            replace_if_changed(self._path, self.getvalue().encode(self._encoding))
        super().close()


def code_roots(settings) -> list[Path]:
    """Folders whose files shape every page: the theme, the plugins, the shared ``portal`` library."""
    root = Path(__file__).resolve().parent.parent.parent
    roots = [
        Path(settings["THEME"]),
        root / "portal",
        *(Path(p) for p in settings.get("PLUGIN_PATHS", [])),
        *(Path(p) for p in settings.get("PORTAL_PERF_EXTRA_INPUTS", [])),
    ]
    return list(dict.fromkeys(r.resolve() for r in roots))


@dataclass
class Job:
    """A page to render later: its file, template, and context.

    The context is Pelican's context for the call plus this page's own values that differ from it.
    """

    path: str
    template: object
    context: dict
    own: dict
    encoding: str = "utf-8"

    def localcontext(self) -> dict:
        """Return the page's context as Pelican built it."""
        localcontext = self.context.copy()
        localcontext.update(self.own)
        return localcontext


class _PageTemplate:
    """A template whose ``render`` is skipped when the page's key says the file is current.

    While the writer queues pages, ``render`` is deferred (queued as a ``Job``). ``names`` are the
    only context names Pelican's ``write_file`` sets for a page (the call's keywords, its
    paginated names, ``SET_BY_PELICAN``): the page's own values are looked for there, not by
    comparing every entry of the context (every setting) on every page.
    """

    def __init__(self, template, writer: IncrementalWriter, context: dict, names: tuple[str, ...]):
        self._template, self._writer, self._context = template, writer, context
        self._names = names

    def __getattr__(self, name):
        return getattr(self._template, name)

    def render(self, localcontext):
        writer = self._writer
        writer.decided = None
        name = localcontext.get("output_file")
        if name:
            path = writer._join(name)
            cache = writer.render_cache
            known, writer.known_key = writer.known_key, None
            if known is not None and known[0] == path:  # the key ``_skip_single`` found changed
                key = known[1]
            else:
                key = None if cache is None else cache.key(self._template, name, localcontext)
            if cache is not None and cache.unchanged(path, key):
                writer.decided = (path, None)
                cache.skipped += 1
                return ""
            if writer.deferred is not None:
                base = self._context
                own = {}
                for k in self._names:
                    value = localcontext.get(k, _ABSENT)
                    if value is not _ABSENT and (k in ALWAYS_OWN or base.get(k, _ABSENT) is not value):
                        own[k] = value
                writer.decided = (path, Job(path, self._template, base, own))
                return ""
        return writer.render(self._template, localcontext, name)


class IncrementalWriter(Writer):
    """Same overwrite rules as Pelican's ``Writer``; unchanged outputs are left as they are.

    With a render cache (``PORTAL_PERF_RENDER_CACHE``), a page whose inputs are unchanged since
    the build that wrote it is not rendered at all (``render_cache``). While ``deferred`` is a
    list, the pages to render are appended to it instead (``write_job`` renders one later).
    """

    render_cache: RenderCache | None = None
    deferred: list[Job] | None = None
    decided: tuple[str, Job | None] | None = None  # the page render just skipped or deferred
    known_key: tuple[str, bytes | None] | None = None  # a single page's key, to render it
    _base: str | None = None  # the output folder, as ``sanitised_join`` compares with it
    last: IncrementalWriter | None = None  # the writer of the running build
    _saving: Forked | None = None  # the child recording the keys (``save_beside``)

    def __init__(self, output_path, settings=None):
        super().__init__(output_path, settings=settings)
        if IncrementalWriter.last is not None:  # a build that failed before its keys were saved
            IncrementalWriter.last.abandon()
        if self.settings.get("PORTAL_PERF_RENDER_CACHE", True) and self.settings.get("CACHE_PATH"):
            self.render_cache = RenderCache(
                self.settings["CACHE_PATH"], self.settings, code_roots(self.settings)
            )
            compiled.attach(self.settings["CACHE_PATH"], self.render_cache.fingerprint)
        IncrementalWriter.last = self

    def save_beside(self) -> None:
        """Start recording the keys of this build's pages in a forked child (``finish`` waits for it).

        Called once every page is written, as the release starts: the record (a ``stat`` of each
        page and a pickle of their keys) is made on the second core while the release runs on
        this one. The release touches no page (it stamps their mtimes, which the record leaves
        out, and deletes only files the build did not make).
        """
        if self.render_cache is not None and self._saving is None and can_fork():
            # The digests' record visits every article (its references): made in the child, that
            # visit would copy every page of this process's memory holding an article
            # (copy-on-write), about 125 MB at 10,000 articles. Made here, the child touches only it.
            cache = self.render_cache
            self._saving = Forked(cache.save, cache.trust_record())

    def abandon(self) -> None:
        """Wait for a child recording the keys whose build failed before ``finish``."""
        if self._saving is not None:
            saving, self._saving = self._saving, None
            saving.abandon()

    def finish(self) -> None:
        """Record the keys of this build's pages (after every plugin has touched the files)."""
        if self.render_cache is not None:
            if self._saving is None:
                self.render_cache.save()
            else:
                saving, self._saving = self._saving, None
                try:
                    saving.wait()
                except ChildError as error:
                    details = error.details or error.summary
                    message = f"portal_perf: the render keys could not be recorded: {details}"
                    raise RenderKeysError(message) from None
            logger.info(
                "portal_perf: %d trang được dựng, %d trang không đổi được giữ nguyên",
                self.render_cache.rendered,
                self.render_cache.skipped,
            )

    def render(self, template, localcontext: dict, name: str | None) -> str:
        """Render one page now (counted)."""
        if self.render_cache is not None:
            self.render_cache.rendered += 1
        logger.debug("portal_perf: rendering %s", name)
        return template.render(localcontext)

    def write_job(self, job: Job) -> None:
        """Render a queued page and write it, as Pelican's ``write_file`` would have."""
        localcontext = job.localcontext()
        if localcontext.get("localsiteurl"):  # as Pelican sets it before each page (relative URLs)
            job.context["localsiteurl"] = localcontext["localsiteurl"]
        output = self.render(job.template, localcontext, localcontext.get("output_file"))
        replace_if_changed(job.path, output.encode(job.encoding))

    def write_file(  # noqa: PLR0913, PLR0917 (Pelican's ``Writer.write_file``, argument for argument)
        self,
        name,
        template,
        context,
        relative_urls=False,
        paginated=None,
        template_name=None,
        override_output=False,
        url=None,
        **kwargs,
    ):
        """Pelican's ``write_file``, with the template's rendering skipped or deferred.

        A page that is not paginated and whose key is unchanged is settled here, without
        Pelican's copy of the whole context, its path work and its ``makedirs``.
        """
        if template is not None and name:
            lists = paginated
            if lists is None:  # Pelican's default
                lists = {key: kwargs[key] for key in ("articles", "dates") if key in kwargs}
            if lists and template_name in self.settings["PAGINATED_TEMPLATES"]:
                call = (url, relative_urls, template_name)
                return self._write_listing(name, template, context, call, lists, override_output, kwargs)
            own = self._own(name, context, relative_urls, kwargs)
            if own is not None and self._skip_single(name, template, context, own, override_output):
                return None
            template = _PageTemplate(template, self, context, tuple(sorted({*SET_BY_PELICAN, *kwargs})))
        return super().write_file(
            name,
            template,
            context,
            relative_urls,
            {},  # a listing's pages come here one by one (``_write_listing``)
            template_name,
            override_output,
            url,
            **kwargs,
        )

    def _write_listing(  # noqa: PLR0913, PLR0917
        self, name, template, context, call: tuple, lists: dict, override: bool, kwargs: dict
    ) -> None:
        """Write a paginated listing's pages, cut from the oldest end (``portal.pagination``).

        ``call`` is the write's URL, ``relative_urls`` and template name. Each page is then
        written as a page of its own, with Pelican's names for its values: ``{key}_page``, its
        neighbours ``{key}_previous_page`` (newer) and ``{key}_next_page`` (older), and
        ``{key}_paginator``, every page of the listing. When the listing's key as a whole is
        unchanged and its files intact, they are settled without making its pages.
        """
        url, relative_urls, template_name = call
        group = None
        if self.render_cache is not None and not signals.content_written.receivers:
            derived = {f"{key}_{suffix}" for key in lists for suffix in PAGINATED_NAMES}
            group = self._group_key(name, template, context, call, lists, derived, kwargs)
            if group is not None and self._skip_listing(group, override):
                return
        settings = self.settings
        per_page = settings["PAGINATED_TEMPLATES"][template_name] or settings["DEFAULT_PAGINATION"]
        pattern, radius = numbered_pattern(settings), settings.get("PORTAL_THEME_PAGINATION_RADIUS", RADIUS)
        pages = {k: stable_pages(name, url, items, per_page, pattern, radius) for k, items in lists.items()}
        files = next(iter(pages.values()))  # each page's file, the same for every key
        count = len(files)
        for index in range(count):
            values = dict(kwargs)
            for key, listing in pages.items():
                values[f"{key}_paginator"] = listing
                values[f"{key}_page"] = listing[index]
                values[f"{key}_previous_page"] = listing[index - 1] if index else None
                values[f"{key}_next_page"] = listing[index + 1] if index + 1 < count else None
            save_as, keywords = files[index].save_as, (template_name, override, url)
            self.write_file(save_as, template, context, relative_urls, {}, *keywords, **values)
        if group is not None:
            self.render_cache.current_groups[group] = tuple(self._join(page.save_as) for page in files)

    def _group_key(  # noqa: PLR0913, PLR0917
        self, name, template, context, call: tuple, lists, derived, kwargs
    ) -> bytes | None:
        """Return the key of a paginated listing's pages as a whole (``RenderCache.group_key``).

        ``call`` is the write's URL, ``relative_urls`` and template name (its number per page).
        """
        derived = {*derived, "output_file", "localsiteurl"}
        if call[1]:  # relative URLs: made from each page's name
            derived.add("SITEURL")
            inputs = call
        else:  # Pelican gives every page the context's value as it finds it
            inputs = (*call, context.get("localsiteurl"))
        return self.render_cache.group_key(template, name, context, kwargs, lists, derived, inputs)

    def _skip_listing(self, group: bytes, override: bool) -> bool:
        """Settle every page of a listing whose key is unchanged and files intact; tell whether done.

        Does what Pelican's ``write_file`` does for each page but render it: the same overwrite
        rules and record of the file (no ``content_written`` receiver is connected).
        """
        paths = self.render_cache.current_files(group)
        if paths is None:
            return False
        for path in paths:
            self._settle(path, override)
        return True

    def _settle(self, path: str, override: bool) -> None:
        """Record a current page as written (Pelican's overwrite rules, the build's outputs), unrendered."""
        self.render_cache.skipped += 1
        self.decided = (path, None)
        with self._open_w(path, "utf-8", override=override):
            pass

    def _own(self, name: str, context: dict, relative_urls: bool, kwargs: dict) -> dict | None:
        """Return the values a page that is not paginated has besides ``context``, as Pelican sets them.

        ``None`` without a render cache: the page then goes through Pelican's ``write_file``.
        """
        if self.render_cache is None:
            return None
        own = {"localsiteurl": context.get("localsiteurl")}
        if relative_urls:
            own["SITEURL"] = own["localsiteurl"] = path_to_url(get_relative_path(name))
        own["output_file"] = name
        own.update(kwargs)
        return own

    def _skip_single(self, name: str, template, context: dict, own: dict, override: bool) -> bool:
        """Settle a page that is not paginated when its key is unchanged; tell whether it was.

        Does what Pelican's ``write_file`` does for such a page, but rendering: the key is
        computed from the very values Pelican would have put in the page's context (``own``
        over ``context``); the same overwrite rules, record of the file and signal. Otherwise
        the key is kept for ``render`` to reuse.
        """
        cache = self.render_cache
        path = self._join(name)
        key = cache.key(template, name, own, context)
        if not cache.unchanged(path, key):
            self.known_key = (path, key)
            return False
        if own["localsiteurl"]:
            context["localsiteurl"] = own["localsiteurl"]
        self._settle(path, override)
        if signals.content_written.receivers:
            localcontext = context.copy()
            localcontext.update(own)
            signals.content_written.send(path, context=localcontext)
        return True

    def _join(self, name: str) -> str:
        """Pelican's ``sanitised_join(output_path, name)``, with the output folder's part made once.

        A plain name (``portal.incremental.under``) is joined to it as it is: 10,000 article pages
        a rebuild were each made absolute again.
        """
        base = self._base
        if base is None:
            base = self._base = posixize_path(os.path.abspath(self.output_path))
        joined = posixize_path(under(base, name))
        if not joined.startswith(base):
            raise RuntimeError(f"Attempted to break out of output directory to {joined}")
        return joined

    def _open_w(self, filename, encoding, override=False):
        decided, self.decided = self.decided, None
        if filename in self._overridden_files:
            if override:
                raise FileOverwriteFailedError(
                    f'Failed to overwrite "{filename}" a second time (was previously overwritten)'
                )
            logger.info('Skipping "%s", not overwriting', filename)
            return open(os.devnull, "w", encoding=encoding)  # noqa: SIM115 (Pelican closes it)
        if filename in self._written_files and not override:
            raise FileOverwriteFailedError(
                f'Failed to overwrite "{filename}" as Pelican has already written to it previously '
                "(set `override=True` if intended)"
            )
        if override:
            self._overridden_files.add(filename)
        self._written_files.add(filename)
        if decided is not None and decided[0] == filename:
            job = decided[1]
            if job is None:
                OUTPUTS.record_normal(filename)  # current (from ``_join``): produced as much as a written one
            else:
                job.encoding = encoding
                self.deferred.append(job)
            return io.StringIO()  # the empty text Pelican writes goes nowhere
        return _Pending(filename, encoding)
