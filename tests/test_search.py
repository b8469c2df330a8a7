"""The search index: tokens and folding, id encoding, sharding, the built index, and the JS twin."""

import hashlib
import json
import os
import subprocess
import sys
import unicodedata
from datetime import datetime

import pytest
from conftest import ROOT, require

from portal import search
from portal.text import TIMEZONE

SEARCH_JS = ROOT / "theme" / "static" / "js" / "search.js"
WORDS = [
    "Đảng ủy",
    "ĐẤT ĐAI",
    "đất",
    "đạt",
    "dài",
    "tham nhũng",
    "Phòng, chống",
    "khiếu nại, tố cáo",
    "hòa",
    "hoà",
    "thủy lợi",
    "Thuý",
    "123/QĐ-TTCP",
    "Ưng",
    "Ấn Độ",
    "Điện thoại di động",
    "quốc",
]


def test_tokens_fold_marks_and_d_with_stroke():
    assert search.tokenize("Đảng ủy Thanh tra") == [
        ("đảng", "dang"),
        ("ủy", "uy"),
        ("thanh", "thanh"),
        ("tra", "tra"),
    ]
    assert [f for _, f in search.tokenize("Phòng, chống tham nhũng")] == ["phong", "chong", "tham", "nhung"]


def test_nfd_text_gives_the_same_tokens_as_nfc():
    phrase = "Hội nghị tổng kết công tác tiếp công dân, Đắk Lắk"
    assert search.tokenize(unicodedata.normalize("NFD", phrase)) == search.tokenize(phrase)


def test_old_and_new_tone_placement_fold_together():
    assert search.tokenize("hòa thúy")[0][1] == search.tokenize("hoà thuý")[0][1] == "hoa"


def test_document_numbers_split_into_searchable_tokens():
    assert [f for _, f in search.tokenize("Quyết định 123/QĐ-TTCP")] == ["quyet", "dinh", "123", "qd", "ttcp"]


def test_plain_text_drops_tags_and_decodes_entities():
    assert search.plain_text("<h2>Đất&nbsp;đai</h2>\n<p>Số <b>12</b> &amp; 13</p>") == "Đất đai Số 12 & 13"


@pytest.mark.parametrize(
    "ids",
    [[0], [5], [0, 1, 2, 3], [3, 40, 41, 900], list(range(0, 5000, 2)), list(range(700))],
    ids=["zero", "one", "dense-start", "sparse", "every-other", "all"],
)
def test_ids_round_trip_through_either_encoding(ids):
    assert search.decode_ids(search.encode_ids(ids)) == ids


def test_dense_lists_use_the_shorter_bitmap():
    assert search.encode_ids(list(range(1000))).startswith("~")
    assert search.encode_ids([10, 500]) == "a,dm"  # 10, then a gap of 490 = 13 * 36 + 22


def test_shards_spread_keys_and_stay_in_range():
    keys = [f"tu{n}" for n in range(2000)]
    counts = [0] * 16
    for key in keys:
        counts[search.shard_of(key, 16)] += 1
    assert min(counts) > 60


def doc(url, title, day, section="thanh-tra", summary="", body=""):
    return search.SearchDocument(url, title, section, datetime(*day, tzinfo=TIMEZONE), summary, body)


SECTIONS = [("tin-tuc-su-kien", "Tin tức - Sự kiện"), ("thanh-tra", "Thanh tra")]


def built(documents, **layout):
    manifest_name, files = search.build_index(documents, SECTIONS, search.IndexLayout(**layout))
    return json.loads(files[manifest_name]), files


def lookup(manifest, files, key):
    shard = json.loads(files[manifest["shards"][search.shard_of(key, len(manifest["shards"]))]])
    return shard.get(key)


def test_index_keeps_variants_titles_and_phrases_in_date_order():
    documents = [
        doc("b/", "Chặng đường dài", (2025, 1, 1), summary="Ngành đạt kết quả.", body="Đất nước."),
        doc("a/", "Quản lý đất đai", (2024, 1, 1), body="Giao đất, cho thuê đất đai."),
    ]
    manifest, files = built(documents)
    assert manifest["count"] == 2
    assert manifest["years"] == [[2024, 0, 0], [2025, 1, 1]]
    variants, titles = lookup(manifest, files, "dat")
    assert {k: search.decode_ids(v) for k, v in variants.items()} == {"đất": [0, 1], "đạt": [1]}
    assert search.decode_ids(titles) == [0]
    assert search.decode_ids(lookup(manifest, files, "dat dai")) == [0]
    assert lookup(manifest, files, "dai dat") is None
    rows = json.loads(files[manifest["chunks"][0]])
    assert rows[0] == ["a/", "Quản lý đất đai", 1, "01/01/2024", ""]


