"""Make the sample photos and PDF attachments of ``content/`` (Pillow only, deterministic).

The photos are generated illustrations (gradients, soft lights and simple silhouettes of a
building, a meeting hall, a reception desk…), not pictures of real people or places. The PDFs
are one-page sample documents rendered as images; their text is Vietnamese when a font with
Vietnamese coverage is installed (Liberation Serif or DejaVu), plain ASCII otherwise.

Run from the project folder::

    python tools/make_sample_media.py            # writes content/images/… and content/files/…
    python tools/make_sample_media.py --content /tmp/site/content

Two runs on the same machine write byte-identical files: every random choice comes from a seeded
generator and the PDF dates are fixed.
"""

from __future__ import annotations

import argparse
import math
import random
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

ROOT = Path(__file__).resolve().parent.parent
PHOTO_SIZE = (1600, 1067)
SCALE = 2  # shapes are drawn at twice the size and scaled down, for smooth edges
PHOTO_MAX_BYTES = 250 * 1024
PDF_MAX_BYTES = 150 * 1024
PAGE_DPI = 150
PAGE_SIZE = (1240, 1754)  # A4 at 150 dpi
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf",
    "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSerif.ttf",
    "/Library/Fonts/Times New Roman.ttf",
    "C:/Windows/Fonts/times.ttf",
)
VIETNAMESE_PROBE = "ăâđêôơưĐạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ"
SAMPLE_NOTE = "Tài liệu mẫu dùng cho bản thử nghiệm Cổng thông tin điện tử Thanh tra Chính phủ."

Color = tuple[int, int, int]


@dataclass(frozen=True)
class Photo:
    """One generated photo: where it goes, its look and its motif."""

    path: str
    motif: str
    top: Color
    bottom: Color
    ink: Color
    seed: int


@dataclass(frozen=True)
class Document:
    """One generated PDF: where it goes and the text on its page."""

    path: str
    number: str
    day: str  # ISO date, also the PDF's creation date
    kind: str
    title: str
    paragraphs: tuple[str, ...]
    signer: tuple[str, ...] = ("KT. TỔNG THANH TRA", "PHÓ TỔNG THANH TRA")


PHOTOS = (
    Photo("images/2019/so-ket-trung-tam-thong-tin.jpg", "hall", (28, 74, 128), (196, 220, 240),
          (18, 38, 70), 2019),
    Photo("images/2020/hoi-nghi-truc-tuyen.jpg", "video", (40, 60, 110), (150, 190, 230),
          (20, 28, 60), 2020),
    Photo("images/2021/tiep-cong-dan.jpg", "desk", (196, 120, 72), (250, 226, 190),
          (86, 44, 26), 2021),
    Photo("images/2023/tap-huan-luat-thanh-tra.jpg", "hall", (34, 102, 84), (210, 236, 214),
          (16, 54, 44), 2023),
    Photo("images/2024/doan-thanh-tra-lam-viec.jpg", "table", (22, 96, 110), (196, 232, 232),
          (12, 48, 58), 20241),
    Photo("images/2024/cong-bo-ket-luan.jpg", "papers", (26, 40, 82), (212, 196, 150),
          (20, 26, 52), 20242),
    Photo("images/2024/hoi-nghi-phong-chong-tham-nhung.jpg", "hall", (150, 30, 36),
          (246, 206, 170), (80, 18, 22), 20243),
    Photo("images/2024/chuyen-doi-so.jpg", "network", (52, 40, 120), (120, 190, 232),
          (24, 20, 64), 20244),
    Photo("images/2025/tru-so-thanh-tra-chinh-phu.jpg", "building", (70, 130, 200),
          (236, 240, 236), (34, 52, 78), 2025),
    Photo("images/2026/doi-thoai-khieu-nai.jpg", "table", (176, 110, 30), (250, 234, 200),
          (84, 52, 18), 2026),
)

CONCLUSION_SIGNER = ("TỔNG THANH TRA", "(Đã ký)")

