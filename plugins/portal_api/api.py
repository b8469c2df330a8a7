"""The versioned JSON content API: index pages, one document per article, sections, schemas."""

from __future__ import annotations

import hashlib
import logging
import os
import time

from pelican import signals
from pelican.generators import Generator

from portal import api
from portal.buildcache import BuildCache, read_pickle, write_pickle
from portal.entries import records, save_entry_cache
from portal.output import KeyedOutputs, code_digest, write_output

from .settings import validate

logger = logging.getLogger(__name__)
BATCH = 200  # records read at a time within a page of the index (each holds its body)
SUMMARIES = "api-summaries.sqlite"  # in CACHE_PATH: each article's index item, by its document's key
LAYOUT = "api-index-layout"  # in CACHE_PATH: where each index page holds each item (``IndexLayout``)
MARKER = b',"items":['  # what precedes the first item of an index page (``api.index_json``)


def check_settings(pelican) -> None:
    """Fail early on an unknown or malformed setting."""
    validate(pelican.settings)


class ApiGenerator(Generator):
    """Writes ``api/v1/``: articles index (paginated), articles, sections and their schemas."""

    # Reads only the context and the articles' records, writes only through the recording writers,
    # keeps its own caches: a rebuild may run it in a child beside the article pages (portal_perf).
    portal_beside_pages = True

    def generate_context(self):
        """Nothing to add: the API reads the published articles when writing."""

    def generate_output(self, writer):
        """Write every API document through the checked output helper.

        An article's document is a function of its record (whose key covers the site), the code
        and the settings; a page of the index, of its records and its place. One whose key is
        unchanged and whose file is the one made for it is not made again, and only the records of
        documents made again are read (with their bodies), a batch at a time. Each article's index
        item (its summary, serialised) is kept between builds by its document's key
        (``SUMMARIES``): a page of the index made again (every page, when a new article shifts
        them all) joins its items' kept texts and reads only the records of items it lacks. Those
        texts are taken first from the page's own file before it is replaced (``IndexLayout``):
        when a new article shifts every page by one, each page finds all its items but one in its
        old self, and that one in the page before.
        """
        started = time.perf_counter()
        built = records(self.settings, self.context)
        site = built.site
        page_size = validate(self.settings)["PORTAL_API_PAGE_SIZE"]
        folder = self.settings.get("CACHE_PATH")
        outputs = KeyedOutputs(folder, self.output_path, "api")
        summaries = BuildCache(os.path.join(folder, SUMMARIES) if folder else None)
        salt = hashlib.sha256(code_digest() + repr((site, page_size, api.VERSION)).encode()).digest()
        ordered = built.newest_first
        keys = {id(head): hashlib.sha256(salt + head.key).digest() for head in ordered}
        summaries.keep(keys.values())
        read = [0]  # records read (or made) this build, for the log
        count = api.page_count(len(ordered), page_size)
        layout, pool = IndexLayout(folder, self.output_path), {}
        for number, chunk in enumerate(api.chunks(ordered, page_size), start=1):
            place = repr((number, count, len(ordered))).encode()
            page_key = hashlib.sha256(salt + place + b"".join(h.key for h in chunk)).digest()
            stale = [h for h in chunk if not outputs.current_file(api.article_path(h.slug), keys[id(h)])]
            texts = _write_articles(built, stale, keys, outputs, summaries)
            read[0] += len(stale)
            relative = api.index_path(number)
            if outputs.current_file(relative, page_key):
                layout.keep(relative)
                continue
            pool.update(layout.items(relative))  # the page's old items, before its file is replaced
            wanted = [keys[id(h)] for h in chunk if keys[id(h)] not in texts]
            texts |= {key: pool.pop(key) for key in wanted if key in pool}
            items = _summaries(built, chunk, keys, texts, summaries, read)
            data = api.index_json(number, len(ordered), items, site, page_size)
            layout.record(
                relative, data, [keys[id(h)] for h in chunk], items, outputs.write(relative, page_key, data)
            )
        documents = [(api.SECTIONS, api.sections_of(self.settings["SECTIONS"], built.heads, site))]
        documents += [(f"{api.SCHEMA_DIR}/{name}", schema) for name, schema in api.schemas().items()]
        for path, document in documents:
            write_output(self.output_path, path, api.dumps(document))
        outputs.save()
        layout.save()
        summaries.save()
        summaries.close()
        logger.info(
            "portal_api: %d documents for %d articles (%d unchanged, %d records read), in %.2f s",
            len(documents) + len(built.heads) + count,
            len(built.heads),
            outputs.skipped,
            read[0],
            time.perf_counter() - started,
        )


