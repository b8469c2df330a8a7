"""Reproducible publish and the release files: manifest, version, healthz, .gz/.br, fixed mtimes."""

import gzip
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import brotli
import pytest
from conftest import ROOT, SITES, build_env, run_pelican

from portal.assets import FINGERPRINTED
from portal.buildcache import read_pickle, write_pickle
from portal.incremental import replace_if_changed
from portal.publish import CHANGES
from portal.release import DigestCache, build_id, finish, gzip_bytes, precompress, read_manifest


def _snapshot(output):
    return {
        p.relative_to(output).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(output.rglob("*"))
        if p.is_file()
    }


def _publish_at_commit_time(output):
    env = {k: v for k, v in os.environ.items() if k not in ("SOURCE_DATE_EPOCH", "SOURCE_COMMIT")}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pelican",
            str(SITES / "minimal"),
            "-s",
            str(ROOT / "publishconf.py"),
            "-o",
            str(output),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return _snapshot(output)


def test_two_publishes_of_one_commit_are_byte_identical_with_identical_mtimes(tmp_path):
    # Different folders, the real commit time (not the tests' fixed epoch), built one after the other.
    one = _publish_at_commit_time(tmp_path / "one" / "out")
    two = _publish_at_commit_time(tmp_path / "two" / "deeper" / "output")
    assert one.keys() == two.keys()
    assert [p for p in one if one[p] != two[p]] == []
    commit_time = int(
        subprocess.run(
            ["git", "-C", str(ROOT), "log", "-1", "--format=%ct"], capture_output=True, text=True, check=True
        ).stdout
    )
    assert {mtime for _, mtime in one.values()} == {commit_time * 10**9}
    assert str(tmp_path) not in "".join(data.decode("utf-8", "replace") for data, _ in one.values())


@pytest.fixture(scope="module")
def minimal(tmp_path_factory):
    build = run_pelican(SITES / "minimal", tmp_path_factory.mktemp("release") / "out")
    assert build.returncode == 0, build.log
    return build


def test_manifest_lists_every_file_with_its_sha256_size_and_type(minimal):
    manifest = json.loads(minimal.read("manifest.json"))
    listed = {entry["path"]: entry for entry in manifest["files"]}
    assert sorted(listed) == [f for f in minimal.files() if f != "manifest.json"]
    for path, entry in listed.items():
        data = (minimal.output / path).read_bytes()
        assert entry["sha256"] == hashlib.sha256(data).hexdigest() and entry["size"] == len(data)
    assert listed["index.html"]["type"] == "text/html; charset=utf-8"
    assert listed["theme/css/portal.css"]["type"] == "text/css; charset=utf-8"
    assert manifest["build_id"] == json.loads(minimal.read("version.json"))["build_id"]


def test_version_and_healthz(minimal):
    version = json.loads(minimal.read("version.json"))
    assert version == {
        "build_id": version["build_id"],
        "commit": "0" * 40,
        "built_at": "2026-01-01T00:00:00Z",
    }
    assert version["build_id"].startswith("20260101T000000Z-")
    assert minimal.read("healthz") == "ok\n"


def test_precompressed_copies_decompress_to_the_original_and_are_deterministic(minimal):
    index = (minimal.output / "index.html").read_bytes()
    packed = (minimal.output / "index.html.gz").read_bytes()
    assert gzip.decompress(packed) == index
    assert packed[4:8] == b"\0\0\0\0" and not packed[3] & 0x08  # no mtime, no file name
    assert packed == gzip_bytes(index)
    assert brotli.decompress((minimal.output / "index.html.br").read_bytes()) == index
    assert not (minimal.output / "healthz.gz").exists()  # too small to be worth it
    assert not any(f.endswith((".png.gz", ".pdf.br", ".gz.gz")) for f in minimal.files())


def test_a_second_release_reads_only_what_changed_and_trusts_no_rewritten_file(tmp_path):
    output, cache, epoch = tmp_path / "output", tmp_path / "digests.json", 1767225600
    pages = {f"p{index}.html": f"<p>{'Thanh tra Chính phủ ' * 40}{index}</p>" for index in range(3)}
    for name, text in pages.items():
        replace_if_changed(output / name, text.encode())
    first = finish(output, epoch, "abc", cache=cache)
    assert precompress(output, DigestCache(cache)) == 0  # nothing changed: nothing read
    replace_if_changed(output / "p1.html", b"<p>" + "Đảng ủy ".encode() * 80 + b"</p>")
    (output / "p2.html.br").write_bytes(b"tampered in place")  # same inode, new size and mtime
    assert precompress(output, DigestCache(cache)) == 2
    assert brotli.decompress((output / "p2.html.br").read_bytes()) == (output / "p2.html").read_bytes()
    second = finish(output, epoch, "abc", cache=cache)
    listed = {entry["path"]: entry["sha256"] for entry in read_manifest(output)["files"]}
    assert listed["p1.html"] == hashlib.sha256((output / "p1.html").read_bytes()).hexdigest()
    assert second.build_id != first.build_id
    fresh = tmp_path / "fresh"  # the same bytes released without any cache: the same manifest
    for name in ("p0.html", "p1.html", "p2.html"):
        replace_if_changed(fresh / name, (output / name).read_bytes())
    assert finish(fresh, epoch, "abc") == second
    assert read_manifest(fresh) == read_manifest(output)


