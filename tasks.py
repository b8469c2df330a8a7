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
        f'"{sys.executable}" -m portal.build "{content}" -s "{ROOT / settings}" -o "{output}" {extra}',
        pty=False,
    )


@task(help={"content": "content folder (default: content/)", "output": "output folder"})
def build(c, content: str = "", output: str = ""):
    """Development build (pelicanconf.py): builds what it can, reports every finding."""
    _pelican(c, "pelicanconf.py", Path(content or CONTENT), Path(output or OUTPUT))


@task(help={"content": "content folder (default: content/)", "output": "output folder"})
def publish(c, content: str = "", output: str = ""):
    """Production build (publishconf.py): strict; the old output stays until the new one is whole."""
    from portal.publish import CHANGES, stage, swap_in  # noqa: PLC0415 (keeps ``invoke --list`` fast)

    target = Path(output or OUTPUT).resolve()
    # A hard-linked copy of the last output (only changes are rewritten), brought up to date with
    # the last release's record of what it changed.
    staging = stage(target, Path(conf.CACHE_PATH) / CHANGES)
    result = c.run(
        f'"{sys.executable}" -m portal.build "{Path(content or CONTENT)}" '
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
    from portal.check import Tree, check_tree  # noqa: PLC0415
    from portal.findings import summary, to_json  # noqa: PLC0415
    from portal.metadata import sections_from_settings  # noqa: PLC0415

    if format not in ("text", "json"):
        raise Exit(f'Định dạng "{format}" không được hỗ trợ: dùng text hoặc json.', code=2)
    found = check_tree(Tree(
        Path(content or CONTENT), conf.ARTICLE_PATHS[0], conf.PAGE_PATHS[0],
        sections_from_settings(conf.SECTIONS), conf.DOCUMENT_SECTION,
    ))
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
    "content": "content folder (default: content/)",
})
def new(c, title: str, section: str, authors: str = "", content: str = ""):
    """Write a new draft article from archetypes/article.md with today's date and a slug."""
    from portal.scaffold import Layout, NewArticle, ScaffoldError, create  # noqa: PLC0415

    layout = Layout(
        Path(content or CONTENT), conf.ARTICLE_PATHS[0], Path(conf.ARCHETYPES_PATH) / "article.md",
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
    """Remove the output folder, its next stage and the build caches."""
    from portal.publish import staging_of  # noqa: PLC0415

    for path in (OUTPUT, staging_of(OUTPUT), CACHE):
        shutil.rmtree(path, ignore_errors=True)


@task(name="update-golden")
def update_golden(c):
    """Rebuild the golden output of the minimal fixture site (only on purpose, then review)."""
    shutil.rmtree(GOLDEN_OUTPUT, ignore_errors=True)
    with c.prefix("export SOURCE_DATE_EPOCH=1767225600 SOURCE_COMMIT=" + "0" * 40):  # as tests/conftest.py
        _pelican(c, "publishconf.py", GOLDEN_SITE, GOLDEN_OUTPUT, "--fatal errors")


# Release and deploy (docs/deploy.md). Nodes and load balancers are read from deploy/nodes.toml.
DEPLOY = ROOT / "deploy"
RELEASES = ROOT / "releases"


@task(help={"content": "content folder", "output": "output folder", "releases": "tarball folder"})
def release(c, content: str = "", output: str = "", releases: str = ""):
    """Publish, then write the output as releases/<build id>.tar.gz (same commit, same bytes)."""
    from portal.epoch import source_date_epoch  # noqa: PLC0415
    from portal.release import read_manifest, tarball  # noqa: PLC0415

    publish(c, content=content, output=output)
    folder = Path(output or OUTPUT).resolve()
    build_id = read_manifest(folder)["build_id"]
    epoch = source_date_epoch(Path(content or CONTENT))
    path = tarball(folder, Path(releases or RELEASES) / f"{build_id}.tar.gz", epoch)
    print(f"Bản phát hành {build_id}: {path}")


@task(name="nginx-config")
def nginx_config(c):
    """Regenerate deploy/nginx/security-headers.conf and portal.conf from pelicanconf.py."""
    from portal.nginx import write_deploy_files  # noqa: PLC0415

    for path in write_deploy_files(DEPLOY, conf.PORTAL_SECURITY_CSP, conf.PORTAL_SECURITY_HEADERS):
        print(f"Đã ghi {path.relative_to(ROOT)}")


NODES = DEPLOY / "nodes.toml"


def _cluster(nodes: str):
    from portal.cluster import ClusterError, load_cluster  # noqa: PLC0415

    try:
        return load_cluster(Path(nodes or NODES))
    except ClusterError as exc:
        raise Exit(str(exc), code=1) from exc


@task(help={"nodes": "cluster file (default deploy/nodes.toml)", "release": "release folder or .tar.gz"})
def deploy(c, nodes: str = "", release: str = ""):
    """Upload a release to every node, then switch them one by one behind HAProxy."""
    from portal.deploy import DeployError  # noqa: PLC0415
    from portal.deploy import deploy as roll_out

    try:
        roll_out(_cluster(nodes), Path(release or OUTPUT))
    except DeployError as exc:
        raise Exit(f"Triển khai thất bại: {exc}", code=1) from exc


@task(help={"nodes": "cluster file (default deploy/nodes.toml)", "to": "release id (default: previous)"})
def rollback(c, nodes: str = "", to: str = ""):
    """Switch every node back to the previous release (or --to ID), one at a time."""
    from portal.deploy import DeployError  # noqa: PLC0415
    from portal.deploy import rollback as roll_back

    try:
        roll_back(_cluster(nodes), to)
    except DeployError as exc:
        raise Exit(f"Quay lui thất bại: {exc}", code=1) from exc


@task(help={"nodes": "cluster file (default deploy/nodes.toml)", "release": "release folder or .tar.gz"})
def verify(c, nodes: str = "", release: str = ""):
    """Compare what every node serves with the release's manifest; exit 1 listing differences."""
    from portal.deploy import manifest_of, release_folder  # noqa: PLC0415
    from portal.deploy import verify as compare

    with release_folder(Path(release or OUTPUT)) as folder:
        manifest = manifest_of(folder)
    found = compare(_cluster(nodes), manifest)
    for difference in found:
        print(difference)
    if found:
        raise Exit(f"{len(found)} tệp khác với manifest của {manifest['build_id']}", code=1)
    print(f"Mọi máy phục vụ đúng {manifest['build_id']}")


@task(name="gh-pages", help={"output": "published folder", "remote": "git remote name or URL",
                             "branch": "branch (default gh-pages)"})
def gh_pages(c, output: str = "", remote: str = "origin", branch: str = "gh-pages"):
    """Push the published output to the gh-pages branch with ghp-import (a static mirror)."""
    from portal.mirror import MirrorError, push_mirror  # noqa: PLC0415

    try:
        commit = push_mirror(Path(output or OUTPUT), remote, branch, ROOT)
    except MirrorError as exc:
        raise Exit(f"gh-pages thất bại: {exc}", code=1) from exc
    print(f"Đã đẩy {branch} ({commit[:12]}) lên {remote}")


def _address(url: str) -> str:
    """``http://10.0.1.11`` → ``10.0.1.11:80`` (a server line of HAProxy)."""
    from urllib.parse import urlsplit  # noqa: PLC0415

    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port or 80}"


