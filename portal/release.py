"""A release: precompressed siblings, ``version.json``, ``/healthz``, ``manifest.json``, fixed mtimes.

Everything here is a pure function of the output's bytes and the build's epoch, so two
publishes of one commit give the same files, the same mtimes and so the same ETags on every node.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import mimetypes
import os
import tarfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import brotli

from portal.epoch import as_datetime
from portal.output import write_output

MANIFEST = "manifest.json"
# Release files that configure the web node and are never served (nginx answers 404).
NOT_SERVED = ("_nginx/",)
VERSION = "version.json"
HEALTHZ = "healthz"
COMPRESSIBLE = (
    ".html",
    ".css",
    ".js",
    ".mjs",
    ".json",
    ".xml",
    ".txt",
    ".svg",
    ".xsl",
    ".webmanifest",
    ".map",
    ".md",
)
MIN_COMPRESS_SIZE = 256  # below this a compressed copy saves less than a packet's headers
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".xml": "application/xml",
    ".txt": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".gz": "application/gzip",
    ".br": "application/x-brotli",
    ".pdf": "application/pdf",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".ico": "image/x-icon",
    ".wasm": "application/wasm",
}


@dataclass(frozen=True)
class Version:
    """What ``/version.json`` says: which build this is, of which commit, from when."""

    build_id: str
    commit: str
    built_at: str

    def to_json(self) -> str:
        """Return the file's text (sorted keys, one line per key)."""
        data = {"build_id": self.build_id, "commit": self.commit, "built_at": self.built_at}
        return json.dumps(data, indent=2, sort_keys=True) + "\n"


def content_type(relative: str) -> str:
    """Return the content type of an output file, by suffix (``healthz`` is text)."""
    suffix = Path(relative).suffix.lower()
    if relative == HEALTHZ:
        return "text/plain; charset=utf-8"
    return TYPES.get(suffix) or mimetypes.guess_type(relative)[0] or "application/octet-stream"


def files_of(output: Path) -> list[str]:
    """Every file of ``output``, relative and sorted (POSIX separators)."""
    found = []
    for folder, _, names in os.walk(output):
        relative = Path(folder).relative_to(output).as_posix()
        prefix = "" if relative == "." else relative + "/"
        found.extend(prefix + name for name in names if os.path.isfile(os.path.join(folder, name)))
    return sorted(found)


def gzip_bytes(data: bytes) -> bytes:
    """Deterministic gzip: no file name, mtime 0, best compression."""
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as handle:
        handle.write(data)
    return buffer.getvalue()


def precompress(output: Path) -> int:
    """Write ``.gz`` and ``.br`` beside every text file above ``MIN_COMPRESS_SIZE``; drop stale ones.

    A copy that already expands to the file's bytes is kept (an incremental publish compresses only
    what changed). After changing ``BROTLI_QUALITY`` or the compressors, publish into an empty
    folder once: kept copies would otherwise differ in bytes from a cold build's.
    """
    written = 0
    present = set(files_of(output))
    for relative in sorted(present):
        path = output / relative
        if relative.endswith((".gz", ".br")):
            if relative[:-3] not in present or relative[:-3] in (MANIFEST, VERSION):
                path.unlink()
            continue
        if relative in (MANIFEST, VERSION):  # written after this step, from the previous build here
            continue
        if not relative.lower().endswith(COMPRESSIBLE) or path.stat().st_size < MIN_COMPRESS_SIZE:
            continue
        data = path.read_bytes()
        for suffix, compress, expand in COMPRESSORS:
            if not _holds(output / (relative + suffix), expand, data):  # unchanged: not redone
                write_output(output, relative + suffix, compress(data))
        written += 1
    return written


def _brotli(data: bytes) -> bytes:
    # Quality 8: measured on 200 article pages, 54x faster than 11 for 6 % more bytes; at
    # archive scale quality 11 made precompression most of a publish.
    return brotli.compress(data, quality=BROTLI_QUALITY)


