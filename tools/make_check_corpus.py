"""Write a large generated archive of valid articles, to measure ``invoke check``.

Usage: ``python tools/make_check_corpus.py DIR [--articles 10000]``; then
``invoke check --content DIR``. Articles spread over the eight sections and 2015–2026, with tags,
Related links, internal links and a few paragraphs each, like the real archive.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pelicanconf as conf  # noqa: E402

TAGS = ["Thanh tra", "Tiếp công dân", "Phòng, chống tham nhũng", "Đất đai", "Đầu tư công", "Kết luận"]
PARAGRAPH = (
    "Đoàn thanh tra của Thanh tra Chính phủ đã làm việc với Ủy ban nhân dân tỉnh về việc chấp hành "
    "chính sách, pháp luật trong quản lý, sử dụng đất đai và đầu tư xây dựng. Kết quả thanh tra cho "
    "thấy còn một số tồn tại, hạn chế cần khắc phục trong thời gian tới."
)


def article(index: int, rng: random.Random) -> tuple[str, str, str]:
    """Return (section, year, text) of article ``index``."""
    section = conf.SECTIONS[index % len(conf.SECTIONS)][0]
    year = 2015 + index % 11
    related = f"bai-so-{rng.randrange(index)}" if index else ""
    link = f"[bài trước]({{filename}}/articles/{section}/{year}/bai-so-{index}.md)"
    header = [
        f"Title: Bài số {index}: hội nghị về công tác thanh tra, tiếp công dân",
        f"Date: {year}-{1 + index % 12:02d}-{1 + index % 28:02d} 08:{index % 60:02d}",
        f"Category: {section}",
        f"Tags: {', '.join(rng.sample(TAGS, 2)).replace('Phòng, chống', 'Phòng chống')}",
        "Authors: Phương Anh",
        f"Summary: (Thanh tra) - Sapo của bài số {index}, tóm tắt nội dung chính của tin.",
    ]
    if section == "van-ban":
        header.append(f"Doc_number: {index}/QĐ-TTCP")
    if related:
        header.append(f"Related: {related}")
    body = "\n\n".join([PARAGRAPH] * 4 + [f"Xem thêm {link}.", "## Kết luận", PARAGRAPH, "Phương Anh"])
    return section, str(year), "\n".join(header) + "\n\n" + body + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write the corpus."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("target", type=Path)
    parser.add_argument("--articles", type=int, default=10_000)
    args = parser.parse_args(argv)
    rng = random.Random(7)  # noqa: S311 (reproducible sample text, not security)
    for index in range(args.articles):
        section, year, text = article(index, rng)
        path = args.target / "articles" / section / year / f"bai-so-{index}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
