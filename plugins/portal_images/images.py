"""Images and attachments: validate, strip, derive and publish every image content uses.

``MediaGenerator.generate_context`` runs after the article and page generators and before the
build gate (``all_generators_finalized``), so its findings can stop a strict publish. It finds
every ``Image`` field, inline ``![alt](…)`` image and attachment; reports problems as findings;
encodes cache misses on every core (``portal.imaging``); rewrites bodies' ``<img>`` into
``<picture>``; gives each content object ``portal_image``, ``portal_attachments`` and ``og_image``;
and has the missing social cards drawn. ``generate_output`` links the cached files into the output.
Originals are never published: ``images/`` is not a static path.

A card's name is its content hash, known without drawing it, so pages are rendered while the
missing cards are drawn: from ``BACKGROUND_MIN`` of them, by fresh processes (``CardDrawing``;
one per core but the one the build keeps using) started when the media generator runs. They
write into the cache at once and into the output only once the build writes (``get_writer``, sent
after every ``all_generators_finalized`` receiver, the strict gate of ``portal_content`` among
them); this plugin's ``finalized`` receiver waits for them, before ``portal_perf`` prunes and
``portal_release`` stamps, which come later in ``PLUGINS``. A card that cannot be drawn stops the
build with its article and the error, before the release.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import json
import logging
import os
import stat
import subprocess
import sys
from pathlib import Path

import pelican
from pelican import signals
from pelican.contents import Article

from portal import attachments, cards, imaging, media
from portal.incremental import OUTPUTS, link_from_cache
from portal.output import code_digest, settings_digest, target

from .markup import picture, rewrite_body
from .settings import validate

logger = logging.getLogger("pelican.plugins.portal_images")  # shown at -v, as Pelican's own INFO lines
CONTEXT_KEY = "PORTAL_FINDINGS"
FONTS = Path(__file__).parent / "fonts"
SITE = "Cổng thông tin điện tử"  # the portal's name on every card
LISTS = ("articles", "hidden_articles", "drafts", "pages", "hidden_pages", "draft_pages")
BACKGROUND_MIN = 32  # fewer missing cards are drawn in this process: a process costs about 0.3 s


class CardError(SystemExit):
    """A social card could not be drawn: the build stops with this message (no traceback)."""


class CardDrawing:
    """The processes drawing this build's missing cards while it renders its pages.

    Fresh interpreters (``python -m portal.cards``), not forks: a fork of the build's process would
    hold a private copy of every page of its memory the build writes to while the cards are drawn.
    Each gets an order file (JSON) of every n-th card; its standard input carries the build's go
    for the output, its standard output its report (``portal.cards.serve``).
    """

    def __init__(self, jobs: list[tuple[cards.Card, str, str]], sources: list[str], fonts, cache, workers):
        self.sources, self.count = sources, len(jobs)
        self.outputs = [output for _, _, output in jobs]
        self.fonts, self.cache = fonts, imaging.ImageCache(cache)
        self.orders = [jobs[number::workers] for number in range(workers)]  # each process's cards
        self.processes: list[tuple[subprocess.Popen, str, list[int]]] = []
        os.makedirs(cache, exist_ok=True)
        environment = dict(os.environ, PYTHONPATH=os.pathsep.join(p or os.getcwd() for p in sys.path))
        for number in range(workers):
            order = os.path.join(cache, f".cards-{os.getpid()}-{number}.json")
            cards.write_order(order, fonts, cache, jobs[number::workers])
            process = subprocess.Popen(
                [sys.executable, "-m", "portal.cards", order],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env=environment,
            )
            self.processes.append((process, order, list(range(self.count))[number::workers]))
        self.published = False

    def publish(self) -> None:
        """Let the processes write into the output (the build gate has passed)."""
        if not self.published:
            self.published = True
            for process, _, _ in self.processes:
                self._send(process, b"1")

    def wait(self) -> list[str]:
        """Wait for every process; return one message per card that could not be drawn.

        While a process is still drawing, this process (which has nothing else to do) draws its
        order's last cards, from the end, until it meets a card the process drew: the process
        skips the cards it finds in the cache (``portal.cards.serve``), so the two cores finish
        the order together. A card this process cannot draw is left to the process, which
        reports it.
        """
        self.publish()
        for (process, _, _), jobs in zip(self.processes, self.orders, strict=True):
            self._help(process, jobs)
        problems = []
        for process, order, indexes in self.processes:
            report = process.stdout.read().decode("utf-8", "replace").strip().splitlines()
            process.stdout.close()
            code = process.wait()
            _remove(order)
            try:
                outcome = json.loads(report[-1])
            except (IndexError, ValueError):
                outcome = {"failed": None, "error": f"tiến trình vẽ dừng bất thường (mã {code})"}
            if "drawn" not in outcome or code != 0:
                index = outcome.get("failed")
                where = self.sources[indexes[index]] if isinstance(index, int) else "?"
                problems.append(f'không vẽ được thẻ chia sẻ của "{where}": {outcome.get("error")}')
        for output in self.outputs:
            OUTPUTS.record(output)
        return problems

    def _help(self, process: subprocess.Popen, jobs: list[tuple[cards.Card, str, str]]) -> int:
        """Draw ``jobs`` from the last while ``process`` runs and has not drawn them; return how many."""
        drawn = 0
        for card, key, output in reversed(jobs):
            if process.poll() is not None or self.cache.load_card(key) is not None:
                break
            try:
                data = cards.encode(card, self.fonts)
            except Exception:  # noqa: BLE001 (the process draws it too and reports the error)
                break
            self.cache.store_card(key, data)
            link_from_cache(self.cache.card_file(key), output)
            drawn += 1
        return drawn

    def stop(self) -> None:
        """End the processes without publishing anything (the build stopped)."""
        for process, order, _ in self.processes:
            if process.poll() is None:
                self._send(process, b"")
                process.kill()
            process.wait()
            process.stdout.close()
            _remove(order)
        self.processes = []

    @staticmethod
    def _send(process: subprocess.Popen, verdict: bytes) -> None:
        try:
            if verdict:
                process.stdin.write(verdict)
            process.stdin.close()
        except (BrokenPipeError, ValueError):  # the process has already ended: its report says why
            pass


_DRAWING: list[CardDrawing] = []  # started by this build's media generator, not yet waited for


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        os.remove(path)


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
        _stop_drawing()  # a previous build of this process that stopped half-way (autoreload)
        self.context, self.settings, self.output_path = context, settings, output_path
        self.values = validate(settings)
        self.pipeline = pipeline_of(settings, self.values)
        self.published: dict[str, str | Path] = {}  # output path -> cached file
        self.lengths: dict[str, int] = {}  # output path -> the cached file's size, when known
        self._variants: dict[int, list[tuple[str, Path]]] = {}  # id of an ImageSet -> its files
        self.findings: list = []

    def generate_context(self) -> None:
        """Check, derive and attach every image, attachment and social card."""
        items = contents(self.context)
        cache = media.ReferenceCache(os.path.join(self.settings["CACHE_PATH"], "media-references.pickle"))
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
        files = self._variants.get(id(found))  # one set serves every article using the image
        if files is None:
            cache = imaging.ImageCache(self.pipeline.cache_folder)
            files = self._variants[id(found)] = [
                (v.url, cache.variant_file(found.key, v)) for v in found.variants
            ]
            self.lengths.update((v.url, v.length) for v in found.variants)  # the cached files' sizes
        self.published.update(files)

    def _salt(self, fonts_digest: str) -> bytes:
        """Return what every card's key and name depend on besides the article's file and status."""
        versions = f"{pelican.__version__}\0{SITE}\0{fonts_digest}".encode()
        return hashlib.sha256(code_digest() + settings_digest(self.settings) + versions).digest()

    def _cards(self, items) -> int:
        """Give every published article its card: cached ones looked up, the others drawn.

        A rebuild takes each article's card key and name from the last build (``cards.CardNames``,
        by its file's path, bytes and status) and makes one ``stat`` call per article; nothing is
        opened. ``og_image`` is known from the key alone (its byte length is not part of it), so
        the pages need not wait for the drawing: from ``BACKGROUND_MIN`` missing cards and two
        workers, ``CardDrawing`` draws them meanwhile.
        """
        fonts = cards.Fonts(str(FONTS / "NotoSans-Regular.ttf"), str(FONTS / "NotoSans-Bold.ttf"))
        folder = self.pipeline.cache_folder
        digest, cache = fonts.digest(), imaging.ImageCache(folder)
        agency = self.settings.get("AGENCY", {}).get("name", "")
        kept = os.path.join(self.settings["CACHE_PATH"], "card-names.pickle")
        names = cards.CardNames(kept, self._salt(digest))
        missing: list[tuple[cards.Card, str, str, str]] = []  # card, key, name, source path
        for content in items:
            if not isinstance(content, Article):
                continue
            found = names.get(_card_key_of(content), lambda c=content: _card_name(c, agency, digest))
            if found is None:  # no page of its own
                continue
            key, name = found
            content.og_image = og_image(name)
            cached = cache.card_file(key)
            length = cache.load_card(key, cached)
            if length is None:
                missing.append((_card(content, agency), key, name, display_path(content.source_path)))
            else:
                self.published[name], self.lengths[name] = cached, length
        names.save()
        workers = self.values["PORTAL_IMAGES_WORKERS"] or os.cpu_count() or 1
        if len(missing) >= BACKGROUND_MIN and workers > 1:
            jobs = [(card, key, str(target(self.output_path, name))) for card, key, name, _ in missing]
            sources = [source for *_, source in missing]
            _DRAWING.append(CardDrawing(jobs, sources, fonts, folder, workers - 1))
            return len(missing)
        for card, key, name, source in missing:
            try:
                cards.render(card, fonts, key, name, folder)
            except Exception as exc:  # noqa: BLE001 (the build stops with the article and the error)
                problem = f'không vẽ được thẻ chia sẻ của "{source}": {type(exc).__name__}: {exc}'
                raise _card_error([problem]) from None
            self.published[name] = cache.card_file(key)
        return len(missing)

    def generate_output(self, writer) -> None:
        """Put every derivative and card the published pages use in the output, linked from the cache.

        Their names carry the hash of what made them, so an output file of that name and of the
        cached file's size already holds those bytes (a rebuild then reads neither file). Such a
        file, in a folder of the output that is no link, costs one ``lstat`` (``_in_place``): a
        rebuild finds every one of the thousands it publishes there.
        """
        root = os.path.realpath(self.output_path)
        plain: dict[str, bool] = {}  # folder → whether it is its own real path, inside the output
        for relative, cached in sorted(self.published.items()):
            length = self.lengths.get(relative)
            found = _in_place(root, relative, length, plain)
            if found is not None:
                OUTPUTS.record(found)
                continue
            path = target(self.output_path, relative)
            if _same_size(path, cached, length):
                OUTPUTS.record(path)
            else:
                link_from_cache(cached, path)
        # Nothing reads them again: their memory is free for the steps after (the release's peak).
        self.published, self.lengths, self._variants = {}, {}, {}


def og_image(name: str) -> dict:
    """Return what the article's page reads of its card (``og:image`` and its type and size)."""
    return {"url": name, "width": cards.SIZE[0], "height": cards.SIZE[1], "type": "image/jpeg"}


