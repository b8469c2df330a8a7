"""Defaults and validation of portal_assets' settings; unknown ``PORTAL_ASSETS_*`` fail."""

from __future__ import annotations

DEFAULTS = {
    "PORTAL_ASSETS_FOLDER": "theme",  # output folder whose CSS, JS, fonts and images are fingerprinted
}
PREFIX = "PORTAL_ASSETS_"


class AssetsSettingsError(SystemExit):
    """A setting of portal_assets is unknown (exits with the message)."""


def validate(settings) -> dict:
    """Return this plugin's settings (defaults filled in) without changing ``settings``."""
    unknown = sorted(k for k in settings if k.startswith(PREFIX) and k not in DEFAULTS)
    if unknown:
        raise AssetsSettingsError(f"portal_assets: unknown settings {', '.join(unknown)}")
    return {key: settings.get(key, default) for key, default in DEFAULTS.items()}
