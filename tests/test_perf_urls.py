"""portal_perf formats content URLs from the fields their patterns name: same answers as Pelican."""

from __future__ import annotations

import copy
import datetime
import sys
from pathlib import Path

import pytest
from pelican.contents import Article, Content, Page
from pelican.settings import DEFAULT_CONFIG
from pelican.urlwrappers import Author, Category

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "plugins"))
from portal_perf import memo  # noqa: E402

PATTERNS = [
    "{category}/{slug}/",
    "{lang}/{category}/{slug}/index.html",
    "luu-tru/{date:%Y}/{date.month:02d}/{slug}.html",
    "{author}/{path}",
    "{path}/{{literal}}/{slug!s}",
    "{title}-{slug}",
    "{summary}/{slug}",  # not in the metadata: Pelican raises KeyError
    "{0}/{slug}",  # positional: Pelican's own code runs (IndexError)
    "{slug:{width}}",  # a field nested in a format spec: Pelican's own code runs
    "tĩnh/không-trường",
]


def _content(cls=Article, **extra):
    settings = copy.deepcopy(DEFAULT_CONFIG)
    settings["PATH"] = "/c"
    metadata = {
        "title": "Thanh tra đất đai",
        "slug": "thanh-tra-dat-dai",
        "date": datetime.datetime(2026, 11, 26, 8, 0),
        "category": Category("Tin tức", settings),
        "author": Author("Nguyễn Văn An", settings),
        "width": 30,
        **extra,
    }
    return cls("<p>Nội dung</p>", metadata=metadata, settings=settings, source_path="/c/tin/thanh-tra.md")


def _both(content, pattern, klass):
    """Pelican's answer and portal_perf's, each as a value or the type of the exception raised."""
    answers = []
    for expand in (memo._original_expand_settings, memo._expand_settings):
        content.settings[f"{klass}_URL"] = pattern
        try:
            answers.append(expand(content, "url", klass.lower()))
        except (KeyError, IndexError) as error:
            answers.append(type(error))
    return answers


@pytest.mark.parametrize("pattern", PATTERNS)
def test_urls_equal_pelicans(pattern):
    cases = [
        (_content(), "ARTICLE"),
        (_content(path="bai/viet"), "ARTICLE"),  # a Path in the metadata wins over the source path
        (_content(path=""), "ARTICLE"),
        (_content(lang="en"), "DRAFT"),
        (_content(Page), "PAGE"),
    ]
    without = _content()
    del without.category, without.author  # no category, no author: empty strings
    cases.append((without, "ARTICLE"))
    for content, klass in cases:
        pelican, portal = _both(content, pattern, klass)
        assert portal == pelican, (pattern, klass)


def test_the_url_cache_answers_through_the_fast_formatting():
    installed = Content.__dict__["_expand_settings"], Content.__dict__["get_url_setting"]
    memo.install_url_cache()
    try:
        article = _content()
        article.settings["ARTICLE_URL"] = "{category}/{slug}/"
        assert article.url == "tin-tuc/thanh-tra-dat-dai/"
        article.slug = "da-doi"  # before the freeze, every access formats again
        assert article.url == "tin-tuc/da-doi/"
        memo.freeze_urls([type("Generator", (), {"articles": [article]})()])
        assert article.url == "tin-tuc/da-doi/"
        article.slug = "sau-khi-dong-bang"  # after the freeze, the first answer is kept
        assert article.url == "tin-tuc/da-doi/"
    finally:
        Content._expand_settings, Content.get_url_setting = installed


class _KeptArticle(Article):
    """A subclass that chooses its patterns as Pelican's Article does (as portal_perf's own)."""


@pytest.mark.parametrize("pattern", PATTERNS)
def test_urls_frozen_together_equal_pelicans_one_by_one(pattern):
    """``freeze_urls`` makes both URLs from one gathering of fields: what Pelican makes of each."""
    installed = Content.__dict__["_expand_settings"], Content.__dict__["get_url_setting"]
    contents = [
        _content(),
        _content(path="bai/viet"),
        _content(lang="fr"),  # not the default language (en): the LANG_ patterns
        _content(status="draft"),  # DRAFT_ patterns
        _content(_KeptArticle, status="draft", lang="fr"),
        _content(_KeptArticle),
        _content(Page),
        _content(Page, status="draft"),  # DRAFT_PAGE_ patterns
        _content(override_url="rieng/", override_save_as="rieng/index.html"),
        _content(override_save_as="chi-luu/index.html"),
    ]
    without = _content()
    del without.category, without.author
    contents.append(without)
    expected = []
    for content in contents:
        for prefix in ("ARTICLE", "DRAFT", "PAGE", "DRAFT_PAGE", "_KEPTARTICLE"):
            for setting in ("URL", "SAVE_AS", "LANG_URL", "LANG_SAVE_AS"):
                content.settings[f"{prefix}_{setting}"] = f"{pattern}{prefix.lower()}-{setting.lower()}"
        answers = {}
        for key in ("url", "save_as"):
            try:
                answers[key] = Content.get_url_setting(content, key)
            except (KeyError, IndexError):
                continue
        expected.append(answers)
    memo.install_url_cache()
    try:
        memo.freeze_urls([type("Generator", (), {"articles": contents[:6], "pages": contents[6:]})()])
        assert [content.__dict__[memo.CACHE_ATTRIBUTE] for content in contents] == expected
    finally:
        Content._expand_settings, Content.get_url_setting = installed


def test_a_pattern_asked_for_in_one_thread_leaves_the_urls_of_the_others_formatted():
    """``_url_plan``'s probe holds in its own thread: another one formatting a URL meanwhile gets the URL."""
    import threading

    installed = Content.__dict__["_expand_settings"], Content.__dict__["get_url_setting"]
    memo.install_url_cache()
    article = _content()
    article.settings["ARTICLE_URL"] = "{category}/{slug}/"
    found = []
    try:
        memo._PROBING.on = True  # as while ``_url_plan`` asks for a pattern
        assert article._expand_settings("url") == "{category}/{slug}/"
        other = threading.Thread(target=lambda: found.append(article._expand_settings("url")))
        other.start()
        other.join()
    finally:
        memo._PROBING.on = False
        Content._expand_settings, Content.get_url_setting = installed
    assert found == ["tin-tuc/thanh-tra-dat-dai/"]
