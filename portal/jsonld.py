r"""schema.org ``NewsArticle`` data for an article page (a JSON-LD data block, never script).

The JSON is made safe to embed in HTML by escaping ``<``, ``>`` and ``&`` as ``\\u`` sequences,
so no metadata value can close the ``<script type="application/ld+json">`` element.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class NewsItem:
    """The fields of an article that ``NewsArticle`` carries."""

    url: str
    headline: str
    description: str
    published: datetime
    modified: datetime | None
    authors: list[str]
    section: str
    image: str | None = None
    language: str = "vi"


def news_article(item: NewsItem, publisher: str, logo: str) -> dict:
    """Return the ``NewsArticle`` object Google and aggregators read."""
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "mainEntityOfPage": {"@type": "WebPage", "@id": item.url},
        "url": item.url,
        "headline": item.headline[:110],
        "description": item.description,
        "datePublished": item.published.isoformat(),
        "dateModified": (item.modified or item.published).isoformat(),
        "author": [{"@type": "Person", "name": name} for name in item.authors],
        "articleSection": item.section,
        "inLanguage": item.language,
        "publisher": {
            "@type": "GovernmentOrganization",
            "name": publisher,
            "logo": {"@type": "ImageObject", "url": logo},
        },
    }
    if item.image:
        data["image"] = [item.image]
    return data


def to_script_json(data: dict) -> str:
    """Serialise ``data`` for an HTML ``<script type="application/ld+json">`` element."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
