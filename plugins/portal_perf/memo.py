"""Work a build repeats thousands of times, done once: content URLs and rendered article cards.

- Pelican recomputes ``article.url`` and ``save_as`` on every access (a ``str.format`` over a copy
  of the metadata and a ``relpath``, whatever fields the pattern uses); reading, the collision
  check and the taxonomy ask for them thousands of times. ``_expand_settings`` now gathers only
  the fields the pattern names (the same values, computed the same way), so the ``relpath`` runs
  only for a pattern with ``{path}``. Once every generator is finalised the URLs are fixed, so
  from then on each object also keeps its answers.
- The theme's card macro rendered the same article's card on every listing, tag, author and
  neighbour list it appears in. ``portal_memo`` (a Jinja global used with ``{% call %}``) renders
  a block once per key and reuses the markup for the rest of the build.
"""

from __future__ import annotations

import datetime
import threading
from itertools import chain
from string import Formatter

from pelican.contents import Article, Content, Page
from pelican.utils import path_to_url

_original_get_url_setting = Content.get_url_setting
_original_expand_settings = Content._expand_settings
# Pelican's own subclasses choose their settings' prefix by their status alone (draft or not).
_BY_STATUS = (Article.__dict__["_expand_settings"], Page.__dict__["_expand_settings"])
# Set while ``_url_plan`` asks ``_expand_settings`` for a pattern, not a URL (in its thread only).
_PROBING = threading.local()
_URL_FORMAT = Content.__dict__["url_format"]
CACHE_ATTRIBUTE = "_portal_url_cache"
CONTENT_LISTS = [  # the lists of articles and pages the generators keep
    "articles",
    "translations",
    "hidden_articles",
    "hidden_translations",
    "drafts",
    "drafts_translations",
    "pages",
    "hidden_pages",
    "draft_pages",
    "draft_translations",
]


_FIELDS: dict[str, tuple[str, ...] | None] = {}  # pattern → the names it formats
_MISSING = object()


def pattern_fields(pattern: str) -> tuple[str, ...] | None:
    """Return the names a URL pattern formats (``{date:%Y}`` → ``date``).

    ``None`` when the pattern is not made of plain named fields (positional, nested in a format spec).
    """
    fields = _FIELDS.get(pattern, False)
    if fields is False:
        names = []
        for _, field, spec, _ in Formatter().parse(pattern):
            if field is None:
                continue
            root = field.split(".", 1)[0].split("[", 1)[0]
            if not root.isidentifier() or (spec and "{" in spec):
                names = None
                break
            names.append(root)
        fields = _FIELDS[pattern] = None if names is None else tuple(dict.fromkeys(names))
    return fields


def _field(content: Content, name: str):
    """One value of Pelican's ``url_format``: the metadata, with six names computed."""
    if name == "path":
        metadata = content.metadata
        return path_to_url(metadata["path"] if "path" in metadata else content.get_relative_source_path())
    if name == "slug":
        return getattr(content, "slug", "")
    if name == "lang":
        return getattr(content, "lang", "en")
    if name == "date":
        return content.date if hasattr(content, "date") else datetime.datetime.now()
    if name in ("author", "category"):
        return getattr(content, name).slug if hasattr(content, name) else ""
    return content.metadata.get(name, _MISSING)


def _expand_settings(self, key: str, klass: str | None = None) -> str:
    """Pelican's ``Content._expand_settings``, formatting only the fields its pattern names."""
    if type(self).url_format is not _URL_FORMAT:  # a subclass computes its own values
        return _original_expand_settings(self, key, klass)
    pattern = str(self.settings[f"{klass or self.__class__.__name__}_{key}".upper()])
    if getattr(_PROBING, "on", False):
        return pattern
    fields = pattern_fields(pattern)
    if fields is None:
        return _original_expand_settings(self, key, klass)
    values = {name: _field(self, name) for name in fields}
    # A name missing from the metadata is left out: ``format`` raises Pelican's KeyError.
    return pattern.format(**{name: value for name, value in values.items() if value is not _MISSING})


def _get_url_setting(self, key: str) -> str:
    cache = self.__dict__.get(CACHE_ATTRIBUTE)
    if cache is None:
        return _original_get_url_setting(self, key)
    if key not in cache:
        cache[key] = _original_get_url_setting(self, key)
    return cache[key]


def install_url_cache() -> None:
    """Format URLs from the fields they use.

    Also route ``Content.get_url_setting`` through the per-object cache (inactive until frozen).
    """
    Content._expand_settings = _expand_settings
    Content.get_url_setting = _get_url_setting


