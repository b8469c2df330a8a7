"""``invoke serve`` for real: a Chromium page reloads after an edit, shows errors, and recovers."""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

import pytest
from conftest import ROOT
from webnodes import free_port

pytestmark = pytest.mark.system

ARTICLE = "articles/thanh-tra/2024/doan-thanh-tra-lam-viec-tai-dak-lak.md"
URL_PATH = "/thanh-tra/doan-thanh-tra-lam-viec-tai-dak-lak/"


@pytest.fixture
def preview(site_copy, tmp_path):
    content = site_copy("minimal")
    port = free_port()
    log = open(tmp_path / "serve.log", "w+", encoding="utf-8")  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-m", "invoke", "-r", str(ROOT), "serve", "--port", str(port),
         "--content", str(content), "--output", str(tmp_path / "out")],
        stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base + "/__preview/state.json", timeout=2).read()  # noqa: S310
            break
        except OSError:
            time.sleep(0.2)
    else:
        pytest.fail("invoke serve did not start: " + (tmp_path / "serve.log").read_text())
    yield base, content, tmp_path / "serve.log"
    os.killpg(process.pid, signal.SIGINT)
    try:
        process.wait(timeout=30)  # a rebuild under way finishes first on a loaded machine
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    log.close()


def test_serve_reloads_on_edit_shows_errors_and_recovers(browser, preview):
    base, content, log = preview
    page = browser.new_page()
    page.goto(base + URL_PATH)
    assert page.locator("h1").inner_text() == "Đoàn thanh tra làm việc tại Đắk Lắk"
    assert page.locator("#portal-preview-overlay").count() == 0
    article = content / ARTICLE
    original = article.read_text("utf-8")

    article.write_text(original.replace("làm việc tại Đắk Lắk", "làm việc tại tỉnh Đắk Lắk", 1), "utf-8")
    page.wait_for_function(
        "document.querySelector('h1') && document.querySelector('h1').textContent.includes('tỉnh Đắk Lắk')",
        timeout=60_000,
    )
    assert "Đã hiển thị ngay 1 bài" in log.read_text("utf-8")  # the fast path, before the full build

    # An error that keeps the page: the overlay on the page names file, line and fix.
    article.write_text(original + "\n<script>alert(1)</script>\n", "utf-8")
    page.wait_for_selector("#portal-preview-overlay >> text=[html-dangerous-tag]", timeout=60_000)
    overlay = page.locator("#portal-preview-overlay").inner_text().replace(str(content) + "/", "")
    assert "Nội dung có lỗi cần sửa" in overlay
    assert f"{ARTICLE}:20: error: [html-dangerous-tag]" in overlay

    # An error that removes the page: the reload lands on an error page listing the findings.
    article.write_text(original.replace("Date: 2024-03-15 09:30", "Date: 2024-02-30 09:30"), "utf-8")
    # Waited for as the page itself, which the full build makes (its findings alone could show on
    # the old page first, in the overlay of a build still under way).
    page.wait_for_function(
        "document.querySelector('h1') && document.querySelector('h1').textContent.startsWith('Không có trang')",
        timeout=60_000,
    )
    assert page.locator("h1").first.inner_text().startswith("Không có trang")
    shown = page.locator("body").inner_text()
    assert f"{ARTICLE}:2: error: [date-invalid]" in shown.replace(str(content) + "/", "")
    assert "ngày giờ không có thật" in shown
    assert "[date-invalid]" in log.read_text("utf-8")  # and in the terminal

    article.write_text(original, "utf-8")
    page.wait_for_function(
        "document.querySelector('h1') && document.querySelector('h1').textContent === 'Đoàn thanh tra làm việc tại Đắk Lắk'",
        timeout=60_000,
    )
    page.wait_for_timeout(700)  # one more poll of the build state
    assert page.locator("#portal-preview-overlay").count() == 0
    page.close()


def test_serve_shows_drafts_marked_as_drafts(browser, preview):
    base, _, _ = preview
    page = browser.new_page()
    response = page.goto(base + "/ban-nhap/ban-nhap-lich-tiep-cong-dan/")
    assert response.status == 200
    assert "Bản nháp" in page.locator(".portal-notice--draft").inner_text()
    page.close()


