"""The output policy: what no built file may contain, checked over a whole output folder.

HTML: no inline script but JSON-LD data blocks, no ``<style>``, ``style=`` or ``on*=``, no
``javascript:``/``data:``/``vbscript:`` link, no ``http:`` subresource, every subresource on the
site's own origin, no frames, objects or embeds. Feeds and JSON: the HTML they carry (RSS
descriptions, Atom content, JSON ``content_html``/``body``) obeys the same rules.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

from lxml import etree

DATA_SCRIPT_TYPES = {"application/ld+json", "application/json", "importmap"}
BAD_SCHEMES = ("javascript:", "data:", "vbscript:")
FORBIDDEN_TAGS = {"style", "iframe", "frame", "object", "embed", "applet", "base", "frameset"}
SUBRESOURCE_ATTRS = {
    ("script", "src"),
    ("img", "src"),
    ("img", "srcset"),
    ("source", "src"),
    ("source", "srcset"),
    ("video", "src"),
    ("video", "poster"),
    ("audio", "src"),
    ("track", "src"),
    ("input", "src"),
}
LINK_SUBRESOURCE_RELS = {
    "stylesheet",
    "icon",
    "preload",
    "modulepreload",
    "prefetch",
    "manifest",
    "apple-touch-icon",
    "mask-icon",
}
HTML_JSON_KEYS = {"content", "content_html", "body", "html", "body_html"}
HTML_XML_TAGS = {"description", "content", "summary", "encoded"}
ATOM = "http://www.w3.org/2005/Atom"


def _carries_html(element) -> bool:
    """Return True for a feed element readers render as HTML (RSS description, Atom type=html)."""
    if not isinstance(element.tag, str) or not element.text:
        return False
    name = etree.QName(element)
    if name.localname not in HTML_XML_TAGS:
        return False
    if name.namespace == ATOM:  # Atom text constructs are plain text unless type says otherwise
        return element.get("type") in ("html", "xhtml")
    return True


@dataclass(frozen=True, order=True)
class Violation:
    """One breach of the policy, where it is and what it is."""

    path: str
    rule: str
    detail: str

    def __str__(self) -> str:
        return f"{self.path}: [{self.rule}] {self.detail}"


class _Checker(HTMLParser):
    def __init__(self, path: str, origin: str) -> None:
        super().__init__(convert_charrefs=True)
        self.path, self.origin, self.found = path, origin, []
        self._in_script = None

    def _flag(self, rule: str, detail: str) -> None:
        self.found.append(Violation(self.path, rule, detail[:160]))

    def handle_starttag(self, tag, attrs):  # noqa: C901, PLR0912 (one branch per rule)
        values = dict(attrs)
        if tag in FORBIDDEN_TAGS:
            self._flag("forbidden-tag", f"<{tag}>")
        if tag == "script" and not values.get("src"):
            kind = (values.get("type") or "").lower()
            if kind not in DATA_SCRIPT_TYPES:
                self._flag("inline-script", f"<script type={kind or 'js'}>")
        if tag == "meta" and (values.get("http-equiv") or "").lower() == "refresh":
            self._flag("meta-refresh", "<meta http-equiv=refresh>")
        for name, raw in attrs:
            value = (raw or "").strip()
            if name == "style":
                self._flag("style-attribute", f"<{tag} style=…>")
            elif name.startswith("on"):
                self._flag("event-handler", f"<{tag} {name}=…>")
            elif name in ("href", "action", "formaction", "xlink:href") and value.lower().replace(
                "\t", ""
            ).replace("\n", "").startswith(BAD_SCHEMES):
                self._flag("bad-url-scheme", f"<{tag} {name}={value}>")
            if (tag, name) in SUBRESOURCE_ATTRS or (
                tag == "link"
                and name == "href"
                and LINK_SUBRESOURCE_RELS & set((values.get("rel") or "").lower().split())
            ):
                self._subresource(tag, name, value)

    handle_startendtag = handle_starttag

    def _subresource(self, tag: str, name: str, value: str) -> None:
        urls = [p.strip().split(" ")[0] for p in value.split(",")] if name == "srcset" else [value]
        for url in filter(None, urls):
            if url.lower().startswith("http:"):
                self._flag("http-subresource", f"<{tag} {name}={url}>")
            elif url.lower().startswith(BAD_SCHEMES) and not url.startswith("data:image/"):
                self._flag("bad-url-scheme", f"<{tag} {name}={url}>")
            elif urlsplit(url).netloc and not url.startswith(self.origin + "/"):
                self._flag("third-party-subresource", f"<{tag} {name}={url}>")


def check_html(html: str, path: str, origin: str) -> list[Violation]:
    """Every breach of the policy in one HTML document (or fragment)."""
    checker = _Checker(path, origin.rstrip("/"))
    checker.feed(html)
    checker.close()
    return checker.found


def _json_html(value, key: str = ""):
    if isinstance(value, dict):
        for name, item in value.items():
            yield from _json_html(item, name)
    elif isinstance(value, list):
        for item in value:
            yield from _json_html(item, key)
    elif isinstance(value, str) and key in HTML_JSON_KEYS:
        yield value


def check_file(path: Path, relative: str, origin: str) -> list[Violation]:
    """Return the breaches in one output file: HTML, or the HTML inside a feed or JSON file."""
    suffix = path.suffix.lower()
    if suffix == ".html":
        return check_html(path.read_text(encoding="utf-8"), relative, origin)
    if suffix == ".json":
        data = json.loads(path.read_bytes())
        return [v for html in _json_html(data) for v in check_html(html, relative, origin)]
    if suffix == ".xml":
        root = etree.fromstring(path.read_bytes(), etree.XMLParser(resolve_entities=False))
        fragments = [el.text for el in root.iter() if _carries_html(el)]
        return [v for html in fragments for v in check_html(html, relative, origin)]
    return []


def check_output(output: Path, origin: str) -> list[Violation]:
    """Every breach of the policy in a built output folder, sorted."""
    found: list[Violation] = []
    for path in sorted(output.rglob("*")):
        if path.is_file():
            found.extend(check_file(path, path.relative_to(output).as_posix(), origin))
    return sorted(found)