def test_theme_assets_are_fingerprinted_and_referenced_with_integrity(minimal):
    import base64

    from bs4 import BeautifulSoup

    page = BeautifulSoup(minimal.read("index.html"), "html.parser")
    link = page.find("link", rel="stylesheet")
    assert FINGERPRINTED.search(link["href"])
    data = (minimal.output / link["href"].split("/", 3)[3]).read_bytes()
    assert link["integrity"] == "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()
    assert hashlib.sha256(data).hexdigest()[:10] in link["href"]


def test_release_task_writes_a_reproducible_tarball_named_by_build_id(tmp_path):
    def release(name):
        out = tmp_path / name
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "invoke",
                "release",
                "--content",
                str(SITES / "minimal"),
                "--output",
                str(out / "output"),
                "--releases",
                str(out / "releases"),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            env=build_env(),
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return sorted((out / "releases").iterdir())

    first, second = release("one"), release("two")
    assert [p.name for p in first] == [p.name for p in second]
    build_id = json.loads((tmp_path / "one" / "output" / "version.json").read_text())["build_id"]
    assert [p.name for p in first] == [f"{build_id}.tar.gz"]
    assert first[0].read_bytes() == second[0].read_bytes()


def test_a_release_tarball_unpacks_to_the_same_files_and_mtimes(minimal, tmp_path):
    from portal.deploy import release_folder
    from portal.release import tarball

    path = tarball(minimal.output, tmp_path / "r.tar.gz", 1767225600)
    with release_folder(path) as folder:
        assert _snapshot(folder) == _snapshot(minimal.output)


def test_a_release_tarball_does_not_depend_on_which_files_share_an_inode(tmp_path):
    from portal.release import tarball

    output = tmp_path / "output"
    (output / "the").mkdir(parents=True)
    (output / "the" / "a.jpg").write_bytes(b"\xff" * 300)
    os.link(output / "the" / "a.jpg", output / "the" / "b.jpg")  # two articles, one share card
    linked = tarball(output, tmp_path / "linked.tar.gz", 1767225600).read_bytes()
    (output / "the" / "b.jpg").unlink()
    (output / "the" / "b.jpg").write_bytes(b"\xff" * 300)
    assert tarball(output, tmp_path / "copied.tar.gz", 1767225600).read_bytes() == linked


def _page(index: int, words: str = "Thanh tra Chính phủ ") -> bytes:
    return f"<p>{words * 40}{index}</p>".encode()


def _release_files(output):
    return {
        p.relative_to(output).as_posix(): p.read_bytes() for p in sorted(output.rglob("*")) if p.is_file()
    }


def _cold_release_of(output, fresh, epoch):
    for name, data in _release_files(output).items():
        if not name.endswith((".gz", ".br")) and name not in ("manifest.json", "version.json"):
            replace_if_changed(fresh / name, data)
    finish(fresh, epoch, "abc")
    return _release_files(fresh)


def test_a_release_with_nothing_changed_writes_nothing(tmp_path):
    output, cache, epoch = tmp_path / "output", tmp_path / "digests.json", 1767225600
    for index in range(3):
        replace_if_changed(output / "tin" / f"p{index}.html", _page(index))
    finish(output, epoch, "abc", cache=cache)
    before = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in [*output.rglob("*"), cache]}
    finish(output, epoch, "abc", cache=cache)
    assert {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in before} == before


def test_a_file_edited_in_place_or_shrunk_between_releases_is_compressed_again(tmp_path):
    output, cache, epoch = tmp_path / "output", tmp_path / "digests.json", 1767225600
    for index in range(3):
        replace_if_changed(output / f"p{index}.html", _page(index))
    finish(output, epoch, "abc", cache=cache)
    page = output / "p0.html"
    inode = page.stat().st_ino
    with page.open("r+b") as handle:  # same inode, same size: only the mtime tells
        handle.write(b"<P>")
    assert page.stat().st_ino == inode
    replace_if_changed(output / "p1.html", b"<p>short</p>")  # below the size worth compressing
    finish(output, epoch, "abc", cache=cache)
    assert brotli.decompress((output / "p0.html.br").read_bytes()) == page.read_bytes()
    assert gzip.decompress((output / "p0.html.gz").read_bytes()) == page.read_bytes()
    assert not (output / "p1.html.gz").exists() and not (output / "p1.html.br").exists()
    assert _release_files(output) == _cold_release_of(output, tmp_path / "fresh", epoch)


@pytest.mark.parametrize(
    "damage",
    ["{not json", '{"p0.html": [1, 2, 3, 4, "0000"]}', '{"format": 2, "files": {"p0.html": "x"}}', "[]"],
    ids=["not-json", "old-format", "wrong-entry", "wrong-type"],
)
def test_a_damaged_digest_cache_is_ignored(tmp_path, damage):
    output, cache, epoch = tmp_path / "output", tmp_path / "digests.json", 1767225600
    for index in range(3):
        replace_if_changed(output / f"p{index}.html", _page(index))
    finish(output, epoch, "abc", cache=cache)
    replace_if_changed(output / "p0.html", _page(0, "Đảng ủy "))
    cache.write_text(damage, encoding="utf-8")
    finish(output, epoch, "abc", cache=cache)
    assert _release_files(output) == _cold_release_of(output, tmp_path / "fresh", epoch)
    assert DigestCache(cache).entries  # written again, whole


