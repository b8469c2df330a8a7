"""Real Pelican builds of the fixture sites: golden output, Vietnamese text, strict publish."""

import difflib
import os
import re
import unicodedata
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from conftest import ROOT, SITES

GOLDEN = ROOT / "tests" / "golden" / "minimal"


# The minimal site holds, on purpose, an NFD file and a scheduled article: the content checks
# warn about both (and about nothing else), so warnings cannot be fatal for it.
MINIMAL_WARNINGS = ["[not-nfc]", "[future-date]"]


def test_minimal_site_matches_golden_output(build_site):
    build = build_site("minimal", "publishconf.py", "--fatal", "errors")
    assert build.returncode == 0, build.log
    assert sorted(re.findall(r"warning: (\[[a-z-]+\])", build.log)) == sorted(MINIMAL_WARNINGS), build.log
    golden = sorted(str(p.relative_to(GOLDEN)) for p in GOLDEN.rglob("*") if p.is_file())
    assert build.files() == golden, "output files differ: run `invoke update-golden` on purpose"
    for relative in golden:
        expected = (GOLDEN / relative).read_bytes()
        actual = (build.output / relative).read_bytes()
        if expected != actual:
            diff = difflib.unified_diff(
                expected.decode("utf-8", "replace").splitlines(),
                actual.decode("utf-8", "replace").splitlines(),
                f"golden/{relative}",
                f"output/{relative}",
                lineterm="",
                n=2,
            )
            pytest.fail("\n".join(list(diff)[:60]))


def test_sample_content_builds_without_any_warning(build_site):
    build = build_site(ROOT / "content", "publishconf.py", "--fatal", "warnings")
    assert build.returncode == 0, build.log
    assert "WARNING" not in build.log and "ERROR" not in build.log
    articles = [p for p in build.files() if p.count("/") == 2 and p.endswith("/index.html")]
    assert len(articles) >= 40


@pytest.fixture(scope="module")
def minimal(tmp_path_factory):
    from conftest import run_pelican

    build = run_pelican(SITES / "minimal", tmp_path_factory.mktemp("minimal") / "out")
    assert build.returncode == 0, build.log
    return build


def test_nfd_source_leaves_no_nfd_text_anywhere(minimal):
    for relative in minimal.files():
        if relative.endswith((".html", ".xml", ".json", ".txt", ".css")):
            text = minimal.read(relative)
            assert unicodedata.is_normalized("NFC", text), relative
    tags = BeautifulSoup(minimal.read("chu-de/index.html"), "html.parser")
    names = [a.get_text() for a in tags.select(".portal-taxonomy a")]
    assert names.count("Tiếp công dân") == 1  # NFC and NFD spellings are one tag


def test_slugs_and_heading_anchors_map_d_stroke_to_d(minimal):
    html = minimal.read("thanh-tra/doan-thanh-tra-lam-viec-tai-dak-lak/index.html")
    soup = BeautifulSoup(html, "html.parser")
    assert soup.find("h2", id="danh-gia-chung-ve-dat-dai") is not None
    assert "chu-de/dat-dai/index.html" in minimal.files()
    assert "tac-gia/anh-duong/index.html" in minimal.files()


def test_dates_are_shown_with_vietnamese_weekday(minimal):
    soup = BeautifulSoup(
        minimal.read("tin-tuc-su-kien/dang-uy-hop-phien-thuong-ky/index.html"), "html.parser"
    )
    assert soup.select_one(".portal-article-meta time").get_text() == "Thứ Năm, 26/11/2026 14:05"
    modified = minimal.read("thanh-tra/doan-thanh-tra-lam-viec-tai-dak-lak/index.html")
    assert "Cập nhật: <time" in modified


def test_tags_and_authors_listed_in_vietnamese_order(minimal):
    soup = BeautifulSoup(minimal.read("chu-de/index.html"), "html.parser")
    names = [a.get_text() for a in soup.select(".portal-taxonomy a")]
    assert names == ["Ấn phẩm", "Đảng ủy", "Đất đai", "Kế hoạch thanh tra", "Thanh tra", "Tiếp công dân"]
    soup = BeautifulSoup(minimal.read("tac-gia/index.html"), "html.parser")
    names = [a.get_text() for a in soup.select(".portal-taxonomy a")]
    assert names == ["Ánh Dương", "Bích Ngọc", "Phương Anh", "Thanh Danh", "Văn phòng"]


