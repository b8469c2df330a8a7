"""Defaults and validation of portal_sitemap; unknown ``PORTAL_SITEMAP_*`` keys fail."""

from __future__ import annotations

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
    unknown = sorted(k for k in settings if k.startswith(PREFIX) and k not in DEFAULTS)
    if unknown:
        raise SitemapSettingsError(f"portal_sitemap: unknown settings {', '.join(unknown)}")
    values = {key: settings.get(key, default) for key, default in DEFAULTS.items()}
    limit = values["PORTAL_SITEMAP_MAX_URLS"]
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_URLS:
        raise SitemapSettingsError(f"portal_sitemap: PORTAL_SITEMAP_MAX_URLS must be 1 to {MAX_URLS}")
    values["PORTAL_SITEMAP_NEWS_NAME"] = values["PORTAL_SITEMAP_NEWS_NAME"] or settings.get(
        "SITENAME_SHORT", settings.get("SITENAME", "")
    )
    return values
