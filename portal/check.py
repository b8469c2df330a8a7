"""``invoke check``: read every content file as the build does and report every finding.

Three sources of findings, the same as in a build: what reading a file reports
(``portal/source.py``, ``portal/metadata.py``), slug collisions (``portal/collisions.py``), and
the rule table (``portal/rules.py``, run in the build by ``plugins/portal_checks``). Image and
attachment rules come from ``portal/media.py`` when it is there (the images plugin owns them).
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from dataclasses import astuple, dataclass
from datetime import datetime
from pathlib import Path

from . import collisions, rules
from .buildcache import BuildCache, read_pickle, stored_key, write_pickle
from .document import RECORD_VALUES, Document, Record, Site, folded, site_path
from .findings import Finding
from .metadata import ARTICLE, PAGE, Section, parse_metadata
from .predicates import followed_links, link_target
from .source import decode
from .text import TIMEZONE

try:  # the images plugin's Pelican-free checks, when merged
    from .media import check_media
except ImportError:  # pragma: no cover (depends on what is merged)
    check_media = None


def display_path(path: Path) -> str:
    """Return ``path`` relative to the working directory when inside it."""
    relative = os.path.relpath(path)
    return str(path) if relative.startswith("..") else relative


# Records made ahead by the build's read-ahead workers (``plugins/portal_content/readahead.py``),
# from the bytes the build read, keyed as ``CheckCache`` keys them: ``(display, kind, sha256)``.
# ``incremental_findings`` takes them instead of parsing those files again, and drops the rest.
PREPARED: dict[tuple[str, str, bytes], Record] = {}


def parse_document(display: str, raw: bytes, kind: str, sections: list[Section]) -> Document:
    """Decode ``raw`` and read its header as the build's reader does, keeping its pre-NFC text."""
    source = decode(display, raw)
    values = parse_metadata(source, kind, sections) if source.text else {}
    original = None
    if not source.was_nfc:
        original = raw.decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")
    return Document(source, kind, values, original)


def read_document(path: Path, kind: str, sections: list[Section]) -> Document:
    """Read one file as the build's reader does, keeping its pre-NFC text when that differs."""
    return parse_document(display_path(path), path.read_bytes(), kind, sections)


def make_record(doc: Document) -> Record:
    """Run the file-only rules on ``doc`` and keep what the other rules need: ``doc`` can go."""
    source = doc.source
    return Record(
        path=source.path,
        kind=doc.kind,
        values={key: doc.values[key] for key in RECORD_VALUES if key in doc.values},
        fields={key: found.line for key, found in source.fields.items()},
        body_line=source.body_line,
        has_text=bool(source.text),
        slug=doc.slug,
        links=followed_links(doc.links) if source.text else [],
        read=list(source.findings),
        local=rules.file_findings(doc),
    )


def _displayer(content: Path):
    """Return ``display_path`` for files under ``content``, one ``relpath`` for the whole tree."""
    prefix = os.path.relpath(content)
    parts = prefix.split(os.sep)
    if all(part == ".." for part in parts):  # the working directory is inside the content folder
        return display_path
    if parts[0] == "..":  # outside the working directory: every file is shown as found
        return str
    base = len(str(content).rstrip(os.sep)) + 1 if str(content) != "." else 0

    def display(path: Path) -> str:
        rest = str(path)[base:]
        return rest if prefix == "." else f"{prefix}{os.sep}{rest}"

    return display


def read_tree(
    content: Path,
    article_dir: str,
    page_dir: str,
    sections: list[Section],
    cache: CheckCache | None = None,
) -> list[Record]:
    """Read every ``.md`` file under the article and page folders, in path order, into records.

    One file's text is held at a time. With ``cache``, a file whose bytes an earlier build checked
    is not parsed again, and not even read when the cache was given its hash (``hashes``).
    """
    content = Path(content)
    display = _displayer(content)
    records = []
    for kind, folder in ((ARTICLE, article_dir), (PAGE, page_dir)):
        for path in sorted((content / folder).rglob("*.md")):
            name = display(path)
            if cache is None:
                records.append(make_record(parse_document(name, path.read_bytes(), kind, sections)))
                continue
            raw, known = None, cache.hashes.get(os.path.abspath(path)) if cache.hashes else None
            if known is None:
                raw = path.read_bytes()
                digest = hashlib.sha256(raw).digest()
            else:
                digest = bytes.fromhex(known)
            record = cache.get((name, kind, digest))
            if record is None:
                if raw is None:  # the key of what is stored is always the hash of the bytes parsed
                    raw = path.read_bytes()
                    digest = hashlib.sha256(raw).digest()
                record = make_record(parse_document(name, raw, kind, sections))
                cache.put((name, kind, digest), record)
            records.append(record)
    return records


