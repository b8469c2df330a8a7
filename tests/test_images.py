"""The image and attachment pipeline: validation, privacy, orientation, caching, cards, markup.

Every test input (photos with GPS, bombs, truncated files, SVG, fake documents) is generated at
run time; only a tiny golden thumbnail is committed.
"""

import dataclasses
import io
import json
import os
import re
import shutil
import subprocess
import sys
import time
import unicodedata
import zipfile
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from conftest import ROOT, SITES, Build
from PIL import Image, ImageChops, ImageCms, ImageDraw, ImageStat

from portal import attachments, cards, imaging, media

sys.path.insert(0, str(ROOT / "plugins"))
from portal_images.markup import picture, rewrite_body  # noqa: E402

GOLDEN = ROOT / "tests" / "golden" / "images"
GPS_IFD, EXIF_IFD, ORIENTATION = 0x8825, 0x8769, 0x0112
SMALL = imaging.Recipe(widths=(120, 240), quality=(("avif", 60), ("jpeg", 85), ("webp", 80)))


def scene(size=(640, 427)) -> Image.Image:
    """A deterministic 'photo': a gradient sky, a red left half marker and shapes."""
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, size[0] // 2, size[1] // 2), fill=(200, 30, 30))
    draw.ellipse((size[0] * 0.55, size[1] * 0.4, size[0] * 0.9, size[1] * 0.9), fill=(20, 60, 160))
    return image


def camera_jpeg(path: Path, orientation: int = 1, size=(640, 427)) -> Path:
    """Write a JPEG as a phone does: EXIF with GPS, camera serial, orientation, XMP, ICC, comment."""
    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[ORIENTATION] = "Canon", "EOS R6", orientation
    exif.get_ifd(EXIF_IFD)[0xA431] = "SERIAL-0123456789"  # BodySerialNumber
    gps = exif.get_ifd(GPS_IFD)
    gps[1], gps[2], gps[3], gps[4] = "N", (21.0, 1.0, 42.0), "E", (105.0, 47.0, 30.0)
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF>GPSLatitude 21.0</rdf:RDF></x:xmpmeta>'
    path.parent.mkdir(parents=True, exist_ok=True)
    scene(size).save(path, "JPEG", exif=exif, icc_profile=srgb, comment=b"Reporter phone", xmp=xmp)
    return path


def pipeline(root: Path, cache: Path, recipe=SMALL, limits=None) -> imaging.Pipeline:
    return imaging.Pipeline(str(root), str(cache), recipe, limits or media.Limits())


def metadata_left(path: Path) -> dict:
    with Image.open(path) as image:
        keys = {"exif", "xmp", "icc_profile", "comment", "XML:com.adobe.xmp", "photoshop"}
        found = {k: v for k, v in image.info.items() if k in keys and v}
        if len(image.getexif()):
            found["getexif"] = dict(image.getexif())
        return found


# --- privacy, orientation, sizes -------------------------------------------------------------


def test_every_derivative_is_stripped_of_gps_serial_xmp_icc_and_comments(tmp_path):
    source = camera_jpeg(tmp_path / "images" / "phone.jpg")
    assert metadata_left(source).keys() >= {"exif", "xmp", "comment", "icc_profile"}  # the input has it all
    batch = imaging.process(pipeline(tmp_path, tmp_path / "cache"), ["images/phone.jpg"])
    found = batch.sets["images/phone.jpg"]
    assert {v.format for v in found.variants} == {"avif", "webp", "jpeg"}
    cache = imaging.ImageCache(tmp_path / "cache")
    for variant in found.variants:
        data = cache.variant_file(found.key, variant).read_bytes()
        assert b"SERIAL-0123456789" not in data and b"Reporter phone" not in data
        assert metadata_left(cache.variant_file(found.key, variant)) == {}, variant.url


def test_exif_orientation_is_applied_to_pixels(tmp_path):
    camera_jpeg(tmp_path / "images" / "rotated.jpg", orientation=6)  # stored landscape, shown portrait
    found = imaging.process(pipeline(tmp_path, tmp_path / "cache"), ["images/rotated.jpg"]).sets[
        "images/rotated.jpg"
    ]
    assert (found.width, found.height) == (427, 640)
    largest = found.of("jpeg")[0]
    with Image.open(imaging.ImageCache(tmp_path / "cache").variant_file(found.key, largest)) as image:
        assert image.size == (240, 360)
        red, green, _ = image.convert("RGB").getpixel((image.width - 20, 20))
        assert red > 150 and green < 90  # the red top-left corner turned to the top right


def test_encoding_does_not_depend_on_the_machine_cpu_count(monkeypatch):
    from PIL import AvifImagePlugin

    image = imaging.prepare(scene((900, 600)))
    encoded = {}
    for cpus in (1, 2, 8):
        monkeypatch.setattr(AvifImagePlugin, "_get_default_max_threads", lambda cpus=cpus: cpus)
        encoded[cpus] = [imaging.encode(image, fmt, imaging.Recipe()) for fmt in ("avif", "webp", "jpeg")]
    assert encoded[1] == encoded[2] == encoded[8]


def test_widths_never_upscale():
    recipe = imaging.Recipe(widths=(480, 960, 1600))
    assert recipe.widths_for(4000) == [1600, 960, 480]
    assert recipe.widths_for(700) == [700, 480]
    assert recipe.widths_for(300) == [300]


def test_derivatives_match_the_golden_thumbnail_within_tolerance(tmp_path):
    source = tmp_path / "images" / "scene.png"
    source.parent.mkdir()
    scene().save(source)
    found = imaging.process(pipeline(tmp_path, tmp_path / "cache"), ["images/scene.png"]).sets[
        "images/scene.png"
    ]
    golden = Image.open(GOLDEN / "scene-120.png").convert("RGB")
    for variant in (v for v in found.variants if v.width == 120):
        with Image.open(imaging.ImageCache(tmp_path / "cache").variant_file(found.key, variant)) as image:
            assert image.size == golden.size == (120, 80)
            difference = ImageStat.Stat(ImageChops.difference(image.convert("RGB"), golden)).mean
            assert max(difference) < 4, (variant.format, difference)


