"""Fingerprinted asset names and Subresource Integrity for the theme's own CSS, JS and fonts.

``portal.css`` becomes ``portal.3f9a1c0b2d.css`` (the first ten hex digits of its sha256), and
``<link rel="stylesheet">`` / ``<script src>`` tags carry an ``integrity="sha384-…"`` attribute.
A fingerprinted file never changes, so nginx may cache it for a year (``immutable``) and a deploy
can keep old ones for pages of the previous release.

The names and digests depend only on the theme's static files (a stylesheet's on its bytes once
its ``url()``s point at the fingerprinted fonts and images), so they are known before any page is
rendered: ``AssetMap.of_theme`` reads them from the theme's folders as Pelican's static generator
will copy them, the templates write the fingerprinted URLs and ``integrity`` attributes through
the map, and no page is read or rewritten afterwards. ``fingerprint_tree`` and ``rewrite_html``
do the same for files already in an output folder and for a page rendered without the map (the
tests use them to check that nothing is left to rewrite in a built site).
"""

from __future__ import annotations

import base64
import fnmatch
import functools
import hashlib
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from portal.incremental import identity
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


class AssetError(LookupError):
    """A template named a file that is not one of the theme's assets."""


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


def is_asset(name: str) -> bool:
    """Whether a file of this name is fingerprinted: an asset's suffix, not already fingerprinted."""
    return name.lower().endswith(ASSET_SUFFIXES) and not FINGERPRINTED.search(name)


@dataclass(frozen=True)
class AssetMap:
    """Assets by their output name, and the bytes each fingerprinted name holds."""

    assets: dict[str, Asset]
    files: dict[str, bytes]  # fingerprinted name → bytes (a stylesheet's with its url()s rewritten)

    @classmethod
    def of_files(cls, files: dict[str, bytes]) -> AssetMap:
        """Fingerprint ``files`` (bytes by output name, such as ``theme/css/portal.css``).

        CSS goes last, after its ``url()`` references are rewritten to fingerprinted fonts and images.
        """
        assets: dict[str, Asset] = {}
        made: dict[str, bytes] = {}
        for relative in sorted(files, key=lambda name: (name.endswith(".css"), PurePosixPath(name))):
            data = files[relative]
            if relative.endswith(".css"):
                data = rewrite_css(data.decode("utf-8"), relative, assets).encode("utf-8")
            name = fingerprint_name(relative, data)
            made[name] = data
            assets[relative] = Asset(relative, name, integrity(data))
        return cls(assets, made)

    def fingerprinted(self, name: str) -> str:
        """Return the fingerprinted name of ``name`` (the templates' ``fingerprinted`` filter)."""
        return self._asset(name).fingerprinted

    def integrity(self, name: str) -> str:
        """Return the SRI digest of ``name``'s fingerprinted file (the templates' ``integrity`` filter)."""
        return self._asset(name).integrity

    def write(self, output: str | os.PathLike) -> None:
        """Write every fingerprinted file into ``output`` (files with the same bytes are left alone)."""
        for name, data in self.files.items():
            write_output(output, name, data)

    def _asset(self, name: str) -> Asset:
        asset = self.assets.get(name)
        if asset is None:
            known = ", ".join(sorted(self.assets)) or "không có"
            raise AssetError(
                f"portal_assets: {name!r} không phải tệp tài nguyên của giao diện "
                f"(CSS, JS, phông chữ, ảnh trong THEME_STATIC_PATHS); các tệp có: {known}"
            )
        return asset


def theme_files(
    theme: str | os.PathLike, paths: Iterable[str], folder: str = "theme", ignores: Iterable[str] = ()
) -> dict[str, Path]:
    """Return the theme's asset files by the output name Pelican's static generator copies them to.

    As ``StaticGenerator._copy_paths`` does with ``THEME_STATIC_PATHS``: each of ``paths`` (relative
    to ``theme``) is a file copied to ``folder/<its name>`` or a folder whose tree is copied into
    ``folder``, a later one replacing an earlier one's file of the same name; a file or folder whose
    name matches one of ``ignores`` (``IGNORE_FILES``) is not copied.
    """
    ignores = list(ignores)

    def ignored(name: str) -> bool:
        return any(fnmatch.fnmatch(name, pattern) for pattern in ignores)

    found: dict[str, Path] = {}
    for entry in paths:
        source = Path(theme, entry)
        if ignored(source.name):
            continue
        if source.is_file():
            found[f"{folder}/{source.name}"] = source
            continue
        for top, folders, names in os.walk(source, followlinks=True):
            folders[:] = sorted(name for name in folders if not ignored(name))
            relative = PurePosixPath(folder, Path(top).relative_to(source).as_posix())
            for name in sorted(names):
                if not ignored(name) and os.path.isfile(os.path.join(top, name)):
                    found[str(relative / name)] = Path(top, name)
    return {name: path for name, path in found.items() if is_asset(PurePosixPath(name).name)}


def theme_assets(
    theme: str | os.PathLike, paths: Iterable[str], folder: str = "theme", ignores: Iterable[str] = ()
) -> AssetMap:
    """Return the map of the theme's assets (see ``theme_files``).

    Every generator of a build asks for it: the files are read and hashed again only when one of
    them changed (one ``stat`` each otherwise), so a long-lived process sees an edited theme.
    """
    sources = theme_files(theme, paths, folder, ignores)
    return _read_map(tuple((name, str(path), identity(os.stat(path))) for name, path in sources.items()))


@functools.lru_cache(maxsize=4)
def _read_map(sources: tuple[tuple[str, str, tuple], ...]) -> AssetMap:
    return AssetMap.of_files({name: Path(path).read_bytes() for name, path, _ in sources})


def fingerprint_tree(output: Path, folder: str = "theme") -> dict[str, Asset]:
    """Write a fingerprinted copy of every asset under ``output/folder``; return them by original."""
    root = output / folder
    if not root.is_dir():
        return {}
    files = {
        path.relative_to(output).as_posix(): path.read_bytes()
        for path in root.rglob("*")
        if path.is_file() and is_asset(path.name)
    }
    assets = AssetMap.of_files(files)
    assets.write(output)
    return assets.assets


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
    """Point a page's ``<link>``/``<script>`` at fingerprinted files; add ``integrity`` to CSS and JS.

    What the templates write through ``AssetMap``, for a page rendered without it; a page that
    already points at the fingerprinted files is returned unchanged.
    """
    prefixes = sorted({f"{siteurl}/", "/"}, key=len, reverse=True)

    def tag(match: re.Match) -> str:
        text = match.group(0)
        found = _ATTR.search(text)
        if not found:
            return text
        url = found.group(2)
        prefix = next((p for p in prefixes if url.startswith(p)), None)
        asset = assets.get(url[len(prefix) :]) if prefix else None
        if asset is None:
            return text
        text = text.replace(found.group(0), f' {found.group(1)}="{prefix}{asset.fingerprinted}"', 1)
        if asset.original.endswith((".css", ".js", ".mjs")) and "integrity=" not in text:
            end = -2 if text.endswith("/>") else -1
            text = f'{text[:end]} integrity="{asset.integrity}"{text[end:]}'
        return text

    return _TAG.sub(tag, html)
