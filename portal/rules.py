"""The content rules: one row per rule (id, severity, Vietnamese message with the fix, predicate).

Every predicate runs on every file and yields every hit, so one run reports all problems (model:
Pelican's ``Content.is_valid()`` with its ``_has_valid_*`` methods). A predicate yields
``(line, values)``; the row's message is filled with ``values``. Rows whose ``check`` is ``None``
are reported while a file is read (``portal/source.py``, ``portal/metadata.py``) or by
``portal/collisions.py``; they are listed here so the table documents every rule
(``docs/content-rules.md`` is checked against it).

``invoke check`` (``portal/check.py``) and the build (``plugins/portal_checks``) run this one
table over the same documents, so they report the same findings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from .document import Document, Hit, Site
from .findings import ERROR, WARNING, Finding
from .predicates import (
    broken_link,
    dangerous_tag,
    doc_number_format,
    doc_number_missing,
    effective_before_signed,
    empty_body,
    event_handler,
    future_date,
    html_in_field,
    inline_style,
    invisible_char,
    legacy_encoding,
    modified_before_date,
    name_variant,
    not_nfc,
    raw_html,
    summary_length,
    title_length,
    tone_style,
    unfilled_hint,
    unknown_field,
    unknown_related,
    unsafe_url,
)

__all__ = [
    "BY_ID", "ERROR", "INTERNAL", "RULES", "WARNING", "Document", "Rule", "Site", "file_findings", "run",
    "site_findings",
]


@dataclass(frozen=True)
class Rule:
    """One row of the rule table."""

    id: str
    severity: str
    message: str
    check: Callable[[Document, Site], Iterator[Hit]] | None = None

    def findings(self, doc: Document, site: Site) -> list[Finding]:
        """Run the predicate on one document; a crash becomes a finding naming the file."""
        try:
            hits = list(self.check(doc, site))
        except Exception as exc:  # noqa: BLE001 (bad content must never show a traceback)
            return [
                Finding(
                    doc.source.path,
                    1,
                    ERROR,
                    "internal-error",
                    INTERNAL.format(rule=self.id, error=f"{type(exc).__name__}: {exc}"),
                )
            ]
        if not hits:
            return []
        unique = dict.fromkeys((line, tuple(sorted(values.items()))) for line, values in hits)
        return [
            Finding(doc.source.path, line, self.severity, self.id, self.message.format(**dict(values)))
            for line, values in unique
        ]


INTERNAL = (
    "Lỗi nội bộ của bộ kiểm tra (quy tắc {rule}: {error}) khi đọc tệp này. Báo cho bộ phận kỹ "
    "thuật kèm tệp; trong lúc chờ, kiểm tra lại phần đầu bài và các liên kết của tệp."
)


# --- the table ----------------------------------------------------------------------------------

E, W = ERROR, WARNING
RULES: tuple[Rule, ...] = (
    # Reported while reading (portal/source.py, portal/metadata.py) and by portal/collisions.py.
    Rule("encoding", E, "Tệp không phải mã UTF-8. Mở tệp và lưu lại với mã hóa UTF-8 (Unicode)."),
    Rule(
        "header-syntax",
        E,
        'Dòng trong phần đầu bài không có dạng "Khóa: giá trị". Nếu đây là '
        "nội dung, thêm một dòng trống sau phần đầu bài.",
    ),
    Rule("duplicate-field", E, "Một trường được khai báo hai lần. Giữ lại một dòng."),
    Rule(
        "required-field",
        E,
        "Thiếu trường bắt buộc (Title, Date, Category, Summary, Authors). "
        'Thêm dòng "Tên: …" vào phần đầu bài.',
    ),
    Rule(
        "date-format",
        E,
        'Ngày không đúng định dạng. Chỉ dùng ISO 8601: YYYY-MM-DD HH:MM, ví dụ "2019-06-05 15:30".',
    ),
    Rule(
        "date-invalid", E, "Ngày giờ không có thật (ví dụ 2019-02-30). Kiểm tra lại ngày, tháng, giờ, phút."
    ),
    Rule(
        "unknown-section",
        E,
        "Chuyên mục không có trong danh sách. Dùng một trong các slug của "
        "chuyên mục (SECTIONS trong pelicanconf.py).",
    ),
    Rule("unknown-status", E, "Status không hợp lệ. Dùng draft, published hoặc hidden."),
    Rule(
        "duplicate-slug",
        E,
        'Hai bài cùng một địa chỉ. Đổi tên tệp hoặc thêm dòng "Slug: …" '
        "khác cho một trong hai bài (thông báo nêu cả hai tệp).",
    ),
    Rule(
        "duplicate-title",
        E,
        "Hai tiêu đề trùng nhau khi bỏ dấu (cùng một slug). Sửa một trong "
        "hai tiêu đề (thông báo nêu cả hai tệp).",
    ),
    # Run by the rule engine, in the build and in ``invoke check``.
    Rule(
        "unknown-field",
        E,
        'Trường "{key}" không có trong mẫu bài nên sẽ bị bỏ qua.{hint} Sửa '
        "tên trường hoặc xóa dòng này (danh sách trường: docs/content-rules.md).",
        unknown_field,
    ),
    Rule(
        "invisible-char",
        E,
        "Dòng này chứa ký tự điều khiển hoặc ký tự ẩn ({codes}), thường do "
        "sao chép từ web hay Word. Gõ lại dòng này bằng tay.",
        invisible_char,
    ),
    Rule(
        "html-in-field",
        E,
        'Trường "{key}" chứa thẻ HTML ("{tag}"). Các trường ở phần đầu bài chỉ nhận chữ thường, '
        "thẻ sẽ hiện nguyên văn trên cổng. Xóa thẻ, chỉ giữ lại chữ.",
        html_in_field,
    ),
    Rule(
        "not-nfc",
        W,
        "Tệp có chữ tiếng Việt dạng tổ hợp (NFD), thường do bộ gõ hoặc sao chép "
        "từ PDF. Bản dựng tự chuẩn hóa sang NFC; nên lưu lại tệp ở dạng dựng sẵn (NFC).",
        not_nfc,
    ),
    Rule(
        "legacy-encoding",
        E,
        'Chữ bị lỗi phông ("{sample}"): văn bản dán từ tệp Word cũ mã '
        "TCVN3 (ABC), VNI hoặc Windows-1258. Chuyển mã sang Unicode (ví dụ bằng Unikey: "
        "Công cụ chuyển mã) rồi dán lại.",
        legacy_encoding,
    ),
    Rule(
        "unfilled-hint",
        E,
        'Dòng này còn chữ gợi ý của mẫu bài ("{hint}"). Thay bằng nội dung thật trước khi gửi bài.',
        unfilled_hint,
    ),
    Rule(
        "modified-before-date",
        E,
        "Ngày cập nhật (Modified) sớm hơn ngày đăng (Date). Sửa lại "
        "Modified cho bằng hoặc sau Date, hoặc xóa dòng Modified.",
        modified_before_date,
    ),
    Rule(
        "future-date",
        W,
        "Ngày đăng {date} ở tương lai: bài được hẹn giờ và chỉ xuất hiện từ "
        'ngày đó. Nếu chưa muốn đăng, thêm "Status: draft"; nếu gõ nhầm, sửa lại Date.',
        future_date,
    ),
    Rule(
        "effective-before-signed",
        E,
        "Ngày hiệu lực (Effective) sớm hơn ngày ký (Signed). Kiểm tra lại hai ngày này theo văn bản gốc.",
        effective_before_signed,
    ),
    Rule(
        "doc-number-format",
        E,
        'Số hiệu văn bản "{value}" không đúng dạng "số/ký hiệu", ví dụ '
        '"123/QĐ-TTCP", "42/2022/NĐ-CP" hoặc "25/2018/QH14". Viết hoa ký hiệu, không có khoảng '
        "trắng.",
        doc_number_format,
    ),
    Rule(
        "doc-number-missing",
        W,
        'Văn bản trong chuyên mục văn bản chưa có số hiệu. Thêm dòng '
        '"Doc_number: …" (ví dụ "123/QĐ-TTCP").',
        doc_number_missing,
    ),
    Rule(
        "title-length",
        W,
        "Tiêu đề dài {length} ký tự (nên không quá {limit}). Rút gọn tiêu "
        "đề để hiển thị trọn trên điện thoại và kết quả tìm kiếm.",
        title_length,
    ),
    Rule(
        "summary-length",
        W,
        "Sapo dài {length} ký tự (nên không quá {limit}). Rút gọn còn một "
        "đến ba câu; phần còn lại đưa vào thân bài.",
        summary_length,
    ),
    Rule(
        "empty-body", W, "Bài chưa có nội dung. Viết thân bài sau dòng trống dưới phần đầu bài.", empty_body
    ),
    Rule(
        "name-variant",
        W,
        '"{name}" và "{first}" ({path}) chỉ khác nhau về chữ hoa hoặc dấu nên '
        "sẽ gộp thành một. Dùng đúng một cách viết.",
        name_variant,
    ),
    Rule(
        "tone-style",
        W,
        "Dấu thanh đặt kiểu mới: {words}. Quy ước của cổng là kiểu cũ; sửa lại "
        "(tên riêng có thể giữ nguyên).",
        tone_style,
    ),
    Rule(
        "html-dangerous-tag",
        E,
        "Thẻ <{tag}> không được phép trong bài (mã độc, khung nhúng, "
        "biểu mẫu, kiểu trình bày). Xóa thẻ này; cần nhúng video hay bản đồ thì gửi bộ phận kỹ "
        "thuật.",
        dangerous_tag,
    ),
    Rule(
        "html-event-handler",
        E,
        'Thuộc tính "{attribute}" trong thẻ <{tag}> là mã chạy trong '
        "trình duyệt, không được phép. Xóa thuộc tính này.",
        event_handler,
    ),
    Rule(
        "html-inline-style",
        E,
        'Thuộc tính "style" trong thẻ <{tag}> bị chính sách bảo mật của '
        "cổng chặn. Xóa thuộc tính; định dạng bằng Markdown (**đậm**, *nghiêng*, tiêu đề ##).",
        inline_style,
    ),
    Rule(
        "unsafe-url",
        E,
        'Liên kết dùng "{scheme}:", có thể chạy mã độc. Thay bằng địa chỉ '
        "https://… hoặc liên kết tới tệp trong files/.",
        unsafe_url,
    ),
    Rule(
        "raw-html",
        W,
        "Bài dùng thẻ HTML <{tag}>. Nên viết bằng Markdown (bảng, danh sách, "
        "liên kết đều có cú pháp riêng); thẻ HTML lạ sẽ bị lọc khi xuất bản.",
        raw_html,
    ),
    Rule(
        "broken-link",
        E,
        'Liên kết "{url}" trỏ tới bài hoặc tệp không có. Kiểm tra đường dẫn: '
        "{{filename}}/articles/… cho bài viết, {{static}}/files/… cho tệp đính kèm, hoặc địa chỉ "
        "đầy đủ https://….",
        broken_link,
    ),
    Rule(
        "unknown-related",
        E,
        'Tin liên quan "{slug}" không phải slug của bài nào.{hint} Sửa '
        "slug (phần cuối địa chỉ bài) hoặc xóa khỏi dòng Related.",
        unknown_related,
    ),
    Rule("internal-error", E, INTERNAL),
)
BY_ID = {rule.id: rule for rule in RULES}


# Rules whose predicate looks beyond the file (other files, the date, the settings): they run on
# every build. The others depend on the file's bytes alone, so a build may reuse their findings
# (each file's ``Record``, kept by ``portal.check.CheckCache``); tests/test_checks.py holds this
# list to the predicates' code.
SITE_RULES = frozenset(
    {"future-date", "doc-number-missing", "name-variant", "broken-link", "unknown-related"}
)


def file_findings(doc: Document, site: Site | None = None) -> list[Finding]:
    """Return the findings of the rules that look at nothing but the file (not in ``SITE_RULES``)."""
    local = [rule for rule in RULES if rule.check is not None and rule.id not in SITE_RULES]
    return [f for rule in local for f in rule.findings(doc, site)]


def site_findings(doc: Document, site: Site, skip: frozenset = frozenset()) -> list[Finding]:
    """Return the findings of the rules that look beyond the file (``SITE_RULES``), but ``skip``."""
    return [f for rule in RULES if rule.id in SITE_RULES - skip for f in rule.findings(doc, site)]


def run(site: Site, cache=None) -> list[Finding]:
    """Run every rule that has a predicate on every document; return all findings, sorted.

    A ``Record`` (``portal.check`` makes one per file, cached between builds by the file's bytes)
    carries its file-only findings; the rules of ``SITE_RULES`` run on every build. ``cache`` is
    accepted for callers of the earlier signature and not used: the records are the cache.
    """
    found = []
    for doc in site.documents:
        local = getattr(doc, "local", None)
        found.extend(local if local is not None else file_findings(doc, site))
        found.extend(site_findings(doc, site))
    return sorted(found)
