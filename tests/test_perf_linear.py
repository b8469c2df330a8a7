"""portal_perf's linear replacements of Pelican's quadratic steps give Pelican's own results."""

from __future__ import annotations

import random
import sys
from pathlib import Path

from pelican.utils import process_translations

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "plugins"))

from portal_perf.translations import linear_process_translations  # noqa: E402


class Item:
    """What ``process_translations`` reads of a content object (identity equality, like Content)."""

    def __init__(self, number: int, slug: str, lang: str, translation: str | None):
        self.number, self.slug, self.lang = number, slug, lang
        self.in_default_lang = lang == "vi"
        self.metadata = {} if translation is None else {"translation": translation}
        self.source_path = f"bai-{number}.md"

    def __repr__(self) -> str:
        return f"Item({self.number}, {self.slug!r}, {self.lang!r})"


def _items(seed: int) -> list[Item]:
    rng = random.Random(seed)
    items = []
    for number in range(400):
        slug = f"bai-{rng.randrange(250)}"  # many slugs shared: translations and duplicates
        items.append(Item(number, slug, rng.choice(["vi", "vi", "en"]), rng.choice([None, "true", "false"])))
    return items


def _numbers(items) -> list[int]:
    return [item.number for item in items]


def test_linear_translations_equal_pelicans_own():
    for seed in range(5):
        theirs, ours = _items(seed), _items(seed)
        index, translations = process_translations(theirs, translation_id="slug")
        linear_index, linear_translations = linear_process_translations(ours, translation_id="slug")
        assert _numbers(linear_index) == _numbers(index)
        assert _numbers(linear_translations) == _numbers(translations)
        assert translations  # the case is not trivial: some items are translations
        for mine, pelicans in zip(ours, theirs, strict=True):
            assert _numbers(mine.translations) == _numbers(pelicans.translations)
    assert linear_process_translations(_items(0), translation_id=None)[1] == []
