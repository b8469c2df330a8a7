"""Skip rendering a page whose inputs are unchanged since the build that wrote it.

A page's key is a hash of everything its template can see:

- the build's fingerprint: every file of the theme, of ``plugins/`` and ``portal/``, the settings,
  and the bytes of every static file of the content (images change pictures' markup);
- the name of the page, its template, and the values of exactly the context variables that
  template (with everything it extends, includes and imports) refers to, found by Jinja's own
  ``meta`` analysis. An article page of the portal refers to ``article`` and ``pages`` but not to
  ``articles``, so editing one article leaves the other article pages' keys unchanged.

Values are digested by content: articles by their attributes (body, metadata, URL), the articles
they hold (``same_section``) by metadata and URL, lists by their items; a listing's page
(``portal.pagination.StablePage``) by its own attributes, its articles whole. A value it cannot
digest reliably (an object whose ``repr`` shows an address, a template whose includes are dynamic)
makes the key unknown, so the page is rendered: the cache errs towards work, never towards stale
pages.
The page is skipped only when its key matches the one recorded for the file, and the file is still
the one that build left: same device, inode and size. Not the mtime, which the release step sets
to the commit's time after this record is saved (every writer replaces a file by a rename, so
changed bytes always mean a new inode).

Digesting every article's final state was most of a rebuild's keys (about a second at 10,000
articles). An article's final state is a function of its file (as the article cache read it),
the settings and code, the other files of the content (pictures), and what the other articles
give it: references to them (neighbours, section lists, related articles, translations), each
showing its metadata and URL, and the URLs its links resolve to. So each build records every
content's digests and references by its source path (``RenderCache.trust_record``), and the next
build takes them back for the articles the article cache kept (``_trust``) when the fingerprint,
the reading salt and every other file of the content folder (its identity when the last build
started) are unchanged: all of them when the contents' lists are the same and each content read
again shows others what it showed (its level-1 digest); otherwise (an article added, deleted,
retitled) what each kept article shows of itself, and its whole digest when its references are
the same contents showing the same and its body links to none. Anything else, and every page is
digested as before. ``PORTAL_PERF_VERIFY_DIGESTS`` digests the kept articles again and stops the
build on a difference (the incremental tests use it): a plugin that gave an article state derived
from other articles other than by referring to them would break the rule this relies on.

A paginated listing (a section, tag, author, year, ``tin-moi/``) has one key for all its pages
(``group_key``): when it is unchanged and every file it wrote is intact, the writer settles its
files without Pelican making its pages (``current_files``).
"""

from __future__ import annotations

import hashlib
import operator
import os
import re
import time
from datetime import date, datetime
from pathlib import Path

from jinja2 import meta
from pelican.contents import Content
from pelican.urlwrappers import URLWrapper

from portal.buildcache import racy, read_pickle, stamp_of, write_pickle
from portal.output import settings_digest

from . import article_cache

EXCLUDED_ATTRIBUTES = {"_context", "settings", "_portal_url_cache", "_cached_url"}
MAX_DEPTH = 4
BOOKKEEPING = {"source_hash", "field_lines"}  # the reader's records, never shown on a page
WHOLE_SKIPPED = EXCLUDED_ATTRIBUTES | {"metadata"}  # the metadata counts through the level-1 digest
ADDRESS = re.compile(r" at 0x[0-9a-f]+")
_PLAIN = frozenset({str, int, float, bool, type(None), datetime, date})
_ABSENT = object()
CONTENT_LISTS = ("articles", "drafts", "hidden_articles", "pages", "hidden_pages", "draft_pages")
TRUST_FORMAT = 2  # 2: each content's references (``_references``) recorded too


class UnstableError(Exception):
    """A value cannot be digested reproducibly."""


class StaleDigestError(RuntimeError):
    """A digest taken back from the last build differs from the article's own (verification)."""


