"""Images and attachments of content: find references, validate files by content, report findings.

Pelican-free: the ``portal_images`` plugin and ``invoke check`` (through :func:`check_media`) share
these rules, so an editor sees the same message in a build and in a check. Every problem is a
:class:`~portal.findings.Finding` naming the article, the line and the file; nothing raises.
"""

from __future__ import annotations

import functools
import hashlib
import io
import os
import re
import warnings
from dataclasses import astuple, dataclass
from pathlib import Path, PurePosixPath

from PIL import Image, UnidentifiedImageError

from .buildcache import read_pickle, write_pickle
from .findings import ERROR, Finding

IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif"}
IMAGE_EXTENSIONS = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".webp": "WEBP", ".gif": "GIF"}
_INLINE_IMAGE = re.compile(
    r"!\[(?P<alt>[^\]]*)\]\(\s*<?(?P<src>[^)\s>]+)>?(?:\s+\"(?P<title>[^\"]*)\")?\s*\)"
)
_FILE_LINK = re.compile(r"\]\(\s*<?(?P<src>(?:\{static\}|\{attach\})?/?files/[^)\s>]+)>?")
_PREFIXES = ("{static}/", "{attach}/", "{static}", "{attach}", "/")


@dataclass(frozen=True)
class Limits:
    """What the portal accepts: file sizes and pixel counts (from the plugin's settings)."""

    image_max_bytes: int = 20 * 1024 * 1024
    image_max_pixels: int = 50_000_000
    attachment_max_bytes: int = 30 * 1024 * 1024


@dataclass(frozen=True)
class Reference:
    """One use of an image or attachment in a content file: the path as written and its line."""

    kind: str  # "image" (the Image field), "inline" (![alt](…)) or "attachment"
    target: str  # relative to the content root, e.g. "images/2024/hoi-nghi.jpg"
    line: int
    alt: str | None = None
    written: str = ""


class MediaProblem(Exception):  # noqa: N818 (a problem of content, reported as a finding)
    """A file cannot be used; ``rule`` and the Vietnamese ``message`` become a finding."""

    def __init__(self, rule: str, message: str):
        super().__init__(message)
        self.rule = rule
        self.message = message


def content_path(written: str) -> str:
    """Return a reference as a path relative to the content root (``{static}/`` and ``/`` removed)."""
    value = written.strip()
    for prefix in _PREFIXES:
        if value.startswith(prefix):
            return value[len(prefix) :]
    return value


@functools.lru_cache(maxsize=4096)  # every reference of every article, on every build
def is_external(written: str) -> bool:
    """Whether a reference points off the portal (a third-party request)."""
    return bool(re.match(r"^(?:[a-z][a-z0-9+.-]*:)?//", written.strip(), re.IGNORECASE))


def references(text: str, values: dict, field_lines: dict) -> list[Reference]:
    """Return every image and attachment ``values`` (typed metadata) and the file ``text`` use."""
    return field_references(values, field_lines) + text_references(text)


def field_references(values: dict, field_lines: dict) -> list[Reference]:
    """Return the images and attachments of the header: the ``Image`` and ``Attachments`` fields."""
    found = []
    if values.get("image"):
        found.append(
            Reference(
                "image",
                content_path(values["image"]),
                field_lines.get("image", 1),
                values.get("image_alt"),
                values["image"],
            )
        )
    for item in values.get("attachments") or []:
        found.append(
            Reference("attachment", content_path(item), field_lines.get("attachments", 1), written=item)
        )
    return found


def text_references(text: str) -> list[Reference]:
    """Return the inline images (``![alt](…)``) and links to ``files/`` of a file's text, in order."""
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        for match in _INLINE_IMAGE.finditer(line):
            found.append(
                Reference("inline", content_path(match["src"]), number, match["alt"].strip(), match["src"])
            )
        for match in _FILE_LINK.finditer(line):
            found.append(Reference("attachment", content_path(match["src"]), number, written=match["src"]))
    return found


def read_source(raw: bytes) -> str:
    """Decode a content file as ``Path.read_text(encoding="utf-8", errors="replace")`` does."""
    return io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8", errors="replace").read()


