"""Linear-time replacements for Pelican's quadratic taxonomy and archive steps.

Pelican 4.12 builds each tag, category and author page's ``dates`` with
``[a for a in self.dates if a in articles]`` (a list scan per article) and each period archive
with ``[a for a in articles if a in dates]``: both grow with the square of the archive. These do
the same from the positions of the list's items (by identity), in the same order, and write
through the same ``write``.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from itertools import groupby
from operator import attrgetter

from pelican.writers import FileOverwriteFailedError

GRANULARITY_KEYS = {
    "year": attrgetter("date.year"),
    "month": attrgetter("date.year", "date.month"),
    "day": attrgetter("date.year", "date.month", "date.day"),
}


class Order:
    """The positions of a list's items (by identity), to pick a few of them in its order."""

    def __init__(self, ordered: list):
        self.ordered = ordered
        self.positions = {id(item): index for index, item in enumerate(ordered)}

    def pick(self, members: list) -> list:
        """Return the items of the list that are in ``members`` (by identity), in the list's order.

        The time of ``members`` (and a sort of them), not of the whole list: a taxonomy page's
        ``dates`` no longer scans the archive.
        """
        if len(self.positions) != len(self.ordered):  # an item twice in the list: scan it
            wanted = {id(item) for item in members}
            return [item for item in self.ordered if id(item) in wanted]
        picked = {}
        for item in members:
            index = self.positions.get(id(item))
            if index is not None:
                picked[index] = item
        return [picked[index] for index in sorted(picked)]


def build_period_archives(sorted_articles, articles, settings) -> dict:
    """Pelican's ``_build_period_archives`` without its per-period scan of every article."""
    archives = defaultdict(list)
    order = Order(articles)
    for granularity, key in GRANULARITY_KEYS.items():
        save_as_fmt = settings[f"{granularity.upper()}_ARCHIVE_SAVE_AS"]
        url_fmt = settings[f"{granularity.upper()}_ARCHIVE_URL"]
        if not save_as_fmt:
            continue
        for period, group in groupby(sorted_articles, key=key):
            dates = list(group)
            first = dates[0].date
            archive = {
                "dates": dates,
                "articles": order.pick(dates),
                "save_as": save_as_fmt.format(date=first),
                "url": url_fmt.format(date=first),
            }
            if granularity == "year":
                archive["period"] = archive["period_num"] = (period,)
            else:
                month = calendar.month_name[period[1]]
                archive["period"] = (
                    (period[0], month) if granularity == "month" else (period[0], month, period[2])
                )
                archive["period_num"] = tuple(period)
            archives[granularity].append(archive)
    return archives


def _write_taxonomy(generator, write, kind: str, pairs) -> None:
    template = generator.get_template(kind)
    order = Order(generator.dates)
    for item, articles in pairs:
        try:
            write(
                item.save_as,
                template,
                generator.context,
                url=item.url,
                articles=articles,
                dates=order.pick(articles),
                template_name=kind,
                blog=True,
                page_name=item.page_name,
                all_articles=generator.articles,
                **{kind: item},
            )
        except FileOverwriteFailedError:
            if item.slug:
                raise


def install(generator) -> None:
    """Replace the quadratic methods on one ``ArticlesGenerator`` (instance attributes only)."""
    generator._build_period_archives = build_period_archives
    generator.generate_tags = lambda write: _write_taxonomy(generator, write, "tag", generator.tags.items())
    generator.generate_categories = lambda write: _write_taxonomy(
        generator, write, "category", generator.categories
    )
    generator.generate_authors = lambda write: _write_taxonomy(generator, write, "author", generator.authors)
