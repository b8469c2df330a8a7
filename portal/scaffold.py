"""``invoke new``: a new article from the archetype, at the path and with the slug the model wants."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .text import TIMEZONE, nfc, slugify

HINTS = {
    "tags": "Chủ đề 1, Chủ đề 2",
    "authors_hint": "Tên tác giả",
    "summary_hint": "Viết sapo: một đến ba câu tóm tắt tin, in đậm dưới tiêu đề.",
    "body_hint": "Viết nội dung bài ở đây. Dòng cuối là bút danh tác giả.",
}


class ScaffoldError(Exception):
    """The new article cannot be written; the message says why, in Vietnamese."""


@dataclass
class NewArticle:
    """What ``invoke new`` was asked for."""

    title: str
    section: str
    authors: str = ""


def target_path(content: Path, article_dir: str, section: str, slug: str, now: datetime) -> Path:
    """Return ``content/articles/<section>/<yyyy>/<slug>.md``."""
    return content / article_dir / section / f"{now:%Y}" / f"{slug}.md"


def render(archetype: str, request: NewArticle, now: datetime) -> str:
    """Fill the archetype; every required field is present, with a hint where it needs words."""
    authors = nfc(request.authors) or HINTS["authors_hint"]
    return archetype.format(
        title=nfc(request.title).strip(),
        date=f"{now:%Y-%m-%d %H:%M}",
        section=request.section,
        tags=HINTS["tags"],
        authors=authors,
        summary_hint=HINTS["summary_hint"],
        body_hint=HINTS["body_hint"],
        byline=authors,
    )


def _declared_slug(path: Path) -> str | None:
    """Return the ``Slug:`` an article's header declares, if any (the header ends at a blank line)."""
    with open(path, encoding="utf-8", errors="replace") as handle:
        for line in handle:
            if not line.strip():
                return None
            key, _, value = line.partition(":")
            if key.strip().lower() == "slug" and value.strip():
                return slugify(value)
    return None


def existing_slugs(content: Path, article_dir: str) -> dict[str, Path]:
    """Map every article slug already in the tree (its ``Slug:``, else its file name) to its file."""
    found: dict[str, Path] = {}
    for path in sorted((content / article_dir).rglob("*.md")):
        found.setdefault(_declared_slug(path) or slugify(path.stem), path)
    return found


@dataclass
class Layout:
    """Where new articles go and what they may be: read from pelicanconf.py by ``tasks.py``."""

    content: Path
    article_dir: str
    archetype: Path
    sections: list[str]


def create(layout: Layout, request: NewArticle, now: datetime | None = None) -> Path:
    """Write the new article and return its path; refuse unknown sections and taken slugs."""
    content, article_dir, sections = layout.content, layout.article_dir, layout.sections
    now = now or datetime.now(TIMEZONE)
    if request.section not in sections:
        raise ScaffoldError(
            f'Chuyên mục "{request.section}" không có. Dùng một trong: {", ".join(sections)}.'
        )
    slug = slugify(request.title)
    if not slug:
        raise ScaffoldError("Tiêu đề trống hoặc không có chữ nào dùng được cho địa chỉ bài.")
    taken = existing_slugs(content, article_dir).get(slug)
    if taken:
        raise ScaffoldError(
            f'Địa chỉ "{slug}" đã có bài: {taken}. Đặt tiêu đề khác hoặc sửa bài đã có.'
        )
    path = target_path(content, article_dir, request.section, slug, now)
    path.parent.mkdir(parents=True, exist_ok=True)
    archetype = layout.archetype.read_text(encoding="utf-8")
    path.write_text(render(archetype, request, now), encoding="utf-8")
    return path
