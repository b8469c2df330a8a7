"""The render cache's digest of an article page: every value a page can show changes its key."""

from __future__ import annotations

import copy
import os
import sys
from pathlib import Path

import pytest
from pelican.contents import Article
from pelican.settings import DEFAULT_CONFIG
from pelican.urlwrappers import Tag

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "plugins"))
from portal_perf.render_cache import Digester  # noqa: E402


def _article(title="Thanh tra đất đai", body="<p>Nội dung</p>", slug="thanh-tra-dat-dai"):
    settings = copy.deepcopy(DEFAULT_CONFIG)
    metadata = {"title": title, "slug": slug, "date": __import__("datetime").datetime(2026, 11, 26, 8, 0)}
    article = Article(body, metadata=metadata, settings=settings, source_path=f"/c/{slug}.md")
    tag = Tag("Đất đai", settings)
    article.tags = [tag]
    article.metadata["tags"] = [tag]
    return article


def _key(article) -> bytes:
    return Digester().digest(article)


def test_equal_articles_have_equal_keys_and_each_change_shows():
    first, second = _article(), _article()
    assert _key(first) == _key(second)
    assert _key(_article(body="<p>Nội dung mới</p>")) != _key(first)
    assert _key(_article(title="Thanh tra đất đai năm 2026")) != _key(first)
    retagged = _article()
    retagged.tags[0].slug = "dat-dai-2"  # the repr of a tag shows its name only
    assert _key(retagged) != _key(first)
    extra = _article()
    extra.og_image = {"url": "images/og/a.jpg", "width": 1200}
    assert _key(extra) != _key(first)


def test_an_attribute_shared_with_the_metadata_counts_whichever_changes():
    first = _article()
    before = _key(first)
    first.metadata["title"] = "Tiêu đề khác"  # the metadata changed alone
    assert _key(first) != before
    second = _article()
    second.title = "Tiêu đề khác"  # the attribute changed alone (no longer the metadata's object)
    assert _key(second) != before
    third = _article()
    third.tags.append(Tag("Thanh tra", third.settings))  # one list, shared by both
    assert _key(third) != before
    fourth = _article()
    fourth.metadata["image"] = "images/anh.jpg"  # a later step adds to the metadata in place
    assert _key(fourth) != before


def test_a_neighbour_counts_by_what_pages_show_of_it():
    article, neighbour = _article(), _article(title="Bài bên cạnh", slug="bai-ben-canh")
    article.older_in_section = neighbour
    before = _key(article)
    neighbour_body_changed = _article(title="Bài bên cạnh", slug="bai-ben-canh", body="<p>Khác</p>")
    article.older_in_section = neighbour_body_changed
    assert _key(article) == before  # its body is not on this page
    article.older_in_section = _article(title="Bài bên cạnh (sửa)", slug="bai-ben-canh")
    assert _key(article) != before
    article.same_section = [neighbour, neighbour_body_changed]
    assert _key(article) != before


def test_references_name_the_contents_an_article_holds_by_what_they_show():
    from portal_perf.render_cache import _references

    article, neighbour = _article(), _article(title="Bài bên cạnh", slug="bai-ben-canh")
    digester = Digester()
    assert _references(article, digester) == ()  # its tags are metadata, not references
    article.older_in_section, article.related_articles = neighbour, [neighbour]
    article.newer_in_section = None
    found = _references(article, Digester())
    assert [name for name, _ in found] == ["older_in_section", "related_articles"]
    assert found[0][1] == ((neighbour.source_path, Digester().digest(neighbour, 1)),)
    neighbour.metadata["title"] = neighbour.title = "Bài bên cạnh (sửa)"
    assert _references(article, Digester()) != found


def test_a_digest_taken_back_is_checked_against_the_article_when_asked():
    from portal_perf.render_cache import StaleDigestError

    article = _article()
    whole, shown = Digester().digest(article), Digester().digest(article, 1)
    for verify in (False, True):
        digester = Digester(verify)
        digester.kept = {article.source_path: (whole, shown)}
        assert digester.digest(article) == whole
    article.position_in_section = 3  # state a plugin derived from other articles: not a reference
    digester = Digester()
    digester.kept = {article.source_path: (whole, shown)}
    assert digester.digest(article) == whole  # taken back as told
    digester = Digester(verify=True)
    digester.kept = {article.source_path: (whole, shown)}
    with pytest.raises(StaleDigestError, match="thanh-tra-dat-dai.md"):
        digester.digest(article)


