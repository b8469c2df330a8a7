"""Published articles as plain records for the headless outputs (feeds, API, sitemaps, redirects).

Pelican-free: ``from_article`` reads a Pelican ``Article`` by duck typing, so the plugins share one
definition of a stable id, absolute URLs, ``+07:00`` dates, plain text and sanitised HTML.
"""

from __future__ import annotations

import functools
import hashlib
import html
import os
import re
from dataclasses import dataclass, field
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
_ROOT_RELATIVE = re.compile(r'(\s(?:href|src)=")/(?!/)')
DOCUMENT_FIELDS = ("doc_number", "doc_type", "issuer", "signed", "effective")  # a văn bản's fields
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
    body: str  # sanitised, absolute URLs
    source_path: str
    tags: tuple = ()
    authors: tuple = ()
    image: Picture | None = None
    attachments: tuple = ()
    legacy_url: str = ""
    doc: dict = field(default_factory=dict)

    @property
    def body_html(self) -> str:
        """Return the sanitised body with absolute URLs."""
        return self.body

    @property
    def updated(self) -> datetime:
        """Return the last change: ``Modified`` when given, else the publication date."""
        return max(self.date, self.modified)


def clean_text(value) -> str:
    """Return ``value`` as NFC text without XML-illegal control characters."""
    return _CONTROL.sub("", nfc(str(value or "")))


def plain(value) -> str:
    r"""Return text with any HTML removed and entities decoded, on one line.

    Repeated until stable, so an escaped tag (``&lt;b&gt;``) cannot come back as markup. Text
    without ``<`` or ``&`` holds neither a tag nor an entity: nh3 would only escape its ``>`` and
    turn ``\r`` into ``\n`` (both undone or folded below), so it is not asked.
    """
    text = clean_text(value)
    if "<" in text or "&" in text:
        for _ in range(3):
            stripped = html.unescape(nh3.clean(text, tags=set()))
            if stripped == text:
                break
            text = stripped
    # str.split() and re's \s both split on str.isspace(): the same as sub(r"\s+", " ").strip().
    return " ".join(text.split())


@functools.lru_cache(maxsize=4096)
def _plain_name(value: str) -> str:
    return plain(value)


def plain_name(value) -> str:
    """Return ``plain(value)`` of a name many articles share (a tag, section or author), memoised."""
    return _plain_name(str(value or ""))


def sanitise(body: str, site: Site) -> str:
    """Return the body as sanitised HTML (nh3) with root-relative links made absolute."""
    cleaned = nh3.clean(clean_text(body), link_rel="noopener noreferrer")
    if 'href="/' not in cleaned and 'src="/' not in cleaned:  # what the pattern needs, found fast
        return cleaned
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
    for key in DOCUMENT_FIELDS:
        value = getattr(article, key, None)
        if value:
            fields[key] = value.isoformat() if hasattr(value, "isoformat") else plain(value)
    return fields


def source_of(article, site: Site) -> str:
    """Return the article's source path relative to the content folder, with ``/``."""
    path, root = article.source_path, site.content_root
    if (
        os.path.isabs(path)
        and path.startswith(root + os.sep)
        and os.path.normpath(path) == path
        and os.path.normpath(root) == root
    ):
        relative = path[len(root) + 1 :]  # what relpath gives, without its two abspath calls
    else:
        relative = os.path.relpath(path, root)
    return relative.replace(os.sep, "/")


