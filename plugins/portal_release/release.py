"""The last step of a build: healthz, precompressed copies, version.json, manifest.json, mtimes.

``portal_release`` is the LAST plugin: at ``finalized`` every other plugin has written its files,
so the manifest covers the whole output and nothing changes after the mtimes are fixed.
"""

from __future__ import annotations

import logging
from pathlib import Path

from pelican import signals

from portal.epoch import build_clock
from portal.release import finish

from .settings import validate

logger = logging.getLogger(__name__)


def check_settings(pelican) -> None:
    """Fail early on an unknown ``PORTAL_RELEASE_*`` setting."""
    validate(pelican.settings)


def finish_release(pelican) -> None:
    """Make the output a release: same commit and content, same bytes and mtimes."""
    values = validate(pelican.settings)
    clock = build_clock(pelican)
    version = finish(
        Path(pelican.output_path),
        clock.epoch,
        clock.commit,
        compress=values["PORTAL_RELEASE_PRECOMPRESS"],
        cache=Path(pelican.settings["CACHE_PATH"]) / "release-digests.pickle",
    )
    logger.info("portal_release: bản dựng %s", version.build_id)


def register() -> None:
    """Connect the handlers; this plugin is last in ``PLUGINS``."""
    signals.initialized.connect(check_settings)
    signals.finalized.connect(finish_release)
