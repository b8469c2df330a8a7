"""A deterministic synthetic Vietnamese archive in the portal's content layout.

``python -m bench.archive N DIR`` writes N articles (about 900 words each as ``wc -w`` counts,
eight sections, 200 tags, 30 authors, 2012–2025) with headings, lists, tables, links and quotes,
photos on some of them, and a few pages. The same N gives the same bytes on every machine.
"""

from __future__ import annotations

import argparse
import random
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from portal.text import fold, slugify  # noqa: E402 (needs ROOT on the path)

SEED = 20261126
SECTIONS = [
    ("tin-tuc-su-kien", "Tin tức - Sự kiện"),
    ("thanh-tra", "Thanh tra"),
    ("tiep-cong-dan", "Tiếp công dân"),
    ("khieu-nai-to-cao", "Giải quyết khiếu nại, tố cáo"),
    ("phong-chong-tham-nhung", "Phòng, chống tham nhũng"),
    ("ket-luan-thanh-tra", "Công khai kết luận thanh tra"),
    ("van-ban", "Văn bản"),
    ("thong-bao", "Thông báo"),
]
SECTION_WEIGHTS = [30, 16, 10, 10, 12, 10, 7, 5]
PROVINCES = [
    "An Giang",
    "Bà Rịa - Vũng Tàu",
    "Bắc Giang",
    "Bắc Kạn",
    "Bạc Liêu",
    "Bắc Ninh",
    "Bến Tre",
    "Bình Định",
    "Bình Dương",
    "Bình Phước",
    "Bình Thuận",
    "Cà Mau",
    "Cần Thơ",
    "Cao Bằng",
    "Đà Nẵng",
    "Đắk Lắk",
    "Đắk Nông",
    "Điện Biên",
    "Đồng Nai",
    "Đồng Tháp",
    "Gia Lai",
    "Hà Giang",
    "Hà Nam",
    "Hà Nội",
    "Hà Tĩnh",
    "Hải Dương",
    "Hải Phòng",
    "Hậu Giang",
    "Hòa Bình",
    "Hưng Yên",
    "Khánh Hòa",
    "Kiên Giang",
    "Kon Tum",
    "Lai Châu",
    "Lâm Đồng",
    "Lạng Sơn",
    "Lào Cai",
    "Long An",
    "Nam Định",
    "Nghệ An",
    "Ninh Bình",
    "Ninh Thuận",
    "Phú Thọ",
    "Phú Yên",
    "Quảng Bình",
    "Quảng Nam",
    "Quảng Ngãi",
    "Quảng Ninh",
    "Quảng Trị",
    "Sóc Trăng",
    "Sơn La",
    "Tây Ninh",
    "Thái Bình",
    "Thái Nguyên",
    "Thanh Hóa",
    "Thừa Thiên Huế",
    "Tiền Giang",
    "TP. Hồ Chí Minh",
    "Trà Vinh",
    "Tuyên Quang",
    "Vĩnh Long",
    "Vĩnh Phúc",
    "Yên Bái",
]
TOPICS = [
    "Đất đai",
    "Đấu thầu",
    "Đầu tư công",
    "Xây dựng cơ bản",
    "Tài chính ngân sách",
    "Y tế",
    "Giáo dục",
    "Tài nguyên khoáng sản",
    "Môi trường",
    "Giao thông",
    "Ngân hàng",
    "Doanh nghiệp nhà nước",
    "Cổ phần hóa",
    "Kê khai tài sản",
    "Xung đột lợi ích",
    "Thu hồi tài sản",
    "Tiếp công dân",
    "Khiếu nại đông người",
    "Tố cáo",
    "Cải cách hành chính",
    "Chuyển đổi số",
    "Hợp tác quốc tế",
    "Công tác cán bộ",
    "Hội nghị",
    "Tập huấn",
    "Pháp luật thanh tra",
    "Luật Phòng",
    "chống tham nhũng",
    "Bảo hiểm xã hội",
    "Thuế",
    "Hải quan",
    "Nhà ở xã hội",
    "Quy hoạch",
    "Nông nghiệp",
    "Thủy lợi",
    "Điện lực",
    "Viễn thông",
    "Dược phẩm",
    "Trang thiết bị y tế",
    "Sách giáo khoa",
    "Vốn ODA",
    "Đường cao tốc",
    "Bồi thường giải phóng mặt bằng",
    "Thi đua khen thưởng",
    "Kỷ luật đảng",
    "Công khai minh bạch",
    "Phòng ngừa tham nhũng",
    "Giám sát",
    "Kiểm tra",
    "Thanh tra chuyên ngành",
    "Thanh tra hành chính",
]
TAGS = [*TOPICS, *(f"Thanh tra tỉnh {p}" for p in PROVINCES), *(f"Sở Tài chính {p}" for p in PROVINCES)]
TAGS = TAGS[:200]
FAMILY = [
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Hoàng",
    "Huỳnh",
    "Phan",
    "Vũ",
    "Võ",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Hồ",
    "Ngô",
    "Dương",
    "Lý",
]
MIDDLE = ["Văn", "Thị", "Hữu", "Đức", "Minh", "Thanh", "Quốc", "Ngọc", "Thu", "Hoài"]
GIVEN = [
    "An",
    "Anh",
    "Bình",
    "Chi",
    "Dũng",
    "Hà",
    "Hải",
    "Hạnh",
    "Hằng",
    "Hiếu",
    "Hòa",
    "Hùng",
    "Hương",
    "Khánh",
    "Lan",
    "Linh",
    "Long",
    "Mai",
    "Nam",
    "Nga",
]
AUTHORS = sorted({f"{FAMILY[i % 16]} {MIDDLE[i % 10]} {GIVEN[(i * 7) % 21]}" for i in range(30)})
UNITS = [
    "Ủy ban nhân dân",
    "Sở Tài nguyên và Môi trường",
    "Sở Xây dựng",
    "Sở Y tế",
    "Sở Giáo dục và Đào tạo",
    "Sở Kế hoạch và Đầu tư",
    "Ban Quản lý dự án",
    "Sở Giao thông vận tải",
    "Sở Nông nghiệp",
    "Tổng công ty",
    "Bệnh viện đa khoa",
    "Trung tâm phát triển quỹ đất",
]
SUBJECTS = [
    "việc quản lý, sử dụng đất đai",
    "công tác đấu thầu mua sắm",
    "việc thực hiện dự án đầu tư công",
    "việc chấp hành pháp luật về phòng, chống tham nhũng",
    "công tác tiếp công dân",
    "việc giải quyết khiếu nại, tố cáo",
    "việc quản lý, sử dụng ngân sách nhà nước",
    "việc cấp phép khai thác khoáng sản",
    "việc cổ phần hóa doanh nghiệp nhà nước",
    "việc mua sắm trang thiết bị y tế",
    "việc bồi thường, hỗ trợ, tái định cư",
    "việc quản lý vốn đầu tư xây dựng cơ bản",
    "công tác cán bộ và kê khai tài sản, thu nhập",
]
TITLE_FORMS = {
    "tin-tuc-su-kien": [
        "Thanh tra Chính phủ làm việc với {unit} tỉnh {province}",
        "Hội nghị sơ kết công tác thanh tra tại {province}",
        "Tổng Thanh tra Chính phủ tiếp đoàn công tác tỉnh {province}",
    ],
    "thanh-tra": [
        "Thanh tra {subject} tại {unit} tỉnh {province}",
        "Công bố quyết định thanh tra {subject} tại tỉnh {province}",
    ],
    "tiep-cong-dan": [
        "Tiếp công dân định kỳ tại tỉnh {province}",
        "Đối thoại với công dân về {subject} ở {province}",
    ],
    "khieu-nai-to-cao": [
        "Giải quyết dứt điểm vụ khiếu nại về {subject} tại {province}",
        "Rà soát các vụ tố cáo liên quan {subject} ở tỉnh {province}",
    ],
    "phong-chong-tham-nhung": [
        "Tăng cường phòng, chống tham nhũng trong {subject} tại {province}",
        "Kiểm soát tài sản, thu nhập tại {unit} tỉnh {province}",
    ],
    "ket-luan-thanh-tra": [
        "Kết luận thanh tra {subject} tại {unit} tỉnh {province}",
        "Công khai kết luận thanh tra {subject} ở {province}",
    ],
    "van-ban": [
        "Quyết định ban hành kế hoạch thanh tra {subject}",
        "Hướng dẫn thực hiện {subject} năm {year}",
    ],
    "thong-bao": [
        "Thông báo lịch tiếp công dân tại {province}",
        "Thông báo kết quả kiểm tra {subject} tại {province}",
    ],
}
WORDS = [
    "thanh tra",
    "kiểm tra",
    "giám sát",
    "cơ quan",
    "đơn vị",
    "cán bộ",
    "công chức",
    "viên chức",
    "người dân",
    "doanh nghiệp",
    "quy định",
    "pháp luật",
    "nghị định",
    "thông tư",
    "quyết định",
    "kết luận",
    "kiến nghị",
    "xử lý",
    "vi phạm",
    "sai phạm",
    "trách nhiệm",
    "tập thể",
    "cá nhân",
    "khắc phục",
    "thiếu sót",
    "tồn tại",
    "hạn chế",
    "nguyên nhân",
    "giải pháp",
    "đoàn thanh tra",
    "thời kỳ thanh tra",
    "hồ sơ",
    "tài liệu",
    "dự án",
    "công trình",
    "gói thầu",
    "hợp đồng",
    "ngân sách",
    "nguồn vốn",
    "tài sản",
    "thu nhập",
    "đất đai",
    "quy hoạch",
    "bồi thường",
    "tái định cư",
    "tiếp công dân",
    "khiếu nại",
    "tố cáo",
    "phản ánh",
    "kiến nghị",
    "đối thoại",
    "hướng dẫn",
    "giải thích",
    "phòng ngừa",
    "phát hiện",
    "tham nhũng",
    "tiêu cực",
    "lãng phí",
    "công khai",
    "minh bạch",
    "trách nhiệm giải trình",
    "chỉ đạo",
    "điều hành",
    "triển khai",
    "thực hiện",
    "nghiêm túc",
    "kịp thời",
    "đầy đủ",
    "đúng quy định",
    "hiệu quả",
    "tỉnh",
    "thành phố",
    "huyện",
    "xã",
    "phường",
    "Ủy ban nhân dân",
    "Hội đồng nhân dân",
    "Sở",
    "ban",
    "ngành",
    "năm",
    "tháng",
    "quý",
    "kế hoạch",
    "chương trình",
    "báo cáo",
    "tổng hợp",
    "đánh giá",
    "sơ kết",
    "tổng kết",
    "đã",
    "đang",
    "sẽ",
    "được",
    "bị",
    "cần",
    "phải",
    "có",
    "không",
    "các",
    "những",
    "một số",
    "nhiều",
    "việc",
    "để",
    "theo",
    "tại",
    "với",
    "và",
]
OPENERS = [
    "Theo báo cáo của đoàn thanh tra",
    "Qua kiểm tra hồ sơ",
    "Tại buổi làm việc",
    "Phát biểu chỉ đạo",
    "Kết quả thanh tra cho thấy",
    "Trong thời kỳ thanh tra",
    "Theo Thanh tra Chính phủ",
    "Đại diện Ủy ban nhân dân tỉnh cho biết",
]
HEADINGS = [
    "Kết quả thanh tra",
    "Những tồn tại, thiếu sót",
    "Kiến nghị xử lý",
    "Trách nhiệm của các bên",
    "Ý kiến của địa phương",
    "Nhiệm vụ thời gian tới",
    "Bối cảnh",
    "Ghi nhận tại cơ sở",
]
DOC_TYPES = [("QĐ", "Quyết định"), ("KH", "Kế hoạch"), ("HD", "Hướng dẫn"), ("TB", "Thông báo")]
IMAGE_COUNT = 24
IMAGE_EVERY = 12  # one article in twelve has a photo
WORDS_PER_ARTICLE = 470  # phrases of one to four syllables: about 900 words as wc counts
START = datetime(2012, 1, 2, 8, 0)
END = datetime(2025, 12, 20, 17, 0)


