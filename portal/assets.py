"""Fingerprinted asset names and Subresource Integrity for the theme's own CSS, JS and fonts.

``portal.css`` becomes ``portal.3f9a1c0b2d.css`` (the first ten hex digits of its sha256), every
page's reference is rewritten, and ``<link rel="stylesheet">`` / ``<script src>`` tags get an
``integrity="sha384-…"`` attribute. A fingerprinted file never changes, so nginx may cache it for a
year (``immutable``) and a deploy can keep old ones for pages of the previous release.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from portal.incremental import OUTPUTS, Key, identity, read_record, replace_file, scan
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


def rewrite_html(
    html: str, siteurl: str, assets: dict[str, Asset], memo: dict[str, str] | None = None
) -> str:
    """Point ``<link>``/``<script>`` at fingerprinted files; add ``integrity`` to CSS and JS.

    ``memo`` (empty at first, then kept for the same ``siteurl`` and ``assets``) remembers the
    rewriting of each tag text: the pages of a site repeat the same few dozen tags (the first
    ``MEMO_LIMIT`` different ones are kept; a page's own links, such as its canonical URL, would
    fill it for nothing).
    """
    if memo is None:
        return _TAG.sub(_tag_rewriter(siteurl, assets), html)
    rewrite = _tag_rewriter(siteurl, assets)

    def tag(match: re.Match) -> str:
        text = match.group(0)
        found = memo.get(text)
        if found is None:
            found = rewrite(match)
            if len(memo) < MEMO_LIMIT:
                memo[text] = found
        return found

    return _TAG.sub(tag, html)


MEMO_LIMIT = 4096


def _tag_rewriter(siteurl: str, assets: dict[str, Asset]):
    """Return the function that rewrites one ``<link>``/``<script>`` tag match."""
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

    return tag


def asset_map_digest(siteurl: str, assets: dict[str, Asset]) -> str:
    """Return a digest of everything a page's rewriting depends on: the assets, the site URL, this code."""
    digest = hashlib.sha256(Path(__file__).read_bytes())
    rows = sorted((a.original, a.fingerprinted, a.integrity) for a in assets.values())
    digest.update(json.dumps([siteurl, rows]).encode())
    return digest.hexdigest()


class PageCache:
    """The pages the last build left pointing at its assets, by identity, and the assets they point at.

    Every writer replaces a page by a rename (a new inode), and after the build the release gives
    it the build's epoch as mtime. A page with the device, inode and size recorded here and with the
    mtime recorded or that epoch is the page this step left, so while the assets are the same it
    needs no reading. Kept in Pelican's cache folder; a missing or unreadable cache only costs the
    reading of every page.
    """

    FORMAT = 1

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.assets: str | None = None
        self.epoch: int | None = None
        self.pages: dict[str, list] = {}
        data = read_record(path, self.FORMAT)
        if data is None:
            return
        if isinstance(data.get("assets"), str) and isinstance(data.get("pages"), dict):
            self.assets, self.pages = data["assets"], data["pages"]
            self.epoch = data.get("epoch") if isinstance(data.get("epoch"), int) else None

    def current(self, relative: str, key: Key) -> bool:
        """Whether ``relative`` is still the page recorded here (its mtime may be the epoch's)."""
        entry = self.pages.get(relative)
        if not isinstance(entry, list) or len(entry) != 4 or entry[:3] != list(key[:3]):
            return False
        return key[3] in (entry[3], self.epoch)

    def save(self, assets: str, epoch: int | None, pages: dict[str, Key]) -> None:
        """Remember this build's pages and assets; an unchanged record is not written again."""
        if self.path is None:
            return
        entries = {relative: list(key) for relative, key in pages.items()}
        if (assets, epoch, entries) == (self.assets, self.epoch, self.pages) and self.path.is_file():
            return
        self.assets, self.epoch, self.pages = assets, epoch, entries
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(self.path.name + ".tmp")
        data = {"format": self.FORMAT, "assets": assets, "epoch": epoch, "pages": entries}
        temporary.write_text(json.dumps(data, separators=(",", ":")), encoding="utf-8")
        os.replace(temporary, self.path)


def rewrite_pages(  # noqa: PLR0913 (``pages`` is keyword-only: what the build knows, optional)
    output: Path,
    siteurl: str,
    assets: dict[str, Asset],
    cache: Path | None = None,
    epoch: int | None = None,
    *,
    pages: list[str] | None = None,
) -> int:
    """Point every page of ``output`` at the fingerprinted assets; return how many pages were read.

    With ``cache`` (a file), a page this step already rewrote for the same assets, untouched since,
    is not read again; ``epoch`` is the mtime the release gives every file after this build.
    ``pages`` (relative names) are the HTML files the build made, when it knows them: only they are
    looked at, one ``stat`` each, instead of a walk of the whole output (90,000 files at 10,000
    articles, a tenth of them pages).
    """
    known = PageCache(cache)
    digest = asset_map_digest(siteurl, assets)
    same = known.assets == digest
    # Pages are rewritten as bytes read one Latin-1 character each: the ASCII markup the rewriting
    # looks for is found as it is and the rest is copied byte for byte, without decoding and
    # encoding the Vietnamese text (twice as fast); names are mapped the same way.
    site, mapped = _latin1(siteurl), {_latin1(name): _latin1_asset(asset) for name, asset in assets.items()}
    found = scan(output, suffix=".html") if pages is None else _identities(output, pages)
    read, memo, prefix = 0, {}, os.path.join(output, "")
    for relative, key in sorted(found.items()):
        if same and known.current(relative, key):
            found[relative] = tuple(known.pages[relative])  # as recorded: an unchanged cache is not written
            continue
        read += 1
        path = prefix + relative
        with open(path, "rb") as handle:
            html = handle.read()
        rewritten = rewrite_html(html.decode("latin-1"), site, mapped, memo).encode("latin-1")
        if rewritten != html:
            found[relative] = _replace(output, relative, path, rewritten)
    known.save(digest, None if epoch is None else epoch * 1_000_000_000, found)
    return read


def _replace(output: Path, relative: str, path: str, data: bytes) -> Key:
    """Replace the page at ``path`` (a file of the output just read) by ``data``; return its identity.

    A temporary file and a rename, as every writer of the build (a hard-linked stage keeps the
    live page), without ``write_output``'s checks: the page is in the output and its folder exists,
    and its bytes differ. A page that is a symlink goes through ``write_output``.
    """
    if os.path.islink(path):
        return identity(write_output(output, relative, data).stat())
    OUTPUTS.record(path)
    return identity(replace_file(path, data))


def _identities(output: Path, names: list[str]) -> dict[str, Key]:
    """Return the identity of each of ``names`` (relative to ``output``) that is a file."""
    found, prefix = {}, os.path.join(output, "")
    for name in names:
        try:
            found[name] = identity(os.stat(prefix + name))
        except FileNotFoundError:
            continue
    return found


def _latin1(text: str) -> str:
    return text.encode("utf-8").decode("latin-1")


def _latin1_asset(asset: Asset) -> Asset:
    return Asset(_latin1(asset.original), _latin1(asset.fingerprinted), asset.integrity)
