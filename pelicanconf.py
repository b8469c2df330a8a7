"""Development settings of Cổng TTCP: the one place where the portal's settings live.

``publishconf.py`` imports these and changes only what a production build needs.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))  # the shared ``portal`` package, for ``pelican -s`` runs

SITENAME = "Cổng thông tin điện tử Thanh tra Chính phủ"
SITENAME_SHORT = "Thanh tra Chính phủ"
SITEURL = ""
SITE_DESCRIPTION = (
    "Cổng thông tin điện tử của Thanh tra Chính phủ: tin tức, kết luận thanh tra, văn bản, "
    "tiếp công dân, giải quyết khiếu nại, tố cáo và phòng, chống tham nhũng."
)
AGENCY = {
    "name": "Thanh tra Chính phủ",
    "unit": "Trung tâm Thông tin - Thanh tra Chính phủ",
    "address": "Lô D29, Khu đô thị mới Cầu Giấy, phường Yên Hòa, Hà Nội",
    "phone": "024 3825 4997",
    "email": "banbientap@thanhtra.gov.vn",
    "responsible": "Giám đốc Trung tâm Thông tin",
    "licence": "Giấy phép thiết lập trang thông tin điện tử tổng hợp (mẫu cho bản thử nghiệm)",
}

# Where things are. ``invoke build --content DIR --output DIR`` overrides PATH and OUTPUT_PATH.
PATH = str(ROOT / "content")
OUTPUT_PATH = str(ROOT / "output")
CACHE_PATH = str(ROOT / ".cache" / "pelican")
THEME = str(ROOT / "theme")
ARCHETYPES_PATH = str(ROOT / "archetypes")
ARTICLE_PATHS = ["articles"]
PAGE_PATHS = ["pages"]
STATIC_PATHS = ["files"]  # images/ holds originals: portal_images publishes stripped derivatives
PREVIEW_PORT = 8000

TIMEZONE = "Asia/Ho_Chi_Minh"
DEFAULT_LANG = "vi"
LOCALE = ("C",)  # dates are formatted by the portal's own Vietnamese filters, never the locale
DEFAULT_DATE_FORMAT = "%d/%m/%Y %H:%M"

# The eight sections (chuyên mục): a closed list, declared once. Navigation, feeds, the API and
# the content checks all read it from here.
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
DOCUMENT_SECTION = "van-ban"
ANNOUNCEMENT_SECTION = "thong-bao"

PLUGIN_PATHS = [str(ROOT / "plugins")]
PLUGINS = [
    "portal_security",
    "portal_content",
    "portal_checks",
    "portal_theme",
    "portal_images",
    "portal_feeds",
    "portal_api",
    "portal_sitemap",
    "portal_redirects",
    "portal_search",
    "portal_assets",
    "portal_perf",  # after every writer: prunes what this build no longer makes
    "portal_release",
]
PORTAL_STRICT = False

# Services a static portal cannot run; their pages (content/pages/<slug>.md) link to them.
PORTAL_THEME_SERVICES = {
    "hoi-dap": ("Cổng Dịch vụ công quốc gia", "https://dichvucong.gov.vn/p/phananhkiennghi/pakn-gui-pakn.html"),
    "gop-y-du-thao": ("Cổng Thông tin điện tử Chính phủ – Lấy ý kiến dự thảo", "https://chinhphu.vn/du-thao-vbqppl"),
}

MARKDOWN = {
    "extensions": [
        "markdown.extensions.tables",
        "markdown.extensions.fenced_code",
        "markdown.extensions.footnotes",
        "markdown.extensions.sane_lists",
        "markdown.extensions.toc",
    ],
    "extension_configs": {"markdown.extensions.toc": {"permalink": False}},
    "output_format": "html5",
}
FORMATTED_FIELDS = []  # the sapo is plain text, never Markdown
SUMMARY_MAX_LENGTH = None

# Templates escape by default; trusted HTML (sanitised bodies) is marked explicitly.
JINJA_ENVIRONMENT = {"autoescape": True, "trim_blocks": True, "lstrip_blocks": True}

# URLs: ASCII, folder-style, one folder per section.
ARTICLE_URL = "{category}/{slug}/"
ARTICLE_SAVE_AS = "{category}/{slug}/index.html"
ARTICLE_LANG_URL = "{lang}/{category}/{slug}/"
ARTICLE_LANG_SAVE_AS = "{lang}/{category}/{slug}/index.html"
DRAFT_URL = "ban-nhap/{slug}/"
DRAFT_SAVE_AS = "ban-nhap/{slug}/index.html"
DRAFT_LANG_URL = "ban-nhap/{lang}/{slug}/"
DRAFT_LANG_SAVE_AS = "ban-nhap/{lang}/{slug}/index.html"
PAGE_URL = "{slug}/"
PAGE_SAVE_AS = "{slug}/index.html"
PAGE_LANG_URL = "{lang}/{slug}/"
PAGE_LANG_SAVE_AS = "{lang}/{slug}/index.html"
CATEGORY_URL = "{slug}/"
CATEGORY_SAVE_AS = "{slug}/index.html"
CATEGORIES_URL = "chuyen-muc/"
CATEGORIES_SAVE_AS = "chuyen-muc/index.html"
TAG_URL = "chu-de/{slug}/"
TAG_SAVE_AS = "chu-de/{slug}/index.html"
TAGS_URL = "chu-de/"
TAGS_SAVE_AS = "chu-de/index.html"
AUTHOR_URL = "tac-gia/{slug}/"
AUTHOR_SAVE_AS = "tac-gia/{slug}/index.html"
AUTHORS_URL = "tac-gia/"
AUTHORS_SAVE_AS = "tac-gia/index.html"
ARCHIVES_URL = "luu-tru/"
ARCHIVES_SAVE_AS = "luu-tru/index.html"
YEAR_ARCHIVE_URL = "luu-tru/{date:%Y}/"
YEAR_ARCHIVE_SAVE_AS = "luu-tru/{date:%Y}/index.html"
MONTH_ARCHIVE_SAVE_AS = ""
DAY_ARCHIVE_SAVE_AS = ""
INDEX_SAVE_AS = "index.html"
INDEX_URL = ""  # the home is "/", never "/index.html"
LATEST_SAVE_AS = "tin-moi/index.html"  # every article, newest first (the home links to it)
LATEST_URL = "tin-moi/"
DIRECT_TEMPLATES = ["index", "latest", "categories", "tags", "authors", "archives", "404"]
TEMPLATE_PAGES = {}
# Listings are cut into pages from their oldest end (portal/pagination.py, docs/theme.md).
PAGINATED_TEMPLATES = {
    "latest": None, "category": None, "tag": None, "author": None, "period_archives": None,
}
DEFAULT_PAGINATION = 20
PAGINATION_PATTERNS = (
    (1, "{url}", "{save_as}"),
    (2, "{base_name}/trang/{number}/", "{base_name}/trang/{number}/index.html"),
)
NEWEST_FIRST_ARCHIVES = True
ARTICLE_ORDER_BY = "reversed-date"

# Pelican's own feeds are off: every feed comes from feedgen in portal_feeds.
FEED_ALL_ATOM = None
FEED_ALL_RSS = None
CATEGORY_FEED_ATOM = None
CATEGORY_FEED_RSS = None
TAG_FEED_ATOM = None
TAG_FEED_RSS = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
TRANSLATION_FEED_ATOM = None
TRANSLATION_FEED_RSS = None

# Reading is cached by content hash in the portal's reader, not by Pelican's mtime cache.
CACHE_CONTENT = False
LOAD_CONTENT_CACHE = False
WITH_FUTURE_DATES = False
RELATIVE_URLS = False
DELETE_OUTPUT_DIRECTORY = False
OUTPUT_SOURCES = False
SLUGIFY_SOURCE = "basename"
TYPOGRIFY = False
LOG_FILTER = []
PREVIEW = False  # ``invoke serve`` turns it on: adds the reload and error-overlay script
THEME_STATIC_PATHS = ["static"]  # the preview adds "preview" (its reload script)

# Release files (portal_release): development builds skip the .gz/.br copies.
PORTAL_RELEASE_PRECOMPRESS = False

# Security headers (portal_security; deploy/nginx/security-headers.conf is generated from these by
# `invoke nginx-config`, and a test checks the committed file matches). The site needs no more than
# this: own scripts, styles, fonts and images; no frames, no plugins, no third parties.
PORTAL_SECURITY_CSP = {
    "default-src": ["'none'"],
    "script-src": ["'self'"],  # add "'wasm-unsafe-eval'" only if search runs WebAssembly
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "worker-src": ["'self'"],
    "manifest-src": ["'self'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
    "object-src": ["'none'"],
}
PORTAL_SECURITY_HEADERS = {
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Cross-Origin-Resource-Policy": "same-site",
    "Cross-Origin-Opener-Policy": "same-origin",
}
