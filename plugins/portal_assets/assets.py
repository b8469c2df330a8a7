"""Fingerprints the theme's assets and rewrites every page to them, with SRI, once all is written."""

from __future__ import annotations

import logging
from pathlib import Path

from pelican import signals

from portal.assets import fingerprint_tree, rewrite_html
from portal.output import write_output

from .settings import validate

logger = logging.getLogger(__name__)


def check_settings(pelican) -> None:
    """Fail early on an unknown ``PORTAL_ASSETS_*`` setting."""
    validate(pelican.settings)


def fingerprint(pelican) -> None:
    """Copy assets to fingerprinted names and point every HTML file at them."""
    values = validate(pelican.settings)
    output = Path(pelican.output_path)
    assets = fingerprint_tree(output, values["PORTAL_ASSETS_FOLDER"])
    if not assets:
        return
    siteurl = pelican.settings.get("SITEURL", "")
    for page in sorted(output.rglob("*.html")):
        html = page.read_text(encoding="utf-8")
        rewritten = rewrite_html(html, siteurl, assets)
        if rewritten != html:
            write_output(output, page.relative_to(output).as_posix(), rewritten)
    logger.info("portal_assets: %d tệp tài nguyên được gắn dấu vân tay", len(assets))


def register() -> None:
    """Connect the handlers; runs at ``finalized``, after every page is written."""
    signals.initialized.connect(check_settings)
    signals.finalized.connect(fingerprint)
