"""The JSON content API v1 (portal_api): every file validated with jsonschema, pagination, bytes."""

import importlib
import sqlite3
from datetime import datetime
from types import SimpleNamespace

import jsonschema
import pytest
from conftest import run_pelican
from headless_support import PUBLISHED, SECTIONS, SITE, SITEURL, load_json, publish_once

from portal import api
from portal.buildcache import BuildCache
from portal.entries import Attachment, Entry, Picture, Site
from portal.text import TIMEZONE


@pytest.fixture(scope="module")
def headless(tmp_path_factory):
    return publish_once(tmp_path_factory)


def validator(output, name):
    schema = load_json(output / "api/v1/schema" / name)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def test_every_api_file_validates_against_its_published_schema(headless):
    out = headless.output
    article = validator(out, "article.json")
    for slug in PUBLISHED:
        article.validate(load_json(out / f"api/v1/articles/{slug}.json"))
    validator(out, "articles.json").validate(load_json(out / "api/v1/articles.json"))
    validator(out, "sections.json").validate(load_json(out / "api/v1/sections.json"))
    assert sorted(p.stem for p in (out / "api/v1/articles").glob("*.json")) == sorted(PUBLISHED)


def test_schema_rejects_a_date_outside_vietnam_time(headless):
    document = load_json(headless.output / "api/v1/articles/hoi-nghi-chuyen-doi-so.json")
    document["date"] = "2026-11-25T02:00:00Z"  # not Vietnam's time
    with pytest.raises(jsonschema.ValidationError):
        validator(headless.output, "article.json").validate(document)


def test_article_document_carries_every_field(headless):
    document = load_json(headless.output / "api/v1/articles/hoi-nghi-chuyen-doi-so.json")
    assert (
        document["id"]
        == "tag:thanhtra.gov.vn,2026-11-25:articles/tin-tuc-su-kien/2026/hoi-nghi-chuyen-doi-so"
    )
    assert document["url"] == f"{SITEURL}/tin-tuc-su-kien/hoi-nghi-chuyen-doi-so/"
    assert document["section"] == {
        "slug": "tin-tuc-su-kien",
        "name": "Tin tức - Sự kiện",
        "url": f"{SITEURL}/tin-tuc-su-kien/",
    }
    assert [t["name"] for t in document["tags"]] == ["Chuyển đổi số", "Đảng ủy"]
    assert [a["name"] for a in document["authors"]] == ["Phương Anh", "Thanh Danh"]
    assert (document["date"], document["modified"]) == (
        "2026-11-25T09:00:00+07:00",
        "2026-11-26T08:30:00+07:00",
    )
    image = document["image"]
    assert (image["width"], image["height"], image["type"]) == (96, 64, "image/jpeg")
    assert image["url"].startswith(f"{SITEURL}/images/2026/hoi-nghi-")  # published, not the original
    assert image["length"] == (headless.output / image["url"].removeprefix(f"{SITEURL}/")).stat().st_size
    assert image["alt"].startswith("Hội trường") and image["credit"] == "Phương Anh"
    pdf = SITE / "files/2025/quyet-dinh-15.pdf"
    assert document["attachments"] == [
        {
            "url": f"{SITEURL}/files/2025/quyet-dinh-15.pdf",
            "type": "application/pdf",
            "size": pdf.stat().st_size,
            "name": "quyet-dinh-15.pdf",
        }
    ]
    assert document["legacy_url"].startswith("/web/guest/xem-chi-tiet-tin-tuc/")
    assert "<p>Hội nghị đã thảo luận" in document["body_html"]
    document = load_json(headless.output / "api/v1/articles/quyet-dinh-15-qd-ttcp.json")
    assert document["document"]["doc_number"] == "15/QĐ-TTCP"
    assert document["document"]["effective"] == "2026-01-01"


def test_json_is_utf8_without_ascii_escapes(headless):
    raw = (headless.output / "api/v1/articles.json").read_bytes()
    assert "Hội nghị".encode() in raw and b"\\u" not in raw
    assert raw.endswith(b"}\n")