def from_article(article, site: Site, urls: dict | None = None) -> Entry:
    """Build the record of one Pelican article (published; the caller filters the lists).

    ``urls`` (optional) keeps the build's taxonomy URLs, formatted once each (``_url_of``).
    """
    date = local(article.date)
    modified = local(getattr(article, "modified", None) or article.date)
    section = article.category
    source = source_of(article, site)
    urls = {} if urls is None else urls
    return Entry(
        id=tag_uri(site.id_authority, date, source),
        slug=article.slug,
        url=site.absolute(article.url),
        title=plain(article.title),
        summary=plain(getattr(article, "summary", "")),
        section_slug=section.slug,
        section_name=plain_name(section.name),
        section_url=site.absolute(section.url),
        date=date,
        modified=modified,
        body=sanitise(article.content, site),
        source_path=source,
        tags=tuple(
            (t.slug, plain_name(t.name), site.absolute(_url_of(t, urls)))
            for t in getattr(article, "tags", None) or ()
        ),
        authors=tuple(plain_name(a.name) for a in getattr(article, "authors", None) or ()),
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


def _url_of(wrapper, urls: dict) -> str:
    """Return a category's or tag's URL, formatted once per build for each distinct one."""
    known = (type(wrapper), wrapper.name, wrapper.slug)
    url = urls.get(known)
    if url is None:
        url = urls[known] = wrapper.url
    return url


def record_key(article, site: Site, salt: bytes, urls: dict, bodies: dict) -> bytes:
    """Return the hash of everything ``from_article`` reads of ``article`` (its record's cache key).

    ``salt`` (``build_salt``) covers the site, the settings and the code. An article whose file
    the reader hashed (``source_hash``) counts by that hash for all it holds of its own file (its
    fields, URL, taxonomy): a function of the file's bytes and path, the settings and the code, as
    the article cache has it. Image facts count as they are; the body counts by its text only when
    it may hold what other files decide (``_body_from_other_files``: a function of the file too,
    kept in ``bodies`` by path and hash, so an unchanged body is not even read). ``urls`` keeps the
    build's taxonomy URLs.
    """
    files = []
    if not getattr(article, "portal_image", None) or getattr(article, "portal_attachments", None) is None:
        # Without portal_images, the original image and attachments are read from disk.
        for relative in (getattr(article, "image", ""), *(getattr(article, "attachments", None) or ())):
            path = _file(site, clean_text(relative).strip()) if relative else None
            files.append((str(relative), path.stat().st_mtime_ns, path.stat().st_size) if path else relative)
    source_hash = (getattr(article, "metadata", None) or {}).get("source_hash")
    digest = hashlib.sha256(salt)
    digest.update(f"{article.source_path}\0{source_hash}\0".encode("utf-8", "surrogatepass"))
    if not source_hash:
        digest.update(repr(_own_inputs(article, urls)).encode("utf-8", "surrogatepass"))
    image, attached = getattr(article, "portal_image", None), getattr(article, "portal_attachments", None)
    if image or attached or attached is None or any(files):  # image facts: most articles have none
        digest.update(repr((image, attached, files)).encode("utf-8", "surrogatepass"))
    if source_hash:
        known = (article.source_path, source_hash)
        if known not in bodies:
            bodies[known] = _body_from_other_files(article)
    if not source_hash or bodies[known]:
        # Its UTF-16 form is a copy of the string, not an encoding pass.
        digest.update(b"\0body\0" + article.content.encode("utf-16-le", "surrogatepass"))
    return digest.digest()


def _own_inputs(article, urls: dict) -> tuple:
    """Return what ``from_article`` reads of an article that holds no hash of its file."""
    category = article.category
    return (
        article.slug,
        article.url,
        article.title,
        article.date.isoformat(),
        repr(getattr(article, "modified", None)),
        str(getattr(article, "summary", "")),
        (category.slug, category.name, _url_of(category, urls)),
        [(t.slug, t.name, _url_of(t, urls)) for t in getattr(article, "tags", None) or ()],
        [a.name for a in getattr(article, "authors", None) or ()],
        [str(getattr(article, name, "")) for name in ("image_alt", "image_caption", "image_credit")],
        str(getattr(article, "legacy_url", "")),
        [repr(getattr(article, key, None)) for key in DOCUMENT_FIELDS],
    )


# Pelican's default INTRASITE_LINK_REGEX: its links ({filename}, |static|…) start with { or |.
INTRASITE_LINK_REGEX = "[{|](?P<what>.*?)[|}]"


def _body_from_other_files(article) -> bool:
    """Tell whether the body may differ while the file does not.

    Pelican's ``content`` is the read body (``_content``) with intrasite links replaced by their
    targets' URLs, and portal_images puts each ``<img>`` it knows into a ``<picture>`` of its
    derivatives (keeping an ``<img>`` in it): a body without a link marker, ``<img`` or
    ``<picture`` is a function of its file (and the settings and code). Whether a body holds
    them does not depend on other files either: the rewrite adds no marker and keeps ``<img``.
    """
    text = getattr(article, "_content", None)
    regex = (getattr(article, "settings", None) or {}).get("INTRASITE_LINK_REGEX", INTRASITE_LINK_REGEX)
    return (
        not isinstance(text, str)
        or hasattr(article, "_get_content")
        or regex != INTRASITE_LINK_REGEX
        or "{" in text
        or "|" in text
        or "<img" in text
        or "<picture" in text
    )


def build_salt(site: Site, settings) -> bytes:
    """Return what every record key starts with: the site, the settings and the code."""
    from importlib.metadata import version

    from .output import code_digest, settings_digest

    parts = (version("pelican"), version("nh3"), repr(site))
    return hashlib.sha256(code_digest() + settings_digest(settings) + repr(parts).encode()).digest()


BODIES = "record-bodies"  # the key (with the salt) of ``Records``' answers about bodies


@dataclass(frozen=True, eq=False)
class Head:
    """What every output needs of every article, made each build without loading its record."""

    key: bytes  # the record's cache key (``record_key``)
    slug: str
    section_slug: str
    date: datetime
    updated: datetime
    article: object  # the Pelican article, to make its record when the cache lacks it
    site: Site

    @property
    def url(self) -> str:
        """Return the absolute URL (formatted by Pelican when first asked: ask only when needed)."""
        return self.site.absolute(self.article.url)


class Records:
    """One build's records of the published articles: a ``Head`` each, whole records on demand.

    Feeds, API and sitemaps share one instance (``records``): each article's key is computed once
    a build, a record is made only when no build made one from the same inputs, and whole records
    (with their bodies) are read from the cache only for what an output writes again. A record
    the cache lacks is made when an output first asks for it (then stored, except the API's:
    ``entries``): a cold build makes each record once, in the batch that uses it, and never reads
    it back (the sitemap's few news records excepted, made again after the API's).
    """

    def __init__(self, articles, site: Site, settings, cache: BuildCache) -> None:
        self.articles, self.site, self.cache = articles, site, cache
        self._salt, self._urls = build_salt(site, settings), {}
        # Whether each body may hold what other files decide, by file (``record_key``): one value.
        bodies_key = (BODIES, self._salt)
        known = cache.get(bodies_key, None)
        known = known if isinstance(known, dict) else {}
        self._bodies = dict(known)
        self.heads = [self._head(article) for article in articles]
        hashed = ((a.source_path, (getattr(a, "metadata", None) or {}).get("source_hash")) for a in articles)
        used = {file: self._bodies[file] for file in hashed if file[1]}
        if used != known:
            cache.replace(bodies_key, used)
        self._by_article = {id(head.article): head for head in self.heads}
        cache.keep(head.key for head in self.heads)

    def _head(self, article) -> Head:
        date = local(article.date)
        modified = local(getattr(article, "modified", None) or article.date)
        return Head(
            key=record_key(article, self.site, self._salt, self._urls, self._bodies),
            slug=article.slug,
            section_slug=article.category.slug,
            date=date,
            updated=max(date, modified),
            article=article,
            site=self.site,
        )

    def head(self, article) -> Head:
        """Return the head of a published article (of this build's list)."""
        return self._by_article[id(article)]

    @functools.cached_property
    def newest_first(self) -> list[Head]:
        """The heads newest first, ties broken by slug (the order of ``newest_first``)."""
        return sorted(self.heads, key=lambda h: (-h.date.timestamp(), h.slug))

    def entries(self, heads, store: bool = True) -> list[Entry]:
        """Return the whole records of ``heads``, in order, read in one query.

        A record the cache lacks (or holds damaged) is made from the article and, unless ``store``
        is false, stored. An output that asks for records no later build reads back (the API's
        documents: a document is made again only when its record's key changed, and the index
        keeps its own summaries) passes ``store=False``: pickling and writing a record with its
        body (most of the store) costs more than making it again on the rare build that needs it.
        """
        heads = list(heads)
        found = self.cache.get_many(head.key for head in heads if head.key in self.cache)
        for head in heads:
            if not isinstance(found.get(head.key), Entry):
                found[head.key] = from_article(head.article, self.site, self._urls)
                if store:
                    self.cache.replace(head.key, found[head.key])
        return [found[head.key] for head in heads]


class EntryCache:
    """Records of articles between builds, keyed by a hash of everything they are made from."""

    def __init__(self) -> None:
        self.path: str | None = None
        self.build: int | None = None
        self.kept = BuildCache()
        self._records: Records | None = None

    def open(self, path: str | None, build: object = None) -> None:
        """Use the cache file at ``path`` for the build ``build`` (``None``: no cache).

        Every generator of a build calls this; only the first call of a build loads the file.
        """
        if (path, id(build)) == (self.path, self.build) and build is not None:
            return
        self.kept.close()
        self.path, self.build, self.kept = path, id(build), BuildCache(path)
        self._records = None

    def inherited(self) -> None:
        """In a forked child: start anew, leaving the parent's connection to the file untouched.

        An SQLite connection must not cross a fork: the child neither uses nor closes the one it
        inherited (closing it could end the parent's write-ahead log); it is kept referenced until
        the child leaves without any cleanup (``portal.forked``).
        """
        _INHERITED.append(self.kept)
        self.path = self.build = None
        self.kept, self._records = BuildCache(), None

    def handed_off(self) -> None:
        """Leave nothing to save: this build's records were made and kept by a child (``inherited``)."""
        self.kept.close()
        self.path = self.build = None
        self.kept, self._records = BuildCache(), None

    def records(self, articles, site: Site, settings) -> Records:
        """Return the build's records of ``articles`` (made by the first output that asks)."""
        if self._records is None or self._records.site != site or self._records.articles is not articles:
            self._records = Records(articles, site, settings, self.kept)
        return self._records

    def save(self) -> None:
        """Keep this build's records (others are forgotten); nothing is written when unchanged."""
        self.kept.save()


ENTRY_CACHE = EntryCache()
_INHERITED: list[BuildCache] = []  # in a forked child: the parent's connections, never closed here


def records(settings, context) -> Records:
    """Return the build's records of its published articles (the headless plugins call this).

    The record cache is the file ``entries.sqlite`` of Pelican's cache folder; ``context`` (the
    build's shared context dict) tells builds apart in a long-lived process.
    """
    folder = settings.get("CACHE_PATH")
    ENTRY_CACHE.open(os.path.join(folder, "entries.sqlite") if folder else None, context)
    return ENTRY_CACHE.records(context.get("articles", []), site_from_settings(settings), settings)


def save_entry_cache(*_args) -> None:
    """Keep the build's records (connected to Pelican's ``finalized`` by the headless plugins)."""
    ENTRY_CACHE.save()
