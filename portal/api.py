"""The JSON content API v1: documents and their JSON Schemas, built from ``Entry`` records.

Paths (DESIGN.md): ``api/v1/articles.json`` (page 1 of the index), ``api/v1/articles/page/N.json``,
``api/v1/articles/<slug>.json``, ``api/v1/sections.json`` and ``api/v1/schema/*.json``.
Every document is UTF-8 without ASCII escapes, keys in a fixed order, entries newest first with
ties broken by slug, so two publishes of the same content give the same bytes.

The bytes of a document are the compact JSON of its dict (``portal.feeds.dumps``). The generator writes them
from an article's summary already serialised (``summary_json``): an article's document is that
text with the other fields appended (``article_json``), and a page of the index joins its
articles' summaries (``index_json``), the same bytes as serialising the whole dict, so a summary
kept from an earlier build makes an index page without reading the article's record again.
"""

from __future__ import annotations

from .entries import Entry, Site, iso, newest_first
from .feeds import dumps

VERSION = "v1"
ROOT = f"api/{VERSION}"
INDEX = f"{ROOT}/articles.json"
SECTIONS = f"{ROOT}/sections.json"
SCHEMA_DIR = f"{ROOT}/schema"
SCHEMA_DRAFT = "https://json-schema.org/draft/2020-12/schema"


def article_path(slug: str) -> str:
    """Return the output path of one article's document."""
    return f"{ROOT}/articles/{slug}.json"


def index_path(number: int) -> str:
    """Return the output path of page ``number`` of the index (page 1 is ``articles.json``)."""
    return INDEX if number == 1 else f"{ROOT}/articles/page/{number}.json"


def summary_json(entry: Entry, site: Site) -> bytes:
    """Return ``summary_of(entry, site)`` serialised (no newline): an index item, kept between builds."""
    return dumps(summary_of(entry, site))[:-1]


def article_json(entry: Entry, site: Site, summary: bytes) -> bytes:
    """Return ``dumps(article_of(entry, site))`` from the article's ``summary_json``.

    The document's fields are the summary's, then the rest: its serialised form is the summary's
    without the closing brace, a comma, and the rest's without the opening one (``dumps`` is
    compact: a dict is ``{"k":v,...}``).
    """
    return b"".join((summary[:-1], b",", dumps(article_of(entry, site, {}))[1:]))


def index_json(number: int, total: int, items: list[bytes], site: Site, page_size: int) -> bytes:
    """Return ``dumps(index_page_of(...))`` of a page whose items are given as ``summary_json``."""
    document = index_page_of(number, total, [], site, page_size)
    schema = document.pop("schema")
    del document["items"]  # the last two fields: "items", then "schema"
    head, tail = dumps(document)[:-2], dumps(schema)[:-1]  # without "}\n", without "\n"
    return b"".join((head, b',"items":[', b",".join(items), b'],"schema":', tail, b"}\n"))


def _image(entry: Entry) -> dict | None:
    image = entry.image
    if image is None:
        return None
    return {
        "url": image.url,
        "type": image.mime,
        "length": image.length,
        "width": image.width,
        "height": image.height,
        "alt": image.alt,
        "caption": image.caption,
        "credit": image.credit,
        "variants": [dict(variant) for variant in image.variants],
    }


def summary_of(entry: Entry, site: Site) -> dict:
    """Return the fields of an article listed in the index (everything but the body)."""
    return {
        "id": entry.id,
        "slug": entry.slug,
        "url": entry.url,
        "api_url": site.absolute(article_path(entry.slug)),
        "title": entry.title,
        "summary": entry.summary,
        "section": {"slug": entry.section_slug, "name": entry.section_name, "url": entry.section_url},
        "tags": [{"slug": slug, "name": name, "url": url} for slug, name, url in entry.tags],
        "authors": [{"name": name} for name in entry.authors],
        "date": iso(entry.date),
        "modified": iso(entry.updated),
        "image": _image(entry),
    }


def article_of(entry: Entry, site: Site, summary: dict | None = None) -> dict:
    """Return the full document of one article (``summary``: its ``summary_of``, when made already)."""
    return {
        **(summary_of(entry, site) if summary is None else summary),
        "attachments": [
            {"url": a.url, "type": a.mime, "size": a.size, "name": a.name} for a in entry.attachments
        ],
        "document": entry.doc or None,
        "legacy_url": entry.legacy_url or None,
        "body_html": entry.body_html,
        "schema": site.absolute(f"{SCHEMA_DIR}/article.json"),
    }


def index_pages(entries, site: Site, page_size: int) -> list[tuple[str, dict]]:
    """Return ``(path, document)`` for every page of the article index, newest first."""
    ordered = newest_first(entries)
    return [
        (index_path(number), index_page(number, len(ordered), chunk, site, page_size))
        for number, chunk in enumerate(chunks(ordered, page_size), start=1)
    ]


