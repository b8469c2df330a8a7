"""A deterministic corpus of generated Vietnamese news articles for the search benchmarks.

``documents(n)`` returns ``portal.search.SearchDocument`` values; ``write_site(folder, n)`` writes
the same articles as Markdown files a Pelican build reads.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path

from portal.search import SearchDocument
from portal.text import TIMEZONE, slugify

SECTIONS = [
    "tin-tuc-su-kien", "thanh-tra", "tiep-cong-dan", "khieu-nai-to-cao",
    "phong-chong-tham-nhung", "ket-luan-thanh-tra", "van-ban", "thong-bao",
]  # fmt: skip
SUBJECTS = [
    "Thanh tra Chính phủ", "Đoàn thanh tra", "Ủy ban nhân dân tỉnh", "Đảng ủy Thanh tra Chính phủ",
    "Tổng Thanh tra Chính phủ", "Phó Tổng Thanh tra", "Cục Phòng, chống tham nhũng", "Ban Tiếp công dân",
    "Thanh tra tỉnh", "Sở Tài nguyên và Môi trường", "Bộ Tài chính", "Hội đồng nhân dân thành phố",
]  # fmt: skip
VERBS = [
    "làm việc với", "công bố kết luận thanh tra tại", "kiểm tra việc thực hiện", "chỉ đạo", "đánh giá",
    "tiếp nhận đơn thư của", "giải quyết khiếu nại, tố cáo về", "kiến nghị xử lý", "đôn đốc",
    "tổng kết công tác", "triển khai kế hoạch", "rà soát", "thu hồi tài sản của", "phối hợp với",
]  # fmt: skip
OBJECTS = [
    "quản lý đất đai", "đầu tư công", "mua sắm trang thiết bị y tế", "phòng, chống tham nhũng, tiêu cực",
    "tiếp công dân định kỳ", "cổ phần hóa doanh nghiệp nhà nước", "giải phóng mặt bằng", "thủy lợi",
    "kê khai tài sản, thu nhập", "dự án giao thông", "quy hoạch xây dựng", "khai thác khoáng sản",
    "quản lý ngân sách", "chính sách bảo hiểm xã hội", "đấu thầu", "cấp giấy chứng nhận quyền sử dụng đất",
    "đường dài", "đạt kết quả", "đất nước", "công tác cán bộ", "chuyển đổi số", "cải cách hành chính",
]  # fmt: skip
PLACES = [
    "Hà Nội", "Thành phố Hồ Chí Minh", "Đà Nẵng", "Đắk Lắk", "Đồng Nai", "Cần Thơ", "Bắc Ninh",
    "Quảng Ninh", "Nghệ An", "Thanh Hóa", "Lâm Đồng", "Bình Dương", "Hải Phòng", "Khánh Hòa", "Gia Lai",
]  # fmt: skip
CLAUSES = [
    "Qua thanh tra đã phát hiện nhiều sai phạm", "đoàn kiến nghị thu hồi về ngân sách nhà nước",
    "các đơn vị cần khắc phục ngay những tồn tại, hạn chế", "người đứng đầu phải chịu trách nhiệm",
    "công tác tiếp công dân được thực hiện nghiêm túc", "nhiều vụ việc phức tạp, kéo dài đã được giải quyết",
    "việc công khai, minh bạch được chú trọng", "Tổng Thanh tra yêu cầu tăng cường kiểm tra, giám sát",
    "hồ sơ được chuyển cơ quan điều tra", "kết quả này góp phần nâng cao hiệu lực, hiệu quả quản lý nhà nước",
    "ý kiến của người dân được lắng nghe", "hội nghị đánh giá cao tinh thần trách nhiệm của cán bộ",
]  # fmt: skip
START = datetime(2010, 1, 1, 8, 0, tzinfo=TIMEZONE)


def _sentence(rng: random.Random) -> str:
    return (
        f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)} tại {rng.choice(PLACES)}; "
        f"{rng.choice(CLAUSES)}, với {rng.randint(2, 950)} hồ sơ và {rng.randint(1, 90)} tỷ đồng."
    )


def documents(count: int, seed: int = 66) -> list[SearchDocument]:
    """Return ``count`` articles of about 450 words, dated over 16 years, in eight sections."""
    rng = random.Random(seed)  # noqa: S311 (a reproducible corpus, not a secret)
    found = []
    for n in range(count):
        title = f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)} tại {rng.choice(PLACES)}"
        date = START + timedelta(minutes=n * 831 + rng.randint(0, 400))
        summary = "(Thanh tra) - " + _sentence(rng)
        body = "\n\n".join(" ".join(_sentence(rng) for _ in range(4)) for _ in range(5))
        section = rng.choice(SECTIONS)
        found.append(SearchDocument(f"{section}/{slugify(title)}-{n}/", title, section, date, summary, body))
    return found


def write_site(folder: Path, count: int, seed: int = 66) -> None:
    """Write the corpus as ``articles/<section>/<year>/<slug>.md`` files under ``folder``."""
    for doc in documents(count, seed):
        slug = doc.url.rstrip("/").split("/")[-1]
        path = folder / "articles" / doc.section / f"{doc.date:%Y}" / f"{slug}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            f"Title: {doc.title}\nDate: {doc.date:%Y-%m-%d %H:%M}\nCategory: {doc.section}\n"
            f"Slug: {slug}\nAuthors: Phóng viên\nSummary: {doc.summary}\n\n{doc.body}\n\nPV\n",
            encoding="utf-8",
        )