def test_compressing_on_several_threads_gives_the_same_release(tmp_path, monkeypatch):
    import portal.release

    epoch = 1767225600
    for name in ("one", "many"):
        for index in range(12):
            replace_if_changed(tmp_path / name / "tin" / f"p{index}.html", _page(index) * (index + 1))
        (tmp_path / name / "anh.webp").write_bytes(bytes(range(256)) * 40)
    monkeypatch.setattr(portal.release, "PARALLEL_MIN", 10**12)  # bytes to compress per worker
    finish(tmp_path / "one", epoch, "abc")
    monkeypatch.setattr(portal.release, "PARALLEL_MIN", 2)
    finish(tmp_path / "many", epoch, "abc")
    assert _snapshot(tmp_path / "one") == _snapshot(tmp_path / "many")


def test_the_manifest_text_is_json_dumps_with_indent_one_and_sorted_keys():
    from portal.release import Version, _entry, _manifest_of

    version = Version("b", "c", "2026-11-27T00:00:00Z")
    entry = {
        "path": "tin/đảng-ủy/index.html",
        "sha256": "ab" * 32,
        "size": 12,
        "type": "text/html; charset=utf-8",
    }
    for files in ([], [entry, entry | {"path": "tin/đảng-ủy/index.json", "type": "application/json"}]):
        entries = {e["path"]: _entry(e["path"], e["sha256"], e["size"], e["type"]) for e in files}
        listing = {"build_id": "b", "commit": "c", "built_at": "2026-11-27T00:00:00Z", "files": files}
        assert _manifest_of(version, entries) == json.dumps(listing, indent=1, sort_keys=True) + "\n"


def test_content_types_remembered_per_suffix_are_those_of_each_name():
    from portal.release import _type_of, content_type

    names = [
        "healthz",
        "index.html",
        "A/B.HTML",
        "x.",
        ".htaccess",
        "a.b/c",
        "..foo",
        "feed.webmanifest",
        "a/b.tar.gz",
    ]
    assert [_type_of(name) for name in names * 2] == [content_type(name) for name in names * 2]


def test_the_manifest_is_written_again_when_only_what_it_says_of_a_file_changed(tmp_path, monkeypatch):
    import portal.release

    output, cache, epoch = tmp_path / "output", tmp_path / "digests.json", 1767225600
    replace_if_changed(output / "p0.html", _page(0))
    finish(output, epoch, "abc", cache=cache)
    monkeypatch.setitem(portal.release.TYPES, ".html", "text/html")  # a new release of this code
    monkeypatch.setattr(portal.release, "_TYPE_OF_SUFFIX", {})
    finish(output, epoch, "abc", cache=cache)
    listed = {entry["path"]: entry["type"] for entry in read_manifest(output)["files"]}
    assert listed["p0.html"] == "text/html"


def test_a_build_asks_its_clock_once_and_the_next_build_asks_again(tmp_path, monkeypatch):
    from portal import epoch

    class Build:  # what the plugins get: a Pelican run with its settings
        def __init__(self):
            self.settings = {"PATH": str(tmp_path)}

    asked = []
    monkeypatch.setattr(
        epoch, "source_date_epoch", lambda folder: asked.append(folder) or 1767225600 + len(asked)
    )
    monkeypatch.setattr(epoch, "commit_of", lambda folder: "abc")
    build = Build()
    first = [epoch.build_clock(build) for _ in range(3)]  # security.txt, assets, release
    assert first == [epoch.Clock(1767225601, "abc")] * 3 and asked == [str(tmp_path)]
    assert epoch.build_clock(Build()).epoch == 1767225602


def test_without_git_or_source_date_epoch_the_clock_is_the_newest_file(tmp_path, monkeypatch):
    from portal import epoch

    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    for name, mtime in (("a.md", 1700000000), ("sub/deeper/b.md", 1700000500), ("sub/c.md", 1600000000)):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")
        os.utime(path, ns=(mtime * 10**9 + 999_999_999, mtime * 10**9 + 999_999_999))
    os.utime(tmp_path / "sub", (1800000000, 1800000000))  # folders do not count
    assert epoch.source_date_epoch(tmp_path) == 1700000500
    assert epoch.newest_mtime(tmp_path / "empty") == 0


def test_a_release_of_a_new_commit_stamps_every_file_and_equals_a_cold_one(tmp_path):
    output, cache, epoch = tmp_path / "output", tmp_path / "digests.pickle", 1767225600
    for index in range(3):
        replace_if_changed(output / "tin" / f"p{index}.html", _page(index))
    first = finish(output, epoch, "abc", cache=cache)
    second = finish(output, epoch + 60, "abc", cache=cache)  # same files, a later commit time
    assert second.build_id != first.build_id and second.built_at.endswith(":01:00Z")
    assert {p.stat().st_mtime_ns for p in [output, *output.rglob("*")]} == {(epoch + 60) * 10**9}
    assert read_manifest(output)["build_id"] == second.build_id
    assert _release_files(output) == _cold_release_of(output, tmp_path / "fresh", epoch + 60)


def test_a_cache_made_under_other_compression_rules_trusts_no_kept_copy(tmp_path, monkeypatch):
    import portal.release

    output, cache, epoch = tmp_path / "output", tmp_path / "digests.pickle", 1767225600
    for index in range(3):
        replace_if_changed(output / f"p{index}.html", _page(index))
    finish(output, epoch, "abc", cache=cache)
    assert (output / "p0.html.br").exists()
    monkeypatch.setattr(portal.release, "MIN_COMPRESS_SIZE", 10**6)  # a release of other code
    finish(output, epoch, "abc", cache=cache)
    assert not any(name.endswith((".gz", ".br")) for name in _release_files(output))
    assert _release_files(output) == _cold_release_of(output, tmp_path / "fresh", epoch)


