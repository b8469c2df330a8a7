"""Which page numbers a pagination bar shows: a small window, not every page of a long listing."""

from __future__ import annotations


def page_window(current: int, total: int, size: int = 2) -> list[int | None]:
    """Return the page numbers to show around ``current``; ``None`` marks a gap (…).

    The first and last pages are always there, with ``size`` pages each side of the current one:
    ``page_window(50, 500)`` is ``[1, None, 48, 49, 50, 51, 52, None, 500]``. Rendering every
    page number made each of the N pages of a listing list N links: quadratic at archive scale.
    """
    if total < 1:
        return []
    shown = {1, total, *range(max(1, current - size), min(total, current + size) + 1)}
    numbers: list[int | None] = []
    for number in sorted(shown):
        if numbers and number - numbers[-1] > 1:
            numbers.append(None if number - numbers[-1] > 2 else number - 1)
        numbers.append(number)
    return numbers