def template_variables(env, name: str, seen: dict, analyses: dict, known: dict) -> frozenset[str] | None:
    """Return the context names ``name`` (and what it extends, includes, imports) refers to.

    Each template's own names and the templates it refers to are put in ``analyses`` by the hash
    of its source, taken from ``known`` (an earlier build's) when they are there: parsing every
    template again cost each build a fixed fraction of a second.
    """
    if name in seen:
        return seen[name]
    seen[name] = frozenset()  # a template that includes itself
    source, _, _ = env.loader.get_source(env, name)
    source_key = (name, hashlib.sha1(source.encode("utf-8", "surrogatepass"), usedforsecurity=False).digest())
    analysis = analyses.get(source_key) or known.get(source_key)
    if analysis is None:
        tree = env.parse(source)
        analysis = (
            frozenset(meta.find_undeclared_variables(tree)),
            tuple(meta.find_referenced_templates(tree)),
        )
    analyses[source_key] = analysis
    names = set(analysis[0])
    for child in analysis[1]:
        if child is None:
            seen[name] = None
            return None
        found = template_variables(env, child, seen, analyses, known)
        if found is None:
            seen[name] = None
            return None
        names |= found
    seen[name] = frozenset(names)
    return seen[name]


def files_digest(digest, root: Path, stats: dict, used: dict) -> None:
    """Add every file under ``root`` (path and bytes) to ``digest``.

    A file whose path, size and mtime are in ``stats`` is not read again (as git's index does);
    every stamp met is copied to ``used``.
    """
    if not root.is_dir():
        return
    for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        info = path.stat()
        stamp = (str(path), info.st_size, info.st_mtime_ns)
        if stamp not in stats:
            stats[stamp] = hashlib.sha256(path.read_bytes()).hexdigest()
        used[stamp] = stats[stamp]
        digest.update(f"{path.relative_to(root)}\0{stats[stamp]}\0".encode())


class Digester:
    """Digests of context values for one build, memoised by identity (values are final by now).

    ``level`` counts the article boundaries crossed: an article met at level 0 (a context variable,
    an item of a context list or of ``articles_page.object_list``) is digested whole, body included;
    an article inside another article (level 1) by what other pages show of it: its metadata and
    URL. ``depth`` bounds the walk through other objects.
    """

    def __init__(self, verify: bool = False) -> None:
        self.verify = verify  # digest kept articles again and compare (``PORTAL_PERF_VERIFY_DIGESTS``)
        self._memo: dict[tuple[int, int], tuple[object, bytes]] = {}
        # Source path → the last build's digests (whole, level 1) of a content known unchanged
        # (``RenderCache._trust``); empty unless this build may use them.
        self.kept: dict[str, tuple[bytes | None, bytes | None]] = {}

    def known(self, value, level: int) -> bytes | None:
        """Return the digest this build made of ``value`` at ``level``, if it made one."""
        found = self._memo.get((id(value), 1 if level else 0))
        return None if found is None else found[1]

    def digest(self, value, level: int = 0, depth: int = 0) -> bytes:
        """Return a digest of ``value``; raise ``UnstableError`` when it cannot be done reliably."""
        if isinstance(value, str):
            return b"s" + hashlib.sha1(value.encode("utf-8", "surrogatepass"), usedforsecurity=False).digest()
        if value is None or isinstance(value, bool | int | float):
            return repr(value).encode()
        if isinstance(value, datetime | date):
            return value.isoformat().encode()
        key = (id(value), 1 if level else 0)
        known = self._memo.get(key)
        if known is not None:
            return known[1]
        result = None
        if self.kept and isinstance(value, Content):
            result = self.kept.get(value.source_path, (None, None))[key[1]]
            if result is not None and self.verify and self._compute(value, key[1], depth) != result:
                raise StaleDigestError(
                    f"portal_perf: {value.source_path}: its level-{key[1]} digest taken back from the "
                    "last build differs from its state: a plugin gave it state derived from other "
                    "articles that is not a reference to them (docs/performance.md, For plugin authors)"
                )
        if result is None:
            result = self._compute(value, key[1], depth)
        self._memo[key] = (value, result)  # keep the value so its id stays its own
        return result

    def _compute(self, value, level: int, depth: int) -> bytes:
        hasher = hashlib.sha1(type(value).__qualname__.encode(), usedforsecurity=False)
        if isinstance(value, list | tuple | set | frozenset):
            items = value if isinstance(value, list | tuple) else sorted(value, key=repr)
            memo, kind, digest = self._memo, 1 if level else 0, self.digest
            for item in items:  # mostly articles digested already: their memo entry, looked up here
                known = memo.get((id(item), kind))  # a live object's id: memo entries hold theirs
                hasher.update(known[1] if known is not None else digest(item, level, depth))
        elif isinstance(value, dict):
            for item_key in sorted(value, key=repr):
                hasher.update(repr(item_key).encode())
                hasher.update(self.digest(value[item_key], level, depth))
        elif isinstance(value, URLWrapper):
            hasher.update(f"{value.name}\0{value.slug}".encode())
        elif isinstance(value, Content):
            if level:
                hasher.update(_shown(value))
            else:
                self._whole(hasher, value)
        elif hasattr(value, "__dict__"):
            if depth >= MAX_DEPTH:
                raise UnstableError(type(value).__qualname__)
            self._attributes(hasher, value, level, depth + 1)
        else:
            hasher.update(_stable_repr(value))
        return hasher.digest()

    def _whole(self, hasher, content: Content) -> None:
        """Digest an article as its own page shows it: every attribute.

        Its metadata and URL come from its level-1 digest (computed once, shared with every page
        that lists it), and so do the attributes that are the very objects of its metadata (title,
        date, tags, category…); texts go in whole (with their lengths, never repr'd), in one hash
        update; the articles it holds count by their level-1 digests; every other value goes into
        one stable repr (an object whose repr shows an address makes the key unknown).
        """
        hasher.update(self.digest(content, 1))
        metadata = content.metadata
        state = vars(content)
        texts, plain = [], []
        for name in sorted(state):
            value = state[name]
            if name in WHOLE_SKIPPED:
                continue
            if metadata.get(name, _ABSENT) is value and name not in BOOKKEEPING:
                continue  # the very value of the metadata: in the level-1 digest already
            kind = type(value)
            if kind is str:
                texts.append(f"{name}\0{len(value)}\0{value}")
            elif kind in _PLAIN:
                plain.append((name, value))
            elif isinstance(value, str):  # a subclass of str (Markup): its text, as before
                texts.append(f"{name}\0{len(value)}\0{value}")
            elif isinstance(value, Content) or (isinstance(value, list | tuple) and _holds_content(value)):
                plain.append((name, self.digest(value, 1)))
            else:
                plain.append((name, _flat(value)))
        hasher.update("".join(texts).encode("utf-8", "surrogatepass"))
        hasher.update(_stable_repr(plain))
        if _resolves_links(content):  # ``content`` depends on other articles' URLs too
            hasher.update(b"content\0")
            hasher.update(content.content.encode("utf-8", "surrogatepass"))

    def _attributes(self, hasher, value, level: int, depth: int) -> None:
        for name in sorted(vars(value)):
            if name not in EXCLUDED_ATTRIBUTES:
                hasher.update(name.encode())
                hasher.update(self.digest(vars(value)[name], level, depth))


