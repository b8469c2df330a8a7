"""Attachments (PDF, DOCX, XLSX, ODT, ODS): typed by their bytes, sized, named with ASCII.

Pelican-free; ``portal.media`` turns the ``MediaProblem`` raised here into findings.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .media import Limits, MediaProblem, Reference, format_size
from .text import slugify

# extension: (label shown to readers, MIME type)
ATTACHMENT_TYPES = {
    ".pdf": ("PDF", "application/pdf"),
    ".docx": ("Word", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ".xlsx": ("Excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ".odt": ("ODT", "application/vnd.oasis.opendocument.text"),
    ".ods": ("ODS", "application/vnd.oasis.opendocument.spreadsheet"),
}
ASCII_PATH = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")


def attachment_type(path: Path) -> tuple[str, str]:
    """Return ``(label, MIME type)`` of an attachment judged by its bytes; raise ``MediaProblem``."""
    name = path.as_posix()
    suffix = path.suffix.lower()
    allowed = ", ".join(s.lstrip(".").upper() for s in ATTACHMENT_TYPES)
    if suffix not in ATTACHMENT_TYPES:
        raise MediaProblem(
            "attachment-type",
            f'Tệp đính kèm "{name}" có đuôi "{path.suffix}" không được phép. Chỉ nhận {allowed}.',
        )
    actual = _sniff_document(path)
    if actual != suffix:
        what = actual.lstrip(".").upper() if actual else "không rõ định dạng"
        raise MediaProblem(
            "attachment-mismatch",
            f'Tệp đính kèm "{name}" có đuôi "{path.suffix}" '
            f"nhưng nội dung là {what}. Xuất lại tệp đúng định dạng ({allowed}) "
            "hoặc sửa đuôi tệp cho khớp.",
        )
    return ATTACHMENT_TYPES[suffix]


def _sniff_document(path: Path) -> str | None:
    with open(path, "rb") as handle:
        head = handle.read(8)
    if head.startswith(b"%PDF-"):
        return ".pdf"
    return _sniff_package(path) if head.startswith(b"PK\x03\x04") else None


def _sniff_package(path: Path) -> str | None:
    """Tell DOCX, XLSX, ODT and ODS apart by the parts inside the ZIP container."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            kind = archive.read("mimetype").decode("ascii", "replace").strip() if "mimetype" in names else ""
    except (zipfile.BadZipFile, OSError):
        return None
    by_mime = {ATTACHMENT_TYPES[s][1]: s for s in (".odt", ".ods")}
    if kind:
        return by_mime.get(kind)
    markers = {"word/document.xml": ".docx", "xl/workbook.xml": ".xlsx"}
    return next((suffix for part, suffix in markers.items() if part in names), None)


@dataclass(frozen=True)
class Attachment:
    """A published attachment: what the page and the API show of it."""

    url: str  # relative to the site root
    name: str
    label: str
    mime: str
    length: int

    @property
    def size_text(self) -> str:
        """The size in Vietnamese, e.g. ``1,2 MB``."""
        return format_size(self.length)

    def as_dict(self) -> dict:
        """Return the fields the templates and the JSON API read."""
        return {
            "url": self.url,
            "name": self.name,
            "type": self.label,
            "mime": self.mime,
            "length": self.length,
            "size": self.size_text,
        }


def check_attachment(root: Path, ref: Reference, limits: Limits) -> Attachment:
    """Return the attachment ``ref`` names, or raise ``MediaProblem`` saying what to fix."""
    target = ref.target
    if not target.startswith("files/"):
        raise MediaProblem(
            "attachment-folder",
            f'Tệp đính kèm "{ref.written}" phải nằm trong thư mục files/ (ví dụ "files/2024/ten-tep.pdf").',
        )
    if not ASCII_PATH.match(target) or "//" in target or ".." in target:
        stem = Path(target)
        better = f"{stem.parent.as_posix()}/{slugify(stem.stem)}{stem.suffix.lower()}"
        raise MediaProblem(
            "attachment-name",
            f'Tên tệp đính kèm "{target}" có dấu, khoảng trắng '
            f'hoặc ký tự lạ nên địa chỉ tải về không ổn định. Đổi tên thành "{better}" '
            "và sửa đường dẫn trong bài.",
        )
    path = root / target
    if not path.is_file():
        raise MediaProblem(
            "attachment-missing",
            f'Không tìm thấy tệp đính kèm "{target}". Thêm tệp '
            "vào thư mục files/ hoặc sửa đường dẫn trong bài.",
        )
    size = path.stat().st_size
    if size > limits.attachment_max_bytes:
        raise MediaProblem(
            "attachment-too-large",
            f'Tệp đính kèm "{target}" nặng {format_size(size)}, '
            f"vượt giới hạn {format_size(limits.attachment_max_bytes)}. Nén tệp hoặc "
            "tách thành nhiều tệp.",
        )
    label, mime = attachment_type(path)
    return Attachment(target, path.name, label, mime, size)
