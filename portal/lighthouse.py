"""Lighthouse scores of built pages, measured against Debian's Chromium.

A folder is served on 127.0.0.1 and npm ``lighthouse`` (tools/lighthouse) runs with its default
mobile preset.
"""

from __future__ import annotations

import functools
import gzip
import io
import json
import os
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

CATEGORIES = ("performance", "accessibility", "best-practices", "seo")


class LighthouseError(RuntimeError):
    """Lighthouse could not run or gave no report."""


COMPRESSED = {".html", ".css", ".js", ".svg", ".json", ".xml", ".txt"}


class _Handler(SimpleHTTPRequestHandler):
    """Serves text gzip-compressed, as the production nginx does, so scores match production."""

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        wants_gzip = "gzip" in self.headers.get("Accept-Encoding", "")
        if not (wants_gzip and path.suffix in COMPRESSED and path.is_file()):
            return super().send_head()
        body = gzip.compress(path.read_bytes(), 6)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)

    def log_message(self, *args):
        pass


@contextmanager
def serve(folder: Path, port: int = 0) -> Iterator[str]:
    """Serve ``folder`` on 127.0.0.1 (``port`` 0 picks a free one); yield its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", port), functools.partial(_Handler, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def scores(binary: Path, chrome: str, url: str, categories=CATEGORIES) -> dict[str, int]:
    """Run Lighthouse on ``url``; return each of ``categories``' score out of 100."""
    with tempfile.TemporaryDirectory() as work:
        report = Path(work) / "report.json"
        done = subprocess.run(
            [
                str(binary),
                url,
                "--quiet",
                "--output",
                "json",
                "--output-path",
                str(report),
                "--chrome-flags=--headless=new --no-sandbox --disable-gpu",
                f"--only-categories={','.join(categories)}",
            ],
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "CHROME_PATH": chrome},
        )
        if not report.exists():
            raise LighthouseError(f"lighthouse failed on {url}: {done.stderr[-2000:]}")
        found = json.loads(report.read_text(encoding="utf-8"))["categories"]
    return {name: round(found[name]["score"] * 100) for name in categories}


def table(results: dict[str, dict[str, int]]) -> str:
    """Return the scores as a Markdown table, one row per page."""
    lines = ["| page | " + " | ".join(CATEGORIES) + " |", "|---|" + "---|" * len(CATEGORIES)]
    for page, found in results.items():
        lines.append(f"| `{page}` | " + " | ".join(str(found[c]) for c in CATEGORIES) + " |")
    return "\n".join(lines)
