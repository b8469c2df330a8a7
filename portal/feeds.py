"""RSS 2.0 and Atom feeds with feedgen, and JSON Feed 1.1, from ``Entry`` records.

feedgen's pitfalls, guarded here and in the tests: ``add_entry`` prepends by default (the order
would come out reversed); feed and entry timestamps default to the clock (two publishes would
differ); Atom entry links lose ``rel``/``type``/``length`` (python-feedgen issue #135: the loop
rebinds ``link``), so Atom links are written by a small extension; control characters make lxml
raise (``Entry`` text is cleaned when built); the RSS ``<channel><link>`` is the *last* link
added, so the HTML page's link goes last.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from feedgen.util import xml_elem

from .entries import Entry, Site, iso

JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
ATOM_TYPE = "application/atom+xml"
RSS_TYPE = "application/rss+xml"
JSON_FEED_TYPE = "application/feed+json"


@dataclass(frozen=True)
class Feed:
    """One feed: its name (``all`` or a section slug), titles and the entries it carries."""

    name: str
    title: str
    description: str
    home: str  # absolute URL of the HTML page the feed follows
    updated: datetime  # newest content, never the clock
    entries: tuple

    def path(self, kind: str) -> str:
        """Return the output path of this feed in ``kind`` (``rss`` or ``atom``)."""
        return f"feeds/{self.name}.{kind}.xml"


class _FeedLinks(BaseExtension):
    """Feed-level half of the Atom links extension (feedgen needs one; it adds nothing)."""


class _EntryLinks(BaseEntryExtension):
    """Writes an Atom entry's links with every attribute (works around feedgen issue #135)."""

    def __init__(self):
        self.links: list[dict] = []

    def extend_atom(self, entry):
        """Append one ``<link>`` per recorded link, attributes in a fixed order."""
        for link in self.links:
            xml_elem("link", entry, **link)
        return entry


def _generator(feed: Feed, site: Site, kind: str) -> FeedGenerator:
    generator = FeedGenerator()
    generator.id(f"tag:{site.id_authority},2026:{feed.path(kind).rsplit('.', 2)[0]}")
    generator.title(feed.title)
    generator.description(feed.description)
    generator.link(
        href=site.absolute(feed.path(kind)), rel="self", type=RSS_TYPE if kind == "rss" else ATOM_TYPE
    )
    # Last: feedgen makes the last link the RSS <channel><link>, which must be the HTML page.
    generator.link(href=feed.home, rel="alternate", type="text/html")
    generator.language(site.language)
    generator.author({"name": site.name})
    generator.generator(site.name, uri=site.url + "/")
    generator.updated(feed.updated)  # also lastBuildDate; never left to the clock
    if kind == "rss":
        generator.load_extension("dc", atom=False, rss=True)
    else:
        generator.register_extension("portal", _FeedLinks, _EntryLinks, atom=True, rss=False)
    return generator


def _categories(entry: Entry, site: Site) -> list[dict]:
    tags = [{"term": slug, "label": name} for slug, name, _ in entry.tags]
    return [{"term": entry.section_slug, "label": entry.section_name, "scheme": site.url + "/"}, *tags]


def _rss_entry(item, entry: Entry, site: Site) -> None:
    item.link(href=entry.url)
    item.guid(entry.id, permalink=False)
    item.description(entry.summary)
    item.content(entry.body_html, type="CDATA")
    item.pubDate(entry.date)
    for author in entry.authors:
        item.dc.dc_creator(author, replace=False)
    item.category(_categories(entry, site))  # RSS shows the label
    if entry.image:
        item.enclosure(entry.image.url, str(entry.image.length), entry.image.mime)


def _atom_entry(item, entry: Entry, site: Site) -> None:
    item.id(entry.id)
    item.summary(entry.summary)
    item.content(entry.body_html, type="html")
    item.published(entry.date)
    item.author([{"name": author} for author in entry.authors])
    item.category(_categories(entry, site))
    links = [{"href": entry.url, "rel": "alternate", "type": "text/html"}]
    if entry.image:
        image = entry.image
        links.append({"href": image.url, "rel": "enclosure", "type": image.mime, "length": str(image.length)})
    item.portal.links = links


def render(feed: Feed, site: Site, kind: str) -> bytes:
    """Return the feed as RSS 2.0 (``kind="rss"``) or Atom (``"atom"``) bytes."""
    generator = _generator(feed, site, kind)
    for entry in feed.entries:
        item = generator.add_entry(order="append")  # the default, "prepend", reverses the order
        item.title(entry.title)
        item.updated(entry.updated)
        (_rss_entry if kind == "rss" else _atom_entry)(item, entry, site)
    if kind == "rss":
        return generator.rss_str(pretty=True, encoding="UTF-8")
    return generator.atom_str(pretty=True, encoding="UTF-8")


def _json_item(entry: Entry) -> dict:
    item = {
        "id": entry.id,
        "url": entry.url,
        "title": entry.title,
        "summary": entry.summary,
        "content_html": entry.body_html,
        "date_published": iso(entry.date),
        "date_modified": iso(entry.updated),
        "authors": [{"name": author} for author in entry.authors],
        "tags": [entry.section_name, *(name for _, name, _ in entry.tags)],
        "language": "vi",
    }
    if entry.image:
        item["image"] = entry.image.url
    if entry.attachments:
        item["attachments"] = [
            {"url": a.url, "mime_type": a.mime, "title": a.name, "size_in_bytes": a.size}
            for a in entry.attachments
        ]
    return item


def render_json_feed(feed: Feed, site: Site, path: str = "feed.json") -> bytes:
    """Return the feed as JSON Feed 1.1: UTF-8, no ASCII escaping, keys in a fixed order."""
    document = {
        "version": JSON_FEED_VERSION,
        "title": feed.title,
        "home_page_url": feed.home,
        "feed_url": site.absolute(path),
        "description": feed.description,
        "language": site.language,
        "authors": [{"name": site.name, "url": site.url + "/"}],
        "items": [_json_item(entry) for entry in feed.entries],
    }
    return dumps(document)


def dumps(document) -> bytes:
    """Serialise JSON deterministically: compact UTF-8 without ASCII escapes, a final newline.

    Compact, because ``indent`` switches Python to its pure-Python encoder (about 3x slower on
    10,000 article files) and nginx compresses the output anyway.
    """
    return (_ENCODER.encode(document) + "\n").encode("utf-8")


# What json.dumps(ensure_ascii=False, separators=(",", ":")) builds on every call, made once.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