class CheckCache:
    """Each file's ``Record`` (its file-only findings and what the other rules read), between builds.

    Keyed by path, kind and a hash of the file's bytes; the whole cache is dropped when the code of the
    checks (``portal/``) or the sections change. Findings of rules that look at other files or at
    the date (``rules.SITE_RULES``) are never cached: they run on every build over the records.
    """

    def __init__(self, path: Path | None, salt: str, hashes: dict[str, str] | None = None) -> None:
        self.salt = salt  # part of every key: a new salt leaves the old entries unused, then gone
        self.kept = BuildCache(path)
        # Absolute path → sha256 hex of the file's bytes, as the build's reader recorded them
        # (``source_hash``): a file listed here whose record is kept is not opened.
        self.hashes = hashes or {}

    def get(self, key: tuple) -> Record | None:
        """Return the record made from these exact bytes by an earlier build, if any."""
        found = self.kept.get((self.salt, *key), None)
        return found if isinstance(found, Record) else None

    def get_many(self, keys: list[tuple]) -> dict[tuple, Record]:
        """Return the records made by earlier builds from these exact bytes, read in few queries."""
        found = self.kept.get_many((self.salt, *key) for key in keys)
        return {key[1:]: record for key, record in found.items() if isinstance(record, Record)}

    def put(self, key: tuple, record: Record) -> None:
        """Remember the record of a file just read.

        Called after a miss only, so a stored value that could not be loaded (a damaged entry) is
        written over rather than kept.
        """
        self.kept.replace((self.salt, *key), record)

    def save(self) -> None:
        """Keep what this build read (files that are gone are forgotten); unchanged, nothing is written."""
        self.kept.save()


def check_salt(tree: Tree) -> str:
    """Hash what invalidates every cached check: the checks' code and the content model's settings."""
    digest = hashlib.sha256(repr((tree.sections, tree.document_section)).encode())
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class Tree:
    """Where the content is and what it may hold: read from the settings by each caller."""

    content: Path
    article_dir: str
    page_dir: str
    sections: list[Section]
    document_section: str | None = None  # DOCUMENT_SECTION: where documents need a Doc_number


def make_site(tree: Tree, now: datetime | None = None, cache: CheckCache | None = None) -> Site:
    """Read the tree into what the rule table runs over: one ``Record`` per file."""
    records = read_tree(tree.content, tree.article_dir, tree.page_dir, tree.sections, cache)
    return Site(tree.content, tree.sections, records, now or datetime.now(TIMEZONE), tree.document_section)


def _entries(records: list[Record]) -> list[collisions.Entry]:
    entries = []
    for record in records:
        if record.kind != ARTICLE or "title" not in record.values or "category" not in record.values:
            continue
        entries.append(
            collisions.Entry(
                record.path,
                f"{record.values['category'].slug}/{record.slug}/",
                record.values["title"],
                record.line_of("slug") if "slug" in record.fields else 1,
                record.line_of("title"),
            )
        )
    return entries


FUTURE = frozenset({"future-date"})  # the one rule that reads the clock: run on every file, every build
NEEDS = 10  # position in ``_facts`` of what the file's findings read of other files (``_needs``)
STATE_VERSION = 2


