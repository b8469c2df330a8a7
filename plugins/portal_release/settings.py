"""Defaults and validation of portal_release's settings; unknown ``PORTAL_RELEASE_*`` fail."""

from __future__ import annotations

from portal.settings import plugin_values

DEFAULTS = {
    "PORTAL_RELEASE_PRECOMPRESS": True,  # .gz and .br siblings of text files (off in development)
}
PREFIX = "PORTAL_RELEASE_"


class ReleaseSettingsError(SystemExit):
    """A setting of portal_release is unknown (exits with the message)."""


def validate(settings) -> dict:
    """Return this plugin's settings (defaults filled in) without changing ``settings``."""
    return plugin_values(settings, "portal_release", PREFIX, DEFAULTS, ReleaseSettingsError)
