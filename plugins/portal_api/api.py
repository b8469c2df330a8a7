"""The versioned JSON content API: index pages, one document per article, sections, schemas."""

from __future__ import annotations

import hashlib
import logging
import time

from pelican import signals
from pelican.generators import Generator

from portal import api
from portal.entries import records, save_entry_cache
from portal.feeds import dumps
from portal.output import KeyedOutputs, code_digest, write_output

from .settings import validate

logger = logging.getLogger(__name__)
BATCH = 200  # records read at a time within a page of the index (each holds its body)


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
        documents made again are read (with their bodies). The work goes a page of the index at a
        time, newest first: the records a page reads serve its articles' documents too (read once,
        each summary made once), and no more than a page's records (a batch) are held at once.
        """
        started = time.perf_counter()
        built = records(self.settings, self.context)
        site = built.site
        page_size = validate(self.settings)["PORTAL_API_PAGE_SIZE"]
        outputs = KeyedOutputs(self.settings.get("CACHE_PATH"), self.output_path, "api")
        salt = hashlib.sha256(code_digest() + repr((site, page_size, api.VERSION)).encode()).digest()
        ordered = built.newest_first
        count = api.page_count(len(ordered), page_size)
        for number, chunk in enumerate(api.chunks(ordered, page_size), start=1):
            place = repr((number, count, len(ordered))).encode()
            page_key = hashlib.sha256(salt + place + b"".join(h.key for h in chunk)).digest()
            page_stale = not outputs.current_file(api.index_path(number), page_key)
            keys = {}
            for head in chunk:
                key = hashlib.sha256(salt + head.key).digest()
                if not outputs.current_file(api.article_path(head.slug), key):
                    keys[id(head)] = key
            items = []
            wanted = chunk if page_stale else [head for head in chunk if id(head) in keys]
            for start in range(0, len(wanted), BATCH):
                batch = wanted[start : start + BATCH]
                for head, entry in zip(batch, built.entries(batch), strict=True):
                    summary = api.summary_of(entry, site)
                    if page_stale:
                        items.append(summary)
                    if id(head) in keys:
                        document = api.article_of(entry, site, summary)
                        outputs.write(api.article_path(head.slug), keys[id(head)], dumps(document))
            if page_stale:
                document = api.index_page_of(number, len(ordered), items, site, page_size)
                outputs.write(api.index_path(number), page_key, dumps(document))
        documents = [(api.SECTIONS, api.sections_of(self.settings["SECTIONS"], built.heads, site))]
        documents += [(f"{api.SCHEMA_DIR}/{name}", schema) for name, schema in api.schemas().items()]
        for path, document in documents:
            write_output(self.output_path, path, dumps(document))
        outputs.save()
        logger.info(
            "portal_api: %d documents for %d articles (%d unchanged), in %.2f s",
            len(documents) + len(built.heads) + count,
            len(built.heads),
            outputs.skipped,
            time.perf_counter() - started,
        )


def get_generators(pelican):
    """Add the API generator to Pelican's list."""
    return ApiGenerator


def register() -> None:
    """Connect the handlers."""
    signals.initialized.connect(check_settings)
    signals.get_generators.connect(get_generators)
    signals.finalized.connect(save_entry_cache)
