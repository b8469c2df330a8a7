"""portal_perf's writer settles an unchanged page as Pelican's writer would, without rendering it."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from jinja2 import DictLoader, Environment
from pelican.settings import read_settings
from pelican.writers import FileOverwriteFailedError

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "plugins"))
from portal_perf.writer import IncrementalWriter  # noqa: E402

from portal.incremental import OUTPUTS  # noqa: E402

TEMPLATES = {"article.html": "{{ SITEURL }}|{{ article }}|{{ output_file }}|{{ shared }}"}


class _Counting:
    """A template that counts its renders."""

    def __init__(self, template):
        self.template, self.name, self.environment = template, template.name, template.environment
        self.renders = 0

    def render(self, localcontext):
        self.renders += 1
        return self.template.render(localcontext)


def _writer(tmp_path: Path, relative_urls: bool = False) -> IncrementalWriter:
    settings = read_settings(override={"CACHE_PATH": str(tmp_path / "cache"), "RELATIVE_URLS": relative_urls})
    return IncrementalWriter(str(tmp_path / "out"), settings=settings)


def _build(tmp_path: Path, article: str, relative_urls: bool = False, shared: str = "chung"):
    """One build writing two single pages; return the writer and the counting template."""
    OUTPUTS.start(tmp_path / "out")
    writer = _writer(tmp_path, relative_urls)
    template = _Counting(Environment(loader=DictLoader(TEMPLATES)).get_template("article.html"))
    context = {**writer.settings, "shared": shared, "localsiteurl": None}
    for name in ("tin/a.html", "tin/b/index.html"):
        writer.write_file(name, template, context, relative_urls, article=f"{article} {name}")
    writer.finish()
    return writer, template


@pytest.mark.parametrize("relative_urls", [False, True], ids=["absolute", "relative"])
def test_an_unchanged_page_is_skipped_and_recorded_and_any_change_renders_it(tmp_path, relative_urls):
    _, first = _build(tmp_path, "Bài", relative_urls)
    assert first.renders == 2
    page = tmp_path / "out" / "tin" / "b" / "index.html"
    siteurl = "../.." if relative_urls else ""
    assert page.read_text(encoding="utf-8") == f"{siteurl}|Bài tin/b/index.html|tin/b/index.html|chung"
    inode = page.stat().st_ino
    writer, again = _build(tmp_path, "Bài", relative_urls)
    assert again.renders == 0 and writer.render_cache.skipped == 2
    assert str(page) in OUTPUTS.produced  # or pruning would delete it
    assert page.stat().st_ino == inode
    _, edited = _build(tmp_path, "Bài sửa", relative_urls)  # a keyword of the call changed
    assert edited.renders == 2
    _, shared = _build(tmp_path, "Bài sửa", relative_urls, shared="khác")  # a value of the context
    assert shared.renders == 2
    assert page.read_text(encoding="utf-8").endswith("|khác")


def test_a_skipped_page_keeps_pelicans_overwrite_rules(tmp_path):
    _build(tmp_path, "Bài")
    OUTPUTS.start(tmp_path / "out")
    writer = _writer(tmp_path)
    template = _Counting(Environment(loader=DictLoader(TEMPLATES)).get_template("article.html"))
    context = {**writer.settings, "shared": "chung", "localsiteurl": None}
    writer.write_file("tin/a.html", template, context, article="Bài tin/a.html")
    assert template.renders == 0
    with pytest.raises(FileOverwriteFailedError):
        writer.write_file("tin/a.html", template, context, article="Bài tin/a.html")


def test_a_page_key_from_its_own_values_equals_the_key_from_the_whole_context(tmp_path):
    writer = _writer(tmp_path)
    template = Environment(loader=DictLoader(TEMPLATES)).get_template("article.html")
    base = {"SITEURL": "https://thanhtra.gov.vn", "shared": "chung", "article": "của ngữ cảnh"}
    own = {"article": "của trang", "output_file": "a.html"}
    cache = writer.render_cache
    assert cache.key(template, "a.html", own, base) == cache.key(template, "a.html", {**base, **own})
    assert cache.key(template, "a.html", own, base) != cache.key(template, "a.html", base)
    # The shared values' parts are made once per page shape, and again when one is another object.
    keys = set()
    for shared in ("chung", "chung", "khác", "chung"):
        base["shared"] = shared
        for page in ("a.html", "b.html"):
            own = {"article": f"của trang {page}", "output_file": page}
            key = cache.key(template, page, own, base)
            assert key == cache.key(template, page, {**base, **own})
            keys.add(key)
    assert len(keys) == 4  # two pages, two shared values


class _Headless:
    """A generator of headless outputs (``portal_beside_pages``) writing one file, or failing."""

    portal_beside_pages = True

    def __init__(self, name: str, output: Path, fail: bool = False) -> None:
        self.name, self.output, self.fail, self.runs = name, output, fail, []

    def generate_output(self, writer) -> None:
        from portal.incremental import replace_if_changed

        if self.fail:
            raise ValueError("hỏng khi ghi")
        replace_if_changed(self.output / f"{self.name}.json", self.name.encode())
        page = str(self.output / self.name / "index.html")
        decided = b" (decided)" if writer.render_cache.decided is not None else b""  # before the fork
        writer.render_cache.current[page] = b"key-" + self.name.encode() + decided
        writer._written_files.add(page)
        self.runs.append(writer)


class _Cache:
    def __init__(self) -> None:
        self.current, self.analyses, self.rendered, self.skipped, self.beside = {}, {}, 0, 0, False
        self.previous = {"last": b"build"}
        self.decided = None  # the context the trust in the last build's digests was decided with

    def decide(self, context: dict) -> None:
        self.decided = context


class _Writer:
    def __init__(self) -> None:
        self.render_cache, self._written_files, self._overridden_files = _Cache(), set(), set()


class _Articles:
    def __init__(self, read: int) -> None:
        self.portal_article_cache = type("Cache", (), {"stored": read})()
        self.written, self.context = [], {"articles": []}

    def generate_output(self, writer) -> None:
        self.written.append(writer)


class _Media:
    """A generator after the headless ones, writing one file (``name``) in this process."""

    def __init__(self, output: Path, name: str = "card.jpg") -> None:
        self.output, self.name, self.joined = output, name, []

    def generate_output(self, writer) -> None:
        self.joined.append(writer.render_cache.beside)  # whether the child was joined already
        (self.output / self.name).parent.mkdir(parents=True, exist_ok=True)
        (self.output / self.name).write_bytes(b"media")
        writer._written_files.add(str(self.output / self.name))


def test_headless_outputs_written_beside_the_pages_come_back_to_the_build(tmp_path):
    """The child's files, render keys and written names reach the build; the group runs once.

    The child is joined once the last generator's output is written; the work queued for a wait
    is done before it.
    """
    from portal_perf import beside

    from portal.forked import IDLE

    OUTPUTS.start(tmp_path)
    articles, feeds, api = _Articles(read=1), _Headless("feeds", tmp_path), _Headless("api", tmp_path)
    media, idle = _Media(tmp_path), []
    beside.install([articles, feeds, api, media], maximum=100)
    IDLE["test"] = lambda: idle.append(writer.render_cache.beside)
    writer = _Writer()
    articles.generate_output(writer)  # forks the child, then writes the pages here
    assert articles.written == [writer] and articles.portal_beside_started
    feeds.generate_output(writer)  # written by the child: nothing here
    api.generate_output(writer)
    assert feeds.runs == [] and api.runs == []  # this process ran neither
    media.generate_output(writer)  # written here while the child runs, then the child is joined
    assert media.joined == [False] and idle == [False] and not IDLE and writer.render_cache.beside
    assert (tmp_path / "feeds.json").read_bytes() == b"feeds" and (tmp_path / "api.json").exists()
    assert str(tmp_path / "api.json") in OUTPUTS.produced
    assert writer.render_cache.current == {  # the child's keys, made with the trust decided before it
        str(tmp_path / "feeds" / "index.html"): b"key-feeds (decided)",
        str(tmp_path / "api" / "index.html"): b"key-api (decided)",
    }
    assert writer.render_cache.decided is articles.context
    assert {str(tmp_path / "api" / "index.html"), str(tmp_path / "card.jpg")} <= writer._written_files
    # A rebuild that read more than the limit, or of new code, writes them itself.
    for read, previous in ((101, {"last": b"build"}), (1, {})):
        articles, feeds = _Articles(read=read), _Headless("feeds", tmp_path)
        beside.install([articles, feeds], maximum=100)
        writer = _Writer()
        writer.render_cache.previous = previous
        articles.generate_output(writer)
        feeds.generate_output(writer)
        assert feeds.runs == [writer]


def test_a_file_the_child_and_a_later_generator_both_write_fails_the_build(tmp_path):
    from portal_perf import beside

    OUTPUTS.start(tmp_path)
    articles, feeds = _Articles(read=1), _Headless("feeds", tmp_path)
    media = _Media(tmp_path, name="feeds/index.html")  # the page the child's feeds write
    beside.install([articles, feeds, media], maximum=100)
    writer = _Writer()
    articles.generate_output(writer)
    feeds.generate_output(writer)
    with pytest.raises(beside.BesideFailedError, match="feeds/index.html was written by two generators"):
        media.generate_output(writer)
    assert beside._PENDING == []


def test_a_child_beside_the_pages_that_fails_fails_the_build_with_its_traceback(tmp_path):
    from portal_perf import beside

    OUTPUTS.start(tmp_path)
    articles, broken = _Articles(read=0), _Headless("feeds", tmp_path, fail=True)
    beside.install([articles, broken], maximum=100)
    writer = _Writer()
    articles.generate_output(writer)
    with pytest.raises(beside.BesideFailedError, match="(?s)Traceback.*ValueError: hỏng khi ghi"):
        broken.generate_output(writer)
    assert beside._PENDING == []


def _unsaved_build(tmp_path: Path, article: str = "Bài") -> IncrementalWriter:
    """One build's pages written (``_build``'s), its keys not recorded yet."""
    OUTPUTS.start(tmp_path / "out")
    writer = _writer(tmp_path)
    template = Environment(loader=DictLoader(TEMPLATES)).get_template("article.html")
    context = {**writer.settings, "shared": "chung", "localsiteurl": None}
    for name in ("tin/a.html", "tin/b/index.html"):
        writer.write_file(name, template, context, article=f"{article} {name}")
    return writer


def test_the_render_keys_are_recorded_by_a_child_while_the_release_runs(tmp_path, monkeypatch):
    """``save_beside`` records the keys in another process; ``finish`` waits; the next build skips."""
    from portal_perf.render_cache import RenderCache

    original, made_by = RenderCache.save, tmp_path / "made-by"

    def save(self, *args):
        original(self, *args)
        made_by.write_text(str(os.getpid()))

    monkeypatch.setattr(RenderCache, "save", save)
    writer = _unsaved_build(tmp_path)
    writer.save_beside()
    assert writer._saving is not None
    writer.finish()
    assert writer._saving is None and int(made_by.read_text()) != os.getpid()
    rebuilt, template = _build(tmp_path, "Bài")
    assert template.renders == 0 and rebuilt.render_cache.skipped == 2  # the child's record was read


def test_a_child_recording_the_keys_that_fails_fails_the_build(tmp_path, monkeypatch):
    from portal_perf.render_cache import RenderCache
    from portal_perf.writer import RenderKeysError

    def save(self, *args):
        raise OSError("đĩa đầy")

    monkeypatch.setattr(RenderCache, "save", save)
    writer = _unsaved_build(tmp_path)
    writer.save_beside()
    with pytest.raises(RenderKeysError, match="(?s)Traceback.*OSError: đĩa đầy"):
        writer.finish()


def test_a_build_that_failed_before_its_keys_were_recorded_leaves_no_child(tmp_path):
    """The next build's writer waits for the child a failed build left before it reads the record."""
    failed = _unsaved_build(tmp_path)
    failed.save_beside()
    child = failed._saving
    _unsaved_build(tmp_path, "Bài sửa")  # a new build (its writer) before the failed one's ``finish``
    assert failed._saving is None and child._result.closed  # reaped


def test_the_writer_joins_names_as_pelican_does_and_never_outside_the_output(tmp_path):
    from pelican.utils import sanitised_join

    writer = _writer(tmp_path)
    names = ["index.html", "tin-tuc/2024/bài-viết.html", "a//b.html", "./a.html", "a/./b.html", "a/../b.html"]
    for name in names:
        assert writer._join(name) == sanitised_join(writer.output_path, name), name
    for name in ("../ngoai.html", "a/../../ngoai.html", "/etc/passwd"):
        with pytest.raises(RuntimeError, match="break out"):
            writer._join(name)
        with pytest.raises(RuntimeError, match="break out"):
            sanitised_join(writer.output_path, name)