def _facts(record: Record, root: str) -> tuple:
    """Return what other files' findings may read of ``record``, its future-date inputs, its needs.

    Plain values (a section as its slug and name), so the state of 10,000 files loads quickly;
    names and sections are shared between files (pickled once).
    """
    values = record.values
    category, tags, authors = values.get("category"), values.get("tags"), values.get("authors")
    return (
        record.path,
        record.kind,
        record.slug,
        None if category is None else _shared((category.slug, category.name)),
        None if tags is None else tuple(_shared(name) for name in tags),
        None if authors is None else tuple(_shared(name) for name in authors),
        values.get("date"),
        values.get("status"),
        record.fields.get("date"),
        record.body_line,
        _needs(record, root),
    )


_SHARED: dict = {}


def _shared(value):
    return _SHARED.setdefault(value, value)


def _needs(record: Record, root: str) -> tuple:
    """Return which facts of the site the cross-file rules read for ``record`` (named as ``_changes`` does).

    ``("path", p)``: whether a content path exists; ``("url", u)``: whether a site path is an
    article's or page's; ``("slug", s)``: whether a slug exists; ``("slugs",)``: the whole set of
    slugs (an unknown ``Related`` slug's hint). The first spellings of its names
    (``("name", key, folded)``) are read from its tags and authors (``_reads``).
    """
    needs = set()
    for link in record.links:
        target = link_target(link.url, record.path, root)
        if target is not None:
            kind, where, page = target
            needs.update((("slug", where), ("url", page)) if kind == "url" else (("path", where),))
    if record.values.get("related"):
        needs.add(("slugs",))
    return tuple(sorted(needs))


def _reads(facts: tuple, touched: set, names: set) -> bool:
    """Tell whether a file's findings read something in ``touched`` (``names``: its name changes)."""
    if not touched.isdisjoint(facts[NEEDS]):
        return True
    pairs = (("tags", facts[4]), ("authors", facts[5]))
    return bool(names) and any((key, folded(name)) in names for key, listed in pairs for name in listed or ())


def _fact_record(facts: tuple) -> Record:
    """Return a stand-in ``Record`` of an unchanged file: its facts only, for future-date."""
    path, kind, slug, category, tags, authors, date, status, date_line, body_line, _ = facts
    values = {
        "category": None if category is None else Section(*category),
        "tags": None if tags is None else list(tags),
        "authors": None if authors is None else list(authors),
        "date": date,
        "status": status,
    }
    fields = {} if date_line is None else {"date": date_line}
    values = {key: value for key, value in values.items() if value is not None}
    return Record(path, kind, values, fields, body_line, True, slug, [], [], [])


def _after(facts: tuple, now: datetime) -> bool:
    """Tell whether the file's ``Date`` is after ``now``: the clock matters to future-date only then."""
    date = facts[6]
    try:
        return bool(date and date > now)
    except TypeError:  # not comparable: the rule itself reports it
        return True


def _listing(tree: Tree) -> tuple[list[tuple[str, str, str]], frozenset[str]]:
    """Return ``(kind, path, absolute path)`` of each ``.md`` file in ``read_tree``'s order; the paths.

    One walk of the content folder gives both: the article and page folders are found in it (as
    ``os.walk`` of each would list them) unless the walk did not enter one (a link, a missing
    folder, a folder outside the content), which is then walked on its own.
    """
    root = os.path.abspath(tree.content)
    paths, walked = set(), {}  # walked: absolute folder → names of its files
    for parent, folders, names in os.walk(root):
        paths.update(os.path.join(parent, name) for name in (*folders, *names))
        walked[parent] = names
    files = []
    for kind, folder in ((ARTICLE, tree.article_dir), (PAGE, tree.page_dir)):
        top = str(tree.content / folder)
        absolute = os.path.abspath(top)  # os.walk joins onto ``top``: swap the prefix, no abspath each
        if absolute in walked:
            inside = absolute + os.sep
            found = [
                os.path.join(top + parent[len(absolute) :], name)
                for parent, names in walked.items()
                if parent == absolute or parent.startswith(inside)
                for name in names
                if name.endswith(".md")
            ]
        else:
            found = [
                os.path.join(parent, name)
                for parent, _, names in os.walk(top)
                for name in names
                if name.endswith(".md")
            ]
        # The order of sorted ``Path`` objects (part by part): NUL sorts before any character of a name.
        found.sort(key=lambda path: path.replace(os.sep, "\0"))
        files.extend((kind, path, absolute + path[len(top) :]) for path in found)
    return files, frozenset(paths)