DOCUMENTS = (
    Document(
        "files/2020/quyet-dinh-ke-hoach-thanh-tra-nam-2021.pdf", "Số: 1250/QĐ-TTCP", "2020-12-15",
        "QUYẾT ĐỊNH", "Về việc phê duyệt Kế hoạch thanh tra năm 2021 của Thanh tra Chính phủ",
        (
            "Điều 1. Phê duyệt Kế hoạch thanh tra năm 2021 của Thanh tra Chính phủ kèm theo "
            "Quyết định này.",
            "Điều 2. Các Cục, Vụ và đơn vị thuộc Thanh tra Chính phủ căn cứ Kế hoạch được phê "
            "duyệt tổ chức thực hiện, bảo đảm đúng tiến độ, chất lượng; không để chồng chéo, "
            "trùng lặp với hoạt động kiểm toán nhà nước.",
            "Điều 3. Quyết định này có hiệu lực kể từ ngày ký. Chánh Văn phòng, Thủ trưởng các "
            "đơn vị có liên quan chịu trách nhiệm thi hành Quyết định này.",
        ),
    ),
    Document(
        "files/2022/ke-hoach-chuyen-doi-so-nam-2022.pdf", "Số: 356/KH-TTCP", "2022-03-01",
        "KẾ HOẠCH", "Ứng dụng công nghệ thông tin, phát triển Chính phủ số và chuyển đổi số "
        "năm 2022",
        (
            "I. MỤC ĐÍCH, YÊU CẦU. Đẩy mạnh ứng dụng công nghệ thông tin trong quản lý, điều "
            "hành; nâng cao chất lượng Cổng thông tin điện tử và các cơ sở dữ liệu của ngành "
            "Thanh tra.",
            "II. NHIỆM VỤ. 1. Hoàn thiện hạ tầng kỹ thuật, bảo đảm an toàn, an ninh mạng. "
            "2. Số hóa hồ sơ, tài liệu thanh tra. 3. Kết nối, chia sẻ dữ liệu về tiếp công dân, "
            "khiếu nại, tố cáo với các bộ, ngành, địa phương.",
            "III. TỔ CHỨC THỰC HIỆN. Trung tâm Thông tin chủ trì, phối hợp với Văn phòng và các "
            "đơn vị theo dõi, đôn đốc, báo cáo kết quả thực hiện.",
        ),
    ),
    Document(
        "files/2023/thong-tu-quy-trinh-tiep-cong-dan.pdf", "Số: 06/2023/TT-TTCP", "2023-09-01",
        "THÔNG TƯ", "Quy định quy trình tiếp công dân (bản mẫu)",
        (
            "Chương I. QUY ĐỊNH CHUNG. Điều 1. Phạm vi điều chỉnh: Thông tư này quy định trình tự "
            "tiếp công dân tại trụ sở tiếp công dân và địa điểm tiếp công dân.",
            "Chương II. TRÌNH TỰ TIẾP CÔNG DÂN. Đón tiếp, xác định nhân thân; nghe, ghi chép nội "
            "dung; tiếp nhận đơn, tài liệu; phân loại và xử lý; thông báo kết quả cho công dân.",
            "Chương III. ĐIỀU KHOẢN THI HÀNH. Thông tư có hiệu lực từ ngày 16 tháng 10 năm 2023.",
        ),
    ),
    Document(
        "files/2024/chi-thi-tang-cuong-tiep-cong-dan.pdf", "Số: 01/CT-TTCP", "2024-03-12",
        "CHỈ THỊ", "Về tăng cường công tác tiếp công dân, giải quyết khiếu nại, tố cáo",
        (
            "1. Thủ trưởng các cơ quan thanh tra trực tiếp tiếp công dân định kỳ và đột xuất "
            "theo quy định của Luật Tiếp công dân.",
            "2. Tập trung rà soát, giải quyết dứt điểm các vụ việc khiếu nại, tố cáo đông người, "
            "phức tạp, kéo dài, nhất là trong lĩnh vực đất đai.",
            "3. Ứng dụng phần mềm quản lý, cập nhật đầy đủ dữ liệu về tiếp công dân, xử lý đơn.",
        ),
    ),
    Document(
        "files/2025/cong-van-huong-dan-thi-hanh-luat-thanh-tra.pdf", "Số: 1486/TTCP-PC",
        "2025-07-08", "CÔNG VĂN", "V/v hướng dẫn triển khai thi hành Luật Thanh tra",
        (
            "Kính gửi: Các bộ, cơ quan ngang bộ; Ủy ban nhân dân các tỉnh, thành phố trực thuộc "
            "Trung ương.",
            "Thanh tra Chính phủ đề nghị các cơ quan, đơn vị tổ chức quán triệt, tập huấn nội "
            "dung Luật Thanh tra và các văn bản quy định chi tiết; rà soát quy chế, quy trình "
            "nội bộ cho phù hợp; báo cáo kết quả về Thanh tra Chính phủ (qua Vụ Pháp chế).",
        ),
    ),
    Document(
        "files/2026/quy-che-quan-ly-cong-thong-tin-dien-tu.pdf", "Số: 215/QĐ-TTCP", "2026-03-20",
        "QUYẾT ĐỊNH", "Ban hành Quy chế quản lý, vận hành Cổng thông tin điện tử Thanh tra "
        "Chính phủ",
        (
            "Điều 1. Ban hành kèm theo Quyết định này Quy chế quản lý, vận hành Cổng thông tin "
            "điện tử Thanh tra Chính phủ.",
            "Điều 2. Trung tâm Thông tin là đơn vị thường trực, chịu trách nhiệm về nội dung, "
            "kỹ thuật và an toàn thông tin của Cổng.",
            "Điều 3. Quyết định có hiệu lực kể từ ngày 01 tháng 4 năm 2026.",
        ),
    ),
    Document(
        "files/2021/ket-luan-thanh-tra-so-xay-dung-tinh-a.pdf", "Số: 425/KL-TTCP", "2021-04-12",
        "KẾT LUẬN THANH TRA", "Việc chấp hành pháp luật về quản lý quy hoạch, cấp phép xây "
        "dựng tại Sở Xây dựng tỉnh A",
        (
            "I. KHÁI QUÁT CHUNG. Thời kỳ thanh tra từ 01/01/2017 đến 31/12/2019.",
            "II. KẾT QUẢ KIỂM TRA, XÁC MINH. Một số hồ sơ cấp phép xây dựng chưa đầy đủ thành "
            "phần theo quy định; việc điều chỉnh quy hoạch chi tiết ở một số khu chưa lấy ý kiến "
            "cộng đồng dân cư đầy đủ.",
            "III. KẾT LUẬN VÀ KIẾN NGHỊ. Yêu cầu Ủy ban nhân dân tỉnh A chỉ đạo khắc phục tồn tại, "
            "tổ chức kiểm điểm trách nhiệm tập thể, cá nhân có liên quan.",
        ),
        CONCLUSION_SIGNER,
    ),
    Document(
        "files/2022/ket-luan-thanh-tra-du-an-giao-thong-tinh-b.pdf", "Số: 1130/KL-TTCP",
        "2022-06-27", "KẾT LUẬN THANH TRA", "Việc quản lý, sử dụng vốn đầu tư công tại một số "
        "dự án giao thông trên địa bàn tỉnh B",
        (
            "I. KHÁI QUÁT CHUNG. Thanh tra 04 dự án giao thông sử dụng vốn ngân sách nhà nước.",
            "II. KẾT QUẢ. Công tác lập, thẩm định dự toán còn sai sót về khối lượng, đơn giá; "
            "một số gói thầu chậm tiến độ, chưa xử lý hợp đồng theo quy định.",
            "III. KIẾN NGHỊ. Thu hồi các khoản chi sai về ngân sách nhà nước; rà soát, điều chỉnh "
            "kế hoạch vốn; kiểm điểm trách nhiệm của chủ đầu tư và các đơn vị tư vấn.",
        ),
        CONCLUSION_SIGNER,
    ),
    Document(
        "files/2023/ket-luan-thanh-tra-quan-ly-dat-dai-tinh-d.pdf", "Số: 2087/KL-TTCP",
        "2023-12-04", "KẾT LUẬN THANH TRA", "Việc quản lý, sử dụng đất đai tại tỉnh Đ",
        (
            "I. KHÁI QUÁT CHUNG. Thời kỳ thanh tra từ 01/7/2014 đến 31/12/2021.",
            "II. KẾT QUẢ. Việc giao đất, cho thuê đất ở một số dự án chưa qua đấu giá theo quy "
            "định; việc xác định giá đất cụ thể có trường hợp chưa sát giá thị trường.",
            "III. KIẾN NGHỊ. Rà soát các dự án chậm tiến độ để xử lý theo quy định của pháp luật "
            "về đất đai; hoàn thiện hồ sơ địa chính; kiểm điểm trách nhiệm có liên quan.",
        ),
        CONCLUSION_SIGNER,
    ),
    Document(
        "files/2024/ket-luan-thanh-tra-so-y-te-tinh-m.pdf", "Số: 1542/KL-TTCP", "2024-09-16",
        "KẾT LUẬN THANH TRA", "Việc mua sắm trang thiết bị, vật tư y tế tại Sở Y tế tỉnh M",
        (
            "I. KHÁI QUÁT CHUNG. Thời kỳ thanh tra từ 01/01/2020 đến 31/12/2022.",
            "II. KẾT QUẢ. Một số gói thầu xây dựng giá kế hoạch chưa đủ căn cứ; hồ sơ mời thầu có "
            "tiêu chí chưa phù hợp, hạn chế sự tham gia của nhà thầu.",
            "III. KIẾN NGHỊ. Chấn chỉnh công tác đấu thầu; thu hồi khoản chênh lệch giá; chuyển "
            "cơ quan điều tra xem xét những nội dung có dấu hiệu vi phạm pháp luật (nếu có).",
        ),
        CONCLUSION_SIGNER,
    ),
    Document(
        "files/2025/ket-luan-thanh-tra-trach-nhiem-tinh-k.pdf", "Số: 1318/KL-TTCP", "2025-08-11",
        "KẾT LUẬN THANH TRA", "Trách nhiệm thực hiện pháp luật về thanh tra, tiếp công dân, "
        "giải quyết khiếu nại, tố cáo và phòng, chống tham nhũng tại tỉnh K",
        (
            "I. KHÁI QUÁT CHUNG. Thời kỳ thanh tra từ 01/01/2022 đến 31/12/2024.",
            "II. KẾT QUẢ. Việc tiếp công dân định kỳ của người đứng đầu có nơi chưa đủ số buổi; "
            "một số vụ việc giải quyết quá thời hạn; kê khai tài sản, thu nhập có trường hợp chậm.",
            "III. KIẾN NGHỊ. Ủy ban nhân dân tỉnh K chỉ đạo khắc phục, báo cáo kết quả về Thanh "
            "tra Chính phủ trong 60 ngày.",
        ),
        CONCLUSION_SIGNER,
    ),
    Document(
        "files/2026/lich-tiep-cong-dan-thang-12-2026.pdf", "Số: 2204/TB-TTCP", "2026-11-18",
        "THÔNG BÁO", "Lịch tiếp công dân của lãnh đạo Thanh tra Chính phủ tháng 12/2026",
        (
            "Thứ Năm, 03/12/2026: Tổng Thanh tra Chính phủ tiếp công dân định kỳ.",
            "Thứ Năm, 10/12/2026: Phó Tổng Thanh tra Chính phủ tiếp công dân.",
            "Thứ Năm, 17/12/2026: Phó Tổng Thanh tra Chính phủ tiếp công dân.",
            "Thứ Năm, 24/12/2026: Phó Tổng Thanh tra Chính phủ tiếp công dân.",
            "Địa điểm: Trụ sở Tiếp công dân Trung ương. Thời gian: buổi sáng, từ 08 giờ 00 đến 11 giờ 30.",
        ),
        ("TL. TỔNG THANH TRA", "CHÁNH VĂN PHÒNG"),
    ),
)


