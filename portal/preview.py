"""Live preview: build, serve on 127.0.0.1, rebuild on change, reload the open page.

The server keeps running whatever the content holds: a broken edit shows its findings in the
terminal and in an overlay on the page (drawn by ``theme/static/js/preview.js``), and the last
good output stays served until the fix.
"""

from __future__ import annotations

import html
import json
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

STATE_PATH = "/__preview/state.json"
PREVIEW_SETTINGS = {"THEME_STATIC_PATHS": ["static", "preview"]}  # besides PREVIEW=true
WATCHED = ("content", "theme", "plugins", "portal", "pelicanconf.py")


@dataclass
class BuildState:
    """What the page's preview script polls: the build number, success and findings."""

    build: int = 0
    ok: bool = True
    findings: list[dict] = field(default_factory=list)
    log: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def as_json(self) -> bytes:
        """Serialise for the preview script."""
        with self.lock:
            data = {"build": self.build, "ok": self.ok, "findings": self.findings, "log": self.log}
        return json.dumps(data, ensure_ascii=False).encode("utf-8")


class _Handler(SimpleHTTPRequestHandler):
    """Static files of the output folder, plus the build state; no caching."""

    state: BuildState

    def do_GET(self):  # noqa: N802 (http.server's naming)
        if self.path.split("?")[0] == STATE_PATH:
            body = self.state.as_json()
            self.send_response(200)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()

    def send_error(self, code, message=None, explain=None):
        """Answer a missing page with the build's findings, so a broken edit shows its cause.

        An article whose edit broke it has no page until the fix: the open page reloads into
        this one, which lists the errors and reloads again (through preview.js) once fixed.
        """
        if code != HTTPStatus.NOT_FOUND or self.command != "GET":
            super().send_error(code, message, explain)
            return
        body = error_page(self.path, self.state).encode("utf-8")
        self.send_response(code)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def end_headers(self):
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, format, *args):  # noqa: A002
        """Keep the terminal for build messages."""


def error_page(path: str, state: BuildState) -> str:
    """Return the preview's page for a missing URL: what the last build found, in Vietnamese."""
    with state.lock:
        errors = [f for f in state.findings if f.get("severity") == "error"]
        ok = state.ok
    items = "".join(f"<li>{html.escape(f.get('text', ''))}</li>" for f in errors)
    reason = (
        "Trang này không có trong bản dựng mới nhất."
        if ok and not errors
        else "Bản dựng mới nhất có lỗi, nên trang này chưa được tạo. Sửa các lỗi sau:"
    )
    return (
        '<!doctype html><html lang="vi"><head><meta charset="utf-8">'
        "<title>Xem trước: không có trang</title>"
        '<link rel="stylesheet" href="/theme/css/portal.css">'
        '<script src="/theme/js/preview.js" defer></script></head><body>'
        '<main class="portal-preview-error"><h1>Không có trang '
        f"{html.escape(path)}</h1><p>{reason}</p><ul>{items}</ul></main></body></html>"
    )


def _bytes(path: Path) -> bytes | None:
    """Return a file's bytes, or ``None`` once it is gone."""
    try:
        return path.read_bytes()
    except OSError:
        return None


