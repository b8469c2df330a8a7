"""Adapter from Pelican's article lists to the portal's collision check.

Only contents that share a URL or a folded title with another one are handed to
``portal.collisions.find`` (a content alone in both cannot collide), so the display path, the
one ``relpath`` of each file, is computed for those only. Folded titles are kept between builds
(``title-slugs.pickle`` in the cache folder): ``slugify`` of every title was most of this step.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from collections import defaultdict
from importlib.metadata import version

from portal.collisions import Entry, find
from portal.output import code_digest
from portal.text import slugify

from .reader import display_path

LISTS = ("articles", "hidden_articles", "drafts", "translations")
SLUGS_FILE = "title-slugs.pickle"


def _entry(content) -> Entry:
    lines = getattr(content, "field_lines", {})
    return Entry(
        path=display_path(content.source_path),
        url=content.url,
        title=content.title,
        url_line=lines.get("slug", lines.get("title", 1)),
        title_line=lines.get("title", 1),
    )


class TitleSlugs:
    """``slugify`` of titles, kept between builds in the cache folder (keyed by the code)."""

    def __init__(self, folder: str | None) -> None:
        self.path = os.path.join(folder, SLUGS_FILE) if folder else None
        self.salt = hashlib.sha256(code_digest() + version("unidecode").encode()).digest()
        self.known: dict[str, str] = {}
        self.used: dict[str, str] = {}
        if self.path:
            try:
                with open(self.path, "rb") as handle:
                    salt, known = pickle.load(handle)  # noqa: S301 (our own cache folder)
            except (OSError, ValueError, TypeError, EOFError, pickle.UnpicklingError):
                salt, known = None, {}
            if salt == self.salt and isinstance(known, dict):
                self.known = known

    def __call__(self, title: str) -> str:
        """Return ``slugify(title)``."""
        slug = self.used.get(title)
        if slug is None:
            slug = self.known.get(title)
            if slug is None:
                slug = slugify(title)
            self.used[title] = slug
        return slug

    def save(self) -> None:
        """Keep this build's titles (only), when they differ from what is kept."""
        if not self.path or self.used == self.known:
            return
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        temporary = f"{self.path}.{os.getpid()}"
        with open(temporary, "wb") as handle:
            pickle.dump((self.salt, self.used), handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, self.path)


def resolve(generator) -> list:
    """Report collisions among the generator's articles and drop all but the first of each."""
    contents = [c for name in LISTS for c in getattr(generator, name, [])]
    slugs = TitleSlugs(generator.settings.get("CACHE_PATH"))
    by_url, by_title = defaultdict(list), defaultdict(list)
    for content in contents:
        by_url[content.url].append(content)
        folded = slugs(content.title)
        if folded:
            by_title[folded].append(content)
    slugs.save()
    grouped = {id(c) for group in (*by_url.values(), *by_title.values()) if len(group) > 1 for c in group}
    if not grouped:
        return []
    members = [c for c in contents if id(c) in grouped]
    findings, dropped = find([_entry(c) for c in members])
    sources = {c.source_path for c in members if display_path(c.source_path) in dropped}
    for name in LISTS:
        kept = [c for c in getattr(generator, name, []) if c.source_path not in sources]
        setattr(generator, name, kept)
    return findings
