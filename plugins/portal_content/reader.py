"""The Markdown reader of the portal: strict metadata, NFC text, one reused Markdown instance."""

from __future__ import annotations

import os

from markdown import Markdown
from pelican.readers import BaseReader
from pelican.urlwrappers import Author, Category, Tag

from portal.metadata import ARTICLE, PAGE, parse_metadata, sections_from_settings
from portal.source import decode
from portal.text import slugify

FINDINGS_KEY = "_portal_findings"


class PortalReader(BaseReader):
    """Reads ``.md`` files laid out as DESIGN.md says, reporting every problem as a finding.

    Files with an error that leaves no usable page (no title, date or section) get status
    ``skip``; the build gate then decides, from the findings, whether the build may go on.
    """

    enabled = True
    file_extensions = ["md"]

    def __init__(self, settings):
        super().__init__(settings)
        config = dict(settings["MARKDOWN"])
        extension_configs = {**config.get("extension_configs", {})}
        toc = {**extension_configs.get("markdown.extensions.toc", {}), "slugify": slugify}
        extension_configs["markdown.extensions.toc"] = toc
        extensions = list(dict.fromkeys([*config.get("extensions", []), *extension_configs]))
        self._md = Markdown(
            extensions=extensions,
            extension_configs=extension_configs,
            output_format=config.get("output_format", "html5"),
        )
        self._sections = sections_from_settings(settings["SECTIONS"])
        self._articles_dir = os.path.join(settings["PATH"], settings["ARTICLE_PATHS"][0])

    def read(self, source_path):
        """Return ``(html, metadata)`` of one file; findings travel in the metadata."""
        with open(source_path, "rb") as handle:
            raw = handle.read()
        source = decode(display_path(source_path), raw)
        kind = ARTICLE if _is_under(source_path, self._articles_dir) else PAGE
        values = parse_metadata(source, kind, self._sections) if source.text else {}
        self._md.reset()
        content = self._md.convert(source.body) if source.text else ""
        metadata = self._pelican_metadata(values, source_path)
        usable = "title" in values and (kind == PAGE or {"date", "category"} <= values.keys())
        if not usable:
            metadata["status"] = "skip"
        metadata[FINDINGS_KEY] = source.findings
        metadata["field_lines"] = {key: found.line for key, found in source.fields.items()}
        return content, metadata

    def _pelican_metadata(self, values: dict, source_path: str) -> dict:
        """Turn typed values into what Pelican's content classes expect."""
        metadata = dict(values)
        section = metadata.pop("category", None)
        if section is not None:
            metadata["category"] = _wrap(Category, section.name, self.settings, section.slug)
        if "tags" in metadata:
            metadata["tags"] = [_wrap(Tag, name, self.settings) for name in values["tags"]]
        if "authors" in metadata:
            metadata["authors"] = [_wrap(Author, name, self.settings) for name in values["authors"]]
        stem = os.path.splitext(os.path.basename(source_path))[0]
        metadata["slug"] = slugify(values.get("slug") or stem)
        metadata.setdefault("lang", self.settings["DEFAULT_LANG"])
        return metadata


def _wrap(cls, name: str, settings, slug: str | None = None):
    """Build a Pelican taxonomy object whose slug follows the portal's slug rule."""
    wrapper = cls(name, settings)
    wrapper.slug = slug or slugify(name)
    return wrapper


def display_path(path: str) -> str:
    """Return ``path`` as editors see it: relative to the working directory when inside it."""
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


def _is_under(path: str, folder: str) -> bool:
    return os.path.abspath(path).startswith(os.path.abspath(folder) + os.sep)
