"""Feeds (portal_feeds): real publishes parsed with feedparser, Atom checked against RFC 4287."""

import re
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

import feedparser
import jsonschema
import pytest
from bs4 import BeautifulSoup
from conftest import run_pelican
from headless_support import (
    MARKERS,
    PUBLISHED,
    SCHEMAS,
    SECTIONS,
    SITE,
    SITEURL,
    assert_valid,
    atom_schema,
    headless_outputs,
    load_json,
    publish_once,
)
from lxml import etree

from portal import feeds
from portal.entries import Site, from_article

FEED_FILES = [f"feeds/{name}.{kind}.xml" for name in ["all", *SECTIONS] for kind in ("rss", "atom")]


def published(build, url: str) -> Path:
    """The output file an absolute URL points at (images are portal_images' derivatives)."""
    return build.output / url.removeprefix(f"{SITEURL}/")


@pytest.fixture(scope="module")
def headless(tmp_path_factory):
    return publish_once(tmp_path_factory)


@pytest.mark.parametrize("relative", FEED_FILES)
def test_every_feed_parses_without_error(headless, relative):
    parsed = feedparser.parse((headless.output / relative).read_bytes())
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.feed.language == "vi" or parsed.feed.get("language") == "vi"


def test_every_atom_feed_validates_against_rfc_4287_relax_ng(headless):
    schema = atom_schema()
    for relative in FEED_FILES:
        if relative.endswith(".atom.xml"):
            assert_valid(schema, headless.output / relative)


def test_the_relax_ng_schema_rejects_an_atom_feed_without_id(headless):
    document = etree.parse(str(headless.output / "feeds/all.atom.xml"))
    root = document.getroot()
    root.remove(root.find("{http://www.w3.org/2005/Atom}id"))
    assert not atom_schema().validate(document)


def test_entries_are_newest_first_ties_by_slug_in_rss_and_atom(headless):
    for kind in ("rss", "atom"):
        parsed = feedparser.parse((headless.output / f"feeds/all.{kind}.xml").read_bytes())
        assert [e.link.rstrip("/").rsplit("/", 1)[1] for e in parsed.entries] == PUBLISHED


def test_rss_item_carries_every_field(headless):
    raw = (headless.output / "feeds/all.rss.xml").read_text(encoding="utf-8")
    item = feedparser.parse(raw.encode()).entries[0]
    assert item.link == f"{SITEURL}/tin-tuc-su-kien/hoi-nghi-chuyen-doi-so/"
    assert item.title == "Hội nghị chuyển đổi số ngành Thanh tra"
    assert item.summary.startswith("(Thanh tra) - Sáng 25/11") and "&" in item.summary
    assert "kế hoạch chuyển đổi số năm 2027" in item.content[0].value
    assert item.id == "tag:thanhtra.gov.vn,2026-11-25:articles/tin-tuc-su-kien/2026/hoi-nghi-chuyen-doi-so"
    assert item.guidislink is False
    assert [t.term for t in item.tags] == ["Tin tức - Sự kiện", "Chuyển đổi số", "Đảng ủy"]
    assert "<pubDate>Wed, 25 Nov 2026 09:00:00 +0700</pubDate>" in raw
    assert "<dc:creator>Phương Anh</dc:creator>" in raw and "<dc:creator>Thanh Danh</dc:creator>" in raw
    enclosure = item.enclosures[0]
    # The published, metadata-free JPEG of portal_images, never the original.
    assert enclosure.href.startswith(f"{SITEURL}/images/2026/hoi-nghi-") and enclosure.href.endswith(".jpg")
    assert int(enclosure.length) == published(headless, enclosure.href).stat().st_size
    assert enclosure.type == "image/jpeg"
    # The channel links to the HTML home (feedgen uses the *last* link added).
    assert feedparser.parse(raw.encode()).feed.link == f"{SITEURL}/"


def test_atom_entry_keeps_link_rel_type_and_length(headless):
    """feedgen issue #135 drops rel/type/length from Atom entry links; ours keeps them."""
    root = etree.parse(str(headless.output / "feeds/all.atom.xml")).getroot()
    ns = {"a": "http://www.w3.org/2005/Atom"}
    entry = root.find("a:entry", ns)
    links = {link.get("rel"): link.attrib for link in entry.findall("a:link", ns)}
    assert links["alternate"]["type"] == "text/html"
    assert links["enclosure"]["type"] == "image/jpeg"
    assert int(links["enclosure"]["length"]) == published(headless, links["enclosure"]["href"]).stat().st_size
    assert entry.findtext("a:published", namespaces=ns) == "2026-11-25T09:00:00+07:00"
    assert entry.findtext("a:updated", namespaces=ns) == "2026-11-26T08:30:00+07:00"
    assert [a.findtext("a:name", namespaces=ns) for a in entry.findall("a:author", ns)] == [
        "Phương Anh",
        "Thanh Danh",
    ]