def test_error_page_escapes_findings():
    from portal.preview import BuildState, error_page

    state = BuildState(findings=[{"severity": "error", "text": "a.md:1: error: [x] <script>alert(1)</script>"}])
    page = error_page("/<b>/", state)
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)" in page
    assert "/&lt;b&gt;/" in page
    assert '<script src="/theme/js/preview.js" defer></script>' in page


def test_fast_render_writes_the_page_a_full_build_writes(site_copy, tmp_path, monkeypatch):
    from conftest import run_pelican

    from portal.fastpreview import FastRenderer
    from portal.preview import PREVIEW_SETTINGS

    content, output = site_copy("minimal"), tmp_path / "out"
    settings = ["-e", "PREVIEW=true", *(f"{k}={json.dumps(v)}" for k, v in PREVIEW_SETTINGS.items())]
    assert run_pelican(content, output, "pelicanconf.py", *settings).returncode == 0
    renderer = FastRenderer(ROOT, content, output, {"PREVIEW": True, **PREVIEW_SETTINGS})
    import portal_content.content as plugin  # on PLUGIN_PATHS once the renderer loaded the plugins

    archive_reads = []  # the fast path reads the saved file only, never the whole archive
    monkeypatch.setattr(plugin, "warm_cache", lambda settings, kept=frozenset(): archive_reads.append(settings) or 0)
    article = content / ARTICLE
    article.write_text(article.read_text("utf-8").replace("Đắk Lắk", "tỉnh Đắk Lắk"), "utf-8")
    written = renderer.render(article)
    assert written == str(output / URL_PATH.strip("/") / "index.html")
    fast = (output / URL_PATH.strip("/") / "index.html").read_text("utf-8")
    assert "tỉnh Đắk Lắk" in fast
    assert archive_reads == []
    assert run_pelican(content, output, "pelicanconf.py", *settings).returncode == 0
    assert (output / URL_PATH.strip("/") / "index.html").read_text("utf-8") == fast

    # What the fast path cannot show alone waits for the full build.
    article.write_text(article.read_text("utf-8").replace("Date: 2024-03-15", "Date: 2024-02-30"), "utf-8")
    assert renderer.render(article) is None  # a broken header: the build names the error
    path, found = renderer.findings(article)  # what the overlay shows until the full build
    assert path.endswith(ARTICLE) and [f["rule"] for f in found] == ["date-invalid"]
    draft = next((content / "articles").rglob("ban-nhap*.md"), None) or next(
        p for p in (content / "articles").rglob("*.md") if "Status: draft" in p.read_text("utf-8")
    )
    assert renderer.render(draft) is None
    assert renderer.render(next((content / "pages").rglob("*.md"))) is None


def test_a_save_during_the_fast_path_leaves_the_page_to_the_full_build(site_copy, tmp_path):
    """The fast path renders the page, then reads the file's findings: a save in between would
    show the overlay of one version on the page of another, so the browser is not reloaded."""
    from portal.preview import Preview

    content = site_copy("minimal")
    preview = Preview(ROOT, content, tmp_path / "out", free_port())
    preview.output.mkdir()
    preview.build()
    preview.start_fast_path()
    article = content / ARTICLE
    original = article.read_text("utf-8")
    article.write_text(original.replace("Đắk Lắk", "tỉnh Đắk Lắk", 1), "utf-8")
    before = preview.state.build
    assert preview.render_fast([article]) is True  # nothing saved meanwhile: shown at once
    assert preview.state.build == before + 1
    assert [f["rule"] for f in preview.state.findings if f["severity"] == "error"] == []

    findings = preview.fast.findings

    def saved_meanwhile(path):  # the editor saves again while the page is being rendered
        article.write_text(original.replace("Date: 2024-03-15 09:30", "Date: 2024-02-30 09:30"), "utf-8")
        return findings(path)

    preview.fast.findings = saved_meanwhile
    article.write_text(original.replace("Đắk Lắk", "Đắk Lắk mới", 1), "utf-8")
    assert preview.render_fast([article]) is False
    assert preview.state.build == before + 1  # no reload: the full build that follows shows the last
    assert [f["rule"] for f in preview.state.findings if f["severity"] == "error"] == []
