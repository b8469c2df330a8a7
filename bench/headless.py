"""Measure what the headless outputs (feeds, API, sitemaps, redirects) add to a large publish.

usage: .venv/bin/python bench/headless.py [--articles 10000] [--keep DIR] [--generators-only]

Writes N generated Vietnamese articles (eight sections, tags, two authors, a featured image on
every tenth, a Legacy_url on every fifth) into a temporary content folder, publishes it twice
with ``publishconf.py`` — once with the configured PLUGINS, once without the four headless
plugins — and prints both wall times, their difference and each generator's own time (from
the ``in N s`` of its log line). ``--generators-only`` reads the corpus in-process and times
only the four generators' output step, without Pelican's HTML pages.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pelicanconf  # noqa: E402

HEADLESS = ("portal_feeds", "portal_api", "portal_sitemap", "portal_redirects")
IMAGE = ROOT / "tests" / "fixtures" / "sites" / "headless" / "images" / "2026" / "hoi-nghi.jpg"
TAGS = ["Đất đai", "Tiếp công dân", "Phòng, chống tham nhũng", "Chuyển đổi số", "Đảng ủy", "Ấn phẩm"]
AUTHORS = ["Phương Anh", "Thanh Danh", "Bích Ngọc", "Ánh Dương", "PV"]


def article(number: int, when: datetime, section: str) -> str:
    """Return the Markdown of generated article ``number``."""
    lines = [
        f"Title: Bản tin số {number} về công tác thanh tra",
        f"Date: {when:%Y-%m-%d %H:%M}",
        f"Category: {section}",
        f"Tags: {TAGS[number % len(TAGS)]}; {TAGS[(number + 2) % len(TAGS)]}",
        f"Authors: {AUTHORS[number % len(AUTHORS)]}, {AUTHORS[(number + 1) % len(AUTHORS)]}",
        f"Summary: (Thanh tra) - Bản tin số {number}: kết quả thanh tra và tiếp công dân.",
    ]
    if number % 10 == 0:
        lines += ["Image: images/bench.jpg", "Image_alt: Ảnh minh họa hội nghị"]
    if number % 5 == 0:
        lines.append(
            f"Legacy_url: /web/guest/xem-chi-tiet-tin-tuc/-/asset_publisher//Content/tin-{number}?{number}"
        )
    body = "\n\n".join(
        f"Đoạn {p}: Đoàn thanh tra đã làm việc với các sở, ngành liên quan về quản lý đất đai."
        for p in range(6)
    )
    return "\n".join(lines) + f"\n\n## Kết quả\n\n{body}\n\nPhương Anh\n"


def write_corpus(folder: Path, count: int) -> None:
    """Write ``count`` articles (one per hour, newest 2026-11-26) and the image they share."""
    sections = [slug for slug, _ in pelicanconf.SECTIONS]
    start = datetime(2026, 11, 26, 14, 0)
    for number in range(count):
        when = start - timedelta(hours=number)
        section = sections[number % len(sections)]
        path = folder / "articles" / section / f"{when:%Y}" / f"ban-tin-{number}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(article(number, when, section), encoding="utf-8")
    (folder / "images").mkdir(parents=True, exist_ok=True)
    shutil.copy(IMAGE, folder / "images" / "bench.jpg")
    (folder / "pages").mkdir(exist_ok=True)


# Runs Pelican with an INFO handler on the headless plugins' loggers only (the plain handler
# shows warnings and errors only, and Rich's verbose log of every written file would skew times).
RUNNER = """
import logging, sys
from pelican import main
handler = logging.StreamHandler(sys.stdout)
for name in %r:
    logger = logging.getLogger(name)
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
sys.argv[0] = "pelican"
main()
"""


def publish(content: Path, output: Path, plugins: list[str]) -> tuple[float, str]:
    """Run a publish with ``plugins``; return its wall time and log."""
    command = [
        sys.executable,
        "-c",
        RUNNER % (HEADLESS,),
        str(content),
        "-s",
        str(ROOT / "publishconf.py"),
        "-o",
        str(output),
        "--log-handler",
        "plain",
        "-e",
        f"PLUGINS={plugins!r}".replace("'", '"'),
    ]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(done.stdout + done.stderr)
    return elapsed, done.stdout + done.stderr


def generators_only(content: Path, output: Path) -> dict[str, tuple[float, float]]:
    """Read ``content`` as a publish does, then time only the headless generators' output step.

    Pelican's own HTML writing (most of a publish) is skipped, so the numbers are what the four
    generators themselves cost: ``(wall, CPU)`` seconds each, context and output steps together.
    """
    from pelican import Pelican, signals  # noqa: PLC0415
    from pelican.settings import read_settings  # noqa: PLC0415

    settings = read_settings(
        str(ROOT / "publishconf.py"), override={"PATH": str(content), "OUTPUT_PATH": str(output)}
    )
    pelican = Pelican(settings)
    context = settings.copy()
    context.update(
        generated_content={}, static_links=set(), static_content={}, localsiteurl=settings["SITEURL"]
    )
    generators = [
        cls(
            context=context,
            settings=settings,
            path=pelican.path,
            theme=pelican.theme,
            output_path=pelican.output_path,
        )
        for cls in pelican._get_generator_classes()
    ]
    times: dict[str, tuple[float, float]] = {}

    def timed(generator, step) -> None:
        name = type(generator).__name__
        wall, cpu = time.perf_counter(), time.process_time()
        step()
        before = times.get(name, (0.0, 0.0))
        times[name] = (before[0] + time.perf_counter() - wall, before[1] + time.process_time() - cpu)

    ours = [g for g in generators if type(g).__module__.split(".")[0] in HEADLESS]
    for generator in generators:
        if generator in ours:
            timed(generator, generator.generate_context)
        else:
            generator.generate_context()
    signals.all_generators_finalized.send(generators)
    for generator in ours:
        timed(generator, lambda g=generator: g.generate_output(None))
    return times


def main() -> None:
    """Generate the corpus, publish with and without the headless plugins, print the numbers."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--keep", type=Path, help="keep the corpus and outputs in this folder")
    parser.add_argument(
        "--generators-only", action="store_true", help="time the four generators in-process, no HTML"
    )
    options = parser.parse_args()
    folder = options.keep or Path(tempfile.mkdtemp(prefix="bench-headless-"))
    try:
        run(folder, options.articles, options.generators_only)
    finally:
        if not options.keep:
            shutil.rmtree(folder, ignore_errors=True)


def run(folder: Path, articles: int, only_generators: bool) -> None:
    """Write the corpus into ``folder`` and print the measurements."""
    write_corpus(folder / "content", articles)
    print(f"articles: {articles}")
    if only_generators:
        times = generators_only(folder / "content", folder / "generators")
        for name, (wall, cpu) in times.items():
            print(f"  {name}: {wall:.2f} s wall, {cpu:.2f} s CPU")
        walls, cpus = zip(*times.values(), strict=True)
        print(f"  total: {sum(walls):.2f} s wall, {sum(cpus):.2f} s CPU")
        return
    without = [p for p in pelicanconf.PLUGINS if p not in HEADLESS]
    publish(folder / "content", folder / "warm", without)  # fills the parse cache for both runs
    base, _ = publish(folder / "content", folder / "without", without)
    full, log = publish(folder / "content", folder / "with", pelicanconf.PLUGINS)
    print(f"publish without headless plugins: {base:.1f} s")
    print(f"publish with headless plugins:    {full:.1f} s (difference {full - base:+.1f} s)")
    for line in re.findall(r"portal_(?:feeds|api|sitemap|redirects): .*? in [\d.]+ s", log):
        print(f"  {line}")


if __name__ == "__main__":
    main()
