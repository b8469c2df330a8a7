"""Runs the content rule table (``portal/rules.py``) inside the build, as ``invoke check`` does.

The rules run once every article and page has been read (``page_generator_finalized``), over the
files themselves, so a build and ``invoke check`` report the same findings. Findings go into
``context["PORTAL_FINDINGS"]``, where portal_content's gate stops a strict publish on any error.
"""

from __future__ import annotations

import logging
import os
from datetime import datetime
from pathlib import Path

from pelican import signals

from portal import rules
from portal.check import CheckCache, Tree, check_salt, incremental_findings, make_site
from portal.findings import ERROR, Finding
from portal.metadata import sections_from_settings
from portal.text import TIMEZONE

from .settings import validate

logger = logging.getLogger(__name__)
CONTEXT_KEY = "PORTAL_FINDINGS"


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


def run_rules(generator) -> None:
    """Add the rule table's findings to the build's list and log each one as editors read it."""
    try:
        found = site_findings(generator.settings, source_hashes(generator.context))
    except Exception as exc:  # noqa: BLE001 (a build never shows a traceback for content)
        found = [
            Finding(
                generator.settings["PATH"],
                1,
                ERROR,
                "internal-error",
                rules.INTERNAL.format(rule="*", error=f"{type(exc).__name__}: {exc}"),
            )
        ]
    generator.context.setdefault(CONTEXT_KEY, []).extend(found)
    for finding in found:
        log = logger.error if finding.is_error else logger.warning
        log("%s", finding.format(), extra={"limit_msg": None})


def register() -> None:
    """Connect the handlers."""
    signals.initialized.connect(check_settings)
    signals.page_generator_finalized.connect(run_rules)