@dataclass
class Preview:
    """One preview session: a content folder built into an output folder and served."""

    root: Path
    content: Path
    output: Path
    port: int = 8000
    state: BuildState = field(default_factory=BuildState)
    fast: object | None = None  # portal.fastpreview.FastRenderer, once started

    def build(self) -> None:
        """Run a development build with the preview script switched on; record the outcome."""
        findings_file = self.root / ".cache" / f"preview-findings-{self.port}.json"
        findings_file.parent.mkdir(parents=True, exist_ok=True)
        findings_file.unlink(missing_ok=True)
        # Incremental, like a publish: unchanged pages are not rendered again, and a page the
        # edit removed is pruned (portal_perf), so it is not served any more.
        command = [
            sys.executable, "-m", "portal.build", str(self.content),
            "-s", str(self.root / "pelicanconf.py"), "-o", str(self.output),
            "--log-handler", "plain",
            "-e", "PREVIEW=true", *(f"{key}={json.dumps(value)}" for key, value in PREVIEW_SETTINGS.items()),
            f"PORTAL_FINDINGS_FILE={json.dumps(str(findings_file))}",
        ]
        # utf-8 named: loading Pelican in this process (the fast path) sets the C locale.
        done = subprocess.run(  # noqa: S603
            command, capture_output=True, text=True, encoding="utf-8", errors="replace", check=False
        )
        sys.stdout.write(done.stdout + done.stderr)
        findings = json.loads(findings_file.read_text("utf-8")) if findings_file.exists() else []
        with self.state.lock:
            self.state.build += 1
            self.state.ok = done.returncode == 0
            self.state.findings = findings
            self.state.log = "" if self.state.ok else (done.stdout + done.stderr)[-4000:]
        status = "xong" if self.state.ok else "LỖI"
        print(f"[xem trước] Bản dựng #{self.state.build}: {status}, {len(findings)} ghi chú.")

    def start_fast_path(self) -> None:
        """Load the settings, theme and plugins once for single-article renders (about a second)."""
        from portal.fastpreview import FastRenderer  # noqa: PLC0415

        try:
            overrides = {"PREVIEW": True, **PREVIEW_SETTINGS}
            self.fast = FastRenderer(self.root, self.content, self.output, overrides)
        except Exception as exc:  # noqa: BLE001 (the full build still runs on every change)
            print(f"[xem trước] Không bật được chế độ hiển thị nhanh: {exc}")

    def render_fast(self, changed: list[Path]) -> bool:
        """Render the saved articles' pages at once and reload the browser; False when not possible.

        Only edits and additions of a few article files qualify; anything else (a deletion, a
        page, the theme, a draft, a broken header) waits for the full build.
        """
        if self.fast is None or not changed or len(changed) > 3:
            return False
        if not all(path.suffix == ".md" and path.is_file() for path in changed):
            return False
        saved = {path: _bytes(path) for path in changed}
        written = [self.fast.render(path) for path in changed]
        if not all(written):
            return False
        fresh = dict(self.fast.findings(path) for path in changed)  # the last build's are stale
        if any(_bytes(path) != saved[path] for path in changed):  # saved again meanwhile: the page
            return False  # and the findings may be of two versions; the full build shows the last
        with self.state.lock:
            kept = [f for f in self.state.findings if f.get("path") not in fresh]
            self.state.findings = kept + [f for found in fresh.values() for f in found]
            self.state.build += 1  # preview.js reloads the page now, and again after the full build
        print(f"[xem trước] Đã hiển thị ngay {len(written)} bài; đang dựng lại toàn bộ trang…")
        return True

    def watch(self) -> None:
        """Rebuild whenever a watched file changes (blocks); saved articles are shown first."""
        from watchfiles import Change, watch  # noqa: PLC0415

        paths = [self.content, *(self.root / name for name in WATCHED[1:])]
        for changes in watch(*[p for p in paths if p.exists()], debounce=200, step=50):
            if all(kind != Change.deleted for kind, _ in changes):
                try:
                    self.render_fast(sorted({Path(path) for _, path in changes}))
                except Exception as exc:  # noqa: BLE001 (the full build reports content problems)
                    name = type(exc).__name__
                    print(f"[xem trước] Hiển thị nhanh không được ({name}); chờ bản dựng đầy đủ.")
            self.build()

    def serve(self) -> ThreadingHTTPServer:
        """Start the HTTP server in a background thread and return it."""
        handler = type("Handler", (_Handler,), {"state": self.state})
        server = ThreadingHTTPServer(
            ("127.0.0.1", self.port), partial(handler, directory=str(self.output))
        )
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server

    def run(self) -> None:
        """Build once, serve, and rebuild on change until interrupted."""
        self.output.mkdir(parents=True, exist_ok=True)
        self.build()
        self.start_fast_path()
        server = self.serve()
        print(f"[xem trước] Đang phục vụ http://127.0.0.1:{self.port}/ (Ctrl+C để dừng)")
        try:
            self.watch()
        except KeyboardInterrupt:
            pass
        finally:
            server.shutdown()
