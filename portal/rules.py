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

import difflib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path, PurePosixPath

from . import markup, scaffold, spelling
from .findings import ERROR, WARNING, Finding
from .metadata import ARTICLE, FIELDS, Section
from .source import Source
from .text import fold, slugify

TITLE_MAX = 150
SUMMARY_MAX = 500
DANGEROUS_TAGS = frozenset(
    {
        "script",
        "iframe",
        "object",
        "embed",
        "form",
        "style",
        "frame",
        "frameset",
        "applet",
        "base",
        "meta",
        "link",
        "svg",
        "math",
        "template",
    }
)
UNSAFE_SCHEMES = frozenset({"javascript", "data", "vbscript"})
# Number/[year/]symbol: 123/QĐ-TTCP, 42/2022/NĐ-CP, 25/2018/QH14, 1234/TTCP-KHTH.
DOC_NUMBER = re.compile(r"^\d{1,5}[a-z]?(?:/\d{4})?/[A-ZĐ][A-ZĐ0-9]*(?:-[A-ZĐ0-9]+)*$")
# The hints ``invoke new`` writes (portal/scaffold.py): an article still holding one is unfinished.
HINTS = tuple(scaffold.HINTS.values())
TEXT_KEYS = ("title", "summary", "tags", "image_caption", "image_alt", "authors")

Hit = tuple[int, dict]


@dataclass
class Document:
    """One content file as the rules see it: parsed header and body, and its text before NFC."""

    source: Source
    kind: str
    values: dict = field(default_factory=dict)
    original: str | None = None  # the decoded text before NFC, kept only when it differs

    @property
    def slug(self) -> str:
        """The URL slug the build gives this file."""
        return slugify(self.values.get("slug") or Path(self.source.path).stem)

    @cached_property
    def header_lines(self) -> list[tuple[int, str]]:
        """The header's lines with their numbers."""
        lines = self.source.text.split("\n")[: max(self.source.body_line - 2, 0)]
        return list(enumerate(lines, start=1))

    @cached_property
    def prose(self) -> str:
        """The body with code blanked out (line numbers kept)."""
        return markup.strip_code(self.source.body)

    @cached_property
    def tags(self) -> list[markup.Tag]:
        """Raw HTML start tags of the body."""
        return markup.tags(self.prose, self.source.body_line)

    def text_lines(self) -> Iterator[tuple[int, str]]:
        """Header lines, then body lines without code, with their numbers."""
        yield from self.header_lines
        yield from enumerate(self.prose.split("\n"), start=self.source.body_line)


@dataclass
class Site:
    """What rules that look beyond one file need: every document, the content folder, now."""

    content: Path
    sections: list[Section]
    documents: list[Document]
    now: datetime

    @cached_property
    def slugs(self) -> dict[str, str]:
        """Every article and page slug, mapped to its file."""
        found: dict[str, str] = {}
        for doc in self.documents:
            found.setdefault(doc.slug, doc.source.path)
        return found

    @cached_property
    def article_urls(self) -> set[str]:
        """Site paths of articles (``/thanh-tra/slug/``) and pages (``/slug/``)."""
        urls = set()
        for doc in self.documents:
            section = doc.values.get("category")
            prefix = f"/{section.slug}" if doc.kind == ARTICLE and section else ""
            urls.add(f"{prefix}/{doc.slug}/")
        return urls

    @cached_property
    def spellings(self) -> dict[tuple[str, str], tuple[str, str]]:
        """First spelling (by path) of each folded tag and author name, with its file."""
        first: dict[tuple[str, str], tuple[str, str]] = {}
        for doc in self.documents:
            for key in ("tags", "authors"):
                for name in doc.values.get(key) or []:
                    first.setdefault((key, fold(name)), (name, doc.source.path))
        return first


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
        unique = dict.fromkeys((line, tuple(sorted(values.items()))) for line, values in hits)
        return [
            Finding(doc.source.path, line, self.severity, self.id, self.message.format(**dict(values)))
            for line, values in unique
        ]


INTERNAL = (
    "Lỗi nội bộ của bộ kiểm tra (quy tắc {rule}: {error}) khi đọc tệp này. Báo cho bộ phận kỹ "
    "thuật kèm tệp; trong lúc chờ, kiểm tra lại phần đầu bài và các liên kết của tệp."
)


# --- predicates: header -------------------------------------------------------------------------


def unknown_field(doc: Document, site: Site) -> Iterator[Hit]:
    """Header keys outside the field table, with the closest known key."""
    for key, found in doc.source.fields.items():
        if key in FIELDS:
            continue
        close = difflib.get_close_matches(key, FIELDS, n=1, cutoff=0.6)
        hint = f' Có phải ý bạn là "{close[0].capitalize()}"?' if close else ""
        yield found.line, {"key": found.key, "hint": hint}