class IndexLayout:
    """Where each index page's file holds each of its items, kept between builds (``LAYOUT``).

    An item's text is its article's serialised summary, the same bytes for the same key: a page
    file that is still the one recorded (same device, inode and size: files are replaced by
    rename, never written into) gives back the texts of its items without a query. A file that
    is not, or whose bytes do not frame the items where recorded, gives nothing (the caller then
    asks ``SUMMARIES``).
    """

    def __init__(self, cache_folder: str | None, output: str | os.PathLike) -> None:
        self.output, self.path = os.fspath(output), None
        self.previous: dict[str, tuple] = {}
        self.current: dict[str, tuple] = {}
        if cache_folder:
            tag = hashlib.sha256(os.path.abspath(self.output).encode()).hexdigest()[:16]
            self.path = os.path.join(cache_folder, f"{LAYOUT}-{tag}.pickle")
            found = read_pickle(self.path)
            self.previous = found if isinstance(found, dict) else {}

    def items(self, relative: str) -> dict[bytes, bytes]:
        """Return ``{key: text}`` of the items the page's file holds, when it is the one recorded."""
        recorded = self.previous.get(relative)
        path = os.path.join(self.output, relative)
        try:
            identity, start, listed = recorded
            with open(path, "rb") as handle:
                if _identity(os.fstat(handle.fileno())) != identity:
                    return {}
                data = handle.read()
        except (OSError, TypeError, ValueError):
            return {}
        if data[start - len(MARKER) : start] != MARKER:
            return {}
        found = {}
        for key, length in listed:
            found[key] = data[start : start + length]
            start += length + 1
        return found if data[start - 1 : start] == b"]" else {}

    def keep(self, relative: str) -> None:
        """Keep the record of a page whose file this build found current."""
        if relative in self.previous:
            self.current[relative] = self.previous[relative]

    def record(self, relative: str, data: bytes, keys: list[bytes], items: list[bytes], path) -> None:
        """Record where ``data``, just written to ``path``, holds each of ``items`` (under ``keys``)."""
        start = data.index(MARKER + b",".join(items)) + len(MARKER)
        listed = [(key, len(text)) for key, text in zip(keys, items, strict=True)]
        self.current[relative] = (_identity(os.stat(path)), start, listed)

    def save(self) -> None:
        """Keep this build's records (of the pages it made or found current), when they changed."""
        if self.path and self.current != self.previous:
            write_pickle(self.path, self.current)


def _identity(info: os.stat_result) -> tuple:
    return info.st_dev, info.st_ino, info.st_size


def _summaries(built, chunk, keys: dict, texts: dict, summaries: BuildCache, read: list) -> list[bytes]:  # noqa: PLR0913, PLR0917
    """Return the serialised summaries of ``chunk``: made now, kept, or made from their records."""
    texts = texts | summaries.get_many(keys[id(h)] for h in chunk if keys[id(h)] not in texts)
    missing = [h for h in chunk if not isinstance(texts.get(keys[id(h)]), bytes)]
    read[0] += len(missing)
    for start in range(0, len(missing), BATCH):
        batch = missing[start : start + BATCH]
        for head, entry in zip(batch, built.entries(batch, store=False), strict=True):
            texts[keys[id(head)]] = text = api.summary_json(entry, built.site)
            summaries.put(keys[id(head)], text)
    return [texts[keys[id(head)]] for head in chunk]


def _write_articles(built, heads, keys: dict, outputs: KeyedOutputs, summaries: BuildCache) -> dict:
    """Write the documents of ``heads`` from their records, a batch at a time; return their summaries.

    Each summary is serialised once: it starts the article's document and is kept for the index.
    """
    texts = {}
    for start in range(0, len(heads), BATCH):
        batch = heads[start : start + BATCH]
        for head, entry in zip(batch, built.entries(batch, store=False), strict=True):
            key = keys[id(head)]
            texts[key] = text = api.summary_json(entry, built.site)
            summaries.put(key, text)
            outputs.write(api.article_path(head.slug), key, api.article_json(entry, built.site, text))
    return texts


def get_generators(pelican):
    """Add the API generator to Pelican's list."""
    return ApiGenerator


def register() -> None:
    """Connect the handlers."""
    signals.initialized.connect(check_settings)
    signals.get_generators.connect(get_generators)
    signals.finalized.connect(save_entry_cache)
