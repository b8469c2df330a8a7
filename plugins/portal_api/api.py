"""The versioned JSON content API: index pages, one document per article, sections, schemas."""

from __future__ import annotations

import hashlib
import logging
import time

from pelican import signals
from pelican.generators import Generator

from portal import api
from portal.entries import entry_of, open_entry_cache, save_entry_cache, site_from_settings
from portal.feeds import dumps
from portal.output import KeyedOutputs, code_digest, write_output

from .settings import validate

logger = logging.getLogger(__name__)


def check_settings(pelican) -> None:
    """Fail early on an unknown or malformed setting."""
    validate(pelican.settings)


class ApiGenerator(Generator):
    """Writes ``api/v1/``: articles index (paginated), articles, sections and their schemas."""

    def generate_context(self):
        """Nothing to add: the API reads the published articles when writing."""

    def generate_output(self, writer):
        """Write every API document through the checked output helper."""
        open_entry_cache(self.settings, self.context)
        started = time.perf_counter()
        site = site_from_settings(self.settings)
        page_size = validate(self.settings)["PORTAL_API_PAGE_SIZE"]
        entries = [entry_of(article, site) for article in self.context.get("articles", [])]
        # One article's document is a function of its record (whose key covers the site), the
        # code and the settings: an unchanged one is not made again. Documents are made and
        # written one at a time (each holds a body).
        outputs = KeyedOutputs(self.settings.get("CACHE_PATH"), self.output_path, "api")
        salt = hashlib.sha256(code_digest() + repr((site, page_size, api.VERSION)).encode()).digest()
        for entry in entries:
            key = None if entry.body_key is None else hashlib.sha256(salt + entry.body_key).digest()
            path = api.article_path(entry.slug)
            if not outputs.current_file(path, key):
                outputs.write(path, key, dumps(api.article_of(entry, site)))
        documents = api.index_pages(entries, site, page_size)
        documents.append((api.SECTIONS, api.sections_of(self.settings["SECTIONS"], entries, site)))
        documents += [(f"{api.SCHEMA_DIR}/{name}", schema) for name, schema in api.schemas().items()]
        for path, document in documents:
            write_output(self.output_path, path, dumps(document))
        outputs.save()
        logger.info(
            "portal_api: %d documents for %d articles (%d unchanged), in %.2f s",
            len(documents) + len(entries),
            len(entries),
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
