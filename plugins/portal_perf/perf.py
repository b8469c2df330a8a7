"""Build speed at archive scale: incremental output, pruned orphans, linear taxonomy pages.

Signals: ``initialized`` validates settings; ``get_generators`` starts a build's output record
(what it produces); ``article_generator_init`` swaps Pelican's quadratic
taxonomy and archive steps for linear ones, keeps read articles between builds
(``article_cache``) and renders its pages to render on two processes when they are many
(``parallel``); ``generator_init`` adds the ``portal_memo`` block cache, stops the template
environment's reload checks, and its compiled templates are kept (``compiled``) once the writer
knows the build's fingerprint;
``all_generators_finalized`` freezes content URLs (``memo``);
``get_writer`` returns a writer that rewrites only changed files; ``finalized`` deletes the files
of the output this build did not make (during the release's walk of the output when
``portal_release`` follows, else with a walk of its own). Pelican's file copies (static files, theme assets)
also go through ``portal.incremental``: they replace files by rename and skip equal bytes.
"""

from __future__ import annotations

import logging

import pelican.utils
from pelican import signals

from portal.incremental import OUTPUTS, copy_if_changed
from portal.release import HEALTHZ, MANIFEST, VERSION

from . import article_cache, beside, compiled, taxonomy, translations
from .memo import MEMO, freeze_urls, install_url_cache
from .parallel import parallel_pages
from .render_cache import take_inventory
from .settings import validate
from .writer import IncrementalWriter

logger = logging.getLogger(__name__)


def check_settings(pelican) -> None:
    """Fail early on an unknown or malformed ``PORTAL_PERF_*`` setting; make translations linear."""
    validate(pelican.settings)
    translations.install()


def start_build(pelican) -> None:
    """Start recording what this build produces into its output folder; forget old cards."""
    OUTPUTS.start(pelican.output_path)
    MEMO.clear()
    compiled.ENVIRONMENTS.clear()
    take_inventory(pelican.settings)  # before any file is read (``render_cache``)
    # Connected now, after every plugin registered its own: run last, once files are final.
    signals.finalized.connect(finish_prune)
    signals.finalized.connect(save_render_keys)


def linear_taxonomy(generator) -> None:
    """Give the articles generator linear taxonomy and archive steps and kept articles.

    Its pages are rendered on two cores when there are many.
    """
    taxonomy.install(generator)
    if validate(generator.settings)["PORTAL_PERF_ARTICLE_CACHE"]:
        article_cache.install(generator)
    minimum = validate(generator.settings)["PORTAL_PERF_PARALLEL_MIN"]
    generator.generate_pages = parallel_pages(generator, minimum)


def add_filters(generator) -> None:
    """Expose ``portal_memo`` (render a block once per build and item) to the templates.

    The environment also stops checking each template's file for changes whenever it is asked
    for (Jinja's ``auto_reload``: a ``stat`` for every import of every page): a generator lives
    for one build, in which the theme does not change.
    """
    env = getattr(generator, "env", None)
    if env is None:
        return
    env.globals["portal_memo"] = MEMO
    env.auto_reload = False
    compiled.remember(env)


def write_beside_pages(generators) -> None:
    """Have a small rebuild's feeds, API, sitemaps and search index written beside its pages (``beside``)."""
    if generators:
        beside.install(generators, validate(generators[0].settings)["PORTAL_PERF_BESIDE_MAX"])


def incremental_writer(pelican):
    """Pelican asks for its writer: use the one that skips unchanged files."""
    return IncrementalWriter


def _copy_file(source: str, destination: str) -> None:
    """``pelican.utils.copy_file`` by rename, skipping equal bytes (static files, theme assets)."""
    try:
        copy_if_changed(source, destination)
    except OSError as error:
        logger.warning("portal_perf: không chép được %s sang %s: %s", source, destination, error)


# Written by portal_release after pruning, at the output's root: never orphans.
LATE_FILES = (HEALTHZ, VERSION, MANIFEST)


def prune(pelican) -> None:
    """Have the output files this build did not make deleted, by the next walk of the output.

    ``portal_release`` (next at ``finalized``) walks the whole output anyway and deletes them on
    its way; without it, ``finish_prune`` does, once every handler has run.
    """
    if validate(pelican.settings)["PORTAL_PERF_PRUNE"]:
        OUTPUTS.defer_prune(keep=LATE_FILES)


def finish_prune(pelican) -> None:
    """Delete the orphans if no step took the prune over; say how many files were deleted."""
    removed = OUTPUTS.prune_pending()
    if removed:
        logger.info("portal_perf: xóa %d tệp không còn trong bản dựng", len(removed))


def _writer_of(pelican) -> IncrementalWriter | None:
    """Return the incremental writer of ``pelican``'s running build, if it has one."""
    writer = IncrementalWriter.last
    return writer if writer is not None and writer.output_path == pelican.output_path else None


def save_render_keys_beside(pelican) -> None:
    """Start recording the page keys in a child while the release runs (``save_render_keys`` waits)."""
    writer = _writer_of(pelican)
    if writer is not None:
        writer.save_beside()


def save_render_keys(pelican) -> None:
    """Record the keys of the pages this build wrote, for the next build."""
    writer = _writer_of(pelican)
    if writer is not None:
        writer.finish()
        IncrementalWriter.last = None


def register() -> None:
    """Connect the handlers; order within a signal follows ``PLUGINS``."""
    pelican.utils.copy_file = _copy_file
    install_url_cache()
    signals.initialized.connect(check_settings)
    signals.get_generators.connect(start_build)
    signals.article_generator_init.connect(linear_taxonomy)
    signals.generator_init.connect(add_filters)
    signals.all_generators_finalized.connect(freeze_urls)
    signals.all_generators_finalized.connect(write_beside_pages)
    signals.get_writer.connect(incremental_writer)
    signals.finalized.connect(prune)
    signals.finalized.connect(save_render_keys_beside)  # before portal_release's handler
