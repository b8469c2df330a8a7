"""Stock Pelican on the bench archive: its own reader and the built-in "simple" theme, no plugins.

The same Markdown extensions as the portal, the same page size, and its content cache switched
on (as a site that wants fast rebuilds would). Everything else is Pelican's default, so the
comparison is with what a team would get from Pelican alone.
"""

from __future__ import annotations

SITENAME = "Cổng thông tin điện tử Thanh tra Chính phủ"
SITEURL = ""
TIMEZONE = "Asia/Ho_Chi_Minh"
DEFAULT_LANG = "vi"
THEME = "simple"
PLUGINS = []
ARTICLE_PATHS = ["articles"]
PAGE_PATHS = ["pages"]
STATIC_PATHS = ["images", "files"]
DEFAULT_PAGINATION = 20
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
YEAR_ARCHIVE_SAVE_AS = "{date:%Y}/index.html"
CACHE_CONTENT = True
LOAD_CONTENT_CACHE = True
CONTENT_CACHING_LAYER = "reader"
DELETE_OUTPUT_DIRECTORY = False
RELATIVE_URLS = False
