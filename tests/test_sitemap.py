"""Sitemaps and robots.txt (portal_sitemap), validated against the sitemaps.org XSDs with lxml."""

from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
from conftest import run_pelican
from headless_support import (
    PUBLISHED,
    SITE,
    SITEURL,
    assert_valid,
    headless_outputs,
    publish_once,
    xml_schema,
)
from lxml import etree

from portal import sitemap
from portal.entries import Site
from portal.text import TIMEZONE

NS = {"s": sitemap.SITEMAP_NS, "n": sitemap.NEWS_NS}


@pytest.fixture(scope="module")
def headless(tmp_path_factory):
    return publish_once(tmp_path_factory)


def locs(path, tag="s:url"):
    return [e.findtext("s:loc", namespaces=NS) for e in etree.parse(str(path)).getroot().findall(tag, NS)]


def test_sitemap_index_and_sitemaps_validate_against_the_xsds(headless):
    out = headless.output
    assert_valid(xml_schema("siteindex.xsd"), out / "sitemap.xml")
    listed = locs(out / "sitemap.xml", "s:sitemap")
    assert listed == [f"{SITEURL}/sitemap-1.xml", f"{SITEURL}/sitemap-news.xml"]
    with_news = xml_schema("sitemap-with-news.xsd")
    for url in listed:
        assert_valid(with_news, out / url.removeprefix(f"{SITEURL}/"))


def test_sitemap_lists_home_sections_articles_and_pages_with_lastmod(headless):
    urls = locs(headless.output / "sitemap-1.xml")
    assert urls[0] == f"{SITEURL}/"
    for slug in PUBLISHED:
        assert sum(u.endswith(f"/{slug}/") for u in urls) == 1
    assert f"{SITEURL}/thanh-tra/" in urls and f"{SITEURL}/gioi-thieu/" in urls
    root = etree.parse(str(headless.output / "sitemap-1.xml")).getroot()
    article = next(
        u for u in root.findall("s:url", NS) if "hoi-nghi-chuyen-doi-so" in u.findtext("s:loc", namespaces=NS)
    )
    assert article.findtext("s:lastmod", namespaces=NS) == "2026-11-26T08:30:00+07:00"


def test_news_sitemap_has_the_last_two_days_in_vietnamese(headless):
    root = etree.parse(str(headless.output / "sitemap-news.xml")).getroot()
    urls = root.findall("s:url", NS)
    assert [u.findtext("s:loc", namespaces=NS).split("/")[-2] for u in urls] == PUBLISHED[:2]
    assert {u.findtext("n:news/n:publication/n:language", namespaces=NS) for u in urls} == {"vi"}
    assert urls[0].findtext("n:news/n:publication_date", namespaces=NS) == "2026-11-25T09:00:00+07:00"


def test_robots_points_to_the_sitemap_index(headless):
    robots = (headless.output / "robots.txt").read_text(encoding="utf-8")
    assert f"Sitemap: {SITEURL}/sitemap.xml" in robots and "User-agent: *" in robots


def test_over_the_limit_the_index_splits_the_urls(tmp_path):
    build = run_pelican(SITE, tmp_path / "out", "publishconf.py", "-e", "PORTAL_SITEMAP_MAX_URLS=3")
    assert build.returncode == 0, build.log
    children = [u for u in locs(build.output / "sitemap.xml", "s:sitemap") if "news" not in u]
    assert children == [f"{SITEURL}/sitemap-{n}.xml" for n in (1, 2, 3, 4)]
    every = [loc for child in children for loc in locs(build.output / child.removeprefix(f"{SITEURL}/"))]
    assert len(every) == len(set(every)) == 1 + 3 + len(PUBLISHED) + 1  # home, sections, articles, page
    schema = xml_schema("sitemap.xsd")
    for child in children:
        assert_valid(schema, build.output / child.removeprefix(f"{SITEURL}/"))


def test_fifty_thousand_and_one_urls_make_two_sitemaps():
    site = Site(SITEURL, "Cổng", "", "/none")
    moment = datetime(2026, 1, 1, tzinfo=TIMEZONE)
    urls = [sitemap.Url(f"{SITEURL}/bai-{n}/", moment) for n in range(50_001)]
    files = sitemap.build(urls, [], site, "Thanh tra Chính phủ")
    assert sorted(files) == ["sitemap-1.xml", "sitemap-2.xml", "sitemap.xml"]
    assert files["sitemap-2.xml"].count(b"<url>") == 1
    assert files["sitemap-1.xml"].count(b"<url>") == 50_000


def test_two_publishes_give_byte_identical_headless_outputs(headless, tmp_path):
    again = run_pelican(SITE, tmp_path / "again")
    assert again.returncode == 0, again.log
    first = {p.relative_to(headless.output): p.read_bytes() for p in headless_outputs(headless.output)}
    second = {p.relative_to(again.output): p.read_bytes() for p in headless_outputs(again.output)}
    assert sorted(first) == sorted(second)
    assert [name for name in first if first[name] != second[name]] == []
    assert (headless.output / "rss/index.html").read_bytes() == (again.output / "rss/index.html").read_bytes()


def test_news_window_is_two_days_and_at_most_a_thousand():
    end = datetime(2026, 11, 26, 12, 0, tzinfo=TIMEZONE)
    entries = [
        SimpleNamespace(slug=f"bai-{n:04d}", date=end - timedelta(minutes=3 * n)) for n in range(1_200)
    ]
    chosen = sitemap.news_entries(entries, end)
    assert len(chosen) == 961  # 48 hours of one article every 3 minutes, both ends included
    assert chosen[0].slug == "bai-0000"
    many = [SimpleNamespace(slug=f"bai-{n:04d}", date=end - timedelta(seconds=n)) for n in range(1_500)]
    assert len(sitemap.news_entries(many, end)) == 1_000