def test_a_cache_made_under_another_brotli_window_keeps_no_copy_made_with_it(tmp_path, monkeypatch):
    import portal.release

    output, cache, epoch = tmp_path / "output", tmp_path / "digests.pickle", 1767225600
    replace_if_changed(output / "p0.html", _page(0) * 50)
    monkeypatch.setattr(portal.release, "BROTLI_WINDOWS", (22, 22))  # a release of other code
    finish(output, epoch, "abc", cache=cache)
    old = (output / "p0.html.br").read_bytes()
    monkeypatch.undo()
    (output / "p0.html").unlink()  # a file written again with the same bytes: its copies are read
    replace_if_changed(output / "p0.html", _page(0) * 50)
    finish(output, epoch, "abc", cache=cache)
    assert _release_files(output) == _cold_release_of(output, tmp_path / "fresh", epoch)
    assert (output / "p0.html.br").read_bytes() != old  # the window is part of the bytes


def test_brotli_window_holds_the_file_within_its_bounds():
    from portal.release import _window

    assert [_window(size) for size in (1, 256, 65_536, 65_537, 1 << 22, (1 << 22) + 1)] == [
        16,
        16,
        16,
        17,
        22,
        22,
    ]
    page = _page(1) * 3000  # 280 KB: a window of 19
    assert brotli.decompress(portal_brotli(page)) == page


def portal_brotli(data):
    from portal.release import _brotli

    return _brotli(data)


def test_a_release_deletes_the_orphans_of_a_deferred_prune_on_its_walk(tmp_path, monkeypatch):
    import portal.incremental
    from portal.incremental import OUTPUTS

    output, cache, epoch = tmp_path / "output", tmp_path / "digests.pickle", 1767225600
    for index in range(3):
        replace_if_changed(output / "tin" / f"bai-{index}" / "index.html", _page(index))
    finish(output, epoch, "abc", cache=cache)
    OUTPUTS.start(output)
    for index in (0, 2):  # bai-1 is no longer made: its page and copies are orphans
        replace_if_changed(output / "tin" / f"bai-{index}" / "index.html", _page(index))
    replace_if_changed(output / "tin" / "bai-2" / "index.html", _page(7))
    OUTPUTS.defer_prune(keep=("healthz", "version.json", "manifest.json"))
    monkeypatch.setattr(portal.incremental, "list_files", None)  # no walk but the release's
    finish(output, epoch, "abc", cache=cache)
    removed = sorted(os.path.relpath(path, output) for path in OUTPUTS.prune_pending())
    assert removed == [f"tin/bai-1/index.html{suffix}" for suffix in ("", ".br", ".gz")]
    assert not (output / "tin" / "bai-1").exists()
    assert {p.stat().st_mtime_ns for p in [output, *output.rglob("*")]} == {epoch * 10**9}
    assert _release_files(output) == _cold_release_of(output, tmp_path / "fresh", epoch)


def _release_publish(output, cache, epoch, change):
    """Publish as ``invoke publish`` does, with the release's record of changes, on a plain tree."""
    from portal.publish import stage, swap_in

    staging = stage(output, cache / CHANGES)
    assert _identities(staging) == _identities(output)  # name for name and inode for inode
    change(staging)
    finish(staging, epoch, "abc", cache=cache / "digests.pickle", changes=cache / CHANGES)
    swap_in(staging, output)


def _identities(folder):
    """Every name under ``folder``: ``folder`` for a folder, else (device, inode)."""
    return {
        path.relative_to(folder).as_posix(): "folder"
        if path.is_dir()
        else (path.stat().st_dev, path.stat().st_ino)
        for path in folder.rglob("*")
    }


def _edits(step):
    def change(staging):
        replace_if_changed(
            staging / f"bai-{step}" / "index.html", f"<p>{'Thanh tra ' * 40}{step}</p>".encode()
        )
        replace_if_changed(staging / "index.html", f"<p>{'Trang chủ ' * 40}{step}</p>".encode())
        gone = staging / f"bai-{step - 2}"
        if gone.is_dir():
            shutil.rmtree(gone)
        (staging / "tam.txt").unlink(missing_ok=True)

    return change


def test_a_stage_relinks_only_what_the_last_release_changed_and_equals_the_output(tmp_path, monkeypatch):
    import portal.publish

    output, cache, epoch = tmp_path / "out", tmp_path / "cache", 1767225600
    replace_if_changed(output / "tam.txt", b"t" * 400)
    for step in range(3):
        _release_publish(output, cache, epoch + step, _edits(step))
    walked = []
    monkeypatch.setattr(portal.publish, "relink", lambda *args: walked.append(args))
    for step in range(3, 6):
        _release_publish(output, cache, epoch + step, _edits(step))
        staging = portal.publish.staging_of(output.resolve())
        assert walked == []  # the record was used, never the walk of both trees
        assert staging.is_dir()
        for name in ("bai-0", "bai-1", f"bai-{step - 2}"):
            assert not (output / name).exists()
    fresh = tmp_path / "fresh"  # the same content released cold: the same files
    for name in ("bai-4/index.html", "bai-5/index.html", "index.html"):
        replace_if_changed(fresh / name, (output / name).read_bytes())
    finish(fresh, epoch + 5, "abc")
    assert {p: b for p, (b, _) in _snapshot(fresh).items()} == {
        p: b for p, (b, _) in _snapshot(output).items()
    }


