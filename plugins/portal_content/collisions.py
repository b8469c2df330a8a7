"""Adapter from Pelican's article lists to the portal's collision check.

Only contents that share a URL or a folded title with another one are handed to
``portal.collisions.find`` (a content alone in both cannot collide), so the display path, the
one ``relpath`` of each file, is computed for those only. Each file's URL and folded title are
kept between builds (``collision-facts.pickle`` in the cache folder), keyed by the reader's hash
of its bytes: both are functions of the file, the settings and the code, and Pelican's URL
formatting and ``slugify`` of every title were most of this step.
"""

from __future__ import annotations

import hashlib
import os
from collections import defaultdict
from importlib.metadata import version

from portal.buildcache import read_pickle, write_pickle
from portal.collisions import Entry, find
from portal.output import code_digest, settings_digest
from portal.text import slugify

from .reader import display_path

LISTS = ("articles", "hidden_articles", "drafts", "translations")
FACTS_FILE = "collision-facts.pickle"


def _entry(content) -> Entry:
    lines = getattr(content, "field_lines", {})
    return Entry(
        path=display_path(content.source_path),
        url=content.url,
        title=content.title,
        url_line=lines.get("slug", lines.get("title", 1)),
        title_line=lines.get("title", 1),
    )


class Facts:
    """Each file's URL and folded title, kept between builds by its path and the hash of its bytes."""

    def __init__(self, settings) -> None:
        folder = settings.get("CACHE_PATH")
        self.path = os.path.join(folder, FACTS_FILE) if folder else None
        versions = f"{version('pelican')}\0{version('unidecode')}".encode()
        self.salt = hashlib.sha256(code_digest() + settings_digest(settings) + versions).digest()
        self.known: dict[tuple, tuple[str, str]] = {}
        self.used: dict[tuple, tuple[str, str]] = {}
        stored = read_pickle(self.path)  # (salt, facts)
        if isinstance(stored, tuple) and len(stored) == 2 and stored[0] == self.salt:
            self.known = stored[1] if isinstance(stored[1], dict) else {}

    def __call__(self, content) -> tuple[str, str]:
        """Return ``(content.url, slugify(content.title))``."""
        source_hash = content.metadata.get("source_hash")
        if not source_hash:  # not read by the portal's reader: nothing to key it by
            return content.url, slugify(content.title)
        key = (content.source_path, source_hash)
        found = self.used.get(key) or self.known.get(key)
        if found is None:
            found = content.url, slugify(content.title)
        self.used[key] = found
        return found

    def save(self) -> None:
        """Keep this build's files (only), when they differ from what is kept."""
        if not self.path or self.used == self.known:
            return
        write_pickle(self.path, (self.salt, self.used))


def resolve(generator) -> list:
    """Report collisions among the generator's articles and drop all but the first of each."""
    contents = [c for name in LISTS for c in getattr(generator, name, [])]
    facts = Facts(generator.settings)
    by_url, by_title = defaultdict(list), defaultdict(list)
    for content in contents:
        url, folded = facts(content)
        by_url[url].append(content)
        if folded:
            by_title[folded].append(content)
    facts.save()
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
