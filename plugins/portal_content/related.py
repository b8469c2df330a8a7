"""'Tin cùng chuyên mục': a few neighbours of each article in its section, in linear time.

Doing this in templates would scan every article for every article page (quadratic); here each
section's list is walked once.
"""

from __future__ import annotations

SAME_SECTION_COUNT = 5


def neighbours(listed: list, index: int, count: int = SAME_SECTION_COUNT) -> list:
    """Return up to ``count`` articles near ``listed[index]``: older ones first, then newer."""
    older = listed[index + 1 : index + 1 + count]
    newer = listed[max(0, index - (count - len(older))) : index]
    return older + newer[::-1]


def attach_same_section(articles: list, others: list) -> None:
    """Set ``same_section`` on published ``articles`` and on ``others`` (drafts, hidden)."""
    by_section: dict[str, list] = {}
    for article in articles:
        by_section.setdefault(article.category.slug, []).append(article)
    for listed in by_section.values():
        for index, article in enumerate(listed):
            article.same_section = neighbours(listed, index)
    for article in others:
        article.same_section = by_section.get(article.category.slug, [])[:SAME_SECTION_COUNT]
