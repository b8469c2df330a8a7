"""Gives the templates the theme's fingerprinted asset names and SRI digests, and writes those files."""

from __future__ import annotations

import logging

from pelican import signals

from portal.assets import AssetMap, theme_assets

from .settings import validate

logger = logging.getLogger(__name__)


def check_settings(pelican) -> None:
    """Fail early on an unknown ``PORTAL_ASSETS_*`` setting."""
    validate(pelican.settings)


def asset_map(settings) -> AssetMap:
    """Return the map of the theme's assets, as the static generator copies them to the output."""
    return theme_assets(
        settings["THEME"],
        settings["THEME_STATIC_PATHS"],
        validate(settings)["PORTAL_ASSETS_FOLDER"],
        settings["IGNORE_FILES"],
    )


def add_filters(generator) -> None:
    """Give the templates ``fingerprinted`` and ``integrity``, which take an asset's output name.

    ``{{ SITEURL }}/{{ "theme/css/portal.css" | fingerprinted }}`` is the fingerprinted file's URL,
    ``{{ "theme/css/portal.css" | integrity }}`` its SRI digest: every page comes out of the
    renderer pointing at the fingerprinted files, and none is read again after it is written.
    The names in the templates are constants, so Jinja calls the filters once, when it compiles a
    template (``generator_init`` comes before any is loaded): a page costs nothing more to render.
    """
    env = getattr(generator, "env", None)
    if env is None:
        return
    assets = asset_map(generator.settings)
    env.filters.update(fingerprinted=assets.fingerprinted, integrity=assets.integrity)


def write_assets(pelican) -> None:
    """Write the fingerprinted copies of the theme's assets (files with the same bytes are left alone)."""
    assets = asset_map(pelican.settings)
    assets.write(pelican.output_path)
    logger.info("portal_assets: %d tệp tài nguyên được gắn dấu vân tay", len(assets.files))


def register() -> None:
    """Connect the handlers: the filters for every generator's templates, the files at ``finalized``."""
    signals.initialized.connect(check_settings)
    signals.generator_init.connect(add_filters)
    signals.finalized.connect(write_assets)
