"""What a reader needs to know before downloading an attachment: its type and its size."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath

KINDS = {
    ".pdf": "PDF",
    ".doc": "Word",
    ".docx": "Word",
    ".xls": "Excel",
    ".xlsx": "Excel",
    ".odt": "OpenDocument",
    ".ods": "OpenDocument",
    ".zip": "ZIP",
}


@dataclass(frozen=True)
class Attachment:
    """One downloadable file of an article, as the templates show it."""

    path: str
    name: str
    kind: str
    size: int | None

    @property
    def size_text(self) -> str:
        """The size in Vietnamese notation (decimal comma), or '' when the file is missing."""
        return format_size(self.size) if self.size is not None else ""


def format_size(size: int) -> str:
    """Return ``1,2 MB``-style text (decimal comma, as Vietnamese writes numbers)."""
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= scale:
            return f"{size / scale:.1f}".replace(".", ",") + f" {unit}"
    return f"{size} byte"


def describe(path: str, content_root: str | Path) -> Attachment:
    """Describe ``path`` (relative to the content folder, e.g. ``files/2024/a.pdf``)."""
    pure = PurePosixPath(path)
    file = Path(content_root) / pure
    size = file.stat().st_size if file.is_file() else None
    kind = KINDS.get(pure.suffix.lower(), pure.suffix.lstrip(".").upper() or "Tệp")
    return Attachment(path=str(pure), name=pure.name, kind=kind, size=size)