# --- photos ---------------------------------------------------------------------------------


def _mix(a: Color, b: Color, t: float) -> Color:
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b, strict=True))


def _rgba(color: Color, alpha: int) -> tuple[int, int, int, int]:
    return (*color, alpha)


def background(photo: Photo, rng: random.Random) -> Image.Image:
    """Return the photo's gradient background with a few soft blurred lights."""
    width, height = PHOTO_SIZE
    mask = Image.linear_gradient("L").resize((width, height), Image.Resampling.BICUBIC)
    base = Image.composite(
        Image.new("RGB", PHOTO_SIZE, photo.bottom), Image.new("RGB", PHOTO_SIZE, photo.top), mask
    ).convert("RGBA")
    lights = Image.new("RGBA", PHOTO_SIZE, (0, 0, 0, 0))
    draw = ImageDraw.Draw(lights)
    for _ in range(7):
        radius = rng.randint(120, 320)
        x, y = rng.randint(0, width), rng.randint(0, height // 2)
        tone = _mix(photo.bottom, (255, 255, 255), rng.random() * 0.6)
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=_rgba(tone, 70))
    lights = lights.filter(ImageFilter.GaussianBlur(60))
    return Image.alpha_composite(base, lights)


def _person(draw: ImageDraw.ImageDraw, x: float, y: float, size: float, fill) -> None:
    """Draw a head-and-shoulders silhouette whose shoulders sit at ``y``."""
    head = size * 0.32
    draw.ellipse((x - head, y - size * 1.25 - head, x + head, y - size * 1.25 + head), fill=fill)
    draw.rounded_rectangle((x - size * 0.62, y - size * 0.82, x + size * 0.62, y + size * 0.4),
                           radius=size * 0.35, fill=fill)


