"""Defaults and validation of the settings portal_search reads; unknown ``PORTAL_SEARCH_*`` fail."""

from __future__ import annotations

from portal.settings import plugin_values

DEFAULTS = {
    "PORTAL_SEARCH_DIR": "search",  # the page is DIR/index.html, the index files under DIR/
    "PORTAL_SEARCH_CHUNK_SIZE": 25,  # documents per file of titles and sapos
    "PORTAL_SEARCH_SHARD_BYTES": 6_000,  # aimed raw size of one postings shard
}
PREFIX = "PORTAL_SEARCH_"


class SearchSettingsError(SystemExit):
    """A setting of portal_search is unknown or malformed (exits with the message, no traceback)."""


def validate(settings) -> dict:
    """Return this plugin's settings (defaults filled in) without changing ``settings``."""
    found = plugin_values(settings, "portal_search", PREFIX, DEFAULTS, SearchSettingsError)
    folder = found["PORTAL_SEARCH_DIR"]
    if not isinstance(folder, str) or not folder.strip("/") or ".." in folder.split("/"):
        raise SearchSettingsError("portal_search: PORTAL_SEARCH_DIR must be a folder name like 'search'")
    for key in ("PORTAL_SEARCH_CHUNK_SIZE", "PORTAL_SEARCH_SHARD_BYTES"):
        if not isinstance(found[key], int) or found[key] < 1:
            raise SearchSettingsError(f"portal_search: {key} must be a positive integer")
    return found