def _card(content, agency: str) -> cards.Card:
    """Return what the article's card shows."""
    return cards.Card(content.title, content.category.name, content.date.strftime("%d/%m/%Y"), agency, SITE)


def _card_name(content, agency: str, fonts_digest: str) -> tuple[str, str] | None:
    """Return the card's key and output name, or ``None`` for an article without a page."""
    save_as = content.save_as  # Pelican formats it again on every access
    if not save_as:
        return None
    key = cards.card_key(_card(content, agency), fonts_digest)
    return key, f"images/og/{save_as.rsplit('/', 1)[0]}-{key[:12]}.jpg"


def _card_key_of(content) -> tuple | None:
    """Return what varies per article in its card's key and name: path, bytes, status, language."""
    digest = content.metadata.get("source_hash")
    if not digest:
        return None
    return content.source_path, digest, content.status, content.in_default_lang


def _card_error(problems: list[str]) -> CardError:
    for problem in problems:
        logger.error("portal_images: %s", problem, extra={"limit_msg": None})
    return CardError("Bản dựng bị dừng: không vẽ được thẻ chia sẻ (xem lỗi ở trên). Chưa phát hành.")


def publish_cards(pelican) -> None:
    """Let the card processes write into the output: the build passed its gate and now writes.

    A ``get_writer`` receiver answering no writer (``portal_perf`` answers it).
    """
    for drawing in _DRAWING:
        drawing.publish()


