"""Test support: real Pelican builds of fixture sites, and system parts that may be required."""

from __future__ import annotations

import locale
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SITES = ROOT / "tests" / "fixtures" / "sites"
sys.path.insert(0, str(ROOT))


@dataclass
class Build:
    """The outcome of one real Pelican run."""

    returncode: int
    log: str
    output: Path

    def read(self, relative: str) -> str:
        """Return an output file's text."""
        return (self.output / relative).read_text(encoding="utf-8")

    def files(self) -> list[str]:
        """Return every output file, relative and sorted."""
        return sorted(str(p.relative_to(self.output)) for p in self.output.rglob("*") if p.is_file())


@pytest.fixture(autouse=True)
def _keep_the_locale():
    """Give the process its locale back after a test that read settings in process.

    Pelican's ``read_settings`` calls ``setlocale(LC_ALL, …)`` for the whole process
    (``publishconf.py`` asks for ``C``); later tests decoding a build's Vietnamese log as text
    would then decode it as ASCII.
    """
    saved = locale.setlocale(locale.LC_ALL)
    yield
    locale.setlocale(locale.LC_ALL, saved)


# Test builds are reproducible by default: a fixed clock and commit, unless a test sets its own.
BUILD_EPOCH = "1767225600"  # 2026-01-01T00:00:00Z
BUILD_COMMIT = "0" * 40


def build_env(**overrides: str) -> dict[str, str]:
    """The environment of a test build: SOURCE_DATE_EPOCH and SOURCE_COMMIT fixed unless set."""
    env = {"SOURCE_DATE_EPOCH": BUILD_EPOCH, "SOURCE_COMMIT": BUILD_COMMIT} | dict(os.environ)
    return env | overrides


def run_pelican(
    content: Path, output: Path, settings: str = "publishconf.py", *extra: str, env: dict | None = None
) -> Build:
    """Run ``pelican CONTENT -s SETTINGS -o OUTPUT`` as a user would, and capture its log."""
    command = [
        sys.executable, "-m", "portal.build", str(content), "-s", str(ROOT / settings),
        "-o", str(output), "--log-handler", "plain", *extra,
    ]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False, env=env or build_env())
    return Build(done.returncode, done.stdout + done.stderr, output)


@pytest.fixture
def build_site(tmp_path):
    """Build ``tests/fixtures/sites/<name>`` (or any folder) into a fresh directory."""
    def build(name: str | Path, settings: str = "publishconf.py", *extra: str) -> Build:
        content = name if isinstance(name, Path) else SITES / name
        return run_pelican(content, tmp_path / "output", settings, *extra)

    return build


@pytest.fixture
def site_copy(tmp_path):
    """Copy a fixture site into a writable folder (for tests that edit content)."""
    def copy(name: str) -> Path:
        target = tmp_path / "site"
        shutil.copytree(SITES / name, target)
        return target

    return copy


def require(binary: str) -> str:
    """Return the path of a system binary; skip without it, or fail if REQUIRE_SYSTEM_TESTS=1."""
    found = shutil.which(binary) or next(
        (p for p in (f"/usr/sbin/{binary}", f"/usr/bin/{binary}") if os.path.exists(p)), None
    )
    if found:
        return found
    message = f"{binary} is not installed"
    if os.environ.get("REQUIRE_SYSTEM_TESTS") == "1":
        pytest.fail(f"{message} and REQUIRE_SYSTEM_TESTS=1")
    pytest.skip(message)
    return ""


CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (its own browser download is not used)."""
    executable = require("chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def serve_dir():
    """Serve a folder on a free 127.0.0.1 port for the duration of a test; return its URL."""
    import threading
    from functools import partial
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    servers = []

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    def serve(folder: Path) -> str:
        server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(folder)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()
