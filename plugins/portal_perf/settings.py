"""Defaults and validation of the settings portal_perf reads; unknown ``PORTAL_PERF_*`` fail."""

from __future__ import annotations

from portal.settings import plugin_values

DEFAULTS = {
    "PORTAL_PERF_PRUNE": True,  # delete output files the build no longer makes (orphans)
    "PORTAL_PERF_RENDER_CACHE": True,  # skip rendering pages whose inputs are unchanged
    "PORTAL_PERF_ARTICLE_CACHE": True,  # keep read articles between builds (by their files' bytes)
    # Folders (besides theme/, plugins/, portal/ and the content's static files) whose files can
    # change a page without changing its context, e.g. built assets a template global reads.
    "PORTAL_PERF_EXTRA_INPUTS": [],
    # Pages to render from which the articles generator's pages are rendered by two processes (fork).
    "PORTAL_PERF_PARALLEL_MIN": 200,
    # Articles read again up to which a rebuild writes its feeds, API and sitemaps in a forked
    # process beside its article pages (``beside``); -1: never.
    "PORTAL_PERF_BESIDE_MAX": 100,
    # Digest again every article whose digests were taken back from the last build, and stop the
    # build if one differs (a plugin gave an article state derived from other articles): tests.
    "PORTAL_PERF_VERIFY_DIGESTS": False,
}
PREFIX = "PORTAL_PERF_"


class PerfSettingsError(SystemExit):
    """A setting of portal_perf is unknown or malformed (exits with the message, no traceback)."""


def validate(settings) -> dict:
    """Return this plugin's settings (defaults filled in) without changing ``settings``."""
    values = plugin_values(settings, "portal_perf", PREFIX, DEFAULTS, PerfSettingsError)
    extra = values["PORTAL_PERF_EXTRA_INPUTS"]
    if not isinstance(extra, list | tuple) or not all(isinstance(p, str) for p in extra):
        raise PerfSettingsError("portal_perf: PORTAL_PERF_EXTRA_INPUTS must be a list of folder paths")
    minimum = values["PORTAL_PERF_PARALLEL_MIN"]
    if not isinstance(minimum, int) or isinstance(minimum, bool) or minimum < 0:
        raise PerfSettingsError("portal_perf: PORTAL_PERF_PARALLEL_MIN must be a whole number ≥ 0")
    beside = values["PORTAL_PERF_BESIDE_MAX"]
    if not isinstance(beside, int) or isinstance(beside, bool) or beside < -1:
        raise PerfSettingsError("portal_perf: PORTAL_PERF_BESIDE_MAX must be a whole number ≥ -1")
    if not isinstance(values["PORTAL_PERF_VERIFY_DIGESTS"], bool):
        raise PerfSettingsError("portal_perf: PORTAL_PERF_VERIFY_DIGESTS must be True or False")
    return values
