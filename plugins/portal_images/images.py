"""Images and attachments: validate, strip, derive and publish every image content uses.

``MediaGenerator.generate_context`` runs after the article and page generators and before the
build gate (``all_generators_finalized``), so its findings can stop a strict publish. It finds
every ``Image`` field, inline ``![alt](…)`` image and attachment; reports problems as findings;
encodes cache misses on every core (``portal.imaging``); rewrites bodies' ``<img>`` into
``<picture>``; gives each content object ``portal_image``, ``portal_attachments`` and ``og_image``;
and draws the social cards. ``generate_output`` copies the cached files into the output.
Originals are never published: ``images/`` is not a static path.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from pelican import signals
from pelican.contents import Article

from portal import attachments, cards, imaging, media
from portal.incremental import OUTPUTS
from portal.output import target, write_output

from .markup import picture, rewrite_body, variant_dict
from .settings import validate

logger = logging.getLogger("pelican.plugins.portal_images")  # shown at -v, as Pelican's own INFO lines
CONTEXT_KEY = "PORTAL_FINDINGS"
FONTS = Path(__file__).parent / "fonts"
SITE = "Cổng thông tin điện tử"  # the portal's name on every card
LISTS = ("articles", "hidden_articles", "drafts", "pages", "hidden_pages", "draft_pages")


def check_settings(pelican) -> None:
    """Fail early on a malformed or unknown ``PORTAL_IMAGES_*`` setting."""
    validate(pelican.settings)


def display_path(path: str) -> str:
    """Return ``path`` as editors see it: relative to the working directory when inside it."""
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


def contents(context) -> list:
    """Every article, page and translation the build read, each once."""
    seen, found = set(), []
    for name in LISTS:
        for content in context.get(name, []):
            for item in (content, *getattr(content, "translations", [])):
                if id(item) not in seen:
                    seen.add(id(item))
                    found.append(item)
    return found


def pipeline_of(settings, values: dict) -> imaging.Pipeline:
    """Build the picklable pipeline description from the settings."""
    recipe = imaging.Recipe(
        widths=tuple(values["PORTAL_IMAGES_WIDTHS"]),
        formats=tuple(values["PORTAL_IMAGES_FORMATS"]),
        quality=tuple(sorted(values["PORTAL_IMAGES_QUALITY"].items())),
        avif_speed=values["PORTAL_IMAGES_AVIF_SPEED"],
    )
    limits = media.Limits(
        values["PORTAL_IMAGES_MAX_BYTES"],
        values["PORTAL_IMAGES_MAX_PIXELS"],
        values["PORTAL_IMAGES_ATTACHMENT_MAX_BYTES"],
    )
    cache = os.path.join(settings["CACHE_PATH"], "images")
    return imaging.Pipeline(str(settings["PATH"]), cache, recipe, limits)


class MediaGenerator:
    """Validates and derives the images and attachments of every content object."""

    def __init__(self, context, settings, path, theme, output_path, *args, **kwargs):
        self.context, self.settings, self.output_path = context, settings, output_path
        self.values = validate(settings)
        self.pipeline = pipeline_of(settings, self.values)
        self.published: dict[str, str | Path] = {}  # output path -> cached file
        self.findings: list = []

    def generate_context(self) -> None:
        """Check, derive and attach every image, attachment and social card."""
        items = contents(self.context)
        cache = media.ReferenceCache(os.path.join(self.settings["CACHE_PATH"], "media-references.sqlite"))
        uses = {id(c): self._references(c, cache) for c in items}
        cache.save()
        wanted = {r.target for refs in uses.values() for r in refs if self._derivable(r)}
        # Pelican copies every file a body links with {static}; an original must never be published.
        self.context.setdefault("static_links", set()).difference_update(wanted)
        batch = imaging.process(self.pipeline, sorted(wanted), self.values["PORTAL_IMAGES_WORKERS"])
        for content in items:
            self._attach(content, uses[id(content)], batch)
        drawn = self._cards(items) if self.values["PORTAL_IMAGES_SOCIAL_CARDS"] else 0
        _record(self.context, self.findings)
        logger.info(
            "portal_images: %d ảnh được xử lý, %d ảnh lấy từ bộ nhớ đệm, %d thẻ chia sẻ được vẽ",
            batch.encoded,
            batch.cached,
            drawn,
        )

    def _references(self, content, cache: media.ReferenceCache) -> list[media.Reference]:
        field_lines = getattr(content, "field_lines", {}) or {}
        digest = content.metadata.get("source_hash")  # the reader's sha256 of the file's bytes
        refs = cache.references(content.source_path, content.metadata, field_lines, digest)
        for ref in refs:
            if ref.kind != "attachment":
                problems = media.reference_problems(ref)
                if problems:
                    path = display_path(content.source_path)
                    self.findings.extend(media.finding(path, ref, p) for p in problems)
        return refs

    def _derivable(self, ref: media.Reference) -> bool:
        return ref.kind != "attachment" and not media.is_external(ref.written) and media.is_inside(ref.target)

    def _attach(self, content, refs: list[media.Reference], batch: imaging.Batch) -> None:
        files = []
        for ref in refs:
            if ref.kind == "attachment":
                try:
                    root = Path(self.pipeline.root)
                    files.append(attachments.check_attachment(root, ref, self.pipeline.limits).as_dict())
                except media.MediaProblem as problem:
                    self.findings.append(media.finding(display_path(content.source_path), ref, problem))
                continue
            if not self._derivable(ref):
                continue  # a third-party or escaping address: reported by reference_problems
            problem = batch.problems.get(ref.target)
            if problem is not None:
                self.findings.append(media.finding(display_path(content.source_path), ref, problem))
            elif content.save_as:
                self._publish(batch.sets[ref.target])
        content.portal_attachments = list({f["url"]: f for f in files}.values())
        self._lead_image(content, batch)
        self._rewrite(content, batch)

    def _lead_image(self, content, batch) -> None:
        source = media.content_path(getattr(content, "image", "") or "")
        found = batch.sets.get(source)
        content.portal_image = None
        if found is None:
            return
        content.portal_image = picture(
            found,
            getattr(content, "image_alt", "") or "",
            self.values["PORTAL_IMAGES_SIZES"],
            getattr(content, "image_caption", None),
            getattr(content, "image_credit", None),
        )
        # Feeds and other readers of ``image`` get a published, metadata-free JPEG.
        content.image = content.metadata["image"] = found.fallback().url

    def _rewrite(self, content, batch) -> None:
        # portal_perf keeps unchanged articles' bodies on disk and knows whether one has an <img>.
        if getattr(content, "portal_body_has_img", True) and "<img" in content._content:
            content._content = rewrite_body(
                content._content, batch.sets, self.settings["SITEURL"], self.values["PORTAL_IMAGES_SIZES"]
            )

    def _publish(self, found: imaging.ImageSet) -> None:
        cache = imaging.ImageCache(self.pipeline.cache_folder)
        for variant in found.variants:
            self.published[variant.url] = cache.variant_file(found.key, variant)

    def _cards(self, items) -> int:
        """Give every published article its card: cached ones looked up, the others drawn in parallel.

        A rebuild computes each card's key (its text, the fonts, the versions) and makes one
        ``stat`` call per article; nothing is opened.
        """
        fonts = cards.Fonts(str(FONTS / "NotoSans-Regular.ttf"), str(FONTS / "NotoSans-Bold.ttf"))
        digest, cache = fonts.digest(), imaging.ImageCache(self.pipeline.cache_folder)
        agency = self.settings.get("AGENCY", {}).get("name", "")
        jobs, owners = [], []
        for content in items:
            if not isinstance(content, Article):
                continue
            save_as = content.save_as  # Pelican formats it again on every access
            if not save_as:
                continue
            date = content.date.strftime("%d/%m/%Y")
            card = cards.Card(content.title, content.category.name, date, agency, SITE)
            key = cards.card_key(card, digest)
            name = f"images/og/{save_as.rsplit('/', 1)[0]}-{key[:12]}.jpg"
            length = cache.load_card(key)
            if length is None:
                jobs.append((card, fonts, key, name, self.pipeline.cache_folder))
                owners.append(content)
                continue
            content.og_image = variant_dict(imaging.Variant(name, *cards.SIZE, "jpeg", length))
            self.published[name] = cache.card_file(key)
        workers = self.values["PORTAL_IMAGES_WORKERS"]
        drawn = imaging.run(cards.render, jobs, workers, chunksize=card_chunk(len(jobs), workers))
        for content, job, variant in zip(owners, jobs, drawn, strict=True):
            content.og_image = variant_dict(variant)
            self.published[variant.url] = cache.card_file(job[2])
        return len(jobs)

    def generate_output(self, writer) -> None:
        """Copy every derivative and card the published pages use from the cache.

        Their names carry the hash of what made them, so an output file of that name and of the
        cached file's size already holds those bytes (a rebuild then reads neither file).
        """
        for relative, cached in sorted(self.published.items()):
            path = target(self.output_path, relative)
            if _same_size(path, cached):
                OUTPUTS.record(path)
            else:
                write_output(self.output_path, relative, Path(cached).read_bytes())


def card_chunk(jobs: int, workers: int | None) -> int:
    """Return how many cards go to a worker at once: about 8 rounds a worker, at most 64 cards."""
    return max(1, min(64, jobs // (8 * (workers or os.cpu_count() or 1))))


def _same_size(path: Path, cached: str | os.PathLike) -> bool:
    try:
        return os.stat(path).st_size == os.stat(cached).st_size
    except OSError:
        return False


def _record(context, found) -> None:
    """Add findings to the build's list (the gate in portal_content reads it) and log them."""
    context.setdefault(CONTEXT_KEY, []).extend(found)
    for item in sorted(found):
        (logger.error if item.is_error else logger.warning)("%s", item.format(), extra={"limit_msg": None})


def get_generators(pelican):
    """Add the media generator (it runs after the article and page generators)."""
    return MediaGenerator


def register() -> None:
    """Connect the handlers."""
    signals.initialized.connect(check_settings)
    signals.get_generators.connect(get_generators)