def test_names_carry_the_content_hash_and_change_with_the_bytes(tmp_path):
    camera_jpeg(tmp_path / "images" / "a.jpg")
    first = imaging.process(pipeline(tmp_path, tmp_path / "cache"), ["images/a.jpg"]).sets["images/a.jpg"]
    assert re.fullmatch(r"images/a-[0-9a-f]{12}-240\.avif", first.variants[0].url)
    camera_jpeg(tmp_path / "images" / "a.jpg", size=(600, 400))
    second = imaging.process(pipeline(tmp_path, tmp_path / "cache"), ["images/a.jpg"]).sets["images/a.jpg"]
    assert first.key != second.key and first.variants[0].url != second.variants[0].url


def test_unchanged_images_are_never_opened_again(tmp_path, monkeypatch):
    for name in ("a", "b", "c"):
        camera_jpeg(tmp_path / "images" / f"{name}.jpg")
    sources = ["images/a.jpg", "images/b.jpg", "images/c.jpg"]
    cold = imaging.process(pipeline(tmp_path, tmp_path / "cache"), sources, workers=2)
    assert (cold.encoded, cold.cached) == (3, 0)
    # A fresh clone resets mtimes: the cache is keyed by content, so touching changes nothing.
    for source in sources:
        (tmp_path / source).touch()

    def forbidden(*args, **kwargs):
        raise AssertionError("Pillow was called on a warm rebuild")

    monkeypatch.setattr(Image, "open", forbidden)
    monkeypatch.setattr(Image.Image, "save", forbidden)
    warm = imaging.process(pipeline(tmp_path, tmp_path / "cache"), sources, workers=2)
    assert (warm.encoded, warm.cached) == (0, 3)
    assert warm.sets == cold.sets
    assert warm.sets["images/a.jpg"].variants[0].url.startswith("images/a-")
    assert warm.sets["images/c.jpg"].variants[0].url.startswith("images/c-")


# --- refused inputs ---------------------------------------------------------------------------


def _bomb(path: Path) -> None:
    Image.new("1", (12000, 12000)).save(path)  # 144 Mpx in a few kilobytes


def _truncated(path: Path) -> None:
    buffer = io.BytesIO()
    scene().save(buffer, "JPEG")
    path.write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])


def _png_named_jpg(path: Path) -> None:
    scene().save(path, "PNG")


def _svg(path: Path) -> None:
    path.write_text('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')


def _text(path: Path) -> None:
    path.write_text("not an image at all")


@pytest.mark.parametrize(
    ("make", "name", "rule", "words"),
    [
        (_bomb, "bomb.png", "image-bomb", "bom giải nén"),
        (_truncated, "cut.jpg", "image-corrupt", "bị hỏng hoặc tải lên chưa hết"),
        (
            _png_named_jpg,
            "screenshot.jpg",
            "image-wrong-extension",
            'thực chất là PNG nhưng đuôi tệp là ".jpg"',
        ),
        (_svg, "logo.svg", "image-svg", "không nhận SVG"),
        (_text, "note.jpg", "image-not-image", "không phải ảnh"),
    ],
    ids=["decompression-bomb", "truncated", "wrong-extension", "svg", "not-an-image"],
)
def test_bad_images_give_their_message_naming_the_file(tmp_path, make, name, rule, words):
    (tmp_path / "images").mkdir()
    make(tmp_path / "images" / name)
    batch = imaging.process(pipeline(tmp_path, tmp_path / "cache"), [f"images/{name}"])
    problem = batch.problems[f"images/{name}"]
    assert problem.rule == rule and words in problem.message and f"images/{name}" in problem.message
    assert batch.sets == {}


def test_image_over_the_byte_limit_is_refused(tmp_path):
    camera_jpeg(tmp_path / "images" / "big.jpg")
    limits = media.Limits(image_max_bytes=1000)
    problem = imaging.process(pipeline(tmp_path, tmp_path / "c", limits=limits), ["images/big.jpg"]).problems
    assert problem["images/big.jpg"].rule == "image-too-large"


# --- attachments ------------------------------------------------------------------------------


