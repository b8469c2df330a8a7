"""Pelican's writer, writing each file only when its bytes change, by rename (never in place)."""

from __future__ import annotations

import io
import logging
import os

from pelican.writers import FileOverwriteFailedError, Writer

from portal.incremental import replace_if_changed

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


class IncrementalWriter(Writer):
    """Same overwrite rules as Pelican's ``Writer``; unchanged outputs are left as they are."""

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
        return _Pending(filename, encoding)