def test_index_is_newest_first_and_sections_are_all_listed(headless):
    index = load_json(headless.output / "api/v1/articles.json")
    assert [i["slug"] for i in index["items"]] == PUBLISHED
    assert (index["page"], index["pages"], index["total"], index["prev"], index["next"]) == (
        1,
        1,
        5,
        None,
        None,
    )
    assert "body_html" not in index["items"][0]
    sections = load_json(headless.output / "api/v1/sections.json")["items"]
    assert [s["slug"] for s in sections] == SECTIONS
    counts = {s["slug"]: s["article_count"] for s in sections}
    assert counts["thanh-tra"] == 3 and counts["thong-bao"] == 0  # hidden, draft, future: not counted


def test_pagination_links_every_page(tmp_path):
    build = run_pelican(SITE, tmp_path / "out", "publishconf.py", "-e", "PORTAL_API_PAGE_SIZE=2")
    assert build.returncode == 0, build.log
    check = validator(build.output, "articles.json")
    url, slugs, numbers = f"{SITEURL}/api/v1/articles.json", [], []
    previous = None
    while url:
        page = load_json(build.output / url.removeprefix(f"{SITEURL}/"))
        check.validate(page)
        assert page["prev"] == previous
        numbers.append(page["page"])
        slugs += [item["slug"] for item in page["items"]]
        previous, url = url, page["next"]
    assert numbers == [1, 2, 3] and slugs == PUBLISHED
    assert (build.output / "api/v1/articles/page/3.json").is_file()


def test_dates_are_rfc3339_in_vietnam_time(headless):
    for item in load_json(headless.output / "api/v1/articles.json")["items"]:
        for key in ("date", "modified"):
            assert datetime.fromisoformat(item[key]).utcoffset().total_seconds() == 7 * 3600


def test_index_pages_of_an_empty_site_still_validate():
    site = Site(SITEURL, "Cổng", "", "/none")
    [(path, document)] = api.index_pages([], site, 10)
    assert path == "api/v1/articles.json" and document["items"] == [] and document["pages"] == 1
    jsonschema.Draft202012Validator(api.schemas()["articles.json"]).validate(document)


@pytest.mark.parametrize(
    ("module", "settings", "message"),
    [
        ("portal_api", {"PORTAL_API_PAGESIZE": 3}, "unknown settings PORTAL_API_PAGESIZE"),
        ("portal_api", {"PORTAL_API_PAGE_SIZE": 0}, "PORTAL_API_PAGE_SIZE"),
        ("portal_feeds", {"PORTAL_FEEDS_LIMIT": "50"}, "PORTAL_FEEDS_LIMIT"),
        ("portal_feeds", {"CATEGORY_FEED_RSS": "feeds/{slug}.xml"}, "CATEGORY_FEED_RSS"),
        ("portal_sitemap", {"PORTAL_SITEMAP_MAX_URLS": 50_001}, "PORTAL_SITEMAP_MAX_URLS"),
        ("portal_redirects", {"PORTAL_REDIRECTS_MAPFILE": "x"}, "unknown settings"),
    ],
    ids=["api-unknown", "api-zero", "feeds-text", "feeds-pelican", "sitemap-over", "redirects-unknown"],
)
def test_bad_settings_stop_the_build_with_a_message(module, settings, message):
    validate = importlib.import_module(f"plugins.{module}.settings").validate
    with pytest.raises(SystemExit, match=message):
        validate(settings)


def test_an_edit_remakes_its_document_and_page_as_a_cold_build_would(site_copy, tmp_path):
    """Index pages and article documents are made a page at a time: a rebuild equals a cold build."""
    site = site_copy("headless")
    # One -e for both: a second -e would replace the first.
    options = ("-e", "PORTAL_API_PAGE_SIZE=2", f'CACHE_PATH="{tmp_path / "cache"}"')
    first = run_pelican(site, tmp_path / "out", "publishconf.py", *options)
    assert first.returncode == 0, first.log
    before = {p: p.read_bytes() for p in (tmp_path / "out" / "api").rglob("*.json")}
    article = site / "articles/thanh-tra/2026/ket-qua-thanh-tra-dat-dai.md"
    article.write_text(article.read_text(encoding="utf-8") + "\nĐoạn bổ sung mới.\n", encoding="utf-8")
    again = _rebuild_equals_cold_api(site, tmp_path, options)
    changed = {p.relative_to(first.output).as_posix() for p in before if p.read_bytes() != before[p]}
    assert "api/v1/articles/ket-qua-thanh-tra-dat-dai.json" in changed
    document = load_json(again.output / "api/v1/articles/ket-qua-thanh-tra-dat-dai.json")
    assert "Đoạn bổ sung mới." in document["body_html"]


