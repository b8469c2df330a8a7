"""Settings of portal_checks: it reads the site's own (PATH, ARTICLE_PATHS, SECTIONS) and adds none.

Unknown ``PORTAL_CHECKS_*`` keys fail, so a misspelt setting is never silently ignored.
"""

from __future__ import annotations

DEFAULTS: dict = {}
PREFIX = "PORTAL_CHECKS_"


class ChecksSettingsError(SystemExit):
    """A setting of portal_checks is unknown (exits with the message, no traceback)."""


def validate(settings) -> dict:
    """Return this plugin's settings (defaults filled in) without changing ``settings``."""
    unknown = sorted(k for k in settings if k.startswith(PREFIX) and k not in DEFAULTS)
    if unknown:
        raise ChecksSettingsError(f"portal_checks: unknown settings {', '.join(unknown)}")
    return {key: settings.get(key, default) for key, default in DEFAULTS.items()}
