"""Production settings: everything of ``pelicanconf.py``, strict, absolute URLs, no drafts."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pelicanconf import *  # noqa: E402,F403

SITEURL = "https://thanhtra.gov.vn"
RELATIVE_URLS = False
PORTAL_STRICT = True  # any content error stops the build before anything is written

# A draft (or a future-dated article, which Pelican treats as a draft) has no page at all.
DRAFT_URL = ""
DRAFT_SAVE_AS = ""
DRAFT_LANG_URL = ""
DRAFT_LANG_SAVE_AS = ""

PORTAL_RELEASE_PRECOMPRESS = True  # .gz and .br siblings for nginx gzip_static/brotli_static
