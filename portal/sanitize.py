"""Sanitising editors' HTML with nh3 (Ammonia): an explicit allowlist, nothing executable survives.

The allowlist keeps what the portal's Markdown produces (heading ids, footnotes, figures, tables,
code classes, images) and drops everything else: script, style, iframe, object, embed, form,
event handlers, ``style=`` and every URL scheme but http, https, mailto, tel and relative links.
External links get ``rel="noopener noreferrer"``.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

import nh3

from .buildcache import MISSING, BuildCache

TAGS = frozenset(
    {
        "a",
        "abbr",
        "b",
        "blockquote",
        "br",
        "caption",
        "cite",
        "code",
        "col",
        "colgroup",
        "dd",
        "del",
        "details",
        "div",
        "dl",
        "dt",
        "em",
        "figcaption",
        "figure",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "i",
        "img",
        "ins",
        "kbd",
        "li",
        "mark",
        "ol",
        "p",
        "picture",
        "pre",
        "q",
        "s",
        "samp",
        "small",
        "source",
        "span",
        "strong",
        "sub",
        "summary",
        "sup",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "time",
        "tr",
        "u",
        "ul",
        "var",
    }
)
_GLOBAL = {"id", "class", "lang", "dir", "title"}
ATTRIBUTES = {
    "*": _GLOBAL,
    "a": {"href", "hreflang", "download"},
    "img": {"src", "alt", "width", "height", "loading", "decoding", "srcset", "sizes"},
    "source": {"srcset", "sizes", "type", "media"},
    "td": {"colspan", "rowspan", "align"},  # align= (not style=) keeps table alignment under CSP
    "th": {"colspan", "rowspan", "scope", "align"},
    "ol": {"start", "reversed"},
    "time": {"datetime"},
    "abbr": {"title"},
    "blockquote": {"cite"},
    "q": {"cite"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
REL_EXTERNAL = "noopener noreferrer"
_ANCHOR = re.compile(r'<a\s[^>]*?href="([^"]*)"[^>]*>')
# Control characters other than tab, newline and carriage return have no place in a field.
_CONTROL = {c: None for c in range(32) if c not in (9, 10, 13)} | {127: None}


def own_host(settings) -> str:
    """Return the host of a site's own links (``SITEURL``'s): the ``site_host`` bodies are cleaned for."""
    return urlsplit(settings.get("SITEURL", "")).hostname or ""


def sanitize_html(html: str, site_host: str = "") -> str:
    """Return ``html`` with only the allowlisted markup; external links get ``rel``."""
    cleaned = nh3.clean(
        html,
        tags=set(TAGS),
        attributes={tag: set(names) for tag, names in ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel=None,
        strip_comments=True,
        attribute_filter=partial(_same_origin_media, site_host),
    )
    return _mark_external(cleaned, site_host)


_MEDIA_ATTRIBUTES = {("img", "src"), ("img", "srcset"), ("source", "srcset")}


def _same_origin_media(site_host: str, tag: str, attribute: str, value: str) -> str | None:
    """Drop an image source on another origin: no page loads anything from elsewhere."""
    if (tag, attribute) not in _MEDIA_ATTRIBUTES:
        return value
    candidates = [value]
    if attribute == "srcset":
        candidates = [part.strip().split(" ")[0] for part in value.split(",")]
    if any(is_external(url, site_host) or url.startswith("http:") for url in candidates):
        return None
    return value


def is_external(href: str, site_host: str = "") -> bool:
    """Return True for an absolute http(s) or protocol-relative link to a host other than the site's."""
    parts = urlsplit(href)
    if parts.scheme not in ("http", "https", "") or not parts.netloc:
        return False
    return parts.hostname != (site_host or None)


def _mark_external(html: str, site_host: str) -> str:
    def add_rel(match: re.Match) -> str:
        tag = match.group(0)
        if not is_external(_unescape_attr(match.group(1)), site_host):
            return tag
        return f'{tag[:-1]} rel="{REL_EXTERNAL}">'

    return _ANCHOR.sub(add_rel, html)


def _unescape_attr(value: str) -> str:
    return value.replace("&amp;", "&").replace("&quot;", '"').replace("&#39;", "'")


def plain_text(value: str) -> str:
    """Return a metadata string as plain text: NFC, no control characters, never trusted markup.

    ``str(value)`` drops a ``markupsafe.Markup`` type, so Jinja's autoescape always applies.
    The text itself is kept: escaping, not deleting, is what shows ``<b>`` to the reader.
    """
    return unicodedata.normalize("NFC", str.__str__(value)).translate(_CONTROL)


class SanitizeCache:
    """Sanitised bodies between builds, keyed by the body, the site's host and this module's code.

    nh3 over every body was a fixed cost of each rebuild. A body the allowlist leaves unchanged
    (most of them) costs only its key; for the others the cleaned HTML is kept. A body cleaned
    ahead in another process (the read-ahead workers of ``portal_content``) is ``offer``-ed and
    taken instead of cleaning it again.
    """

    def __init__(self) -> None:
        self.kept = BuildCache()
        self._offered: dict[tuple[str, str], str] = {}  # (host, html) → sanitize_html(html, host)
        self._salt = hashlib.sha256(Path(__file__).read_bytes() + nh3.__version__.encode()).digest()

    def open(self, path: str | None) -> None:
        """Start a build with the cache file at ``path`` (``None``: no cache)."""
        self.kept.close()
        self.kept = BuildCache(path)
        self._offered.clear()

    def offer(self, html: str, site_host: str, cleaned: str) -> None:
        """Give ``sanitize_html(html, site_host)``, made elsewhere, to the next ``clean`` of ``html``."""
        self._offered[(site_host, html)] = cleaned

    def clean(self, html: str, site_host: str = "") -> str:
        """Return ``sanitize_html(html, site_host)``, from the cache when an earlier build made it."""
        return self.clean_keyed(html, site_host)[0]

    def clean_keyed(self, html: str, site_host: str = "") -> tuple[str, bytes]:
        """Return what ``clean`` returns and the key the body is kept under (for ``keep``)."""
        data = self._salt + site_host.encode() + b"\0" + html.encode("utf-8", "surrogatepass")
        key = hashlib.sha256(data).digest()
        kept = self.kept.get(key)
        offered = self._offered.pop((site_host, html), None)
        if kept is MISSING:
            cleaned = sanitize_html(html, site_host) if offered is None else offered
            kept = None if cleaned == html else cleaned
            self.kept.put(key, kept)
        return (html if kept is None else kept), key

    def keep(self, keys) -> None:
        """Count the bodies of ``keys`` as used by this build, without cleaning them again.

        For articles another cache gives back whole (``portal_perf``'s article cache): their
        bodies are not cleaned by this build, but are still the site's.
        """
        self.kept.keep(keys)

    def save(self) -> None:
        """Keep this build's bodies (others are forgotten); nothing is written when unchanged."""
        self._offered.clear()
        self.kept.save()


SANITIZED = SanitizeCache()
