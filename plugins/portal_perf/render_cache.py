"""Skip rendering a page whose inputs are unchanged since the build that wrote it.

A page's key is a hash of everything its template can see:

- the build's fingerprint: every file of the theme, of ``plugins/`` and ``portal/``, the settings,
  and the bytes of every static file of the content (images change pictures' markup);
- the name of the page, its template, and the values of exactly the context variables that
  template (with everything it extends, includes and imports) refers to, found by Jinja's own
  ``meta`` analysis. An article page of the portal refers to ``article`` and ``pages`` but not to
  ``articles``, so editing one article leaves the other article pages' keys unchanged.

Values are digested by content: articles by their attributes (body, metadata, URL), the articles
they hold (``same_section``) and a paginator's full list by metadata and URL, lists by their
items. A value it cannot digest reliably (an object whose ``repr`` shows an address, a template
whose includes are dynamic) makes the key unknown, so the page is rendered: the cache errs
towards work, never towards stale pages.
The page is skipped only when its key matches the one recorded for the file, and the file is still
the one that build left: same device, inode and size. Not the mtime, which the release step sets
to the commit's time after this record is saved (every writer replaces a file by a rename, so
changed bytes always mean a new inode).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
from datetime import date, datetime
from pathlib import Path

from jinja2 import meta
from pelican.contents import Content
from pelican.paginator import Paginator
from pelican.urlwrappers import URLWrapper

EXCLUDED_ATTRIBUTES = {"_context", "settings", "_portal_url_cache", "_cached_url"}
MAX_DEPTH = 4
BOOKKEEPING = {"source_hash", "field_lines"}  # the reader's records, never shown on a page
ADDRESS = re.compile(r" at 0x[0-9a-f]+")


class UnstableError(Exception):
    """A value cannot be digested reproducibly."""


def template_variables(env, name: str, seen: dict) -> frozenset[str] | None:
    """Return the context names ``name`` (and what it extends, includes, imports) refers to."""
    if name in seen:
        return seen[name]
    seen[name] = frozenset()  # a template that includes itself
    source, _, _ = env.loader.get_source(env, name)
    tree = env.parse(source)
    names = set(meta.find_undeclared_variables(tree))
    for child in meta.find_referenced_templates(tree):
        if child is None:
            seen[name] = None
            return None
        found = template_variables(env, child, seen)
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
    an article inside another article or inside a paginator's full list (level 1) by its metadata
    and URL. ``depth`` bounds the walk through other objects.
    """

    def __init__(self) -> None:
        self._memo: dict[tuple[int, int], tuple[object, bytes]] = {}

    def digest(self, value, level: int = 0, depth: int = 0) -> bytes:
        """Return a digest of ``value``; raise ``UnstableError`` when it cannot be done reliably."""
        if value is None or isinstance(value, bool | int | float):
            return repr(value).encode()
        if isinstance(value, str):
            return b"s" + hashlib.sha1(value.encode("utf-8", "surrogatepass"), usedforsecurity=False).digest()
        if isinstance(value, datetime | date):
            return value.isoformat().encode()
        level = min(level, 1)
        key = (id(value), level)
        if key in self._memo:
            return self._memo[key][1]
        result = self._compute(value, level, depth)
        self._memo[key] = (value, result)  # keep the value so its id stays its own
        return result

    def _compute(self, value, level: int, depth: int) -> bytes:
        hasher = hashlib.sha1(type(value).__qualname__.encode(), usedforsecurity=False)
        if isinstance(value, list | tuple | set | frozenset):
            items = value if isinstance(value, list | tuple) else sorted(value, key=repr)
            for item in items:
                hasher.update(self.digest(item, level, depth))
        elif isinstance(value, dict):
            for item_key in sorted(value, key=repr):
                hasher.update(repr(item_key).encode())
                hasher.update(self.digest(value[item_key], level, depth))
        elif isinstance(value, URLWrapper):
            hasher.update(f"{value.name}\0{value.slug}".encode())
        elif isinstance(value, Content):
            self._content(hasher, value, level)
        elif hasattr(value, "__dict__"):
            if depth >= MAX_DEPTH:
                raise UnstableError(type(value).__qualname__)
            self._attributes(hasher, value, 1 if isinstance(value, Paginator) else level, depth + 1)
        else:
            hasher.update(_stable_repr(value))
        return hasher.digest()

    def _content(self, hasher, content: Content, level: int) -> None:
        if level >= 1:  # as other pages show it: metadata (not the reader's records) and URL
            metadata = sorted((k, v) for k, v in content.metadata.items() if k not in BOOKKEEPING)
            hasher.update(_stable_repr((metadata, content.url)))
            return
        # Whole: every attribute in one stable repr (an object whose repr shows an address makes
        # the key unknown), the articles it holds by reference as other pages show them. One
        # repr instead of a walk value by value: this digest runs for every article page.
        plain, linked = [], []
        for name, value in sorted(vars(content).items()):
            if name in EXCLUDED_ATTRIBUTES:
                continue
            if isinstance(value, str):  # the body and other long texts: hashed, never repr'd
                hasher.update(f"{name}\0{len(value)}\0".encode())
                hasher.update(value.encode("utf-8", "surrogatepass"))
            elif _holds_content(value):
                linked.append((name, value))
            elif name == "metadata":
                others = ((k, _flat(v)) for k, v in value.items() if not isinstance(v, str))
                plain.append((name, sorted(others)))
                for key, text in sorted((k, v) for k, v in value.items() if isinstance(v, str)):
                    hasher.update(f"metadata.{key}\0{len(text)}\0".encode())
                    hasher.update(text.encode("utf-8", "surrogatepass"))
            else:
                plain.append((name, _flat(value)))
        hasher.update(_stable_repr(plain))
        for name, value in linked:
            hasher.update(name.encode())
            hasher.update(self.digest(value, 1, 0))
        if _resolves_links(content):  # ``content`` depends on other articles' URLs too
            hasher.update(b"content\0")
            hasher.update(content.content.encode("utf-8", "surrogatepass"))

    def _attributes(self, hasher, value, level: int, depth: int) -> None:
        for name in sorted(vars(value)):
            if name not in EXCLUDED_ATTRIBUTES:
                hasher.update(name.encode())
                hasher.update(self.digest(vars(value)[name], level, depth))


