"""Published articles as plain records for the headless outputs (feeds, API, sitemaps, redirects).

Pelican-free: ``from_article`` reads a Pelican ``Article`` by duck typing, so the plugins share one
definition of a stable id, absolute URLs, ``+07:00`` dates, plain text and sanitised HTML.
"""

from __future__ import annotations

import functools
import hashlib
import html
import os
import pickle
import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import nh3

from .buildcache import BuildCache
from .text import local, nfc

DEFAULT_ID_AUTHORITY = "thanhtra.gov.vn"
DEFAULT_SITEURL = "http://127.0.0.1:8000"  # development builds have an empty SITEURL

# Characters XML 1.0 forbids (lxml raises on them) and the C1 controls that never belong in text.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
_SPACES = re.compile(r"\s+")
_ROOT_RELATIVE = re.compile(r'(\s(?:href|src)=")/(?!/)')
MIME_BY_FORMAT = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif"}
MIME_BY_SUFFIX = {
    ".pdf": "application/pdf",
    ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xls": "application/vnd.ms-excel",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
    ".svg": "image/svg+xml",
}


@dataclass(frozen=True)
class Site:
    """What every headless output needs to know about the site."""

    url: str  # absolute, no trailing slash
    name: str
    description: str
    content_root: str
    id_authority: str = DEFAULT_ID_AUTHORITY
    language: str = "vi"

    def absolute(self, relative: str) -> str:
        """Return the absolute URL of an output path (``thanh-tra/x/`` or ``/feed.json``)."""
        return f"{self.url}/{relative.lstrip('/')}"

    @property
    def path_prefix(self) -> str:
        """Return the path part of the site URL (``""`` at the domain root)."""
        return urlsplit(self.url).path.rstrip("/")


@dataclass(frozen=True)
class Picture:
    """The featured image of an article, as served: portal_images' largest JPEG, or the original."""

    url: str
    mime: str
    length: int
    width: int
    height: int
    alt: str
    caption: str
    credit: str
    variants: tuple = ()


@dataclass(frozen=True)
class Attachment:
    """A downloadable file of an article (PDF, DOCX, XLSX)."""

    url: str
    mime: str
    size: int
    name: str


@dataclass(frozen=True)
class Entry:
    """One published article, ready for every headless output."""

    id: str
    slug: str
    url: str
    title: str
    summary: str
    section_slug: str
    section_name: str
    section_url: str
    date: datetime
    modified: datetime
    body: str  # sanitised, absolute URLs; read it as ``body_html``
    source_path: str
    tags: tuple = ()
    authors: tuple = ()
    image: Picture | None = None
    attachments: tuple = ()
    legacy_url: str = ""
    doc: dict = field(default_factory=dict)
    body_key: bytes | None = None  # set: ``body`` is left out and read from ENTRY_CACHE on demand

    @property
    def body_html(self) -> str:
        """Return the body: held, or read from the record cache (where the whole record is kept)."""
        if self.body_key is None:
            return self.body
        return ENTRY_CACHE.body(self.body_key)

    @property
    def updated(self) -> datetime:
        """Return the last change: ``Modified`` when given, else the publication date."""
        return max(self.date, self.modified)


def clean_text(value) -> str:
    """Return ``value`` as NFC text without XML-illegal control characters."""
    return _CONTROL.sub("", nfc(str(value or "")))


def plain(value) -> str:
    """Return text with any HTML removed and entities decoded, on one line.

    Repeated until stable, so an escaped tag (``&lt;b&gt;``) cannot come back as markup.
    """
    text = clean_text(value)
    for _ in range(3):
        stripped = html.unescape(nh3.clean(text, tags=set()))
        if stripped == text:
            break
        text = stripped
    return _SPACES.sub(" ", text).strip()


def sanitise(body: str, site: Site) -> str:
    """Return the body as sanitised HTML (nh3) with root-relative links made absolute."""
    cleaned = nh3.clean(clean_text(body), link_rel="noopener noreferrer")
    return _ROOT_RELATIVE.sub(lambda m: f"{m.group(1)}{site.url}/", cleaned)


def iso(moment: datetime) -> str:
    """Return an RFC 3339 date-time in Vietnam's time: ``2026-11-26T14:05:00+07:00``."""
    return local(moment).isoformat(timespec="seconds")


def tag_uri(authority: str, date: datetime, source_path: str) -> str:
    """Return an RFC 4151 tag URI from the first publication day and the source file.

    Neither the title nor the slug (the URL) is part of it, so editing them keeps the id;
    renaming or moving the source file gives a new id (change the URL with ``Slug:`` instead).
    """
    stem = os.path.splitext(source_path.replace(os.sep, "/"))[0]
    return f"tag:{authority},{local(date):%Y-%m-%d}:{stem}"


