"""Defaults and validation of portal_api; unknown ``PORTAL_API_*`` keys fail."""

from __future__ import annotations

from portal.settings import plugin_values

DEFAULTS = {
    "PORTAL_API_PAGE_SIZE": 100,  # articles per page of api/v1/articles.json
}
PREFIX = "PORTAL_API_"


class ApiSettingsError(SystemExit):
    """A setting of portal_api is unknown or malformed (exits with the message, no traceback)."""


def validate(settings) -> dict:
    """Return this plugin's settings (defaults filled in) without changing ``settings``."""
    values = plugin_values(settings, "portal_api", PREFIX, DEFAULTS, ApiSettingsError)
    size = values["PORTAL_API_PAGE_SIZE"]
    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        raise ApiSettingsError("portal_api: PORTAL_API_PAGE_SIZE must be a positive integer")
    return values
