"""portal_perf's linear replacements of Pelican's quadratic steps give Pelican's own results."""

from __future__ import annotations

import random
import sys
from pathlib import Path

from pelican.utils import process_translations

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "plugins"))

from portal_perf.translations import linear_process_translations  # noqa: E402


class Item:
    """What ``process_translations`` reads of a content object (identity equality, like Content)."""

    def __init__(self, number: int, slug: str, lang: str, translation: str | None):
        self.number, self.slug, self.lang = number, slug, lang
        self.in_default_lang = lang == "vi"
        self.metadata = {} if translation is None else {"translation": translation}
        self.source_path = f"bai-{number}.md"

    def __repr__(self) -> str:
        return f"Item({self.number}, {self.slug!r}, {self.lang!r})"


def _items(seed: int) -> list[Item]:
    rng = random.Random(seed)
    items = []
    for number in range(400):
        slug = f"bai-{rng.randrange(250)}"  # many slugs shared: translations and duplicates
        items.append(Item(number, slug, rng.choice(["vi", "vi", "en"]), rng.choice([None, "true", "false"])))
    return items


def _numbers(items) -> list[int]:
    return [item.number for item in items]


def test_linear_translations_equal_pelicans_own():
    for seed in range(5):
        theirs, ours = _items(seed), _items(seed)
        index, translations = process_translations(theirs, translation_id="slug")
        linear_index, linear_translations = linear_process_translations(ours, translation_id="slug")
        assert _numbers(linear_index) == _numbers(index)
        assert _numbers(linear_translations) == _numbers(translations)
        assert translations  # the case is not trivial: some items are translations
        for mine, pelicans in zip(ours, theirs, strict=True):
            assert _numbers(mine.translations) == _numbers(pelicans.translations)
    assert linear_process_translations(_items(0), translation_id=None)[1] == []


def test_a_files_key_is_hashed_again_whenever_its_identity_changed(tmp_path, monkeypatch):
    import os

    from portal.buildcache import RACY_NS, Stamps

    path, record = tmp_path / "bai.md", tmp_path / "stamps.pickle"
    path.write_text("Nội dung A\n", encoding="utf-8")
    hashed = []

    def make(name):
        hashed.append(name)
        return Path(name).read_bytes()

    def build(salt=b"s", started=None):
        stamps = Stamps(str(record), salt)
        stamps.started = started or os.stat(path).st_ctime_ns + RACY_NS + 1  # long after the write
        key = stamps.key("bai.md", str(path), make)
        stamps.save()
        return key

    assert build() == "Nội dung A\n".encode() and len(hashed) == 1
    assert build() == "Nội dung A\n".encode() and len(hashed) == 1  # same identity: not read
    before = os.stat(path)
    path.write_text("Nội dung B\n", encoding="utf-8")  # same size, mtime put back: the ctime moved
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert build() == "Nội dung B\n".encode() and len(hashed) == 2
    assert build(salt=b"other") == "Nội dung B\n".encode() and len(hashed) == 3  # other reading inputs
    # Written less than RACY_NS before the build started: hashed, but not recorded for the next one.
    record.unlink()
    build(started=os.stat(path).st_ctime_ns + RACY_NS // 2)
    assert not record.exists() or not Stamps(str(record), b"s").known
    assert len(hashed) == 4


def test_the_collector_paused_for_loading_comes_back_as_it_was():
    import gc

    from portal_perf import article_cache

    assert gc.isenabled()
    article_cache._pause()
    assert not gc.isenabled()
    article_cache._resume()
    article_cache._resume()
    assert gc.isenabled()
    gc.disable()  # paused by someone else: left paused
    try:
        article_cache._pause()
        article_cache._resume()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_source_paths_are_pelicans_own_without_relpath(tmp_path):
    import os
    from types import SimpleNamespace

    from pelican.contents import Article
    from pelican.settings import read_settings
    from portal_perf.article_cache import _source_paths

    root = tmp_path / "content"
    root.mkdir()
    settings = read_settings(override={"PATH": str(root)})
    context = {"generated_content": {}, "static_content": {}}
    generator = SimpleNamespace(settings=settings, context=context)
    theirs: dict = {}

    def pelicans(content, static=False):
        theirs[content.get_relative_source_path()] = content

    generator.add_source_path = pelicans
    fast = _source_paths(generator)
    for name in ("articles/thanh-tra/2024/bai.md", "pages/gioi-thieu.md", "bai goc.md"):
        article = Article("x", metadata={"title": "t"}, settings=settings, source_path=os.path.join(root, name))
        fast(article)
        pelicans(article)
    outside = Article("x", metadata={"title": "t"}, settings=settings, source_path=str(tmp_path / "khac.md"))
    fast(outside)  # not under PATH: Pelican's own way
    assert context["generated_content"] == {k: v for k, v in theirs.items() if v is not outside}
    assert "../khac.md" in theirs


def test_listing_a_tree_finds_what_os_walk_finds(tmp_path):
    import os

    from portal.incremental import list_files

    (tmp_path / "a" / "b").mkdir(parents=True)
    for name in ("x.html", "a/y.html", "a/b/z.html.gz"):
        (tmp_path / name).write_text("x")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "w.html").write_text("x")
    os.symlink(tmp_path / "elsewhere", tmp_path / "a" / "linked")  # a folder link: neither walked nor listed
    os.symlink(tmp_path / "missing", tmp_path / "a" / "broken")  # a broken link: a file to os.walk
    walked = sorted(os.path.join(folder, name) for folder, _, names in os.walk(tmp_path) for name in names)
    assert sorted(list_files(tmp_path)) == walked
    assert str(tmp_path / "a" / "broken") in walked


