"""Pages rewritten to fingerprinted assets: once, and again only when a page or an asset changed."""

import os

import pytest

from portal.assets import fingerprint_tree, rewrite_html, rewrite_pages
from portal.incremental import replace_if_changed

SITEURL = "https://thanhtra.gov.vn"
EPOCH = 1767225600
PAGE = (
    '<!doctype html><html lang="vi"><head><link rel="stylesheet" href="{site}/theme/css/portal.css">'
    '<link rel="icon" href="/theme/img/biểu-trưng.svg"></head><body><h1>Thanh tra Chính phủ {n}</h1>'
    '<script src="{site}/theme/js/portal.js" defer></script></body></html>'
)


def _page(number: int) -> bytes:
    return PAGE.format(site=SITEURL, n=number).encode("utf-8")


@pytest.fixture
def site(tmp_path):
    output = tmp_path / "output"
    files = {
        "theme/css/portal.css": b"body{font-family:Noto}",
        "theme/js/portal.js": b"document.documentElement.classList.add('js');",
        "theme/img/biểu-trưng.svg": b"<svg xmlns='http://www.w3.org/2000/svg'/>",
    }
    for name, data in files.items():
        replace_if_changed(output / name, data)
    for number in range(4):
        replace_if_changed(output / "tin" / f"bai-{number}" / "index.html", _page(number))
    return output


def _publish(output, cache, epoch=EPOCH):
    """The assets step, then the release's mtimes (every file gets the epoch)."""
    read = rewrite_pages(output, SITEURL, fingerprint_tree(output), cache, epoch)
    for path in output.rglob("*"):
        os.utime(path, (epoch, epoch))
    return read


def _pages(output):
    return {p.relative_to(output).as_posix(): p.read_bytes() for p in sorted(output.rglob("*.html"))}


def _identities(output):
    return {p: (p.stat().st_ino, p.stat().st_size) for p in sorted(output.rglob("*.html"))}


def _cold(output, tmp_path):
    """What a cold build gives for the same pages: the expected result."""
    assets = fingerprint_tree(output)
    return {
        name: rewrite_html(_unfingerprinted(data, assets).decode(), SITEURL, assets).encode()
        for name, data in _pages(output).items()
    }


def _unfingerprinted(data, assets):
    for asset in assets.values():
        data = data.replace(asset.fingerprinted.encode(), asset.original.encode())
        data = data.replace(f' integrity="{asset.integrity}"'.encode(), b"")
    return data


def test_pages_are_rewritten_byte_for_byte_as_text_would_be(site, tmp_path):
    assets = fingerprint_tree(site)
    expected = {
        name: rewrite_html(data.decode(), SITEURL, assets).encode() for name, data in _pages(site).items()
    }
    assert rewrite_pages(site, SITEURL, assets) == 4
    assert _pages(site) == expected
    icon = assets["theme/img/biểu-trưng.svg"].fingerprinted
    assert f'href="/{icon}"'.encode() in _pages(site)["tin/bai-0/index.html"]


def test_a_second_build_reads_no_unchanged_page(site, tmp_path):
    cache = tmp_path / "cache" / "asset-pages.json"
    assert _publish(site, cache) == 4
    before, cached = _identities(site), cache.stat().st_mtime_ns
    assert _publish(site, cache) == 0
    assert _identities(site) == before
    assert cache.stat().st_mtime_ns == cached  # nothing changed: not written again
    assert (
        _publish(site, cache, EPOCH + 60) == 0
    )  # a new commit: the pages keep the last epoch until the release
    assert _publish(site, cache, EPOCH + 60) == 0
    assert _identities(site) == before


def test_a_page_written_again_or_edited_in_place_is_read_again(site, tmp_path):
    cache = tmp_path / "asset-pages.json"
    _publish(site, cache)
    replace_if_changed(site / "tin" / "bai-1" / "index.html", _page(1))  # the writer: a new inode
    edited = site / "tin" / "bai-2" / "index.html"
    data = edited.read_bytes()
    with edited.open("r+b") as handle:  # same inode, same size: only the mtime tells
        handle.write(data.replace(b"<h1>", b"<H1>", 1)[:64])
    assert _publish(site, cache) == 2
    assert _pages(site) == _cold(site, tmp_path)


