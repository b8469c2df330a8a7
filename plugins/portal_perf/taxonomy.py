"""Linear-time replacements for Pelican's quadratic taxonomy and archive steps.

Pelican 4.12 builds each tag, category and author page's ``dates`` with
``[a for a in self.dates if a in articles]`` (a list scan per article) and each period archive
with ``[a for a in articles if a in dates]``: both grow with the square of the archive. These do
the same with a set of identities, in the same order, and write through the same ``write``.
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


def in_order(ordered: list, members: list) -> list:
    """Return the items of ``ordered`` that are in ``members`` (by identity), in ``ordered``'s order."""
    wanted = {id(item) for item in members}
    return [item for item in ordered if id(item) in wanted]


def build_period_archives(sorted_articles, articles, settings) -> dict:
    """Pelican's ``_build_period_archives`` without its per-period scan of every article."""
    archives = defaultdict(list)
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
                "articles": in_order(articles, dates),
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
    for item, articles in pairs:
        try:
            write(
                item.save_as,
                template,
                generator.context,
                url=item.url,
                articles=articles,
                dates=in_order(generator.dates, articles),
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
