"""Social cards: the 1200×630 Open Graph image of an article, drawn with Pillow and cached.

The card shows the portal's identity, the title in Vietnamese (Noto Sans, OFL, bundled with the
plugin, so diacritics never depend on the machine's fonts), the section and the date. Its name
carries a hash of everything drawn, so a card is drawn once and cached forever.

Many missing cards (a cold build) are drawn by :func:`serve` in a separate, fresh process while
the build renders its pages: see ``portal_images`` for how it is started and waited for.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import select
import sys
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageColor, ImageDraw, ImageFont

from .buildcache import read_pickle, write_pickle
from .imaging import ImageCache, Variant
from .incremental import link_from_cache

VERSION = "3"  # 2: baseline JPEG (progressive tripled the encoding time for 8 % fewer bytes)
# 3: standard Huffman tables (optimising them doubled the encoding time for 10 % fewer bytes)
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


@functools.lru_cache(maxsize=4)
def _key_prefix(fonts_digest: str) -> bytes:
    return json.dumps([VERSION, SIZE, fonts_digest, Image.__version__]).encode()


def card_key(card: Card, fonts_digest: str) -> str:
    """Return the content hash of a card: its text, the fonts, this module's version and Pillow's.

    Computed for every article on every build, so without ``asdict`` (a deep copy) and key sorting.
    """
    text = json.dumps([*vars(card).values()], ensure_ascii=False)  # every field, in order
    return hashlib.sha256(_key_prefix(fonts_digest) + b"\0" + text.encode()).hexdigest()


@functools.lru_cache(maxsize=64)
def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    # BASIC layout: the text is NFC, every Vietnamese letter is one glyph, and the result does not
    # depend on whether libraqm is installed.
    return ImageFont.truetype(path, size, layout_engine=ImageFont.Layout.BASIC)


# Measuring and drawing text one word at a time. FreeType loads (hints) every glyph again on each
# ``getlength`` or ``text`` call, so fitting a title by measuring ever longer lines at up to five
# sizes, then drawing it, cost about 20 ms a card. Titles reuse a small vocabulary: a word's width
# and its rasterised mask are computed once per process and font size, and a line is laid out as
# its words separated by the width of a space. With BASIC layout and no kerning across a space
# (the bundled Noto Sans has none; tests/test_images.py checks it) that is exactly where Pillow
# puts every glyph of the whole line.


@functools.lru_cache(maxsize=65536)
def _width(font: ImageFont.FreeTypeFont, word: str) -> float:
    return font.getlength(word)


@functools.lru_cache(maxsize=4096)
def _ink(font: ImageFont.FreeTypeFont, text: str) -> tuple[Image.Image | None, int, int]:
    """Return the coverage mask of ``text`` and its offset from the pen on the baseline."""
    left, top, right, bottom = font.getbbox(text, anchor="ls")
    if right <= left or bottom <= top:
        return None, 0, 0
    mask = Image.new("L", (right - left, bottom - top))
    ImageDraw.Draw(mask).text((-left, -top), text, font=font, fill=255, anchor="ls")
    return mask, left, top


@functools.lru_cache(maxsize=16)
def _middle(font: ImageFont.FreeTypeFont) -> int:
    """Return the distance from a line's middle (Pillow's anchor ``m``) to its baseline."""
    return font.getbbox("x", anchor="lm")[1] - font.getbbox("x", anchor="ls")[1]


@functools.lru_cache(maxsize=8)
def _ramp(colour: str) -> list[int]:
    """Return the palette turning a coverage mask into ``colour`` over white, blended as Pillow does."""
    ink = ImageColor.getrgb(colour)
    return [(255 * (255 - a) + c * a + 127) // 255 for a in range(256) for c in ink]


def line_width(words: list[str], font: ImageFont.FreeTypeFont) -> float:
    """Return the width of ``words`` joined by single spaces (``font.getlength`` of the line)."""
    return sum(_width(font, word) for word in words) + _width(font, " ") * (len(words) - 1)


def wrap(text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Break ``text`` into lines no wider than ``width`` pixels (a too-long word stays whole)."""
    lines: list[list[str]] = []
    space, used = _width(font, " "), 0.0
    for word in text.split():
        length = _width(font, word)
        if lines and used + space + length <= width:
            lines[-1].append(word)
            used += space + length
        else:
            lines.append([word])
            used = length
    return [" ".join(line) for line in lines]


