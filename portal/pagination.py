"""A small window of page numbers, so a listing of 500 pages never renders 500 links."""

from __future__ import annotations

GAP = None  # stands for an ellipsis between numbers


def page_window(current: int, total: int, radius: int = 2) -> list[int | None]:
    """Return the page numbers to show: first, last, ``current`` ± ``radius``, gaps as ``None``.

    The result has at most ``2 * radius + 5`` items whatever ``total`` is.
    """
    if total <= 1:
        return []
    shown = {1, total, *range(max(1, current - radius), min(total, current + radius) + 1)}
    window: list[int | None] = []
    previous = 0
    for number in sorted(shown):
        if number - previous == 2:
            window.append(number - 1)  # a gap of one page: show the number, not an ellipsis
        elif number - previous > 2:
            window.append(GAP)
        window.append(number)
        previous = number
    return window