def test_a_changed_asset_gives_the_pages_a_cold_build_gives(site, tmp_path):
    cache = tmp_path / "asset-pages.json"
    _publish(site, cache)
    replace_if_changed(site / "theme" / "css" / "portal.css", b"body{font-family:Noto Serif}")
    for number in range(4):  # the theme changed: every page is rendered and written again
        replace_if_changed(site / "tin" / f"bai-{number}" / "index.html", _page(number))
    assert _publish(site, cache) == 4
    pages = _pages(site)
    assert pages == _cold(site, tmp_path)
    new = fingerprint_tree(site)["theme/css/portal.css"].fingerprinted
    assert all(new.encode() in data for data in pages.values())


def test_a_new_asset_rewrites_pages_that_did_not_change(site, tmp_path):
    cache = tmp_path / "asset-pages.json"
    script = site / "theme" / "js" / "portal.js"
    data = script.read_bytes()
    script.unlink()
    _publish(site, cache)
    assert all(b'src="https://thanhtra.gov.vn/theme/js/portal.js"' in page for page in _pages(site).values())
    replace_if_changed(script, data)
    assert _publish(site, cache) == 4  # no page changed, the assets did
    pages = _pages(site)
    assert pages == _cold(site, tmp_path)
    assert not any(b"/theme/js/portal.js" in page for page in pages.values())


@pytest.mark.parametrize(
    "damage",
    [
        "{not json",
        "[]",
        '{"format": 1, "assets": 3, "pages": {}}',
        '{"format": 1, "assets": "x", "pages": {"a": 1}}',
    ],
    ids=["not-json", "wrong-type", "wrong-assets", "wrong-entry"],
)
def test_a_damaged_page_cache_is_ignored(site, tmp_path, damage):
    cache = tmp_path / "asset-pages.json"
    _publish(site, cache)
    replace_if_changed(site / "theme" / "css" / "portal.css", b"body{color:#222}")
    cache.write_text(damage, encoding="utf-8")
    assert _publish(site, cache) == 4
    assert _pages(site) == _cold(site, tmp_path)
    assert _publish(site, cache) == 0  # written again, whole


def test_only_the_pages_a_build_made_are_looked_at(site, tmp_path):
    assets, before = fingerprint_tree(site), _pages(site)
    made = ["tin/bai-1/index.html", "tin/bai-9/index.html"]  # bai-9 was made, then pruned
    assert rewrite_pages(site, SITEURL, assets, tmp_path / "pages.json", EPOCH, pages=made) == 1
    after = _pages(site)
    assert after["tin/bai-1/index.html"] == rewrite_html(_page(1).decode(), SITEURL, assets).encode()
    assert {name: after[name] for name in before if name != "tin/bai-1/index.html"} == {
        name: data for name, data in before.items() if name != "tin/bai-1/index.html"
    }


def test_tag_rewrites_remembered_across_pages_give_each_page_its_own_rewriting(site, monkeypatch):
    import portal.assets

    assets = fingerprint_tree(site)
    monkeypatch.setattr(portal.assets, "MEMO_LIMIT", 2)  # a full memo still rewrites every tag
    memo: dict[str, str] = {}
    for number in range(4):
        page = _page(number).decode("latin-1")
        canonical = f'<link rel="canonical" href="{SITEURL}/tin/bai-{number}/">'
        page = page.replace("</head>", canonical + "</head>")
        assert rewrite_html(page, SITEURL, assets, memo) == rewrite_html(page, SITEURL, assets)
    assert len(memo) == 2


def test_a_rewritten_page_is_a_new_file_and_its_recorded_identity_is_its_own(site, tmp_path):
    live = tmp_path / "live"  # a hard-linked copy, as a publish's stage shares its files with the live output
    for path in site.rglob("*"):
        if path.is_file():
            (live / path.relative_to(site)).parent.mkdir(parents=True, exist_ok=True)
            os.link(path, live / path.relative_to(site))
    cache = tmp_path / "pages.json"
    assert rewrite_pages(site, SITEURL, fingerprint_tree(site), cache, EPOCH) == 4
    for number in range(4):
        page = f"tin/bai-{number}/index.html"
        assert (live / page).read_bytes() == _page(number)  # the live copy is untouched
        assert b"integrity=" in (site / page).read_bytes()
    assert (
        rewrite_pages(site, SITEURL, fingerprint_tree(site), cache, EPOCH) == 0
    )  # identities recorded right