BROTLI_QUALITY = 8
COMPRESSORS = ((".gz", gzip_bytes, gzip.decompress), (".br", _brotli, brotli.decompress))


def _holds(sibling: Path, expand, data: bytes) -> bool:
    """Whether an existing compressed copy already expands to ``data`` (decompressing is cheap)."""
    if not sibling.is_file():
        return False
    try:
        return expand(sibling.read_bytes()) == data
    except (OSError, EOFError, gzip.BadGzipFile, brotli.error, zlib.error):
        return False


def sha256_of(path: Path) -> str:
    """Return the hex sha256 of a file."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _sha256(output: Path, relative: str, digests: dict | None) -> str:
    """``sha256_of`` once per file and ``finish`` (build id and manifest read every file)."""
    if digests is None:
        return sha256_of(output / relative)
    if relative not in digests:
        digests[relative] = sha256_of(output / relative)
    return digests[relative]


def build_id(output: Path, epoch: int, commit: str, digests: dict | None = None) -> str:
    """``<UTC time>-<12 hex>``: the time orders releases, the digest names their exact bytes."""
    digest = hashlib.sha256(commit.encode())
    for relative in files_of(output):
        if relative not in (MANIFEST, VERSION) and not relative.startswith(VERSION + "."):
            digest.update(f"{relative}\0{_sha256(output, relative, digests)}\n".encode())
    return f"{as_datetime(epoch).strftime('%Y%m%dT%H%M%SZ')}-{digest.hexdigest()[:12]}"


def manifest(output: Path, version: Version, digests: dict | None = None) -> dict:
    """Return the manifest of ``output``: path, sha256, size and content type of every file but itself."""
    entries = [
        {
            "path": rel,
            "sha256": _sha256(output, rel, digests),
            "size": (output / rel).stat().st_size,
            "type": content_type(rel),
        }
        for rel in files_of(output)
        if rel != MANIFEST
    ]
    return {
        "build_id": version.build_id,
        "commit": version.commit,
        "built_at": version.built_at,
        "files": entries,
    }


def fix_mtimes(output: Path, epoch: int) -> None:
    """Give every file and folder of ``output`` the build's epoch as mtime (same ETag on every node)."""
    for folder, names, files in os.walk(output, topdown=False):
        for name in (*files, *names):
            os.utime(os.path.join(folder, name), (epoch, epoch), follow_symlinks=False)
    os.utime(output, (epoch, epoch))


def finish(output: Path, epoch: int, commit: str, compress: bool = True) -> Version:
    """Turn a built output into a release: healthz, compressed copies, version, manifest, mtimes."""
    write_output(output, HEALTHZ, "ok\n")
    if compress:
        precompress(output)
    digests: dict[str, str] = {}  # no file changes between the build id and the manifest
    version = Version(
        build_id(output, epoch, commit, digests), commit, as_datetime(epoch).strftime("%Y-%m-%dT%H:%M:%SZ")
    )
    write_output(output, VERSION, version.to_json())
    listing = manifest(output, version, digests)
    write_output(output, MANIFEST, json.dumps(listing, indent=1, sort_keys=True) + "\n")
    fix_mtimes(output, epoch)
    return version


def read_manifest(output: Path) -> dict:
    """Return the manifest of a finished release folder."""
    return json.loads((output / MANIFEST).read_text(encoding="utf-8"))


def tarball(output: Path, target: Path, epoch: int) -> Path:
    """Write a deterministic ``.tar.gz`` of ``output`` (sorted, fixed owner and mtime) to ``target``."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for relative in files_of(output):
            info = archive.gettarinfo(output / relative, arcname=relative)
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            info.mtime = epoch
            info.mode = 0o644
            with (output / relative).open("rb") as handle:
                archive.addfile(info, handle)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(gzip_bytes(buffer.getvalue()))
    return target