def _zip(path: Path, parts: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return path


def test_attachments_are_typed_by_their_bytes(tmp_path):
    files = tmp_path / "files"
    files.mkdir()
    (files / "ok.pdf").write_bytes(b"%PDF-1.7\n" + b"0" * 3000)
    _zip(files / "ok.docx", {"[Content_Types].xml": "", "word/document.xml": ""})
    _zip(files / "ok.xlsx", {"[Content_Types].xml": "", "xl/workbook.xml": ""})
    _zip(files / "ok.odt", {"mimetype": "application/vnd.oasis.opendocument.text"})
    _zip(files / "fake.xlsx", {"word/document.xml": ""})
    _png_named_jpg(files / "scan.pdf")
    (files / "setup.exe").write_bytes(b"MZ")
    (files / "Quyết định.pdf").write_bytes(b"%PDF-1.7")

    def check(name):
        ref = media.Reference("attachment", f"files/{name}", 3, written=f"files/{name}")
        try:
            return attachments.check_attachment(tmp_path, ref, media.Limits(attachment_max_bytes=10_000))
        except media.MediaProblem as problem:
            return problem.rule

    assert check("ok.pdf").as_dict() == {
        "url": "files/ok.pdf",
        "name": "ok.pdf",
        "type": "PDF",
        "mime": "application/pdf",
        "length": 3009,
        "size": "3 KB",
    }
    assert check("ok.docx").label == "Word" and check("ok.xlsx").label == "Excel"
    assert check("ok.odt").mime == "application/vnd.oasis.opendocument.text"
    assert check("fake.xlsx") == "attachment-mismatch"
    assert check("scan.pdf") == "attachment-mismatch"
    assert check("setup.exe") == "attachment-type"
    assert check("Quyết định.pdf") == "attachment-name"
    assert check("missing.pdf") == "attachment-missing"
    (files / "huge.pdf").write_bytes(b"%PDF-1.7\n" + b"0" * 20_000)
    assert check("huge.pdf") == "attachment-too-large"


def test_sizes_are_written_the_vietnamese_way():
    assert media.format_size(850) == "850 byte"
    assert media.format_size(12 * 1024) == "12 KB"
    assert media.format_size(int(1.25 * 1024 * 1024)) == "1,2 MB"


# --- invoke check's entry point ---------------------------------------------------------------


def test_check_media_names_file_and_line_of_each_problem(tmp_path):
    (tmp_path / "images").mkdir()
    camera_jpeg(tmp_path / "images" / "ok.jpg")
    _truncated(tmp_path / "images" / "cut.jpg")
    article = tmp_path / "articles" / "bai.md"
    article.parent.mkdir()
    article.write_text(
        "Title: Bài\nImage: images/cut.jpg\nAttachments: files/thieu.pdf\n\nMở đầu.\n\n"
        "![](images/ok.jpg)\n\n![Ảnh mô tả](https://example.com/a.jpg)\n",
        encoding="utf-8",
    )
    values = {"image": "images/cut.jpg", "attachments": ["files/thieu.pdf"]}
    lines = {"title": 1, "image": 2, "attachments": 3}
    found = media.check_media(tmp_path, [(str(article), values, lines)])
    got = {(f.line, f.rule) for f in found}
    assert got == {
        (2, "image-alt"),
        (2, "image-corrupt"),
        (3, "attachment-missing"),
        (7, "image-alt"),
        (9, "image-external"),
    }
    assert all(f.path == str(article) and f.is_error for f in found)


# --- social cards -----------------------------------------------------------------------------


def _glyph(font, text: str) -> bytes:
    canvas = Image.new("L", (80, 80))
    ImageDraw.Draw(canvas).text((10, 10), text, font=font, fill=255)
    return canvas.tobytes()


def test_card_font_draws_every_vietnamese_letter():
    folder = ROOT / "plugins" / "portal_images" / "fonts"
    fonts = cards.Fonts(str(folder / "NotoSans-Regular.ttf"), str(folder / "NotoSans-Bold.ttf"))
    font = cards._font(fonts.bold, 40)
    tofu = _glyph(font, "\ue000")  # a private-use code point: the font's "missing glyph" box
    for letter in "ăâđêôơưĐặẩẫệộờửữỳỹ":
        base = {"đ": "d", "Đ": "D"}.get(letter, unicodedata.normalize("NFD", letter)[0])
        drawn = _glyph(font, letter)
        assert drawn not in (tofu, _glyph(font, base)), letter
    title = "Thanh tra Đắk Lắk " * 12
    image = cards.draw(cards.Card(title, "Thanh tra", "26/11/2026", "Thanh tra Chính phủ", "Cổng"), fonts)
    assert image.size == (1200, 630)
    _, lines = cards.fit_title(title, fonts, 1024)
    assert len(lines) == 4 and lines[-1].endswith("…")


TITLES = [
    "Thanh tra Chính phủ công bố kết luận thanh tra việc quản lý, sử dụng đất đai tại tỉnh Đồng Tháp"
    " giai đoạn 2015-2020",
    "Đảng ủy họp phiên thường kỳ",
    "Quyết định số 12/QĐ-TTCP về việc “phê duyệt” kế hoạch thanh tra năm 2027 (ÂĂÊÔƠƯ ĐỲỸ)",
    "Hội nghị tổng kết công tác tiếp công dân, giải quyết khiếu nại, tố cáo năm 2026 và triển khai"
    " nhiệm vụ năm 2027 của ngành Thanh tra",
    "Thanh tra Đắk Lắk " * 12,  # too long at every size: cut with …
    "Ý kiến",
    "Tỉnh-ủy-Bà-Rịa-Vũng-Tàu-và-Thành-phố-Hồ-Chí-Minh-ký-kết-chương-trình-phối-hợp-dài-hơn-một-dòng x",
]


def _fonts() -> cards.Fonts:
    folder = ROOT / "plugins" / "portal_images" / "fonts"
    return cards.Fonts(str(folder / "NotoSans-Regular.ttf"), str(folder / "NotoSans-Bold.ttf"))


def _reference_fit(title: str, fonts: cards.Fonts, width: int) -> list[str]:
    """The title fitting of card VERSION 2: every candidate line measured whole by Pillow."""
    for size in cards.TITLE_SIZES:
        font = cards._font(fonts.bold, size)
        lines = []
        for word in title.split():
            if lines and font.getlength(f"{lines[-1]} {word}") <= width:
                lines[-1] = f"{lines[-1]} {word}"
            else:
                lines.append(word)
        if len(lines) <= cards.TITLE_LINES:
            return lines
    lines = lines[: cards.TITLE_LINES]
    while font.getlength(f"{lines[-1]} …") > width and " " in lines[-1]:
        lines[-1] = lines[-1].rsplit(" ", 1)[0]
    return [*lines[:-1], f"{lines[-1]} …"]


def _reference_draw(card: cards.Card, fonts: cards.Fonts) -> Image.Image:
    """The card as Pillow's ``ImageDraw.text`` draws it line by line (card VERSION 2)."""
    image = cards._frame(card.agency, card.site, fonts).copy()
    pen = ImageDraw.Draw(image)
    lines = _reference_fit(card.title, fonts, 1024)
    font = cards.fit_title(card.title, fonts, 1024)[0]
    step = round(font.size * 1.3)
    top = 310 - step * len(lines) // 2
    for index, line in enumerate(lines):
        pen.text((cards.MARGIN + 32, top + index * step), line, font=font, fill=cards.NAVY, anchor="lt")
    pen.text((cards.MARGIN, 568), card.section, font=cards._font(fonts.bold, 28), fill=cards.RED, anchor="lm")
    right = cards.SIZE[0] - cards.MARGIN
    pen.text((right, 568), card.date, font=cards._font(fonts.regular, 28), fill=cards.GREY, anchor="rm")
    return image


def test_card_words_measured_once_add_up_to_pillows_line_width():
    fonts = _fonts()
    for size in (*cards.TITLE_SIZES, 28):
        font = cards._font(fonts.bold, size)
        for title in TITLES:
            words = title.split()
            assert cards.line_width(words, font) == font.getlength(" ".join(words)), (size, title)


@pytest.mark.parametrize("title", TITLES, ids=lambda t: t[:24])
def test_card_title_breaks_like_measuring_whole_lines(title):
    fonts = _fonts()
    assert cards.fit_title(title, fonts, 1024)[1] == _reference_fit(title, fonts, 1024)


@pytest.mark.parametrize("title", TITLES, ids=lambda t: t[:24])
def test_card_drawn_word_by_word_looks_like_pillows_text(title):
    fonts = _fonts()
    card = cards.Card(
        title, "Tin tức - Sự kiện", "26/11/2026", "Thanh tra Chính phủ", "Cổng thông tin điện tử"
    )
    difference = ImageChops.difference(cards.draw(card, fonts), _reference_draw(card, fonts))
    assert max(high for _, high in difference.getextrema()) <= 2, title  # identical, rounding aside


def test_card_key_changes_with_what_is_drawn():
    card = cards.Card("Tiêu đề", "Thanh tra", "26/11/2026", "Thanh tra Chính phủ", "Cổng")
    changed = [
        dataclasses.replace(card, title="Tiêu đề mới"),
        dataclasses.replace(card, section="Văn bản"),
        dataclasses.replace(card, date="27/11/2026"),
        dataclasses.replace(card, agency="Thanh tra"),
        dataclasses.replace(card, site="Cổng thông tin"),
    ]
    keys = {cards.card_key(c, "fonts") for c in [card, *changed]} | {cards.card_key(card, "new fonts")}
    assert len(keys) == 7
    assert cards.card_key(card, "fonts") == cards.card_key(dataclasses.replace(card), "fonts")


def _card_jobs(tmp_path: Path, fonts: cards.Fonts, count: int = 4) -> list[tuple[cards.Card, str, str]]:
    jobs = []
    for number in range(count):
        card = cards.Card(
            f"Kết luận thanh tra số {number} về đất đai", "Thanh tra", "26/11/2026", "TTCP", "Cổng"
        )
        key = cards.card_key(card, fonts.digest())
        jobs.append((card, key, str(tmp_path / "out" / "images" / "og" / f"bai-{number}-{key[:12]}.jpg")))
    return jobs


def test_cards_drawn_beside_the_build_equal_those_drawn_in_it_and_are_recorded(tmp_path):
    from portal_images.images import CardDrawing

    from portal.incremental import OUTPUTS

    fonts, cache = _fonts(), tmp_path / "cache"
    jobs = _card_jobs(tmp_path, fonts)
    drawing = CardDrawing(jobs, [f"bai-{n}.md" for n in range(4)], fonts, str(cache), 2)
    assert drawing.wait() == []
    for card, key, output in jobs:
        assert Path(output).read_bytes() == cards.encode(card, fonts)
        assert Path(imaging.ImageCache(cache).card_file(key)).read_bytes() == cards.encode(card, fonts)
        assert os.path.samefile(output, imaging.ImageCache(cache).card_file(key))  # linked, not written again
        assert output in OUTPUTS.produced  # or portal_perf would prune it
    assert all(process.returncode == 0 for process, _, _ in drawing.processes)
    assert not list(cache.glob(".cards-*"))  # the order files are removed


def test_cards_drawn_beside_the_build_reach_the_output_only_after_its_gate(tmp_path):
    from portal_images.images import CardDrawing

    fonts, cache = _fonts(), tmp_path / "cache"
    jobs = _card_jobs(tmp_path, fonts)
    drawing = CardDrawing(jobs, [f"bai-{n}.md" for n in range(4)], fonts, str(cache), 1)
    deadline = time.monotonic() + 60
    while not all(Path(imaging.ImageCache(cache).card_file(key)).is_file() for _, key, _ in jobs):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    processes = [process for process, _, _ in drawing.processes]
    drawing.stop()  # the gate stopped the build
    assert not (tmp_path / "out").exists()
    assert all(process.poll() is not None for process in processes)


def test_the_build_waiting_for_cards_draws_the_last_ones_until_it_meets_the_process(tmp_path):
    """``CardDrawing.wait`` helps each process from the end of its order; it stops at a drawn card."""
    from portal_images.images import CardDrawing

    fonts, cache = _fonts(), tmp_path / "cache"
    jobs = _card_jobs(tmp_path, fonts, 6)
    drawing = CardDrawing([], [], fonts, str(cache), 1)  # no process of its own to race with
    assert drawing.wait() == []
    store = imaging.ImageCache(cache)
    store.store_card(jobs[2][1], b"drawn by the process")  # the process got this far
    drawing_still = subprocess.Popen(["sleep", "60"])  # a process still running, drawing nothing
    try:
        assert drawing._help(drawing_still, jobs) == 3  # cards 5, 4 and 3
    finally:
        drawing_still.kill()
        drawing_still.wait()
    for card, key, output in jobs[3:]:
        assert Path(output).read_bytes() == cards.encode(card, fonts)
        assert os.path.samefile(output, store.card_file(key))
    assert Path(store.card_file(jobs[2][1])).read_bytes() == b"drawn by the process"
    assert store.load_card(jobs[1][1]) is None and not Path(jobs[1][2]).exists()
    # A process that has ended is not helped: whatever it left undrawn, it reported.
    assert drawing._help(drawing_still, _card_jobs(tmp_path / "other", fonts, 2)) == 0


def test_a_card_process_skips_the_cards_the_build_drew_and_links_them(tmp_path):
    fonts, cache = _fonts(), tmp_path / "cache"
    jobs = _card_jobs(tmp_path, fonts, 3)
    store = imaging.ImageCache(cache)
    store.store_card(jobs[2][1], b"drawn by the build")
    order = tmp_path / "order.json"
    cards.write_order(str(order), fonts, str(cache), jobs)
    done = subprocess.run(
        [sys.executable, "-m", "portal.cards", str(order)], input=b"1", capture_output=True, cwd=ROOT, check=False
    )
    assert done.returncode == 0 and json.loads(done.stdout.decode().splitlines()[-1]) == {"drawn": 3}
    assert Path(jobs[2][2]).read_bytes() == b"drawn by the build"  # not drawn again, linked
    for card, _, output in jobs[:2]:
        assert Path(output).read_bytes() == cards.encode(card, fonts)


def test_a_card_that_cannot_be_drawn_stops_the_build_naming_its_article(tmp_path, caplog):
    from portal_images import images

    fonts = cards.Fonts(str(tmp_path / "khong-co.ttf"), str(tmp_path / "khong-co.ttf"))
    jobs = _card_jobs(tmp_path, _fonts(), 3)
    sources = ["articles/a.md", "articles/b.md", "articles/c.md"]
    images._DRAWING.append(images.CardDrawing(jobs, sources, fonts, str(tmp_path / "cache"), 2))
    with pytest.raises(images.CardError) as stopped:
        images.finish_cards(None)
    assert "thẻ chia sẻ" in str(stopped.value) and not images._DRAWING
    problems = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert len(problems) == 2 and "articles/a.md" in problems[0] and "articles/b.md" in problems[1]
    assert all("OSError" in problem for problem in problems)
    assert not (tmp_path / "out").exists()


# --- markup -----------------------------------------------------------------------------------


def _set() -> imaging.ImageSet:
    variants = [
        imaging.Variant(f"images/x-k-{w}{imaging.SUFFIX[f]}", w, w * 2 // 3, f, 100)
        for w in (960, 480)
        for f in ("avif", "webp", "jpeg")
    ]
    return imaging.ImageSet("images/x.jpg", "k", 960, 640, variants)


def test_body_images_become_pictures_and_lone_ones_figures():
    body = (
        '<p><img alt="Hội nghị &amp; đại biểu" src="{static}/images/x.jpg" title="Chú thích"></p>\n'
        '<p>Chữ <img alt="nhỏ" src="/images/x.jpg"> giữa dòng.</p>\n<p><img alt="khác" src="/images/y.jpg"></p>'
    )
    soup = BeautifulSoup(rewrite_body(body, {"images/x.jpg": _set()}, "https://a.vn", "100vw"), "html.parser")
    figure = soup.find("figure")
    assert figure.figcaption.get_text() == "Chú thích"
    img = figure.find("img")
    assert img["alt"] == "Hội nghị & đại biểu" and img["width"] == "960" and img["height"] == "640"
    assert img["loading"] == "lazy" and img["decoding"] == "async"
    assert img["src"] == "https://a.vn/images/x-k-960.jpg"
    assert [s["type"] for s in figure.find_all("source")] == ["image/avif", "image/webp"]
    assert (
        figure.source["srcset"]
        == "https://a.vn/images/x-k-960.avif 960w, https://a.vn/images/x-k-480.avif 480w"
    )
    inline = soup.find_all("p")[0]
    assert inline.find("picture") is not None and inline.find("figure") is None
    assert soup.find("img", src="/images/y.jpg") is not None  # unknown image left for its finding


def test_picture_dict_lists_every_variant_for_feeds_and_api():
    image = picture(_set(), "alt", "100vw", "Chú thích", "Hoàng Nam")
    assert image["src"] == "images/x-k-960.jpg" and (image["width"], image["height"]) == (960, 640)
    assert {v["type"] for v in image["variants"]} == {"image/avif", "image/webp", "image/jpeg"}
    assert all(v["length"] == 100 for v in image["variants"])
    assert image["enclosure"] == {
        "url": "images/x-k-960.jpg",
        "width": 960,
        "height": 640,
        "type": "image/jpeg",
        "length": 100,
    }


# --- real builds ------------------------------------------------------------------------------


ARTICLE = """Title: Hội nghị có ảnh
Date: 2026-11-20 09:00
Category: tin-tuc-su-kien
Authors: Hoàng Nam
Summary: Bài có ảnh đại diện, ảnh trong bài và tệp đính kèm.
Image: images/2026/hoi-nghi.jpg
Image_alt: Toàn cảnh hội trường
Image_caption: Quang cảnh hội nghị.
Image_credit: Hoàng Nam
Attachments: files/2026/ke-hoach.pdf

Mở đầu.

![Đại biểu phát biểu]({static}/images/2026/phat-bieu.jpg "Đại biểu phát biểu tại hội nghị")
"""


def image_site(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    shutil.copytree(SITES / "minimal", site)
    article = site / "articles" / "tin-tuc-su-kien" / "2026" / "hoi-nghi-co-anh.md"
    article.write_text(ARTICLE, encoding="utf-8")
    camera_jpeg(site / "images" / "2026" / "hoi-nghi.jpg", orientation=6, size=(900, 600))
    camera_jpeg(site / "images" / "2026" / "phat-bieu.jpg", size=(500, 333))
    (site / "pages" / "tru-so.md").write_text(
        "Title: Trụ sở\nImage: images/2026/phat-bieu.jpg\nImage_alt: Trụ sở cơ quan\n\nĐịa chỉ.\n",
        encoding="utf-8",
    )
    (site / "files" / "2026").mkdir(parents=True)
    (site / "files" / "2026" / "ke-hoach.pdf").write_bytes(b"%PDF-1.7\n" + b"0" * 5000)
    return site


COUNTING_PELICAN = """
import atexit, sys
from PIL import Image
calls = []
for owner, name in ((Image, "open"), (Image, "new"), (Image.Image, "save")):
    def counted(*args, _original=getattr(owner, name), _name=name, **kwargs):
        calls.append(_name)
        return _original(*args, **kwargs)
    setattr(owner, name, counted)
atexit.register(lambda: print("PILLOW_CALLS", len(calls)))
from pelican import main
main(sys.argv[1:])
"""


BESIDE = """
sys.path.insert(0, {plugins!r})
import portal_images.images
portal_images.images.BACKGROUND_MIN = 1  # every missing card drawn beside the build
"""


def build(site: Path, out: Path, cache: Path, beside: bool = False) -> Build:
    """Publish ``site`` in one process (one worker) and count every Pillow open, new and save.

    ``beside``: with two workers, the cards drawn by processes beside the build however few.
    """
    script = COUNTING_PELICAN
    if beside:
        script = script.replace(
            "from pelican import main",
            BESIDE.format(plugins=str(ROOT / "plugins")) + "from pelican import main",
        )
    command = [
        sys.executable,
        "-c",
        script,
        str(site),
        "-s",
        str(ROOT / "publishconf.py"),
        "-o",
        str(out),
        "--log-handler",
        "plain",
        "-e",
        f'CACHE_PATH="{cache}"',
        f"PORTAL_IMAGES_WORKERS={2 if beside else 1}",
    ]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
    return Build(done.returncode, done.stdout + done.stderr, out)


def pillow_calls(result: Build) -> int:
    return int(re.search(r"PILLOW_CALLS (\d+)", result.log)[1])


def test_build_publishes_only_stripped_derivatives_and_a_social_card(tmp_path):
    site, cache = image_site(tmp_path), tmp_path / "cache"
    result = build(site, tmp_path / "out", cache)
    assert result.returncode == 0, result.log
    assert pillow_calls(result) > 2 * 2 * 3  # two sources opened, 12 derivatives and 5 cards saved
    files = result.files()
    images = [f for f in files if f.startswith("images/") and not f.startswith("images/og/")]
    assert "images/2026/hoi-nghi.jpg" not in files and "images/2026/phat-bieu.jpg" not in files
    assert len(images) == 2 * 3 * 2  # two sources, three formats, two widths each (never upscaled)
    for relative in images:
        assert metadata_left(result.output / relative) == {}, relative

    soup = BeautifulSoup(result.read("tin-tuc-su-kien/hoi-nghi-co-anh/index.html"), "html.parser")
    lead = soup.select_one(".portal-article > figure.portal-figure")
    img = lead.find("img")
    assert (img["width"], img["height"]) == ("600", "900")  # orientation applied
    assert "loading" not in img.attrs and img["decoding"] == "async"  # the lead image is above the fold
    assert img["alt"] == "Toàn cảnh hội trường"
    assert lead.figcaption.get_text(" ", strip=True) == "Quang cảnh hội nghị. Ảnh: Hoàng Nam"
    assert img["src"].startswith("https://thanhtra.gov.vn/images/2026/hoi-nghi-")
    body = soup.select_one(".portal-article__body figure")
    assert (
        body.find("img")["loading"] == "lazy"
        and body.figcaption.get_text() == "Đại biểu phát biểu tại hội nghị"
    )
    for element in soup.find_all(["img", "source"]):
        for url in re.findall(
            r"https://thanhtra\.gov\.vn/(\S+)", element.get("srcset", "") + " " + element.get("src", "")
        ):
            assert url in files, url

    og = soup.find("meta", property="og:image")["content"]
    card = og.removeprefix("https://thanhtra.gov.vn/")
    assert re.fullmatch(r"images/og/tin-tuc-su-kien/hoi-nghi-co-anh-[0-9a-f]{12}\.jpg", card)
    with Image.open(result.output / card) as image:
        assert image.size == (1200, 630)
    page = BeautifulSoup(result.read("tru-so/index.html"), "html.parser")
    assert page.select_one("figure.portal-figure img")["alt"] == "Trụ sở cơ quan"
    attachment = soup.select_one(".portal-attachments li")
    assert attachment.a["href"] == "https://thanhtra.gov.vn/files/2026/ke-hoach.pdf"
    assert attachment.get_text(" ", strip=True) == "ke-hoach.pdf (PDF, 5 KB)"

    again = build(site, tmp_path / "out2", cache)
    assert again.returncode == 0, again.log
    assert pillow_calls(again) == 0  # nothing changed: Pillow is not called at all
    assert again.files() == files
    assert all((again.output / f).read_bytes() == (result.output / f).read_bytes() for f in images)


def test_strict_publish_stops_on_bad_media_naming_article_line_and_file(tmp_path):
    site = image_site(tmp_path)
    article = site / "articles" / "tin-tuc-su-kien" / "2026" / "hoi-nghi-co-anh.md"
    article.write_text(
        ARTICLE.replace("Image_alt: Toàn cảnh hội trường\n", "")
        .replace("ke-hoach.pdf", "khong-co.pdf")
        .replace("images/2026/hoi-nghi.jpg", "images/2026/bom.png")
        + "![Ảnh thiếu](images/2026/khong-co.jpg)\n",
        encoding="utf-8",
    )
    _bomb(site / "images" / "2026" / "bom.png")
    result = build(site, tmp_path / "out", tmp_path / "cache")
    assert result.returncode == 1
    assert "Traceback" not in result.log
    path = "2026/hoi-nghi-co-anh.md"
    assert re.search(rf"{path}:6: error: \[image-alt\] .*images/2026/bom\.png", result.log)
    assert re.search(rf"{path}:6: error: \[image-bomb\] .*images/2026/bom\.png", result.log)
    assert re.search(rf"{path}:9: error: \[attachment-missing\] .*files/2026/khong-co\.pdf", result.log)
    assert re.search(rf"{path}:14: error: \[image-missing\] .*images/2026/khong-co\.jpg", result.log)
    assert not (tmp_path / "out" / "index.html").exists()


def test_cards_drawn_beside_the_build_give_the_same_release_as_drawn_in_it(tmp_path):
    site = image_site(tmp_path)
    inline = build(site, tmp_path / "inline", tmp_path / "cache-inline")
    beside = build(site, tmp_path / "beside", tmp_path / "cache-beside", beside=True)
    assert inline.returncode == 0 and beside.returncode == 0, beside.log
    files = inline.files()
    assert any(f.startswith("images/og/") for f in files) and beside.files() == files
    for relative in files:
        assert (beside.output / relative).read_bytes() == (inline.output / relative).read_bytes(), relative
        assert (beside.output / relative).stat().st_mtime == (inline.output / relative).stat().st_mtime


def test_a_strict_build_stopped_by_its_gate_publishes_no_card_drawn_beside(tmp_path):
    site = image_site(tmp_path)
    article = site / "articles" / "tin-tuc-su-kien" / "2026" / "hoi-nghi-co-anh.md"
    article.write_text(ARTICLE.replace("Image_alt: Toàn cảnh hội trường\n", ""), encoding="utf-8")
    result = build(site, tmp_path / "out", tmp_path / "cache", beside=True)
    assert result.returncode == 1 and "Traceback" not in result.log
    assert not (tmp_path / "out" / "images" / "og").exists()


def test_check_media_reads_invoke_check_documents(tmp_path):
    from portal.check import read_tree
    from portal.metadata import sections_from_settings

    sys.path.insert(0, str(ROOT))
    import pelicanconf

    article = tmp_path / "articles" / "thanh-tra" / "bai.md"
    article.parent.mkdir(parents=True)
    article.write_text(
        "Title: Bài\nDate: 2026-11-20 09:00\nCategory: thanh-tra\nAuthors: A\nSummary: S\n"
        "Image: images/khong-co.jpg\n\nThân bài.\n",
        encoding="utf-8",
    )
    documents = read_tree(tmp_path, "articles", "pages", sections_from_settings(pelicanconf.SECTIONS))
    found = media.check_media(tmp_path, documents)
    assert [(f.line, f.rule) for f in found] == [(6, "image-alt"), (6, "image-missing")]


@pytest.mark.system
def test_chromium_shows_the_avif_source_with_reserved_space(tmp_path, browser, serve_dir):
    site = image_site(tmp_path)
    out = tmp_path / "out"
    command = [
        sys.executable,
        "-m",
        "pelican",
        str(site),
        "-s",
        str(ROOT / "pelicanconf.py"),
        "-o",
        str(out),
        "--log-handler",
        "plain",
        "-e",
        f'CACHE_PATH="{tmp_path / "cache"}"',
        'SITEURL=""',
    ]
    subprocess.run(command, check=True, capture_output=True, cwd=ROOT)
    url = serve_dir(out) + "/tin-tuc-su-kien/hoi-nghi-co-anh/"
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2)
    page = context.new_page()
    page.goto(url, wait_until="networkidle")
    lead = page.locator(".portal-article > figure img")
    assert lead.evaluate("img => img.complete && img.naturalWidth") > 0
    assert lead.evaluate("img => img.currentSrc").endswith(".avif")
    body = page.locator(".portal-article__body img")
    box = body.bounding_box()  # lazy and not loaded yet, but its box already has the photo's ratio
    assert abs(box["height"] / box["width"] - 333 / 500) < 0.02
    context.close()


def test_image_paths_leaving_the_content_folder_are_refused(tmp_path):
    article = tmp_path / "bai.md"
    article.write_text("Title: Bài\nImage: ../../etc/passwd\nImage_alt: x\n\n", encoding="utf-8")
    values = {"image": "../../etc/passwd", "image_alt": "x"}
    found = media.check_media(tmp_path, [(str(article), values, {"image": 2})])
    assert [(f.line, f.rule) for f in found] == [(2, "image-path")]


def test_public_names_are_ascii_slugs_whatever_the_file_is_called():
    name = imaging.public_name("images/Hội nghị 2026/Ảnh Đại biểu.JPG", "abcdef0123456789", 960, "webp")
    assert name == "images/hoi-nghi-2026/anh-dai-bieu-abcdef012345-960.webp"


def test_reference_cache_reads_a_file_again_only_when_its_bytes_change(tmp_path):
    import hashlib

    article = tmp_path / "bai.md"
    # CR and CRLF line ends and a byte that is not UTF-8: read as ``read_text(errors="replace")`` reads.
    article.write_bytes(ARTICLE.replace("\nMở đầu.\n", "\r\nMở @ đầu.\r\r\n").encode().replace(b"@", b"\xff"))
    values = {
        "image": "images/2026/hoi-nghi.jpg",
        "image_alt": "Toàn cảnh hội trường",
        "attachments": ["x.pdf"],
    }
    lines = {"image": 6, "attachments": 10}

    def run(digest):
        cache = media.ReferenceCache(tmp_path / "refs.sqlite")
        found = cache.references(str(article), values, lines, digest)
        cache.save()
        return found, cache.read

    def expected():
        return media.references(article.read_text(encoding="utf-8", errors="replace"), values, lines)

    digest = hashlib.sha256(article.read_bytes()).hexdigest()
    assert run(digest) == (expected(), 1)
    assert run(digest) == (expected(), 0)  # unchanged bytes: not opened
    assert [r.kind for r in expected()] == ["image", "attachment", "inline"]
    # An edit gives the file a new hash: its references are read again.
    article.write_text(ARTICLE + "\n![Ảnh mới](images/2026/moi.jpg)\n", encoding="utf-8")
    edited = hashlib.sha256(article.read_bytes()).hexdigest()
    assert run(edited) == (expected(), 1) and expected()[-1].target == "images/2026/moi.jpg"
    assert run(edited) == (expected(), 0)
    # No hash, or one naming bytes never read: the file is read.
    assert run(None) == (expected(), 1)
    assert run("0" * 64) == (expected(), 1)
    # A damaged cache file is ignored, then written again.
    (tmp_path / "refs.sqlite").write_bytes(b"not a database" * 100)
    for extra in tmp_path.glob("refs.sqlite-*"):
        extra.unlink()
    assert run(edited) == (expected(), 1)
    assert run(edited) == (expected(), 0)


def test_rebuild_sees_an_image_added_to_an_unchanged_cache(tmp_path):
    site, cache = image_site(tmp_path), tmp_path / "cache"
    assert build(site, tmp_path / "out", cache).returncode == 0
    article = site / "articles" / "tin-tuc-su-kien" / "2026" / "hoi-nghi-co-anh.md"
    article.write_text(ARTICLE + "\n![Ảnh chưa có](images/2026/khong-co.jpg)\n", encoding="utf-8")
    result = build(site, tmp_path / "out", cache)
    assert result.returncode == 1
    assert re.search(r"hoi-nghi-co-anh\.md:16: error: \[image-missing\] .*khong-co\.jpg", result.log), (
        result.log
    )


def test_card_names_are_made_once_per_file_state_and_salt(tmp_path):
    path = str(tmp_path / "card-names.pickle")
    made = []

    def run(keys, salt=b"a"):
        names = cards.CardNames(path, salt)
        found = [names.get(key, lambda key=key: made.append(key) or f"name-{key}") for key in keys]
        names.save()
        return found, names.made

    assert run(["x", "y"]) == (["name-x", "name-y"], 2)
    mtime = (tmp_path / "card-names.pickle").stat().st_mtime_ns
    assert run(["x", "y"]) == (["name-x", "name-y"], 0)  # kept: nothing made, nothing written
    assert (tmp_path / "card-names.pickle").stat().st_mtime_ns == mtime
    assert run(["x"]) == (["name-x"], 0)  # y forgotten
    assert run(["x", "y"]) == (["name-x", "name-y"], 1)
    assert run(["x", None]) == (["name-x", "name-None"], 1)  # no key: made every time, never kept
    assert run(["x"], salt=b"b") == (["name-x"], 1)  # new code, settings or fonts: made again
    (tmp_path / "card-names.pickle").write_bytes(b"damaged")
    assert run(["x"], salt=b"b") == (["name-x"], 1)
    assert made == ["x", "y", "y", None, "x", "x"]


def test_a_file_linked_from_the_cache_is_copied_where_no_link_can_be_made(tmp_path, monkeypatch):
    from portal.incremental import OUTPUTS, link_from_cache

    cached = tmp_path / "cache" / "the.jpg"
    cached.parent.mkdir()
    cached.write_bytes("\xff\xd8 thẻ chia sẻ".encode())
    linked, copied = tmp_path / "out" / "a" / "linked.jpg", tmp_path / "out" / "copied.jpg"
    link_from_cache(cached, linked)
    assert os.path.samefile(linked, cached)

    def no_link(*args, **kwargs):
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", no_link)  # the cache on another filesystem
    link_from_cache(cached, copied)
    assert copied.read_bytes() == cached.read_bytes()
    assert not os.path.samefile(copied, cached)
    assert {str(linked), str(copied)} <= OUTPUTS.produced
    assert sorted(p.name for p in copied.parent.iterdir()) == ["a", "copied.jpg"]  # no temporary left


def test_a_published_file_found_in_place_is_the_one_target_gives_and_no_other(tmp_path):
    from portal_images.images import _in_place

    from portal.output import target

    out = tmp_path / "out"
    (out / "images" / "og").mkdir(parents=True)
    (out / "images" / "og" / "a-1.jpg").write_bytes(b"1234")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "b-1.jpg").write_bytes(b"1234")
    (out / "linked").symlink_to(elsewhere)  # a folder that is a link: its files take the checked way
    (out / "images" / "og" / "c-1.jpg").symlink_to(out / "images" / "og" / "a-1.jpg")
    root, plain = os.path.realpath(out), {}
    found = _in_place(root, "images/og/a-1.jpg", 4, plain)
    assert found == str(target(out, "images/og/a-1.jpg"))
    assert _in_place(root, "images/og/a-1.jpg", 5, plain) is None  # another size
    assert _in_place(root, "images/og/a-1.jpg", None, plain) is None  # no size known
    assert _in_place(root, "images/og/missing-1.jpg", 4, plain) is None
    assert _in_place(root, "images/og/c-1.jpg", 4, plain) is None  # a link
    assert _in_place(root, "linked/b-1.jpg", 4, plain) is None
    assert _in_place(root, "../elsewhere/b-1.jpg", 4, plain) is None  # outside the output


def test_a_rebuild_keeps_published_images_and_puts_back_a_damaged_one(tmp_path):
    site, cache, out = image_site(tmp_path), tmp_path / "cache", tmp_path / "out"
    assert build(site, out, cache).returncode == 0
    published = sorted(p for p in (out / "images").rglob("*") if p.is_file())
    assert published
    before = {p: (p.stat().st_ino, p.read_bytes()) for p in published}
    damaged = next(p for p in published if p.suffix == ".webp")
    damaged.unlink()
    damaged.write_bytes(b"short")
    assert build(site, out, cache).returncode == 0
    after = {p: (p.stat().st_ino, p.read_bytes()) for p in published}
    assert after[damaged][1] == before[damaged][1]  # linked from the cache again
    assert {p: v for p, v in after.items() if p != damaged} == {
        p: v for p, v in before.items() if p != damaged
    }