@dataclass
class Article:
    """One generated article: where it goes and its Markdown text."""

    relative: str
    text: str


def _sentence(rng: random.Random, words: int) -> str:
    picked = rng.choices(WORDS, k=words)
    text = f"{rng.choice(OPENERS)}, {' '.join(picked)}"
    return text[0].upper() + text[1:] + "."


def _paragraph(rng: random.Random, words: int) -> str:
    sentences, left = [], words
    while left > 0:
        size = min(left, rng.randint(14, 26))
        sentences.append(_sentence(rng, size))
        left -= size + 4
    return " ".join(sentences)


def _table(rng: random.Random) -> str:
    rows = ["| Nội dung | Số vụ việc | Số tiền (triệu đồng) |", "|---|---:|---:|"]
    for topic in rng.sample(TOPICS, 4):
        rows.append(f"| {topic} | {rng.randint(1, 90)} | {rng.randint(100, 99999):,} |".replace(",", "."))
    return "\n".join(rows)


def _body(rng: random.Random, earlier: list[str], author: str) -> str:
    parts, words = [], 0
    parts.append(_paragraph(rng, 90))
    words += 90
    heading = 0
    while words < WORDS_PER_ARTICLE:
        kind = rng.random()
        if kind < 0.12 and not parts[-1].startswith("## "):
            parts.append(f"## {HEADINGS[heading % len(HEADINGS)]}")
            heading += 1
        elif kind < 0.22:
            parts.append(
                "\n".join(f"- {_sentence(rng, rng.randint(8, 14))}" for _ in range(rng.randint(3, 5)))
            )
            words += 45
        elif kind < 0.27:
            parts.append(_table(rng))
            words += 30
        elif kind < 0.33:
            parts.append(f"> {_sentence(rng, rng.randint(15, 30))}")
            words += 22
        elif kind < 0.40 and earlier:
            link = rng.choice(earlier)
            parts.append(f"{_paragraph(rng, 40)} Xem thêm: [bài liên quan]({link}).")
            words += 44
        else:
            size = rng.randint(50, 110)
            parts.append(_paragraph(rng, size))
            words += size
    parts.append(author.rsplit(maxsplit=1)[-1] if rng.random() < 0.5 else author)
    return "\n\n".join(parts)