def screen_bars(draw, rng, photo, w, h) -> None:
    """Draw a bar chart on the hall screen."""
    for i in range(4):
        bar = h * (0.32 - 0.045 * (i + 1) - rng.random() * 0.03)
        draw.rectangle((w * (0.34 + i * 0.08), bar, w * (0.39 + i * 0.08), h * 0.32),
                       fill=_rgba(photo.top, 170))


def screen_title(draw, rng, photo, w, h) -> None:
    """Draw a title slide (a heading bar and lines of text) on the hall screen."""
    draw.rectangle((w * 0.28, h * 0.08, w * 0.72, h * 0.14), fill=_rgba(photo.top, 200))
    for line in range(5):
        length = 0.30 - rng.random() * 0.10 if line else 0.34
        y = h * (0.17 + line * 0.035)
        draw.rounded_rectangle((w * (0.5 - length / 2), y, w * (0.5 + length / 2), y + 9 * SCALE),
                               radius=4 * SCALE, fill=_rgba(photo.top, 230 if line == 0 else 150))


def screen_emblem(draw, rng, photo, w, h) -> None:
    """Draw a round emblem with a star and a banner line on the hall screen."""
    r = h * 0.09
    cx, cy = w * 0.5, h * 0.19
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(218, 37, 29, 235))
    draw.polygon(_star(cx, cy, r * 0.7), fill=(255, 205, 0, 255))
    draw.rounded_rectangle((w * 0.34, h * 0.30, w * 0.66, h * 0.32), radius=4 * SCALE,
                           fill=_rgba(photo.top, 200 + rng.randint(0, 40)))


