"""Work a build repeats thousands of times, done once: content URLs and rendered article cards.

- Pelican recomputes ``article.url`` and ``save_as`` on every access (a ``str.format`` over a copy
  of the metadata and a ``relpath``); listing pages ask for each article's URL many times. Once
  every generator is finalised the URLs are fixed, so from then on each object keeps its answers.
- The theme's card macro rendered the same article's card on every listing, tag, author and
  neighbour list it appears in. ``portal_memo`` (a Jinja global used with ``{% call %}``) renders
  a block once per key and reuses the markup for the rest of the build.
"""

from __future__ import annotations

from itertools import chain

from pelican.contents import Content

_original_get_url_setting = Content.get_url_setting
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


def _get_url_setting(self, key: str) -> str:
    cache = self.__dict__.get(CACHE_ATTRIBUTE)
    if cache is None:
        return _original_get_url_setting(self, key)
    if key not in cache:
        cache[key] = _original_get_url_setting(self, key)
    return cache[key]


def install_url_cache() -> None:
    """Route ``Content.get_url_setting`` through the per-object cache (inactive until frozen)."""
    Content.get_url_setting = _get_url_setting


def freeze_urls(generators) -> None:
    """From now on, articles and pages remember their URLs (nothing changes them any more)."""
    for generator in generators:
        lists = [getattr(generator, name, None) or [] for name in CONTENT_LISTS]
        for content in chain.from_iterable(lists):
            if isinstance(content, Content):
                content.__dict__[CACHE_ATTRIBUTE] = {}


class Memo:
    """Rendered blocks of one build, by key; cleared when a build starts."""

    def __init__(self) -> None:
        self.blocks: dict[tuple, object] = {}

    def clear(self) -> None:
        """Forget every block (a new build)."""
        self.blocks.clear()

    def __call__(self, name: str, item, *args, caller):
        """Return the block for ``(name, item, *args)``, rendering it with ``caller`` the first time.

        ``item`` counts by identity: the same article object renders the same card.
        """
        key = (name, id(item), *args)
        if key not in self.blocks:
            self.blocks[key] = (item, caller())  # the item is held so its id stays its own
        return self.blocks[key][1]


MEMO = Memo()
