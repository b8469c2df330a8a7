"""Defaults and validation of portal_redirects; unknown ``PORTAL_REDIRECTS_*`` keys fail."""

from __future__ import annotations

from portal.settings import plugin_values

DEFAULTS = {
    # The nginx map include, inside the output so it ships (and switches) with each release;
    # deploy/nginx/redirects-server.conf keeps it from being served.
    "PORTAL_REDIRECTS_MAP": "_nginx/redirects.map",
}
PREFIX = "PORTAL_REDIRECTS_"


class RedirectsSettingsError(SystemExit):
    """A setting of portal_redirects is unknown or malformed (exits with the message, no traceback)."""


def validate(settings) -> dict:
    """Return this plugin's settings (defaults filled in) without changing ``settings``."""
    values = plugin_values(settings, "portal_redirects", PREFIX, DEFAULTS, RedirectsSettingsError)
    if not isinstance(values["PORTAL_REDIRECTS_MAP"], str) or not values["PORTAL_REDIRECTS_MAP"]:
        raise RedirectsSettingsError("portal_redirects: PORTAL_REDIRECTS_MAP must be a relative path")
    return values
