"""Vietnamese text smells: legacy-encoding mojibake, new-style tone marks, invisible characters.

Pure functions over strings, used by the content rules (``portal/rules.py``). The facts behind
them are in ``../shared/VIETNAMESE.md``.
"""

from __future__ import annotations

import re

# Latin-1 characters that Vietnamese text never holds. TCVN3 (ABC, ".VnTime") puts its letters
# on these code points ("ChÝnh phñ"), VNI writes tones as a second byte ("Vieät", "phuû").
_LEGACY = "¡¢¤¥¦¨ª¬®¯±²³´µ¶·¸¹º»¼½¾¿ÄÅÆÇËÎÏÐÑÖ×ØÛÜÞßäåæçëîïðñöøûüþÿ"
_LEGACY_WORD = re.compile(rf"[A-Za-z\u00c0-\u00ff]*[A-Za-z][{_LEGACY}][A-Za-z\u00c0-\u00ff]*")
# Upper-case accented Latin-1 letter right after a lower-case one: TCVN3's "ChÝnh", "Tæng".
_TCVN3_CASE = re.compile(r"[a-z][ÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝ][a-z]")
# UTF-8 read as Windows-1252, then saved again: "Viá»‡t", "Ä‘", "Æ°".
_DOUBLE_UTF8 = re.compile(r"(?:Ã[\u0080-\u00bf\u2018-\u203a\u0152-\u0178]|á[»º]|Ä[‘\u0091]|Æ[°¡¯])")
LEGACY_WORDS_FOR_ERROR = 2

INVISIBLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")

# New-style tone placement on the open syllables oa, oe, uy ("hoà", "khoẻ", "thuý") ending a
# word; not after "q", where "u" belongs to the consonant ("quý" is right in both styles).
_NEW_STYLE = re.compile(r"[oOuU][àáảãạèéẻẽẹỳýỷỹỵÀÁẢÃẠÈÉẺẼẸỲÝỶỸỴ](?!\w)")  # filtered below
_PAIRS = re.compile(r"[oO][àáảãạèéẻẽẹÀÁẢÃẠÈÉẺẼẸ]|[uU][ỳýỷỹỵỲÝỶỸỴ]")
_OLD_STYLE = {
    "à": "òa",
    "á": "óa",
    "ả": "ỏa",
    "ã": "õa",
    "ạ": "ọa",
    "è": "òe",
    "é": "óe",
    "ẻ": "ỏe",
    "ẽ": "õe",
    "ẹ": "ọe",
    "ỳ": "ùy",
    "ý": "úy",
    "ỷ": "ủy",
    "ỹ": "ũy",
    "ỵ": "ụy",
}


_ANY_LEGACY = re.compile(rf"[{_LEGACY}ÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝ]")  # one class: a fast scan


def may_be_legacy(text: str) -> bool:
    """Whether ``text`` holds any character legacy-encoded text shows (a fast pre-filter)."""
    return bool(_ANY_LEGACY.search(text))


def legacy_words(line: str) -> list[str]:
    """Return the words of ``line`` that look like TCVN3 or VNI text shown as Latin-1."""
    words = [m.group(0) for m in _LEGACY_WORD.finditer(line)]
    words += [m.group(0) for m in _TCVN3_CASE.finditer(line)]
    return words


def is_double_utf8(line: str) -> bool:
    """Whether ``line`` holds UTF-8 Vietnamese decoded as Windows-1252 ("Viá»‡t Nam")."""
    return bool(_DOUBLE_UTF8.search(line))


def new_style_tones(line: str) -> list[tuple[str, str]]:
    """Return ``(word, house_style_word)`` for every new-style tone mark in ``line``."""
    return [(word, fixed) for _, word, fixed in new_style_matches(line)]


def new_style_matches(text: str) -> list[tuple[int, str, str]]:
    """Return ``(offset, word, house_style_word)`` for every new-style tone mark in ``text``."""
    found = []
    for match in _NEW_STYLE.finditer(text):
        start = match.start()
        if not _PAIRS.fullmatch(match.group(0)) or (start and text[start - 1] in "qQ"):
            continue
        while start and (text[start - 1].isalnum() or text[start - 1] == "_"):
            start -= 1
        head, pair = text[start : match.start()], match.group(0)
        found.append((start, head + pair, head + _retone(pair, _OLD_STYLE[pair[1].lower()])))
    return found


def _retone(pair: str, old: str) -> str:
    """Keep each letter's case: ``pair`` "oà" becomes "òa", "OÀ" becomes "ÒA"."""
    first, second = old[0], old[1]
    first = first.upper() if pair[0].isupper() else first.lower()
    second = second.upper() if pair[1].isupper() else second.lower()
    return first + second


def invisible_characters(text: str) -> list[str]:
    """Return the code points (``U+200B``) of control and invisible characters in ``text``."""
    return sorted({f"U+{ord(ch):04X}" for ch in INVISIBLE.findall(text)})
