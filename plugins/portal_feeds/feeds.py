"""Feeds of the portal: RSS 2.0 and Atom (feedgen) for all articles and per section, JSON Feed, /rss/.

``FeedsGenerator.generate_context`` publishes the feed list to templates (``PORTAL_FEED_LINKS``
for ``<link rel="alternate">``); ``generate_output`` writes every feed and the ``/rss/`` page.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime

from pelican import signals
from pelican.generators import Generator

from portal import feeds
from portal.entries import entry_of, newest_first, open_entry_cache, save_entry_cache, site_from_settings
from portal.output import write_output
from portal.text import TIMEZONE

from .settings import validate

logger = logging.getLogger(__name__)
EPOCH = datetime(2000, 1, 1, tzinfo=TIMEZONE)  # "updated" of a site with no article at all
ALL_TITLE = "Tin mới nhất"
JSON_FEED = "feed.json"
RSS_PAGE = "rss/index.html"
KINDS = (("rss", feeds.RSS_TYPE, "RSS"), ("atom", feeds.ATOM_TYPE, "Atom"))


def check_settings(pelican) -> None:
    """Fail early on an unknown setting or on Pelican's own feeds left on."""
    validate(pelican.settings)


class FeedsGenerator(Generator):
    """Writes ``feeds/*.rss.xml``, ``feeds/*.atom.xml``, ``feed.json`` and ``rss/index.html``."""

    def generate_context(self):
        """Give templates the list of feeds, for ``<link rel="alternate">`` and the /rss/ page."""
        site = site_from_settings(self.settings)
        links = []
        for name, label, section in self._feed_names():
            urls = {kind: site.absolute(f"feeds/{name}.{kind}.xml") for kind in ("rss", "atom")}
            for kind, mime, format_name in KINDS:
                links.append(
                    {
                        "name": name,
                        "label": label,
                        "section": section,
                        "kind": kind,
                        "type": mime,
                        "title": f"{label} ({format_name})",
                        "url": urls[kind],
                        "atom_url": urls["atom"],
                    }
                )
        links.append(
            {
                "name": "all",
                "label": ALL_TITLE,
                "section": None,
                "kind": "json",
                "type": feeds.JSON_FEED_TYPE,
                "title": f"{ALL_TITLE} (JSON Feed)",
                "url": site.absolute(JSON_FEED),
            }
        )
        self.context["PORTAL_FEED_LINKS"] = links

    def _feed_names(self):
        yield "all", ALL_TITLE, None
        for slug, name in self.settings["SECTIONS"]:
            yield slug, name, slug

    def _feeds(self, site) -> list[feeds.Feed]:
        limit = validate(self.settings)["PORTAL_FEEDS_LIMIT"]
        entries = newest_first(entry_of(a, site) for a in self.context.get("articles", []))
        newest = max((e.updated for e in entries), default=EPOCH)
        built = []
        for name, title, section in self._feed_names():
            chosen = [e for e in entries if section in (None, e.section_slug)][:limit]
            home = site.absolute(f"{section}/" if section else "")
            updated = max((e.updated for e in chosen), default=newest)
            description = f"{title} - {site.name}"
            built.append(
                feeds.Feed(name, f"{site.name} - {title}", description, home, updated, tuple(chosen))
            )
        return built

    def generate_output(self, writer):
        """Write every feed in RSS and Atom, the JSON Feed and the /rss/ page."""
        open_entry_cache(self.settings, self.context)
        started = time.perf_counter()
        site = site_from_settings(self.settings)
        built = self._feeds(site)
        for feed in built:
            for kind in ("rss", "atom"):
                write_output(self.output_path, feed.path(kind), feeds.render(feed, site, kind))
        write_output(self.output_path, JSON_FEED, feeds.render_json_feed(built[0], site, JSON_FEED))
        self._write_page(writer, built)
        logger.info(
            "portal_feeds: %d feeds, %d entries in the newest, in %.2f s",
            2 * len(built) + 1,
            len(built[0].entries),
            time.perf_counter() - started,
        )

    def _write_page(self, writer, built) -> None:
        # Through Pelican's writer, as every other page: the theme's assets step and the
        # incremental writer then treat it alike (an unchanged page is not rewritten).
        counts = {feed.name: len(feed.entries) for feed in built}
        writer.write_file(
            RSS_PAGE,
            self.get_template("rss"),
            self.context,
            page_name="rss",
            feed_counts=counts,
            feed_limit=validate(self.settings)["PORTAL_FEEDS_LIMIT"],
        )


def get_generators(pelican):
    """Add the feeds generator to Pelican's list."""
    return FeedsGenerator


def register() -> None:
    """Connect the handlers."""
    signals.initialized.connect(check_settings)
    signals.get_generators.connect(get_generators)
    signals.finalized.connect(save_entry_cache)
