"""Defaults and validation of portal_feeds; unknown ``PORTAL_FEEDS_*`` keys and Pelican feeds fail."""

from __future__ import annotations

from portal.settings import plugin_values

DEFAULTS = {
    "PORTAL_FEEDS_LIMIT": 50,  # newest entries per feed
}
PREFIX = "PORTAL_FEEDS_"
# Pelican's own feed settings: every feed comes from feedgen here, so each must be off.
PELICAN_FEEDS = (
    "FEED_ATOM",
    "FEED_RSS",
    "FEED_ALL_ATOM",
    "FEED_ALL_RSS",
    "CATEGORY_FEED_ATOM",
    "CATEGORY_FEED_RSS",
    "TAG_FEED_ATOM",
    "TAG_FEED_RSS",
    "AUTHOR_FEED_ATOM",
    "AUTHOR_FEED_RSS",
    "TRANSLATION_FEED_ATOM",
    "TRANSLATION_FEED_RSS",
)


class FeedsSettingsError(SystemExit):
    """A setting of portal_feeds is unknown or malformed (exits with the message, no traceback)."""


def validate(settings) -> dict:
    """Return this plugin's settings (defaults filled in) without changing ``settings``."""
    plugin_values(settings, "portal_feeds", PREFIX, DEFAULTS, FeedsSettingsError)  # unknown keys fail
    duplicate = [k for k in PELICAN_FEEDS if settings.get(k)]
    if duplicate:
        raise FeedsSettingsError(
            f"portal_feeds: set {', '.join(duplicate)} = None: Pelican's own feeds would duplicate ours"
        )
    values = {key: settings.get(key, default) for key, default in DEFAULTS.items()}
    limit = values["PORTAL_FEEDS_LIMIT"]
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
        raise FeedsSettingsError("portal_feeds: PORTAL_FEEDS_LIMIT must be a positive integer")
    return values
