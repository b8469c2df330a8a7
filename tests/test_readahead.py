"""The read-ahead pool: what it hands the build equals what the build would make of each file."""

import multiprocessing
from dataclasses import astuple

from plugins.portal_content import readahead
from portal import check
from portal.metadata import ARTICLE, PAGE, sections_from_settings
from portal.render import DocumentCache, DocumentParser, Job, convert, fingerprint, make_markdown
from portal.sanitize import SanitizeCache, sanitize_html

MARKDOWN = {"extensions": ["markdown.extensions.toc", "markdown.extensions.extra"], "output_format": "html5"}
SECTIONS = sections_from_settings([("thanh-tra", "Thanh tra")])
HOST = "thanhtra.gov.vn"
SOURCE = (
    "Title: Đoàn thanh tra {n}\nDate: 2024-05-06 08:00\nCategory: thanh-tra\nTags: a, b\n\n"
    "## Kết luận\n\nNội dung <script>alert(1)</script> [ngoài](https://example.com/{n}).\n"
)
SAMPLES = [
    (SOURCE.format(n=1).encode(), ARTICLE),
    ("Title: Cafe\u0301 không NFC\nDate: 05/06/2019\nCategory: nope\n\nThân bài.\n".encode(), ARTICLE),
    (b"\xff\xfe not utf-8", ARTICLE),
    (b"", ARTICLE),
    ("Title: Giới thiệu\n\n![ảnh](http://other.example/a.jpg)\n".encode(), PAGE),
]


def test_one_parse_for_the_build_and_the_checks_equals_each_alone():
    markdown, parser = make_markdown(MARKDOWN), DocumentParser(MARKDOWN, SECTIONS)
    for number, (raw, kind) in enumerate(SAMPLES):
        display = f"content/{number}.md"
        doc = check.parse_document(display, raw, kind, SECTIONS)
        assert convert(markdown, doc.source, doc.values, kind, raw) == parser.parse(display, raw, kind)
        made = check.make_record(check.parse_document(display, raw, kind, SECTIONS))
        assert astuple(check.make_record(doc)) == astuple(made)  # a Record compares by identity


def _jobs(tmp_path, count):
    jobs = []
    for number in range(count):
        path = tmp_path / f"{number}.md"
        path.write_bytes(SOURCE.format(n=number).encode())
        jobs.append(Job(str(path), f"content/{number}.md", ARTICLE))
    return jobs


def test_the_pool_hands_over_what_the_build_would_make_in_any_order(tmp_path):
    jobs = _jobs(tmp_path, 90)
    cache = DocumentCache(tmp_path / "cache", fingerprint(MARKDOWN, SECTIONS))
    ahead = readahead.start(jobs, (MARKDOWN, SECTIONS, HOST), cache, workers=2)
    assert ahead is not None
    parser = DocumentParser(MARKDOWN, SECTIONS)
    order = [jobs[5], *jobs[:5], *reversed(jobs[6:])]  # out of the listing's order too
    for job in order:
        raw = (tmp_path / job.path).read_bytes()
        prepared = ahead.take(job.path)
        assert prepared.parsed == parser.parse(job.display, raw, ARTICLE)
        made = check.make_record(check.parse_document(job.display, raw, ARTICLE, SECTIONS))
        assert astuple(prepared.record) == astuple(made)
        assert prepared.sanitized == sanitize_html(prepared.parsed.html, HOST)
        assert "<script>" not in prepared.sanitized
        assert cache.load(cache.key(job.display, ARTICLE, raw)) == prepared.parsed  # for the next build
    assert ahead.take(jobs[0].path) is None  # taken once
    assert ahead.take(str(tmp_path / "unknown.md")) is None
    ahead.close()
    assert not multiprocessing.active_children()