def test_index_is_cut_into_shards_and_chunks_and_named_by_content():
    documents = [
        doc(
            f"bai-{n}/",
            f"Bài số {n} về thanh tra đất đai",
            (2020 + n % 5, 1, 1 + n % 28),
            body=f"Nội dung {n} " * 20,
        )
        for n in range(120)
    ]
    manifest, files = built(documents, chunk_size=50, shard_bytes=2000)
    assert len(manifest["chunks"]) == 3
    assert len(manifest["shards"]) > 1
    assert len(manifest["shards"]) & (len(manifest["shards"]) - 1) == 0
    again_manifest, again = built(list(reversed(documents)), chunk_size=50, shard_bytes=2000)
    assert again == files, "the index must not depend on the order articles are read"


@pytest.mark.system
def test_browser_client_folds_tokenizes_and_shards_like_python():
    node = require("node")
    script = (
        f"import {{ tokenize, shardOf, decodeIds, markIds }} from {json.dumps(SEARCH_JS.as_uri())};\n"
        "const words = JSON.parse(process.argv[1]);\n"
        "const out = words.map((w) => ({ tokens: tokenize(w).map((t) => [t.exact, t.folded]),"
        " shards: tokenize(w).map((t) => shardOf(t.folded, 64)) }));\n"
        "out.push(decodeIds(process.argv[2]), decodeIds(process.argv[3]));\n"
        "const marked = new Uint8Array(6000);\n"  # ranking reads the lists straight into typed arrays
        "markIds(process.argv[2], marked, 1); markIds(process.argv[3], marked, 2);\n"
        "out.push([...marked.keys()].filter((id) => marked[id]).map((id) => [id, marked[id]]));\n"
        "console.log(JSON.stringify(out));\n"
    )
    words = WORDS + [unicodedata.normalize("NFD", w) for w in WORDS]
    dense, sparse = search.encode_ids(list(range(0, 300, 2))), search.encode_ids([7, 80, 5000])
    done = subprocess.run(
        [node, "--input-type=module", "-e", script, json.dumps(words), dense, sparse],
        capture_output=True,
        text=True,
        check=True,
    )
    *per_word, dense_ids, sparse_ids, marked = json.loads(done.stdout)
    for word, got in zip(words, per_word, strict=True):
        expected = search.tokenize(word)
        assert [tuple(t) for t in got["tokens"]] == expected, word
        assert got["shards"] == [search.shard_of(f, 64) for _, f in expected], word
    assert dense_ids == list(range(0, 300, 2))
    assert sparse_ids == [7, 80, 5000]
    assert marked == sorted([[i, 1] for i in range(0, 300, 2) if i != 80] + [[7, 2], [80, 3], [5000, 2]])


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    from conftest import SITES, run_pelican

    build = run_pelican(SITES / "search", tmp_path_factory.mktemp("search") / "out")
    assert build.returncode == 0, build.log
    return build


def index_text(build) -> str:
    return "\n".join(p.read_text("utf-8") for p in (build.output / "search").rglob("*.json"))


def test_publish_writes_the_page_and_an_index_of_published_articles_only(published):
    manifest_path = next((published.output / "search" / "data").glob("index.*.json"))
    manifest = json.loads(manifest_path.read_text("utf-8"))
    assert manifest["count"] == 21
    page = published.read("search/index.html")
    assert f'data-index="https://thanhtra.gov.vn/search/data/{manifest_path.name}"' in page
    text = index_text(published)
    for secret in ("xuongrongtim", "kiểm toán", "hẹn giờ", "bài ẩn"):
        assert secret not in text, secret


