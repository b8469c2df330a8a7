"""Template helpers of the portal theme, computed once per build in linear time.

Home blocks, related and neighbouring articles, photo sizes, attachment details, the byline,
JSON-LD and a small pagination window.

Everything a page shows that would cost a scan of all articles per page is computed here once,
in linear time, so a 10,000-article build stays linear.
"""

from __future__ import annotations

import logging

from pelican import signals

from portal.byline import strip_trailing_byline
from portal.jsonld import NewsItem, news_article, to_script_json

from .settings import validate

logger = logging.getLogger(__name__)


def check_settings(pelican) -> None:
    """Fail early on a malformed or unknown ``PORTAL_THEME_*`` setting."""
    validate(pelican.settings)


def add_helpers(generator) -> None:
    """Expose the theme's filters and resolved settings to every template."""
    env = getattr(generator, "env", None)
    if env is None:
        return
    values = validate(generator.settings)
    env.globals.update(
        SERVICES=values["PORTAL_THEME_SERVICES"],
    )
    env.filters.update(
        without_byline=lambda html, authors: strip_trailing_byline(
            html, [getattr(a, "name", str(a)) for a in authors or []]
        ),
        news_article_json=lambda article, siteurl, sitename: to_script_json(
            _news_article(article, siteurl, sitename)
        ),
    )


def _news_article(article, siteurl: str, sitename: str) -> dict:
    image = getattr(article, "image", None)
    item = NewsItem(
        url=f"{siteurl}/{article.url}",
        headline=article.title,
        description=getattr(article, "summary", "") or "",
        published=article.date,
        modified=getattr(article, "modified", None),
        authors=[author.name for author in getattr(article, "authors", [])],
        section=article.category.name,
        image=f"{siteurl}/{image}" if image else None,
        language=getattr(article, "lang", "vi"),
    )
    return news_article(item, sitename, f"{siteurl}/theme/images/logo.png")


def decorate(generator) -> None:
    """Attach related articles and section neighbours to each article (photos: portal_images)."""
    published = generator.articles
    by_slug = {article.slug: article for article in published}
    by_section: dict[str, list] = {}
    for article in published:
        by_section.setdefault(article.category.slug, []).append(article)
    for listed in by_section.values():
        for index, article in enumerate(listed):
            article.newer_in_section = listed[index - 1] if index else None
            article.older_in_section = listed[index + 1] if index + 1 < len(listed) else None
    everyone = [*published, *generator.translations, *generator.hidden_articles, *generator.drafts]
    for article in everyone:
        related = getattr(article, "related", None) or []
        article.related_articles = [by_slug[s] for s in related if s in by_slug and s != article.slug]
    _home_blocks(generator, by_section)


def _home_blocks(generator, by_section: dict[str, list]) -> None:
    """Put the home page's per-section lists in the shared template context."""
    values = validate(generator.settings)
    count = values["PORTAL_THEME_HOME_PER_SECTION"]
    announcements = generator.settings.get("ANNOUNCEMENT_SECTION")
    generator.context["HOME_SECTIONS"] = {slug: listed[:count] for slug, listed in by_section.items()}
    generator.context["ANNOUNCEMENTS"] = by_section.get(announcements, [])[
        : values["PORTAL_THEME_ANNOUNCEMENTS"]
    ]
    generator.context["HOME_FEATURED"] = featured(generator.articles, announcements)


def featured(articles: list, announcements: str | None, lookback: int = 10) -> list:
    """Return the home page's lead story first, then the next latest four.

    The lead is the newest news item with a photo among the latest ``lookback`` (announcements
    have their own block), else simply the newest item.
    """
    recent = articles[:lookback]
    news = [a for a in recent if a.category.slug != announcements] or recent
    lead = next((a for a in news if getattr(a, "image", None)), news[0] if news else None)
    if lead is None:
        return []
    rest = [a for a in articles[: lookback + 1] if a is not lead and a.category.slug != announcements]
    return [lead, *rest[:4]]


def register() -> None:
    """Connect the handlers."""
    signals.initialized.connect(check_settings)
    signals.generator_init.connect(add_helpers)
    signals.article_generator_finalized.connect(decorate)