def test_shared_lists_are_sorted_once_in_vietnamese_order():
    from types import SimpleNamespace

    from pelican.urlwrappers import Tag
    from portal_content import content

    from portal.text import vi_sorted

    names = ["Đầu tư", "Dân sinh", "ăn uống", "An ninh", "Ấn phẩm", "đất đai", "Dự án", "an toàn"]
    pairs = lambda: [(Tag(name, {}), [number]) for number, name in enumerate(names)]  # noqa: E731
    shared = {"tags": pairs(), "authors": pairs()[::-1], "categories": "not a list"}
    own = {"tags": pairs()[3:]}
    generators = [SimpleNamespace(context=shared), SimpleNamespace(context=shared), SimpleNamespace(context=own)]
    expected = {
        "tags": vi_sorted(pairs(), key=lambda pair: pair[0].name),
        "authors": vi_sorted(pairs()[::-1], key=lambda pair: pair[0].name),
        "own": vi_sorted(pairs()[3:], key=lambda pair: pair[0].name),
    }
    content.sort_lists(generators)
    order = lambda items: [(tag.name, numbers) for tag, numbers in items]  # noqa: E731
    assert order(shared["tags"]) == order(expected["tags"])
    assert order(shared["authors"]) == order(expected["authors"])
    assert order(own["tags"]) == order(expected["own"])
    assert shared["categories"] == "not a list"
    assert [tag.name for tag, _ in shared["tags"]][:4] == ["An ninh", "an toàn", "ăn uống", "Ấn phẩm"]  # a < ă < â


def test_included_paths_are_pelicans_own():
    from types import SimpleNamespace

    from pelican.generators import Generator
    from portal_perf.article_cache import _include_path

    names = ["a.md", ".an.md", "dir/b.md", "dir/.git", "c.MD", "d.md~", "e.txt", "f", "#g.md#", "x/.y/z.md"]
    for ignores in (["**/.*"], [], ["*~", "#*#", "**/.*"], ["[ab].md"]):
        readers = SimpleNamespace(extensions={"md": None, "markdown": None}.keys())
        generator = SimpleNamespace(settings={"IGNORE_FILES": ignores}, readers=readers)
        fast = _include_path(generator)
        for extensions in (None, False, ("txt",)):
            for name in names:
                assert fast(name, extensions) == Generator._include_path(generator, name, extensions), (name, ignores)


def test_the_disabled_readers_walk_runs_only_when_a_reader_is_disabled(caplog):
    import logging
    from types import SimpleNamespace

    from pelican.generators import Generator
    from portal_perf.article_cache import _disabled_readers_check

    walks = []
    readers = SimpleNamespace(disabled_readers={}, check_file=lambda path: logging.warning("%s: off", path))
    readers.disabled_extensions = readers.disabled_readers.keys()  # as Pelican's Readers has it
    generator = SimpleNamespace(settings={"ARTICLE_PATHS": ["articles"]}, readers=readers)

    def get_files(paths, exclude=None, extensions=None):
        walks.append(list(extensions))
        return {name for name in ("a.md", "b.rst") if name.rsplit(".", 1)[1] in extensions}

    generator.get_files = get_files
    generator.check_disabled_readers = lambda: Generator._check_disabled_readers(generator, ["articles"], [])
    check = _disabled_readers_check(generator)
    check()
    assert walks == []  # no reader disabled: Pelican's walk could match no file
    readers.disabled_readers["rst"] = object()  # docutils missing: its files are reported
    with caplog.at_level(logging.WARNING):
        check()
    assert walks == [["rst"]] and "b.rst: off" in caplog.text


