"""Pelican's writer, writing each file only when its bytes change, by rename (never in place)."""

from __future__ import annotations

import io
import logging
import os
from pathlib import Path

from pelican.utils import sanitised_join
from pelican.writers import FileOverwriteFailedError, Writer

from portal.incremental import OUTPUTS, replace_if_changed

from .render_cache import RenderCache

logger = logging.getLogger(__name__)


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


class _CachedTemplate:
    """A template whose ``render`` is skipped when the page's key says the file is current."""

    def __init__(self, template, writer: IncrementalWriter):
        self._template, self._writer = template, writer

    def __getattr__(self, name):
        return getattr(self._template, name)

    def render(self, localcontext):
        cache = self._writer.render_cache
        name = localcontext.get("output_file")
        if name:
            path = sanitised_join(self._writer.output_path, name)
            if cache.unchanged(path, cache.key(self._template, name, localcontext)):
                self._writer.current_skip = path
                cache.skipped += 1
                return ""
        cache.rendered += 1
        logger.debug("portal_perf: rendering %s", name)
        return self._template.render(localcontext)


class IncrementalWriter(Writer):
    """Same overwrite rules as Pelican's ``Writer``; unchanged outputs are left as they are.

    With a render cache (``PORTAL_PERF_RENDER_CACHE``), a page whose inputs are unchanged since
    the build that wrote it is not rendered at all (``render_cache``).
    """

    render_cache: RenderCache | None = None
    current_skip: str | None = None
    last: IncrementalWriter | None = None  # the writer of the running build

    def __init__(self, output_path, settings=None):
        super().__init__(output_path, settings=settings)
        if self.settings.get("PORTAL_PERF_RENDER_CACHE", True) and self.settings.get("CACHE_PATH"):
            self.render_cache = RenderCache(
                self.settings["CACHE_PATH"], self.settings, code_roots(self.settings)
            )
        IncrementalWriter.last = self

    def finish(self) -> None:
        """Record the keys of this build's pages (after every plugin has touched the files)."""
        if self.render_cache is not None:
            self.render_cache.save()
            logger.info(
                "portal_perf: %d trang được dựng, %d trang không đổi được giữ nguyên",
                self.render_cache.rendered,
                self.render_cache.skipped,
            )

    def write_file(self, name, template, context, *args, **kwargs):
        """Pelican's ``write_file``, with the template's rendering skipped for unchanged pages."""
        if self.render_cache is not None and template is not None:
            template = _CachedTemplate(template, self)
        return super().write_file(name, template, context, *args, **kwargs)

    def _open_w(self, filename, encoding, override=False):
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
        if self.current_skip is not None and self.current_skip == filename:
            self.current_skip = None
            OUTPUTS.record(filename)  # current: produced by this build as much as a written one
            return open(os.devnull, "w", encoding=encoding)  # noqa: SIM115 (Pelican closes it)
        return _Pending(filename, encoding)
