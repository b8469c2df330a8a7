"""Defaults and validation of portal_assets' settings; unknown ``PORTAL_ASSETS_*`` fail."""

from __future__ import annotations

from portal.settings import plugin_values

DEFAULTS = {
    "PORTAL_ASSETS_FOLDER": "theme",  # output folder whose CSS, JS, fonts and images are fingerprinted
}
PREFIX = "PORTAL_ASSETS_"


class AssetsSettingsError(SystemExit):
    """A setting of portal_assets is unknown (exits with the message)."""


def validate(settings) -> dict:
    """Return this plugin's settings (defaults filled in) without changing ``settings``."""
    return plugin_values(settings, "portal_assets", PREFIX, DEFAULTS, AssetsSettingsError)