def _shown(content: Content) -> bytes:
    """Digest what other pages show of an article: its metadata (not the reader's records) and URL."""
    metadata = [
        (k, v if type(v) in _PLAIN else _flat(v)) for k, v in content.metadata.items() if k not in BOOKKEEPING
    ]
    metadata.sort()  # names are unique: only they are compared
    return _stable_repr((metadata, content.url))


def _resolves_links(content: Content) -> bool:
    """Tell whether the body may hold intrasite links (``{filename}`` and the like).

    Pelican resolves them against other contents' URLs when ``content`` is read: the body's own
    bytes do not name them. Kept articles know (``_portal_body_links``); for any other, assume so.
    """
    known = vars(content).get("_portal_body_links")
    return True if known is None else known


def _holds_content(value) -> bool:
    """Tell whether a list or tuple holds an article or page."""
    return any(isinstance(item, Content) for item in value)


def _references(content: Content, digester: Digester) -> tuple:
    """Return the contents an article refers to, by attribute: their paths and level-1 digests.

    Neighbours, section lists, related articles, translations: what the other articles give an
    article is these references; the rest of its state is its own (its file, the settings, the
    code, the content folder's other files).
    """
    found = []
    for name, value in vars(content).items():
        if isinstance(value, Content):
            items = (value,)
        elif type(value) in (list, tuple) and value and _holds_content(value):
            items = value
        else:
            continue
        if name not in WHOLE_SKIPPED:
            shown = tuple((getattr(item, "source_path", None), digester.digest(item, 1)) for item in items)
            found.append((name, shown))
    found.sort()
    return tuple(found)


