"""The editors' and operators' commands, run for real on copies of fixture sites."""

import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from conftest import ROOT, SITES

from portal.scaffold import Layout, NewArticle, ScaffoldError, create
from portal.text import TIMEZONE

SECTIONS = ["thanh-tra", "thong-bao"]


def invoke(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "invoke", "-r", str(ROOT), *args],
        capture_output=True, text=True, cwd=cwd, check=False,
    )


def layout(tmp_path: Path) -> Layout:
    return Layout(tmp_path, "articles", ROOT / "archetypes" / "article.md", SECTIONS)


def test_new_writes_a_draft_at_the_model_path_with_every_required_field(tmp_path):
    now = datetime(2026, 11, 26, 14, 5, tzinfo=TIMEZONE)
    path = create(layout(tmp_path), NewArticle("Đảng ủy họp phiên thường kỳ", "thanh-tra", "Phương Anh"), now)
    assert path == tmp_path / "articles/thanh-tra/2026/dang-uy-hop-phien-thuong-ky.md"
    text = path.read_text("utf-8")
    for line in ("Title: Đảng ủy họp phiên thường kỳ", "Date: 2026-11-26 14:05", "Category: thanh-tra",
                 "Authors: Phương Anh", "Status: draft"):
        assert line in text
    assert "Summary: " in text and "Tags: " in text


@pytest.mark.parametrize(
    ("title", "section", "message"),
    [
        ("Bài mới", "khong-co", "thanh-tra, thong-bao"),
        ("Đảng ủy họp phiên thường kỳ", "thanh-tra", "đã có bài"),
        ("!!!", "thanh-tra", "Tiêu đề trống"),
    ],
    ids=["unknown-section", "slug-taken", "empty-slug"],
)
def test_new_refuses_with_a_vietnamese_reason(tmp_path, title, section, message):
    create(layout(tmp_path), NewArticle("Đảng ủy họp phiên thường kỳ", "thanh-tra"))
    with pytest.raises(ScaffoldError, match=message):
        create(layout(tmp_path), NewArticle(title, section))


def test_check_prints_every_finding_and_exits_1():
    done = invoke("check", "--content", str(SITES / "invalid" / "title_fold_collision"))
    assert done.returncode == 1
    assert "dang-uy-hop.md:1: error: [duplicate-title]" in done.stdout
    assert "1 lỗi, 0 cảnh báo." in done.stdout


def test_check_passes_on_the_minimal_site_with_an_nfc_warning():
    done = invoke("check", "--content", str(SITES / "minimal"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "warning: [not-nfc]" in done.stdout


def test_failed_publish_leaves_previous_output_untouched(tmp_path):
    output = tmp_path / "out"
    good = invoke("publish", "--content", str(SITES / "minimal"), "--output", str(output))
    assert good.returncode == 0, good.stdout + good.stderr
    before = {p: p.read_bytes() for p in output.rglob("*") if p.is_file()}
    bad = invoke("publish", "--content", str(SITES / "invalid" / "slug_collision"), "--output", str(output))
    assert bad.returncode == 1
    assert "thư mục kết quả cũ được giữ nguyên" in bad.stderr + bad.stdout
    after = {p: p.read_bytes() for p in output.rglob("*") if p.is_file()}
    assert after == before
    assert not any(p.name.startswith(".out.") for p in tmp_path.iterdir())


def test_build_accepts_any_content_folder(tmp_path):
    content = tmp_path / "c"
    shutil.copytree(SITES / "minimal", content)
    done = invoke("build", "--content", str(content), "--output", str(tmp_path / "o"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "o" / "index.html").exists()


def test_new_refuses_a_slug_another_article_declares(tmp_path):
    other = tmp_path / "articles/thanh-tra/2024/bai-cu.md"
    other.parent.mkdir(parents=True)
    other.write_text("Title: Bài cũ\nSlug: hop-bao-thuong-ky\n\nNội dung.\n", encoding="utf-8")
    with pytest.raises(ScaffoldError, match="bai-cu.md"):
        create(layout(tmp_path), NewArticle("Họp báo thường kỳ", "thanh-tra"))


def test_check_refuses_an_unknown_format():
    done = invoke("check", "--content", str(SITES / "minimal"), "--format", "xml")
    assert done.returncode == 2
    assert "text hoặc json" in done.stderr
