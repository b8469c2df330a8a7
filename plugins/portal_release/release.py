"""The last step of a build: healthz, precompressed copies, version.json, manifest.json, mtimes.

``portal_release`` is the LAST plugin: at ``finalized`` every other plugin has written its files,
so the manifest covers the whole output and nothing changes after the mtimes are fixed.
It also leaves in the cache folder the record of what the release changed (``portal.publish.CHANGES``)
for the next publish's ``stage``; a build straight into the folder that record describes (a
development build into the live output) removes it first.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path

from pelican import signals

from portal.epoch import build_clock
from portal.forked import IDLE
from portal.publish import CHANGES, forget_changes
from portal.release import finish, read_ahead

from .settings import validate

logger = logging.getLogger(__name__)


def check_settings(pelican) -> None:
    """Fail early on an unknown ``PORTAL_RELEASE_*`` setting; forget a record of this output's last release.

    A build that writes into the folder the record describes (not into a stage) could leave it
    changed without a release, and the record would no longer say what that folder holds.
    """
    validate(pelican.settings)
    forget_changes(Path(pelican.settings["CACHE_PATH"]) / CHANGES, Path(pelican.output_path))


def _digests(settings) -> Path:
    return Path(settings["CACHE_PATH"]) / "release-digests.pickle"


def read_digests_ahead(generators) -> None:
    """Have the last release's digests read while the build waits for a child (``portal.forked.IDLE``)."""
    if generators:
        IDLE["release-digests"] = functools.partial(read_ahead, _digests(generators[0].settings))


def finish_release(pelican) -> None:
    """Make the output a release: same commit and content, same bytes and mtimes."""
    values = validate(pelican.settings)
    clock = build_clock(pelican)
    version = finish(
        Path(pelican.output_path),
        clock.epoch,
        clock.commit,
        compress=values["PORTAL_RELEASE_PRECOMPRESS"],
        cache=_digests(pelican.settings),
        changes=Path(pelican.settings["CACHE_PATH"]) / CHANGES,
    )
    logger.info("portal_release: bản dựng %s", version.build_id)


def register() -> None:
    """Connect the handlers; this plugin is last in ``PLUGINS``."""
    signals.initialized.connect(check_settings)
    signals.all_generators_finalized.connect(read_digests_ahead)
    signals.finalized.connect(finish_release)