SCREENS = (screen_bars, screen_title, screen_emblem)


def motif_hall(draw, rng, photo, w, h) -> None:
    """Draw a conference hall: a screen, a long podium table and rows of audience."""
    screen = _rgba(_mix(photo.bottom, (255, 255, 255), 0.6), 210)
    draw.rounded_rectangle((w * 0.28, h * 0.08, w * 0.72, h * 0.36), radius=18 * SCALE, fill=screen)
    SCREENS[photo.seed % len(SCREENS)](draw, rng, photo, w, h)
    ink = _rgba(photo.ink, 235)
    for i in range(5):
        _person(draw, w * (0.30 + i * 0.10), h * 0.52, 58 * SCALE, _rgba(photo.ink, 200))
    draw.rectangle((w * 0.20, h * 0.50, w * 0.80, h * 0.58), fill=ink)
    for row in range(3):
        count = 9 + row * 2
        y = h * (0.74 + row * 0.11)
        size = (44 + row * 10) * SCALE
        for i in range(count):
            x = w * (0.5 + (i - (count - 1) / 2) / (count + 1) * (1.0 + row * 0.1))
            _person(draw, x, y, size, ink)


def motif_video(draw, rng, photo, w, h) -> None:
    """Draw a wall screen of video tiles (an online conference) above a table."""
    frame = _rgba(photo.ink, 230)
    draw.rounded_rectangle((w * 0.14, h * 0.08, w * 0.86, h * 0.66), radius=20 * SCALE, fill=frame)
    for row in range(3):
        for col in range(4):
            x0, y0 = w * (0.16 + col * 0.175), h * (0.11 + row * 0.183)
            tone = _mix(photo.top, photo.bottom, 0.3 + rng.random() * 0.5)
            draw.rounded_rectangle((x0, y0, x0 + w * 0.16, y0 + h * 0.165), radius=8 * SCALE,
                                   fill=_rgba(tone, 255))
            _person(draw, x0 + w * 0.08, y0 + h * 0.165, 64 * SCALE, _rgba(photo.ink, 150))
    draw.rectangle((w * 0.47, h * 0.66, w * 0.53, h * 0.74), fill=frame)
    draw.rounded_rectangle((w * 0.05, h * 0.80, w * 0.95, h * 0.90), radius=12 * SCALE, fill=frame)


def motif_desk(draw, rng, photo, w, h) -> None:
    """Draw a reception counter: an officer behind it, two citizens before it, speech bubbles."""
    ink = _rgba(photo.ink, 230)
    _person(draw, w * 0.50, h * 0.62, 150 * SCALE, _rgba(photo.ink, 190))
    draw.rectangle((w * 0.22, h * 0.60, w * 0.78, h * 0.66), fill=ink)
    draw.rectangle((w * 0.25, h * 0.66, w * 0.75, h * 0.95), fill=_rgba(photo.ink, 200))
    for x in (0.14, 0.86):
        _person(draw, w * x, h * 0.98, 120 * SCALE, ink)
    bubble = _rgba((255, 255, 255), 200)
    for x0, y0 in ((0.18, 0.12), (0.58, 0.18)):
        draw.rounded_rectangle((w * x0, h * y0, w * (x0 + 0.24), h * (y0 + 0.14)),
                               radius=30 * SCALE, fill=bubble)
        for line in range(3):
            length = 0.16 - rng.random() * 0.06
            y = h * (y0 + 0.035 + line * 0.035)
            draw.rounded_rectangle((w * (x0 + 0.03), y, w * (x0 + 0.03 + length), y + 8 * SCALE),
                                   radius=4 * SCALE, fill=_rgba(photo.top, 200))