def test_index_holds_article_text_not_navigation_or_footer(published):
    text = index_text(published)
    assert "thủy lợi" in text and "giải phóng mặt bằng" not in text  # sapo kept, body only as terms
    assert '"thuy":[{"thủy":' in text
    for chrome in ("banbientap", "Bỏ qua, đến nội dung chính", "Cơ quan chủ quản"):
        assert chrome not in text, chrome


def test_development_build_leaves_drafts_out_of_the_index_too(tmp_path):
    from conftest import SITES, run_pelican

    build = run_pelican(SITES / "search", tmp_path / "out", "pelicanconf.py")
    assert build.returncode == 0, build.log
    assert (build.output / "ban-nhap").is_dir()  # the draft has a preview page…
    assert "xuongrongtim" not in index_text(build)  # …but is not searchable


def test_a_rebuild_replaces_the_index_and_leaves_no_stale_files(tmp_path, site_copy):
    from conftest import run_pelican

    site = site_copy("search")
    first = run_pelican(site, tmp_path / "out")
    before = {p.name for p in (first.output / "search").rglob("*.json")}
    article = site / "articles/thanh-tra/2024/thanh-tra-quan-ly-dat-dai.md"
    article.write_text(article.read_text("utf-8") + "\nBổ sung: đính chính số liệu.\n", "utf-8")
    second = run_pelican(site, tmp_path / "out")
    after = {p.name for p in (second.output / "search").rglob("*.json")}
    assert 0 < len(after - before) < len(after), "only the files holding the edit change"
    assert "đính" in index_text(second)
    assert len(list((second.output / "search" / "data").glob("index.*.json"))) == 1


def search_files(output):
    return {
        str(p.relative_to(output)): p.read_bytes()
        for p in sorted((output / "search").rglob("*"))
        if p.is_file()
    }


def incremental_publish(site, tmp_path, name):
    """Publish ``site`` into the same output and cache each time; compare its index with a cold publish."""
    from conftest import run_pelican

    def publish(folder):
        cache = json.dumps(str(folder / "cache"))
        build = run_pelican(site, folder / "out", "publishconf.py", "-e", f"CACHE_PATH={cache}")
        assert build.returncode == 0, build.log
        return search_files(build.output)

    assert publish(tmp_path) == publish(tmp_path / name), (
        f"{name}: the incremental index differs from a cold one"
    )


def state_identity(tmp_path):
    """The index's state file: a build that found nothing to change does not write it again."""
    found = (tmp_path / "cache" / "search-index.pickle").stat()
    return found.st_ino, found.st_mtime_ns


def test_an_incremental_index_equals_a_cold_one_after_each_step(tmp_path, site_copy):
    site = site_copy("search")
    folder = site / "articles/thong-bao/2026"
    incremental_publish(site, tmp_path, "first")
    before = state_identity(tmp_path)
    incremental_publish(site, tmp_path, "nothing")
    assert state_identity(tmp_path) == before, "a no-change build must take the no-change path"
    edited = site / "articles/thanh-tra/2024/thanh-tra-quan-ly-dat-dai.md"
    edited.write_text(edited.read_text("utf-8") + "\nBổ sung: đính chính số liệu xuongrongmoi.\n", "utf-8")
    incremental_publish(site, tmp_path, "edit")
    assert any(b"xuongrongmoi" in data for data in search_files(tmp_path / "out").values())
    newest = (folder / "lich-truc-ban-tuan-11.md").read_text("utf-8")
    (folder / "lich-truc-ban-tuan-12.md").write_text(
        newest.replace("tuần 11", "tuần 12").replace("2026-03-11", "2026-03-12"), "utf-8"
    )
    incremental_publish(site, tmp_path, "add newest")
    (folder / "lich-truc-ban-tuan-12.md").unlink()
    incremental_publish(site, tmp_path, "delete newest")
    (folder / "lich-truc-ban-tuan-5.md").unlink()  # the ids of every newer article shift
    incremental_publish(site, tmp_path, "delete middle")


def test_a_damaged_or_missing_index_file_is_built_again(tmp_path, site_copy):
    site = site_copy("search")
    incremental_publish(site, tmp_path, "first")
    data = tmp_path / "out" / "search" / "data"
    shard = max((data / "t").glob("*.json"), key=lambda p: p.stat().st_size)
    original = shard.read_bytes()
    shard.write_bytes(original.replace(b"1", b"2"))  # same size, other bytes, same inode
    assert shard.read_bytes() != original
    incremental_publish(site, tmp_path, "damaged")
    next((data / "d").glob("*.json")).unlink()
    incremental_publish(site, tmp_path, "missing")


