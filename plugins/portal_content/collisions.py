"""Adapter from Pelican's article lists to the portal's collision check."""

from __future__ import annotations

from portal.collisions import Entry, find

from .reader import display_path

LISTS = ("articles", "hidden_articles", "drafts", "translations")


def _entry(content) -> Entry:
    lines = getattr(content, "field_lines", {})
    return Entry(
        path=display_path(content.source_path),
        url=content.url,
        title=content.title,
        url_line=lines.get("slug", lines.get("title", 1)),
        title_line=lines.get("title", 1),
    )


def resolve(generator) -> list:
    """Report collisions among the generator's articles and drop all but the first of each."""
    contents = [c for name in LISTS for c in getattr(generator, name, [])]
    findings, dropped = find([_entry(c) for c in contents])
    for name in LISTS:
        kept = [c for c in getattr(generator, name, []) if display_path(c.source_path) not in dropped]
        setattr(generator, name, kept)
    return findings
