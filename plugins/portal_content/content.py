"""Content model of the portal: the reader, Vietnamese order and dates, and the build gate.

Signals, in build order: ``initialized`` validates settings; ``readers_init`` installs the
reader; ``generator_init`` adds the Jinja filters; ``article_generator_init`` notes the order the
generator lists its files in; the first ``article_generator_preread`` starts the read-ahead
pool (``readahead``); ``article_generator_context`` /
``page_generator_context`` collect each file's findings; ``article_generator_pretaxonomy``
drops colliding slugs; ``article_generator_finalized`` links same-section neighbours;
``all_generators_finalized`` stops the read-ahead pool, sorts lists and, in a strict build,
stops before anything is written if any error was found.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict

from pelican import signals

from portal import text
from portal.findings import summary, wait_pending
from portal.incremental import under

from . import collisions
from .reader import FINDINGS_KEY, PortalReader, finish_reading, warm_cache
from .related import attach_same_section
from .settings import validate

logger = logging.getLogger(__name__)
CONTEXT_KEY = "PORTAL_FINDINGS"


class PublishBlocked(SystemExit):
    """Raised to stop a strict build; a ``SystemExit`` so Pelican prints no traceback."""


def check_settings(pelican) -> None:
    """Fail early on a malformed or unknown ``CONTENT_*`` setting."""
    validate(pelican.settings)


def add_reader(readers) -> None:
    """Read ``.md`` files with the portal's reader, and nothing else (no reST, no raw HTML).

    The ``static`` entry stays: Pelican's static generator reads images and attachments through it.
    """
    for extension in [ext for ext in readers.reader_classes if ext != "static"]:
        del readers.reader_classes[extension]
    readers.reader_classes["md"] = PortalReader


def note_listing(generator) -> None:
    """Remember the order the generator lists its files in: the order it reads them in."""
    get_files = generator.get_files

    def listing(*args, **kwargs):
        files = get_files(*args, **kwargs)
        root = os.path.abspath(generator.path)  # Pelican's files are relative to it
        generator._portal_listing = [under(root, f) for f in files]  # as ``kept_files`` joins them
        return files

    generator.get_files = listing


def prepare_reading(generator) -> None:
    """Start parsing, on every core, the files Pelican is about to read, before it reads the first.

    Connected to ``article_generator_preread``, which Pelican sends before it reads a file, never
    for an article it gets from the generator's cache: a build that reads nothing (every article
    kept between builds, see ``portal_perf``) starts no pool. Files that the generator's cache
    (``portal_article_cache``, when installed) keeps are not parsed ahead; the others are, in the
    order the generator reads them, handed over in memory (``readahead``).
    """
    if generator.settings.get("PREVIEW_SINGLE_FILE"):  # the preview's fast path reads one file
        return
    if getattr(generator, "_portal_reading_prepared", False):
        return
    generator._portal_reading_prepared = True
    cache = getattr(generator, "portal_article_cache", None)
    kept = cache.kept_files() if cache is not None else frozenset()
    parsed = warm_cache(generator.settings, kept, getattr(generator, "_portal_listing", ()))
    if parsed:
        logger.info("portal_content: %d tệp được đọc song song", parsed)


def add_filters(generator) -> None:
    """Expose Vietnamese dates and ordering to the templates."""
    env = getattr(generator, "env", None)
    if env is None:
        return
    env.filters.update(
        vi_datetime=text.format_datetime,
        vi_date=text.format_date,
        vi_sort=_vi_sort,
    )


def _vi_sort(items, attribute=None):
    """Jinja filter: sort by Vietnamese order, of ``attribute`` when given (``"0.name"``)."""
    def key(item):
        value = item
        for part in (attribute or "").split(".") if attribute else []:
            value = value[int(part)] if part.isdigit() else getattr(value, part)
        return str(value)

    return text.vi_sorted(items, key=key)


def collect_findings(generator, metadata) -> None:
    """Move the reader's findings from the metadata into the build's list and log them."""
    found = metadata.pop(FINDINGS_KEY, [])
    record(generator.context, found)


def record(context, found) -> None:
    """Add findings to the build's list and log each one as editors read it."""
    context.setdefault(CONTEXT_KEY, []).extend(found)
    for finding in found:
        log = logger.error if finding.is_error else logger.warning
        log("%s", finding.format(), extra={"limit_msg": None})


def drop_collisions(generator) -> None:
    """Report articles whose URL or folded title collides, and keep only the first of each."""
    record(generator.context, collisions.resolve(generator))


def link_neighbours(generator) -> None:
    """Give every article its 'Tin cùng chuyên mục' list."""
    others = [*generator.drafts, *generator.hidden_articles, *generator.translations]
    attach_same_section(generator.articles, others)


def stop_reading(sender) -> None:
    """Stop the read-ahead pool once every generator has read its files (or a new build starts)."""
    finish_reading()


def sort_lists(generators) -> None:
    """Order tags, authors and sections in Vietnamese order everywhere templates list them.

    The generators share one context: each list is sorted once, each name's key made once.
    """
    keys: dict[str, tuple] = {}

    def key(pair) -> tuple:
        name = pair[0].name
        found = keys.get(name)
        if found is None:
            found = keys[name] = text.collation_key(name)
        return found

    sorted_lists: set[int] = set()
    for generator in generators:
        for name in ("tags", "authors", "categories"):
            items = generator.context.get(name)
            if isinstance(items, list) and id(items) not in sorted_lists:
                items = generator.context[name] = sorted(items, key=key)
                sorted_lists.add(id(items))


def gate(generators) -> None:
    """In a strict build, stop before writing if any finding is an error."""
    context = generators[0].context if generators else {}
    wait_pending(context)  # findings still being made (portal_checks)
    found = sorted(context.get(CONTEXT_KEY, []))
    if context.get("PORTAL_FINDINGS_FILE"):
        with open(context["PORTAL_FINDINGS_FILE"], "w", encoding="utf-8") as handle:
            json.dump([asdict(f) | {"text": f.format()} for f in found], handle, ensure_ascii=False)
    if not found:
        return
    logger.warning("Kiểm tra nội dung: %s", summary(found))
    if context.get("PORTAL_STRICT") and any(f.is_error for f in found):
        logger.error(
            "Bản xuất bản bị dừng: sửa các lỗi ở trên rồi chạy lại. Không tệp nào được ghi."
        )
        raise PublishBlocked(1)


def register() -> None:
    """Connect the handlers; order within a signal follows ``PLUGINS``."""
    signals.initialized.connect(check_settings)
    signals.initialized.connect(stop_reading)  # a long-lived process: nothing of a failed build
    signals.readers_init.connect(add_reader)
    signals.generator_init.connect(add_filters)
    signals.article_generator_init.connect(note_listing)
    signals.article_generator_preread.connect(prepare_reading)
    signals.article_generator_context.connect(collect_findings)
    signals.page_generator_context.connect(collect_findings)
    signals.article_generator_pretaxonomy.connect(drop_collisions)
    signals.article_generator_finalized.connect(link_neighbours)
    signals.all_generators_finalized.connect(stop_reading)
    signals.all_generators_finalized.connect(sort_lists)
    signals.all_generators_finalized.connect(gate)