def test_few_files_start_no_pool_and_bodies_are_left_to_the_build_without_a_host(tmp_path):
    cache = DocumentCache(None, fingerprint(MARKDOWN, SECTIONS))
    assert readahead.start(_jobs(tmp_path, 10), (MARKDOWN, SECTIONS, HOST), cache, workers=2) is None
    ahead = readahead.start(_jobs(tmp_path, 70), (MARKDOWN, SECTIONS, None), cache, workers=2)
    prepared = ahead.take(str(tmp_path / "3.md"))
    assert prepared.sanitized is None and "Đoàn thanh tra 3" in prepared.parsed.values["title"]
    ahead.close()


def test_an_offered_body_is_taken_instead_of_cleaned_again(monkeypatch):
    import portal.sanitize as module

    cache, html = SanitizeCache(), '<p>Tin <a href="https://example.com/">ngoài</a></p>'
    cleaned = sanitize_html(html, HOST)
    cache.offer(html, HOST, cleaned)
    monkeypatch.setattr(module, "sanitize_html", lambda *a: (_ for _ in ()).throw(AssertionError("cleaned again")))
    assert cache.clean(html, HOST) == cleaned
    assert cache._offered == {}


def test_the_reader_takes_from_the_pool_what_it_would_read_itself(tmp_path):
    from pelican.settings import read_settings

    from plugins.portal_content import reader as module
    from portal.sanitize import SANITIZED

    root = tmp_path / "content"
    folder = root / "articles" / "thanh-tra" / "2024"
    folder.mkdir(parents=True)
    (root / "pages").mkdir()
    for number in range(70):
        body = SOURCE.format(n=number).replace("Category: thanh-tra", "Category: thanh-tra\nSummary: Tóm tắt.\nAuthors: A")
        (folder / f"bai-{number}.md").write_text(body, encoding="utf-8")
    settings = read_settings(
        str(module.Path(__file__).resolve().parent.parent / "publishconf.py"),
        override={"PATH": str(root), "CACHE_PATH": str(tmp_path / "cache")},
    )
    paths = sorted(str(path) for path in folder.iterdir())
    assert module.warm_cache(settings, frozenset(), paths[::-1]) == 70
    ahead = module.PortalReader(settings)
    taken = [ahead.read(path) for path in paths]
    assert len(check.PREPARED) == 70 and len(SANITIZED._offered) == 70
    module.finish_reading()
    assert check.PREPARED == {} and module._AHEAD is None
    SANITIZED._offered.clear()
    alone = module.PortalReader(settings)
    for path, (html, metadata) in zip(paths, taken, strict=True):
        again_html, again = alone.read(path)
        assert html == again_html
        assert {k: str(v) for k, v in metadata.items()} == {k: str(v) for k, v in again.items()}


def test_files_read_by_one_reader_share_one_taxonomy_object_per_name(tmp_path):
    from pelican.settings import read_settings

    from plugins.portal_content import reader as module

    folder = tmp_path / "content" / "articles" / "thanh-tra" / "2024"
    folder.mkdir(parents=True)
    for number in range(3):
        tags = "Tags: Kê khai tài sản, Phòng chống tham nhũng" if number < 2 else "Tags: Tiếp công dân"
        source = SOURCE.format(n=number).replace("Tags: a, b", f"{tags}\nAuthors: Minh Anh")
        (folder / f"bai-{number}.md").write_text(source, encoding="utf-8")
    settings = read_settings(
        str(module.Path(__file__).resolve().parent.parent / "publishconf.py"),
        override={"PATH": str(tmp_path / "content"), "CACHE_PATH": str(tmp_path / "cache")},
    )
    reader = module.PortalReader(settings)
    first, second, third = (reader.read(str(folder / f"bai-{n}.md"))[1] for n in range(3))
    assert [tag.slug for tag in first["tags"]] == ["ke-khai-tai-san", "phong-chong-tham-nhung"]
    assert all(a is b for a, b in zip(first["tags"], second["tags"], strict=True))
    assert third["tags"][0].slug == "tiep-cong-dan" and third["tags"][0] is not first["tags"][0]
    assert first["category"] is second["category"] is third["category"]
    assert first["category"].slug == "thanh-tra" and first["category"].name == "Thanh tra"
    assert first["authors"][0] is third["authors"][0] and first["authors"][0].slug == "minh-anh"
