"""Feeds of the portal: RSS 2.0 and Atom (feedgen) for all articles and per section, JSON Feed, /rss/.

``FeedsGenerator.generate_context`` publishes the feed list to templates (``PORTAL_FEED_LINKS``
for ``<link rel="alternate">``); ``generate_output`` writes every feed and the ``/rss/`` page.
"""

from __future__ import annotations

import hashlib
import logging
import sys
import time
from dataclasses import replace
from datetime import datetime
from importlib.metadata import version

from pelican import signals
from pelican.generators import Generator

from portal import feeds
from portal.entries import records, save_entry_cache, site_from_settings
from portal.output import KeyedOutputs, code_digest
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

    # Reads only the context and the articles' records, writes only through the recording writers,
    # keeps its own caches: a rebuild may run it in a child beside the article pages (portal_perf).
    portal_beside_pages = True

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

    def _chosen(self, ordered, limit: int) -> dict[str, list]:
        """Return each feed's newest ``limit`` heads, in one walk down the newest-first list."""
        chosen = {name: [] for name, _, _ in self._feed_names()}
        for head in ordered:
            for name in ("all", head.section_slug):
                found = chosen.get(name)
                if found is not None and len(found) < limit:
                    found.append(head)
            if all(len(found) == limit for found in chosen.values()):
                break
        return chosen

    def generate_output(self, writer):
        """Write every feed in RSS and Atom, the JSON Feed and the /rss/ page.

        A feed file is a function of the code, the site, the feed's titles and dates and its
        entries' records: one whose key is unchanged and whose file is the one made for it is not
        made again, and only the records of feeds made again are read (with their bodies).
        """
        started = time.perf_counter()
        built = records(self.settings, self.context)
        site = built.site
        limit = validate(self.settings)["PORTAL_FEEDS_LIMIT"]
        chosen = self._chosen(built.newest_first, limit)
        newest = max((h.updated for h in built.heads), default=EPOCH)
        outputs = KeyedOutputs(self.settings.get("CACHE_PATH"), self.output_path, "feeds")
        salt = code_digest() + repr((site, version("feedgen"), version("lxml"), sys.version)).encode()
        made = 0
        for name, title, section in self._feed_names():
            heads = chosen[name]
            home = site.absolute(f"{section}/" if section else "")
            updated = max((h.updated for h in heads), default=newest)
            meta = (name, f"{site.name} - {title}", f"{title} - {site.name}", home, updated)
            feed = feeds.Feed(*meta, entries=())
            files = [(kind, feed.path(kind)) for kind in ("rss", "atom")]
            if name == "all":
                files.append(("json", JSON_FEED))
            keys = {
                kind: hashlib.sha256(
                    salt + repr((kind, meta)).encode() + b"".join(h.key for h in heads)
                ).digest()
                for kind, _ in files
            }
            stale = [(kind, path) for kind, path in files if not outputs.current_file(path, keys[kind])]
            if not stale:
                continue
            feed = replace(feed, entries=tuple(built.entries(heads)))
            for kind, path in stale:
                if kind == "json":
                    outputs.write(path, keys[kind], feeds.render_json_feed(feed, site, path))
                else:
                    outputs.write(path, keys[kind], feeds.render(feed, site, kind))
                made += 1
        outputs.save()
        self._write_page(writer, {name: len(heads) for name, heads in chosen.items()})
        logger.info(
            "portal_feeds: %d feeds (%d made again), %d entries in the newest, in %.2f s",
            2 * len(chosen) + 1,
            made,
            len(chosen["all"]),
            time.perf_counter() - started,
        )

    def _write_page(self, writer, counts: dict[str, int]) -> None:
        # Through Pelican's writer, as every other page: the theme's assets step and the
        # incremental writer then treat it alike (an unchanged page is not rewritten).
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