def test_kept_articles_hold_each_taxonomy_object_once_and_load_back_shared():
    """A tag referred to by many articles is pickled once; loading gives one object per state."""
    import io

    from pelican.settings import DEFAULT_CONFIG
    from pelican.urlwrappers import Category, Tag
    from portal_perf import article_cache

    settings, context = dict(DEFAULT_CONFIG), {}
    tag, section = Tag("Thanh tra", settings), Category("Tin tức", settings)
    articles = {f"bai-{n}": {"tags": [tag], "category": section, "n": n} for n in range(50)}
    articles["khac"] = {"tags": [Tag("Thanh tra", settings)], "category": section, "n": 50}  # equal, not same
    shared = {id(settings): "settings", id(context): "context"}
    handle, former = io.BytesIO(), io.BytesIO()
    article_cache._Pickler(handle, shared, settings).dump(articles)

    class Former(article_cache._Pickler):
        """The former layout: an id made for each reference."""

        def persistent_id(self, obj):
            return shared.get(id(obj)) if type(obj) not in article_cache._WRAPPER_TYPES else self._state_id(obj)

    Former(former, shared, settings).dump(articles)
    assert len(handle.getvalue()) < len(former.getvalue()) / 2  # each object's id held once
    for data in (handle.getvalue(), former.getvalue()):  # both load, to one object per state
        loaded = article_cache._Unpickler(io.BytesIO(data), {"settings": settings, "context": context}, {}).load()
        (loaded_tag,) = {id(item["tags"][0]): item["tags"][0] for item in loaded.values()}.values()
        assert loaded_tag.settings is settings and loaded_tag.slug == tag.slug and loaded_tag.name == "Thanh tra"
        assert all(item["category"] is loaded["bai-0"]["category"] for item in loaded.values())
        assert [item["n"] for item in loaded.values()] == list(range(51))


def test_kept_articles_hold_only_the_last_bodies_asked_for_and_read_the_rest_back(tmp_path):
    """A cold build stores every body it reads: memory holds the last few, the rest read back equal.

    Bodies not yet written to the SQLite file come from the store's pending values (here the
    store cannot write at all); Pelican's memoized ``get_content`` holds no kept body.
    """
    from datetime import datetime, timedelta, timezone

    from pelican.contents import Article, Content
    from pelican.settings import DEFAULT_CONFIG
    from portal_perf import article_cache

    content, cache_folder = tmp_path / "content", tmp_path / "cache"
    content.mkdir()
    settings = {**DEFAULT_CONFIG, "PATH": str(content), "CACHE_PATH": str(cache_folder)}
    generator = type("Generator", (), {"settings": settings, "context": {}})()
    cache = article_cache.ArticleCache(generator)
    keep = article_cache._Bodies.KEEP
    zone = timezone(timedelta(hours=7))
    bodies = [f"<p>Bài số {n}: Thanh tra Chính phủ công bố kết luận.</p>" for n in range(keep + 40)]
    articles = []
    for n, body in enumerate(bodies):
        name = f"bai-{n}.md"
        (content / name).write_text(f"Title: Bài {n}\n\n{body}\n", "utf-8")
        assert cache.get(name) is None  # a cold build: nothing kept yet
        metadata = {"title": f"Bài {n}", "date": datetime(2026, 1, 1, tzinfo=zone) + timedelta(hours=n)}
        article = Article(body, metadata=metadata, settings=settings, source_path=str(content / name), context={})
        cache.put(name, article)
        articles.append(article)
    assert all(type(article) is article_cache.KeptArticle for article in articles)
    assert len(article_cache._BODIES.loaded) == keep  # the last ones stored, not all of them
    assert [article.content for article in articles] == bodies  # the first ones read back
    assert len(article_cache._BODIES.loaded) == keep
    memo = Content.__dict__["get_content"].cache
    assert not [key for key in memo if isinstance(key[0], article_cache.KeptArticle)]
    assert article_cache._BODIES.reads == 0  # bodies this build stored are not earlier builds'

    cache.store._db.close()  # from here no write reaches the file: the bodies stay pending
    cache.store._db = None
    metadata = {"title": "Cuối", "date": datetime(2026, 2, 1, tzinfo=zone)}
    late_path = str(content / "cuoi.md")
    late = Article("<p>Bài cuối.</p>", metadata=metadata, settings=settings, source_path=late_path)
    (content / "cuoi.md").write_text("Title: Cuối\n\n<p>Bài cuối.</p>\n", "utf-8")
    assert cache.get("cuoi.md") is None
    cache.put("cuoi.md", late)
    for article in articles[-keep:]:  # push the last body out of memory
        assert article.content
    assert late.__dict__["_portal_body_key"] not in article_cache._BODIES.loaded
    assert late.content == "<p>Bài cuối.</p>"