def _resolves_links(content: Content) -> bool:
    """Tell whether the body may hold intrasite links (``{filename}`` and the like).

    Pelican resolves them against other contents' URLs when ``content`` is read: the body's own
    bytes do not name them. Kept articles know (``_portal_body_links``); for any other, assume so.
    """
    known = vars(content).get("_portal_body_links")
    return True if known is None else known


def _holds_content(value) -> bool:
    """Tell whether ``value`` is an article/page or a list or tuple holding one."""
    if isinstance(value, Content):
        return True
    return isinstance(value, list | tuple) and any(isinstance(item, Content) for item in value)


def _flat(value):
    """Return ``value`` with taxonomy objects as (kind, name, slug): their repr shows the name only."""
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


class RenderCache:
    """Keys of the pages written by the last build, and the check that lets a page be skipped."""

    def __init__(self, folder: str | os.PathLike, settings, code_roots: list[Path]):
        # One record per output folder: a development build and a publish do not evict each other.
        output = hashlib.sha256(os.path.abspath(settings["OUTPUT_PATH"]).encode()).hexdigest()[:16]
        self.path = Path(folder) / f"render-keys-{output}.pickle"
        self.previous: dict[str, tuple[bytes, int, int, int]] = {}
        self.stats: dict[tuple, str] = {}
        self.current: dict[str, bytes] = {}
        self.digester = Digester()
        self.variables: dict[str, frozenset[str] | None] = {}
        self.rendered = self.skipped = 0
        try:
            with open(self.path, "rb") as handle:
                stored = pickle.load(handle)  # noqa: S301 (our own cache folder)
            self.previous, self.stats = stored["keys"], stored["stats"]
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ValueError, KeyError, TypeError):
            self.previous, self.stats = {}, {}
        used: dict[tuple, str] = {}
        self.fingerprint = fingerprint(settings, code_roots, self.stats, used)
        self.stats = used  # only the files that still exist

    def key(self, template, name: str, localcontext: dict) -> bytes | None:
        """Return the key of a page, or ``None`` when it cannot be known (always render)."""
        names = template_variables(template.environment, template.name, self.variables)
        if names is None:
            return None
        hasher = hashlib.sha256(self.fingerprint)
        hasher.update(f"{template.name}\0{name}\0".encode())
        try:
            for variable in sorted(names):
                hasher.update(variable.encode())
                if variable in localcontext:
                    hasher.update(self.digester.digest(localcontext[variable]))
                else:  # a Jinja global or filter (code, in the fingerprint) or undefined
                    hasher.update(b"\0global" if variable in template.environment.globals else b"\0undefined")
        except (UnstableError, RecursionError):
            return None
        return hasher.digest()

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

    def save(self) -> None:
        """Record each page's key with its file's identity (device, inode, size) at the end of the build."""
        keys = {}
        for path, key in self.current.items():
            try:
                info = os.stat(path)
            except OSError:
                continue
            keys[path] = (key, info.st_dev, info.st_ino, info.st_size)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}")
        with open(temporary, "wb") as handle:
            counts = {"rendered": self.rendered, "skipped": self.skipped}  # read by tests and bench
            record = {"keys": keys, "stats": self.stats, "counts": counts}
            pickle.dump(record, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, self.path)


def settings_digest(settings, skip: tuple[str, ...] = ()) -> bytes:
    """Digest every setting but ``skip`` (a value without a stable digest counts by its type's name)."""
    digest = hashlib.sha256()
    digester = Digester()
    for name in sorted(settings):
        if name in skip:
            continue
        value = settings[name]
        try:
            part = digester.digest(value)
        except (UnstableError, RecursionError):
            part = getattr(value, "__qualname__", type(value).__qualname__).encode()
        digest.update(name.encode() + b"\0" + part)
    return digest.digest()


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