def _title(rng: random.Random, section: str, year: int, seen: set[str]) -> str:
    form = rng.choice(TITLE_FORMS[section])
    title = form.format(
        unit=rng.choice(UNITS),
        province=rng.choice(PROVINCES),
        subject=rng.choice(SUBJECTS),
        year=year,
    )
    if slugify(title) in seen or fold(title) in seen:
        title = f"{title} (đợt {len(seen) % 97 + 1}, {year})"
        number = 2
        while slugify(title) in seen:
            title = f"{title.rsplit(' (', 1)[0]} (đợt {number}, {year})"
            number += 1
    seen.add(slugify(title))
    return title


def _dates(count: int) -> list[datetime]:
    span = (END - START) / max(count, 1)
    return [START + span * index for index in range(count)]


def articles(count: int, seed: int = SEED) -> list[Article]:
    """Return ``count`` articles, oldest first; the same arguments always give the same text."""
    rng = random.Random(seed)  # noqa: S311 (a reproducible corpus, not a secret)
    seen: set[str] = set()
    earlier: list[str] = []
    result = []
    tag_weights = [1 / (rank + 1) ** 0.8 for rank in range(len(TAGS))]
    for index, start in enumerate(_dates(count)):
        moment = (start + timedelta(minutes=rng.randint(0, 59))).replace(second=0, microsecond=0)
        section = rng.choices([s for s, _ in SECTIONS], SECTION_WEIGHTS)[0]
        title = _title(rng, section, moment.year, seen)
        slug = slugify(title)
        tags = list(dict.fromkeys(rng.choices(TAGS, tag_weights, k=rng.randint(2, 4))))
        authors = rng.sample(AUTHORS, 2 if rng.random() < 0.15 else 1)
        lines = [
            f"Title: {title}",
            f"Date: {moment:%Y-%m-%d %H:%M}",
            f"Category: {section}",
            f"Tags: {', '.join(tags)}",
            f"Authors: {', '.join(authors)}",
            f"Summary: (Thanh tra) - {_sentence(rng, rng.randint(25, 40))} {_sentence(rng, 12)}",
        ]
        if index % IMAGE_EVERY == 0:
            number = index // IMAGE_EVERY % IMAGE_COUNT
            lines += [
                f"Image: images/bench/anh-{number:02d}.jpg",
                "Image_alt: Ảnh minh họa buổi làm việc của đoàn thanh tra tại trụ sở cơ quan",
                f"Image_caption: Quang cảnh buổi làm việc tại tỉnh {rng.choice(PROVINCES)} (ảnh minh họa).",
                f"Image_credit: {authors[0]}",
            ]
        if section == "van-ban":
            code, name = rng.choice(DOC_TYPES)
            lines += [
                f"Doc_number: {rng.randint(1, 3999)}/{code}-TTCP",
                f"Doc_type: {name}",
                "Issuer: Thanh tra Chính phủ",
                f"Signed: {moment:%Y-%m-%d}",
            ]
        body = _body(rng, earlier[-200:], authors[0])
        relative = f"articles/{section}/{moment.year}/{slug}.md"
        result.append(Article(relative, "\n".join(lines) + "\n\n" + body + "\n"))
        earlier.append(f"/{section}/{slug}/")
    return result


