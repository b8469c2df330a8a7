"""Defaults and validation of portal_sitemap; unknown ``PORTAL_SITEMAP_*`` keys fail."""

from __future__ import annotations

from portal.settings import plugin_values
from portal.sitemap import MAX_URLS

DEFAULTS = {
    "PORTAL_SITEMAP_MAX_URLS": MAX_URLS,  # URLs per sitemap file (the protocol's limit)
    "PORTAL_SITEMAP_NEWS_NAME": None,  # news:name of the publication; SITENAME_SHORT when None
}
PREFIX = "PORTAL_SITEMAP_"


class SitemapSettingsError(SystemExit):
    """A setting of portal_sitemap is unknown or malformed (exits with the message, no traceback)."""


def validate(settings) -> dict:
    """Return this plugin's settings (defaults filled in) without changing ``settings``."""
    values = plugin_values(settings, "portal_sitemap", PREFIX, DEFAULTS, SitemapSettingsError)
    limit = values["PORTAL_SITEMAP_MAX_URLS"]
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_URLS:
        raise SitemapSettingsError(f"portal_sitemap: PORTAL_SITEMAP_MAX_URLS must be 1 to {MAX_URLS}")
    values["PORTAL_SITEMAP_NEWS_NAME"] = values["PORTAL_SITEMAP_NEWS_NAME"] or settings.get(
        "SITENAME_SHORT", settings.get("SITENAME", "")
    )
    return values
