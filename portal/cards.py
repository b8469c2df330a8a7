"""Social cards: the 1200×630 Open Graph image of an article, drawn with Pillow and cached.

The card shows the portal's identity, the title in Vietnamese (Noto Sans, OFL, bundled with the
plugin, so diacritics never depend on the machine's fonts), the section and the date. Its name
carries a hash of everything drawn, so a card is drawn once and cached forever.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from .imaging import ImageCache, Variant

VERSION = "2"  # 2: baseline JPEG (progressive tripled the encoding time for 8 % fewer bytes)
SIZE = (1200, 630)
MARGIN = 72
RED, NAVY, GOLD, GREY, WHITE = "#a3121b", "#12284a", "#d9a400", "#4a5563", "#ffffff"
TITLE_SIZES = (64, 58, 52, 46, 40)
TITLE_LINES = 4


@dataclass(frozen=True)
class Card:
    """What one card shows (all plain text)."""

    title: str
    section: str
    date: str  # already formatted, e.g. "26/11/2026"
    agency: str
    site: str


@dataclass(frozen=True)
class Fonts:
    """The bundled font files (regular and bold)."""

    regular: str
    bold: str

    def digest(self) -> str:
        """Hash of the font files: a new font version redraws every card."""
        data = Path(self.regular).read_bytes() + Path(self.bold).read_bytes()
        return hashlib.sha256(data).hexdigest()


def card_key(card: Card, fonts_digest: str) -> str:
    """Return the content hash of a card: its text, the fonts and this module's version."""
    data = json.dumps([VERSION, SIZE, asdict(card), fonts_digest, Image.__version__], sort_keys=True)
    return hashlib.sha256(data.encode()).hexdigest()


@functools.lru_cache(maxsize=64)
def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    # BASIC layout: the text is NFC, every Vietnamese letter is one glyph, and the result does not
    # depend on whether libraqm is installed.
    return ImageFont.truetype(path, size, layout_engine=ImageFont.Layout.BASIC)


def wrap(text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Break ``text`` into lines no wider than ``width`` pixels (a too-long word stays whole)."""
    lines: list[str] = []
    for word in text.split():
        if lines and font.getlength(f"{lines[-1]} {word}") <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


def fit_title(title: str, fonts: Fonts, width: int) -> tuple[ImageFont.FreeTypeFont, list[str]]:
    """Return the largest font size that fits the title in four lines, cutting with … if none does."""
    for size in TITLE_SIZES:
        font = _font(fonts.bold, size)
        lines = wrap(title, font, width)
        if len(lines) <= TITLE_LINES:
            return font, lines
    lines = lines[:TITLE_LINES]
    while font.getlength(f"{lines[-1]} …") > width and " " in lines[-1]:
        lines[-1] = lines[-1].rsplit(" ", 1)[0]
    lines[-1] = f"{lines[-1]} …"
    return font, lines


@functools.lru_cache(maxsize=4)
def _frame(agency: str, site: str, fonts: Fonts) -> Image.Image:
    """Draw what every card of a site shares (band, identity, rules), drawn once per worker."""
    image = Image.new("RGB", SIZE, WHITE)
    pen = ImageDraw.Draw(image)
    pen.rectangle((0, 0, SIZE[0], 110), fill=RED)
    pen.text((MARGIN, 55), agency.upper(), font=_font(fonts.bold, 34), fill=WHITE, anchor="lm")
    pen.text((SIZE[0] - MARGIN, 55), site, font=_font(fonts.regular, 26), fill=WHITE, anchor="rm")
    pen.rectangle((MARGIN, 150, MARGIN + 8, 470), fill=GOLD)
    pen.line((MARGIN, 520, SIZE[0] - MARGIN, 520), fill="#d5d9e0", width=2)
    return image


def draw(card: Card, fonts: Fonts) -> Image.Image:
    """Draw the card: the site's frame, then the title, section and date."""
    image = _frame(card.agency, card.site, fonts).copy()
    pen = ImageDraw.Draw(image)
    font, lines = fit_title(card.title, fonts, SIZE[0] - 2 * MARGIN - 32)
    step = round(font.size * 1.3)
    top = 310 - step * len(lines) // 2
    for index, line in enumerate(lines):
        pen.text((MARGIN + 32, top + index * step), line, font=font, fill=NAVY, anchor="lt")
    section_font = _font(fonts.bold, 28)
    pen.text((MARGIN, 568), card.section, font=section_font, fill=RED, anchor="lm")
    pen.text((SIZE[0] - MARGIN, 568), card.date, font=_font(fonts.regular, 28), fill=GREY, anchor="rm")
    return image


def render(card: Card, fonts: Fonts, key: str, name: str, cache_folder: str) -> Variant:
    """Draw, encode (JPEG, no metadata) and cache one card; runs in a worker process."""
    out = io.BytesIO()
    draw(card, fonts).save(out, "JPEG", quality=86, optimize=True)
    data = out.getvalue()
    variant = Variant(name, SIZE[0], SIZE[1], "jpeg", len(data))
    ImageCache(cache_folder).store_card(key, data)
    return variant