def motif_table(draw, rng, photo, w, h) -> None:
    """Draw a meeting seen from the side of an oval table, people around it, papers on it."""
    ink = _rgba(photo.ink, 225)
    people = rng.randint(4, 6)
    for i in range(people):
        x = w * (0.5 + (i - (people - 1) / 2) * 0.72 / people)
        _person(draw, x, h * 0.60, 110 * SCALE, _rgba(photo.ink, 185))
    draw.ellipse((w * 0.08, h * 0.56, w * 0.92, h * 0.88), fill=ink)
    paper = _rgba((255, 255, 255), 215)
    for i in range(people):
        x = w * (0.5 + (i - (people - 1) / 2) * 0.72 / people - 0.03)
        draw.rectangle((x, h * 0.64, x + w * 0.06, h * 0.72), fill=paper)
    draw.ellipse((w * 0.47, h * 0.74, w * 0.53, h * 0.80), fill=_rgba((60, 140, 80), 230))
    for x in (0.06, 0.94):
        _person(draw, w * x, h * 1.02, 110 * SCALE, ink)


def motif_papers(draw, rng, photo, w, h) -> None:
    """Draw a stack of documents with a magnifying glass (an inspection conclusion)."""
    for i in range(5):
        dx, dy = (rng.random() - 0.5) * w * 0.04, i * -h * 0.02
        box = (w * 0.30 + dx, h * 0.22 + dy, w * 0.62 + dx, h * 0.88 + dy)
        draw.rectangle(box, fill=_rgba(_mix((255, 255, 255), photo.bottom, i * 0.12), 240),
                       outline=_rgba(photo.ink, 90), width=2 * SCALE)
    for line in range(12):
        y = h * (0.24 + line * 0.045)
        length = 0.26 if line % 4 else 0.16
        draw.rectangle((w * 0.33, y, w * (0.33 + length), y + 7 * SCALE),
                       fill=_rgba(photo.top, 150 if line else 230))
    draw.ellipse((w * 0.54, h * 0.40, w * 0.74, h * 0.70), outline=_rgba(photo.ink, 240),
                 width=18 * SCALE, fill=_rgba((255, 255, 255), 70))
    draw.line((w * 0.72, h * 0.67, w * 0.84, h * 0.86), fill=_rgba(photo.ink, 240), width=34 * SCALE)


def motif_network(draw, rng, photo, w, h) -> None:
    """Draw a laptop with charts and a network of connected nodes (digital transformation)."""
    nodes = [(w * (0.1 + rng.random() * 0.8), h * (0.08 + rng.random() * 0.38)) for _ in range(14)]
    line = _rgba((255, 255, 255), 110)
    for i, a in enumerate(nodes):
        for b in nodes[i + 1:i + 3]:
            draw.line((a, b), fill=line, width=3 * SCALE)
    for x, y in nodes:
        r = 12 * SCALE
        draw.ellipse((x - r, y - r, x + r, y + r), fill=_rgba((255, 255, 255), 220))
    ink = _rgba(photo.ink, 235)
    draw.rounded_rectangle((w * 0.28, h * 0.42, w * 0.72, h * 0.80), radius=16 * SCALE, fill=ink)
    draw.rectangle((w * 0.30, h * 0.45, w * 0.70, h * 0.77), fill=_rgba(photo.bottom, 235))
    draw.polygon(((w * 0.22, h * 0.86), (w * 0.78, h * 0.86), (w * 0.72, h * 0.80),
                  (w * 0.28, h * 0.80)), fill=ink)
    for i in range(6):
        top = h * (0.74 - 0.04 * i - rng.random() * 0.05)
        draw.rectangle((w * (0.33 + i * 0.035), top, w * (0.355 + i * 0.035), h * 0.75),
                       fill=_rgba(photo.top, 220))
    points = [(w * (0.56 + i * 0.025), h * (0.70 - 0.03 * i - rng.random() * 0.04)) for i in range(6)]
    draw.line(points, fill=_rgba(photo.top, 240), width=6 * SCALE, joint="curve")


