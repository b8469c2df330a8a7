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
from array import array
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache, partial
from itertools import accumulate, chain, compress, repeat
from pathlib import Path
from typing import Protocol

from portal import text

FORMAT_VERSION = 1
_TOKEN = re.compile(r"[^\W_]+")  # runs of letters and digits; the client uses [\p{L}\p{N}]+
_WORD = re.compile(r"\w+")  # the same runs in a text without underscores (``analyse``)
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


def words_text(markup: str) -> str:
    """Return the text of an HTML body for tokenising only: ``plain_text`` without collapsing spaces.

    Tokens never hold a space, so the same tokens come out, for one regular expression less.
    """
    return html.unescape(_TAG.sub(" ", markup))


class _Forms(dict):
    """Token → (exact, folded), computed once per distinct token (Vietnamese has few syllables)."""

    def __missing__(self, token: str) -> tuple[str, str]:
        exact = token.casefold()
        self[token] = value = (exact, text.fold(exact))
        return value

    def clear(self) -> None:
        """Forget every token, in the two one-form tables below as well (``bench/`` times a cold build)."""
        super().clear()
        _EXACT.clear()
        _FOLDED.clear()


class _Form(dict):
    """Token → one of its two forms (``part`` 0: exact, 1: folded): one lookup per word, in C."""

    def __init__(self, part: int) -> None:
        super().__init__()
        self.part = part

    def __missing__(self, token: str) -> str:
        self[token] = value = _FORMS[token][self.part]
        return value


_FORMS = _Forms()
_EXACT = _Form(0)
_FOLDED = _Form(1)


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