class ReferenceCache:
    """Each content file's inline images and attachment links, kept between builds by its bytes.

    The key is the sha256 of the file's bytes (the reader's ``source_hash``) and the code of this
    module: a file whose hash is known is not read again. References of the header fields depend
    on the typed metadata and are made on every call (cheap). One pickle of every file's
    references (mostly none), loaded whole: a lookup per article costs a dictionary's, not a
    query's, and the file is written again only when a file was read or one went unused. A
    missing or damaged cache file only costs the reading.
    """

    def __init__(self, path: str | os.PathLike | None) -> None:
        self.path = path
        self.salt = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()
        found = read_pickle(path)
        kept = found.get("refs") if isinstance(found, dict) and found.get("salt") == self.salt else None
        self.kept: dict[bytes, tuple] = kept if isinstance(kept, dict) else {}
        self.used: dict[bytes, tuple] = {}
        self.read = 0  # files opened by this build (read by tests)

    def references(
        self, source_path: str, values: dict, field_lines: dict, source_hash: str | None = None
    ) -> list[Reference]:
        """Return what ``references`` returns for the file at ``source_path`` as it is now."""
        key = bytes.fromhex(source_hash) if source_hash else None
        found = self.kept.get(key) if key else None
        if not isinstance(found, tuple):
            raw = Path(source_path).read_bytes()
            self.read += 1
            found = tuple(astuple(ref) for ref in text_references(read_source(raw)))
            key = hashlib.sha256(raw).digest()  # stored under the hash of the bytes read
        self.used[key] = found
        return field_references(values, field_lines) + [Reference(*ref) for ref in found]

    def save(self) -> None:
        """Keep what this build used (files it did not use are forgotten); unchanged, nothing is written."""
        if self.path and (self.read or len(self.used) != len(self.kept)):
            write_pickle(self.path, {"salt": self.salt, "refs": self.used})


def sniff_image(head: bytes) -> str | None:
    """Return the image format the first bytes announce, ``"SVG"``, or ``None``."""
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<svg", b"<?xml", b"<!doctype svg")) and b"<svg" in head.lower():
        return "SVG"
    return None


def open_image(path: Path, limits: Limits, display_width: int | None = None) -> Image.Image:
    """Open and fully decode an image after checking its type and size; raise ``MediaProblem``.

    With ``display_width``, a JPEG is decoded at the smallest DCT scale still at least that wide
    once oriented (much faster for camera photos than decoding every pixel and resizing).
    """
    name = path.as_posix()
    expected = IMAGE_EXTENSIONS.get(path.suffix.lower())
    size = path.stat().st_size
    if size > limits.image_max_bytes:
        raise MediaProblem(
            "image-too-large",
            f'Ảnh "{name}" nặng {format_size(size)}, vượt giới hạn '
            f"{format_size(limits.image_max_bytes)}. Xuất lại ảnh nhỏ hơn (ví dụ "
            "rộng 3000 điểm ảnh, chất lượng JPEG 85).",
        )
    with open(path, "rb") as handle:
        actual = sniff_image(handle.read(512))
    if actual == "SVG":
        raise MediaProblem(
            "image-svg",
            f'Ảnh "{name}" là SVG: cổng không nhận SVG vì tệp SVG có thể '
            "chứa mã chạy được. Xuất ảnh sang PNG hoặc JPEG rồi dùng tệp đó.",
        )
    if actual is None:
        raise MediaProblem(
            "image-not-image",
            f'Tệp "{name}" không phải ảnh JPEG, PNG, WebP hay GIF '
            "(nội dung tệp không khớp định dạng ảnh nào). Mở ảnh gốc và lưu lại "
            "dạng JPEG.",
        )
    if expected != actual:
        suffix = {"JPEG": ".jpg"}.get(actual, f".{actual.lower()}")
        raise MediaProblem(
            "image-wrong-extension",
            f'Ảnh "{name}" thực chất là {actual} nhưng đuôi '
            f'tệp là "{path.suffix}". Đổi tên tệp sang đuôi "{suffix}" và sửa '
            "đường dẫn trong bài.",
        )
    return _decode(path, actual, limits, display_width)


def _decode(path: Path, kind: str, limits: Limits, display_width: int | None) -> Image.Image:
    name, image, decoded = path.as_posix(), None, False
    try:
        with warnings.catch_warnings():
            # Pillow's own bomb check warns (then fails) on its global limit; ours is below it.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(path, formats=[kind])
            _check_pixels(image, name, limits)
            if display_width and kind == "JPEG":
                _draft(image, display_width)
            image.load()
            decoded = True
    except Image.DecompressionBombError as exc:
        raise MediaProblem(
            "image-bomb",
            f'Ảnh "{name}" quá lớn để giải nén an toàn (“bom giải nén”). Thu nhỏ ảnh trước khi đăng.',
        ) from exc
    except (OSError, SyntaxError, ValueError, UnidentifiedImageError, EOFError) as exc:
        raise MediaProblem(
            "image-corrupt",
            f'Ảnh "{name}" bị hỏng hoặc tải lên chưa hết ({exc}). '
            "Mở ảnh gốc trên máy, lưu lại rồi tải lên lần nữa.",
        ) from exc
    finally:
        if image is not None and not decoded:
            image.close()
    return image


def _check_pixels(image: Image.Image, name: str, limits: Limits) -> None:
    """Refuse an image whose header announces more pixels than the limit, before decoding it."""
    if image.width * image.height <= limits.image_max_pixels:
        return
    limit = f"{limits.image_max_pixels:,}".replace(",", ".")
    raise MediaProblem(
        "image-bomb",
        f'Ảnh "{name}" có {image.width}×{image.height} điểm ảnh, vượt giới hạn {limit} điểm ảnh '
        "(có thể là ảnh “bom giải nén”). Thu nhỏ ảnh trước khi đăng.",
    )