def page_count(total: int, page_size: int) -> int:
    """Return how many pages the index of ``total`` articles has (one, even when empty)."""
    return max(1, -(-total // page_size))


def chunks(ordered: list, page_size: int) -> list[list]:
    """Return the items of each page of the index, in order (one empty page for no items)."""
    return [ordered[start : start + page_size] for start in range(0, max(len(ordered), 1), page_size)]


def index_page(number: int, total: int, chunk, site: Site, page_size: int) -> dict:
    """Return page ``number`` of the index of ``total`` articles, listing ``chunk``."""
    return index_page_of(number, total, [summary_of(entry, site) for entry in chunk], site, page_size)


def index_page_of(number: int, total: int, items: list[dict], site: Site, page_size: int) -> dict:
    """Return page ``number`` of the index of ``total`` articles, listing ``items`` (``summary_of``)."""
    count = page_count(total, page_size)
    return {
        "version": VERSION,
        "page": number,
        "pages": count,
        "page_size": page_size,
        "total": total,
        "prev": site.absolute(index_path(number - 1)) if number > 1 else None,
        "next": site.absolute(index_path(number + 1)) if number < count else None,
        "items": items,
        "schema": site.absolute(f"{SCHEMA_DIR}/articles.json"),
    }


def sections_of(sections, entries, site: Site) -> dict:
    """Return the sections document: every section, its URLs, feeds and article count."""
    items = []
    for slug, name in sections:
        own = [e for e in entries if e.section_slug == slug]
        items.append(
            {
                "slug": slug,
                "name": name,
                "url": site.absolute(f"{slug}/"),
                "feeds": {
                    "rss": site.absolute(f"feeds/{slug}.rss.xml"),
                    "atom": site.absolute(f"feeds/{slug}.atom.xml"),
                },
                "article_count": len(own),
                "updated": iso(max(e.updated for e in own)) if own else None,
            }
        )
    return {"version": VERSION, "items": items, "schema": site.absolute(f"{SCHEMA_DIR}/sections.json")}


# JSON Schemas (draft 2020-12), published beside the documents they describe.
_TEXT = {"type": "string"}
_URL = {"type": "string", "format": "uri", "pattern": "^https?://"}
_DATE = {"type": "string", "format": "date-time", "pattern": r"\+07:00$"}
_NULLABLE_URL = {"anyOf": [_URL, {"type": "null"}]}


def _object(properties: dict, optional: tuple = ()) -> dict:
    return {
        "type": "object",
        "properties": properties,
        "required": [key for key in properties if key not in optional],
        "additionalProperties": False,
    }


_SECTION_REF = _object({"slug": _TEXT, "name": _TEXT, "url": _URL})
_VARIANT = _object(
    {"url": _URL, "width": {"type": "integer"}, "height": {"type": "integer"}, "type": _TEXT},
    optional=("width", "height", "type"),
)
_IMAGE = _object(
    {
        "url": _URL,
        "type": {"type": "string", "pattern": "^image/"},
        "length": {"type": "integer", "minimum": 1},
        "width": {"type": "integer", "minimum": 1},
        "height": {"type": "integer", "minimum": 1},
        "alt": _TEXT,
        "caption": _TEXT,
        "credit": _TEXT,
        "variants": {"type": "array", "items": _VARIANT},
    }
)
_SUMMARY_PROPERTIES = {
    "id": {"type": "string", "pattern": "^tag:"},
    "slug": {"type": "string", "pattern": "^[a-z0-9]+(-[a-z0-9]+)*$"},
    "url": _URL,
    "api_url": _URL,
    "title": {"type": "string", "minLength": 1},
    "summary": _TEXT,
    "section": _SECTION_REF,
    "tags": {"type": "array", "items": _object({"slug": _TEXT, "name": _TEXT, "url": _URL})},
    "authors": {"type": "array", "items": _object({"name": _TEXT})},
    "date": _DATE,
    "modified": _DATE,
    "image": {"anyOf": [_IMAGE, {"type": "null"}]},
}
_DOCUMENT = _object(
    {
        "doc_number": _TEXT,
        "doc_type": _TEXT,
        "issuer": _TEXT,
        "signed": {"type": "string", "format": "date"},
        "effective": {"type": "string", "format": "date"},
    },
    optional=("doc_number", "doc_type", "issuer", "signed", "effective"),
)
_ARTICLE_PROPERTIES = {
    **_SUMMARY_PROPERTIES,
    "attachments": {
        "type": "array",
        "items": _object(
            {"url": _URL, "type": _TEXT, "size": {"type": "integer", "minimum": 0}, "name": _TEXT}
        ),
    },
    "document": {"anyOf": [_DOCUMENT, {"type": "null"}]},
    "legacy_url": {"type": ["string", "null"]},
    "body_html": _TEXT,
    "schema": _URL,
}


def schemas() -> dict[str, dict]:
    """Return the JSON Schema of every API document, by file name."""
    article = {
        "$schema": SCHEMA_DRAFT,
        "title": "Bài viết (API v1)",
        **_object(_ARTICLE_PROPERTIES),
    }
    index = {
        "$schema": SCHEMA_DRAFT,
        "title": "Danh sách bài viết (API v1, một trang)",
        **_object(
            {
                "version": {"const": VERSION},
                "page": {"type": "integer", "minimum": 1},
                "pages": {"type": "integer", "minimum": 1},
                "page_size": {"type": "integer", "minimum": 1},
                "total": {"type": "integer", "minimum": 0},
                "prev": _NULLABLE_URL,
                "next": _NULLABLE_URL,
                "items": {"type": "array", "items": _object(_SUMMARY_PROPERTIES)},
                "schema": _URL,
            }
        ),
    }
    section = _object(
        {
            "slug": _TEXT,
            "name": _TEXT,
            "url": _URL,
            "feeds": _object({"rss": _URL, "atom": _URL}),
            "article_count": {"type": "integer", "minimum": 0},
            "updated": {"anyOf": [_DATE, {"type": "null"}]},
        }
    )
    sections = {
        "$schema": SCHEMA_DRAFT,
        "title": "Chuyên mục (API v1)",
        **_object(
            {"version": {"const": VERSION}, "items": {"type": "array", "items": section}, "schema": _URL}
        ),
    }
    return {"article.json": article, "articles.json": index, "sections.json": sections}