PAGES = {
    "gioi-thieu": (
        "Giới thiệu",
        "Thanh tra Chính phủ là cơ quan của Chính phủ, thực hiện chức năng "
        "quản lý nhà nước về công tác thanh tra, tiếp công dân, giải quyết khiếu nại, tố cáo "
        "và phòng, chống tham nhũng.",
    ),
    "lien-he": ("Liên hệ", "Trung tâm Thông tin - Thanh tra Chính phủ. Điện thoại: 024 3825 4997."),
}


def image_bytes(number: int, variant: int = 0) -> bytes:
    """Return a small deterministic JPEG photo stand-in (Pillow)."""
    from io import BytesIO

    from PIL import Image, ImageDraw

    image = Image.new("RGB", (800, 450), (20 + number * 9 % 200, 60 + variant * 40 % 160, 120))
    draw = ImageDraw.Draw(image)
    for step in range(0, 800, 40):
        shade = (step // 4 + number * 13 + variant * 31) % 255
        draw.rectangle([step, 300 - shade // 2, step + 30, 450], fill=(shade, 90, 255 - shade))
    out = BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def write_archive(count: int, folder: Path, seed: int = SEED) -> int:
    """Write the archive of ``count`` articles into ``folder``; return the number of files."""
    folder = Path(folder)
    written = 0
    for article in articles(count, seed):
        path = folder / article.relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(article.text, encoding="utf-8")
        written += 1
    images = folder / "images" / "bench"
    images.mkdir(parents=True, exist_ok=True)
    for number in range(min(IMAGE_COUNT, count // IMAGE_EVERY + 1)):
        (images / f"anh-{number:02d}.jpg").write_bytes(image_bytes(number))
        written += 1
    (folder / "pages").mkdir(parents=True, exist_ok=True)
    for slug, (title, text) in PAGES.items():
        (folder / "pages" / f"{slug}.md").write_text(f"Title: {title}\n\n{text}\n", encoding="utf-8")
        written += 1
    return written


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m bench.archive N DIR [--seed S]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int, help="number of articles")
    parser.add_argument("folder", type=Path, help="content folder to write (created)")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    written = write_archive(args.count, args.folder, args.seed)
    print(f"{written} files written to {args.folder}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
