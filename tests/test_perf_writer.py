"""portal_perf's writer settles an unchanged page as Pelican's writer would, without rendering it."""

from __future__ import annotations

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
