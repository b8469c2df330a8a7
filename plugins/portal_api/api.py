"""The versioned JSON content API: index pages, one document per article, sections, schemas."""

from __future__ import annotations

import hashlib
import logging
import os
import time

from pelican import signals
from pelican.generators import Generator

from portal import api
from portal.buildcache import BuildCache
from portal.entries import records, save_entry_cache
from portal.output import KeyedOutputs, code_digest, write_output

from .settings import validate

logger = logging.getLogger(__name__)
BATCH = 200  # records read at a time within a page of the index (each holds its body)
SUMMARIES = "api-summaries.sqlite"  # in CACHE_PATH: each article's index item, by its document's key


def check_settings(pelican) -> None:
    """Fail early on an unknown or malformed setting."""
    validate(pelican.settings)


class ApiGenerator(Generator):
    """Writes ``api/v1/``: articles index (paginated), articles, sections and their schemas."""

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
        them all) joins its items' kept texts and reads only the records of items it lacks.
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
        for number, chunk in enumerate(api.chunks(ordered, page_size), start=1):
            place = repr((number, count, len(ordered))).encode()
            page_key = hashlib.sha256(salt + place + b"".join(h.key for h in chunk)).digest()
            stale = [h for h in chunk if not outputs.current_file(api.article_path(h.slug), keys[id(h)])]
            texts = _write_articles(built, stale, keys, outputs, summaries)
            read[0] += len(stale)
            if not outputs.current_file(api.index_path(number), page_key):
                items = _summaries(built, chunk, keys, texts, summaries, read)
                data = api.index_json(number, len(ordered), items, site, page_size)
                outputs.write(api.index_path(number), page_key, data)
        documents = [(api.SECTIONS, api.sections_of(self.settings["SECTIONS"], built.heads, site))]
        documents += [(f"{api.SCHEMA_DIR}/{name}", schema) for name, schema in api.schemas().items()]
        for path, document in documents:
            write_output(self.output_path, path, api.dumps(document))
        outputs.save()
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
