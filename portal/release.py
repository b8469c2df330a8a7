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
from dataclasses import dataclass
from pathlib import Path

import brotli

from portal.epoch import as_datetime
from portal.output import write_output

MANIFEST = "manifest.json"
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
    return sorted(p.relative_to(output).as_posix() for p in output.rglob("*") if p.is_file())


def gzip_bytes(data: bytes) -> bytes:
    """Deterministic gzip: no file name, mtime 0, best compression."""
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as handle:
        handle.write(data)
    return buffer.getvalue()


def precompress(output: Path) -> int:
    """Write ``.gz`` and ``.br`` beside every text file above ``MIN_COMPRESS_SIZE``; drop stale ones."""
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
        write_output(output, relative + ".gz", gzip_bytes(data))
        write_output(output, relative + ".br", brotli.compress(data, quality=11))
        written += 1
    return written


def sha256_of(path: Path) -> str:
    """Return the hex sha256 of a file."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def build_id(output: Path, epoch: int, commit: str) -> str:
    """``<UTC time>-<12 hex>``: the time orders releases, the digest names their exact bytes."""
    digest = hashlib.sha256(commit.encode())
    for relative in files_of(output):
        if relative not in (MANIFEST, VERSION) and not relative.startswith(VERSION + "."):
            digest.update(f"{relative}\0{sha256_of(output / relative)}\n".encode())
    return f"{as_datetime(epoch).strftime('%Y%m%dT%H%M%SZ')}-{digest.hexdigest()[:12]}"


def manifest(output: Path, version: Version) -> dict:
    """Return the manifest of ``output``: path, sha256, size and content type of every file but itself."""
    entries = [
        {
            "path": rel,
            "sha256": sha256_of(output / rel),
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
    for path in sorted(output.rglob("*"), reverse=True):
        os.utime(path, (epoch, epoch), follow_symlinks=False)
    os.utime(output, (epoch, epoch))


def finish(output: Path, epoch: int, commit: str, compress: bool = True) -> Version:
    """Turn a built output into a release: healthz, compressed copies, version, manifest, mtimes."""
    write_output(output, HEALTHZ, "ok\n")
    if compress:
        precompress(output)
    version = Version(
        build_id(output, epoch, commit), commit, as_datetime(epoch).strftime("%Y-%m-%dT%H:%M:%SZ")
    )
    write_output(output, VERSION, version.to_json())
    write_output(output, MANIFEST, json.dumps(manifest(output, version), indent=1, sort_keys=True) + "\n")
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
