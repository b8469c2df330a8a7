"""Sitemaps for search engines: a sitemap index, URL sitemaps, a Google News sitemap, robots.txt."""

from __future__ import annotations

import hashlib
import logging
import os
import sys
import time
from datetime import datetime

from pelican import signals
from pelican.generators import Generator

from portal import sitemap
from portal.buildcache import read_pickle, write_pickle
from portal.entries import records, save_entry_cache
from portal.output import KeyedOutputs, code_digest, write_output
from portal.text import local

from .settings import validate

logger = logging.getLogger(__name__)
URLS_FILE = "sitemap-urls.pickle"


def check_settings(pelican) -> None:
    """Fail early on an unknown or malformed setting."""
    validate(pelican.settings)


def news_window_end(entries) -> datetime | None:
    """Return where the news window ends: the newest article, never the clock.

    A publish is then a function of the content alone (byte-identical when repeated); for a
    portal that publishes daily the newest article is within hours of the build anyway.
    """
    return max((e.date for e in entries), default=None)


def _page_date(page):
    moment = getattr(page, "modified", None) or getattr(page, "date", None)
    return local(moment) if isinstance(moment, datetime) else None


class ArticleUrls:
    """Each article's absolute URL by its record's key (which covers it), kept between builds.

    Formatting every article's URL again (Pelican's ``str.format`` over its metadata) was most of
    a sitemap rebuild after one edit; only the URLs of new or changed records are formatted.
    """

    def __init__(self, folder: str | None) -> None:
        self.path = os.path.join(folder, URLS_FILE) if folder else None
        self.known: dict[bytes, str] = {}
        self.used: dict[bytes, str] = {}
        known = read_pickle(self.path)
        self.known = known if isinstance(known, dict) else {}

    def __call__(self, head) -> str:
        """Return the absolute URL of the article of ``head``."""
        url = self.known.get(head.key) or head.url
        self.used[head.key] = url
        return url

    def save(self) -> None:
        """Keep this build's URLs (only), when they differ from what is kept."""
        if not self.path or self.used == self.known:
            return
        write_pickle(self.path, self.used)


class SitemapGenerator(Generator):
    """Writes ``sitemap.xml`` (an index), ``sitemap-N.xml``, ``sitemap-news.xml`` and ``robots.txt``."""

    # Reads only the context and the articles' records, writes only through the recording writers,
    # keeps its own caches: a rebuild may run it in a child beside the article pages (portal_perf).
    portal_beside_pages = True

    def generate_context(self):
        """Nothing to add: the sitemaps read the published lists when writing."""

    def generate_output(self, writer):
        """Write the sitemaps and robots.txt.

        The sitemap files are a function of the code, the settings, every URL with its date and
        the news articles' records: when that key is unchanged and every file is the one made for
        it, none is made again (an edited body changes no sitemap), and no record is read.
        """
        started = time.perf_counter()
        options = validate(self.settings)
        built = records(self.settings, self.context)
        site, heads = built.site, built.heads
        end = news_window_end(heads)
        news = sitemap.news_entries(heads, end) if end else []
        newest = max((h.updated for h in heads), default=None)
        sections = [
            (site.absolute(category.url), max((built.head(a).updated for a in articles), default=None))
            for category, articles in self.context.get("categories", [])
        ]
        pages = [*self.context.get("pages", []), *self.context.get("translations", [])]
        others = [(site.absolute(p.url), _page_date(p)) for p in pages if p.url]
        urls = ArticleUrls(self.settings.get("CACHE_PATH"))
        articles = [(urls(h), h.updated) for h in heads]
        urls.save()
        listed = [(site.absolute(""), newest), *sections, *articles, *others]
        dated = [(loc, lastmod and lastmod.isoformat()) for loc, lastmod in listed]
        facts = repr((site, options, sys.version, dated, len(news))).encode()
        key = hashlib.sha256(code_digest() + facts + b"".join(h.key for h in news)).digest()
        chunks = -(-len(listed) // options["PORTAL_SITEMAP_MAX_URLS"])
        paths = [sitemap.chunk_path(n) for n in range(1, chunks + 1)] + [sitemap.INDEX]
        paths += [sitemap.NEWS] if news else []
        outputs = KeyedOutputs(self.settings.get("CACHE_PATH"), self.output_path, "sitemap")
        if not all(outputs.current_file(path, key) for path in paths):
            files = sitemap.build(
                [sitemap.Url(loc, lastmod) for loc, lastmod in listed],
                built.entries(news),
                site,
                options["PORTAL_SITEMAP_NEWS_NAME"],
                options["PORTAL_SITEMAP_MAX_URLS"],
            )
            for path, data in files.items():
                outputs.write(path, key, data)
        outputs.save()
        write_output(self.output_path, "robots.txt", sitemap.robots(site))
        logger.info(
            "portal_sitemap: %d sitemap files (%d made again), %d news articles, in %.2f s",
            len(paths),
            outputs.written,
            len(news),
            time.perf_counter() - started,
        )


def get_generators(pelican):
    """Add the sitemap generator to Pelican's list."""
    return SitemapGenerator


def register() -> None:
    """Connect the handlers."""
    signals.initialized.connect(check_settings)
    signals.get_generators.connect(get_generators)
    signals.finalized.connect(save_entry_cache)