def test_texts_count_by_their_own_bounds_and_a_text_subclass_by_its_text():
    from markupsafe import Markup

    before = _key(_article())
    two, one = _article(), _article()
    two.caption, two.credit = "Ảnh", "Thanh tra"
    one.caption = "Ảnhcredit\0Thanh tra"  # the same characters in a row, as one text
    assert before != _key(two) != _key(one) != before
    plain, marked = _article(), _article()
    plain.caption, marked.caption = "<em>Ảnh</em>", Markup("<em>Ảnh</em>")
    assert _key(plain) == _key(marked) != before
    marked.caption = Markup("<em>Ảnh mới</em>")
    assert _key(marked) != _key(plain)


def test_a_value_without_a_stable_repr_leaves_the_key_unknown():
    from portal_perf.render_cache import UnstableError

    article = _article()
    article.widget = object()
    with pytest.raises(UnstableError):
        _key(article)


def test_a_listing_page_counts_by_its_articles_whoever_made_it():
    from portal.pagination import stable_pages

    pattern = ("{base_name}/trang/{number}/", "{base_name}/trang/{number}/index.html")
    articles = [_article(title=f"Bài {n}", slug=f"bai-{n}") for n in range(7)]
    oldest = stable_pages("index.html", "", articles[1:], 2, pattern)[-1]  # page 1: two articles
    digester = Digester()
    first = digester.digest(oldest)
    assert digester.digest(stable_pages("index.html", "", articles[1:], 2, pattern)[-1]) == first
    # A newer article makes another first page; page 1 holds the same articles, the same key.
    assert Digester().digest(stable_pages("index.html", "", articles, 2, pattern)[-1]) == first
    edited = stable_pages("index.html", "", articles[1:], 2, pattern)[-1]
    edited.object_list = [articles[5], _article(title="Bài 6", slug="bai-6", body="<p>Khác</p>")]
    assert Digester().digest(edited) != first  # its articles count whole: another body, another key
    assert Digester().digest(oldest) == first


class _Writer:
    """The little of the portal's writer that ``write_jobs`` touches: a job is a page number."""

    def __init__(self, root: Path, fail_on: int | None = None):
        self.root, self.fail_on = root, fail_on
        self.render_cache = None

    def write_job(self, number):
        from portal.incremental import replace_if_changed

        if number == self.fail_on:
            raise ValueError(f"trang {number} hỏng")
        replace_if_changed(self.root / f"{number}.html", f"<p>{number}</p>".encode())


def test_two_processes_make_every_page_once_and_the_parent_learns_of_all(tmp_path):
    from portal_perf.parallel import write_in_two

    from portal.incremental import OUTPUTS

    OUTPUTS.start(tmp_path)
    write_in_two(_Writer(tmp_path), list(range(9)))
    expected = {str(tmp_path / f"{n}.html") for n in range(9)}
    assert {str(p) for p in tmp_path.glob("*.html")} == expected
    assert expected <= OUTPUTS.produced  # the child's half came back, or pruning would delete it


def test_a_failure_in_the_other_process_fails_the_build_with_its_traceback(tmp_path):
    from portal_perf.parallel import ChildFailedError, write_in_two

    from portal.incremental import OUTPUTS

    OUTPUTS.start(tmp_path)
    with pytest.raises(ChildFailedError, match="trang 6 hỏng"):  # the second half is the child's
        write_in_two(_Writer(tmp_path, fail_on=6), list(range(9)))


def test_few_pages_to_render_are_rendered_without_a_fork(tmp_path, monkeypatch):
    from portal_perf import parallel

    from portal.incremental import OUTPUTS

    monkeypatch.setattr(os, "fork", lambda: pytest.fail("forked for two pages"))
    OUTPUTS.start(tmp_path)
    parallel.write_jobs(_Writer(tmp_path), [0, 1], minimum=3)
    assert sorted(p.name for p in tmp_path.glob("*.html")) == ["0.html", "1.html"]


class _Generator:
    """An articles generator whose pages are the numbers it is given (``parallel_pages`` wraps it)."""

    def __init__(self, numbers):
        self.numbers = numbers

    def generate_pages(self, writer):
        writer.deferred.extend(self.numbers)