def test_a_release_in_a_stage_takes_linked_files_identities_from_the_last_release(tmp_path, monkeypatch):
    """The walk stats only what the build replaced: a name still linked to the live tree is known."""
    import portal.release

    output, cache, epoch = tmp_path / "out", tmp_path / "cache", 1767225600
    replace_if_changed(output / "tam.txt", b"t" * 400)
    for step in range(3):
        _release_publish(output, cache, epoch + step, _edits(step))
    real, lent = portal.release._linked_identities, []

    def tampered(known, staged):  # sizes no file has: found again only if no stat was made
        found = real(known, staged)
        lent.append(found is not None)
        return {name: (*key[:2], 7_777_777, key[3]) for name, key in (found or {}).items()}

    monkeypatch.setattr(portal.release, "_linked_identities", tampered)
    _release_publish(output, cache, epoch + 3, _edits(3))
    sizes = {name: key[2] for name, key in DigestCache(cache / "digests.pickle").entries.items()}
    assert lent == [True]
    assert sizes["bai-2/index.html"] == 7_777_777  # linked, untouched: taken as the release left it
    assert sizes["bai-3/index.html"] == (output / "bai-3" / "index.html").stat().st_size  # replaced
    assert sizes["index.html"] == (output / "index.html").stat().st_size
    # A release of a folder no stage was handed over for trusts no inode.
    lent.clear()
    replace_if_changed(output / "bai-2" / "index.html", _page(2))
    finish(output, epoch + 4, "abc", cache=cache / "digests.pickle", changes=cache / CHANGES)
    assert lent == []
    entries = DigestCache(cache / "digests.pickle").entries
    assert entries["bai-2/index.html"][2] == (output / "bai-2" / "index.html").stat().st_size


def test_a_release_compares_with_the_last_one_only_the_files_whose_identity_it_looked_up(
    tmp_path, monkeypatch
):
    """In a folder the walk reads, a file found with the inode the last release left it is not planned again."""
    import portal.release

    output, cache, epoch = tmp_path / "out", tmp_path / "cache", 1767225600
    replace_if_changed(output / "co-dinh.txt", b"c" * 400)  # beside the pages that change, never touched
    for step in range(3):
        _release_publish(output, cache, epoch + step, _edits(step))
    looked, real = [], portal.release._plan

    def spied(keys, known, compress, names=None):
        looked.append(None if names is None else set(names))
        return real(keys, known, compress, names)

    monkeypatch.setattr(portal.release, "_plan", spied)
    _release_publish(output, cache, epoch + 3, _edits(3))
    (names,) = looked
    assert {"index.html", "bai-3/index.html"} <= names  # replaced by the build: looked up
    assert not {"co-dinh.txt", "co-dinh.txt.gz", "co-dinh.txt.br"} & names  # in the output's folder, read
    assert _release_files(output) == _cold_release_of(output, tmp_path / "fresh", epoch + 3)


def test_a_release_in_a_stage_reads_only_the_folders_changed_since_its_tree_was_stamped(
    tmp_path, monkeypatch
):
    """A folder whose ctime is before the stamping of the stage's tree is taken from the last release."""
    import time

    import portal.publish
    import portal.release
    from portal.incremental import identity
    from portal.publish import stage, staging_of, swap_in

    monkeypatch.setattr(portal.publish, "SETTLED_NS", 50_000_000)  # the tests' releases follow closely
    output, cache, epoch = tmp_path / "out", tmp_path / "cache", 1767225600
    replace_if_changed(output / "tam.txt", b"t" * 400)
    for index in range(6):
        replace_if_changed(output / "kho" / f"bai-{index}" / "index.html", _page(index))
    (output / "lien").mkdir()
    (output / "lien" / "ngoai.txt").symlink_to(tmp_path / "ngoai.txt")  # its target changes, not it
    (tmp_path / "ngoai.txt").write_bytes(b"n" * 300)
    read, real = [], portal.release._read

    def spied(here, prefix, *args):
        read.append(prefix)
        return real(here, prefix, *args)

    monkeypatch.setattr(portal.release, "_read", spied)
    for step in range(6):
        time.sleep(0.06)
        read.clear()
        if step == 4:  # the retired tree loses a file after its release: that folder is read
            for suffix in ("", ".gz", ".br"):
                (staging_of(output.resolve()) / "kho" / "bai-5" / f"index.html{suffix}").unlink()
        (tmp_path / "ngoai.txt").write_bytes(b"m" * (305 if step == 5 else 300))  # the link stays
        staging = stage(output, cache / CHANGES)
        _edits(step)(staging)
        finish(staging, epoch + step, "abc", cache=cache / "digests.pickle", changes=cache / CHANGES)
        swap_in(staging, output)
        if step >= 2:  # the chain: a release stamped, its record, a stage brought up by that record
            assert "kho/" not in read and "lien/" not in read
            # Step 5's stage is the other tree: the record of step 4 removes the file there too.
            assert [name for name in read if name.startswith("kho/")] == ["kho/bai-5/"] * (step in (4, 5))
            assert "" in read and f"bai-{step}/" in read
    # A tree stamped less than SETTLED_NS before its stage: a change within a tick of the kernel's
    # clock may carry the stamping's ctime, so every folder is read.
    monkeypatch.setattr(portal.publish, "SETTLED_NS", 60_000_000_000)
    read.clear()
    _release_publish(output, cache, epoch + 5, lambda staging: None)
    assert "kho/" in read and "kho/bai-4/" in read and "lien/" in read
    manifest = {entry["path"]: entry["sha256"] for entry in read_manifest(output)["files"]}
    assert "kho/bai-5/index.html" not in manifest and "kho/bai-4/index.html" in manifest
    assert manifest["lien/ngoai.txt"] == hashlib.sha256(b"m" * 305).hexdigest()
    entries = DigestCache(cache / "digests.pickle").entries
    assert entries.pop("lien/ngoai.txt")[2] == 305  # its mtime, the target's, is never the epoch
    assert entries == {
        p.relative_to(output).as_posix(): identity(p.stat())
        for p in output.rglob("*")
        if p.is_file() and not p.is_symlink()
    }
    assert _release_files(output) == _cold_release_of(output, tmp_path / "fresh", epoch + 5)


