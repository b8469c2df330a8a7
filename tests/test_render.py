"""The content-addressed parse cache: same bytes hit, changed bytes or settings miss."""

from portal.metadata import ARTICLE, sections_from_settings
from portal.render import DocumentCache, DocumentParser, fingerprint

MARKDOWN = {"extensions": ["markdown.extensions.toc"], "output_format": "html5"}
SECTIONS = sections_from_settings([("thanh-tra", "Thanh tra")])
SOURCE = "Title: Đoàn thanh tra\nDate: 2024-05-06 08:00\nCategory: thanh-tra\n\n## Kết luận\n\nNội dung.\n"


def _cache(tmp_path, sections=SECTIONS):
    return DocumentCache(tmp_path / "cache", fingerprint(MARKDOWN, sections))


def test_a_stored_parse_is_found_again_by_the_same_bytes(tmp_path):
    cache, raw = _cache(tmp_path), SOURCE.encode()
    parsed = DocumentParser(MARKDOWN, SECTIONS).parse("a.md", raw, ARTICLE)
    key = cache.key("a.md", ARTICLE, raw)
    assert cache.load(key) is None
    cache.store(key, parsed)
    again = cache.load(key)
    assert again.html == parsed.html and '<h2 id="ket-luan">' in again.html
    assert again.values["title"] == "Đoàn thanh tra"


def test_changed_bytes_path_or_settings_miss(tmp_path):
    cache, raw = _cache(tmp_path), SOURCE.encode()
    key = cache.key("a.md", ARTICLE, raw)
    assert cache.key("a.md", ARTICLE, raw + b"x") != key
    assert cache.key("b.md", ARTICLE, raw) != key
    assert _cache(tmp_path, sections_from_settings([("van-ban", "Văn bản")])).key("a.md", ARTICLE, raw) != key


def test_a_damaged_entry_is_a_miss_not_a_crash(tmp_path):
    cache, raw = _cache(tmp_path), SOURCE.encode()
    key = cache.key("a.md", ARTICLE, raw)
    cache._path(key).parent.mkdir(parents=True)
    cache._path(key).write_bytes(b"not a pickle")
    assert cache.load(key) is None