def fit_title(title: str, fonts: Fonts, width: int) -> tuple[ImageFont.FreeTypeFont, list[str]]:
    """Return the largest font size that fits the title in four lines, cutting with … if none does."""
    for size in TITLE_SIZES:
        font = _font(fonts.bold, size)
        lines = wrap(title, font, width)
        if len(lines) <= TITLE_LINES:
            return font, lines
    lines = lines[:TITLE_LINES]
    last = lines[-1].split(" ")
    while line_width([*last, "…"], font) > width and len(last) > 1:
        last.pop()
    lines[-1] = " ".join([*last, "…"])
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


Piece = tuple[str, ImageFont.FreeTypeFont, int, int]  # text, font, x of the pen, y of the baseline


def _stamp(image: Image.Image, pieces: list[Piece], colour: str) -> None:
    """Draw each ``(text, font, x, baseline)`` in ``colour`` where the frame is white.

    The pieces' masks are gathered into one greyscale sheet that a palette turns into colour:
    blending a colour through a mask into RGB costs ten times more per pixel than this.
    """
    placed = []
    for text, font, x, baseline in pieces:
        mask, left, top = _ink(font, text)
        if mask is not None:
            placed.append((mask, x + left, baseline + top))
    if not placed:
        return
    x0, y0 = min(x for _, x, _ in placed), min(y for _, _, y in placed)
    x1 = max(x + mask.width for mask, x, _ in placed)
    y1 = max(y + mask.height for mask, _, y in placed)
    sheet = Image.new("L", (x1 - x0, y1 - y0))
    for mask, x, y in placed:
        sheet.paste(255, (x - x0, y - y0), mask)  # coverage adds up where two words' boxes overlap
    sheet.putpalette(_ramp(colour))
    image.paste(sheet.convert("RGB"), (x0, y0))


def draw(card: Card, fonts: Fonts) -> Image.Image:
    """Draw the card: the site's frame, then the title, section and date.

    Each title line's ink top is at its step (Pillow's anchor ``lt``); the section and the date
    are centred on the bottom band's middle (anchors ``lm`` and ``rm``).
    """
    image = _frame(card.agency, card.site, fonts).copy()
    font, lines = fit_title(card.title, fonts, SIZE[0] - 2 * MARGIN - 32)
    step = round(font.size * 1.3)
    top = 310 - step * len(lines) // 2
    space = _width(font, " ")
    pieces = []
    for index, line in enumerate(lines):
        words = line.split(" ")
        baseline = top + index * step - min((_ink(font, w)[2] for w in words if _ink(font, w)[0]), default=0)
        x = MARGIN + 32
        for word in words:
            pieces.append((word, font, round(x), baseline))
            x += _width(font, word) + space
    _stamp(image, pieces, NAVY)
    bold, regular = _font(fonts.bold, 28), _font(fonts.regular, 28)
    _stamp(image, [(card.section, bold, MARGIN, 568 + _middle(bold))], RED)
    right = SIZE[0] - MARGIN - round(_width(regular, card.date))
    _stamp(image, [(card.date, regular, right, 568 + _middle(regular))], GREY)
    return image


def encode(card: Card, fonts: Fonts) -> bytes:
    """Return the card's JPEG (no metadata)."""
    out = io.BytesIO()
    draw(card, fonts).save(out, "JPEG", quality=86)  # 4:2:0, standard Huffman tables
    return out.getvalue()


def render(card: Card, fonts: Fonts, key: str, name: str, cache_folder: str) -> Variant:
    """Draw, encode and cache one card."""
    data = encode(card, fonts)
    ImageCache(cache_folder).store_card(key, data)
    return Variant(name, SIZE[0], SIZE[1], "jpeg", len(data))


