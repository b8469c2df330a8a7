"""Redirects from the old portal: every article's ``Legacy_url`` becomes a 301 in an nginx map.

``generate_context`` checks the values (before the build gate, so a bad one stops a strict
publish); ``generate_output`` writes the map that ``deploy/nginx/redirects-http.conf`` includes.
"""

from __future__ import annotations

import logging
import os
import time

from pelican import signals
from pelican.generators import Generator

from portal import redirects
from portal.entries import site_from_settings
from portal.output import write_output

from .settings import validate

logger = logging.getLogger(__name__)
FINDINGS_KEY = "PORTAL_FINDINGS"


def check_settings(pelican) -> None:
    """Fail early on an unknown or malformed setting."""
    validate(pelican.settings)


def _display(path: str) -> str:
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


def _oldest_first(article):
    """Of two articles claiming one old URL the older keeps it: it is the one the old portal had."""
    return (article.date, article.source_path)


class RedirectsGenerator(Generator):
    """Writes the nginx map of ``Legacy_url`` redirects (``_nginx/redirects.map``)."""

    def generate_context(self):
        """Resolve every published article's old URL; report unusable and duplicate ones."""
        started = time.perf_counter()
        site = site_from_settings(self.settings)
        items = [
            redirects.Legacy(
                path=_display(article.source_path),
                line=getattr(article, "field_lines", {}).get("legacy_url", 1),
                value=str(article.legacy_url),
                target=f"{site.path_prefix}/{article.url}",
            )
            for article in sorted(self.context.get("articles", []), key=_oldest_first)
            if getattr(article, "legacy_url", None)
        ]
        self.mapping, found = redirects.resolve(items)
        self.context.setdefault(FINDINGS_KEY, []).extend(found)
        for finding in found:
            logger.error("%s", finding.format(), extra={"limit_msg": None})
        self.elapsed = time.perf_counter() - started

    def generate_output(self, writer):
        """Write the map, even when empty, so nginx's include always finds it."""
        started = time.perf_counter() - self.elapsed
        path = validate(self.settings)["PORTAL_REDIRECTS_MAP"]
        write_output(self.output_path, path, redirects.nginx_map(self.mapping))
        logger.info(
            "portal_redirects: %d redirects in %s, in %.2f s",
            len(self.mapping),
            path,
            time.perf_counter() - started,
        )


def get_generators(pelican):
    """Add the redirects generator to Pelican's list."""
    return RedirectsGenerator


def register() -> None:
    """Connect the handlers."""
    signals.initialized.connect(check_settings)
    signals.get_generators.connect(get_generators)