@task(name="haproxy-config", help={"nodes": "cluster file (default deploy/nodes.toml)"})
def haproxy_config(c, nodes: str = ""):
    """Regenerate deploy/haproxy/haproxy.cfg from the cluster file."""
    from portal.haproxy import Listener, config  # noqa: PLC0415

    cluster = _cluster(nodes)
    servers = [(n.name, _address(n.url)) for n in cluster.nodes]
    path = DEPLOY / "haproxy" / "haproxy.cfg"
    path.parent.mkdir(exist_ok=True)
    path.write_text(config(Listener(), servers), encoding="utf-8")
    print(f"Đã ghi {path.relative_to(ROOT)}")


LIGHTHOUSE = ROOT / "tools" / "lighthouse" / "node_modules" / ".bin" / "lighthouse"
LIGHTHOUSE_PAGES = (
    "/",
    "/thanh-tra/",
    "/phong-chong-tham-nhung/tang-cuong-kiem-soat-xung-dot-loi-ich-trong-co-quan-nha-nuoc/",
)


@task(help={"port": "port to serve the build on (0: any free one)", "pages": "comma-separated paths"})
def lighthouse(c, port: int = 0, pages: str = ",".join(LIGHTHOUSE_PAGES)):
    """Build content/ and print Lighthouse scores (mobile preset) as a Markdown table."""
    import tempfile  # noqa: PLC0415

    from portal.lighthouse import scores, serve, table  # noqa: PLC0415

    if not LIGHTHOUSE.exists():
        raise Exit("Lighthouse chưa được cài: chạy `make install` (npm ci trong tools/lighthouse).")
    chrome = shutil.which("chromium") or "/usr/bin/chromium"
    with tempfile.TemporaryDirectory() as work, serve(Path(work), port) as base:
        _pelican(c, "pelicanconf.py", CONTENT, Path(work), f"-q -e SITEURL='\"{base}\"'")
        results = {page: scores(LIGHTHOUSE, chrome, base + page) for page in pages.split(",")}
    print(table(results))


@task(help={
    "articles": "number of generated articles (default 10000)",
    "repeats": "timed runs of every step, unobserved; medians are reported (default 3)",
    "memory-repeats": "runs more with the memory sampler, for peak memory (default 1)",
    "profile": "also profile the portal with cProfile: none, cold, edit or both",
})
def bench(c, articles: int = 10_000, repeats: int = 3, memory_repeats: int = 1, profile: str = "none"):
    """Stock Pelican and the portal's publish side by side; writes bench/RESULTS.md."""
    c.run(
        f'"{sys.executable}" -m bench.run --articles {articles} --repeats {repeats} '
        f"--memory-repeats {memory_repeats} --profile {profile}",
        pty=False,
    )


@task(
    name="bench-images",
    help={
        "photos": "how many camera-size photos (default 100)",
        "baseline_photos": "time plain Pillow on only this many of them (default: all)",
    },
)
def bench_images(c, photos: int = 100, baseline_photos: int = 0):
    """Time the image pipeline cold and warm against plain Pillow; writes Images in bench/RESULTS.md."""
    sample = f" --baseline-photos {baseline_photos}" if baseline_photos else ""
    c.run(f'"{sys.executable}" "{ROOT / "bench" / "images.py"}" --photos {photos}{sample}', pty=False)


@task(name="bench-search", help={"count": "generated articles", "browser": "also time queries in Chromium"})
def bench_search(c, count: int = 10_000, browser: bool = False):
    """Measure the search index at archive scale (build time, size, bytes and time per query)."""
    flag = " --browser" if browser else ""
    c.run(f'"{sys.executable}" "{ROOT / "bench" / "search_bench.py"}" --count {count}{flag}', pty=False)


ns = Collection(build, publish, check, new, serve, clean, update_golden, lighthouse, release, nginx_config,
                deploy, rollback, verify, gh_pages, haproxy_config, bench,
                bench_images, bench_search)