def _entry(slug: str, **fields) -> Entry:
    moment = datetime(2026, 11, 25, 9, 0, tzinfo=TIMEZONE)
    values = {
        "id": f"tag:thanhtra.gov.vn,2026-11-25:articles/{slug}",
        "slug": slug,
        "url": f"{SITEURL}/thanh-tra/{slug}/",
        "title": 'Kết luận thanh tra "đất đai"',
        "summary": "Sapo có ký tự đặc biệt: \\ / \u2028 và \t.",
        "section_slug": "thanh-tra",
        "section_name": "Thanh tra",
        "section_url": f"{SITEURL}/thanh-tra/",
        "date": moment,
        "modified": moment,
        "body": '<p>Nội dung <a href="https://thanhtra.gov.vn/x/" rel="noopener noreferrer">liên kết</a></p>',
        "source_path": f"articles/{slug}.md",
        "tags": (("dat-dai", "Đất đai", f"{SITEURL}/chu-de/dat-dai/"),),
        "authors": ("Phương Anh",),
    }
    return Entry(**(values | fields))


def test_documents_joined_from_serialised_summaries_equal_the_whole_documents():
    """The generator splices kept summaries into pages and documents: the bytes of ``dumps`` of the dicts."""
    site = Site(SITEURL, "Cổng", "", "/none")
    picture = Picture(f"{SITEURL}/images/a.jpg", "image/jpeg", 10, 4, 3, "Ảnh", "Chú thích", "Tác giả")
    attached = (Attachment(f"{SITEURL}/files/a.pdf", "application/pdf", 7, "a.pdf"),)
    entries = [
        _entry("mot"),
        _entry(
            "hai", image=picture, attachments=attached, legacy_url="/web/guest/cu", doc={"doc_number": "15"}
        ),
        _entry("ba", tags=(), authors=()),
    ]
    for entry in entries:
        summary = api.summary_json(entry, site)
        assert summary == api.dumps(api.summary_of(entry, site)).rstrip(b"\n")
        assert api.article_json(entry, site, summary) == api.dumps(api.article_of(entry, site))
    texts = [api.summary_json(entry, site) for entry in entries]
    for number, items in [(1, texts[:2]), (2, texts[2:]), (1, [])]:
        whole = api.index_page_of(
            number, 3, [api.summary_of(e, site) for e in entries[2 * (number - 1) :][:2]], site, 2
        )
        if not items:
            whole = api.index_page_of(1, 0, [], site, 2)
            assert api.index_json(1, 0, [], site, 2) == api.dumps(whole)
            continue
        assert api.index_json(number, 3, items, site, 2) == api.dumps(whole)


def test_a_new_article_remakes_every_page_from_kept_summaries_as_a_cold_build_would(site_copy, tmp_path):
    """Every index page shifts by one: they are made from the kept summaries, reading only the new record."""
    site = site_copy("headless")
    options = ("-v", "-e", "PORTAL_API_PAGE_SIZE=2", f'CACHE_PATH="{tmp_path / "cache"}"')
    first = run_pelican(site, tmp_path / "out", "publishconf.py", *options)
    assert first.returncode == 0, first.log
    newest = site / "articles/thanh-tra/2026/bai-moi-nhat.md"
    newest.write_text(
        "Title: Bài mới nhất\nDate: 2026-11-26 10:00\nCategory: thanh-tra\nAuthors: Phương Anh\n"
        "Summary: Sapo của bài mới nhất.\n\nNội dung bài mới nhất.\n",
        encoding="utf-8",
    )
    again = _rebuild_equals_cold_api(site, tmp_path, options)
    assert load_json(again.output / "api/v1/articles.json")["items"][0]["slug"] == "bai-moi-nhat"