def test_feed_updated_is_the_newest_content_not_the_clock(headless):
    root = etree.parse(str(headless.output / "feeds/thanh-tra.atom.xml")).getroot()
    assert root.findtext("{http://www.w3.org/2005/Atom}updated") == "2026-11-24T10:00:00+07:00"
    rss = (headless.output / "feeds/all.rss.xml").read_text(encoding="utf-8")
    assert "<lastBuildDate>Thu, 26 Nov 2026 08:30:00 +0700</lastBuildDate>" in rss


def test_section_feeds_hold_only_their_section(headless):
    parsed = feedparser.parse((headless.output / "feeds/thanh-tra.rss.xml").read_bytes())
    assert [e.link.split("/")[3] for e in parsed.entries] == ["thanh-tra"] * 3
    empty = feedparser.parse((headless.output / "feeds/tiep-cong-dan.atom.xml").read_bytes())
    assert empty.bozo == 0 and empty.entries == []


def test_json_feed_validates_and_matches_the_atom_ids(headless):
    document = load_json(headless.output / "feed.json")
    schema = load_json(SCHEMAS / "jsonfeed-1.1.json")
    jsonschema.Draft202012Validator(schema).validate(document)
    atom = feedparser.parse((headless.output / "feeds/all.atom.xml").read_bytes())
    assert [i["id"] for i in document["items"]] == [e.id for e in atom.entries]
    first = document["items"][0]
    assert first["date_published"] == "2026-11-25T09:00:00+07:00"
    assert first["attachments"][0]["mime_type"] == "application/pdf"
    assert datetime.fromisoformat(first["date_modified"]).utcoffset().total_seconds() == 7 * 3600


def test_rss_page_lists_every_feed_in_vietnamese(headless):
    soup = BeautifulSoup((headless.output / "rss/index.html").read_text(encoding="utf-8"), "html.parser")
    hrefs = {a["href"] for a in soup.select("main a[href]")}
    assert {f"{SITEURL}/{relative}" for relative in FEED_FILES} <= hrefs
    assert f"{SITEURL}/feed.json" in hrefs
    assert "Kênh tin RSS" in soup.h1.text and "phần mềm đọc tin" in soup.text


def test_home_and_section_pages_announce_their_feeds(headless):
    def alternates(relative):
        soup = BeautifulSoup((headless.output / relative).read_text(encoding="utf-8"), "html.parser")
        return {link["href"] for link in soup.head.select('link[rel="alternate"]')}

    home = alternates("index.html")
    assert {f"{SITEURL}/feeds/all.rss.xml", f"{SITEURL}/feeds/all.atom.xml", f"{SITEURL}/feed.json"} <= home
    assert not any("thanh-tra.rss" in href for href in home)
    assert f"{SITEURL}/feeds/thanh-tra.rss.xml" in alternates("thanh-tra/index.html")


def test_no_draft_hidden_or_future_article_in_any_headless_output(headless):
    files = headless_outputs(headless.output)
    assert len(files) > 30
    for path in files:
        text = path.read_text(encoding="utf-8")
        for marker in MARKERS:
            assert marker not in text and marker.lower() not in text, f"{marker} in {path}"


def test_feed_limit_and_pelican_feeds_are_settings(tmp_path):
    limited = run_pelican(SITE, tmp_path / "a", "publishconf.py", "-e", "PORTAL_FEEDS_LIMIT=2")
    assert limited.returncode == 0, limited.log
    assert len(feedparser.parse((limited.output / "feeds/all.atom.xml").read_bytes()).entries) == 2
    duplicate = run_pelican(SITE, tmp_path / "b", "publishconf.py", "-e", 'FEED_ALL_ATOM="feeds/x.xml"')
    assert duplicate.returncode != 0 and "FEED_ALL_ATOM" in duplicate.log


