"""Defaults and validation of portal_security's settings; unknown ``PORTAL_SECURITY_*`` fail."""

from __future__ import annotations

from portal.settings import plugin_values

DEFAULTS = {
    # Contact URIs of security.txt; empty means "mailto:" the AGENCY email.
    "PORTAL_SECURITY_CONTACT": [],
    "PORTAL_SECURITY_TXT_DAYS": 180,  # Expires = build epoch + this many days (under a year)
    "PORTAL_SECURITY_POLICY_URL": "",
    "PORTAL_SECURITY_LANGUAGES": "vi, en",
    "PORTAL_SECURITY_CSP": {},  # directive → sources; pelicanconf.py holds the portal's policy
    "PORTAL_SECURITY_HEADERS": {},  # header → value, besides CSP and Permissions-Policy
}
PREFIX = "PORTAL_SECURITY_"


class SecuritySettingsError(SystemExit):
    """A setting of portal_security is unknown or malformed (exits with the message)."""


def validate(settings) -> dict:
    """Return this plugin's settings (defaults filled in) without changing ``settings``."""
    values = plugin_values(settings, "portal_security", PREFIX, DEFAULTS, SecuritySettingsError)
    if not isinstance(values["PORTAL_SECURITY_TXT_DAYS"], int):
        raise SecuritySettingsError("portal_security: PORTAL_SECURITY_TXT_DAYS must be an integer")
    return values
