"""Sitemaps (sitemaps.org 0.9), a Google News sitemap and robots.txt, built with ElementTree.

``/sitemap.xml`` is always an index over ``/sitemap-N.xml`` files of at most 50,000 URLs each,
kept at the site root because a sitemap may only list URLs under its own folder.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime, timedelta

from .entries import Entry, Site, iso

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"
MAX_URLS = 50_000
NEWS_MAX = 1_000
NEWS_WINDOW = timedelta(days=2)
INDEX = "sitemap.xml"
NEWS = "sitemap-news.xml"


@dataclass(frozen=True)
class Url:
    """One ``<url>``: an absolute location and, when known, its last change."""

    loc: str
    lastmod: datetime | None = None


def chunk_path(number: int) -> str:
    """Return the path of the ``number``-th sitemap (1-based)."""
    return f"sitemap-{number}.xml"


def _xml(root: ET.Element) -> bytes:
    ET.indent(root)
    return ET.tostring(root, encoding="UTF-8", xml_declaration=True) + b"\n"


def urlset(urls) -> bytes:
    """Return one sitemap listing ``urls``."""
    root = ET.Element("urlset", xmlns=SITEMAP_NS)
    for url in urls:
        element = ET.SubElement(root, "url")
        ET.SubElement(element, "loc").text = url.loc
        if url.lastmod:
            ET.SubElement(element, "lastmod").text = iso(url.lastmod)
    return _xml(root)


def index(sitemaps: list[tuple[str, datetime | None]]) -> bytes:
    """Return the sitemap index over ``(absolute URL, lastmod)`` pairs."""
    root = ET.Element("sitemapindex", xmlns=SITEMAP_NS)
    for loc, lastmod in sitemaps:
        element = ET.SubElement(root, "sitemap")
        ET.SubElement(element, "loc").text = loc
        if lastmod:
            ET.SubElement(element, "lastmod").text = iso(lastmod)
    return _xml(root)


def news_entries(entries, now: datetime) -> list[Entry]:
    """Return the articles for Google News: published in the two days up to ``now``, at most 1,000."""
    recent = [e for e in entries if now - NEWS_WINDOW <= e.date <= now]
    return sorted(recent, key=lambda e: (-e.date.timestamp(), e.slug))[:NEWS_MAX]


def news(entries, site: Site, publication: str) -> bytes:
    """Return a Google News sitemap of ``entries`` (language ``vi``)."""
    root = ET.Element("urlset", {"xmlns": SITEMAP_NS, "xmlns:news": NEWS_NS})
    for entry in entries:
        element = ET.SubElement(root, "url")
        ET.SubElement(element, "loc").text = entry.url
        item = ET.SubElement(element, "news:news")
        source = ET.SubElement(item, "news:publication")
        ET.SubElement(source, "news:name").text = publication
        ET.SubElement(source, "news:language").text = site.language
        ET.SubElement(item, "news:publication_date").text = iso(entry.date)
        ET.SubElement(item, "news:title").text = entry.title
    return _xml(root)


def build(urls: list[Url], news_items: list[Entry], site: Site, publication: str, limit=MAX_URLS):
    """Return ``{path: bytes}``: the index, every chunk of ``urls`` and the news sitemap if any."""
    files, listed = {}, []
    for start in range(0, max(len(urls), 1), limit):
        chunk = urls[start : start + limit]
        path = chunk_path(len(listed) + 1)
        files[path] = urlset(chunk)
        listed.append((site.absolute(path), max((u.lastmod for u in chunk if u.lastmod), default=None)))
    if news_items:
        files[NEWS] = news(news_items, site, publication)
        listed.append((site.absolute(NEWS), max(e.date for e in news_items)))
    files[INDEX] = index(listed)
    return files


def robots(site: Site) -> str:
    """Return robots.txt: everything may be crawled; the sitemap index is named."""
    return f"# {site.name}\nUser-agent: *\nDisallow:\n\nSitemap: {site.absolute(INDEX)}\n"
