"""Runs the content rule table (``portal/rules.py``) inside the build, as ``invoke check`` does.

The rules run once every article and page has been read (``page_generator_finalized``), over the
files themselves, so a build and ``invoke check`` report the same findings. Findings go into
``context["PORTAL_FINDINGS"]``, where portal_content's gate stops a strict publish on any error.

A build with a cache folder runs them in a forked child (``portal.forked.Forked``) while the
other generators make their contexts (the media context of a rebuild takes about as long as the
rules), and the gate waits for it: it runs ``context["PORTAL_FINDINGS_PENDING"]`` before it reads
the findings. The child saves the rules' caches itself and sends back its findings, which are
then logged; a child that fails gives the internal-error finding a failing rule gives.
"""

from __future__ import annotations

import logging
import os
from datetime import datetime
from pathlib import Path

from pelican import signals

from portal import rules
from portal.check import CheckCache, Tree, check_salt, incremental_findings, make_site
from portal.findings import ERROR, PENDING, Finding, wait_pending
from portal.forked import ChildError, Forked, abandon_all, can_fork
from portal.metadata import sections_from_settings
from portal.text import TIMEZONE

from .settings import validate

logger = logging.getLogger(__name__)
CONTEXT_KEY = "PORTAL_FINDINGS"
_CHILDREN: list[Forked] = []  # a child a failed build left unwaited (a long-lived process)


def check_settings(pelican) -> None:
    """Fail early on an unknown ``PORTAL_CHECKS_*`` setting."""
    validate(pelican.settings)


LISTS = ("articles", "drafts", "hidden_articles", "pages", "hidden_pages", "draft_pages")


def source_hashes(context) -> dict[str, str]:
    """Absolute source path → sha256 of its bytes, as the reader recorded them (``source_hash``)."""
    found = {}
    for name in LISTS:
        for content in context.get(name) or []:
            for item in (content, *getattr(content, "translations", [])):
                digest = item.metadata.get("source_hash")
                if digest and item.source_path:
                    found[os.path.abspath(item.source_path)] = digest
    return found


def site_findings(settings, hashes: dict[str, str] | None = None) -> list[Finding]:
    """Run the rule table over the content folder of this build.

    ``hashes`` (see ``source_hashes``) spares reading the files the reader already hashed: a file
    whose record is cached is then not opened at all. With a cache folder, only new and changed
    files are checked, and the unchanged files whose findings read something those changed
    (a slug, a site path, a content path, a name's first spelling: ``incremental_findings``).
    """
    tree = Tree(
        Path(settings["PATH"]),
        settings["ARTICLE_PATHS"][0],
        settings["PAGE_PATHS"][0],
        sections_from_settings(settings["SECTIONS"]),
        settings.get("DOCUMENT_SECTION"),
    )
    now = datetime.now(TIMEZONE)
    if not settings.get("CACHE_PATH"):
        return rules.run(make_site(tree, now))
    folder = Path(settings["CACHE_PATH"])
    cache = CheckCache(folder / "checks.sqlite", check_salt(tree), hashes)
    found = incremental_findings(tree, now, cache, folder / "checks-state.pickle")
    cache.save()
    return found


def _findings(settings, hashes: dict[str, str]) -> list[Finding]:
    """Return ``site_findings``, or the internal-error finding when the rules themselves fail."""
    try:
        return site_findings(settings, hashes)
    except Exception as exc:  # noqa: BLE001 (a build never shows a traceback for content)
        return [_internal(settings, f"{type(exc).__name__}: {exc}")]


def _internal(settings, error: str) -> Finding:
    return Finding(settings["PATH"], 1, ERROR, "internal-error", rules.INTERNAL.format(rule="*", error=error))


def _record(context, found: list[Finding]) -> None:
    context.setdefault(CONTEXT_KEY, []).extend(found)
    for finding in found:
        log = logger.error if finding.is_error else logger.warning
        log("%s", finding.format(), extra={"limit_msg": None})


def _beside(settings) -> bool:
    """Whether the rules run in a child: a build with a cache folder (their state is saved there)."""
    return (
        bool(settings.get("CACHE_PATH"))
        and not settings.get("PREVIEW_SINGLE_FILE")  # the preview's fast path: one file, no wait
        and can_fork()
    )


def run_rules(generator) -> None:
    """Add the rule table's findings to the build's list and log each one as editors read it.

    With a cache folder the rules run in a child, waited for by the gate (``portal.findings.PENDING``).
    """
    abandon_all(_CHILDREN)
    settings, context = generator.settings, generator.context
    hashes = source_hashes(context)
    if not _beside(settings):
        _record(context, _findings(settings, hashes))
        return
    child = Forked(_findings, settings, hashes)
    _CHILDREN.append(child)

    def wait() -> None:
        _CHILDREN.remove(child)
        try:
            found = child.wait()
        except ChildError as error:
            found = [_internal(settings, error.summary)]
        _record(context, found)

    context.setdefault(PENDING, []).append(wait)


def settle_pending(generators) -> None:
    """Wait for the findings still being made (portal_content's gate did, when it is installed)."""
    if generators:
        wait_pending(generators[0].context)


def register() -> None:
    """Connect the handlers."""
    signals.initialized.connect(check_settings)
    signals.page_generator_finalized.connect(run_rules)
    signals.all_generators_finalized.connect(settle_pending)