@pytest.mark.parametrize("count", [2, 9], ids=["in-this-process", "in-two-processes"])
def test_the_cards_rendered_for_the_pages_are_dropped_once_they_are_written(tmp_path, count):
    from portal_perf import parallel
    from portal_perf.memo import MEMO

    from portal.incremental import OUTPUTS

    class Writer(_Writer):
        deferred = None

        def write_job(self, number):
            MEMO("card", number, caller=lambda: f"<article>{number}</article>")
            super().write_job(number)

    OUTPUTS.start(tmp_path)
    parallel.parallel_pages(_Generator(list(range(count))), minimum=3)(Writer(tmp_path))
    assert len(list(tmp_path.glob("*.html"))) == count
    assert MEMO.blocks == {}  # the feeds, API, search fork and release run without them
    assert MEMO("card", 1, caller=lambda: "<article>1</article>") == "<article>1</article>"  # made again


def test_a_card_rendered_once_comes_back_the_same_for_every_page_showing_it():
    from markupsafe import Markup
    from portal_perf.memo import Memo

    memo, made = Memo(), []
    article, other = object(), object()

    def card(text):
        made.append(text)
        return Markup(text)

    first = memo("card", article, 2, caller=lambda: card("<h2>Kết luận thanh tra \U0001f4f0</h2>"))
    again = memo("card", article, 2, caller=lambda: card("never"))
    assert again == first == "<h2>Kết luận thanh tra \U0001f4f0</h2>" and type(again) is Markup
    assert memo("card", article, 3, caller=lambda: card("<h3>khác</h3>")) == "<h3>khác</h3>"  # other args
    assert memo("card", other, 2, caller=lambda: "<p>chuỗi</p>") == "<p>chuỗi</p>"  # a plain string stays one
    assert type(memo("card", other, 2, caller=lambda: "never")) is str
    assert made == ["<h2>Kết luận thanh tra \U0001f4f0</h2>", "<h3>khác</h3>"]


def test_memory_is_given_back_before_a_fork_and_its_absence_changes_nothing(tmp_path, monkeypatch):
    from portal import forked
    from portal.incremental import OUTPUTS

    calls = []
    monkeypatch.setattr(forked, "return_memory", lambda: calls.append(os.getpid()))
    OUTPUTS.start(tmp_path)
    assert forked.Forked(len, [1, 2]).wait() == 2
    assert calls == [os.getpid()]  # in the parent, before the child shares its pages
    monkeypatch.undo()

    class NoGlibc:
        def __getattr__(self, name):
            raise AttributeError(name)  # musl, macOS: no ``malloc_trim``

    monkeypatch.setattr(forked.ctypes, "CDLL", lambda name: NoGlibc())
    forked.return_memory()
    assert forked.Forked(len, [1, 2, 3]).wait() == 3


def test_kept_articles_are_keyed_by_the_reading_libraries_versions(monkeypatch):
    # A kept article skips the parse cache and the sanitiser: a new Markdown or nh3 must read
    # every file again, as a new Pelican does.
    import importlib.metadata

    from portal_perf import article_cache

    settings = {"SITENAME": "Cổng", "PATH": "content"}
    real = importlib.metadata.version
    before = article_cache.salt(settings)
    assert article_cache.salt(settings) == before
    for library in ("pelican", "markdown", "nh3"):
        monkeypatch.setattr(
            importlib.metadata, "version", lambda name, lib=library: "0" if name == lib else real(name)
        )
        assert article_cache.salt(settings) != before, library


class _Recorder:
    """A template that keeps the context of each page it renders."""

    name = "index.html"

    def __init__(self):
        self.seen = []

    def render(self, localcontext):
        self.seen.append(localcontext)
        return ""


