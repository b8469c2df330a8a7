"""The search index: Vietnamese tokens folded with đ→d, postings sharded by term, ranked in the browser.

Pelican-free, so the plugin, the tests and ``bench/`` share it. The browser client
(``theme/static/js/search.js``) mirrors ``tokenize`` and ``shard_of``; ``docs/search.md`` has the
design and the file formats.

Documents get ids in date order, oldest first, so a new article appends an id and leaves the
postings of every older article unchanged. For each folded term a shard holds its exact
variants (``đất``, ``đạt``, ``dát`` under ``dat``), each with its document ids, plus the ids of the
documents whose title has the term; for each pair of adjacent folded terms (``dat dai``) it holds
the documents with that phrase.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import math
import operator
import re
import sys
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from portal import text

FORMAT_VERSION = 1
_TOKEN = re.compile(r"[^\W_]+")  # runs of letters and digits; the client uses [\p{L}\p{N}]+
_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")
_DIGITS36 = "0123456789abcdefghijklmnopqrstuvwxyz"


@dataclass(frozen=True)
class SearchDocument:
    """What the index keeps of one published article."""

    url: str
    title: str
    section: str
    date: datetime
    summary: str
    body: str  # plain text (see ``plain_text``)


@dataclass(frozen=True)
class IndexLayout:
    """How the index is cut into files."""

    chunk_size: int = 25  # documents per file of titles and sapos
    shard_bytes: int = 6_000  # aimed raw size of one postings shard


def plain_text(markup: str) -> str:
    """Return the text of an HTML body: tags dropped, entities decoded, spaces collapsed."""
    return _SPACE.sub(" ", html.unescape(_TAG.sub(" ", markup))).strip()


class _Forms(dict):
    """Token → (exact, folded), computed once per distinct token (Vietnamese has few syllables)."""

    def __missing__(self, token: str) -> tuple[str, str]:
        exact = token.casefold()
        self[token] = value = (exact, text.fold(exact))
        return value


_FORMS = _Forms()


def forms(token: str) -> tuple[str, str]:
    """Return (exact, folded) forms of one NFC token: ``Đất`` → (``đất``, ``dat``)."""
    return _FORMS[token]


def tokenize(value: str) -> list[tuple[str, str]]:
    """Split text into (exact, folded) tokens; NFD input gives the same tokens as NFC."""
    return list(map(_FORMS.__getitem__, _TOKEN.findall(text.nfc(value))))


def shard_of(key: str, count: int) -> int:
    """Return the shard of a term: FNV-1a (32 bit) of its UTF-8 bytes, modulo ``count``."""
    value = 0x811C9DC5
    for byte in key.encode("utf-8"):
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return value % count


def encode_ids(ids: list[int]) -> str:
    """Encode ascending ids as base-36 gaps (``"3,a,1"``) or, when shorter, a bitmap (``"~"`` + base64)."""
    gaps = ",".join(map(_base36, map(operator.sub, ids, [0, *ids])))
    bitmap_length = (ids[-1] // 8 + 3) // 3 * 4 + 1
    if bitmap_length >= len(gaps):
        return gaps
    bitmap = bytearray(ids[-1] // 8 + 1)
    for doc in ids:
        bitmap[doc >> 3] |= 1 << (doc & 7)
    return "~" + base64.b64encode(bytes(bitmap)).decode("ascii")


def decode_ids(encoded: str) -> list[int]:
    """Invert ``encode_ids`` (the client does the same in JavaScript)."""
    if encoded.startswith("~"):
        bitmap = base64.b64decode(encoded[1:])
        return [i * 8 + bit for i, byte in enumerate(bitmap) for bit in range(8) if byte >> bit & 1]
    ids, current = [], 0
    for gap in encoded.split(","):
        current += int(gap, 36)
        ids.append(current)
    return ids


@lru_cache(maxsize=65_536)
def _base36(number: int) -> str:
    digits = ""
    while True:
        number, rest = divmod(number, 36)
        digits = _DIGITS36[rest] + digits
        if not number:
            return digits


@dataclass(frozen=True)
class Analysis:
    """What one document contributes to the postings: a pure function of its three texts.

    Strings are interned: an archive's documents share a few thousand tokens and their phrases,
    so ten thousand analyses kept between builds hold each string once (in memory and on disk).
    """

    variants: tuple[str, ...]  # distinct exact tokens (their folded forms come from ``forms``)
    titles: tuple[str, ...]  # distinct folded tokens of the title
    phrases: tuple[str, ...]  # distinct pairs of adjacent folded tokens

    def __reduce__(self):
        # Each analysis is stored on its own: loading interns its strings again, or ten thousand
        # analyses would each hold their own copies of the same few thousand words.
        return _interned, (self.variants, self.titles, self.phrases)


def _interned(variants, titles, phrases) -> Analysis:
    intern = sys.intern
    return Analysis(tuple(map(intern, variants)), tuple(map(intern, titles)), tuple(map(intern, phrases)))


@lru_cache(maxsize=1)
def analysis_salt() -> str:
    """Hash of the code an ``Analysis`` depends on (this module and ``portal/text.py``)."""
    here = Path(__file__).parent
    return hashlib.sha256((here / "search.py").read_bytes() + (here / "text.py").read_bytes()).hexdigest()


def analyse(document: SearchDocument) -> Analysis:
    """Tokenise a document's title, sapo and body into what the postings need."""
    fields = [tokenize(document.title), tokenize(document.summary), tokenize(document.body)]
    exact, phrases = set(), set()
    for tokens in fields:
        exact.update(e for e, _ in tokens)
        folded = [f for _, f in tokens]
        phrases.update(map(" ".join, zip(folded, folded[1:], strict=False)))
    return Analysis(
        tuple(sorted(map(sys.intern, exact))),
        tuple(sorted({sys.intern(f) for _, f in fields[0]})),
        tuple(sorted(map(sys.intern, phrases))),
    )


