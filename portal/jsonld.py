"""schema.org ``NewsArticle`` data for an article page (a JSON-LD data block, never script).

The JSON is made safe to embed in HTML by escaping ``<``, ``>`` and ``&`` as ``\\u`` sequences,
so no metadata value can close the ``<script type="application/ld+json">`` element.
"""

from __future__ import annotations

import json
from datetime import datetime


def news_article(
    *,
    url: str,
    headline: str,
    description: str,
    published: datetime,
    modified: datetime | None,
    authors: list[str],
    section: str,
    publisher: str,
    logo: str,
    image: str | None = None,
    language: str = "vi",
) -> dict:
    """Return the ``NewsArticle`` object Google and aggregators read."""
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "url": url,
        "headline": headline[:110],
        "description": description,
        "datePublished": published.isoformat(),
        "dateModified": (modified or published).isoformat(),
        "author": [{"@type": "Person", "name": name} for name in authors],
        "articleSection": section,
        "inLanguage": language,
        "publisher": {
            "@type": "GovernmentOrganization",
            "name": publisher,
            "logo": {"@type": "ImageObject", "url": logo},
        },
    }
    if image:
        data["image"] = [image]
    return data


def to_script_json(data: dict) -> str:
    """Serialise ``data`` for an HTML ``<script type="application/ld+json">`` element."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