@pytest.mark.parametrize("relative_urls", [False, True])
def test_a_queued_page_gets_the_very_context_pelican_built(tmp_path, relative_urls):
    """A page queued for later gets the context the writer builds for a page it renders at once."""
    from pelican.settings import read_settings
    from portal_perf.writer import IncrementalWriter

    settings = read_settings(
        override={"PORTAL_PERF_RENDER_CACHE": False, "PAGINATED_TEMPLATES": {"index": 2}}
    )
    articles, shared, own = list(range(5)), object(), object()
    context = {**settings, "articles": articles, "shared": shared, "localsiteurl": None}

    def call(writer, template):
        writer.write_file(
            "index.html", template, context, relative_urls, template_name="index", url="",
            articles=articles, shared=shared, own=own,  # ``shared`` the same as the context's
        )  # fmt: skip

    plain, queued = _Recorder(), _Recorder()
    call(IncrementalWriter(str(tmp_path / "a"), settings=settings), plain)
    writer = IncrementalWriter(str(tmp_path / "b"), settings=settings)
    writer.deferred = []
    call(writer, queued)
    # Five articles, two a page: the first page holds the newest three, page 1 the oldest two.
    assert queued.seen == [] and len(writer.deferred) == len(plain.seen) == 2
    assert [c["articles_page"].object_list for c in plain.seen] == [[0, 1, 2], [3, 4]]
    for job, expected in zip(writer.deferred, plain.seen, strict=True):
        built = job.localcontext()
        assert built.keys() == expected.keys()
        for name, value in expected.items():  # the objects given are the same; each call makes its pages
            made = value is not own and not any(value is known for known in context.values())
            assert built[name] is value or (made and type(built[name]) is type(value)), name
            assert getattr(built[name], "number", None) == getattr(value, "number", None), name
            assert not isinstance(value, str) or built[name] == value, name


def test_a_failure_in_this_process_still_waits_for_the_other(tmp_path):
    import gc

    from portal_perf.parallel import write_in_two

    from portal.incremental import OUTPUTS

    OUTPUTS.start(tmp_path)
    with pytest.raises(ValueError, match="trang 2 hỏng"):  # even jobs are this process's
        write_in_two(_Writer(tmp_path, fail_on=2), list(range(9)))
    assert gc.get_freeze_count() == 0  # the child was reaped and the collector given back


def test_a_fork_undoes_its_own_freeze_and_keeps_one_made_before_it(tmp_path):
    import gc

    from portal.forked import Forked
    from portal.incremental import OUTPUTS

    OUTPUTS.start(tmp_path)
    assert Forked(len, [1, 2]).wait() == 2
    assert gc.get_freeze_count() == 0
    gc.freeze()  # as the article cache does once the articles are read
    try:
        frozen = gc.get_freeze_count()
        assert Forked(len, [1, 2, 3]).wait() == 3
        assert gc.get_freeze_count() >= frozen > 0  # the build's freeze holds until its end
    finally:
        gc.unfreeze()


def test_the_objects_frozen_after_reading_are_given_back_when_the_build_ends():
    import gc

    from portal_perf import article_cache

    article_cache._freeze(read=0)
    try:
        assert gc.get_freeze_count() > 0
        article_cache.thaw(None)  # ``finalized``
        assert gc.get_freeze_count() == 0
        article_cache._freeze(read=article_cache.COLLECT_FROM)  # a build that read many files
        assert gc.get_freeze_count() > 0
        article_cache._thaw()  # a new build's ``install`` after a failed one
        assert gc.get_freeze_count() == 0
    finally:
        gc.unfreeze()


def test_the_content_folder_is_noted_with_identities_but_not_files_just_written(tmp_path):
    import time

    from portal_perf.render_cache import _same_files, inventory

    old, new = tmp_path / "old.jpg", tmp_path / "sub" / "new.md"
    old.write_bytes(b"a")
    time.sleep(2.1)  # RACY_NS
    new.parent.mkdir()
    new.write_text("Title: x\n", "utf-8")
    noted = inventory(tmp_path)
    assert set(noted) == {str(old), str(new)}
    assert noted[str(new)] is None  # changed just now: a second write could keep its identity
    assert noted[str(old)] is not None and noted[str(old)][2] == 1  # device, inode, size, times
    sources = {str(new)}
    assert _same_files(noted, noted, sources, sources)
    assert not _same_files(noted, noted, set(), set())  # a file without identity never matches
    other = str(tmp_path / "other.jpg")
    assert not _same_files(noted, {**noted, other: noted[str(old)]}, sources, sources)  # a new picture
    assert not _same_files(None, noted, sources, sources)  # the last build did not note the folder
    # Articles come and go; every other file stays as it was.
    added = str(tmp_path / "sub" / "added.md")
    assert _same_files(noted, {**noted, added: None}, {*sources, added}, sources)
    assert _same_files(noted, {str(old): noted[str(old)]}, set(), sources)  # new.md gone
    assert not _same_files(noted, {str(new): None}, sources, sources)  # the picture gone