@pytest.mark.parametrize(
    "touch",
    ["works", "absent", "fails", "unstartable"],
    ids=["by-touch", "in-process", "touch-fails", "no-start"],
)
def test_files_stamped_beside_the_release_get_the_epoch_as_a_cold_release_gives_it(
    tmp_path, monkeypatch, caplog, touch
):
    import subprocess as real_subprocess

    from pelican.log import LimitFilter

    import portal.release

    monkeypatch.setattr(portal.release, "STAMP_PROCESS_MIN", 1)  # the process even for a few files
    if touch == "absent":
        monkeypatch.setattr(portal.release.shutil, "which", lambda name: None)
    elif touch == "fails":  # a touch without -h (BusyBox's answers so): the release stamps the files
        tools = tmp_path / "bin"
        tools.mkdir()
        (tools / "touch").write_text('#!/bin/sh\necho "touch: unrecognized option: h" >&2\nexit 1\n')
        (tools / "touch").chmod(0o755)
        monkeypatch.setenv("PATH", f"{tools}{os.pathsep}{os.environ['PATH']}")
    commands = []

    class Spied(real_subprocess.Popen):
        def __init__(self, command, *args, **kwargs):
            commands.append(command[:4])
            if touch == "unstartable" and command[0] == "xargs":  # fork failed: no memory for it
                raise OSError(12, "Cannot allocate memory")
            super().__init__(command, *args, **kwargs)

    monkeypatch.setattr(portal.release.subprocess, "Popen", Spied)
    output, cache, epoch = tmp_path / "out", tmp_path / "cache", 1767225600
    replace_if_changed(output / "tam.txt", b"t" * 400)
    replace_if_changed(output / "-n", b"a name like an option")
    for step in range(4):  # a new epoch each time: every file is stamped again
        # Each step stands for a publish of its own process: Pelican's filter (on every logger made
        # once pelican is imported) drops a message this process logged before.
        LimitFilter._raised_messages.clear()
        _release_publish(output, cache, epoch + step, _edits(step))
        assert {p.stat().st_mtime_ns for p in [output, *output.rglob("*")]} == {(epoch + step) * 10**9}
    stamped = [command for command in commands if command[0] == "xargs"]  # the stage runs cp too
    assert stamped == ([] if touch == "absent" else [["xargs", "-0", "-r", "touch"]] * 4)
    warned = [r.getMessage() for r in caplog.records if "touch could not stamp" in r.getMessage()]
    assert len(warned) == (4 if touch in ("fails", "unstartable") else 0)
    cause = "Cannot allocate memory" if touch == "unstartable" else "unrecognized option"
    assert all(cause in message for message in warned)
    assert _release_files(output) == _cold_release_of(output, tmp_path / "fresh", epoch + 3)


def test_a_failed_build_or_a_build_into_the_output_leaves_no_record_a_stage_trusts(tmp_path, monkeypatch):
    import portal.publish
    from portal.publish import forget_changes, read_changes, stage, staging_of

    output, cache, epoch = tmp_path / "out", tmp_path / "cache", 1767225600
    for step in range(3):
        _release_publish(output, cache, epoch + step, _edits(step))
    staging = stage(output, cache / CHANGES)  # uses the record, and consumes it
    assert "changed" not in read_changes(cache / CHANGES)
    replace_if_changed(staging / "index.html", b"a build that fails before its release")
    walked = []
    real = portal.publish.relink
    monkeypatch.setattr(portal.publish, "relink", lambda *args: walked.append(args) or real(*args))
    assert stage(output, cache / CHANGES) == staging  # no record of changes: the walk of both trees
    assert walked and _identities(staging) == _identities(output)
    finish(staging, epoch + 3, "abc", cache=cache / "digests.pickle", changes=cache / CHANGES)
    assert staging_of(output.resolve()) == staging
    # A release whose build then failed: its record names the stage, not the output: not trusted.
    walked.clear()
    stage(output, cache / CHANGES)
    assert walked and _identities(staging) == _identities(output)
    # A build straight into the output forgets the record that describes it.
    _release_publish(output, cache, epoch + 4, _edits(4))  # the chain starts again with a walk
    assert "changed" not in read_changes(cache / CHANGES)
    _release_publish(output, cache, epoch + 5, _edits(5))
    assert "changed" in read_changes(cache / CHANGES)
    forget_changes(cache / CHANGES, output)
    assert read_changes(cache / CHANGES) is None
    walked.clear()
    stage(output, cache / CHANGES)
    assert walked and _identities(staging) == _identities(output)