def finish_cards(pelican) -> None:
    """Wait for the card processes; stop the build, before the release, if a card failed."""
    problems = []
    while _DRAWING:
        problems += _DRAWING.pop(0).wait()
    if problems:
        raise _card_error(problems)


def _stop_drawing() -> None:
    while _DRAWING:
        _DRAWING.pop(0).stop()


def _same_size(path: Path, cached: str | os.PathLike, length: int | None = None) -> bool:
    try:
        return os.stat(path).st_size == (os.stat(cached).st_size if length is None else length)
    except OSError:
        return False


def _in_place(root: str, relative: str, length: int | None, plain: dict[str, bool]) -> str | None:
    """Return the output file of ``relative`` when it is a regular file of ``length`` bytes, else ``None``.

    What ``target`` returns for it then (``root`` is the output's real path): the file is no
    link and its folder, inside the output, is its own real path (checked once per folder, in
    ``plain``). Any other case (a missing file, a link, another size, no known ``length``) is
    ``None``: the caller takes the checked way.
    """
    if length is None:
        return None
    path = os.path.normpath(os.path.join(root, relative))
    try:
        found = os.lstat(path)
    except OSError:
        return None
    if not stat.S_ISREG(found.st_mode) or found.st_size != length:
        return None
    folder = os.path.dirname(path)
    inside = plain.get(folder)
    if inside is None:
        inside = plain[folder] = folder.startswith(root + os.sep) and os.path.realpath(folder) == folder
    return path if inside else None


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
    signals.get_writer.connect(publish_cards)  # after every all_generators_finalized receiver
    signals.finalized.connect(finish_cards)  # before portal_perf's pruning and the release
    atexit.register(_stop_drawing)  # a build that stopped early leaves no process drawing
