"""Defaults and validation of the settings portal_images reads; unknown ``PORTAL_IMAGES_*`` fail."""

from __future__ import annotations

from portal.imaging import MIME
from portal.settings import plugin_values

DEFAULTS = {
    "PORTAL_IMAGES_WIDTHS": (480, 960, 1600),  # never upscaled: a smaller source keeps its width
    "PORTAL_IMAGES_FORMATS": ("avif", "webp", "jpeg"),  # preferred first; JPEG is the fallback
    "PORTAL_IMAGES_QUALITY": {"avif": 55, "webp": 78, "jpeg": 80},
    "PORTAL_IMAGES_AVIF_SPEED": 8,  # libavif 0 (slow, small) … 10; 8 is 3× faster than 6 for +6 %
    "PORTAL_IMAGES_MAX_BYTES": 20 * 1024 * 1024,
    "PORTAL_IMAGES_MAX_PIXELS": 50_000_000,  # above this a file is refused as a decompression bomb
    "PORTAL_IMAGES_ATTACHMENT_MAX_BYTES": 30 * 1024 * 1024,
    "PORTAL_IMAGES_SIZES": "(min-width: 46rem) 42rem, calc(100vw - 2rem)",  # the article column
    "PORTAL_IMAGES_SOCIAL_CARDS": True,
    "PORTAL_IMAGES_WORKERS": None,  # None: every core
}
PREFIX = "PORTAL_IMAGES_"


class ImagesSettingsError(SystemExit):
    """A setting of portal_images is unknown or malformed (exits with the message, no traceback)."""


def validate(settings) -> dict:
    """Return this plugin's settings (defaults filled in) without changing ``settings``."""
    values = plugin_values(settings, "portal_images", PREFIX, DEFAULTS, ImagesSettingsError)
    formats = tuple(values["PORTAL_IMAGES_FORMATS"])
    if not formats or formats[-1] != "jpeg" or not set(formats) <= MIME.keys():
        raise ImagesSettingsError(
            "portal_images: PORTAL_IMAGES_FORMATS must list avif/webp/jpeg and end with jpeg"
        )
    widths = values["PORTAL_IMAGES_WIDTHS"]
    if not widths or any(not isinstance(w, int) or w < 1 for w in widths):
        raise ImagesSettingsError("portal_images: PORTAL_IMAGES_WIDTHS must be positive integers")
    if set(formats) - values["PORTAL_IMAGES_QUALITY"].keys():
        raise ImagesSettingsError("portal_images: PORTAL_IMAGES_QUALITY needs a quality per format")
    return values
