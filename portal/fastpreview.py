"""The preview's fast path: the page of the article an editor just saved, rendered alone.

A full build of an archive of 10,000 articles takes seconds to tens of seconds, and an editor who
saves expects to see the change at once. So, as Hugo's fast render mode does, the preview first
renders only the saved article's page in its own (long-lived) process, with the plugins that make
an article page (reader, checks of the file, sanitising, images and social card, theme helpers),
and only then starts the full build, which brings the listings, feeds, neighbours and related
articles up to date a little later. Only the saved article's own page is written; when the file
is not a publishable article (a draft, a page, a broken header), the fast path steps aside and
the full build reports what is wrong.
"""

from __future__ import annotations

import locale
import logging
import os
from pathlib import Path

from portal.incremental import replace_if_changed

logger = logging.getLogger(__name__)


class FastRenderer:
    """Renders single articles with the site's settings, theme and plugins, loaded once."""

    def __init__(self, root: Path, content: Path, output: Path, overrides: dict | None = None):
        from pelican import Pelican
        from pelican.settings import read_settings

        override = {
            "PATH": str(content),
            "OUTPUT_PATH": str(output),
            "PREVIEW_SINGLE_FILE": True,  # portal_content: do not read the whole archive ahead
            **(overrides or {}),
        }
        saved = locale.setlocale(locale.LC_ALL)  # Pelican sets LOCALE for the whole process
        try:
            self.settings = read_settings(str(root / "pelicanconf.py"), override=override)
            self.pelican = Pelican(self.settings)  # loads and registers the plugins once
        finally:
            locale.setlocale(locale.LC_ALL, saved)
        self.content, self.output = Path(content).resolve(), Path(output)

    def render(self, path: Path) -> str | None:
        """Write the page of the article at ``path``; return its output path, or ``None`` to defer."""
        from pelican import signals
        from pelican.contents import Article
        from pelican.generators import ArticlesGenerator
        from pelican.writers import Writer

        path = Path(path).resolve()
        articles = (self.content / self.settings["ARTICLE_PATHS"][0]).resolve()
        if path.suffix != ".md" or not path.is_file() or not path.is_relative_to(articles):
            return None
        context = self.settings.copy()
        context.update(generated_content={}, static_links=set(), static_content={})
        context["localsiteurl"] = self.settings["SITEURL"]
        generator = ArticlesGenerator(
            context=context,
            settings=self.settings,
            path=str(self.content),
            theme=self.settings["THEME"],
            output_path=str(self.output),
        )
        article = self._read(generator, context, path, Article)
        if article is None or getattr(article, "status", "") != "published" or not article.save_as:
            return None
        generator.articles = [article]
        pages = self._pages(generator, context)
        context.update(articles=[article], dates=[article], pages=pages, hidden_pages=[])
        signals.article_generator_finalized.send(generator)
        if "portal_feeds" in self.settings["PLUGINS"]:  # the feed links of the page's head
            from portal_feeds.feeds import FeedsGenerator  # noqa: PLC0415 (on PLUGIN_PATHS)

            feeds = FeedsGenerator(
                context, self.settings, str(self.content), self.settings["THEME"], str(self.output)
            )
            feeds.generate_context()
        if "portal_images" in self.settings["PLUGINS"]:  # derivatives and card of this article
            from portal_images.images import MediaGenerator  # noqa: PLC0415 (on PLUGIN_PATHS)

            media = MediaGenerator(
                context, self.settings, str(self.content), self.settings["THEME"], str(self.output)
            )
            media.generate_context()
            media.generate_output(None)
        # Rendered beside the output, then renamed into place: the preview server never sends a
        # half-written page.
        scratch = self.output.parent / f".{self.output.name}.fast"
        Writer(str(scratch), settings=self.settings).write_file(
            article.save_as,
            generator.get_template(article.template),
            context,
            article=article,
            category=getattr(article, "category", None),
            url=article.url,
            blog=True,
            relative_urls=self.settings["RELATIVE_URLS"],
        )
        # The templates wrote the fingerprinted theme URLs and their SRI (portal_assets' filters),
        # as in a build: the page is final as rendered.
        page = (scratch / article.save_as).read_bytes()
        written = self.output / article.save_as
        replace_if_changed(written, page)
        return str(written)

    def findings(self, path: Path) -> tuple[str, list[dict]]:
        """Return the file's path as findings name it, and the file's own findings.

        Those are what reading it and the rules that look at nothing else report, as the build
        reports them; the full build that follows adds the rules that look across files.
        """
        from dataclasses import asdict
        from datetime import datetime

        from portal import rules
        from portal.check import read_document
        from portal.document import Site
        from portal.metadata import ARTICLE, sections_from_settings
        from portal.text import TIMEZONE

        sections = sections_from_settings(self.settings["SECTIONS"])
        doc = read_document(Path(path), ARTICLE, sections)
        now = datetime.now(TIMEZONE)
        site = Site(self.content, sections, [doc], now, self.settings.get("DOCUMENT_SECTION"))
        local = [rule for rule in rules.RULES if rule.check is not None and rule.id not in rules.SITE_RULES]
        found = sorted({*doc.source.findings, *(f for rule in local for f in rule.findings(doc, site))})
        return doc.source.path, [asdict(f) | {"text": f.format()} for f in found]

    def _pages(self, generator, context) -> list:
        """Read the published pages (the menus and footer list them): a handful of files."""
        from pelican.contents import Page

        pages = []
        for folder in self.settings["PAGE_PATHS"]:
            for path in sorted((self.content / folder).rglob("*.md")):
                page = self._read(generator, context, path, Page)
                if page is not None and getattr(page, "status", "") == "published":
                    pages.append(page)
        return pages

    def _read(self, generator, context, path: Path, content_class):
        """Read one file as the build does; ``None`` when it cannot be (the full build says why)."""
        try:
            return generator.readers.read_file(
                base_path=str(self.content),
                path=os.path.relpath(path, self.content),
                content_class=content_class,
                context=context,
            )
        except Exception:  # noqa: BLE001 (the full build reports the problem, in Vietnamese)
            logger.debug("fast preview: %s left to the full build", path, exc_info=True)
            return None