def _provides(facts: tuple) -> tuple[str, str, dict]:
    """Return what a file gives the site: its slug, its site path, the first spelling of each name."""
    kind, slug, category = facts[1], facts[2], facts[3]
    names: dict[tuple[str, str], str] = {}
    for key, listed in (("tags", facts[4]), ("authors", facts[5])):
        for name in listed or ():
            names.setdefault((key, folded(name)), name)
    return slug, site_path(kind, category[0] if category else None, slug), names


def _recount(counts: dict, gone: list, new: list, kind: str) -> set:
    """Count ``gone`` out of and ``new`` into ``counts``; return ``(kind, item)`` of each new or lost item."""
    touched = {*gone, *new}
    present = {item for item in touched if item in counts}
    for items, sign in ((gone, -1), (new, 1)):
        for item in items:
            counts[item] = counts.get(item, 0) + sign
            if not counts[item]:
                del counts[item]
    return {(kind, item) for item in present.symmetric_difference(i for i in touched if i in counts)}


def _respell(spellings: dict, gone: list[tuple], new: list[tuple], ordered) -> set:
    """Update the first spelling of each name a file gone or new held; return those changed (``_needs``).

    ``ordered()`` yields every file's facts in reading order: it is walked only when such a name
    exists, and only up to the first file holding each.
    """
    spelled: Counter = Counter()
    for group, sign in ((gone, 1), (new, -1)):
        for facts in group:
            for pair, name in _provides(facts)[2].items():
                spelled[(*pair, name, facts[0])] += sign
    names = {(key, fold) for (key, fold, _, _), count in spelled.items() if count}
    if not names:
        return set()
    first: dict[tuple[str, str], tuple[str, str]] = {}
    for facts in ordered():
        for pair, name in _provides(facts)[2].items():
            if pair in names and pair not in first:
                first[pair] = (name, facts[0])
        if len(first) == len(names):
            break
    changed = {("name", *pair) for pair in names if spellings.get(pair) != first.get(pair)}
    for pair in names:
        spellings.pop(pair, None)
    spellings.update(first)
    return changed


def _changes(index: dict, gone: list[tuple], new: list[tuple], ordered, paths: frozenset) -> set:
    """Update ``index`` for the files ``gone`` and ``new`` (their facts); return what changed (``_needs``).

    ``index`` holds what ``Site`` derives from every document: how many files have each slug
    and each site path, the first spelling of each folded name (with its file) and the content's
    paths, so a build reads only the files that came or went.
    """
    changed = {("path", path) for path in paths.symmetric_difference(index["paths"] or ())}
    index["paths"] = paths
    given = [_provides(facts) for facts in gone], [_provides(facts) for facts in new]
    for position, kind, counts in ((0, "slug", index["slugs"]), (1, "url", index["urls"])):
        changed |= _recount(counts, *([item[position] for item in group] for group in given), kind)
    if any(item[0] == "slug" for item in changed):
        changed.add(("slugs",))
    return changed | _respell(index["spellings"], gone, new, ordered)


def _indexed_site(tree: Tree, now: datetime, index: dict) -> Site:
    """Return a ``Site`` answering the cross-file rules from ``index``, without its documents."""
    site = Site(tree.content, tree.sections, [], now, tree.document_section)
    site.paths, site.spellings = index["paths"], index["spellings"]
    site.slugs, site.article_urls = index["slugs"], index["urls"]  # counts: only their keys are read
    return site


