"""Defaults and validation of portal_assets' settings; unknown ``PORTAL_ASSETS_*`` fail."""

from __future__ import annotations

from portal.settings import plugin_values

DEFAULTS = {
    # The output folder of the theme's static files (Pelican's THEME_STATIC_DIR), whose CSS, JS,
    # fonts and images are fingerprinted.
    "PORTAL_ASSETS_FOLDER": "theme",
}
PREFIX = "PORTAL_ASSETS_"


class AssetsSettingsError(SystemExit):
    """A setting of portal_assets is unknown or contradicts Pelican's (exits with the message)."""


def validate(settings) -> dict:
    """Return this plugin's settings (defaults filled in) without changing ``settings``."""
    values = plugin_values(settings, "portal_assets", PREFIX, DEFAULTS, AssetsSettingsError)
    static = settings.get("THEME_STATIC_DIR", "theme")
    if values["PORTAL_ASSETS_FOLDER"] != static:
        raise AssetsSettingsError(
            f"portal_assets: PORTAL_ASSETS_FOLDER ({values['PORTAL_ASSETS_FOLDER']!r}) phải là thư mục "
            f"Pelican chép tệp tĩnh của giao diện vào, THEME_STATIC_DIR ({static!r})"
        )
    return values
