"""What every plugin does with its settings: defaults filled in, unknown keys refused.

A misspelt ``PORTAL_<PLUGIN>_*`` key would otherwise be ignored silently; here it stops the
build with a one-line message (the error classes are ``SystemExit``: no traceback).
"""

from __future__ import annotations


def unknown_keys(settings, prefix: str, defaults: dict) -> list[str]:
    """Return the keys of ``settings`` that start with ``prefix`` and are not in ``defaults``."""
    return sorted(k for k in settings if k.startswith(prefix) and k not in defaults)


def plugin_values(settings, plugin: str, prefix: str, defaults: dict, error: type[SystemExit]) -> dict:
    """Return ``defaults`` overridden by ``settings``; raise ``error`` naming any unknown key."""
    unknown = unknown_keys(settings, prefix, defaults)
    if unknown:
        raise error(f"{plugin}: unknown settings {', '.join(unknown)}")
    return {key: settings.get(key, default) for key, default in defaults.items()}
