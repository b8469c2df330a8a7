"""The ``<picture>`` markup of images, and the rewrite of Markdown ``<img>`` tags into it.

Pure functions (no Pelican): the same markup as ``theme/templates/components/picture/macro.html``
produces for the lead image and the cards, here for images inside article bodies.
"""

from __future__ import annotations

import html
import re

from portal.imaging import ImageSet
from portal.media import content_path

_IMG = re.compile(r"(?P<open><p>\s*)?(?P<tag><img\b[^>]*>)(?P<close>\s*</p>)?")
_ATTRIBUTE = re.compile(r'([a-zA-Z][\w-]*)="([^"]*)"')


def picture(
    found: ImageSet, alt: str, sizes: str, caption: str | None = None, credit: str | None = None
) -> dict:
    """Return what templates, feeds and the API read of one image (URLs relative to the site)."""
    formats = list(dict.fromkeys(v.format for v in found.variants))
    fallback = found.fallback()
    return {
        "src": fallback.url,
        "width": fallback.width,
        "height": fallback.height,
        "alt": alt,
        "caption": caption,
        "credit": credit,
        "sizes": sizes,
        "sources": [
            {"type": found.of(fmt)[0].mime, "variants": [variant_dict(v) for v in found.of(fmt)]}
            for fmt in formats
            if fmt != "jpeg"
        ],
        "fallback": [variant_dict(v) for v in found.of("jpeg")],
        "variants": [variant_dict(v) for v in found.variants],
        "enclosure": variant_dict(fallback),  # what a feed's <enclosure> or the API's main image uses
    }


def variant_dict(variant) -> dict:
    """Return what templates, feeds and the API read of one encoded file."""
    return {
        "url": variant.url,
        "width": variant.width,
        "height": variant.height,
        "type": variant.mime,
        "length": variant.length,
    }


def srcset(variants: list[dict], siteurl: str) -> str:
    """Return ``URL 1600w, URL 960w, …``."""
    return ", ".join(f"{siteurl}/{v['url']} {v['width']}w" for v in variants)


def picture_html(image: dict, siteurl: str, *, lazy: bool = True, css_class: str = "") -> str:
    """Return the ``<picture>`` element of ``image`` (a :func:`picture` dict), escaped."""
    esc, sizes = html.escape, image["sizes"]
    sources = "".join(
        f'<source type="{s["type"]}" srcset="{esc(srcset(s["variants"], siteurl))}" sizes="{esc(sizes)}">'
        for s in image["sources"]
    )
    klass = f' class="{esc(css_class)}"' if css_class else ""
    loading = ' loading="lazy"' if lazy else ""
    return (
        f'<picture>{sources}<img{klass} src="{esc(siteurl)}/{esc(image["src"])}" '
        f'srcset="{esc(srcset(image["fallback"], siteurl))}" sizes="{esc(sizes)}" '
        f'width="{image["width"]}" height="{image["height"]}" alt="{esc(image["alt"] or "")}"'
        f'{loading} decoding="async"></picture>'
    )


def rewrite_body(body: str, sets: dict[str, ImageSet], siteurl: str, sizes: str) -> str:
    """Replace every ``<img>`` of a known image with its ``<picture>``.

    An image alone in its paragraph becomes a ``<figure>``, its Markdown title (``![alt](src
    "title")``) the caption. Images the pipeline refused are left alone (they are findings).
    """

    def replace(match: re.Match) -> str:
        attributes = {k: html.unescape(v) for k, v in _ATTRIBUTE.findall(match["tag"])}
        found = sets.get(content_path(attributes.get("src", "")))
        if found is None:
            return match[0]
        image = picture(found, attributes.get("alt", ""), sizes)
        element = picture_html(image, siteurl, css_class="portal-figure__image")
        if not (match["open"] and match["close"]):
            return f"{match['open'] or ''}{element}{match['close'] or ''}"
        caption = attributes.get("title")
        caption_html = ""
        if caption:
            caption_html = f'<figcaption class="portal-figure__caption">{html.escape(caption)}</figcaption>'

        return f'<figure class="portal-figure">{element}{caption_html}</figure>'

    return _IMG.sub(replace, body)
