"""Vietnamese text primitives: NFC normalisation, folding, slugs, collation and dates.

Pure functions with no Pelican import, shared by the plugins, ``tasks.py``, the tests and
``bench/``. The facts they encode are in ``../shared/VIETNAMESE.md``.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from zoneinfo import ZoneInfo

from unidecode import unidecode

TIMEZONE = ZoneInfo("Asia/Ho_Chi_Minh")

WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật")

# The Vietnamese alphabet in order, with the four letters of loan words at their Latin places.
ALPHABET = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
_LETTER_RANK = {letter: rank for rank, letter in enumerate(ALPHABET)}

# Combining marks that make a new letter (ă â ê ô ơ ư) rather than a tone.
_BREVE, _CIRCUMFLEX, _HORN = "\u0306", "\u0302", "\u031b"
_LETTER_MARKS = {_BREVE, _CIRCUMFLEX, _HORN}
# Tones in dictionary order: ngang (none) < huyền < hỏi < ngã < sắc < nặng.
_TONE_RANK = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}

_NON_SLUG = re.compile(r"[^a-z0-9]+")


def nfc(text: str) -> str:
    """Return ``text`` in Unicode NFC, the form every string of the portal is kept in."""
    return unicodedata.normalize("NFC", text)


def fold(text: str) -> str:
    """Fold for matching: drop tone and letter marks, map đ to d, casefold.

    ``"Phòng, chống tham nhũng"`` becomes ``"phong, chong tham nhung"``; ``"Đảng ủy"`` becomes
    ``"dang uy"`` (plain accent stripping would lose the ``Đ``, which has no decomposition).
    """
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return nfc(stripped).replace("đ", "d").replace("Đ", "D").casefold()


def slugify(text: str, separator: str = "-") -> str:
    """Return an ASCII slug: folded Vietnamese, other scripts transliterated, words joined.

    The signature matches Python-Markdown's ``toc`` ``slugify`` option, so heading anchors use
    the same rule as URLs.
    """
    ascii_text = unidecode(fold(text)).lower()
    return _NON_SLUG.sub(separator, ascii_text).strip(separator)


def _char_key(ch: str) -> tuple[int, int, int]:
    """Return (primary, tone, case) weights of one NFC character."""
    parts = unicodedata.normalize("NFD", ch)
    base, marks = parts[0], parts[1:]
    lower = base.lower()
    letter = lower + "".join(m for m in marks if m in _LETTER_MARKS)
    letter = unicodedata.normalize("NFC", letter)
    if letter == "đ" or lower == "đ":
        letter = "đ"
    tone = max((_TONE_RANK.get(m, 0) for m in marks), default=0)
    case = 0 if base == lower else 1
    if letter in _LETTER_RANK:
        return (200 + _LETTER_RANK[letter], tone, case)
    if ch.isspace():
        return (0, 0, 0)
    if ch.isdigit():
        return (100 + int(unicodedata.digit(ch, 0)), 0, 0)
    if not ch.isalnum():
        return (1, 0, ord(ch))
    return (1000 + ord(lower), tone, case)


def collation_key(text: str) -> tuple:
    """Sort key giving Vietnamese dictionary order (CLDR ``vi``).

    Letters compare first (a < ă < â, d < đ, o < ô < ơ, u < ư), then tones
    (ngang < huyền < hỏi < ngã < sắc < nặng), then case.
    """
    keys = [_char_key(ch) for ch in nfc(text)]
    return (
        tuple(k[0] for k in keys),
        tuple(k[1] for k in keys),
        tuple(k[2] for k in keys),
    )


def vi_sorted(items, key=None):
    """Return ``items`` sorted in Vietnamese order of ``key(item)`` (default: ``str(item)``)."""
    key = key or str
    return sorted(items, key=lambda item: collation_key(key(item)))


def local(moment: datetime) -> datetime:
    """Return ``moment`` in Asia/Ho_Chi_Minh (naive values are taken as already local)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=TIMEZONE)
    return moment.astimezone(TIMEZONE)


def format_datetime(moment: datetime) -> str:
    """Format as the portal shows dates: ``Thứ Năm, 26/11/2026 14:05``."""
    moment = local(moment)
    return f"{WEEKDAYS[moment.weekday()]}, {moment:%d/%m/%Y %H:%M}"


def format_date(moment) -> str:
    """Format a day as ``26/11/2026`` (documents' signing and effective dates)."""
    return f"{moment:%d/%m/%Y}"