def _draft(image: Image.Image, display_width: int) -> None:
    """Ask the JPEG decoder for a reduced size whose displayed width is still ``display_width``."""
    width, height = image.size
    rotated = image.getexif().get(0x0112, 1) in (5, 6, 7, 8)
    if rotated:  # the stored height becomes the displayed width
        image.draft("RGB", (max(1, display_width * width // height), display_width))
    else:
        image.draft("RGB", (display_width, max(1, display_width * height // width)))


def check_image(path: Path, limits: Limits) -> None:
    """Raise ``MediaProblem`` when ``path`` is not an image the portal can publish."""
    open_image(path, limits).close()


@functools.lru_cache(maxsize=4096)
def is_inside(target: str) -> bool:
    """Whether a content path stays inside the content folder (no ``..``, not absolute)."""
    path = PurePosixPath(target)
    return bool(target) and "\\" not in target and not path.is_absolute() and ".." not in path.parts


def format_size(size: int) -> str:
    """Return a file size as Vietnamese readers write it: ``850 KB``, ``1,2 MB`` (decimal comma)."""
    if size < 1024:
        return f"{size} byte"
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} KB"
    return f"{size / 1024 / 1024:.1f} MB".replace(".", ",")


def reference_problems(ref: Reference) -> list[MediaProblem]:
    """Return what is wrong with how an image is referenced (address, missing alt)."""
    problems = []
    if not is_external(ref.written) and not is_inside(ref.target):
        problems.append(
            MediaProblem(
                "image-path",
                f'Đường dẫn ảnh "{ref.written}" ra ngoài thư mục nội dung. Dùng đường dẫn dạng '
                '"images/<năm>/<tên-ảnh>.jpg".',
            )
        )
    if is_external(ref.written):
        problems.append(
            MediaProblem(
                "image-external",
                f'Ảnh "{ref.written}" nằm trên trang khác: '
                "cổng không tải gì từ bên thứ ba. Tải ảnh vào thư mục images/ "
                "và dùng đường dẫn đó.",
            )
        )
    if not ref.alt:
        where = "trường Image_alt" if ref.kind == "image" else "phần [mô tả] của ![mô tả](…)"
        problems.append(
            MediaProblem(
                "image-alt",
                f'Ảnh "{ref.target}" thiếu lời mô tả cho người '
                f"khiếm thị. Thêm {where}: mô tả ngắn những gì thấy trong ảnh.",
            )
        )
    return problems


def missing_image(target: str) -> MediaProblem:
    """Return the problem of an image file that is not there."""
    return MediaProblem(
        "image-missing",
        f'Không tìm thấy ảnh "{target}". Thêm ảnh vào thư mục images/ hoặc sửa đường dẫn trong bài.',
    )


def check_image_file(root: Path, target: str, limits: Limits) -> None:
    """Raise ``MediaProblem`` when ``root/target`` is missing or not a publishable image."""
    path = root / target
    if not path.is_file():
        raise missing_image(target)
    check_image(path, limits)


def finding(path: str, ref: Reference, problem: MediaProblem) -> Finding:
    """Turn a problem with one reference into the finding editors read."""
    return Finding(path, ref.line, ERROR, problem.rule, problem.message)


def _unpack(item) -> tuple[str, dict, dict]:
    """Accept ``(path, values, field_lines)``, an ``invoke check`` record or a document (``.source``)."""
    if isinstance(item, tuple):
        return item
    source = item.source
    return source.path, item.values, {key: getattr(f, "line", f) for key, f in source.fields.items()}


def check_media(content_root, article_values, limits: Limits | None = None) -> list[Finding]:
    """Return every image and attachment finding of the given content files.

    ``article_values`` holds ``(path, values, field_lines)`` tuples (``values`` as
    ``portal.metadata.parse_metadata`` returns them) or ``portal.check`` records or documents; the
    file at ``path`` is read again to find inline images and attachment links with their lines.
    Each image file is decoded once however many articles use it.
    """
    root, limits = Path(content_root), limits or Limits()
    verdicts: dict[str, MediaProblem | None] = {}
    found = []
    for item in article_values:
        path, values, field_lines = _unpack(item)
        text = Path(path).read_text(encoding="utf-8", errors="replace")
        for ref in references(text, values, field_lines):
            found.extend(finding(path, ref, p) for p in _problems(root, ref, limits, verdicts))
    return sorted(found)


def _problems(root: Path, ref: Reference, limits: Limits, seen: dict) -> list[MediaProblem]:
    if ref.kind == "attachment":
        from .attachments import check_attachment  # attachments builds on this module

        try:
            check_attachment(root, ref, limits)
        except MediaProblem as problem:
            return [problem]
        return []
    problems = reference_problems(ref)
    if is_external(ref.written) or not is_inside(ref.target):
        return problems
    if ref.target not in seen:
        try:
            check_image_file(root, ref.target, limits)
            seen[ref.target] = None
        except MediaProblem as problem:
            seen[ref.target] = problem
    return [*problems, *([seen[ref.target]] if seen[ref.target] else [])]
