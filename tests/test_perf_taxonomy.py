"""portal_perf's linear taxonomy lists equal Pelican's list scans, item for item."""

from __future__ import annotations

import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "plugins"))
from portal_perf.taxonomy import Order  # noqa: E402


class _Item:
    """An object equal only to itself, as Pelican's articles."""


def _scan(ordered, members):
    """Pelican's ``[a for a in ordered if a in members]``."""
    return [item for item in ordered if item in members]


def test_picked_items_follow_the_list_and_equal_pelicans_scan():
    rng = random.Random(7)
    ordered = [_Item() for _ in range(300)]
    order = Order(ordered)
    for size in (0, 1, 5, 40, 300):
        members = rng.sample(ordered, size) + [_Item()]  # one item that is not in the list
        members += members[:2]  # members listed twice count once
        assert order.pick(members) == _scan(ordered, members)


def test_a_list_holding_an_item_twice_still_equals_the_scan():
    items = [_Item() for _ in range(5)]
    ordered = [*items, items[1]]
    assert Order(ordered).pick([items[1], items[3]]) == _scan(ordered, [items[1], items[3]])
