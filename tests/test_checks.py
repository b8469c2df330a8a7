"""The content rules: one invalid fixture site per rule, the hostile site, build and check agreeing."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, SITES, run_pelican

import pelicanconf as conf
from portal import rules, spelling
from portal.check import Tree, check_tree
from portal.findings import WARNING, Finding
from portal.metadata import sections_from_settings

sys.path.insert(0, str(ROOT / "plugins"))  # portal_checks and portal_content, in process
INVALID = SITES / "invalid"
CASES = sorted(p.name for p in INVALID.iterdir() if (p / "expected.txt").exists())
# Letters only Vietnamese uses: a message holding none of them is not in Vietnamese.
VIETNAMESE = re.compile(r"[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]")


def check(content: Path, monkeypatch) -> list:
    monkeypatch.chdir(content)
    return check_tree(Tree(Path("."), "articles", "pages", sections_from_settings(conf.SECTIONS), conf.DOCUMENT_SECTION))


def invoke(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "invoke", "-r", str(ROOT), *args],
        capture_output=True, text=True, cwd=cwd, check=False,
    )


@pytest.mark.parametrize("case", CASES, ids=CASES)
def test_each_invalid_site_reports_exactly_its_findings_in_vietnamese(case, monkeypatch):
    found = check(INVALID / case, monkeypatch)
    expected = (INVALID / case / "expected.txt").read_text("utf-8").split("\n")
    printed = [f.format() for f in found]
    assert sorted(line.split("] ", 1)[0] + "]" for line in printed) == [e for e in expected if e]
    for finding in found:
        assert VIETNAMESE.search(finding.message), finding.message
        assert finding.message.rstrip().endswith((".", "?", ")")), finding.message


def test_every_rule_has_an_invalid_fixture():
    covered = {
        re.search(r"\[([a-z0-9-]+)\]", line).group(1)
        for case in CASES
        for line in (INVALID / case / "expected.txt").read_text("utf-8").splitlines()
    }
    assert {rule.id for rule in rules.RULES} - {"internal-error"} <= covered


def test_rule_ids_are_unique_and_documented():
    ids = [rule.id for rule in rules.RULES]
    assert len(ids) == len(set(ids))
    documented = (ROOT / "docs" / "content-rules.md").read_text("utf-8")
    for rule in rules.RULES:
        assert f"`{rule.id}`" in documented, rule.id


def test_a_crashing_rule_is_a_finding_naming_the_file(monkeypatch):
    def explode(doc, site):
        raise ValueError("boom")
        yield  # pragma: no cover

    monkeypatch.setattr(rules, "RULES", (rules.Rule("exploding", rules.ERROR, "x", explode),))
    found = check(INVALID / "empty_body", monkeypatch)
    crash = [f for f in found if f.rule == "internal-error"]
    assert len(crash) == 1
    assert crash[0].path.endswith("article_without_body.md")
    assert "exploding" in crash[0].message and "ValueError: boom" in crash[0].message


def test_sample_content_has_no_finding(monkeypatch):
    assert check(ROOT / "content", monkeypatch) == []


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Hoà bình và sức khoẻ", [("Hoà", "Hòa"), ("khoẻ", "khỏe")]),
        ("Thuý, HOÀ, Toà án", [("Thuý", "Thúy"), ("HOÀ", "HÒA"), ("Toà", "Tòa")]),
        ("quý, hòa, khỏe, hoàng, thuyền, ngoài, khuya", []),
    ],
    ids=["oa-oe", "uy-and-case", "old-style-and-closed-syllables"],
)
def test_new_style_tone_marks(line, expected):
    assert spelling.new_style_tones(line) == expected


@pytest.mark.parametrize(
    ("line", "legacy"),
    [
        ("Thanh tra ChÝnh phñ tæ chøc", True),  # TCVN3
        ("Vieät Nam, chính phuû", True),  # VNI
        ("Phòng, chống tham nhũng; Ánh Dương; Ấn Độ", False),
        ("Nhiệt độ 25°C, © 2026, «trích dẫn»", False),
    ],
    ids=["tcvn3", "vni", "vietnamese", "symbols"],
)
def test_legacy_encoding_words(line, legacy):
    assert (len(spelling.legacy_words(line)) >= 2) is legacy


def test_double_encoded_utf8_is_caught():
    assert spelling.is_double_utf8("Viá»‡t Nam")
    assert not spelling.is_double_utf8("Việt Nam, Đà Nẵng, Ưng")


def test_code_is_not_taken_for_markup():
    from portal import markup

    body = "Ví dụ:\n\n```html\n<script>x</script>\n```\n\nvà `<iframe>` <https://thanhtra.gov.vn>\n"
    assert markup.tags(markup.strip_code(body), 1) == []


def test_check_json_format_carries_every_finding():
    done = invoke("check", "--content", str(INVALID / "unknown_field"), "--format", "json",
                  cwd=INVALID / "unknown_field")
    assert done.returncode == 1
    data = json.loads(done.stdout)
    assert [(d["path"], d["line"], d["severity"], d["rule"]) for d in data] == [
        ("articles/thanh-tra/2024/article_with_catgory.md", 6, "error", "unknown-field"),
        ("articles/thanh-tra/2024/article_with_catgory.md", 7, "error", "required-field"),
    ]
    assert 'Có phải ý bạn là "Category"?' in data[0]["message"]


def test_warnings_alone_exit_0():
    done = invoke("check", "--content", str(INVALID / "tone_style"))
    assert done.returncode == 0, done.stdout
    assert "warning: [tone-style]" in done.stdout
    assert "0 lỗi, 1 cảnh báo." in done.stdout


def test_ci_annotations_from_json(tmp_path):
    findings = tmp_path / "findings.json"
    done = invoke("check", "--content", str(INVALID / "future_date"), "--format", "json")
    findings.write_text(done.stdout, encoding="utf-8")
    annotated = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "ci_annotations.py"), str(findings)],
        capture_output=True, text=True, check=False,
    )
    assert annotated.returncode == 0
    line = annotated.stdout.strip()
    assert line.startswith("::warning file=")
    assert "article_with_future_date.md,line=2,title=future-date::" in line
    assert "\n" not in line


def _findings_of_build(content: Path, tmp_path: Path) -> tuple[set, str]:
    findings_file = tmp_path / "findings.json"
    build = run_pelican(
        content, tmp_path / "dev", "pelicanconf.py", "-e", f"PORTAL_FINDINGS_FILE={json.dumps(str(findings_file))}",
    )
    data = json.loads(findings_file.read_text("utf-8"))
    return {(d["path"], d["line"], d["severity"], d["rule"], d["message"]) for d in data}, build.log


def test_hostile_site_one_run_reports_everything_and_the_build_agrees(tmp_path):
    hostile = SITES / "hostile_content"
    done = invoke("check", "--content", str(hostile), "--format", "json")
    assert done.returncode == 1
    checked = {(d["path"], d["line"], d["severity"], d["rule"], d["message"]) for d in json.loads(done.stdout)}
    assert {rule.id for rule in rules.RULES} - {"internal-error"} <= {f[3] for f in checked}
    built, log = _findings_of_build(hostile, tmp_path)
    assert "Traceback" not in log
    # Other plugins' rules (media, redirects…) are compared by their own tests.
    ours = {rule.id for rule in rules.RULES}
    assert {f for f in built if f[3] in ours} == {f for f in checked if f[3] in ours}


def test_hostile_publish_fails_and_leaves_the_previous_output_byte_identical(tmp_path):
    output = tmp_path / "out"
    good = invoke("publish", "--content", str(SITES / "minimal"), "--output", str(output))
    assert good.returncode == 0, good.stdout + good.stderr
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in output.rglob("*") if p.is_file()}
    bad = invoke("publish", "--content", str(SITES / "hostile_content"), "--output", str(output))
    assert bad.returncode == 1
    log = bad.stdout + bad.stderr
    assert "Traceback" not in log
    assert "[html-dangerous-tag]" in log and "[broken-link]" in log and "[encoding]" in log
    after = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in output.rglob("*") if p.is_file()}
    assert after == before


def test_strict_pelican_run_writes_nothing_on_a_rule_error(tmp_path):
    build = run_pelican(INVALID / "html_dangerous_tag", tmp_path / "out")
    assert build.returncode == 1
    assert "error: [html-dangerous-tag]" in build.log and "Traceback" not in build.log
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_new_article_passes_the_check_once_its_hints_are_filled_in(tmp_path):
    content = tmp_path / "content"
    (content / "articles").mkdir(parents=True)
    made = invoke("new", "--title", "Hội nghị sơ kết công tác tiếp công dân", "--section", "tiep-cong-dan",
                  "--content", str(content))
    assert made.returncode == 0, made.stderr
    path = next(content.rglob("*.md"))
    first = invoke("check", "--content", str(content))
    assert first.returncode == 1
    assert first.stdout.count("[unfilled-hint]") == 5, first.stdout
    text = path.read_text("utf-8")
    text = text.replace("Chủ đề 1, Chủ đề 2", "Tiếp công dân").replace("Tên tác giả", "Bích Ngọc")
    text = text.replace("Viết sapo: một đến ba câu tóm tắt tin, in đậm dưới tiêu đề.", "Sáng nay, hội nghị sơ kết.")
    text = text.replace("Viết nội dung bài ở đây. Dòng cuối là bút danh tác giả.", "Hội nghị đánh giá kết quả.")
    path.write_text(text, encoding="utf-8")
    second = invoke("check", "--content", str(content))
    assert second.returncode == 0, second.stdout
    assert "0 lỗi, 0 cảnh báo." in second.stdout


@pytest.mark.parametrize("media_merged", [False, True], ids=["alone", "with-portal-media"])
def test_markdown_media_links_are_left_to_portal_media_once_it_is_merged(tmp_path, monkeypatch, media_merged):
    from portal import predicates

    monkeypatch.setattr(predicates, "MEDIA_OWNS_MARKDOWN_MEDIA", media_merged)
    article = tmp_path / "articles/thanh-tra/2024/bai.md"
    article.parent.mkdir(parents=True)
    text = (INVALID / "future_date/articles/thanh-tra/2024/article_with_future_date.md").read_text("utf-8")
    text = text.replace("2099", "2024") + (
        "\n![Ảnh](/images/khong-co.jpg) [tệp]({static}/files/khong-co.pdf)\n"
        '<a href="/files/khong-co.pdf">tệp</a> [bài]({filename}/articles/khong-co.md)\n'
    )
    article.write_text(text, encoding="utf-8")
    monkeypatch.setattr("portal.check.check_media", None)
    broken = [f.message.split('"')[1] for f in check(tmp_path, monkeypatch) if f.rule == "broken-link"]
    owned = ["/images/khong-co.jpg", "{static}/files/khong-co.pdf"]
    rest = ["/files/khong-co.pdf", "{filename}/articles/khong-co.md"]
    assert sorted(broken) == sorted(rest if media_merged else owned + rest)


def test_rules_that_may_be_cached_look_at_nothing_but_the_file():
    # A rule missing from SITE_RULES while its predicate reads the site would keep a stale finding
    # (a link that became broken, a date that became past) from an earlier build.
    import ast
    import inspect

    for rule in rules.RULES:
        if rule.check is None or rule.id in rules.SITE_RULES:
            continue
        function = ast.parse(inspect.getsource(rule.check)).body[0]
        used = {node.id for statement in function.body for node in ast.walk(statement) if isinstance(node, ast.Name)}
        assert "site" not in used, f"{rule.id} reads the site: add it to SITE_RULES"


def test_cached_checks_report_what_a_fresh_check_reports(tmp_path, monkeypatch):
    import shutil

    from portal.check import CheckCache, check_salt, make_site

    content = tmp_path / "site"
    shutil.copytree(SITES / "hostile_content", content)
    monkeypatch.chdir(content)
    tree = Tree(Path("."), "articles", "pages", sections_from_settings(conf.SECTIONS), conf.DOCUMENT_SECTION)

    def cached_run():
        cache = CheckCache(tmp_path / "checks.pickle", check_salt(tree))
        found = rules.run(make_site(tree, None, cache), cache)
        cache.save()
        return found, cache

    def fresh_run():
        return rules.run(make_site(tree))

    first, _ = cached_run()
    assert first == fresh_run() and first
    again, cache = cached_run()
    assert again == first and cache.kept.hits and not cache.kept.misses  # every file reused
    # An edit changes that file's findings; deleting a link target changes another file's.
    victim = sorted((content / "articles").rglob("*.md"))[0]
    victim.write_text(victim.read_text(encoding="utf-8") + "\n<script>alert(1)</script>\n", encoding="utf-8")
    edited, _ = cached_run()
    assert edited == fresh_run() and edited != first


def _linked_site(root: Path) -> Path:
    """Two valid articles: A links to B and lists it as related; B has a tag spelled as in A."""
    content = root / "site"
    folder = content / "articles" / "thanh-tra" / "2024"
    folder.mkdir(parents=True)
    header = "Date: 2024-05-10 08:00\nCategory: thanh-tra\nAuthors: Phương Anh\nSummary: Tóm tắt.\n"
    (folder / "bai-a.md").write_text(
        f"Title: Bài A\n{header}Tags: Thanh tra\nRelated: bai-b\n\n"
        "Xem [bài B]({filename}/articles/thanh-tra/2024/bai-b.md) và [trang](/thanh-tra/bai-b/).\n",
        encoding="utf-8",
    )
    (folder / "bai-b.md").write_text(f"Title: Bài B\n{header}Tags: Thanh tra\n\nThân bài.\n", encoding="utf-8")
    return content


def _tree() -> Tree:
    return Tree(Path("."), "articles", "pages", sections_from_settings(conf.SECTIONS), conf.DOCUMENT_SECTION)


def _cached_run(cache_file: Path, hashes: dict | None = None):
    from portal.check import CheckCache, check_salt, make_site

    cache = CheckCache(cache_file, check_salt(_tree()), hashes)
    found = rules.run(make_site(_tree(), None, cache))
    cache.save()
    return found, cache


def _fresh_run():
    from portal.check import make_site

    return rules.run(make_site(_tree()))


def test_a_deleted_link_target_changes_the_findings_of_an_unchanged_file(tmp_path, monkeypatch):
    content = _linked_site(tmp_path)
    monkeypatch.chdir(content)
    first, _ = _cached_run(tmp_path / "checks.sqlite")
    assert first == [] == _fresh_run()
    (content / "articles/thanh-tra/2024/bai-b.md").unlink()
    found, cache = _cached_run(tmp_path / "checks.sqlite")
    assert cache.kept.hits == 1  # bai-a.md was not parsed again
    assert found == _fresh_run()
    assert sorted(f.rule for f in found) == ["broken-link", "broken-link", "unknown-related"]
    assert {f.path for f in found} == {"articles/thanh-tra/2024/bai-a.md"}


def test_a_tag_spelled_differently_elsewhere_reaches_a_cached_file(tmp_path, monkeypatch):
    content = _linked_site(tmp_path)
    monkeypatch.chdir(content)
    _cached_run(tmp_path / "checks.sqlite")
    # A new file sorting first spells the tag another way: both cached files now get the warning.
    other = content / "articles/thanh-tra/2024/bai-0.md"
    other.write_text(
        (content / "articles/thanh-tra/2024/bai-b.md").read_text("utf-8").replace("Tags: Thanh tra", "Tags: thanh tra"),
        encoding="utf-8",
    )
    found, cache = _cached_run(tmp_path / "checks.sqlite")
    assert cache.kept.hits == 2
    assert found == _fresh_run()
    assert sorted(f.path.rsplit("/", 1)[1] for f in found if f.rule == "name-variant") == ["bai-a.md", "bai-b.md"]


def test_an_edited_file_is_checked_again(tmp_path, monkeypatch):
    content = _linked_site(tmp_path)
    monkeypatch.chdir(content)
    _cached_run(tmp_path / "checks.sqlite")
    edited = content / "articles/thanh-tra/2024/bai-b.md"
    edited.write_text(edited.read_text("utf-8") + '\n<p style="color:red">Đỏ</p>\n', encoding="utf-8")
    found, cache = _cached_run(tmp_path / "checks.sqlite")
    assert cache.kept.hits == 1 and found == _fresh_run()
    assert [(f.path.rsplit("/", 1)[1], f.rule) for f in found] == [("bai-b.md", "html-inline-style")]


def test_files_the_reader_hashed_are_not_read_again(tmp_path, monkeypatch):
    import hashlib
    import os

    content = _linked_site(tmp_path)
    monkeypatch.chdir(content)
    files = sorted((content / "articles").rglob("*.md"))
    hashes = {os.path.abspath(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}
    first, _ = _cached_run(tmp_path / "checks.sqlite", hashes)
    opened = []
    original = Path.read_bytes
    def read_bytes(self):
        if self.suffix == ".md":
            opened.append(self.name)
        return original(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    again, cache = _cached_run(tmp_path / "checks.sqlite", hashes)
    assert again == first and opened == [] and cache.kept.hits == 2
    # A hash naming bytes no build checked (the file changed since): the file is read and hashed.
    files[0].write_text(files[0].read_text("utf-8") + "\n<script>x()</script>\n", encoding="utf-8")
    hashes[os.path.abspath(files[0])] = "00" * 32
    edited, _ = _cached_run(tmp_path / "checks.sqlite", hashes)
    assert opened == [files[0].name] and edited == _fresh_run() != first


@pytest.mark.parametrize("damage", ["not-a-database", "bad-values"])
def test_a_damaged_check_cache_is_ignored(tmp_path, monkeypatch, damage):
    import sqlite3

    content = _linked_site(tmp_path)
    (content / "articles/thanh-tra/2024/bai-b.md").unlink()
    monkeypatch.chdir(content)
    cache_file = tmp_path / "checks.sqlite"
    first, _ = _cached_run(cache_file)
    if damage == "not-a-database":
        cache_file.write_bytes(b"\x80\x04 not sqlite at all" * 100)
        for extra in tmp_path.glob("checks.sqlite-*"):
            extra.unlink()
    else:
        with sqlite3.connect(cache_file) as db:
            db.execute("UPDATE kv SET value = ?", (b"\x80\x05garbage",))
    found, cache = _cached_run(cache_file)
    assert found == first == _fresh_run() and found and cache.kept.hits == 0
    again, cache = _cached_run(cache_file)  # and the cache works again
    assert again == first and cache.kept.hits == 1


def _incremental_run(root: Path, now=None):
    from datetime import datetime

    from portal.check import CheckCache, check_salt, incremental_findings
    from portal.text import TIMEZONE

    cache = CheckCache(root / "checks.sqlite", check_salt(_tree()))
    found = incremental_findings(_tree(), now or datetime(2026, 1, 1, tzinfo=TIMEZONE), cache, root / "state.pickle")
    cache.save()
    return found, cache


def _fresh_at(now=None):
    from datetime import datetime

    from portal.check import make_site
    from portal.text import TIMEZONE

    return rules.run(make_site(_tree(), now or datetime(2026, 1, 1, tzinfo=TIMEZONE)))


def test_incremental_checks_read_only_changed_files_and_report_what_a_full_check_reports(tmp_path, monkeypatch):
    import shutil
    from datetime import datetime

    from portal.text import TIMEZONE

    content = tmp_path / "site"
    shutil.copytree(SITES / "hostile_content", content)
    monkeypatch.chdir(content)
    first, _ = _incremental_run(tmp_path)
    assert first == _fresh_at() and first
    again, cache = _incremental_run(tmp_path)
    assert again == first and cache.kept.hits == cache.kept.misses == 0  # no record read
    victim = sorted((content / "articles").rglob("*.md"))[0]
    victim.write_text(victim.read_text(encoding="utf-8") + "\n<script>alert(1)</script>\n", encoding="utf-8")
    edited, cache = _incremental_run(tmp_path)
    assert edited == _fresh_at() != first and cache.kept.hits == 0 and cache.kept.misses == 1
    # The clock: future-date runs on every file, changed or not.
    for year in (2000, 2100):
        moment = datetime(year, 1, 1, tzinfo=TIMEZONE)
        assert _incremental_run(tmp_path, moment)[0] == _fresh_at(moment)


def test_incremental_checks_follow_changes_other_files_read(tmp_path, monkeypatch):
    content = _linked_site(tmp_path)
    monkeypatch.chdir(content)
    folder = content / "articles/thanh-tra/2024"
    assert _incremental_run(tmp_path)[0] == [] == _fresh_at()
    steps = [
        # A new file sorting first spells the tag another way: both unchanged files get the warning.
        lambda: (folder / "bai-0.md").write_text(
            (folder / "bai-b.md").read_text("utf-8").replace("Tags: Thanh tra", "Tags: thanh tra"), "utf-8"
        ),
        # The link target gets another slug: A's links and Related break.
        lambda: (folder / "bai-b.md").write_text(
            (folder / "bai-b.md").read_text("utf-8").replace("Title: Bài B\n", "Title: Bài B\nSlug: bai-c\n"),
            "utf-8",
        ),
        lambda: (folder / "bai-b.md").unlink(),
        lambda: (folder / "bai-0.md").unlink(),
    ]
    for step in steps:
        step()
        found, _ = _incremental_run(tmp_path)
        assert found == _fresh_at()
    assert {f.rule for f in found} == {"broken-link", "unknown-related"}


def test_a_new_file_rechecks_only_the_files_whose_findings_it_can_change(tmp_path, monkeypatch):
    content = _linked_site(tmp_path)
    monkeypatch.chdir(content)
    folder = content / "articles/thanh-tra/2024"
    text_b = (folder / "bai-b.md").read_text("utf-8")
    (folder / "bai-b.md").unlink()
    first, _ = _incremental_run(tmp_path)
    assert first == _fresh_at() and {f.rule for f in first} == {"broken-link", "unknown-related"}
    # A new file with its own name and tag: only A is read again (its Related hint reads every slug).
    (folder / "bai-c.md").write_text(text_b.replace("Bài B", "Bài C").replace("Thanh tra", "Kiểm tra"), "utf-8")
    found, cache = _incremental_run(tmp_path)
    assert found == _fresh_at() != first and cache.kept.hits == 1 and cache.kept.misses == 1
    assert '"bai-c"?' in next(f.message for f in found if f.rule == "unknown-related")
    # B comes back: A's links and Related resolve again, though A did not change.
    (folder / "bai-b.md").write_text(text_b, "utf-8")
    found, cache = _incremental_run(tmp_path)
    assert found == _fresh_at() == [] and cache.kept.misses == 1
    # A relative link to a folder that appears later, and a page whose slug a site path needs.
    (folder / "bai-d.md").write_text(
        text_b.replace("Bài B", "Bài D").replace("Thân bài.", "[Tệp](../../../files/moi/) và [trang](/gioi-thieu/)."),
        "utf-8",
    )
    found, _ = _incremental_run(tmp_path)
    assert found == _fresh_at() and {f.rule for f in found} == {"broken-link"}
    (content / "files/moi").mkdir(parents=True)
    (content / "pages").mkdir()
    (content / "pages/gioi-thieu.md").write_text("Title: Giới thiệu\nSummary: Trang.\n\nNội dung.\n", "utf-8")
    found, cache = _incremental_run(tmp_path)
    assert found == _fresh_at() and not [f for f in found if f.rule == "broken-link"]


def test_an_incremental_build_still_reports_a_new_file_that_takes_an_old_slug(tmp_path):
    from conftest import run_pelican

    content = _linked_site(tmp_path)
    cache = f"CACHE_PATH={json.dumps(str(tmp_path / 'cache'))}"
    assert run_pelican(content, tmp_path / "out", "publishconf.py", "-e", cache).returncode == 0
    folder = content / "articles/thanh-tra/2024"
    (folder / "bai-e.md").write_text(
        (folder / "bai-b.md").read_text("utf-8").replace("Title: Bài B\n", "Title: Bài E\nSlug: bai-b\n"), "utf-8"
    )
    again = run_pelican(content, tmp_path / "out", "publishconf.py", "-e", cache)
    assert again.returncode != 0 and "[duplicate-slug]" in again.log and "bai-e.md" in again.log


def test_collisions_with_kept_facts_match_a_fresh_resolve(tmp_path, monkeypatch):
    from types import SimpleNamespace

    from plugins.portal_content import collisions

    def article(name, url, title):
        path = str(tmp_path / "content" / f"{name}.md")
        metadata = {"source_hash": f"{name}{url}{title}"}  # stands for the hash of the file's bytes
        return SimpleNamespace(source_path=path, url=url, title=title, field_lines={"title": 1}, metadata=metadata)

    def generator(cache):
        articles = [
            article("a", "tin/a/", "Đảng ủy họp"),
            article("b", "tin/b/", "Dang uy hop"),  # folds to A's title
            article("c", "tin/a/", "Bài C"),  # A's URL: dropped
            article("d", "tin/d/", "Bài D"),
        ]
        return SimpleNamespace(
            settings={"CACHE_PATH": cache}, articles=articles, hidden_articles=[], drafts=[], translations=[]
        )

    def resolve(cache):
        built = generator(cache)
        return collisions.resolve(built), [a.title for a in built.articles]

    fresh = resolve(None)
    assert sorted(f.rule for f in fresh[0]) == ["duplicate-slug", "duplicate-title"]
    assert fresh[1] == ["Đảng ủy họp", "Dang uy hop", "Bài D"]
    assert resolve(str(tmp_path / "cache")) == fresh
    calls = []
    monkeypatch.setattr(collisions, "slugify", lambda title: calls.append(title) or "")
    assert resolve(str(tmp_path / "cache")) == fresh and calls == []  # every file's facts were kept


def _walked_apart(tree):
    """The listing as walking each folder on its own gives it (what ``_listing`` must equal)."""
    import os

    files = []
    for kind, folder in (("article", tree.article_dir), ("page", tree.page_dir)):
        top = str(tree.content / folder)
        found = [os.path.join(p, n) for p, _, names in os.walk(top) for n in names if n.endswith(".md")]
        found.sort(key=lambda path: path.replace(os.sep, "\0"))
        files.extend((kind, path, os.path.abspath(top) + path[len(top) :]) for path in found)
    paths = set()
    for parent, folders, names in os.walk(os.path.abspath(tree.content)):
        paths.update(os.path.join(parent, name) for name in (*folders, *names))
    return files, frozenset(paths)


@pytest.mark.parametrize(
    ("article_dir", "page_dir", "content"),
    [
        ("articles", "pages", "site"),
        ("articles", "articles/pages", "site"),  # a folder inside the other: its files listed twice
        ("linked", "missing", "site"),  # a link the walk of the content does not enter; no folder
        ("articles", "../outside", "site"),
        ("", "pages", "site/."),
    ],
    ids=["side-by-side", "nested", "linked-and-missing", "outside", "whole-content"],
)
def test_one_walk_lists_what_walking_each_folder_lists(tmp_path, monkeypatch, article_dir, page_dir, content):
    from portal.check import _listing

    site = tmp_path / "site"
    for name in (
        "articles/a/2026/x.md",
        "articles/a/y.md",
        "articles/pages/p.md",
        "articles/b.txt",
        "pages/q.md",
        "images/i.jpg",
        "elsewhere/e/z.md",
        "outside/o.md",
    ):
        (tmp_path / name if name.startswith(("elsewhere", "outside")) else site / name).parent.mkdir(
            parents=True, exist_ok=True
        )
        (tmp_path / name if name.startswith(("elsewhere", "outside")) else site / name).write_text("x")
    (site / "linked").symlink_to(tmp_path / "elsewhere")
    (site / "articles" / "a" / "l.md").symlink_to(site / "pages" / "q.md")
    monkeypatch.chdir(tmp_path)
    tree = Tree(Path(content), article_dir, page_dir, sections_from_settings(conf.SECTIONS))
    assert _listing(tree) == _walked_apart(tree)
    assert _listing(tree)[0]


def _rules_run(tmp_path: Path, monkeypatch, site: Path, **settings):
    """Run portal_checks' ``run_rules`` as a build does, then portal_content's gate; return both."""
    from pelican.settings import read_settings
    from portal_checks import checks
    from portal_content import content

    monkeypatch.chdir(ROOT)
    generator = type("Generator", (), {})()
    generator.settings = read_settings(
        str(ROOT / "publishconf.py"), override={"PATH": str(site), "CACHE_PATH": str(tmp_path / "cache"), **settings}
    )
    generator.context = {"PORTAL_STRICT": True}
    return checks, content, generator


def test_the_rules_run_in_a_child_the_gate_waits_for(tmp_path, monkeypatch):
    checks, content, generator = _rules_run(tmp_path, monkeypatch, INVALID / "html_dangerous_tag")
    made_by = []
    original = checks.site_findings

    def site_findings(settings, hashes=None):
        found = original(settings, hashes)
        made_by.append(os.getpid())  # in the process that ran the rules
        return [*found, Finding(settings["PATH"], 1, WARNING, "made-by", str(os.getpid()))]

    monkeypatch.setattr(checks, "site_findings", site_findings)
    checks.run_rules(generator)
    assert not made_by  # this process did not run them
    assert "PORTAL_FINDINGS" not in generator.context  # nor waited yet
    with pytest.raises(content.PublishBlocked):
        content.gate([generator])
    found = generator.context["PORTAL_FINDINGS"]
    assert [int(f.message) for f in found if f.rule == "made-by"] != [os.getpid()]
    assert "html-dangerous-tag" in {f.rule for f in found}
    assert (tmp_path / "cache/checks-state.pickle").is_file()  # the child saved the rules' state
    # The same findings as when this process runs the rules itself (no cache folder).
    monkeypatch.setattr(checks, "site_findings", original)
    inline = type("Generator", (), {"settings": {**generator.settings, "CACHE_PATH": ""}, "context": {}})()
    checks.run_rules(inline)
    assert sorted(inline.context["PORTAL_FINDINGS"]) == sorted(f for f in found if f.rule != "made-by")


def test_a_rules_child_that_dies_is_an_internal_error_that_stops_the_publish(tmp_path, monkeypatch):
    checks, content, generator = _rules_run(tmp_path, monkeypatch, SITES / "minimal")
    monkeypatch.setattr(checks, "site_findings", lambda settings, hashes=None: os._exit(3))
    checks.run_rules(generator)
    with pytest.raises(content.PublishBlocked):
        content.gate([generator])
    (crash,) = generator.context["PORTAL_FINDINGS"]
    assert crash.rule == "internal-error" and "status" in crash.message