def _flat(value):
    """Return ``value`` with taxonomy objects as (kind, name, slug): their repr shows the name only."""
    if type(value) in _PLAIN:  # the common case: neither a taxonomy object nor a list of them
        return value
    if isinstance(value, URLWrapper):
        return (type(value).__qualname__, value.name, value.slug)
    if isinstance(value, list | tuple) and any(isinstance(item, URLWrapper) for item in value):
        return tuple(_flat(item) for item in value)
    return value


def _stable_repr(value) -> bytes:
    text = repr(value)
    if ADDRESS.search(text):
        raise UnstableError(text)
    return hashlib.sha1(text.encode("utf-8", "surrogatepass"), usedforsecurity=False).digest()


_INVENTORY: list[dict | None] = [None]  # the content folder as this build found it at its start


def take_inventory(settings) -> None:
    """Note every file of the content folder with its identity, before the build reads any.

    Taken when the build starts: a file changed later in the build differs from its note in the
    next build. The render cache of this build records it with the digests it makes.
    """
    _INVENTORY[0] = inventory(settings["PATH"])


def inventory(root) -> dict[str, tuple | None]:
    """Return each file under ``root`` (links followed, as Pelican does) with its identity.

    The identity is ``Stamps``' (``portal.buildcache.stamp_of``); a file changed just before
    (``racy``) has none, so it never matches.
    """
    started = time.time_ns()
    found: dict[str, tuple | None] = {}
    folders, seen = [os.path.abspath(root)], set()
    while folders:
        folder = folders.pop()
        try:
            entries = os.scandir(folder)
        except OSError:
            continue
        with entries:
            for entry in entries:
                try:
                    st = entry.stat()
                except OSError:
                    found[entry.path] = None
                    continue
                if entry.is_dir():
                    if (st.st_dev, st.st_ino) not in seen:
                        seen.add((st.st_dev, st.st_ino))
                        folders.append(entry.path)
                    continue
                found[entry.path] = None if racy(st, started) else stamp_of(st)
    return found


def _same_files(before: dict, now: dict, sources, last_sources) -> bool:
    """Tell whether every file but the contents' sources has the identity it had (none racy).

    ``sources`` are this build's contents' files, ``last_sources`` the last build's: a file may
    come or go only as one of them.
    """
    if not isinstance(before, dict):  # a build that noted nothing
        return False
    for path, identity in now.items():
        if path not in sources and (identity is None or before.get(path) != identity):
            return False
    return all(path in now or path in last_sources for path in before)


