"""Defaults and validation of portal_api; unknown ``PORTAL_API_*`` keys fail."""

from __future__ import annotations

DEFAULTS = {
    "PORTAL_API_PAGE_SIZE": 100,  # articles per page of api/v1/articles.json
}
PREFIX = "PORTAL_API_"


class ApiSettingsError(SystemExit):
    """A setting of portal_api is unknown or malformed (exits with the message, no traceback)."""


def validate(settings) -> dict:
    """Return this plugin's settings (defaults filled in) without changing ``settings``."""
    unknown = sorted(k for k in settings if k.startswith(PREFIX) and k not in DEFAULTS)
    if unknown:
        raise ApiSettingsError(f"portal_api: unknown settings {', '.join(unknown)}")
    values = {key: settings.get(key, default) for key, default in DEFAULTS.items()}
    size = values["PORTAL_API_PAGE_SIZE"]
    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        raise ApiSettingsError("portal_api: PORTAL_API_PAGE_SIZE must be a positive integer")
    return values