def test_id_survives_title_and_slug_edits(site_copy, tmp_path):
    site = site_copy("headless")
    article = site / "articles/thanh-tra/2026/ket-qua-thanh-tra-dat-dai.md"
    before = run_pelican(site, tmp_path / "before")
    text = article.read_text(encoding="utf-8")
    text = text.replace(
        "Title: Kết quả thanh tra đất đai tại tỉnh A", "Title: Đã sửa tiêu đề\nSlug: da-sua-duong-dan"
    )
    article.write_text(text, encoding="utf-8")
    after = run_pelican(site, tmp_path / "after")
    assert before.returncode == after.returncode == 0, after.log

    def entry(build):
        parsed = feedparser.parse((build.output / "feeds/thanh-tra.atom.xml").read_bytes())
        return parsed.entries[0]

    assert entry(after).title == "Đã sửa tiêu đề" and entry(after).link.endswith("/da-sua-duong-dan/")
    assert entry(after).id == entry(before).id


def _fake_article(**fields):
    section = SimpleNamespace(slug="thanh-tra", name="Thanh tra", url="thanh-tra/")
    values = {
        "title": "Tiêu đề",
        "summary": "Sapo",
        "content": "<p>Nội dung</p>",
        "slug": "bai",
        "url": "thanh-tra/bai/",
        "date": datetime(2026, 1, 2, 3, 4),
        "category": section,
        "source_path": "/site/articles/thanh-tra/2026/bai.md",
        "tags": [],
        "authors": [],
    }
    return SimpleNamespace(**(values | fields))


def test_control_characters_and_html_never_reach_the_xml():
    site = Site(SITEURL, "Cổng", "Mô tả", "/site")
    article = _fake_article(
        title="Tiêu\x0b đề <b>đậm</b> &lt;i&gt;",
        summary="Sapo\x01 <script>alert(1)</script>có",
        content='<p onclick="x()">A\x08</p><script>alert(2)</script><img src="/images/a.jpg" alt="">',
    )
    entry = from_article(article, site)
    assert entry.title == "Tiêu đề đậm" and entry.summary == "Sapo có"
    assert "<script" not in entry.body_html and "onclick" not in entry.body_html
    assert f'src="{SITEURL}/images/a.jpg"' in entry.body_html
    feed = feeds.Feed("all", "T", "D", SITEURL + "/", entry.date, (entry,))
    for kind in ("rss", "atom"):
        etree.fromstring(feeds.render(feed, site, kind))  # lxml raises on a control character


def test_html_in_plain_text_fields_is_removed_in_every_output(headless):
    for path in headless_outputs(headless.output):
        if path.suffix == ".json" and "schema" not in path.parts:
            document = load_json(path)
            items = document.get("items", [document]) if isinstance(document, dict) else document
            for item in items:
                for key in ("title", "summary", "name"):
                    assert not re.search(r"<[a-zA-Z/!]", str(item.get(key, ""))), (path, key)


def test_what_changes_a_record_key():
    from portal.entries import build_salt, record_key

    site = Site(SITEURL, "Cổng", "Mô tả", "/site")
    settings = {"SITEURL": SITEURL, "MARKDOWN": {"extensions": ["toc"]}, "OUTPUT_PATH": "/out", "CACHE_PATH": "/c"}
    salt = build_salt(site, settings)

    def key(salt=salt, site=site, **fields):
        values = {
            "metadata": {"source_hash": "ab" * 32},
            "_content": "<p>Nội dung</p>",
            "portal_image": None,
            "portal_attachments": [],
        }
        return record_key(_fake_article(**(values | fields)), site, salt, {}, {})

    base = key()
    # Where the build writes is no input; a body without intrasite links or pictures is a function
    # of its file (the source hash), so its text is not hashed again.
    assert key(salt=build_salt(site, settings | {"OUTPUT_PATH": "/staging", "CACHE_PATH": "/d"})) == base
    assert key(content="<p>Khác</p>") == base
    assert key(url="thanh-tra/bai-khac/") == base  # the URL is a function of the file and settings too
    linked = {"_content": '<a href="{filename}/b.md">B</a>'}
    pictured = {"_content": "<p><picture><img src=x></picture></p>"}
    changed = [
        key(metadata={"source_hash": "cd" * 32}),
        key(source_path="/site/articles/khac.md"),
        key(portal_image={"src": "images/a.jpg", "width": 800}),
        key(portal_attachments=[{"url": "files/a.pdf", "length": 10}]),
        key(salt=build_salt(site, settings | {"MARKDOWN": {"extensions": []}})),
        key(salt=build_salt(Site(SITEURL, "Cổng mới", "Mô tả", "/site"), settings)),
        # A body that holds what other files decide counts by its text.
        key(**linked, content='<a href="/thanh-tra/b/">B</a>'),
        key(**linked, content='<a href="/thanh-tra/b-moi/">B</a>'),
        key(**pictured, content="<p><picture>1</picture></p>"),
        key(**pictured, content="<p><picture>2</picture></p>"),
        key(_content='<p><img src="/images/a.jpg"></p>', content="<p><picture>3</picture></p>"),
    ]
    assert len({base, *changed}) == len(changed) + 1
    # Whether a body counts by its text is kept by file: a kept answer is not asked again.
    bodies = {("/site/articles/thanh-tra/2026/bai.md", "ab" * 32): True}
    plain_body = {"metadata": {"source_hash": "ab" * 32}, "_content": "<p>A</p>", "content": "<p>A</p>"}
    article = _fake_article(**plain_body, portal_image=None, portal_attachments=[])
    assert record_key(article, site, salt, {}, {}) == base
    assert record_key(article, site, salt, {}, bodies) != base
    # Without the reader's hash, every field from_article reads counts.
    bare = {"metadata": {}}
    variants = [{}, {"title": "Khác"}, {"content": "<p>Khác</p>"}, {"url": "thanh-tra/bai-khac/"}]
    assert len({key(**bare, **variant) for variant in variants}) == len(variants)