def test_a_record_that_does_not_match_the_retired_tree_is_not_applied(tmp_path, monkeypatch):
    import portal.publish
    from portal.publish import read_changes, stage, staging_of

    output, cache, epoch = tmp_path / "out", tmp_path / "cache", 1767225600
    for step in range(3):
        _release_publish(output, cache, epoch + step, _edits(step))
    staging = staging_of(output.resolve())
    replace_if_changed(
        staging / "version.json", b'{"build_id": "another"}\n'
    )  # not the tree it was staged from
    walked = []
    real = portal.publish.relink
    monkeypatch.setattr(portal.publish, "relink", lambda *args: walked.append(args) or real(*args))
    assert "changed" in read_changes(cache / CHANGES)
    assert stage(output, cache / CHANGES) == staging
    assert walked and _identities(staging) == _identities(output)


def test_a_release_of_a_new_commit_makes_manifest_entries_only_for_what_changed(tmp_path, monkeypatch):
    import portal.release

    output, cache, epoch = tmp_path / "output", tmp_path / "digests.pickle", 1767225600
    for index in range(12):
        replace_if_changed(output / "tin" / f"p{index}.html", _page(index))
    replace_if_changed(output / "anh.webp", bytes(range(256)) * 4)
    finish(output, epoch, "abc", cache=cache)
    made = []
    real = portal.release._entry
    monkeypatch.setattr(portal.release, "_entry", lambda rel, *rest: made.append(rel) or real(rel, *rest))
    replace_if_changed(output / "tin" / "p3.html", _page(3, "Đảng ủy "))  # a page changed
    replace_if_changed(output / "tin" / "p12.html", _page(12))  # a page added
    (output / "tin" / "p7.html").unlink()  # a page removed (its copies are stale)
    finish(output, epoch + 60, "abc", cache=cache)
    assert "tin/p5.html" not in made and "tin/p9.html.gz" not in made  # kept from the last manifest
    assert {"tin/p3.html", "tin/p3.html.br", "tin/p12.html.gz", "version.json"} <= set(made)
    assert {p.stat().st_mtime_ns for p in [output, *output.rglob("*")]} == {(epoch + 60) * 10**9}
    fresh = _cold_release_of(output, tmp_path / "fresh", epoch + 60)
    assert _release_files(output) == fresh


@pytest.mark.parametrize(
    "change",
    [
        {"0.html": "changed", "z.html": "changed"},
        {"0.html": "removed", "1.html": "removed", "y.html": "added"},
        {"00.html": "added", "zz.html": "added", "m5.html": "removed", "m6.html": "changed"},
    ],
    ids=["first-and-last-changed", "first-removed-one-added", "added-at-both-ends"],
)
@pytest.mark.parametrize(
    "pieces", [None, (1, 1), (2, 7), (5, 64)], ids=["default", "one-entry-a-byte", "two-seven", "five-64"]
)
def test_the_manifest_copies_the_unchanged_entries_of_the_last_one_as_a_cold_release_writes_them(
    tmp_path, monkeypatch, change, pieces
):
    import portal.release

    if pieces:  # the last manifest read and copied in small pieces: separators cut between two
        monkeypatch.setattr(portal.release, "RUN_PIECE", pieces[0])
        monkeypatch.setattr(portal.release, "SCAN_PIECE", pieces[1])
    output, cache, epoch = tmp_path / "output", tmp_path / "digests.pickle", 1767225600
    for index, name in enumerate(["0.html", "1.html", *(f"m{i}.html" for i in range(10)), "z.html"]):
        replace_if_changed(output / name, _page(index))
    finish(output, epoch, "abc", cache=cache)
    for name, what in change.items():
        if what == "removed":
            (output / name).unlink()
        else:
            replace_if_changed(output / name, _page(99, "Đảng ủy "))
    made = []
    real = portal.release._entry
    monkeypatch.setattr(portal.release, "_entry", lambda rel, *rest: made.append(rel) or real(rel, *rest))
    finish(output, epoch, "abc", cache=cache)
    assert "m2.html" in _release_files(output) and "m2.html" not in made  # copied from the last manifest
    monkeypatch.setattr(portal.release, "_entry", real)
    assert _release_files(output) == _cold_release_of(output, tmp_path / "fresh", epoch)


@pytest.mark.parametrize("damage", ["removed", "rewritten-in-place"])
def test_a_manifest_missing_or_not_as_the_last_release_wrote_it_is_made_whole_again(tmp_path, damage):
    output, cache, epoch = tmp_path / "output", tmp_path / "digests.pickle", 1767225600
    for index in range(3):
        replace_if_changed(output / "tin" / f"p{index}.html", _page(index))
    finish(output, epoch, "abc", cache=cache)
    manifest = output / "manifest.json"
    if damage == "removed":
        manifest.unlink()
    else:  # other bytes with the identity the release left: same inode, size and mtime
        size = manifest.stat().st_size
        with manifest.open("r+b") as handle:
            handle.write(b"x" * size)
        os.utime(manifest, ns=(epoch * 10**9, epoch * 10**9))
    finish(output, epoch + 60, "abc", cache=cache)
    assert read_manifest(output)["files"]  # parsed: whole again
    assert _release_files(output) == _cold_release_of(output, tmp_path / "fresh", epoch + 60)


