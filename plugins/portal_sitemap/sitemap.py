"""Sitemaps for search engines: a sitemap index, URL sitemaps, a Google News sitemap, robots.txt."""

from __future__ import annotations

import logging
import time
from datetime import datetime

from pelican import signals
from pelican.generators import Generator

from portal import sitemap
from portal.entries import entry_of, open_entry_cache, save_entry_cache, site_from_settings
from portal.output import write_output
from portal.text import local

from .settings import validate

logger = logging.getLogger(__name__)


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


class SitemapGenerator(Generator):
    """Writes ``sitemap.xml`` (an index), ``sitemap-N.xml``, ``sitemap-news.xml`` and ``robots.txt``."""

    def generate_context(self):
        """Nothing to add: the sitemaps read the published lists when writing."""

    def _urls(self, site, entries) -> list[sitemap.Url]:
        newest = max((e.updated for e in entries), default=None)
        urls = [sitemap.Url(site.absolute(""), newest)]
        for category, articles in self.context.get("categories", []):
            updated = max((entry_of(a, site).updated for a in articles), default=None)
            urls.append(sitemap.Url(site.absolute(category.url), updated))
        urls += [sitemap.Url(e.url, e.updated) for e in entries]
        pages = [*self.context.get("pages", []), *self.context.get("translations", [])]
        urls += [sitemap.Url(site.absolute(p.url), _page_date(p)) for p in pages if p.url]
        return urls

    def generate_output(self, writer):
        """Write the sitemaps and robots.txt."""
        open_entry_cache(self.settings, self.context)
        started = time.perf_counter()
        options = validate(self.settings)
        site = site_from_settings(self.settings)
        entries = [entry_of(article, site) for article in self.context.get("articles", [])]
        end = news_window_end(entries)
        news = sitemap.news_entries(entries, end) if end else []
        files = sitemap.build(
            self._urls(site, entries),
            news,
            site,
            options["PORTAL_SITEMAP_NEWS_NAME"],
            options["PORTAL_SITEMAP_MAX_URLS"],
        )
        for path, data in files.items():
            write_output(self.output_path, path, data)
        write_output(self.output_path, "robots.txt", sitemap.robots(site))
        logger.info(
            "portal_sitemap: %d sitemap files, %d news articles, in %.2f s",
            len(files),
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
