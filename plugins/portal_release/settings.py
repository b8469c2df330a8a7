"""Defaults and validation of portal_release's settings; unknown ``PORTAL_RELEASE_*`` fail."""

from __future__ import annotations

DEFAULTS = {
    "PORTAL_RELEASE_PRECOMPRESS": True,  # .gz and .br siblings of text files (off in development)
}
PREFIX = "PORTAL_RELEASE_"


class ReleaseSettingsError(SystemExit):
    """A setting of portal_release is unknown (exits with the message)."""


def validate(settings) -> dict:
    """Return this plugin's settings (defaults filled in) without changing ``settings``."""
    unknown = sorted(k for k in settings if k.startswith(PREFIX) and k not in DEFAULTS)
    if unknown:
        raise ReleaseSettingsError(f"portal_release: unknown settings {', '.join(unknown)}")
    return {key: settings.get(key, default) for key, default in DEFAULTS.items()}