def invisible_char(doc: Document, site: Site) -> Iterator[Hit]:
    """Control, zero-width and bidi-override characters in header lines (titles, slugs, tags)."""
    for line, text in doc.header_lines:
        codes = spelling.invisible_characters(text)
        if codes:
            yield line, {"codes": ", ".join(codes)}


def not_nfc(doc: Document, site: Site) -> Iterator[Hit]:
    """Decomposed (NFD) text: the first line holding it."""
    if doc.original is None:
        return
    for line, (before, after) in enumerate(
        zip(doc.original.split("\n"), doc.source.text.split("\n"), strict=False), start=1
    ):
        if before != after:
            yield line, {}
            return


def legacy_encoding(doc: Document, site: Site) -> Iterator[Hit]:
    """TCVN3 / VNI / double-encoded UTF-8 text pasted from old files: the first line showing it."""
    words: list[tuple[int, str]] = []
    for line, text in enumerate(doc.source.text.split("\n"), start=1):
        if spelling.is_double_utf8(text):
            yield line, {"sample": text.strip()[:40]}
            return
        words.extend((line, word) for word in spelling.legacy_words(text))
    if len(words) >= spelling.LEGACY_WORDS_FOR_ERROR:
        yield words[0][0], {"sample": ", ".join(word for _, word in words[:3])}


def unfilled_hint(doc: Document, site: Site) -> Iterator[Hit]:
    """Lines still holding a hint written by ``invoke new``."""
    for line, text in enumerate(doc.source.text.split("\n"), start=1):
        for hint in HINTS:
            if hint in text:
                yield line, {"hint": hint}


# --- predicates: dates and documents ------------------------------------------------------------


def _line(doc: Document, key: str) -> int:
    return doc.source.line_of(key)


def modified_before_date(doc: Document, site: Site) -> Iterator[Hit]:
    """Find ``Modified`` earlier than ``Date``."""
    date, modified = doc.values.get("date"), doc.values.get("modified")
    if date and modified and modified < date:
        yield _line(doc, "modified"), {}


def future_date(doc: Document, site: Site) -> Iterator[Hit]:
    """Find a date after now without ``Status: draft`` (scheduled, not published yet)."""
    date = doc.values.get("date")
    if date and date > site.now and doc.values.get("status") != "draft":
        yield _line(doc, "date"), {"date": f"{date:%d/%m/%Y %H:%M}"}


def effective_before_signed(doc: Document, site: Site) -> Iterator[Hit]:
    """Find a document in effect before it was signed."""
    signed, effective = doc.values.get("signed"), doc.values.get("effective")
    if signed and effective and effective < signed:
        yield _line(doc, "effective"), {}


def doc_number_format(doc: Document, site: Site) -> Iterator[Hit]:
    """``Doc_number`` not in the number/[year/]symbol form."""
    number = doc.values.get("doc_number")
    if number and not DOC_NUMBER.match(number.strip()):
        yield _line(doc, "doc_number"), {"value": number}


def doc_number_missing(doc: Document, site: Site) -> Iterator[Hit]:
    """Find a document (in the documents section) without ``Doc_number``."""
    section = doc.values.get("category")
    if section and section.slug == "van-ban" and "doc_number" not in doc.values:
        yield _line(doc, "doc_number"), {}


# --- predicates: lengths and house style --------------------------------------------------------


def title_length(doc: Document, site: Site) -> Iterator[Hit]:
    """Titles too long for cards, tabs and search results."""
    title = doc.values.get("title", "")
    if len(title) > TITLE_MAX:
        yield _line(doc, "title"), {"length": len(title), "limit": TITLE_MAX}


def summary_length(doc: Document, site: Site) -> Iterator[Hit]:
    """Find a sapo too long to be a lead."""
    summary = doc.values.get("summary", "")
    if len(summary) > SUMMARY_MAX:
        yield _line(doc, "summary"), {"length": len(summary), "limit": SUMMARY_MAX}


def empty_body(doc: Document, site: Site) -> Iterator[Hit]:
    """Find an article with a header and no body."""
    if doc.kind == ARTICLE and doc.source.text and not doc.source.body.strip():
        yield doc.source.body_line - 1, {}


def name_variant(doc: Document, site: Site) -> Iterator[Hit]:
    """Tags or authors spelled differently from the same name elsewhere (case, diacritics)."""
    for key in ("tags", "authors"):
        for name in doc.values.get(key) or []:
            first, path = site.spellings[(key, fold(name))]
            if first != name:
                yield _line(doc, key), {"name": name, "first": first, "path": path}


def tone_style(doc: Document, site: Site) -> Iterator[Hit]:
    """New-style tone marks (hoà, khoẻ, thuý) where the house style is old (hòa, khỏe, thúy)."""
    for line, text in doc.text_lines():
        pairs = spelling.new_style_tones(text)
        if pairs:
            listed = ", ".join(f'"{old}" → "{new}"' for old, new in dict.fromkeys(pairs))
            yield line, {"words": listed}