def newest_first(entries):
    """Return entries newest first, ties broken by slug, so every output has one stable order."""
    return sorted(entries, key=lambda e: (-e.date.timestamp(), e.slug))


@functools.cache
def _probe_image(path: str, mtime_ns: int) -> tuple[str, int, int] | None:
    """Return ``(mime, width, height)`` of an image file, reading only its header."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            return MIME_BY_FORMAT.get(image.format, ""), image.width, image.height
    except (OSError, UnidentifiedImageError):
        return None


def _file(site: Site, relative: str) -> Path | None:
    path = Path(site.content_root, relative.lstrip("/"))
    return path if path.is_file() else None


def picture(article, site: Site) -> Picture | None:
    """Return the featured image of ``article``, or ``None`` when it has none or it is unreadable.

    With portal_images, that is the published, metadata-free JPEG it made (``portal_image``);
    without it, the original file. Problems with the file itself are portal_images' findings.
    """
    published = getattr(article, "portal_image", None)
    if published:
        main = published["enclosure"]
        return Picture(
            url=site.absolute(main["url"]),
            mime=main["type"],
            length=main["length"],
            width=main["width"],
            height=main["height"],
            alt=plain(published.get("alt") or ""),
            caption=plain(published.get("caption") or ""),
            credit=plain(published.get("credit") or ""),
            variants=tuple(
                {key: v[key] for key in ("url", "width", "height", "type")} | {"url": site.absolute(v["url"])}
                for v in published["variants"]
            ),
        )
    relative = clean_text(getattr(article, "image", "")).strip()
    path = _file(site, relative) if relative else None
    probed = _probe_image(str(path), path.stat().st_mtime_ns) if path else None
    if not probed or not probed[0]:
        return None
    mime, width, height = probed
    return Picture(
        url=site.absolute(relative),
        mime=mime,
        length=path.stat().st_size,
        width=width,
        height=height,
        alt=plain(getattr(article, "image_alt", "")),
        caption=plain(getattr(article, "image_caption", "")),
        credit=plain(getattr(article, "image_credit", "")),
    )


def attachments(article, site: Site) -> tuple[Attachment, ...]:
    """Return the article's attachments that exist, with their size and MIME type.

    With portal_images these are the files it checked by their bytes (``portal_attachments``).
    """
    checked = getattr(article, "portal_attachments", None)
    if checked is not None:
        return tuple(
            Attachment(site.absolute(f["url"]), f["mime"], f["length"], f["name"]) for f in checked
        )
    found = []
    for relative in getattr(article, "attachments", None) or ():
        path = _file(site, clean_text(relative).strip())
        if path is not None:
            mime = MIME_BY_SUFFIX.get(path.suffix.lower(), "application/octet-stream")
            found.append(Attachment(site.absolute(relative), mime, path.stat().st_size, path.name))
    return tuple(found)


def _document(article) -> dict:
    """Return a document's (văn bản) fields, as text, when the article has them."""
    fields = {}
    for key in ("doc_number", "doc_type", "issuer", "signed", "effective"):
        value = getattr(article, key, None)
        if value:
            fields[key] = value.isoformat() if hasattr(value, "isoformat") else plain(value)
    return fields


def source_of(article, site: Site) -> str:
    """Return the article's source path relative to the content folder, with ``/``."""
    relative = os.path.relpath(article.source_path, site.content_root)
    return relative.replace(os.sep, "/")


def from_article(article, site: Site) -> Entry:
    """Build the record of one Pelican article (published; the caller filters the lists)."""
    date = local(article.date)
    modified = local(getattr(article, "modified", None) or article.date)
    section = article.category
    return Entry(
        id=tag_uri(site.id_authority, date, source_of(article, site)),
        slug=article.slug,
        url=site.absolute(article.url),
        title=plain(article.title),
        summary=plain(getattr(article, "summary", "")),
        section_slug=section.slug,
        section_name=plain(section.name),
        section_url=site.absolute(section.url),
        date=date,
        modified=modified,
        body=sanitise(article.content, site),
        source_path=source_of(article, site),
        tags=tuple(
            (t.slug, plain(t.name), site.absolute(t.url)) for t in getattr(article, "tags", None) or ()
        ),
        authors=tuple(plain(a.name) for a in getattr(article, "authors", None) or ()),
        image=picture(article, site),
        attachments=attachments(article, site),
        legacy_url=clean_text(getattr(article, "legacy_url", "")).strip(),
        doc=_document(article),
    )


def site_from_settings(settings) -> Site:
    """Return the ``Site`` of a Pelican settings mapping."""
    return Site(
        url=(settings.get("SITEURL") or DEFAULT_SITEURL).rstrip("/"),
        name=plain(settings.get("SITENAME", "")),
        description=plain(settings.get("SITE_DESCRIPTION", "")),
        content_root=str(settings["PATH"]),
        id_authority=settings.get("PORTAL_ID_AUTHORITY", DEFAULT_ID_AUTHORITY),
        language=settings.get("DEFAULT_LANG", "vi"),
    )


