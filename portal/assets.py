"""Fingerprinted asset names and Subresource Integrity for the theme's own CSS, JS and fonts.

``portal.css`` becomes ``portal.3f9a1c0b2d.css`` (the first ten hex digits of its sha256), every
page's reference is rewritten, and ``<link rel="stylesheet">`` / ``<script src>`` tags get an
``integrity="sha384-…"`` attribute. A fingerprinted file never changes, so nginx may cache it for a
year (``immutable``) and a deploy can keep old ones for pages of the previous release.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from portal.output import write_output

FINGERPRINTED = re.compile(r"\.[0-9a-f]{10}\.[A-Za-z0-9]+$")
ASSET_SUFFIXES = (
    ".css",
    ".js",
    ".mjs",
    ".woff2",
    ".woff",
    ".ttf",
    ".otf",
    ".svg",
    ".png",
    ".jpg",
    ".jpeg",
    ".webp",
    ".avif",
    ".ico",
    ".gif",
)
_CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)""")
_TAG = re.compile(r"<(link|script)\b[^>]*>", re.IGNORECASE)
_ATTR = re.compile(r'\s(href|src)="([^"]*)"')


@dataclass(frozen=True)
class Asset:
    """One fingerprinted file: where it came from, where it is now, and its SRI digest."""

    original: str
    fingerprinted: str
    integrity: str


def fingerprint_name(relative: str, data: bytes) -> str:
    """``theme/css/portal.css`` → ``theme/css/portal.<10 hex>.css``."""
    path = PurePosixPath(relative)
    digest = hashlib.sha256(data).hexdigest()[:10]
    return str(path.with_name(f"{path.stem}.{digest}{path.suffix}"))


def integrity(data: bytes) -> str:
    """Return the SRI value of ``data`` (sha384)."""
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode("ascii")


def fingerprint_tree(output: Path, folder: str = "theme") -> dict[str, Asset]:
    """Write a fingerprinted copy of every asset under ``output/folder``; return them by original.

    CSS goes last, after its ``url()`` references are rewritten to fingerprinted fonts and images.
    """
    root = output / folder
    if not root.is_dir():
        return {}
    files = sorted(
        p
        for p in root.rglob("*")
        if p.is_file() and p.suffix.lower() in ASSET_SUFFIXES and not FINGERPRINTED.search(p.name)
    )
    assets: dict[str, Asset] = {}
    for path in sorted(files, key=lambda p: p.suffix == ".css"):
        relative = path.relative_to(output).as_posix()
        data = path.read_bytes()
        if path.suffix == ".css":
            data = rewrite_css(data.decode("utf-8"), relative, assets).encode("utf-8")
        name = fingerprint_name(relative, data)
        write_output(output, name, data)
        assets[relative] = Asset(relative, name, integrity(data))
    return assets


def rewrite_css(css: str, relative: str, assets: dict[str, Asset]) -> str:
    """Point ``url()`` references of a stylesheet at the fingerprinted files."""
    here = PurePosixPath(relative).parent

    def replace(match: re.Match) -> str:
        quote, url = match.group(1), match.group(2)
        if url.startswith(("data:", "http:", "https:", "//", "#")):
            return match.group(0)
        path, _, rest = url.partition("?")
        target = _normalise(path.lstrip("/") if path.startswith("/") else str(here / path))
        asset = assets.get(target)
        if asset is None:
            return match.group(0)
        new = PurePosixPath(asset.fingerprinted).name
        swapped = str(PurePosixPath(path).with_name(new))
        return f"url({quote}{swapped}{'?' + rest if rest else ''}{quote})"

    return _CSS_URL.sub(replace, css)


def _normalise(path: str) -> str:
    parts: list[str] = []
    for part in PurePosixPath(path).parts:
        if part == "..":
            if parts:
                parts.pop()
        elif part != ".":
            parts.append(part)
    return "/".join(parts)


def rewrite_html(html: str, siteurl: str, assets: dict[str, Asset]) -> str:
    """Point ``<link>``/``<script>`` at fingerprinted files; add ``integrity`` to CSS and JS."""
    prefixes = {f"{siteurl}/", "/"}

    def tag(match: re.Match) -> str:
        text = match.group(0)
        found = _ATTR.search(text)
        if not found:
            return text
        url = found.group(2)
        prefix = next((p for p in sorted(prefixes, key=len, reverse=True) if url.startswith(p)), None)
        asset = assets.get(url[len(prefix) :]) if prefix else None
        if asset is None:
            return text
        text = text.replace(found.group(0), f' {found.group(1)}="{prefix}{asset.fingerprinted}"', 1)
        if asset.original.endswith((".css", ".js", ".mjs")) and "integrity=" not in text:
            end = -2 if text.endswith("/>") else -1
            text = f'{text[:end]} integrity="{asset.integrity}"{text[end:]}'
        return text

    return _TAG.sub(tag, html)