# --- predicates: body markup and links ----------------------------------------------------------


def dangerous_tag(doc: Document, site: Site) -> Iterator[Hit]:
    """``<script>``, ``<iframe>``, ``<object>``, ``<embed>``, ``<form>``, ``<style>`` and kin."""
    for tag in doc.tags:
        if tag.name in DANGEROUS_TAGS:
            yield tag.line, {"tag": tag.name}


def event_handler(doc: Document, site: Site) -> Iterator[Hit]:
    """``on*=`` attributes (``onclick``, ``onerror``…)."""
    for tag in doc.tags:
        for key, _ in tag.attributes:
            if key.startswith("on"):
                yield tag.line, {"attribute": key, "tag": tag.name}


def inline_style(doc: Document, site: Site) -> Iterator[Hit]:
    """``style=`` attributes, which the site's Content-Security-Policy blocks."""
    for tag in doc.tags:
        if any(key == "style" for key, _ in tag.attributes):
            yield tag.line, {"tag": tag.name}


def raw_html(doc: Document, site: Site) -> Iterator[Hit]:
    """Other raw HTML: allowed through the sanitiser, but Markdown is the house format."""
    for tag in doc.tags:
        if tag.name not in DANGEROUS_TAGS:
            yield tag.line, {"tag": tag.name}


def unsafe_url(doc: Document, site: Site) -> Iterator[Hit]:
    """Links and sources with a ``javascript:``, ``data:`` or ``vbscript:`` URL."""
    for link in markup.links(doc.prose, doc.source.body_line, doc.tags):
        found = markup.scheme(link.url)
        if found in UNSAFE_SCHEMES:
            yield link.line, {"scheme": found}
    # Attributes of tags the HTML parser could not finish (``<a href="javascript:…`` unclosed).
    for line, text in enumerate(doc.prose.split("\n"), start=doc.source.body_line):
        for match in _UNSAFE_ATTRIBUTE.finditer(text):
            yield line, {"scheme": match.group(1).lower()}


_UNSAFE_ATTRIBUTE = re.compile(
    r"\b(?:href|src|action|formaction|data|poster)\s*=\s*[\"']?\s*(javascript|vbscript|data)\s*:", re.I
)
_PELICAN_LINK = re.compile(r"^\{(filename|static|attach)\}(.*)$")
_OTHER_TARGET = re.compile(r"^(?:#|//|\{\w+\}|\|\w+\|)")


def _target_exists(doc: Document, site: Site, url: str) -> bool | None:
    """Whether an internal link target exists; ``None`` when the link is not internal."""
    path = re.split(r"[?#]", url, maxsplit=1)[0]
    pelican = _PELICAN_LINK.match(path)
    if pelican:
        path = pelican.group(2)
    elif markup.scheme(url) or _OTHER_TARGET.match(url) or not path:
        return None
    elif path.startswith("/") and not path.startswith(("/images/", "/files/")):
        first = PurePosixPath(path).parts[1:2]
        known = {s.slug for s in site.sections} | set(site.slugs)
        if not first or first[0] not in known:
            return None
        return (path.rstrip("/") + "/") in site.article_urls
    base = site.content if path.startswith("/") else Path(doc.source.path).resolve().parent
    target = (base / path.lstrip("/")).resolve()
    root = site.content.resolve()
    return target.is_relative_to(root) and target.exists()


def broken_link(doc: Document, site: Site) -> Iterator[Hit]:
    """``{filename}``, ``{static}``, relative and site-absolute links to nothing."""
    for link in markup.links(doc.prose, doc.source.body_line, doc.tags):
        if not link.url or markup.scheme(link.url) in UNSAFE_SCHEMES:
            continue
        if _target_exists(doc, site, link.url) is False:
            yield link.line, {"url": link.url}


def unknown_related(doc: Document, site: Site) -> Iterator[Hit]:
    """``Related`` slugs that are no article or page."""
    for slug in doc.values.get("related") or []:
        if slugify(slug) in site.slugs:
            continue
        close = difflib.get_close_matches(slugify(slug), site.slugs, n=1, cutoff=0.75)
        hint = f' Có phải ý bạn là "{close[0]}"?' if close else ""
        yield _line(doc, "related"), {"slug": slug, "hint": hint}


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
        'Văn bản trong chuyên mục "van-ban" chưa có số hiệu. Thêm dòng '
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


def run(site: Site) -> list[Finding]:
    """Run every rule that has a predicate on every document; return all findings, sorted."""
    active = [rule for rule in RULES if rule.check is not None]
    return sorted(f for doc in site.documents for rule in active for f in rule.findings(doc, site))