def test_unknown_search_setting_stops_the_build(tmp_path):
    from conftest import SITES, run_pelican

    build = run_pelican(SITES / "search", tmp_path / "out", "publishconf.py", "-e", "PORTAL_SEARCH_SHARDS=4")
    assert build.returncode != 0
    assert "portal_search: unknown settings PORTAL_SEARCH_SHARDS" in build.log


def test_bench_search_task_measures_a_generated_archive():
    done = subprocess.run(
        [sys.executable, "-m", "invoke", "-r", str(ROOT), "bench-search", "--count", "300"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "| articles | 300 |" in done.stdout
    assert "| files_changed_by_one_edit |" in done.stdout


# --- incremental index: ``update`` must give the bytes ``assemble`` gives --------------------------

WORDS_POOL = [
    "đất", "đai", "đạt", "dài", "thanh", "tra", "chính", "phủ", "kết", "luận", "tham", "nhũng", "khiếu",
    "nại", "tố", "cáo", "tiếp", "công", "dân", "hòa", "hoà", "thủy", "lợi", "quản", "lý", "ngân", "sách",
    "đầu", "tư", "dự", "án", "kê", "khai", "tài", "sản", "thu", "nhập", "Đảng", "ủy",
]  # fmt: skip


def generated(count, seed=1):
    import random

    rng = random.Random(seed)

    def words(n):
        return " ".join(rng.choice(WORDS_POOL) for _ in range(n))

    return [
        doc(
            f"bai-{n:03d}/",
            words(5).capitalize(),
            (2018 + n % 7, 1 + n % 12, 1 + n % 28),
            section=SECTIONS[n % 2][0],
            summary=words(12),
            body=words(60),
        )
        for n in range(count)
    ]


class Store:
    """Analyses by key and the files of the last build, as the plugin keeps them."""

    def __init__(self):
        self.analyses, self.files = {}, {}

    def analysis(self, source):
        found = self.analyses.get(source.key)
        if found is None:
            found = self.analyses[source.key] = search.analyse(source.document(True))
        return found

    def earlier(self, key):
        return self.analyses.get(key)

    def read(self, name):
        return self.files.get(name)

    def build(self, documents, previous=None, layout=None, **options):
        setup = search.IndexSetup(
            tuple(SECTIONS), layout or search.IndexLayout(chunk_size=7, shard_bytes=1500)
        )
        sources = [search.source_of(d) for d in documents]
        result = search.update(previous, sources, setup, self, **options) if previous else None
        manifest, files, state = result or search.assemble(sources, setup, self.analysis)
        self.files.update(files)
        return manifest, {name: self.files[name] for name in state.names()}, state, result is not None


def cold(documents, layout=None):
    return Store().build(documents, layout=layout)[:2]


def edited(document, **changes):
    import dataclasses

    return dataclasses.replace(document, **changes)


def change(documents, step):
    """Return ``documents`` after one step of an editor's day."""
    ordered = sorted(documents, key=lambda d: (d.date, d.url))
    newest, middle = ordered[-1], ordered[len(ordered) // 2]
    changed = list(documents)
    at = changed.index(middle)
    steps = {
        "nothing": lambda: None,
        "edit body": lambda: changed.__setitem__(
            at, edited(middle, body=middle.body + " Bổ sung: đính chính.")
        ),
        "edit title": lambda: changed.__setitem__(at, edited(middle, title="Đính chính kết luận")),
        "edit sapo": lambda: changed.__setitem__(at, edited(middle, summary="Sapo mới về đất đai")),
        "edit section": lambda: changed.__setitem__(at, edited(middle, section=SECTIONS[0][0])),
        "add newest": lambda: changed.append(
            doc("moi/", "Bài mới nhất", (2030, 1, 1), body="Mới, tham nhũng.")
        ),
        "delete newest": lambda: changed.remove(newest),
        "delete middle": lambda: changed.remove(middle),
        "add middle": lambda: changed.append(edited(middle, url="chen/", title="Bài chèn giữa")),
        "date moves newest": lambda: changed.__setitem__(
            at, edited(middle, date=datetime(2031, 1, 1, tzinfo=TIMEZONE))
        ),
        "several edits": lambda: [
            changed.__setitem__(n, edited(changed[n], body=changed[n].body + " thêm từ mới lạ"))
            for n in (3, 17, 41)
        ],
    }
    steps[step]()
    return changed


@pytest.mark.parametrize(
    "step",
    ["nothing", "edit body", "edit title", "edit sapo", "edit section", "add newest", "delete newest",
     "delete middle", "add middle", "several edits", "date moves newest"],
)  # fmt: skip
def test_an_updated_index_equals_a_whole_build_byte_for_byte(step):
    documents = generated(60)
    store = Store()
    _, _, state, _ = store.build(documents)
    changed = change(documents, step)
    manifest, files, _, incremental = store.build(changed, state, limit=len(changed))
    assert (manifest, files) == cold(changed)
    assert incremental, "every step of this test is within the limit: the update must not give up"


def test_an_update_gives_up_on_a_missing_or_damaged_file_or_analysis_and_on_another_setup():
    documents = generated(40)
    store = Store()
    _, files, state, _ = store.build(documents)
    changed = [
        edited(documents[5], body="Hoàn toàn khác: quy hoạch xây dựng."),
        *documents[:5],
        *documents[6:],
    ]
    sources = [search.source_of(d) for d in changed]
    setup = search.IndexSetup(tuple(SECTIONS), search.IndexLayout(chunk_size=7, shard_bytes=1500))

    class Broken(Store):
        def __init__(self, read=None, earlier=None):
            super().__init__()
            self.analyses, self.files = dict(store.analyses), dict(store.files)
            self.read = read or self.read
            self.earlier = earlier or self.earlier

    assert search.update(state, sources, setup, Broken(read=lambda name: None)) is None
    assert search.update(state, sources, setup, Broken(read=lambda name: files[name][:-1] + b" ")) is None
    assert search.update(state, sources, setup, Broken(earlier=lambda key: None)) is None
    other = search.IndexSetup(tuple(SECTIONS), search.IndexLayout(chunk_size=8, shard_bytes=1500))
    assert search.update(state, sources, other, Broken()) is None
    assert (
        search.update(state, sources, search.IndexSetup(tuple(SECTIONS), setup.layout, "v2"), Broken())
        is None
    )
    assert search.update(state, sources, setup, Broken()) is not None


def test_an_update_gives_up_when_the_number_of_shards_changes():
    documents = generated(30)
    store = Store()
    _, _, state, _ = store.build(documents)
    long_body = " ".join(f"tu{n}" for n in range(3000))  # many new keys: the index doubles
    changed = [*documents, doc("dai/", "Bài rất dài", (2030, 1, 1), body=long_body)]
    manifest, files, after, incremental = store.build(changed, state, limit=len(changed))
    assert not incremental
    assert len(after.shards) > len(state.shards)
    assert (manifest, files) == cold(changed)


def test_an_analysis_holds_the_tokens_tokenize_finds():
    title, summary, body = (
        "Đất_đai và ĐẤT Nước",
        "Kết luận 12/KL-TTCP_2025 về đạt",
        "Giao\u0303 đất, cho thuê  đất đai_x.",
    )
    analysis = search.analyse(doc("a/", title, (2025, 1, 1), summary=summary, body=body))
    texts = [search.tokenize(value) for value in (title, summary, body)]
    assert sorted(analysis.variants) == sorted({exact for tokens in texts for exact, _ in tokens})
    assert sorted(analysis.titles) == sorted({folded for _, folded in texts[0]})
    pairs = {f"{a[1]} {b[1]}" for tokens in texts for a, b in zip(tokens, tokens[1:], strict=False)}
    assert sorted(analysis.phrases) == sorted(pairs)
    assert "dat dai" in analysis.phrases and "ttcp 2025" in analysis.phrases
    search._FORMS.clear()  # forgets the one-form tables too: the same analysis again
    again = search.analyse(doc("a/", title, (2025, 1, 1), summary=summary, body=body))
    assert [set(part) for part in search._parts(again)] == [set(part) for part in search._parts(analysis)]


@pytest.fixture
def forked(monkeypatch):
    """The plugin module, made to fork (two cores), with ``make_index`` replaced by the test."""
    sys.path.insert(0, str(ROOT / "plugins"))
    from portal_search import search as plugin

    monkeypatch.setattr(plugin.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(plugin, "_updatable", lambda settings, setup: "a state to update")  # no fresh child

    def start(work):
        monkeypatch.setattr(plugin, "make_index", work)
        generator = type(
            "Generator", (), {"context": {"articles": []}, "settings": {}, "output_path": "out"}
        )()
        plugin.start_index(generator)
        assert plugin._PENDING and plugin._PENDING[-1].context is generator.context
        return plugin._PENDING.pop()

    if not hasattr(plugin.os, "fork"):
        pytest.skip("no os.fork here")
    return plugin, start


def test_a_forked_index_build_returns_its_result_and_the_files_it_produced(forked, tmp_path):
    plugin, start = forked
    from portal.incremental import OUTPUTS

    written = tmp_path / "search" / "data" / "index.x.json"

    def work(settings, output_path, articles):
        OUTPUTS.record(written)
        return {"manifest": "index.x.json", "pid": os.getpid()}

    done = plugin._collect(start(work))
    assert done["manifest"] == "index.x.json" and done["pid"] != os.getpid()
    assert str(written) in OUTPUTS.produced


def test_a_failed_forked_index_build_stops_the_build_with_its_reason(forked):
    plugin, start = forked

    def work(settings, output_path, articles):
        raise ValueError("ổ đĩa đầy")

    with pytest.raises(plugin.IndexBuildError) as raised:
        plugin._collect(start(work))
    assert isinstance(raised.value, SystemExit)  # the message, no traceback
    assert "không dựng được chỉ mục tìm kiếm: ValueError: ổ đĩa đầy" in str(raised.value.code)


def test_a_forked_index_build_that_dies_without_a_word_stops_the_build(forked):
    plugin, start = forked

    def work(settings, output_path, articles):
        os._exit(3)

    with pytest.raises(plugin.IndexBuildError, match="không trả kết quả"):
        plugin._collect(start(work))


def recorded_in_a_child(path):
    """Record ``path`` as produced and return this process's id (run by a fresh child)."""
    from portal.incremental import OUTPUTS

    OUTPUTS.record(path)
    return os.getpid()


def test_a_fresh_child_returns_its_value_and_the_files_it_produced(tmp_path):
    from portal.forked import Fresh
    from portal.incremental import OUTPUTS

    written = str(tmp_path / "out" / "a.json")
    assert Fresh(recorded_in_a_child, written, folder=str(tmp_path)).wait() != os.getpid()
    assert written in OUTPUTS.produced
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # its order and result files are gone


def test_a_fresh_child_that_fails_reports_its_error(tmp_path):
    from portal.forked import ChildError, Fresh

    with pytest.raises(ChildError, match="ValueError: invalid literal") as raised:
        Fresh(int, "không phải số", folder=str(tmp_path)).wait()
    assert "Traceback" in raised.value.details
    assert list(tmp_path.iterdir()) == []


class Category:
    def __init__(self, slug):
        self.slug = slug


class Article:
    """What the index reads of a Pelican article."""

    def __init__(self, n, body):
        self.url, self.title, self.summary = f"bai-{n}/", f"Kết luận thanh tra số {n}", f"Sapo {n} về đất đai"
        self.category, self.date = Category("thanh-tra"), datetime(2024, 1, 1 + n, tzinfo=TIMEZONE)
        self.content = body


def test_a_cold_index_is_built_by_a_fresh_child_and_updated_by_a_fork(monkeypatch, tmp_path):
    sys.path.insert(0, str(ROOT / "plugins"))
    from portal_search import search as plugin

    if not hasattr(plugin.os, "fork"):
        pytest.skip("no os.fork here")
    monkeypatch.setattr(plugin.os, "cpu_count", lambda: 2)
    articles = [Article(n, f"<p>Giao đất, cho thuê đất lần {n}.</p>") for n in range(20)]
    settings = {"CACHE_PATH": str(tmp_path / "cache"), "SECTIONS": [["thanh-tra", "Thanh tra"]]}
    generator = type("Generator", (), {"context": {"articles": articles}, "settings": settings})()
    generator.output_path = str(tmp_path / "out")
    alone = plugin.make_index({"SECTIONS": settings["SECTIONS"]}, str(tmp_path / "alone"), articles)

    plugin.start_index(generator)
    job = plugin._PENDING.pop()
    assert isinstance(job.child, plugin.Fresh)
    done = plugin._collect(job)
    assert done["whole"] and done["manifest"] == alone["manifest"]
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == [plugin.ANALYSES, plugin.STATE]
    data = tmp_path / "out" / "search" / "data"
    assert {p.read_bytes() for p in data.rglob("*.json")} == {
        p.read_bytes() for p in (tmp_path / "alone" / "search" / "data").rglob("*.json")
    }

    articles[3].content = "<p>Khiếu nại, tố cáo.</p>"  # an edit: the fork updates what the child built
    plugin.start_index(generator)
    job = plugin._PENDING.pop()
    assert isinstance(job.child, plugin.Forked)
    done = plugin._collect(job)
    assert not done["whole"] and done["written"] > 0


class KeptArticle(Article):
    """An article whose file alone decides it (``portal_perf``'s ``portal_file_key``)."""

    def __init__(self, n, body):
        super().__init__(n, body)
        self.portal_file_key = hashlib.sha256(f"tệp {n}".encode()).digest()


def test_kept_articles_give_back_their_sources_by_file_key(tmp_path):
    sys.path.insert(0, str(ROOT / "plugins"))
    from portal_search import search as plugin

    path = tmp_path / plugin.SOURCES
    articles = [KeptArticle(n, f"<p>Giao đất, cho thuê đất lần {n}.</p>") for n in range(5)]
    made = plugin._Sources(str(path), plugin.AnalysisCache(None))
    first = [made.source(a) for a in articles]
    made.save()
    kept = path.stat().st_ino, path.stat().st_mtime_ns

    def fields(source):
        return source.url, source.date, source.section, source.key, source.row

    # What a file key promises, a title changed without it, shows what was not made again.
    for article in articles:
        article.title = "Tiêu đề khác"
    again = plugin._Sources(str(path), plugin.AnalysisCache(None))
    taken = [again.source(a) for a in articles]
    assert [fields(s) for s in taken] == [fields(s) for s in first]
    assert taken[2].document(True).title == "Tiêu đề khác"  # the text is still read from the article
    again.save()
    assert (path.stat().st_ino, path.stat().st_mtime_ns) == kept, "the same sources are not written again"

    articles[1].portal_file_key = None  # read this build, or its body rewritten: made now
    articles[2].portal_file_key = b"another file"
    third = plugin._Sources(str(path), plugin.AnalysisCache(None))
    mixed = [third.source(a) for a in articles]
    fresh = plugin.AnalysisCache(None)
    assert [fields(s) for s in mixed] == [
        fields(first[0]),
        fields(fresh.source(articles[1])),
        fields(fresh.source(articles[2])),
        fields(first[3]),
        fields(first[4]),
    ]
    assert mixed[1].row != first[1].row
    third.save()
    assert set(plugin._Sources(str(path), fresh).known) == {a.portal_file_key for a in articles} - {None}

    from portal.buildcache import read_pickle, write_pickle

    salt, known = read_pickle(path)
    write_pickle(path, (salt + "\0other code", known))
    assert not plugin._Sources(str(path), fresh).known, "sources made by other code are not taken"


def test_a_kept_article_has_a_file_key_only_while_its_file_alone_decides_it():
    sys.path.insert(0, str(ROOT / "plugins"))
    from portal_perf.article_cache import KeptArticle as Kept

    def kept(settings=None, **state):
        article = Kept.__new__(Kept)
        article.__dict__.update(
            {"_portal_body_key": b"k" * 32, "_portal_body_links": False, "settings": settings or {}, **state}
        )
        return article

    assert kept().portal_file_key == b"k" * 32
    assert kept(_portal_body_set="<picture></picture>").portal_file_key is None  # the image step's body
    assert kept(_portal_body_links=True).portal_file_key is None  # {filename} links: other files' URLs
    assert kept({"FORMATTED_FIELDS": ["summary"]}).portal_file_key is None
