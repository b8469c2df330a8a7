"""``invoke check``: read every content file as the build does and report every finding.

Three sources of findings, the same as in a build: what reading a file reports
(``portal/source.py``, ``portal/metadata.py``), slug collisions (``portal/collisions.py``), and
the rule table (``portal/rules.py``, run in the build by ``plugins/portal_checks``). Image and
attachment rules come from ``portal/media.py`` when it is there (the images plugin owns them).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import astuple, dataclass
from datetime import datetime
from pathlib import Path

from . import collisions, rules
from .buildcache import BuildCache, read_pickle, stored_key, write_pickle
from .document import RECORD_VALUES, Document, Record, Site
from .findings import Finding
from .metadata import ARTICLE, PAGE, Section, parse_metadata
from .predicates import followed_links
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


def _facts(record: Record) -> tuple:
    """Return what other files' findings may depend on of ``record``, and its future-date inputs.

    Plain values (a section as its slug and name), so the state of 10,000 files loads quickly.
    """
    values = record.values
    category, tags, authors = values.get("category"), values.get("tags"), values.get("authors")
    return (
        record.path,
        record.kind,
        record.slug,
        None if category is None else (category.slug, category.name),
        None if tags is None else tuple(tags),
        None if authors is None else tuple(authors),
        values.get("date"),
        values.get("status"),
        record.fields.get("date"),
        record.body_line,
    )


def _fact_record(facts: tuple) -> Record:
    """Return a stand-in ``Record`` of an unchanged file: its facts only, for ``Site`` and future-date."""
    path, kind, slug, category, tags, authors, date, status, date_line, body_line = facts
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


def _listing(tree: Tree) -> tuple[list[tuple[str, str]], frozenset[str]]:
    """Return ``(kind, path)`` of every ``.md`` file in ``read_tree``'s order, and ``Site.paths``."""
    files = []
    for kind, folder in ((ARTICLE, tree.article_dir), (PAGE, tree.page_dir)):
        found = []
        for parent, _, names in os.walk(tree.content / folder):
            found.extend(os.path.join(parent, name) for name in names if name.endswith(".md"))
        found.sort(key=lambda path: path.split(os.sep))  # the order of sorted ``Path`` objects
        files.extend((kind, path) for path in found)
    paths = set()
    for parent, folders, names in os.walk(os.path.abspath(tree.content)):
        paths.update(os.path.join(parent, name) for name in (*folders, *names))
    return files, frozenset(paths)


def incremental_findings(tree: Tree, now: datetime, cache: CheckCache, state: Path) -> list[Finding]:
    """Return what ``rules.run(make_site(tree, now, cache))`` returns, in proportion to what changed.

    ``state`` keeps, from the last build, each file's findings but future-date's (by the key of its
    bytes) and every file's facts (``_facts``), the ones other files' findings read, with the set of
    paths of the content folder. When these facts and paths are unchanged, an unchanged file's
    findings are too: only changed files are checked, against stand-ins of the others, and
    future-date (the clock) runs on every file dated after now. Otherwise every file is checked.
    """
    display = _displayer(tree.content)
    files, paths = _listing(tree)
    keys = []
    for kind, path in files:
        known = cache.hashes.get(os.path.abspath(path))
        digest = hashlib.sha256(Path(path).read_bytes()).digest() if known is None else bytes.fromhex(known)
        keys.append((display(path), kind, digest))  # ``display`` reads ``str(path)`` only
    located = dict(zip(keys, files, strict=True))
    before = _load_state(state, cache.salt)
    kept = before["files"]
    unchanged = kept.keys() & set(keys)
    records = _records([key for key in keys if key not in unchanged], located, tree, cache)
    facts = [_facts(records[key]) if key in records else kept[key][0] for key in keys]
    same = before["paths"] == paths and facts == before["facts"]
    if same:
        cache.kept.keep(kept[key][2] for key in unchanged)
    else:  # other files' findings may change: every file is checked
        records |= _records(list(unchanged), located, tree, cache)
    future = [index for index, fact in enumerate(facts) if _after(fact, now)]
    if records or future:  # a no-change build of past articles needs no site at all
        documents = [records.get(key) or _fact_record(fact) for key, fact in zip(keys, facts, strict=True)]
        site = Site(tree.content, tree.sections, documents, now, tree.document_section)
        site.paths = paths
    found, results = [], {}
    for index, key in enumerate(keys):
        if key in records:
            doc = documents[index]
            own = [astuple(f) for f in (*doc.local, *rules.site_findings(doc, site, FUTURE))]
            results[key] = (facts[index], own, stored_key((cache.salt, *key)))
        else:
            results[key] = kept[key]
        found.extend(Finding(*finding) for finding in results[key][1])
    for index in future:
        found.extend(rules.site_findings(documents[index], site, rules.SITE_RULES - FUTURE))
    PREPARED.clear()  # made for this build only
    if not (same and len(unchanged) == len(keys) == len(kept)):
        write_pickle(state, {"salt": cache.salt, "paths": paths, "facts": facts, "files": results})
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


def _load_state(path: Path, salt: str) -> dict:
    empty = {"salt": salt, "paths": None, "facts": None, "files": {}}
    state = read_pickle(path)
    return state if isinstance(state, dict) and state.get("salt") == salt else empty


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