def _star(cx: float, cy: float, r: float) -> list[tuple[float, float]]:
    points = []
    for i in range(10):
        radius = r if i % 2 == 0 else r * 0.4
        angle = -math.pi / 2 + i * math.pi / 5
        points.append((cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
    return points


def motif_building(draw, rng, photo, w, h) -> None:
    """Draw an office building with a window grid, a flag on the roof and trees."""
    ink = _rgba(photo.ink, 235)
    draw.rectangle((w * 0.10, h * 0.55, w * 0.90, h * 0.86), fill=_rgba(photo.ink, 190))
    draw.rectangle((w * 0.32, h * 0.22, w * 0.68, h * 0.86), fill=ink)
    glass = _rgba(_mix(photo.top, (255, 255, 255), 0.45), 220)
    for row in range(9):
        for col in range(7):
            x, y = w * (0.345 + col * 0.047), h * (0.25 + row * 0.055)
            if row < 7 or col in (0, 1, 5, 6):
                draw.rectangle((x, y, x + w * 0.03, y + h * 0.035), fill=glass)
    for row in range(4):
        for col in range(12):
            x = w * (0.12 + col * 0.0155) if col < 6 else w * (0.70 + (col - 6) * 0.031)
            draw.rectangle((x, h * (0.58 + row * 0.06), x + w * 0.011, h * (0.62 + row * 0.06)),
                           fill=glass)
    draw.rectangle((w * 0.455, h * 0.72, w * 0.545, h * 0.86), fill=_rgba(photo.top, 230))
    draw.rectangle((w * 0.498, h * 0.05, w * 0.503, h * 0.22), fill=ink)
    draw.rectangle((w * 0.503, h * 0.05, w * 0.58, h * 0.13), fill=(218, 37, 29, 255))
    draw.polygon(_star(w * 0.5415, h * 0.09, h * 0.03), fill=(255, 205, 0, 255))
    draw.rectangle((0, h * 0.86, w, h), fill=_rgba(_mix(photo.ink, (120, 140, 120), 0.5), 255))
    for x in (0.04, 0.95, 0.22, 0.78):
        r = w * (0.05 + rng.random() * 0.02)
        draw.rectangle((w * x - 6 * SCALE, h * 0.72, w * x + 6 * SCALE, h * 0.88), fill=ink)
        draw.ellipse((w * x - r, h * 0.72 - r * 1.6, w * x + r, h * 0.72 + r * 0.2),
                     fill=_rgba((40, 96, 60), 235))


MOTIFS = {
    "hall": motif_hall,
    "video": motif_video,
    "desk": motif_desk,
    "table": motif_table,
    "papers": motif_papers,
    "network": motif_network,
    "building": motif_building,
}


def render_photo(photo: Photo) -> Image.Image:
    """Return the RGB image of ``photo``."""
    rng = random.Random(photo.seed)  # noqa: S311 (a picture, not a secret)
    image = background(photo, rng)
    w, h = PHOTO_SIZE[0] * SCALE, PHOTO_SIZE[1] * SCALE
    layer = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    MOTIFS[photo.motif](ImageDraw.Draw(layer), rng, photo, w, h)
    layer = layer.resize(PHOTO_SIZE, Image.Resampling.LANCZOS)
    return Image.alpha_composite(image, layer).convert("RGB")


def save_photo(photo: Photo, content: Path) -> Path:
    """Write ``photo`` as a JPEG under ``content``, lowering the quality until it fits the limit."""
    target = content / photo.path
    target.parent.mkdir(parents=True, exist_ok=True)
    image = render_photo(photo)
    for quality in (86, 80, 72, 64):
        image.save(target, "JPEG", quality=quality, optimize=True, progressive=True)
        if target.stat().st_size <= PHOTO_MAX_BYTES:
            break
    return target


# --- PDF documents --------------------------------------------------------------------------


def covers_vietnamese(font_path: str) -> bool:
    """Return whether the font draws every Vietnamese letter (not its "missing glyph" box)."""
    font = ImageFont.truetype(font_path, 24)

    def glyph(ch: str) -> bytes:
        image = Image.new("L", (48, 48), 0)
        ImageDraw.Draw(image).text((8, 4), ch, font=font, fill=255)
        return image.tobytes()

    missing = glyph("\ue000")
    return all(glyph(ch) != missing for ch in VIETNAMESE_PROBE)


def find_font() -> str | None:
    """Return the path of the first installed font that covers Vietnamese, or ``None``."""
    for candidate in FONT_CANDIDATES:
        if Path(candidate).is_file() and covers_vietnamese(candidate):
            return candidate
    return None


def ascii_fold(text: str) -> str:
    """Return ``text`` without Vietnamese marks (đ→d), for fonts without Vietnamese glyphs."""
    decomposed = unicodedata.normalize("NFD", text)
    plain = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return plain.replace("đ", "d").replace("Đ", "D").encode("ascii", "replace").decode("ascii")


class Page:
    """A page of text drawn top to bottom, with word wrapping and centred lines."""

    def __init__(self, font_path: str | None) -> None:
        """Start a blank A4 page; ``font_path`` ``None`` means the built-in font, ASCII text."""
        self.image = Image.new("L", PAGE_SIZE, 255)
        self.draw = ImageDraw.Draw(self.image)
        self.font_path = font_path
        self.margin = 140
        self.y = 110

    def font(self, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
        """Return the page font at ``size`` pixels."""
        if self.font_path:
            return ImageFont.truetype(self.font_path, size)
        return ImageFont.load_default(size)

    def text(self, text: str) -> str:
        """Return ``text`` as the font can show it."""
        return unicodedata.normalize("NFC", text) if self.font_path else ascii_fold(text)

    def line(self, text: str, size: int = 26, x: float | None = None, center: float | None = None) -> None:
        """Draw one line at ``x`` (default: the margin) or centred on ``center``, and move down."""
        font, text = self.font(size), self.text(text)
        if center is not None:
            x = center - self.draw.textlength(text, font=font) / 2
        self.draw.text((self.margin if x is None else x, self.y), text, font=font, fill=0)
        self.y += round(size * 1.45)

    def wrap(self, text: str, size: int, limit: float, indent: float = 0) -> list[str]:
        """Return ``text`` broken into lines no wider than ``limit`` (the first: less ``indent``)."""
        font, lines, current = self.font(size), [], ""
        for word in self.text(text).split():
            trial = f"{current} {word}".strip()
            room = limit - (0 if lines else indent)
            if self.draw.textlength(trial, font=font) > room and current:
                lines.append(current)
                current = word
            else:
                current = trial
        return [*lines, current] if current else lines

    def paragraph(self, text: str, size: int = 24, indent: int = 40) -> None:
        """Draw a wrapped paragraph, first line indented, and leave a gap after it."""
        lines = self.wrap(text, size, PAGE_SIZE[0] - 2 * self.margin, indent)
        for number, line in enumerate(lines):
            self.line(line, size, x=self.margin + (0 if number else indent))
        self.y += size // 2


def render_document(document: Document, font_path: str | None) -> Image.Image:
    """Return the page of ``document`` as a bilevel image."""
    page = Page(font_path)
    top = page.y
    page.line("THANH TRA CHÍNH PHỦ", 22, center=300)
    page.line(document.number, 22, center=300)
    page.y = top
    page.line("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 22, center=820)
    page.line("Độc lập - Tự do - Hạnh phúc", 22, center=820)
    year, month, day = document.day.split("-")
    page.line(f"Hà Nội, ngày {day} tháng {int(month)} năm {year}", 20, center=820)
    page.y += 50
    page.line(document.kind, 32, center=PAGE_SIZE[0] / 2)
    for line in page.wrap(document.title, 26, PAGE_SIZE[0] - 2 * page.margin - 80):
        page.line(line, 26, center=PAGE_SIZE[0] / 2)
    page.y += 40
    for text in document.paragraphs:
        page.paragraph(text)
    page.y += 30
    signer = document.signer if "(Đã ký)" in document.signer else (*document.signer, "(Đã ký)")
    for text in signer:
        page.line(text, 22, center=880)
    page.y = PAGE_SIZE[1] - 110
    page.line(SAMPLE_NOTE, 18, center=PAGE_SIZE[0] / 2)
    return page.image.convert("1", dither=Image.Dither.NONE)


def save_document(document: Document, content: Path, font_path: str | None) -> Path:
    """Write ``document`` as a one-page PDF under ``content`` with fixed metadata dates."""
    target = content / document.path
    target.parent.mkdir(parents=True, exist_ok=True)
    stamp = time.strptime(document.day, "%Y-%m-%d")
    render_document(document, font_path).save(
        target, "PDF", resolution=PAGE_DPI, title=document.title, author="Thanh tra Chính phủ",
        subject=document.kind, creator="tools/make_sample_media.py", producer="Pillow",
        creationDate=stamp, modDate=stamp,
    )
    return target


# --- command line ---------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Write every sample photo and document; report each file and its size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--content", type=Path, default=ROOT / "content",
                        help="content folder (default: content/ of the project)")
    args = parser.parse_args(argv)
    font_path = find_font()
    print(f"font: {font_path or 'built-in (ASCII text)'}")
    problems = 0
    written = [(save_photo(p, args.content), PHOTO_MAX_BYTES) for p in PHOTOS]
    written += [(save_document(d, args.content, font_path), PDF_MAX_BYTES) for d in DOCUMENTS]
    for path, limit in written:
        size = path.stat().st_size
        flag = "" if size <= limit else f"  > {limit // 1024} KB!"
        problems += bool(flag)
        print(f"{path.relative_to(args.content)}  {size / 1024:.1f} KB{flag}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
