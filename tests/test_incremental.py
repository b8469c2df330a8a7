"""Incremental publish equals a cold publish: real builds of a small generated archive.

Each step changes the content (edit, add, delete, image replaced), publishes it the way
``invoke publish`` does (a staged hard-linked copy of the last output, the build, the swap) and
compares the result, file by file and byte by byte, with a cold publish of the same content into
an empty folder with empty caches. No timings here: ``bench/`` measures speed.
"""

import hashlib
import json
import os
import pickle
import shutil
import sqlite3
from pathlib import Path

import pytest
from conftest import build_env, run_pelican

from bench.archive import image_bytes, write_archive
from portal.incremental import OUTPUTS, copy_if_changed, replace_if_changed
from portal.publish import CHANGES, stage, swap_in

ARTICLES = 65  # three pages of the latest listing (its first, pages 2 and 1), several of some tags


def tree(folder: Path) -> dict[str, str]:
    """Every file of ``folder`` with the sha256 of its bytes."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def publish(content: Path, output: Path, cache: Path, env: dict | None = None, parallel_min: int = 0) -> str:
    """Publish as ``invoke publish`` does: stage a hard-linked copy, build into it, swap it in.

    The pages are written by two processes from ``parallel_min`` articles: 0 (always) for the
    incremental publishes, one process for the cold ones they are compared with. The stage is
    brought up to date with the last release's record of what it changed, as ``invoke publish``
    does.
    """
    staging = stage(output, cache / CHANGES)
    settings = [
        f"CACHE_PATH={json.dumps(str(cache))}",
        f"PORTAL_PERF_PARALLEL_MIN={parallel_min}",
        "PORTAL_PERF_VERIFY_DIGESTS=true",  # every digest taken back from the last build is checked
    ]
    built = run_pelican(content, staging, "publishconf.py", "-e", *settings, env=env)
    assert built.returncode == 0, built.log
    swap_in(staging, output)
    return built.log


def assert_same_as_cold(content: Path, output: Path, scratch: Path) -> dict[str, str]:
    cold = scratch / "cold"
    shutil.rmtree(cold, ignore_errors=True)
    publish(content, cold / "output", cold / "cache", parallel_min=10**9)
    expected, actual = tree(cold / "output"), tree(output)
    assert sorted(actual.keys() - expected.keys()) == [], "files an incremental publish left behind"
    assert sorted(expected.keys() - actual.keys()) == [], "files an incremental publish did not make"
    assert [name for name in expected if expected[name] != actual[name]] == []
    return actual


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    root = tmp_path_factory.mktemp("incremental")
    content = root / "content"
    write_archive(ARTICLES, content)
    output, cache = root / "output", root / "cache"
    publish(content, output, cache)
    return content, output, cache, root


def _articles(content: Path) -> list[Path]:
    return sorted((content / "articles").rglob("*.md"))


def test_no_change_publish_rewrites_nothing(archive):
    content, output, cache, _ = archive
    before = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in output.rglob("*") if p.is_file()}
    publish(content, output, cache)
    after = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in output.rglob("*") if p.is_file()}
    assert after == before
    # Every article came from the cache, and no step needed a body: they stayed on disk.
    report = json.loads((cache / "articles-report.json").read_text("utf-8"))
    assert report == {"kept": ARTICLES, "packed": ARTICLES, "read": 0, "bodies_read": 0}


def test_a_new_commit_with_the_same_content_renders_no_page_again(archive, tmp_path):
    # The release gives every file the commit's time as mtime; the page cache must not take that
    # for a change, or every publish of a new commit would render the whole archive again.
    content, output, cache, _ = archive
    later = build_env(SOURCE_DATE_EPOCH="1798761600", SOURCE_COMMIT="f" * 40)
    publish(content, output, cache, env=later)
    (record,) = cache.glob("render-keys-*.pickle")
    counts = pickle.loads(record.read_bytes())["counts"]
    assert counts["rendered"] == 0 and counts["skipped"] > ARTICLES, counts
    assert {p.stat().st_mtime for p in output.rglob("*") if p.is_file()} == {1798761600}
    publish(content, output, cache)  # back to the fixture's commit for the other tests
    assert_same_as_cold(content, output, tmp_path)


def test_edited_title_and_body_match_a_cold_publish(archive):
    content, output, cache, root = archive
    path = _articles(content)[len(_articles(content)) // 2]
    text = path.read_text("utf-8")
    title = text.splitlines()[0]
    path.write_text(
        text.replace(title, title + " (cập nhật)", 1) + "\nĐoạn bổ sung sau khi biên tập.\n", "utf-8"
    )
    publish(content, output, cache)
    assert json.loads((cache / "articles-report.json").read_text("utf-8"))["read"] == 1
    # A rebuild this small writes its feeds, API, sitemaps and search index in a child beside its
    # pages (portal_perf's ``beside``): the keys of the pages the child wrote come back, and the
    # articles' records it used are kept (this process saves none of them).
    (record,) = cache.glob("render-keys-*.pickle")
    keys = pickle.loads(record.read_bytes())
    assert keys["counts"]["beside"] is True
    written = {os.path.relpath(path, output.parent / f".{output.name}.staging") for path in keys["keys"]}
    assert {"rss/index.html", "search/index.html"} <= written
    with sqlite3.connect(cache / "entries.sqlite") as records:
        assert records.execute("SELECT count(*) FROM kv").fetchone()[0] >= ARTICLES
    files = assert_same_as_cold(content, output, root)
    assert any("(cập nhật)" in (output / name).read_text("utf-8") for name in files if name.endswith(".html"))
    assert "(cập nhật)" in (output / "feed.json").read_text("utf-8")


NEW_ARTICLE = (
    "Title: Thông báo lịch tiếp công dân tháng 12\n"
    "Date: 2025-12-30 08:00\n"
    "Category: thong-bao\n"
    "Tags: Tiếp công dân, Chủ đề chỉ có một bài\n"
    "Authors: Nguyễn Văn An\n"
    "Summary: (Thanh tra) - Lịch tiếp công dân định kỳ của lãnh đạo Thanh tra Chính phủ.\n\n"
    "Lãnh đạo Thanh tra Chính phủ tiếp công dân định kỳ vào ngày 15 hằng tháng.\n"
)


def add_article(content: Path) -> Path:
    path = content / "articles" / "thong-bao" / "2025" / "thong-bao-lich-tiep-cong-dan-thang-12.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(NEW_ARTICLE, "utf-8")
    return path


def test_added_article_matches_a_cold_publish(archive):
    content, output, cache, root = archive
    numbered = sorted(output.glob("**/trang/*/index.html"))
    identities = {path: path.stat().st_ino for path in [output / "tin-moi/index.html", *numbered]}
    path = add_article(content)
    publish(content, output, cache)
    files = assert_same_as_cold(content, output, root)
    assert "chu-de/chu-de-chi-co-mot-bai/index.html" in files
    # Listings are cut from their oldest end: the new article changes their first pages only.
    assert {"tin-moi/trang/1/index.html", "tin-moi/trang/2/index.html"} <= {
        str(p.relative_to(output)) for p in numbered
    }
    assert [p for p in numbered if p.stat().st_ino != identities[p]] == []
    assert (output / "tin-moi/index.html").stat().st_ino != identities[output / "tin-moi/index.html"]
    path.unlink()
    publish(content, output, cache)


def test_deleted_article_and_its_tag_page_are_pruned(archive):
    content, output, cache, root = archive
    path = add_article(content)
    publish(content, output, cache)
    assert (output / "chu-de" / "chu-de-chi-co-mot-bai" / "index.html").exists()
    path.unlink()
    publish(content, output, cache)
    files = assert_same_as_cold(content, output, root)
    assert "chu-de/chu-de-chi-co-mot-bai/index.html" not in files
    assert not (output / "thong-bao" / "thong-bao-lich-tiep-cong-dan-thang-12").exists()


def test_replaced_image_matches_a_cold_publish(archive):
    content, output, cache, root = archive
    image = content / "images" / "bench" / "anh-00.jpg"
    derivatives = lambda: {p.name for p in (output / "images" / "bench").glob("anh-00-*")}  # noqa: E731
    before = derivatives()
    image.write_bytes(image_bytes(0, variant=5))
    publish(content, output, cache)
    assert_same_as_cold(content, output, root)
    # New content-hashed derivatives; the old ones are pruned; the original is never published.
    after = derivatives()
    assert before and after and not before & after
    assert not (output / "images" / "bench" / "anh-00.jpg").exists()


def test_a_staged_build_never_changes_the_live_output(archive):
    content, output, cache, _ = archive
    path = _articles(content)[0]
    path.write_text(path.read_text("utf-8") + "\nMột đoạn mới.\n", "utf-8")
    (content / "images" / "bench" / "anh-01.jpg").write_bytes(image_bytes(1, variant=7))
    live = tree(output)
    staging = stage(output)
    built = run_pelican(content, staging, "publishconf.py", "-e", f"CACHE_PATH={json.dumps(str(cache))}")
    assert built.returncode == 0, built.log
    assert tree(output) == live  # hard links are replaced by rename, never written into
    assert tree(staging) != live
    swap_in(staging, output)


def test_replace_and_copy_skip_equal_bytes_and_break_hard_links(tmp_path):
    first, linked = tmp_path / "a.html", tmp_path / "b.html"
    first.write_bytes(b"old")
    os.link(first, linked)
    assert replace_if_changed(first, b"old") is False
    assert replace_if_changed(first, b"new") is True
    assert (first.read_bytes(), linked.read_bytes()) == (b"new", b"old")
    assert copy_if_changed(first, linked) is True
    assert copy_if_changed(first, linked) is False
    assert linked.read_bytes() == b"new"


def test_orphans_are_files_not_made_again_except_compressed_siblings(tmp_path):
    for name in ("kept.html", "kept.html.gz", "gone.html", "gone.html.gz", "sub/old.json"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text("x")
    OUTPUTS.start(tmp_path)
    replace_if_changed(tmp_path / "kept.html", b"x")
    removed = {os.path.relpath(path, tmp_path) for path in OUTPUTS.prune()}
    assert removed == {"gone.html", "gone.html.gz", "sub/old.json"}
    assert not (tmp_path / "sub").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.html", "kept.html.gz"]


def test_pages_written_by_two_processes_equal_one_process_and_keep_their_keys(archive, tmp_path):
    content, _, _, _ = archive
    one, two = tmp_path / "one", tmp_path / "two"
    publish(content, one / "output", one / "cache", parallel_min=10**9)
    publish(content, two / "output", two / "cache", parallel_min=0)
    assert tree(two / "output") == tree(one / "output")
    (single,) = (one / "cache").glob("render-keys-*.pickle")
    (forked,) = (two / "cache").glob("render-keys-*.pickle")
    single, forked = pickle.loads(single.read_bytes()), pickle.loads(forked.read_bytes())
    assert forked["counts"] == single["counts"] and forked["counts"]["rendered"] > ARTICLES
    assert sorted(os.path.relpath(p, two / "output") for p in forked["keys"]) == sorted(
        os.path.relpath(p, one / "output") for p in single["keys"]
    )
    publish(content, two / "output", two / "cache", parallel_min=0)  # every key came back to the parent
    (forked,) = (two / "cache").glob("render-keys-*.pickle")
    assert pickle.loads(forked.read_bytes())["counts"]["rendered"] == 0


def test_kept_articles_are_read_again_only_when_changed_and_findings_come_back_every_build(archive, tmp_path):
    import sqlite3

    content = tmp_path / "content"
    shutil.copytree(archive[0], content)
    flawed = content / "articles" / "tin-tuc-su-kien" / "2025" / "bai-co-loi.md"
    flawed.parent.mkdir(parents=True, exist_ok=True)
    flawed.write_text(
        "Title: Bài có ngày sửa sai\nDate: 2025-02-03 10:00\nModified: 2025-02-30 10:00\n"
        "Category: tin-tuc-su-kien\n\nNội dung bài viết.\n",
        encoding="utf-8",
    )
    scheduled = flawed.with_name("bai-hen-gio.md")  # a draft until its date: read again every build
    scheduled.write_text(
        "Title: Bài hẹn giờ đăng\nDate: 2099-01-01 08:00\nCategory: tin-tuc-su-kien\n\nNội dung.\n",
        encoding="utf-8",
    )
    cache = tmp_path / "cache"
    settings = ("-e", f"CACHE_PATH={json.dumps(str(cache))}")
    logs = [run_pelican(content, tmp_path / "output", "pelicanconf.py", *settings).log for _ in range(2)]
    for log in logs:  # a development build goes on; the finding is reported by both builds
        assert "bai-co-loi.md:3: error: [date-invalid]" in log, log
    (store,) = cache.glob("articles-*.sqlite")  # one file for these settings
    with sqlite3.connect(store) as db:
        (kept,) = db.execute("SELECT COUNT(*) FROM kv").fetchone()
    # Every article but the one with a finding and the future one: each kept as two rows, the
    # article and its body (read only when asked for).
    assert kept == 2 * len(_articles(archive[0]))
    # A publish keeps its articles apart: the development build's stay, and both are used again.
    flawed.unlink()
    scheduled.unlink()
    assert run_pelican(content, tmp_path / "published", "publishconf.py", *settings).returncode == 0
    assert len(list(cache.glob("articles-*.sqlite"))) == 2
    with sqlite3.connect(store) as db:
        assert db.execute("SELECT COUNT(*) FROM kv").fetchone() == (kept,)


def test_the_articles_pack_is_made_again_only_when_stale_and_never_outranks_the_sqlite_file(
    archive, tmp_path
):
    # portal_perf.article_cache: kept articles come from one pack file, made again when it lacks
    # or holds unused more than PACK_STALE of a build's articles. The SQLite file stays what is
    # true: a damaged pack, or a pack whose articles the SQLite file lost, costs only the reading.
    content = tmp_path / "content"
    shutil.copytree(archive[0], content)
    output, cache = tmp_path / "output", tmp_path / "cache"

    def report() -> dict:
        return json.loads((cache / "articles-report.json").read_text("utf-8"))

    def identity(path: Path) -> tuple[int, int]:
        return path.stat().st_ino, path.stat().st_mtime_ns

    publish(content, output, cache)
    (pack,) = cache.glob("articles-*-pack.pickle")
    made = identity(pack)
    edited = _articles(content)[len(_articles(content)) // 2]
    edited.write_text(edited.read_text("utf-8") + "\nĐoạn bổ sung sau khi biên tập.\n", "utf-8")
    publish(content, output, cache)
    assert report() == {"kept": ARTICLES - 1, "packed": ARTICLES - 1, "read": 1, "bodies_read": 0}
    assert identity(pack) == made  # one article of 65 is under PACK_STALE: the pack stays
    assert_same_as_cold(content, output, tmp_path)

    pack.write_bytes(b"not a pickle")
    publish(content, output, cache)
    assert report() == {"kept": ARTICLES, "packed": 0, "read": 0, "bodies_read": 0}
    publish(content, output, cache)  # the pack was made again, with the edited article
    assert report() == {"kept": ARTICLES, "packed": ARTICLES, "read": 0, "bodies_read": 0}

    (store,) = cache.glob("articles-*[0-9a-f].sqlite")
    store.unlink()  # the pack stays, but no article of it is taken: their bodies are gone
    publish(content, output, cache)
    assert report() == {"kept": 0, "packed": 0, "read": ARTICLES, "bodies_read": 0}
    assert_same_as_cold(content, output, tmp_path)


def test_a_link_to_an_article_follows_its_new_address(archive, tmp_path):
    # Pelican resolves {filename} links against the linked article's URL on every build: the page
    # and the records of the article holding the link change when the linked article moves,
    # though the linking file did not change.
    content = tmp_path / "content"
    shutil.copytree(archive[0], content)
    output, cache = tmp_path / "output", tmp_path / "cache"
    texts = "".join(path.read_text("utf-8") for path in _articles(content))
    # The linked article: one no other article links to by its address (that link would break).
    linked = next(p for p in _articles(content) if f"/{p.parent.parent.name}/{p.stem}/" not in texts)
    tags = lambda path: {line for line in path.read_text("utf-8").splitlines() if line.startswith("Tags:")}  # noqa: E731
    # The linking article: another section, no tag in common, so no list on its page shows the
    # linked article (that list would change its page anyway).
    linking = next(
        p
        for p in _articles(content)
        if p.parent.parent != linked.parent.parent and not set(tags(p)) & set(tags(linked))
    )
    relative = os.path.relpath(linked, linking.parent)
    linking.write_text(
        linking.read_text("utf-8") + f"\nXem thêm [bài được dẫn]({{filename}}{relative}).\n", "utf-8"
    )
    publish(content, output, cache)
    text = linked.read_text("utf-8")
    linked.write_text(text.replace("\n\n", "\nSlug: bai-da-doi-dia-chi\n\n", 1), "utf-8")
    publish(content, output, cache)
    assert_same_as_cold(content, output, tmp_path)
    page = output / linking.parent.parent.name / linking.stem / "index.html"  # <section>/<slug>/
    assert "/bai-da-doi-dia-chi/" in page.read_text("utf-8")


def test_a_build_lists_nothing_when_it_starts_and_a_deferred_prune_walks_once_at_the_end(
    tmp_path, monkeypatch
):
    import portal.incremental

    for name in ("kept.html", "gone.html", "sub/old.json", "healthz"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text("x")

    def no_walk(root):
        raise AssertionError("the output was listed")

    with monkeypatch.context() as patched:
        patched.setattr(portal.incremental, "list_files", no_walk)
        OUTPUTS.start(tmp_path)
        replace_if_changed(tmp_path / "kept.html", b"x")
        (tmp_path / "late.txt").write_text("x")  # written during the build, not recorded: an orphan
        OUTPUTS.defer_prune(keep=("healthz",))
    removed = {os.path.relpath(path, tmp_path) for path in OUTPUTS.prune_pending()}
    assert removed == {"gone.html", "sub/old.json", "late.txt"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["healthz", "kept.html"]
    assert OUTPUTS.prune_pending() == OUTPUTS.removed  # done: not again
    assert OUTPUTS.take_prune(tmp_path) is None


def test_a_taken_prune_tells_orphans_by_relative_name_as_is_orphan_does(tmp_path):
    OUTPUTS.start(tmp_path / "out")
    for name in ("a.html", "tin/b.css", "gz"):
        replace_if_changed(tmp_path / "out" / name, b"x" * 300)
    OUTPUTS.record(tmp_path / "outside.html")  # produced, but not under the output
    OUTPUTS.defer_prune(keep=("healthz",))
    orphan = OUTPUTS.take_prune(tmp_path / "out")
    names = [
        "a.html", "a.html.gz", "a.html.br", "tin/b.css.br", "tin/b.css.zst", "tin/b.css", "c.html",
        "c.html.gz", "healthz", "healthz.gz", ".gz", "gz", "gz.gz", "a.htm", "tin/a.html", "../outside.html",
    ]  # fmt: skip
    prefix = os.path.join(OUTPUTS.root, "")
    assert {name: orphan(name) for name in names} == {
        name: name != "healthz" and OUTPUTS.is_orphan(prefix + name) for name in names
    }
    assert [name for name in names if orphan(name)] == [
        "tin/b.css.zst", "c.html", "c.html.gz", "healthz.gz", ".gz", "a.htm", "tin/a.html", "../outside.html"
    ]  # fmt: skip
    # The release asks a folder's names at once (``among``): the same answer as one by one.
    assert orphan.among(set(names)) == {name for name in names if orphan(name)}


def test_outputs_tell_what_this_build_made_under_its_folder(tmp_path):
    OUTPUTS.start(tmp_path)
    replace_if_changed(tmp_path / "tin" / "bai" / "index.html", b"x")
    copy_if_changed(tmp_path / "tin" / "bai" / "index.html", tmp_path / "index.html")
    replace_if_changed(tmp_path / "api.json", b"{}")
    assert sorted(OUTPUTS.made(tmp_path, ".html")) == ["index.html", "tin/bai/index.html"]
    assert OUTPUTS.made(tmp_path / "tin") is None  # no build into that folder was started


def _names(folder: Path) -> dict[str, tuple]:
    """Every name under ``folder``: a folder, or the (device, inode) of a file or symlink."""
    return {
        str(path.relative_to(folder)): "folder"
        if path.is_dir() and not path.is_symlink()
        else (path.lstat().st_dev, path.lstat().st_ino)
        for path in folder.rglob("*")
    }


def test_the_retired_tree_is_the_next_stage_brought_back_to_the_output(tmp_path):
    output = tmp_path / "out"
    for name in ("a.html", "sub/b.html", "sub/gone.html", "old/x.json"):
        replace_if_changed(output / name, name.encode())
    (output / "lien-ket").symlink_to("a.html")
    staging = stage(output)  # the first: a whole hard-linked copy
    replace_if_changed(staging / "a.html", b"new")
    (staging / "sub" / "gone.html").unlink()
    shutil.rmtree(staging / "old")
    replace_if_changed(staging / "new" / "c.html", b"c")
    swap_in(staging, output)
    kept = tmp_path / ".out.staging"
    assert kept.is_dir() and (kept / "a.html").read_bytes() == b"a.html"  # the retired tree, as it was
    (kept / "extra.html").write_bytes(b"left by a crash")
    (kept / "new").mkdir()
    (kept / "new" / "c.html").mkdir()  # a folder where the output has a file
    assert stage(output) == kept
    assert _names(kept) == _names(output)
    assert tree(kept) == tree(output)


def test_an_edit_keeping_size_and_mtime_is_read_again(archive, tmp_path):
    # A kept file's key is taken back while its identity is unchanged (portal_perf.article_cache
    # Stamps); the ctime, which every write moves and no program sets back, is part of it.
    import time

    content = tmp_path / "content"
    shutil.copytree(archive[0], content)
    output, cache = tmp_path / "output", tmp_path / "cache"
    time.sleep(2.1)  # files written just before a build are not recorded (RACY_NS)
    publish(content, output, cache)
    edited = _articles(content)[len(_articles(content)) // 2]
    (record,) = cache.glob("articles-*-stamps.pickle")
    assert os.path.relpath(edited, content) in pickle.loads(record.read_bytes())[1]
    before = os.stat(edited)
    text = edited.read_text("utf-8")
    changed = text.replace("a", "o", 1)
    assert changed != text and len(changed.encode()) == before.st_size
    edited.write_text(changed, "utf-8")
    os.utime(edited, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert (os.stat(edited).st_size, os.stat(edited).st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    publish(content, output, cache)
    assert_same_as_cold(content, output, tmp_path)


def test_a_body_edit_takes_the_other_articles_digests_from_the_last_build(archive, tmp_path):
    # portal_perf.render_cache: the articles the article cache kept are not digested again (their
    # page keys come from the last build's digests) but those that refer to an article added,
    # deleted or showing itself otherwise; a change in another file of the content digests all.
    import time

    content = tmp_path / "content"
    shutil.copytree(archive[0], content)
    output, cache = tmp_path / "output", tmp_path / "cache"
    time.sleep(2.1)  # a file written just before a build has no identity yet (RACY_NS)

    def counts() -> dict:
        (record,) = cache.glob("render-keys-*.pickle")
        return pickle.loads(record.read_bytes())["counts"]

    publish(content, output, cache)
    assert counts()["kept_digests"] == 0  # nothing to take back yet
    listed = _articles(content)
    edited = listed[len(listed) // 2]
    edited.write_text(edited.read_text("utf-8") + "\nĐoạn bổ sung sau khi biên tập.\n", "utf-8")
    publish(content, output, cache)
    assert counts()["kept_digests"] == len(listed) - 1 and counts()["rendered"] > 0, counts()
    assert_same_as_cold(content, output, tmp_path)

    retitled = listed[len(listed) // 3]
    text = retitled.read_text("utf-8")
    retitled.write_text(text.replace(text.splitlines()[0], text.splitlines()[0] + " (sửa)", 1), "utf-8")
    publish(content, output, cache)
    # Its neighbours and section lists show its title: they alone are digested again.
    assert 0 < counts()["kept_digests"] < len(listed) - 1, counts()
    assert_same_as_cold(content, output, tmp_path)
    time.sleep(2.1)
    publish(content, output, cache)
    assert counts()["kept_digests"] == len(listed)
    # Nothing changed: every paginated listing is settled whole, none of its pages made.
    assert counts()["rendered"] == 0 and counts()["listings_kept"] == counts()["listings"] > 10, counts()

    add_article(content)
    publish(content, output, cache)
    assert 0 < counts()["kept_digests"] < len(listed), counts()  # not its new neighbours
    assert 0 < counts()["listings_kept"] < counts()["listings"], counts()  # not the home page, its tags
    assert_same_as_cold(content, output, tmp_path)
    texts = {path: path.read_text("utf-8") for path in _articles(content)}
    unlinked = next(p for p in listed[len(listed) // 4 :] if not any(p.stem in t for t in texts.values() if t != texts[p]))
    unlinked.unlink()  # one no other article links to (a link to a deleted one stops the build)
    publish(content, output, cache)
    assert 0 < counts()["kept_digests"] < len(listed) - 1, counts()
    assert_same_as_cold(content, output, tmp_path)

    (content / "images" / "bench" / "anh-01.jpg").write_bytes(image_bytes(1, variant=7))
    publish(content, output, cache)
    assert counts()["kept_digests"] == 0  # a picture feeds its articles' pages
    assert_same_as_cold(content, output, tmp_path)


def test_a_prune_tells_the_orphans_as_a_test_of_each_name_against_what_the_build_made():
    """``Prune`` answers by one lookup what ``_orphaned`` answers by testing a name and its source."""
    import random

    from portal.incremental import Prune, _orphaned

    rng = random.Random(3)
    stems = [
        f"{folder}/{name}" for folder in ("tin", "api", "") for name in ("a", "b.html", "c.json", "d.gz")
    ]
    names = {stem + suffix for stem in stems for suffix in ("", ".gz", ".br", ".gz.br", ".bz")}
    for _ in range(30):
        made = set(rng.sample(sorted(names), rng.randrange(len(names))))
        keep = frozenset(rng.sample(sorted(names), 3))
        prune = Prune(made, keep)
        expected = {name for name in names if name not in keep and _orphaned(name, made)}
        assert {name for name in names if prune(name)} == expected
        assert sorted(prune.among(names)) == sorted(expected)
        assert sorted(prune.among(dict.fromkeys(names).keys())) == sorted(expected)


def test_a_name_recorded_under_an_absolute_folder_is_the_path_record_makes():
    """``record_under`` joins plain names as they are, and any other name as ``record`` does."""
    from portal.incremental import Outputs

    names = ["a/b.json", "api/v1/articles/đ-ư.json", "a.b/c..d/.e", "..a/b", "a/.../b", "a//b", "./a", "a/./b"]
    names += ["a/../b", "../a", "a/", "/a", "", "a/b/..", ".", "..", "a/."]
    for folder in ("/tmp/xuat-ban", "/"):
        for name in names:
            fast, plain = Outputs(), Outputs()
            fast.record_under(folder, name)
            plain.record(os.path.join(folder, name))
            assert fast.produced == plain.produced, (folder, name)
