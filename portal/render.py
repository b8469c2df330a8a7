"""Parsing a content file into metadata, HTML and findings, with a content-addressed cache.

Reading is the largest cost of a build. Each parse is a pure function of the file's bytes, its
path and the reader configuration, so its result is cached under a hash of exactly those
(never an mtime, which a fresh clone resets). A cold build parses on every core ahead of
Pelican's reader (``plugins/portal_content/readahead.py``), which stores each parse here.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from dataclasses import dataclass, field
from pathlib import Path

import markdown

from .metadata import ARTICLE, PAGE, Section, parse_metadata
from .source import decode
from .text import slugify

_CODE = ("source.py", "metadata.py", "text.py", "render.py", "findings.py")
WARM_THRESHOLD = 64  # below this many misses a pool costs more than it saves


@dataclass
class Parsed:
    """Everything the build needs of one file, picklable."""

    values: dict
    html: str
    findings: list
    field_lines: dict
    kind: str
    source_hash: str
    usable: bool = field(default=False)


def make_markdown(config: dict) -> markdown.Markdown:
    """Build the one Markdown instance a reader reuses; heading anchors use the portal's slugify."""
    extension_configs = {**config.get("extension_configs", {})}
    toc = {**extension_configs.get("markdown.extensions.toc", {}), "slugify": slugify}
    extension_configs["markdown.extensions.toc"] = toc
    extensions = list(dict.fromkeys([*config.get("extensions", []), *extension_configs]))
    return markdown.Markdown(
        extensions=extensions,
        extension_configs=extension_configs,
        output_format=config.get("output_format", "html5"),
    )


class DocumentParser:
    """Parses files with one reused Markdown instance."""

    def __init__(self, markdown_config: dict, sections: list[Section]):
        self._md = make_markdown(markdown_config)
        self._sections = sections

    def parse(self, display: str, raw: bytes, kind: str) -> Parsed:
        """Parse one file's bytes; problems become findings, never exceptions."""
        source = decode(display, raw)
        values = parse_metadata(source, kind, self._sections) if source.text else {}
        return convert(self._md, source, values, kind, raw)


def convert(md: markdown.Markdown, source, values: dict, kind: str, raw: bytes) -> Parsed:
    """Return the ``Parsed`` of a decoded file (``source``, its header read into ``values``).

    The body is converted with ``md`` (reset first); ``raw`` are the file's bytes, hashed.
    """
    md.reset()
    html = md.convert(source.body) if source.text else ""
    usable = "title" in values and (kind == PAGE or {"date", "category"} <= values.keys())
    return Parsed(
        values=values,
        html=html,
        findings=list(source.findings),
        field_lines={key: found.line for key, found in source.fields.items()},
        kind=kind,
        source_hash=hashlib.sha256(raw).hexdigest(),
        usable=usable,
    )


def fingerprint(markdown_config: dict, sections: list[Section]) -> str:
    """Hash of everything besides a file's bytes that its parse depends on."""
    digest = hashlib.sha256()
    digest.update(markdown.__version__.encode())
    digest.update(repr(sorted(markdown_config.get("extensions", []))).encode())
    digest.update(repr(sorted(markdown_config.get("extension_configs", {}).items())).encode())
    digest.update(repr(markdown_config.get("output_format")).encode())
    digest.update(repr(sections).encode())
    here = Path(__file__).parent
    for name in _CODE:
        digest.update((here / name).read_bytes())
    return digest.hexdigest()


class DocumentCache:
    """A folder of pickled ``Parsed`` results named by a hash of input and configuration."""

    def __init__(self, folder: str | os.PathLike | None, salt: str):
        self.folder = Path(folder) if folder else None
        self.salt = salt

    def key(self, display: str, kind: str, raw: bytes) -> str:
        """Return the cache key of one file as read from ``display`` as ``kind``."""
        digest = hashlib.sha256(self.salt.encode())
        digest.update(f"\0{display}\0{kind}\0".encode())
        digest.update(raw)
        return digest.hexdigest()

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.pickle"

    def load(self, key: str) -> Parsed | None:
        """Return the cached parse, or ``None`` (a damaged entry counts as a miss)."""
        if self.folder is None:
            return None
        try:
            with open(self._path(key), "rb") as handle:
                return pickle.load(handle)  # noqa: S301 (our own cache folder)
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError):
            return None

    def store(self, key: str, parsed: Parsed) -> None:
        """Save a parse atomically (a concurrent reader never sees half a file)."""
        if self.folder is None:
            return
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}")
        with open(temporary, "wb") as handle:
            pickle.dump(parsed, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)


@dataclass
class Job:
    """One file to parse ahead of the build: where it is, how it is shown, and its kind."""

    path: str
    display: str
    kind: str


__all__ = ["ARTICLE", "PAGE", "DocumentCache", "DocumentParser", "Job", "Parsed"]
