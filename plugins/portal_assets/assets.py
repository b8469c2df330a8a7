"""Fingerprints the theme's assets and rewrites every page to them, with SRI, once all is written."""

from __future__ import annotations

import logging
from pathlib import Path

from pelican import signals

from portal.assets import fingerprint_tree, rewrite_pages
from portal.epoch import build_clock
from portal.incremental import OUTPUTS

from .settings import validate

logger = logging.getLogger(__name__)
CACHE_FILE = "asset-pages.json"  # in CACHE_PATH: the pages rewritten by the last build


def check_settings(pelican) -> None:
    """Fail early on an unknown ``PORTAL_ASSETS_*`` setting."""
    validate(pelican.settings)


def fingerprint(pelican) -> None:
    """Copy assets to fingerprinted names and point every HTML file changed since the last build at them."""
    values = validate(pelican.settings)
    output = Path(pelican.output_path)
    assets = fingerprint_tree(output, values["PORTAL_ASSETS_FOLDER"])
    if not assets:
        return
    read = rewrite_pages(
        output,
        pelican.settings.get("SITEURL", ""),
        assets,
        cache=Path(pelican.settings["CACHE_PATH"]) / CACHE_FILE,
        epoch=build_clock(pelican).epoch,  # the mtime the release gives each file
        # portal_perf records every file a build makes (or finds current): its pages spare a walk.
        pages=OUTPUTS.made(output, ".html") if "portal_perf" in pelican.settings["PLUGINS"] else None,
    )
    logger.info(
        "portal_assets: %d tệp tài nguyên được gắn dấu vân tay, %d trang được đọc lại", len(assets), read
    )


def register() -> None:
    """Connect the handlers; runs at ``finalized``, after every page is written."""
    signals.initialized.connect(check_settings)
    signals.finalized.connect(fingerprint)