class RenderCache:
    """Keys of the pages written by the last build, and the check that lets a page be skipped."""

    def __init__(self, folder: str | os.PathLike, settings, code_roots: list[Path]):
        # One record per output folder: a development build and a publish do not evict each other.
        output = hashlib.sha256(os.path.abspath(settings["OUTPUT_PATH"]).encode()).hexdigest()[:16]
        self.path = Path(folder) / f"render-keys-{output}.pickle"
        self.previous: dict[str, tuple[bytes, int, int, int]] = {}
        self.stats: dict[tuple, str] = {}
        self.current: dict[str, bytes] = {}
        self.groups: dict[bytes, tuple[str, ...]] = {}  # a paginated listing's key → its files (last build)
        self.current_groups: dict[bytes, tuple[str, ...]] = {}
        self.digester = Digester(bool(settings.get("PORTAL_PERF_VERIFY_DIGESTS")))
        self.variables: dict[str, frozenset[str] | None] = {}
        self.analyses: dict[tuple[str, bytes], tuple] = {}  # of this build's templates, by source
        self._plans: dict[tuple, tuple | None] = {}
        self._last: dict[str, tuple[object, bytes]] = {}  # variable → its last value and digest
        # (plan, the names a page sets itself) → its own variables, the runs of shared ones between
        # them, their names, their last values and joined parts (``_key_over``)
        self._shapes: dict[tuple, list] = {}
        self.rendered = self.skipped = self.listings_kept = 0
        self.beside = False  # pages of this build written by the child of ``beside`` (merged)
        self.inventory, _INVENTORY[0] = _INVENTORY[0], None
        self._decided = False
        self._contents: dict[str, Content] = {}  # source path → content, in the build's lists
        self._archive: tuple | None = None
        self._salt: bytes | None = None
        self._references: dict[str, tuple] = {}  # source path → references known equal to the record's
        stored = read_pickle(self.path)
        try:
            self.previous, self.stats = stored["keys"], stored["stats"]
            self.groups = stored.get("groups", {})
            analyses = stored.get("analyses", {})
            self._trusted = stored.get("trust")
        except (KeyError, TypeError, AttributeError):  # no record, or one of another shape
            self.previous, self.stats, analyses, self._trusted = {}, {}, {}, None
        used: dict[tuple, str] = {}
        self.fingerprint = fingerprint(settings, code_roots, self.stats, used)
        self.stats = used  # only the files that still exist
        # A template's analysis depends on its source and on the environment's syntax (settings,
        # code: the fingerprint).
        self.known_analyses = analyses.get(self.fingerprint, {})

    def decide(self, context: dict) -> None:
        """Decide now which of the last build's article digests hold (``_trust``), if not decided yet.

        The build's first key decides it; a process about to fork a child that renders pages too
        decides it first, so the child inherits the decision instead of making it again.
        """
        if not self._decided:
            self._trust(context)

    def key(self, template, name: str, localcontext: dict, base: dict | None = None) -> bytes | None:
        """Return the key of a page, or ``None`` when it cannot be known (always render).

        The page's context is ``localcontext``, or, with ``base``, ``base`` updated with
        ``localcontext`` (the page's own values), without the copy.
        """
        if not self._decided:
            self._trust(base if base is not None else localcontext)
        plan = self._plan(template)
        if plan is None:
            return None
        if base is not None:
            return self._key_over(plan, template, name, localcontext, base)
        get = localcontext.get
        try:
            (joined,) = self._parts((plan,), [get(variable, _ABSENT) for variable, _, _ in plan])
        except (UnstableError, RecursionError):
            return None
        return hashlib.sha256(
            b"".join((self.fingerprint, f"{template.name}\0{name}\0".encode(), joined))
        ).digest()

    def _key_over(self, plan: tuple, template, name: str, own: dict, base: dict) -> bytes | None:
        """Return the key of a page whose values are ``own`` over the build's shared ``base``.

        The same key as of the merged context (the same parts in the same order), made faster: of
        the variables the template refers to, those the page does not set itself come from
        ``base``, the same objects from one page to the next (settings, the site's lists), so
        their parts are joined once, and again only when one of them is another object. The
        page's own values (its article, file, URL) are digested for each page.
        """
        shape = (id(plan), tuple(own))  # a plan lives as long as the build (``_plans``)
        found = self._shapes.get(shape)
        if found is None:
            mine, groups, group = [], [], []
            for entry in plan:
                if entry[0] in own:
                    mine.append(entry)
                    groups.append(tuple(group))
                    group = []
                else:
                    group.append(entry)
            groups.append(tuple(group))
            names = tuple(entry[0] for group in groups for entry in group)
            found = self._shapes[shape] = [tuple(mine), tuple(groups), names, None, ()]
        mine, groups, names, before, _ = found
        get = base.get
        values = [get(variable, _ABSENT) for variable in names]
        try:
            if before is None or not all(map(operator.is_, values, before)):
                found[4] = self._parts(groups, values)
                found[3] = values
            segments = found[4]
            parts = [self.fingerprint, f"{template.name}\0{name}\0".encode(), segments[0]]
            digest = self.digester.digest
            for index, (variable, label, _absent) in enumerate(mine, 1):
                parts.append(label)
                parts.append(digest(own[variable]))
                parts.append(segments[index])
        except (UnstableError, RecursionError):
            return None
        return hashlib.sha256(b"".join(parts)).digest()

    def _parts(self, groups: tuple, values: list) -> tuple[bytes, ...]:
        """Join each variable's name and the digest of its value (``values``, in order), group by group.

        ``groups`` are runs of a plan's entries: the whole plan, or (``_key_over``) the runs of the
        variables a page takes from the build's context between its own ones. A value met before
        as the same object is not digested again (most are the build's shared ones).
        """
        last, found, taken = self._last, [], iter(values)
        for group in groups:
            parts = []
            for variable, label, absent in group:
                value = next(taken)
                parts.append(label)
                if value is _ABSENT:  # a Jinja global or filter (code, in the fingerprint) or undefined
                    parts.append(absent)
                    continue
                seen = last.get(variable)
                if seen is None or seen[0] is not value:
                    seen = last[variable] = (value, self.digester.digest(value))
                parts.append(seen[1])
            found.append(b"".join(parts))
        return tuple(found)

    def group_key(  # noqa: PLR0913, PLR0917 (what a listing's pages are made of)
        self, template, name: str, context: dict, kwargs: dict, lists: dict, derived: set, inputs: tuple
    ) -> bytes | None:
        """Return the key of a paginated listing as a whole, or ``None`` when it cannot be known.

        Every page of a listing is a function of its template, its name and URL, the context values
        its template refers to but those that differ from page to page (``derived``: the paginated
        names, the page's file and site URL, made from ``inputs`` and the rest), and the lists it
        paginates, in order, each article whole (a page may show its articles' bodies).
        Equal keys mean equal pages: the listing's files are still current if they are intact.
        """
        if not self._decided:
            self._trust(context)
        plan = self._plan(template)
        if plan is None:
            return None
        parts = [self.fingerprint, f"{template.name}\0{name}\0".encode(), _stable_repr(inputs)]
        digest = self.digester.digest
        try:
            for key in sorted(lists):
                parts.append(f"\0list\0{key}\0".encode())
                parts.append(digest(lists[key]))
            for variable, label, absent in plan:
                if variable in derived:
                    continue
                parts.append(label)
                value = kwargs.get(variable, _ABSENT)
                if value is _ABSENT:
                    value = context.get(variable, _ABSENT)
                parts.append(absent if value is _ABSENT else digest(value))
        except (UnstableError, RecursionError):
            return None
        return hashlib.sha256(b"".join(parts)).digest()

    def current_files(self, group: bytes) -> tuple[str, ...] | None:
        """Return the files a listing with this key had in the last build, if each is still as it left it.

        Each is then recorded as current, with its page key of that build (equal, by the listing's).
        """
        paths = self.groups.get(group)
        if not paths:
            return None
        for path in paths:
            recorded = self.previous.get(path)
            if recorded is None or not self.unchanged(path, recorded[0]):
                return None
        self.current_groups[group] = paths
        self.listings_kept += 1
        return paths

    def _trust(self, context: dict) -> None:
        """Decide, at the build's first key, which of the last build's article digests still hold.

        None do unless the fingerprint, the reading's salt and the content folder's other files are
        as the last build found them. Then, for every content the article cache kept (same
        bytes, same salt: ``own``), its state but for the contents it refers to is what it was.
        With the same contents in the same lists, each read again showing others what it showed
        (its level-1 digest), every kept article's final state is what it was: all its digests
        hold. Otherwise (an article added, deleted, retitled) a kept article's level-1 digest still
        holds, and its whole digest too when it refers to the same contents, attribute for
        attribute, each showing what it showed then (``_references``), and its body names no
        other content (``_resolves_links``): the rest are digested again.
        """
        self._decided = True
        contents = self._contents
        archive = []
        for name in CONTENT_LISTS:
            paths = []
            for content in context.get(name) or ():
                for item in (content, *getattr(content, "translations", ())):
                    paths.append(item.source_path)
                    contents.setdefault(item.source_path, item)
            archive.append(tuple(paths))
        self._archive = tuple(archive)
        cache = article_cache.running(context)
        self._salt = None if cache is None else cache.salt
        record = self._trusted
        if (
            cache is None
            or self.inventory is None
            or not isinstance(record, dict)
            or record.get("format") != TRUST_FORMAT
            or (record["fingerprint"], record["salt"]) != (self.fingerprint, self._salt)
            or not _same_files(
                record["inventory"], self.inventory, contents, {p for ps in record["archive"] for p in ps}
            )
        ):
            return
        digests, loaded = record["digests"], cache.loaded
        own = {}
        for path, content in contents.items():
            entry = digests.get(path)
            if entry is not None and path in loaded and entry[0] == content.metadata.get("source_hash"):
                own[path] = entry
        try:
            if record["archive"] == self._archive and self._same_shown(contents, own, digests):
                self.digester.kept = {path: entry[1:3] for path, entry in own.items()}
                self._references = {path: entry[3] for path, entry in own.items()}  # theirs, as they were
            else:
                self._take_back(own)
        except (UnstableError, RecursionError):
            self.digester.kept = {}

    def _take_back(self, own: dict) -> None:
        """Keep what each kept article shows of itself, and its whole digest when its references hold."""
        digester = self.digester
        digester.kept = {path: (None, entry[2]) for path, entry in own.items() if entry[2] is not None}
        kept = dict(digester.kept)
        for path, entry in own.items():
            content = self._contents[path]
            if entry[1] is None or entry[2] is None or _resolves_links(content):
                continue
            if _references(content, digester) == entry[3]:
                kept[path] = entry[1:3]
                self._references[path] = entry[3]
        digester.kept = kept

    def _same_shown(self, contents: dict, own: dict, digests: dict) -> bool:
        """Tell whether every content read again shows others what it showed in the last build."""
        for path, content in contents.items():
            if path in own:
                continue
            entry = digests.get(path)
            if entry is None or entry[2] is None or self.digester.digest(content, 1) != entry[2]:
                return False
        return True

    def trust_record(self) -> dict | None:
        """Return what the next build needs to trust this build's article digests (none unnoted)."""
        if self._archive is None or self.inventory is None:
            return None
        digester, digests = self.digester, {}
        for path, content in self._contents.items():
            whole, shown = digester.known(content, 0), digester.known(content, 1)
            kept = digester.kept.get(path)
            if kept is not None:
                whole, shown = whole or kept[0], shown or kept[1]
            references = self._references.get(path) if kept is not None and kept[0] is not None else None
            if references is None and whole is not None:
                try:
                    references = _references(content, digester)
                except (UnstableError, RecursionError):
                    references = None
            digests[path] = (content.metadata.get("source_hash"), whole, shown, references)
        return {
            "format": TRUST_FORMAT,
            "fingerprint": self.fingerprint,
            "salt": self._salt,
            "archive": self._archive,
            "inventory": self.inventory,
            "digests": digests,
        }

    def _plan(self, template) -> tuple | None:
        """Return the variables a template refers to, in order, each with its stand-in when absent."""
        found = self._plans.get((template.environment, template.name), False)
        if found is False:
            environment = template.environment
            names = template_variables(
                environment, template.name, self.variables, self.analyses, self.known_analyses
            )
            found = self._plans[(environment, template.name)] = (
                None
                if names is None
                else tuple(
                    (
                        variable,
                        variable.encode(),
                        b"\0global" if variable in environment.globals else b"\0undefined",
                    )
                    for variable in sorted(names)
                )
            )
        return found

    def unchanged(self, path: str, key: bytes | None) -> bool:
        """Tell whether ``path`` was written by an earlier build for the same key and is intact."""
        if key is None:
            return False
        self.current[path] = key
        recorded = self.previous.get(path)
        if recorded is None or recorded[0] != key:
            return False
        try:
            info = os.stat(path)
        except OSError:
            return False
        return (info.st_dev, info.st_ino, info.st_size) == recorded[1:]

    def save(self, trust=_ABSENT) -> None:
        """Record each page's key with its file's identity (device, inode, size) at the end of the build.

        ``trust`` is ``trust_record()`` made by the caller beforehand (else made here).
        """
        keys = {}
        for path, key in self.current.items():
            try:
                info = os.stat(path)
            except OSError:
                continue
            keys[path] = (key, info.st_dev, info.st_ino, info.st_size)
        counts = {  # read by tests and bench
            "rendered": self.rendered,
            "skipped": self.skipped,
            "kept_digests": sum(whole is not None for whole, _ in self.digester.kept.values()),
            "listings": len(self.current_groups),  # paginated listings written or settled
            "listings_kept": self.listings_kept,  # of which settled whole
            "beside": self.beside,  # the feeds, API, sitemaps and search index written beside
        }
        record = {
            "keys": keys,
            "stats": self.stats,
            "counts": counts,
            "analyses": {self.fingerprint: self.analyses},
            "groups": {key: paths for key, paths in self.current_groups.items() if paths},
            "trust": self.trust_record() if trust is _ABSENT else trust,
        }
        write_pickle(self.path, record)


def fingerprint(settings, code_roots: list[Path], stats: dict, used: dict) -> bytes:
    """Hash of what every page depends on besides its own context values."""
    import jinja2
    import pelican

    digest = hashlib.sha256(f"{pelican.__version__}\0{jinja2.__version__}\0".encode())
    digest.update(settings_digest(settings))
    for root in code_roots:
        files_digest(digest, root, stats, used)
    content = Path(settings["PATH"])
    for folder in settings.get("STATIC_PATHS", []):
        files_digest(digest, content / folder, stats, used)
    return digest.digest()