def _plain_through_nh3(value) -> str:
    """``plain`` as it was before its fast path: nh3 asked for every text."""
    import html as html_module

    import nh3

    from portal.entries import clean_text

    text = clean_text(value)
    for _ in range(3):
        stripped = html_module.unescape(nh3.clean(text, tags=set()))
        if stripped == text:
            break
        text = stripped
    return re.sub(r"\s+", " ", text).strip()


@pytest.mark.parametrize(
    "value",
    [
        "Tiêu đề  bình thường",
        "  Dòng\r\nhai\rba\n\tbốn\u00a0năm\u2003sáu\u3000bảy\u2028tám  ",
        "a > b, c \" d ' e = f / g",
        "Giá\x0b trị\x1c\x1d\x1e\x1f\x85 lạ\ufeff",
        "Tiêu đề <b>đậm</b> &lt;i&gt; &amp;lt;b&amp;gt; &nbsp; &#8203;",
        "<script>alert(1)</script>có <!-- chú thích --> < 3",
        "",
        None,
        12,
    ],
)
def test_plain_fast_path_gives_what_nh3_gives(value):
    from portal.entries import plain, plain_name

    assert plain(value) == _plain_through_nh3(value)
    assert plain_name(value) == _plain_through_nh3(value)


@pytest.mark.parametrize(
    ("root", "path"),
    [
        ("/site", "/site/articles/thanh-tra/bai.md"),
        ("/site", "/site/../site/articles/bai.md"),
        ("/site/", "/site/articles/bai.md"),
        ("/site", "/sitex/bai.md"),
        ("/", "/articles/bai.md"),
        ("site", "site/articles/bai.md"),
    ],
)
def test_source_of_is_the_path_relative_to_the_content_folder(root, path):
    import os

    from portal.entries import source_of

    site = Site(SITEURL, "Cổng", "Mô tả", root)
    expected = os.path.relpath(path, root).replace(os.sep, "/")
    assert source_of(SimpleNamespace(source_path=path), site) == expected


def test_records_are_made_when_first_asked_and_kept(tmp_path):
    from portal.buildcache import BuildCache
    from portal.entries import Entry, Records

    site = Site(SITEURL, "Cổng", "Mô tả", "/site")
    settings = {"SITEURL": SITEURL}
    articles = [
        _fake_article(slug=f"bai-{n}", source_path=f"/site/articles/bai-{n}.md", title=f"Bài {n}")
        for n in range(3)
    ]
    cache = BuildCache(tmp_path / "entries.sqlite")
    built = Records(articles, site, settings, cache)
    assert all(head.key not in cache for head in built.heads)  # nothing made before it is asked
    first = built.entries(built.heads[:2])
    assert [e.slug for e in first] == ["bai-0", "bai-1"] and all(isinstance(e, Entry) for e in first)
    assert first == [from_article(a, site) for a in articles[:2]]
    assert [head.key in cache for head in built.heads] == [True, True, False]
    cache.save()
    cache.close()
    # The next build reads the stored records and makes only the one never asked for.
    cache = BuildCache(tmp_path / "entries.sqlite")
    again = Records(articles, site, settings, cache)
    assert again.entries(again.heads) == [from_article(a, site) for a in articles]
    assert cache.hits == 2