class CardNames:
    """Each article's card key and output name from the last build, by what decides them.

    Making them reads the article's title, section, date and output path (Pelican formats
    ``save_as`` on every access), every article on every build. They are kept under a key the
    caller builds from what varies per file (its path, the hash of its bytes, its status), in one
    pickle named by ``salt`` (what the caller says they depend on besides: code, settings, fonts);
    another salt starts afresh. Names of files this build did not see are forgotten.
    """

    def __init__(self, path: str | None, salt: bytes) -> None:
        self.path, self.salt = path, salt
        found = read_pickle(path)
        kept = found.get("names") if isinstance(found, dict) and found.get("salt") == salt else None
        self.kept: dict = kept if isinstance(kept, dict) else {}
        self.used: dict = {}
        self.made = 0  # names made by this build (read by tests)

    def get(self, key, make):
        """Return the value kept for ``key``, else ``make()`` (kept for the next build)."""
        found = self.kept.get(key, self) if key is not None else self
        if found is self:
            found = make()
            self.made += 1
        if key is not None:
            self.used[key] = found
        return found

    def save(self) -> None:
        """Write what this build used, when it differs from what it found."""
        if self.path and (self.made or len(self.used) != len(self.kept)):
            write_pickle(self.path, {"salt": self.salt, "names": self.used})


def write_order(path: str, fonts: Fonts, cache_folder: str, jobs: list[tuple[Card, str, str]]) -> None:
    """Write what :func:`serve` draws: ``(card, key, output file)`` jobs, as JSON."""
    order = {
        "fonts": [fonts.regular, fonts.bold],
        "cache": cache_folder,
        "cards": [[*vars(card).values(), key, output] for card, key, output in jobs],
    }
    Path(path).write_text(json.dumps(order, ensure_ascii=False), encoding="utf-8")


def serve(order_path: str) -> int:
    """Draw the cards of an order (:func:`write_order`) into the cache; the body of a card process.

    A card the cache holds already is not drawn again: the build, once it has nothing left but
    to wait, draws the order's last cards itself (``portal_images``' ``CardDrawing.wait``).
    Nothing goes into the output before the build says so: one byte on standard input once the
    build gate has passed. From then on every card drawn (and each one drawn before) is also put
    at its output name, as a hard link of the cache's file (``link_from_cache``). The end of
    standard input without that byte means the build stopped: the process ends, the cache keeps
    what was drawn. The last line on standard output is the report, JSON: ``{"drawn": n}``, or
    ``{"failed": index, "error": "…"}`` for the first card that could not be drawn.
    """
    order = json.loads(Path(order_path).read_text(encoding="utf-8"))
    fonts, cache = Fonts(*order["fonts"]), ImageCache(order["cache"])
    verdict = sys.stdin.buffer
    published, waiting = False, []

    def listen(block: bool) -> None:
        nonlocal published
        if not published and (block or select.select([verdict], [], [], 0)[0]):
            if verdict.read(1) != b"1":
                raise SystemExit(0)  # the build stopped before its gate: write nothing
            published = True
            for key, output in waiting:
                link_from_cache(cache.card_file(key), output)
            waiting.clear()

    drawn = 0
    try:
        for *text, key, output in order["cards"]:
            if cache.load_card(key) is None:  # else drawn by the build, from the end (``CardDrawing``)
                cache.store_card(key, encode(Card(*text), fonts))
            listen(block=False)
            if published:
                link_from_cache(cache.card_file(key), output)
            else:
                waiting.append((key, output))
            drawn += 1
        listen(block=True)
    except Exception as exc:  # noqa: BLE001 (reported to the build, which stops with the message)
        failed = min(drawn, len(order["cards"]) - 1)  # a failed write after the go: the last card
        print(json.dumps({"failed": failed, "error": f"{type(exc).__name__}: {exc}"}), flush=True)
        return 1
    print(json.dumps({"drawn": drawn}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(serve(sys.argv[1]))
