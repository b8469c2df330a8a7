"""Settings of portal_checks: it reads the site's own (PATH, ARTICLE_PATHS, SECTIONS) and adds none.

Unknown ``PORTAL_CHECKS_*`` keys fail, so a misspelt setting is never silently ignored.
"""

from __future__ import annotations

from portal.settings import plugin_values

DEFAULTS: dict = {}
PREFIX = "PORTAL_CHECKS_"


class ChecksSettingsError(SystemExit):
    """A setting of portal_checks is unknown (exits with the message, no traceback)."""


def validate(settings) -> dict:
    """Return this plugin's settings (defaults filled in) without changing ``settings``."""
    return plugin_values(settings, "portal_checks", PREFIX, DEFAULTS, ChecksSettingsError)