def encode_ids(ids) -> str:
    """Encode ascending ids as base-36 gaps (``"3,a,1"``) or, when shorter, a bitmap (``"~"`` + base64)."""
    last = ids[-1]
    bitmap_length = (last // 8 + 3) // 3 * 4 + 1
    # Gaps take at least one digit and a comma each: a bitmap shorter than that wins unseen.
    if bitmap_length >= 2 * len(ids) - 1:
        gaps = ",".join(map(_base36, map(operator.sub, ids, chain((0,), ids))))
        if bitmap_length >= len(gaps):
            return gaps
    # Bit ``doc`` of one integer, written little-endian: byte doc >> 3, bit doc & 7.
    digits = bytearray(b"0") * (last + 1)
    _drain(map(digits.__setitem__, ids, repeat(49)))  # "1"
    bitmap = int(digits[::-1], 2).to_bytes(last // 8 + 1, "little")
    return "~" + base64.b64encode(bitmap).decode("ascii")


def decode_ids(encoded: str) -> list[int]:
    """Invert ``encode_ids`` (the client does the same in JavaScript)."""
    if encoded.startswith("~"):
        bits = bin(int.from_bytes(base64.b64decode(encoded[1:]), "little"))[:1:-1]  # bit 0 first
        return list(compress(range(len(bits)), map("1".__eq__, bits)))
    return list(accumulate(map(int, encoded.split(","), repeat(36))))


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

    Its three sets are stored as three strings of newline-separated tokens (no token holds a
    newline): loading one is three string decodes and splits, not a thousand small objects
    unpickled. Analyses are never all held at once (the postings take each in turn), so their
    strings are not interned.
    """

    variants: tuple[str, ...]  # distinct exact tokens (their folded forms come from ``forms``)
    titles: tuple[str, ...]  # distinct folded tokens of the title
    phrases: tuple[str, ...]  # distinct pairs of adjacent folded tokens

    def __reduce__(self):
        return _joined, ("\n".join(self.variants), "\n".join(self.titles), "\n".join(self.phrases))


def _joined(variants: str, titles: str, phrases: str) -> Analysis:
    return Analysis(*(tuple(part.split("\n")) if part else () for part in (variants, titles, phrases)))


@lru_cache(maxsize=1)
def analysis_salt() -> str:
    """Hash of the code an ``Analysis`` and the index files depend on (this module and ``portal/text.py``)."""
    here = Path(__file__).parent
    return hashlib.sha256((here / "search.py").read_bytes() + (here / "text.py").read_bytes()).hexdigest()


def analyse(document: SearchDocument) -> Analysis:
    """Tokenise a document's title, sapo and body into what the postings need.

    The tuples are in no particular order (the index never depends on it): sorting a thousand
    phrases per article was a quarter of a cold index build. Each word is looked up once per form
    (``map`` over the tables, in C): no set of the words, no dictionary per text.
    """
    exact: set[str] = set()
    pairs: set[tuple[str, str]] = set()
    titles: set[str] | None = None
    for value in (document.title, document.summary, document.body):
        # ``\w+`` once the underscores are spaces finds what ``_TOKEN`` finds, a little faster.
        words = _WORD.findall(text.nfc(value).replace("_", " "))
        folded = list(map(_FOLDED.__getitem__, words))
        exact.update(map(_EXACT.__getitem__, words))
        pairs.update(zip(folded, folded[1:], strict=False))
        if titles is None:
            titles = set(folded)
    return Analysis(tuple(exact), tuple(titles or ()), tuple(map(" ".join, pairs)))


class _Postings:
    """Term → documents, filled one document at a time in id order (so lists stay sorted).

    Ids are kept in ``array('i')`` (4 bytes each, not an 8-byte pointer), keyed by the exact token
    alone (its folded form is looked up once per key, not once per occurrence).
    """

    def __init__(self):
        self.variants: dict[str, array] = defaultdict(_ids)  # exact → ids
        self.titles: dict[str, array] = defaultdict(_ids)  # folded → ids whose title has it
        self.phrases: dict[str, array] = defaultdict(_ids)  # "folded folded" → ids

    def add(self, doc: int, analysis: Analysis) -> None:
        # One append per key, all in C (``map`` over the table's lookups): no Python loop per word.
        for table, keys in (
            (self.variants, analysis.variants),
            (self.titles, analysis.titles),
            (self.phrases, analysis.phrases),
        ):
            _drain(map(_APPEND, map(table.__getitem__, keys), repeat(doc)))

    def entries(self) -> dict[str, object]:
        """Return every key's JSON value: ``[{exact: ids}, title ids]`` for terms, ids for phrases.

        The postings are emptied as they are encoded, so the ids and their encodings are not both
        held whole.
        """
        grouped: dict[str, dict[str, str]] = defaultdict(dict)
        variants, titles, phrases = self.variants, self.titles, self.phrases
        while variants:
            exact, ids = variants.popitem()
            grouped[_FORMS[exact][1]][exact] = encode_ids(ids)
        found: dict[str, object] = {}
        for folded, exact in grouped.items():
            title_ids = titles.pop(folded, None)
            found[folded] = [exact, encode_ids(title_ids)] if title_ids else [exact]
        while phrases:
            phrase, ids = phrases.popitem()
            found[phrase] = encode_ids(ids)
        return found


_ids = partial(array, "i")
_APPEND = array.append
_drain = deque(maxlen=0).extend  # runs an iterator to its end, keeping nothing


@dataclass(frozen=True, eq=False)
class Source:
    """One article as the index sees it before reading its text: its place, two digests, its text on demand.

    ``key`` digests what its ``Analysis`` reads (title, sapo, body), ``row`` what its result row
    shows (URL, title, section, date, sapo). ``document(body)`` returns its ``SearchDocument``,
    with an empty body when ``body`` is false (a result row needs no body).
    """

    url: str
    date: datetime
    section: str
    key: bytes
    row: bytes
    document: Callable[[bool], SearchDocument]


def source_of(document: SearchDocument) -> Source:
    """Return the ``Source`` of a document already made (tests, ``bench/``)."""
    key = _digest(document.title, document.summary, document.body)
    row = _digest(document.url, document.title, document.section, document.date.isoformat(), document.summary)
    return Source(document.url, document.date, document.section, key, row, lambda _body: document)


def _digest(*parts: str) -> bytes:
    return hashlib.sha256("\0".join(parts).encode()).digest()


@dataclass(frozen=True)
class IndexSetup:
    """Everything besides the documents that the index files depend on."""

    sections: tuple[tuple[str, str], ...]
    layout: IndexLayout = IndexLayout()
    salt: str = ""  # the caller's code and options

    def signature(self) -> str:
        """Hash of the format, this code, the layout, the sections and the caller's salt."""
        layout = self.layout
        value = [FORMAT_VERSION, analysis_salt(), self.sections, layout.chunk_size, layout.shard_bytes]
        value.append(self.salt)
        return hashlib.sha256(_json(value)).hexdigest()


@dataclass
class IndexState:
    """What one build of the index leaves for the next: enough to change only what an edit touches.

    Documents by id (URL, analysis key, row digest), the index's measured size (it sets the number
    of shards) and the names of its files. The postings themselves are not kept: they are in the
    shard files, read back for the shards an edit touches.
    """

    signature: str  # ``IndexSetup.signature``
    urls: list[str]
    keys: list[bytes]
    rows: list[bytes]
    total: int  # the size that sets the number of shards (see ``_shard_count``)
    manifest: str
    shards: list[str]
    chunks: list[str]

    def names(self) -> list[str]:
        """Every file of the index."""
        return [self.manifest, *self.shards, *self.chunks]


class IndexStore(Protocol):
    """What an update reads: analyses (this build's and the last one's) and the last index's files."""

    def analysis(self, source: Source) -> Analysis:
        """Return the analysis of a current document (stored or computed now)."""

    def earlier(self, key: bytes) -> Analysis | None:
        """Return the analysis stored under a key of the previous build, if still there."""

    def read(self, name: str) -> bytes | None:
        """Return the bytes of a file of the previous index, if it can be read."""


def build_index(
    documents: list[SearchDocument],
    sections: list[tuple[str, str]],
    layout: IndexLayout | None = None,
    analyses=None,
) -> tuple[str, dict[str, bytes]]:
    """Return the manifest's relative name and every index file (relative name → bytes).

    ``analyses`` (document → ``Analysis``) may serve what an earlier build computed.
    """
    analyses = analyses or analyse
    setup = IndexSetup(tuple(map(tuple, sections)), layout or IndexLayout())
    sources = [source_of(d) for d in documents]
    manifest, files, _ = assemble(sources, setup, lambda s: analyses(s.document(True)))
    return manifest, files


def _ordered(sources: list[Source]) -> list[Source]:
    """Documents in id order: date, then URL (oldest first)."""
    return sorted(sources, key=lambda s: (s.date, s.url))


def assemble(
    sources: list[Source], setup: IndexSetup, analysis: Callable[[Source], Analysis]
) -> tuple[str, dict[str, bytes], IndexState]:
    """Build the whole index: manifest name, every file, the state an ``update`` starts from.

    Each document's analysis is asked for in id order and dropped once its ids are added.
    """
    ordered = _ordered(sources)
    postings = _Postings()
    for doc, source in enumerate(ordered):
        postings.add(doc, analysis(source))
    files: dict[str, bytes] = {}
    total, shards = _write_shards(postings.entries(), setup.layout, files)
    del postings
    chunk_count = math.ceil(len(ordered) / setup.layout.chunk_size)
    chunks = [_chunk(files, n, ordered, setup) for n in range(chunk_count)]
    return _finish(files, ordered, setup, (total, shards, chunks))


def _finish(
    files: dict[str, bytes], ordered: list[Source], setup: IndexSetup, index: tuple[int, list, list]
) -> tuple[str, dict[str, bytes], IndexState]:
    """Write the manifest; return it with the files and the new state (``index``: total, shards, chunks)."""
    total, shards, chunks = index
    manifest = _manifest(files, ordered, setup, shards, chunks)
    state = IndexState(
        setup.signature(),
        [s.url for s in ordered],
        [s.key for s in ordered],
        [s.row for s in ordered],
        total,
        manifest,
        shards,
        chunks,
    )
    return manifest, files, state


def update(
    previous: IndexState,
    sources: list[Source],
    setup: IndexSetup,
    store: IndexStore,
    limit: int | None = None,
) -> tuple[str, dict[str, bytes], IndexState] | None:
    """Change an index built earlier into the one ``assemble`` would build now, byte for byte.

    Returns the manifest's name, the files that changed (name → bytes; an unchanged index returns
    none and ``previous``) and the new state; or ``None`` when only a whole build can do it: another
    setup or code, more than ``limit`` documents to take out or put in (default: a hundredth of
    the archive, at least 16), an earlier analysis or an index file missing or damaged, a different
    number of shards.

    Ids are positions in date order. A document whose id and analysis are unchanged leaves every
    list alone; an edit changes the lists of the words it added or removed; an article added after
    the newest (or the newest deleted) appends (or drops) one id. An article inserted or deleted
    in the middle shifts the id of every newer one, which touches most lists: past ``limit``
    documents to move, the caller builds the index whole.
    """
    if previous.signature != setup.signature():
        return None
    work = _Update(previous, _ordered(sources), setup, store)
    if limit is None:
        limit = max(16, len(work.ordered) // 100)  # past it, most lists change: whole is cheaper
    if len(work.edited) + work.moved > limit or not work.collect():
        return None
    if not work.delta and not work.moved and not work.row_changes():
        if work.edited:  # new texts, same tokens and rows: only the keys in the state change
            return previous.manifest, {}, replace(previous, keys=[s.key for s in work.ordered])
        return previous.manifest, {}, previous
    if not work.apply():
        return None
    work.rechunk()
    return _finish(work.files, work.ordered, setup, (work.total, work.shards, work.chunks))


class _Update:
    """One ``update``: what changed between two lists of documents, applied to the files it touches."""

    def __init__(self, previous: IndexState, ordered: list[Source], setup: IndexSetup, store: IndexStore):
        self.previous, self.ordered, self.setup, self.store = previous, ordered, setup, store
        same = 0
        for url, source in zip(previous.urls, ordered, strict=False):
            if url != source.url:
                break
            same += 1
        self.same = same  # documents 0 … same-1 keep their ids
        self.edited = [doc for doc in range(same) if previous.keys[doc] != ordered[doc].key]
        self.moved = len(previous.urls) - same + len(ordered) - same
        # (kind, key) → [ids out, ids in]; kinds: 0 variant (exact token), 1 title (folded), 2 phrase
        self.delta: dict[tuple[int, str], list[set[int]]] = {}
        self.files: dict[str, bytes] = {}
        self.total = previous.total
        self.shards = list(previous.shards)
        self.chunks = list(previous.chunks)

    def _change(self, doc: int, kind: int, keys, slot: int) -> None:
        delta = self.delta
        for key in keys:
            found = delta.get((kind, key))
            if found is None:
                delta[(kind, key)] = found = [set(), set()]
            found[slot].add(doc)

    def collect(self) -> bool:
        """Gather the ids each key loses and gains; ``False`` when an earlier analysis is missing."""
        if not (self._edits() and self._moves()):
            return False
        for key, (out, put) in list(self.delta.items()):
            common = out & put  # an id taken out and put back: a moved document with the same word
            if common:
                out.difference_update(common)
                put.difference_update(common)
                if not out and not put:
                    del self.delta[key]
        return True

    def _edits(self) -> bool:
        """Documents at the same id with another analysis: the keys one has and the other has not."""
        previous, store = self.previous, self.store
        for doc in self.edited:
            old = store.earlier(previous.keys[doc])
            if old is None:
                return False
            new = store.analysis(self.ordered[doc])
            for kind, (before, after) in enumerate(zip(_parts(old), _parts(new), strict=True)):
                was, now = set(before), set(after)
                self._change(doc, kind, was - now, 0)
                self._change(doc, kind, now - was, 1)
        return True

    def _moves(self) -> bool:
        """Documents past the common beginning: out at their old ids, in at their new ones."""
        previous, store = self.previous, self.store
        for doc in range(self.same, len(previous.urls)):
            old = store.earlier(previous.keys[doc])
            if old is None:
                return False
            for kind, keys in enumerate(_parts(old)):
                self._change(doc, kind, keys, 0)
        for doc in range(self.same, len(self.ordered)):
            for kind, keys in enumerate(_parts(store.analysis(self.ordered[doc]))):
                self._change(doc, kind, keys, 1)
        return True

    def row_changes(self) -> set[int]:
        """Chunks whose rows changed (a document at the same id with other title, sapo, section, date)."""
        rows, ordered, size = self.previous.rows, self.ordered, self.setup.layout.chunk_size
        return {doc // size for doc in range(self.same) if rows[doc] != ordered[doc].row}

    def apply(self) -> bool:
        """Rewrite the shards the changes touch; ``False`` when one is unreadable or the count changes."""
        count = len(self.previous.shards)
        by_shard: dict[int, dict[str, list]] = defaultdict(dict)
        for (kind, key), (out, put) in self.delta.items():
            json_key = key if kind else _FORMS[key][1]
            by_shard[shard_of(json_key, count)].setdefault(json_key, []).append((kind, key, out, put))
        buckets = {}
        for n, changes_of in by_shard.items():
            name = self.previous.shards[n]
            data = self.store.read(name)
            if not intact(name, data):
                return False
            bucket = buckets[n] = json.loads(data)
            for json_key, changes in changes_of.items():
                value = bucket.pop(json_key, None)
                if value is not None:
                    self.total -= len(json_key) + len(_json(value))
                value = _changed(value, changes)
                if value is not None:
                    bucket[json_key] = value
                    self.total += len(json_key) + len(_json(value))
        if _shard_count(self.total, self.setup.layout) != count:
            return False
        for n, bucket in buckets.items():
            self.shards[n] = _store(self.files, f"t/{n}", _json(bucket))
        return True

    def rechunk(self) -> None:
        """Write again the chunks holding a changed row or a document whose id changed."""
        size = self.setup.layout.chunk_size
        count = math.ceil(len(self.ordered) / size)
        stale = self.row_changes() | set(range(self.same // size, count))
        del self.chunks[count:]
        for n in sorted(stale):
            name = _chunk(self.files, n, self.ordered, self.setup)
            if n < len(self.chunks):
                self.chunks[n] = name
            else:
                self.chunks.append(name)


def _parts(analysis: Analysis) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    return analysis.variants, analysis.titles, analysis.phrases


def _changed(value, changes):
    """Apply ``(kind, key, ids out, ids in)`` changes to one JSON value; ``None`` when nothing is left."""
    if changes[0][0] == 2:  # a phrase: its value is its list of ids
        ((_, _, out, put),) = changes
        return _edit_ids(value, out, put)
    variants, title = (dict(value[0]), value[1] if len(value) > 1 else None) if value else ({}, None)
    for kind, key, out, put in changes:
        if kind == 0:
            ids = _edit_ids(variants.pop(key, None), out, put)
            if ids is not None:
                variants[key] = ids
        else:
            title = _edit_ids(title, out, put)
    if not variants:
        return None  # a title word is always one of the document's words
    return [variants, title] if title else [variants]


def _edit_ids(encoded: str | None, out: set[int], put: set[int]) -> str | None:
    """Take ``out`` from and add ``put`` to an encoded list of ids; ``None`` when it ends empty."""
    ids = set(decode_ids(encoded)) if encoded else set()
    ids -= out
    ids |= put
    return encode_ids(sorted(ids)) if ids else None


def _shard_count(total: int, layout: IndexLayout) -> int:
    """Return the number of shards, a power of two, of about ``shard_bytes`` each for ``total`` bytes."""
    return 1 << max(0, math.ceil(math.log2(max(1, total / layout.shard_bytes))))


def _write_shards(
    entries: dict[str, object], layout: IndexLayout, files: dict[str, bytes]
) -> tuple[int, list[str]]:
    """Cut the postings into a power-of-two number of shards of about ``shard_bytes`` each."""
    total = sum(len(key) + len(_json(value)) for key, value in entries.items())
    count = _shard_count(total, layout)
    buckets: list[dict[str, object]] = [{} for _ in range(count)]
    for key, value in entries.items():
        buckets[shard_of(key, count)][key] = value
    entries.clear()
    return total, [_store(files, f"t/{n}", _json(bucket)) for n, bucket in enumerate(buckets)]


def _chunk(files: dict, n: int, ordered: list[Source], setup: IndexSetup) -> str:
    """Write chunk ``n``: the titles, URLs, sections, dates and sapos the results show."""
    position = {slug: n for n, (slug, _) in enumerate(setup.sections)}
    size = setup.layout.chunk_size
    rows = []
    for source in ordered[n * size : (n + 1) * size]:
        d = source.document(False)
        day = text.format_date(text.local(d.date))
        rows.append([d.url, d.title, position.get(d.section, -1), day, d.summary])
    return _store(files, f"d/{n}", _json(rows))


def _manifest(files: dict, ordered: list[Source], setup: IndexSetup, shards: list, chunks: list) -> str:
    manifest = {
        "version": FORMAT_VERSION,
        "count": len(ordered),
        "chunkSize": setup.layout.chunk_size,
        "sections": [list(pair) for pair in setup.sections],
        "docSections": _section_column(ordered, setup.sections),
        "years": _year_ranges(ordered),
        "shards": shards,
        "chunks": chunks,
    }
    return _store(files, "index", _json(manifest))


def _section_column(ordered: list[Source], sections) -> str:
    """One base-36 character per document: its section's position (``z`` for none)."""
    position = {slug: _DIGITS36[n] for n, (slug, _) in enumerate(sections)}
    return "".join(position.get(d.section, "z") for d in ordered)


def _year_ranges(ordered: list[Source]) -> list[list[int]]:
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


def _hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:10]


def intact(name: str, data: bytes | None) -> bool:
    """Tell whether ``data`` are the bytes an index file of this name was written with.

    Every name carries a hash of its bytes (``t/3.1a2b3c4d5e.json``).
    """
    return data is not None and _hash(data) == name.rsplit(".", 2)[-2]


def _store(files: dict[str, bytes], stem: str, data: bytes) -> str:
    """Name a file by its content (``t/3.1a2b3c4d5e.json``): immutable, safe to cache forever."""
    name = f"{stem}.{_hash(data)}.json"
    files[name] = data
    return name