def incremental_findings(tree: Tree, now: datetime, cache: CheckCache, state: Path) -> list[Finding]:
    """Return what ``rules.run(make_site(tree, now, cache))`` returns, in proportion to what changed.

    ``state`` keeps, from the last build, each file's findings but future-date's (by the key of its
    bytes), its facts (``_facts``: what other files' findings read of it, and what its own read of
    the site, ``_needs``) and the site's index (``_changes``). Only files that are new or changed
    are read; an unchanged file is checked again only when something it needs changed (a slug, a
    site path, a content path, a name's first spelling); future-date (the clock) runs on every
    file dated after now.
    """
    display = _displayer(tree.content)
    files, paths = _listing(tree)
    keys = []
    for kind, path, absolute in files:
        known = cache.hashes.get(absolute)
        digest = hashlib.sha256(Path(path).read_bytes()).digest() if known is None else bytes.fromhex(known)
        keys.append((display(path), kind, digest))  # ``display`` reads ``str(path)`` only
    located = {key: (kind, path) for key, (kind, path, _) in zip(keys, files, strict=True)}
    root = os.path.abspath(tree.content)
    before = _load_state(state, cache.salt, root)
    kept, index = before["files"], before["index"]
    changed = [key for key in keys if key not in kept]
    gone = [kept[key][0] for key in kept.keys() - located.keys()]
    records = _records(changed, located, tree, cache)
    facts = {key: _facts(records[key], root) for key in changed}
    every = [facts.get(key) or kept[key][0] for key in keys]
    touched = _changes(index, gone, [facts[key] for key in changed], lambda: iter(every), paths)
    if touched:
        names = {item[1:] for item in touched if item[0] == "name"}
        affected = [key for key in keys if key not in facts and _reads(kept[key][0], touched, names)]
        records |= _records(affected, located, tree, cache)
    cache.kept.keep(kept[key][2] for key in keys if key not in records)
    future = [number for number, fact in enumerate(every) if _after(fact, now)]
    site = _indexed_site(tree, now, index) if records or future else None
    found, results = [], {}
    for number, key in enumerate(keys):
        if key in records:
            doc = records[key]
            own = [astuple(f) for f in (*doc.local, *rules.site_findings(doc, site, FUTURE))]
            results[key] = (every[number], own, stored_key((cache.salt, *key)))
        else:
            results[key] = kept[key]
        found.extend(Finding(*finding) for finding in results[key][1])
    for number in future:
        doc = records.get(keys[number]) or _fact_record(every[number])
        found.extend(rules.site_findings(doc, site, rules.SITE_RULES - FUTURE))
    PREPARED.clear()  # made for this build only
    if records or gone or touched:
        kept = {"version": STATE_VERSION, "salt": cache.salt, "root": root, "files": results, "index": index}
        write_pickle(state, kept)
    return sorted(found)


def _records(wanted: list[tuple], located: dict, tree: Tree, cache: CheckCache) -> dict[tuple, Record]:
    """Return the records of ``wanted`` keys: kept by earlier builds, made ahead, or made now.

    Made ahead: by the build's read-ahead workers (``PREPARED``).

    The key of what is stored is always the hash of the bytes parsed (as in ``read_tree``).
    """
    records = cache.get_many(wanted)
    for key in wanted:
        if key not in records and key in PREPARED:
            records[key] = PREPARED.pop(key)
            cache.put(key, records[key])
        elif key not in records:
            kind, path = located[key]
            raw = Path(path).read_bytes()
            records[key] = make_record(parse_document(key[0], raw, kind, tree.sections))
            cache.put((key[0], kind, hashlib.sha256(raw).digest()), records[key])
    return records


def _load_state(path: Path, salt: str, root: str) -> dict:
    state = read_pickle(path)
    if isinstance(state, dict) and (state.get("version"), state.get("salt"), state.get("root")) == (
        STATE_VERSION,
        salt,
        root,
    ):
        return state
    index = {"paths": None, "slugs": {}, "urls": {}, "spellings": {}}
    return {"files": {}, "index": index}


def media_findings(site: Site) -> list[Finding]:
    """Image and attachment findings of ``portal/media.py``, or none when it is not merged."""
    if check_media is None:
        return []
    return list(check_media(site.content, [record for record in site.documents if record.has_text]))


def check_tree(tree: Tree, now: datetime | None = None) -> list[Finding]:
    """Return every finding of every file under ``tree.content``, sorted by path and line."""
    site = make_site(tree, now)
    found = [f for record in site.documents for f in record.read]
    found.extend(collisions.find(_entries(site.documents))[0])
    found.extend(rules.run(site))
    found.extend(media_findings(site))
    return sorted(set(found))