def freeze_urls(generators) -> None:
    """From now on, articles and pages remember their URLs (nothing changes them any more).

    Each one's ``url`` and ``save_as`` are made now: the build asks for both of every content it
    writes, and a child forked later (``portal_perf.beside``) finds them made, not to be made again.
    Both are formatted from one gathering of the fields their patterns name (``_both_urls``).
    """
    patterns: dict[tuple, tuple | None] = {}
    for generator in generators:
        lists = [getattr(generator, name, None) or [] for name in CONTENT_LISTS]
        for content in chain.from_iterable(lists):
            if isinstance(content, Content):
                content.__dict__[CACHE_ATTRIBUTE] = _both_urls(content, patterns)


_KEYS = ("url", "save_as")


def _both_urls(content: Content, patterns: dict) -> dict[str, str]:
    """Return ``{"url": …, "save_as": …}`` as Pelican's ``get_url_setting`` makes them.

    ``patterns`` keeps, per class, status, language and settings, the two patterns and the fields
    they name. A content with an ``override_`` attribute, a ``url_format`` of its own, a class that
    chooses its patterns otherwise or a pattern of another shape takes Pelican's way; a URL that
    cannot be made is left out (asked for again, it raises where it is asked for).
    """
    kind = type(content)
    default = getattr(content, "in_default_lang", None)
    shape = (kind, getattr(content, "status", None), default, id(content.settings))
    plan = patterns.get(shape, False)
    if plan is False:
        plan = patterns[shape] = _url_plan(content, default)
    if plan is None or hasattr(content, "override_url") or hasattr(content, "override_save_as"):
        return _each_url(content)
    fields, formats = plan
    values = {}
    for name in fields:
        value = _field(content, name)
        if value is not _MISSING:
            values[name] = value
    made = {}
    for key, pattern in formats:
        try:
            made[key] = pattern.format(**values)
        except Exception:  # noqa: BLE001, S112 (not kept: raised again where it is asked for)
            continue
    return made


def _url_plan(content: Content, default) -> tuple | None:
    """Return the fields of both URL patterns of ``content``'s kind and the patterns, or ``None``.

    The patterns are the ones Pelican's ``_expand_settings`` of the content's class picks (an
    article's ``ARTICLE_`` or ``DRAFT_`` settings by its status), asked for without formatting.
    """
    kind = type(content)
    chooser = kind._expand_settings
    if (
        kind.url_format is not _URL_FORMAT
        or kind.get_url_setting is not _get_url_setting
        or (chooser is not _expand_settings and chooser not in _BY_STATUS)
        or not isinstance(default, bool)
    ):
        return None
    formats, fields = [], []
    for key in _KEYS:
        _PROBING.on = True
        try:
            pattern = content._expand_settings(key if default else f"lang_{key}")
        except Exception:  # noqa: BLE001 (a setting missing: Pelican's way raises it)
            return None
        finally:
            _PROBING.on = False
        named = pattern_fields(pattern)
        if named is None:
            return None
        formats.append((key, pattern))
        fields.extend(named)
    return tuple(dict.fromkeys(fields)), tuple(formats)


def _each_url(content: Content) -> dict[str, str]:
    """Return both URLs of ``content`` made one by one, the way Pelican makes them."""
    made = {}
    for key in _KEYS:
        try:
            made[key] = _original_get_url_setting(content, key)
        except Exception:  # noqa: BLE001, S112 (not kept: raised again where it is asked for)
            continue
    return made


class Memo:
    """Rendered blocks of one build, by key; cleared when a build starts.

    A block is held as UTF-8 (with its type, ``Markup`` or ``str``): a card is mostly ASCII
    markup, which a Python string holding Vietnamese letters stores in two bytes a character.
    At 10,000 articles a process rendering pages held about 40 MB of cards as strings.
    """

    def __init__(self) -> None:
        self.blocks: dict[tuple, tuple] = {}

    def clear(self) -> None:
        """Forget every block (a new build)."""
        self.blocks.clear()

    def __call__(self, name: str, item, *args, caller):
        """Return the block for ``(name, item, *args)``, rendering it with ``caller`` the first time.

        ``item`` counts by identity: the same article object renders the same card.
        """
        key = (name, id(item), *args)
        found = self.blocks.get(key)
        if found is None:
            block = caller()
            # The item is held so that its id stays its own.
            self.blocks[key] = (item, type(block), block.encode("utf-8", "surrogatepass"))
            return block
        return found[1](found[2].decode("utf-8", "surrogatepass"))


MEMO = Memo()