def test_an_index_page_reads_only_the_records_whose_summary_is_not_kept(tmp_path):
    from plugins.portal_api.api import _summaries

    site = Site(SITEURL, "Cổng", "", "/none")
    entries = {slug: _entry(slug) for slug in ("mot", "hai", "ba")}
    heads = [SimpleNamespace(slug=slug) for slug in entries]
    keys = {id(head): bytes([n]) * 32 for n, head in enumerate(heads)}
    kept = BuildCache(tmp_path / "summaries.sqlite")
    kept.put(keys[id(heads[0])], api.summary_json(entries["mot"], site))
    kept.close()
    asked = []

    class Built:
        def entries(self, batch, store=True):
            asked.extend(head.slug for head in batch)
            return [entries[head.slug] for head in batch]

    Built.site = site
    made_now = {keys[id(heads[1])]: api.summary_json(entries["hai"], site)}
    read = [0]
    items = _summaries(Built(), heads, keys, made_now, BuildCache(tmp_path / "summaries.sqlite"), read)
    assert items == [api.summary_json(entry, site) for entry in entries.values()]
    assert asked == ["ba"] and read == [1]


def _rebuild_equals_cold_api(site, tmp_path, options):
    """Rebuild ``site`` into ``tmp_path/out`` with its cache; assert its API equals a cold build's; return it."""
    again = run_pelican(site, tmp_path / "out", "publishconf.py", *options)
    cold = run_pelican(site, tmp_path / "cold", "publishconf.py", "-e", "PORTAL_API_PAGE_SIZE=2")
    assert again.returncode == cold.returncode == 0, again.log + cold.log
    api_files = sorted(p.relative_to(cold.output) for p in (cold.output / "api").rglob("*.json"))
    assert sorted(p.relative_to(again.output) for p in (again.output / "api").rglob("*.json")) == api_files
    for relative in api_files:
        assert (again.output / relative).read_bytes() == (cold.output / relative).read_bytes(), relative
    return again


def test_a_new_article_takes_the_shifted_items_from_the_old_pages_not_the_summaries(site_copy, tmp_path):
    """With no kept summary at all, the pages shifted by a new article still read only its record."""
    site = site_copy("headless")
    options = ("-v", "-e", "PORTAL_API_PAGE_SIZE=2", f'CACHE_PATH="{tmp_path / "cache"}"')
    first = run_pelican(site, tmp_path / "out", "publishconf.py", *options)
    assert first.returncode == 0, first.log
    (tmp_path / "cache" / "api-summaries.sqlite").unlink()
    newest = site / "articles/thanh-tra/2026/bai-moi-nhat.md"
    newest.write_text(
        "Title: Bài mới nhất\nDate: 2026-11-26 10:00\nCategory: thanh-tra\nAuthors: Phương Anh\n"
        "Summary: Sapo của bài mới nhất.\n\nNội dung bài mới nhất.\n",
        encoding="utf-8",
    )
    _rebuild_equals_cold_api(site, tmp_path, options)
    with sqlite3.connect(tmp_path / "cache" / "api-summaries.sqlite") as db:
        assert db.execute("SELECT COUNT(*) FROM kv").fetchone() == (
            1,
        )  # the new article's: the rest read back
    newest.unlink()  # and back: every page shifts the other way, its first item from the next page
    _rebuild_equals_cold_api(site, tmp_path, options)


def test_an_index_page_gives_back_its_items_only_while_it_is_the_file_recorded(tmp_path):
    from plugins.portal_api.api import IndexLayout

    site = Site(SITEURL, "Cổng", "", "/none")
    items = [api.summary_json(_entry(slug), site) for slug in ("mot", "hai")]
    keys = [b"1" * 32, b"2" * 32]
    page = tmp_path / "out" / "api" / "v1" / "articles.json"
    page.parent.mkdir(parents=True)
    data = api.index_json(1, 2, items, site, 2)
    page.write_bytes(data)
    layout = IndexLayout(str(tmp_path / "cache"), tmp_path / "out")
    layout.record("api/v1/articles.json", data, keys, items, page)
    layout.save()
    again = IndexLayout(str(tmp_path / "cache"), tmp_path / "out")
    assert again.items("api/v1/articles.json") == dict(zip(keys, items, strict=True))
    assert again.items("api/v1/articles/trang/2.json") == {}  # no record
    moved = page.with_suffix(".tmp")
    moved.write_bytes(data.replace(b'"mot"', b'"mut"'))  # the same size, another file
    moved.replace(page)
    assert again.items("api/v1/articles.json") == {}
    assert IndexLayout(None, tmp_path / "out").items("api/v1/articles.json") == {}
