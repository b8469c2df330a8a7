"""Defaults and validation of the settings portal_theme reads; unknown ``PORTAL_THEME_*`` fail."""

from __future__ import annotations

from portal.pagination import RADIUS
from portal.settings import plugin_values

DEFAULTS = {
    "PORTAL_THEME_HOME_PER_SECTION": 4,  # latest articles of each section on the home page
    "PORTAL_THEME_ANNOUNCEMENTS": 5,  # items of the "Thông báo" block on the home page
    "PORTAL_THEME_PAGINATION_RADIUS": RADIUS,  # page numbers shown either side of the current one
    # Services a static portal cannot run (questions, comments on drafts): page slug → (name, URL)
    "PORTAL_THEME_SERVICES": {},
}
PREFIX = "PORTAL_THEME_"


class ThemeSettingsError(SystemExit):
    """A setting of portal_theme is unknown or malformed (exits with the message, no traceback)."""


def validate(settings) -> dict:
    """Return this plugin's settings (defaults filled in) without changing ``settings``."""
    values = plugin_values(settings, "portal_theme", PREFIX, DEFAULTS, ThemeSettingsError)
    for key in (
        "PORTAL_THEME_HOME_PER_SECTION",
        "PORTAL_THEME_ANNOUNCEMENTS",
        "PORTAL_THEME_PAGINATION_RADIUS",
    ):
        if not isinstance(values[key], int) or values[key] < 1:
            raise ThemeSettingsError(f"portal_theme: {key} must be a positive whole number")
    services = values["PORTAL_THEME_SERVICES"]
    if not isinstance(services, dict) or any(
        not isinstance(pair, (tuple, list)) or len(pair) != 2 or not str(pair[1]).startswith("https://")
        for pair in services.values()
    ):
        raise ThemeSettingsError(
            "portal_theme: PORTAL_THEME_SERVICES maps a page slug to (name, https:// URL)"
        )
    return values
