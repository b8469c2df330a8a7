"""Defaults and validation of the settings portal_content reads; unknown ``PORTAL_CONTENT_*`` fail."""

from __future__ import annotations

from portal.settings import plugin_values

DEFAULTS = {
    "PORTAL_STRICT": False,
    "PORTAL_FINDINGS_FILE": None,  # the preview server reads the build's findings from here
    "PORTAL_DOCUMENT_CACHE": True,  # parses cached by content hash in CACHE_PATH/documents
}
PREFIX = "PORTAL_CONTENT_"


class ContentSettingsError(SystemExit):
    """A setting of portal_content is unknown or malformed (exits with the message, no traceback)."""


def validate(settings) -> dict:
    """Return this plugin's settings (defaults filled in) without changing ``settings``."""
    plugin_values(settings, "portal_content", PREFIX, DEFAULTS, ContentSettingsError)  # unknown keys fail
    sections = settings.get("SECTIONS") or []
    if not sections or any(len(pair) != 2 for pair in sections):
        raise ContentSettingsError("portal_content: SECTIONS must be a list of (slug, name) pairs")
    return {key: settings.get(key, default) for key, default in DEFAULTS.items()}