class _Postings:
    """Term → documents, filled one document at a time in id order (so lists stay sorted)."""

    def __init__(self):
        self.variants = defaultdict(list)  # (exact, folded) → ids
        self.titles = defaultdict(list)  # folded → ids whose title has it
        self.phrases = defaultdict(list)  # "folded folded" → ids

    def add(self, doc: int, analysis: Analysis) -> None:
        variants, titles, phrase_ids = self.variants, self.titles, self.phrases
        for exact in analysis.variants:
            variants[_FORMS[exact]].append(doc)
        for folded in analysis.titles:
            titles[folded].append(doc)
        for phrase in analysis.phrases:
            phrase_ids[phrase].append(doc)

    def entries(self) -> dict[str, object]:
        """Return every key's JSON value: ``[{exact: ids}, title ids]`` for terms, ids for phrases."""
        grouped = defaultdict(dict)
        for (exact, folded), ids in self.variants.items():
            grouped[folded][exact] = encode_ids(ids)
        found = {}
        for folded, exact in grouped.items():
            found[folded] = [exact, encode_ids(self.titles[folded])] if folded in self.titles else [exact]
        for phrase, ids in self.phrases.items():
            found[phrase] = encode_ids(ids)
        return found


def build_index(
    documents: list[SearchDocument],
    sections: list[tuple[str, str]],
    layout: IndexLayout | None = None,
    analyses=None,
) -> tuple[str, dict[str, bytes]]:
    """Return the manifest's relative name and every index file (relative name → bytes).

    ``analyses`` (document → ``Analysis``) may serve what an earlier build computed.
    """
    layout = layout or IndexLayout()
    ordered = sorted(documents, key=lambda d: (d.date, d.url))
    postings = _Postings()
    for doc, document in enumerate(ordered):
        postings.add(doc, analyses(document) if analyses else analyse(document))
    files: dict[str, bytes] = {}
    shards = _write_shards(postings.entries(), layout, files)
    chunks = _write_chunks(ordered, sections, layout, files)
    manifest = {
        "version": FORMAT_VERSION,
        "count": len(ordered),
        "chunkSize": layout.chunk_size,
        "sections": [list(pair) for pair in sections],
        "docSections": _section_column(ordered, sections),
        "years": _year_ranges(ordered),
        "shards": shards,
        "chunks": chunks,
    }
    name = _store(files, "index", _json(manifest))
    return name, files


def _write_shards(entries: dict[str, object], layout: IndexLayout, files: dict[str, bytes]) -> list[str]:
    """Cut the postings into a power-of-two number of shards of about ``shard_bytes`` each."""
    total = sum(len(key) + len(_json(value)) for key, value in entries.items())
    count = 1 << max(0, math.ceil(math.log2(max(1, total / layout.shard_bytes))))
    buckets: list[dict[str, object]] = [{} for _ in range(count)]
    for key, value in entries.items():
        buckets[shard_of(key, count)][key] = value
    return [_store(files, f"t/{n}", _json(bucket)) for n, bucket in enumerate(buckets)]


def _write_chunks(
    ordered: list[SearchDocument], sections: list[tuple[str, str]], layout: IndexLayout, files: dict
) -> list[str]:
    """Write the titles, URLs, sections, dates and sapos the results show, ``chunk_size`` per file."""
    position = {slug: n for n, (slug, _) in enumerate(sections)}
    names = []
    for start in range(0, len(ordered), layout.chunk_size):
        rows = [
            [d.url, d.title, position.get(d.section, -1), text.format_date(text.local(d.date)), d.summary]
            for d in ordered[start : start + layout.chunk_size]
        ]
        names.append(_store(files, f"d/{start // layout.chunk_size}", _json(rows)))
    return names


def _section_column(ordered: list[SearchDocument], sections: list[tuple[str, str]]) -> str:
    """One base-36 character per document: its section's position (``z`` for none)."""
    position = {slug: _DIGITS36[n] for n, (slug, _) in enumerate(sections)}
    return "".join(position.get(d.section, "z") for d in ordered)


def _year_ranges(ordered: list[SearchDocument]) -> list[list[int]]:
    """Return ``[year, first id, last id]`` for each year (ids are in date order)."""
    ranges: list[list[int]] = []
    for doc, document in enumerate(ordered):
        year = text.local(document.date).year
        if ranges and ranges[-1][0] == year:
            ranges[-1][2] = doc
        else:
            ranges.append([year, doc, doc])
    return ranges


def _json(value) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")


def _store(files: dict[str, bytes], stem: str, data: bytes) -> str:
    """Name a file by its content (``t/3.1a2b3c4d5e.json``): immutable, safe to cache forever."""
    name = f"{stem}.{hashlib.sha256(data).hexdigest()[:10]}.json"
    files[name] = data
    return name
