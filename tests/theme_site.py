"""A fixture site for the theme tests: the minimal site plus a photo, an attachment and enough
articles in one section for three pages of pagination (its first page and pages 2 and 1). Built once per test module."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import SITES, run_pelican
from PIL import Image

PHOTO_ARTICLE = "thanh-tra/hoi-nghi-so-ket-cong-tac-thanh-tra/"
FILLER_SECTION = "tiep-cong-dan"
FILLER_COUNT = 65  # the newest 25 on the first page, then pages 2 and 1 of 20 (oldest)

PHOTO_SOURCE = """Title: Hội nghị sơ kết công tác thanh tra 6 tháng
Slug: hoi-nghi-so-ket-cong-tac-thanh-tra
Date: 2026-11-25 08:30
Modified: 2026-11-25 17:45
Category: thanh-tra
Tags: Thanh tra, Hội nghị
Authors: Thanh Danh
Summary: (Thanh tra) - Sáng 25/11, Thanh tra Chính phủ tổ chức hội nghị sơ kết công tác thanh tra 6 tháng.
Image: images/2026/hoi-nghi.jpg
Image_alt: Quang cảnh hội nghị sơ kết tại Hà Nội
Image_caption: Quang cảnh hội nghị.
Image_credit: Thanh Danh
Attachments: files/2026/bao-cao-so-ket.pdf
Related: doan-thanh-tra-lam-viec-tai-dak-lak
Source: Báo Thanh tra

Hội nghị đánh giá kết quả 6 tháng và đề ra nhiệm vụ 6 tháng cuối năm.

## Nhiệm vụ thời gian tới

Tiếp tục đổi mới công tác thanh tra. Xem [bài gốc](https://thanhtravietnam.vn/).

Thanh Danh
"""

FILLER = """Title: Lịch tiếp công dân định kỳ số {n}
Date: 2025-{month:02d}-{day:02d} 09:00
Category: {section}
Authors: Văn phòng
Summary: Lịch tiếp công dân định kỳ số {n} tại Trụ sở Tiếp công dân Trung ương.

Nội dung lịch tiếp công dân số {n}.
"""


def make_theme_site(target: Path) -> Path:
    """Write the theme fixture site into ``target`` and return it."""
    shutil.copytree(SITES / "minimal", target)
    (target / "images" / "2026").mkdir(parents=True)
    Image.new("RGB", (1200, 800), (150, 40, 40)).save(target / "images/2026/hoi-nghi.jpg", quality=70)
    (target / "files" / "2026").mkdir(parents=True)
    (target / "files/2026/bao-cao-so-ket.pdf").write_bytes(b"%PDF-1.4\n" + b"0" * 150_000)
    folder = target / "articles" / "thanh-tra" / "2026"
    folder.mkdir(parents=True)
    (folder / "hoi-nghi-so-ket.md").write_text(PHOTO_SOURCE, encoding="utf-8")
    filler = target / "articles" / FILLER_SECTION / "2025"
    filler.mkdir(parents=True)
    for n in range(1, FILLER_COUNT + 1):
        text = FILLER.format(n=n, month=1 + n % 12, day=1 + n % 28, section=FILLER_SECTION)
        (filler / f"lich-tiep-cong-dan-so-{n}.md").write_text(text, encoding="utf-8")
    return target


def build_theme_site(folder: Path, settings: str = "publishconf.py"):
    """Build the theme fixture site; fail loudly if Pelican fails."""
    site = make_theme_site(folder / "site")
    build = run_pelican(site, folder / "output", settings)
    assert build.returncode == 0, build.log
    return build
