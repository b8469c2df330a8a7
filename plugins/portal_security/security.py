"""Defence in depth for content: sanitised bodies, plain-text metadata, safe JSON-LD, security.txt.

``portal_security`` is the first plugin: every article and page body is cleaned with nh3 as soon
as Pelican creates the content object, and every metadata string is made plain text so the
theme's autoescape applies to it. It reports no findings: ``invoke check`` (portal_checks) tells
editors about raw HTML; this plugin only makes sure nothing executable reaches a reader.
"""

from __future__ import annotations

import json
import logging
import os

from markupsafe import Markup
from pelican import signals

from portal.epoch import build_clock
from portal.output import write_output
from portal.sanitize import SANITIZED, own_host, plain_text
from portal.securitytxt import SecurityTxt, SecurityTxtError

from .settings import SecuritySettingsError, validate

logger = logging.getLogger(__name__)
SECURITY_TXT = ".well-known/security.txt"
_SCRIPT_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "'": "\\u0027",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


def check_settings(pelican) -> None:
    """Fail early on an unknown or malformed ``PORTAL_SECURITY_*`` setting; open the body cache."""
    validate(pelican.settings)
    folder = pelican.settings.get("CACHE_PATH")
    SANITIZED.open(os.path.join(folder, "sanitized.sqlite") if folder else None)


def save_sanitized(pelican) -> None:
    """Keep the build's sanitised bodies for the next build."""
    SANITIZED.save()


def sanitize_content(instance) -> None:
    """Clean the body with the allowlist and make every metadata string plain text."""
    host = own_host(instance.settings)
    if getattr(instance, "_content", None):
        instance._content, instance._portal_sanitized_key = SANITIZED.clean_keyed(instance._content, host)
    for key, value in list(instance.metadata.items()):
        cleaned = _plain(value)
        if cleaned is not value:
            instance.metadata[key] = cleaned
            if key != "summary" and isinstance(getattr(instance, key, None), str | list | tuple):
                setattr(instance, key, cleaned)
    summary = instance.metadata.get("summary")
    if isinstance(summary, str):
        instance._summary = summary


CONTENT_LISTS = (
    "articles",
    "translations",
    "drafts",
    "drafts_translations",
    "hidden_articles",
    "hidden_translations",
    "pages",
    "hidden_pages",
    "draft_pages",
    "draft_translations",
)


def keep_sanitized(generator) -> None:
    """Keep the cleaned bodies of the contents an earlier build's article cache gave back whole.

    Those are not read (nor cleaned) again, so without this the body cache would forget them at
    the end of the build and clean them all again once that cache no longer holds them (another
    version of the code). Each content carries its body's key (``_portal_sanitized_key``).
    """
    SANITIZED.keep(
        key
        for name in CONTENT_LISTS
        for content in getattr(generator, name, ())
        if (key := vars(content).get("_portal_sanitized_key")) is not None
    )


def _plain(value):
    if isinstance(value, str):
        cleaned = plain_text(value)
        return value if cleaned == value and not isinstance(value, Markup) else cleaned
    if isinstance(value, list | tuple) and any(isinstance(v, str) for v in value):
        items = [_plain(v) for v in value]
        return value if all(a is b for a, b in zip(items, value, strict=True)) else type(value)(items)
    return value


def tojson_script(value) -> Markup:
    """Jinja filter: JSON safe inside ``<script type="application/ld+json">`` (no ``</script>``)."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    for char, escape in _SCRIPT_ESCAPES.items():
        text = text.replace(char, escape)
    return Markup(text)  # noqa: S704 (every character that could end the block is escaped)


def add_filters(generator) -> None:
    """Expose ``tojson_script`` to the templates."""
    env = getattr(generator, "env", None)
    if env is not None:
        env.filters["tojson_script"] = tojson_script


def write_security_txt(pelican) -> None:
    """Write ``/.well-known/security.txt`` expiring a fixed time after the build's epoch."""
    values = validate(pelican.settings)
    settings = pelican.settings
    siteurl = settings.get("SITEURL") or "https://thanhtra.gov.vn"
    contact = values["PORTAL_SECURITY_CONTACT"] or [f"mailto:{settings['AGENCY']['email']}"]
    document = SecurityTxt(
        contact=tuple(contact),
        canonical=f"{siteurl}/{SECURITY_TXT}",
        preferred_languages=values["PORTAL_SECURITY_LANGUAGES"],
        policy=values["PORTAL_SECURITY_POLICY_URL"],
        lifetime_days=values["PORTAL_SECURITY_TXT_DAYS"],
    )
    try:
        text = document.render(build_clock(pelican).epoch)
    except SecurityTxtError as exc:
        raise SecuritySettingsError(f"portal_security: {exc}") from exc
    write_output(pelican.output_path, SECURITY_TXT, text)


def register() -> None:
    """Connect the handlers; this plugin is first in ``PLUGINS``."""
    signals.initialized.connect(check_settings)
    signals.content_object_init.connect(sanitize_content)
    signals.article_generator_finalized.connect(keep_sanitized)
    signals.page_generator_finalized.connect(keep_sanitized)
    signals.generator_init.connect(add_filters)
    signals.finalized.connect(write_security_txt)
    signals.finalized.connect(save_sanitized)
