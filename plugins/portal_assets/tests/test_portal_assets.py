"""The map of the theme's assets: the names and digests the templates write, known before any page."""

import os
from pathlib import Path

import pytest

from portal.assets import AssetError, AssetMap, fingerprint_tree, rewrite_html, theme_assets, theme_files

SITEURL = "https://thanhtra.gov.vn"
CSS = (
    "@font-face{font-family:Noto;src:url(../fonts/noto.woff2) format('woff2')}"
    ".logo{background:url('/theme/images/biểu-trưng.svg?v=1')}.x{background:url(data:image/png;base64,AA)}"
)
PAGE = (
    '<!doctype html><html lang="vi"><head><link rel="stylesheet" href="{site}/theme/css/portal.css">'
    '<link rel="icon" href="/theme/images/biểu-trưng.svg"></head><body><h1>Thanh tra Chính phủ</h1>'
    '<script src="{site}/theme/js/portal.js" defer></script></body></html>'
)


@pytest.fixture
def theme(tmp_path):
    """A theme with two static folders, as the preview has (``static`` and ``preview``)."""
    root = tmp_path / "theme"
    files = {
        "static/css/portal.css": CSS.encode(),
        "static/fonts/noto.woff2": b"wOF2 stand-in",
        "static/fonts/OFL.txt": b"SIL Open Font License",
        "static/images/biểu-trưng.svg": b"<svg xmlns='http://www.w3.org/2000/svg'/>",
        "static/js/portal.js": b"document.documentElement.classList.add('js');",
        "static/js/.#portal.js": b"an editor's lock file",
        "preview/js/preview.js": b"new EventSource('/_preview/events');",
    }
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return root


def _copied(theme: Path, output: Path, paths=("static", "preview")) -> Path:
    """The theme's static folders copied into ``output/theme`` as Pelican's static generator does."""
    from pelican.utils import copy

    for path in paths:
        copy(str(theme / path), str(output / "theme" / "."), [".#*"])
    return output


def test_the_map_is_what_fingerprinting_the_copied_theme_gives(theme, tmp_path):
    output = _copied(theme, tmp_path / "output")
    assets = theme_assets(theme, ["static", "preview"], "theme", [".#*"])
    assert fingerprint_tree(output) == assets.assets
    assert sorted(assets.assets) == [
        "theme/css/portal.css",
        "theme/fonts/noto.woff2",
        "theme/images/biểu-trưng.svg",
        "theme/js/portal.js",
        "theme/js/preview.js",
    ]
    for name, data in assets.files.items():
        assert (output / name).read_bytes() == data


def test_a_stylesheet_points_at_the_fingerprinted_fonts_and_images(theme):
    assets = theme_assets(theme, ["static"])
    css = assets.files[assets.fingerprinted("theme/css/portal.css")].decode()
    font = Path(assets.fingerprinted("theme/fonts/noto.woff2")).name
    image = Path(assets.fingerprinted("theme/images/biểu-trưng.svg")).name
    assert f"url(../fonts/{font})" in css
    assert f"url('/theme/images/{image}?v=1')" in css
    assert "url(data:image/png;base64,AA)" in css


def test_a_later_static_path_replaces_a_file_and_ignored_files_are_left_out(theme, tmp_path):
    (theme / "preview" / "js" / "portal.js").write_bytes(b"console.log('preview');")
    sources = theme_files(theme, ["static", "preview"], "theme", [".#*"])
    assert sources["theme/js/portal.js"] == theme / "preview" / "js" / "portal.js"
    assert not any(".#" in name or name.endswith(".txt") for name in sources)
    assert "theme/js/.#portal.js" in theme_files(theme, ["static"], "theme", [])
    assert sorted(theme_files(theme, ["static/js/portal.js"], "assets")) == ["assets/portal.js"]


def test_the_filters_give_the_names_and_digests_a_page_rewrite_gives(theme):
    assets = theme_assets(theme, ["static"])
    written = (
        f'<!doctype html><html lang="vi"><head><link rel="stylesheet" '
        f'href="{SITEURL}/{assets.fingerprinted("theme/css/portal.css")}" '
        f'integrity="{assets.integrity("theme/css/portal.css")}">'
        f'<link rel="icon" href="/{assets.fingerprinted("theme/images/biểu-trưng.svg")}"></head>'
        "<body><h1>Thanh tra Chính phủ</h1>"
        f'<script src="{SITEURL}/{assets.fingerprinted("theme/js/portal.js")}" defer '
        f'integrity="{assets.integrity("theme/js/portal.js")}"></script></body></html>'
    )
    assert rewrite_html(PAGE.format(site=SITEURL), SITEURL, assets.assets) == written
    assert rewrite_html(written, SITEURL, assets.assets) == written  # nothing left to rewrite


def test_an_unknown_asset_is_an_error_naming_it(theme):
    assets = theme_assets(theme, ["static"])
    with pytest.raises(AssetError, match="theme/css/khong-co.css"):
        assets.fingerprinted("theme/css/khong-co.css")
    with pytest.raises(AssetError, match="theme/fonts/OFL.txt"):
        assets.integrity("theme/fonts/OFL.txt")  # copied as it is, never fingerprinted


def test_an_edited_theme_file_gives_a_new_map_in_the_same_process(theme):
    before = theme_assets(theme, ["static"])
    assert theme_assets(theme, ["static"]) is before  # unchanged files: not read again
    stylesheet = theme / "static" / "css" / "portal.css"
    replacement = stylesheet.with_name("new.css")
    replacement.write_bytes(CSS.replace("Noto", "Noto Serif").encode())
    os.replace(replacement, stylesheet)  # as editors and git replace files
    after = theme_assets(theme, ["static"])
    assert after.fingerprinted("theme/css/portal.css") != before.fingerprinted("theme/css/portal.css")
    assert after.assets["theme/js/portal.js"] == before.assets["theme/js/portal.js"]


def test_writing_the_files_again_leaves_them_alone(theme, tmp_path):
    assets = theme_assets(theme, ["static"])
    assets.write(tmp_path / "output")
    inodes = {name: (tmp_path / "output" / name).stat().st_ino for name in assets.files}
    assets.write(tmp_path / "output")
    assert {name: (tmp_path / "output" / name).stat().st_ino for name in assets.files} == inodes


def test_no_theme_folder_gives_no_assets(tmp_path):
    assert AssetMap.of_files({}).files == {}
    assert theme_assets(tmp_path / "missing", ["static"]).assets == {}
    assert fingerprint_tree(tmp_path) == {}