def entry_of(article, site: Site) -> Entry:
    """Return the record of ``article``, built once per build and shared by every output.

    With ``ENTRY_CACHE`` opened (``open_entry_cache``), a record built by an earlier build from
    the same inputs is reused: sanitising every body again was most of a feed or API rebuild.
    """
    cached = getattr(article, "_portal_entry", None)
    if cached is not None and cached[0] == site:
        return cached[1]
    key = ENTRY_CACHE.key(article, site) if ENTRY_CACHE.path else None
    entry = ENTRY_CACHE.get(key)
    if entry is None:
        entry = from_article(article, site)
        ENTRY_CACHE.put(key, entry)
    if key is not None:  # the body (most of a record) stays in the cache file until an output asks
        entry = replace(entry, body="", body_key=key)
    article._portal_entry = (site, entry)
    return entry


def _inputs(article, site: Site) -> tuple:
    """Everything ``from_article`` reads, as plain values (the cache key of its record)."""
    wrappers = [
        (w.slug, w.name, w.url)
        for w in (getattr(article, "category", None), *(getattr(article, "tags", None) or ()))
        if w is not None
    ]
    files = []
    if not getattr(article, "portal_image", None) or getattr(article, "portal_attachments", None) is None:
        # Without portal_images, the original image and attachments are read from disk.
        for relative in (getattr(article, "image", ""), *(getattr(article, "attachments", None) or ())):
            path = _file(site, clean_text(relative).strip()) if relative else None
            files.append((str(relative), path.stat().st_mtime_ns, path.stat().st_size) if path else relative)
    bookkeeping = ("source_hash", "field_lines")
    metadata = sorted((k, repr(v)) for k, v in article.metadata.items() if k not in bookkeeping)
    return (
        ENTRY_FORMAT,
        site,
        article.source_path,
        article.slug,
        article.url,
        article.title,
        article.date.isoformat(),
        repr(getattr(article, "modified", None)),
        str(getattr(article, "summary", "")),
        content_key(article),
        wrappers,
        [a.name for a in getattr(article, "authors", None) or ()],
        repr(getattr(article, "portal_image", None)),
        repr(getattr(article, "portal_attachments", None)),
        files,
        metadata,
    )


def content_key(article):
    """``article.content``, or a digest naming it without reading it (``portal_body_digest``).

    ``portal_perf`` keeps unchanged articles' bodies on disk: reading every one to hash it for
    this key would load them all on every build.
    """
    digest = getattr(article, "portal_body_digest", None)
    return article.content if digest is None else digest


ENTRY_FORMAT = 2  # bump when ``from_article`` changes what it makes of the same inputs


class EntryCache:
    """Records of articles between builds, keyed by a hash of everything they are made from."""

    def __init__(self) -> None:
        self.path: str | None = None
        self.build: int | None = None
        self.kept = BuildCache()

    def open(self, path: str | None, build: object = None) -> None:
        """Use the cache file at ``path`` for the build ``build`` (``None``: no cache).

        Every generator of a build calls this; only the first call of a build loads the file.
        """
        if (path, id(build)) == (self.path, self.build) and build is not None:
            return
        self.kept.close()
        self.path, self.build, self.kept = path, id(build), BuildCache(path)

    def key(self, article, site: Site) -> bytes:
        """Return the hash of a record's inputs."""
        return hashlib.sha256(pickle.dumps(_inputs(article, site), protocol=5)).digest()

    def get(self, key: bytes | None) -> Entry | None:
        """Return the record made from these inputs by this or an earlier build."""
        return None if key is None else self.kept.get(key, None)

    def body(self, key: bytes) -> str:
        """Return the body of the record stored under ``key`` (by this build: it is there)."""
        entry = self.kept.get(key, None)
        if entry is None:
            raise KeyError(f"no record {key.hex()} in {self.path}")
        return entry.body

    def put(self, key: bytes | None, entry: Entry) -> None:
        """Remember a record just made."""
        if key is not None:
            self.kept.put(key, entry)

    def save(self) -> None:
        """Keep this build's records (others are forgotten); nothing is written when unchanged."""
        self.kept.save()


ENTRY_CACHE = EntryCache()


def open_entry_cache(settings, context) -> None:
    """Open the build's record cache in Pelican's cache folder (the headless plugins call this).

    ``context`` (the build's shared context dict) tells builds apart in a long-lived process.
    """
    folder = settings.get("CACHE_PATH")
    ENTRY_CACHE.open(os.path.join(folder, "entries.sqlite") if folder else None, context)


def save_entry_cache(*_args) -> None:
    """Keep the build's records (connected to Pelican's ``finalized`` by the headless plugins)."""
    ENTRY_CACHE.save()
