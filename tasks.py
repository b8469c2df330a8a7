"""Tasks of Cổng TTCP (invoke): build, preview, check, publish. Paths come from pelicanconf.py."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from invoke import Collection, Exit, task

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

import pelicanconf as conf  # noqa: E402 (needs ROOT on the path)

CONTENT = Path(conf.PATH)
OUTPUT = Path(conf.OUTPUT_PATH)
CACHE = Path(conf.CACHE_PATH).parent
GOLDEN_SITE = ROOT / "tests" / "fixtures" / "sites" / "minimal"
GOLDEN_OUTPUT = ROOT / "tests" / "golden" / "minimal"


def _pelican(c, settings: str, content: Path, output: Path, extra: str = "") -> None:
    """Run Pelican with the project's settings file on ``content`` into ``output``."""
    c.run(
        f'"{sys.executable}" -m pelican "{content}" -s "{ROOT / settings}" -o "{output}" {extra}',
        pty=False,
    )


@task(help={"content": "content folder (default: content/)", "output": "output folder"})
def build(c, content: str = "", output: str = ""):
    """Development build (pelicanconf.py): builds what it can, reports every finding."""
    _pelican(c, "pelicanconf.py", Path(content or CONTENT), Path(output or OUTPUT))


@task(help={"content": "content folder (default: content/)", "output": "output folder"})
def publish(c, content: str = "", output: str = ""):
    """Production build (publishconf.py): strict; the old output stays until the new one is whole."""
    from portal.publish import swap_in  # noqa: PLC0415 (keeps ``invoke --list`` fast)

    target = Path(output or OUTPUT).resolve()
    staging = target.with_name(f".{target.name}.staging")
    shutil.rmtree(staging, ignore_errors=True)
    result = c.run(
        f'"{sys.executable}" -m pelican "{Path(content or CONTENT)}" '
        f'-s "{ROOT / "publishconf.py"}" -o "{staging}"',
        pty=False, warn=True,
    )
    if not result.ok:
        shutil.rmtree(staging, ignore_errors=True)
        raise Exit("Xuất bản thất bại: thư mục kết quả cũ được giữ nguyên.", code=1)
    swap_in(staging, target)
    print(f"Đã xuất bản vào {target}")


@task(help={"content": "content folder (default: content/)", "format": "text or json"})
def check(c, content: str = "", format: str = "text"):  # noqa: A002 (the CLI flag is --format)
    """Check every content file; print path:line: severity: [rule] message; exit 1 on errors."""
    from portal.check import check_tree  # noqa: PLC0415
    from portal.findings import summary, to_json  # noqa: PLC0415
    from portal.metadata import sections_from_settings  # noqa: PLC0415

    found = check_tree(
        Path(content or CONTENT), conf.ARTICLE_PATHS[0], conf.PAGE_PATHS[0],
        sections_from_settings(conf.SECTIONS),
    )
    if format == "json":
        print(to_json(found))
    else:
        for finding in found:
            print(finding.format())
        print(summary(found))
    if any(f.is_error for f in found):
        raise Exit(code=1)


@task(help={
    "title": "tiêu đề bài", "section": "chuyên mục (slug)", "authors": "tác giả, cách nhau bởi dấu phẩy",
})
def new(c, title: str, section: str, authors: str = ""):
    """Write a new draft article from archetypes/article.md with today's date and a slug."""
    from portal.scaffold import Layout, NewArticle, ScaffoldError, create  # noqa: PLC0415

    layout = Layout(
        CONTENT, conf.ARTICLE_PATHS[0], Path(conf.ARCHETYPES_PATH) / "article.md",
        [slug for slug, _ in conf.SECTIONS],
    )
    try:
        path = create(layout, NewArticle(title, section, authors))
    except ScaffoldError as exc:
        raise Exit(str(exc), code=1) from exc
    print(f"Đã tạo {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


@task(help={"port": "port (default 8000)", "content": "content folder", "output": "output folder"})
def serve(c, port: int = conf.PREVIEW_PORT, content: str = "", output: str = ""):
    """Build, serve on 127.0.0.1, rebuild on every change and reload the open page."""
    from portal.preview import Preview  # noqa: PLC0415

    Preview(
        root=ROOT, content=Path(content or CONTENT), output=Path(output or OUTPUT), port=port,
    ).run()


@task
def clean(c):
    """Remove the output folder and the build caches."""
    for path in (OUTPUT, CACHE):
        shutil.rmtree(path, ignore_errors=True)


@task(name="update-golden")
def update_golden(c):
    """Rebuild the golden output of the minimal fixture site (only on purpose, then review)."""
    shutil.rmtree(GOLDEN_OUTPUT, ignore_errors=True)
    _pelican(c, "publishconf.py", GOLDEN_SITE, GOLDEN_OUTPUT, "--fatal warnings")



@task(name="bench-search", help={"count": "generated articles", "browser": "also time queries in Chromium"})
def bench_search(c, count: int = 10_000, browser: bool = False):
    """Measure the search index at archive scale (build time, size, bytes and time per query)."""
    flag = " --browser" if browser else ""
    c.run(f'"{sys.executable}" "{ROOT / "bench" / "search_bench.py"}" --count {count}{flag}', pty=False)


ns = Collection(build, publish, check, new, serve, clean, update_golden, bench_search)
