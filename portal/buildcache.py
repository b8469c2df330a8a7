"""One dictionary kept between builds in a pickle file of Pelican's cache folder.

The build's caches of pure functions (a body's sanitised HTML, an article's record, its search
tokens) share this shape: load what the last build kept, serve and remember what this build uses,
forget the rest, and write the file only when it changed. Keys are content hashes, never mtimes
(a fresh clone resets those). A missing or unreadable file only costs the work.
"""

from __future__ import annotations

import os
import pickle

MISSING = object()


class BuildCache:
    """Key → value, from the last build's file; what this build used is what is kept."""

    def __init__(self, path: str | os.PathLike | None = None) -> None:
        self.path = os.fspath(path) if path else None
        self.previous: dict = {}
        self.current: dict = {}
        if self.path:
            try:
                with open(self.path, "rb") as handle:
                    self.previous = pickle.load(handle)  # noqa: S301 (our own cache folder)
            except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ValueError, TypeError):
                self.previous = {}

    def get(self, key, default=MISSING):
        """Return the value this or the last build stored under ``key`` (and keep it)."""
        if key in self.current:
            return self.current[key]
        if key in self.previous:
            self.current[key] = value = self.previous[key]
            return value
        return default

    def put(self, key, value) -> None:
        """Store ``value`` under ``key`` for this build and the next."""
        self.current[key] = value

    def save(self) -> None:
        """Write what this build used (nothing when it is what the file holds)."""
        if not self.path or self.current.keys() == self.previous.keys():
            return
        os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
        temporary = f"{self.path}.{os.getpid()}"
        with open(temporary, "wb") as handle:
            pickle.dump(self.current, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, self.path)
        self.previous = self.current