@pytest.mark.parametrize("order", ["as-found", "sorted"], ids=["names-as-found", "names-sorted"])
def test_build_id_digests_every_file_but_the_manifest_and_version_files_in_name_order(order):
    names = [
        "tin/b.html", "version.json", "a.css", "manifest.json", "version.json.gz", "version.json.br",
        "version.json5", "manifest.json.gz", "tin/a.html", "version.jso", "z/version.json",
    ]  # fmt: skip
    digests = {name: hashlib.sha256(name.encode()).hexdigest() for name in names}
    if order == "sorted":
        digests = dict(sorted(digests.items()))
    counted = sorted(
        n for n in names if n not in ("manifest.json", "version.json", "version.json.gz", "version.json.br")
    )
    text = "".join(f"{name}\0{digests[name]}\n" for name in counted)
    expected = hashlib.sha256(b"c0ffee" + text.encode()).hexdigest()[:12]
    assert build_id(Path("."), 1767225600, "c0ffee", digests) == f"20260101T000000Z-{expected}"
    assert build_id(Path("."), 1767225600, "c0ffee", {}) == (
        f"20260101T000000Z-{hashlib.sha256(b'c0ffee').hexdigest()[:12]}"
    )


def test_a_release_reads_its_digest_cache_in_any_order(tmp_path):
    output, cache = tmp_path / "output", tmp_path / "digests.pickle"
    for index in (3, 1, 2):
        replace_if_changed(output / f"tin/bai-{index}/index.html", f"<p>{'bài ' * 200}{index}</p>".encode())
    first = finish(output, 1767225600, "c0ffee", cache=cache)
    data = read_pickle(cache)  # names in another order than the walk's: the release sorts what it needs
    for name in ("names", "keys", "digests"):
        data[name] = data[name][::-1]
    write_pickle(cache, data)
    replace_if_changed(output / "tin/bai-2/index.html", "<p>đã sửa</p>".encode() * 40)
    second = finish(output, 1767225600, "c0ffee", cache=cache)
    assert second.build_id != first.build_id
    cold = tmp_path / "cold"
    shutil.copytree(output, cold)
    for name in ("manifest.json", "version.json"):
        (cold / name).unlink()
    assert finish(cold, 1767225600, "c0ffee").build_id == second.build_id
    assert (cold / "manifest.json").read_bytes() == (output / "manifest.json").read_bytes()
    kept = DigestCache(cache)  # kept in name order again, whatever order it was read in
    assert list(kept.entries) == sorted(kept.entries) and list(kept.digests) == list(kept.entries)


def test_digests_read_ahead_are_taken_only_while_their_file_is_the_one_read(tmp_path):
    """``read_ahead`` (done while a build waits for a child) gives ``finish`` what it would read itself."""
    import portal.release
    from portal.release import DigestCache, read_ahead

    output, cache, epoch = tmp_path / "out", tmp_path / "cache", 1767225600
    replace_if_changed(output / "tam.txt", b"t" * 400)
    digests = cache / "digests.pickle"
    _release_publish(output, cache, epoch, _edits(0))
    read_ahead(digests)
    ahead = portal.release._READ_AHEAD[digests][1]
    assert ahead.digests == DigestCache(digests).digests and ahead.entries
    assert portal.release._digest_cache(digests) is ahead  # the file is the one read: taken
    assert digests not in portal.release._READ_AHEAD  # once
    read_ahead(digests)
    _release_publish(output, cache, epoch + 1, _edits(1))  # its finish takes it: the file is the same
    assert digests not in portal.release._READ_AHEAD
    read_ahead(digests)
    stale = portal.release._READ_AHEAD[digests][1]
    (cache / "other").mkdir()  # the digests of another release replace the file read
    finish(output, epoch + 2, "abc", cache=cache / "other" / "digests.pickle")
    os.replace(cache / "other" / "digests.pickle", digests)
    taken = portal.release._digest_cache(digests)
    assert taken is not stale and taken.build_id == DigestCache(digests).build_id != stale.build_id
    assert portal.release._digest_cache(tmp_path / "missing.pickle").digests == {}  # none read ahead
    _release_publish(output, cache, epoch + 3, _edits(3))
    assert _release_files(output) == _cold_release_of(output, tmp_path / "fresh", epoch + 3)


def test_the_files_of_the_unsettled_folders_are_found_by_their_runs_in_name_order():
    """``_unsettled_names`` finds what a test of every name's folder finds, in folders named alike."""
    import random

    from portal.release import _Settled, _unsettled_names

    rng = random.Random(7)
    parts = ["a", "a-b", "a.b", "a b", "a0", "ab", "tin", "tin-tuc", "đ", "z", "x"]
    folders = {""}
    names = set()
    for _ in range(3000):
        depth = rng.randrange(4)
        folder = "".join(rng.choice(parts) + "/" for _ in range(depth))
        for index in range(len(folder.split("/")) - 1):  # every folder up to the output
            folders.add("/".join(folder.split("/")[:index]) + "/" if index else "")
        names.add(folder + rng.choice(["index.html", "index.html.gz", "a", "a-b", "-", ".x", "đ.txt"]))
    folders |= {f"{name.rsplit('/', 1)[0]}/" for name in names if "/" in name}
    for trial in range(20):
        unsettled = frozenset(rng.sample(sorted(folders), rng.randrange(1, 8)) + [""] * (trial % 2))
        settled = _Settled({f: 0 for f in folders - unsettled}, {}, frozenset(), unsettled)
        linked = dict.fromkeys(rng.sample(sorted(names), len(names)), (1, 2, 3, 4))  # in any order
        expected = {name for name in names if name[: name.rfind("/") + 1] in unsettled}
        found = _unsettled_names(linked, settled)
        assert sorted(found) == sorted(expected) and len(found) == len(expected)
