"""Listing pages cut from the oldest end (stable pagination), and small windows of page links.

A listing of ``n`` articles, ``p`` to a page, is cut from its oldest end: page 1 (``trang/1/``)
holds the oldest ``p`` articles, page 2 the next ``p``, and so on; the newest (``p`` to ``2p - 1``
of them) make its first page, at the listing's own URL. A new article changes that first page
only, and once every ``p`` articles makes one more numbered page and changes the few whose window
reaches the top. Numbered newest first, as Pelican does, every page of every listing an article
is in would shift by one article each time one is added: hundreds of pages rendered, compressed
and deployed again at archive scale, and a link to ``trang/37/`` showing other articles every
day. Here a full page never changes: a link to it keeps its meaning and caches keep it.

A window of page links stays small whatever the listing's size, so a listing of 500 pages never
renders 500 links.
"""

from __future__ import annotations

import itertools
import os
from typing import NamedTuple

GAP = None  # stands for an ellipsis between numbers
RADIUS = 2  # page links shown either side of the current page (``PORTAL_THEME_PAGINATION_RADIUS``)


class WindowLink(NamedTuple):
    """A link of a page's window: page ``number`` (0 for the first page), its URL, whether current."""

    number: int
    url: str
    current: bool


class StablePage:
    """One page of a listing cut from its oldest end (``stable_pages``); what templates read.

    Its attributes are all a page shows, and none depends on articles it does not list: a
    numbered page keeps its exact state (and so its render key) while articles are added above
    it. The first page alone holds ``count``, the listing's size.
    """

    def __init__(self, object_list: list, number: int | None, place: tuple[str, str], count: int | None):
        self.object_list = object_list
        self.number = number  # counted from the oldest page (1); ``None`` for the first page
        self.url, self.save_as = place
        self.count = count
        self.newer: str | None = None  # the URL of the page of newer articles
        self.older: str | None = None
        self.window: tuple[WindowLink | None, ...] = ()  # the links to show; ``GAP`` between them

    @property
    def front(self) -> bool:
        """Tell whether this is the listing's first page (its newest articles, at its own URL)."""
        return self.number is None

    def __repr__(self) -> str:
        return f"<StablePage {self.number or 'first'} at {self.url!r}>"


def stable_pages(  # noqa: PLR0913, PLR0917 (Pelican's paginator's arguments, and the window's)
    name: str, url: str, object_list: list, per_page: int, pattern: tuple[str, str], radius: int = RADIUS
) -> list[StablePage]:
    """Return a listing's pages, newest first: its first page, then numbered pages down to 1.

    ``object_list`` is newest first; ``pattern`` is the ``(URL, SAVE_AS)`` of a numbered page, with
    the fields of Pelican's ``PAGINATION_PATTERNS``. With ``n`` articles and ``p`` a page, the
    ``n // p - 1`` numbered pages hold ``p`` articles each, counted from the oldest; the first page
    holds the rest (``p`` to ``2p - 1`` articles, or all of them when there are fewer than ``2p``).
    """
    stem, extension = os.path.splitext(name)
    folder, file = os.path.split(name)
    fields = {
        "save_as": name,
        "url": url,
        "name": stem,
        "base_name": folder if file in {"index.htm", "index.html"} else stem,
        "extension": extension,
    }  # as Pelican's ``Page`` formats its patterns, a leading "/" dropped
    total = len(object_list)
    numbered = max(1, total // per_page) - 1
    first = total - numbered * per_page
    pages = [StablePage(object_list[:first], None, (url, name), total)]
    for number in range(numbered, 0, -1):
        start = total - number * per_page
        place = tuple(p.format(number=number, **fields).removeprefix("/") for p in pattern)
        pages.append(StablePage(object_list[start : start + per_page], number, place, None))
    for newer, older in itertools.pairwise(pages):
        newer.older, older.newer = older.url, newer.url
    for page in pages:
        current = page.number or 0
        links = []
        for number in stable_window(current, numbered, radius):
            at = numbered + 1 - number if number else 0  # where page ``number`` is in ``pages``
            links.append(GAP if number is GAP else WindowLink(number, pages[at].url, number == current))
        page.window = tuple(links)
    return pages


def stable_window(current: int, top: int, radius: int = RADIUS) -> list[int | None]:
    """Return the pages a page's window shows, newest first: 0 (the first page), numbers, ``GAP``s.

    ``current`` is the page's number (0 for the first page) and ``top`` the highest numbered
    page. The window shows the first page, page 1 (the oldest) and ``current`` ± ``radius``, the
    first page counting as the number above ``top``. Only a page within ``radius + 1`` of the top
    sees ``top`` in it, so adding articles leaves the windows of the pages below unchanged.
    """
    if top == 0:
        return []
    place = current or top + 1
    shown = sorted({1, *range(max(1, place - radius), min(top, place + radius) + 1)}, reverse=True)
    window: list[int | None] = [0]
    above = top + 1
    for number in shown:
        if above - number == 2:
            window.append(number + 1)  # a gap of one page: show the number, not an ellipsis
        elif above - number > 2:
            window.append(GAP)
        window.append(number)
        above = number
    return window


def numbered_pattern(settings) -> tuple[str, str]:
    """Return the ``(URL, SAVE_AS)`` pattern of a numbered page from Pelican's ``PAGINATION_PATTERNS``.

    It is the last rule for pages from 2 on; page 1 of a listing here is its oldest page, so the
    first page's own rule (its URL) is never used for a number.
    """
    rules = [rule for rule in settings["PAGINATION_PATTERNS"] if rule[0] > 1]
    if not rules:
        raise ValueError(
            "PAGINATION_PATTERNS: cần một mẫu cho các trang đánh số (min_page từ 2), "
            'ví dụ (2, "{base_name}/trang/{number}/", "{base_name}/trang/{number}/index.html")'
        )
    return rules[-1][1], rules[-1][2]