def test_drafts_and_future_articles_have_no_page_and_no_listing(minimal):
    everything = "".join(minimal.read(p) for p in minimal.files() if p.endswith(".html"))
    assert "BANNHAPBIMAT" not in everything and "TUONGLAIBIMAT" not in everything
    assert "Thông báo hẹn giờ đăng" not in everything
    assert not any("ban-nhap" in p or "thong-bao-tuong-lai" in p for p in minimal.files())


def test_every_page_has_lang_one_h1_and_no_inline_code(minimal):
    for relative in minimal.files():
        if not relative.endswith(".html"):
            continue
        soup = BeautifulSoup(minimal.read(relative), "html.parser")
        assert soup.html.get("lang") in {"vi", "en"}, relative
        assert len(soup.find_all("h1")) == 1, relative
        assert not soup.find_all("style") and not soup.select("[style]"), relative
        scripts = soup.find_all("script")
        assert all(s.get("src") or s.get("type") == "application/ld+json" for s in scripts), relative
        handlers = [a for tag in soup.find_all(True) for a in tag.attrs if a.startswith("on")]
        assert handlers == [], relative


def test_dev_build_shows_drafts_marked(build_site):
    build = build_site("minimal", "pelicanconf.py")
    assert build.returncode == 0, build.log
    draft = build.read("ban-nhap/ban-nhap-lich-tiep-cong-dan/index.html")
    assert "portal-notice--draft" in draft


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        (
            "date_not_iso",
            [r"date_not_iso/articles/thanh-tra/2019/article_with_slash_date\.md:2: error: \[date-format\]"],
        ),
        (
            "slug_collision",
            [
                r"2025/dang-uy-hop\.md:1: error: \[duplicate-slug\] .*2024/dang-uy-hop\.md",
            ],
        ),
        (
            "title_fold_collision",
            [
                r"dang-uy-hop\.md:1: error: \[duplicate-title\] .*dang-uy-hop-khong-dau\.md",
            ],
        ),
    ],
    ids=["date-not-iso", "slug-collision", "title-fold-collision"],
)
def test_publish_of_invalid_site_fails_with_message_and_writes_nothing(build_site, case, expected):
    build = build_site(SITES / "invalid" / case)
    assert build.returncode == 1, build.log
    for pattern in expected:
        assert re.search(pattern, build.log), build.log
    assert "Traceback" not in build.log
    assert "Bản xuất bản bị dừng" in build.log
    assert not build.output.exists() or not any(build.output.iterdir())


def test_dev_build_of_invalid_site_reports_and_still_builds(build_site):
    build = build_site(SITES / "invalid" / "slug_collision", "pelicanconf.py")
    assert build.returncode == 0, build.log
    assert "[duplicate-slug]" in build.log and "Traceback" not in build.log
    assert "tin-tuc-su-kien/dang-uy-hop/index.html" in build.files()


def test_the_build_command_ends_with_pelicans_status(capsys):
    # portal.build ends the process at once (os._exit) with the status Python would have given.
    from portal.build import exit_status

    assert (exit_status(None), exit_status(0), exit_status(2)) == (0, 0, 2)
    assert exit_status("Bản xuất bản bị dừng.") == 1
    assert "Bản xuất bản bị dừng." in capsys.readouterr().err


def test_the_build_command_compiles_the_portals_code_where_it_changed(tmp_path, monkeypatch):
    import importlib.util

    import portal.build

    code = tmp_path / "portal"
    (code / "inner").mkdir(parents=True)
    (code / "inner" / "module.py").write_text("VALUE = 'Thanh tra'\n", encoding="utf-8")
    compiled = Path(importlib.util.cache_from_source(code / "inner" / "module.py"))
    monkeypatch.setattr(portal.build, "ROOT", tmp_path)
    monkeypatch.setattr(portal.build, "CODE", ("portal",))
    portal.build.compile_code()
    first = compiled.stat().st_mtime_ns
    portal.build.compile_code()  # fresh: left alone
    assert compiled.stat().st_mtime_ns == first
    (code / "inner" / "module.py").write_text("VALUE = 'Thanh tra Chính phủ'\n", encoding="utf-8")
    os.utime(code / "inner" / "module.py", ns=(first + 10**9, first + 10**9))
    portal.build.compile_code()
    spec = importlib.util.spec_from_file_location("module", code / "inner" / "module.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.VALUE == "Thanh tra Chính phủ"
    assert compiled.stat().st_mtime_ns != first
