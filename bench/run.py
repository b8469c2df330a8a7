"""Side-by-side benchmark: stock Pelican and the portal's publish on one synthetic archive.

``python -m bench.run --articles N [--repeats R]`` (or ``invoke bench``) generates the archive,
then for each repeat, on a fresh copy, runs both tools through the same steps: cold build (empty
output and caches), no-change rebuild, one article edited, one article added, one image replaced.
Each step records wall time, CPU time (the build and every process it waited for) and peak memory
(the proportional set size, PSS, summed over the whole process tree, sampled). The times come
from the ``--repeats`` timed repeats, run unobserved; the peak memory from ``--memory-repeats``
more, run with the sampler, whose reading of each process's page tables slowed the portal's two
processes and not stock's one (``bench/NOTES.md``, stops 28 and 29). Medians go to
``bench/results/bench-N.json``; ``bench/RESULTS.md`` is rewritten from every results file.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.archive import image_bytes, write_archive  # noqa: E402
from portal import publish  # noqa: E402
from portal.buildcache import RACY_NS  # noqa: E402
from portal.epoch import source_date_epoch  # noqa: E402
from portal.publish import stage, swap_in  # noqa: E402

RESULTS = ROOT / "bench" / "results"
REPORT = ROOT / "bench" / "RESULTS.md"
STEPS = ("cold", "no-change", "edit", "add", "image")
TOOLS = ("stock", "portal")


@dataclass
class Sample:
    """One measured build."""

    wall: float
    cpu: float
    peak_mb: float
    ok: bool
    observed: bool = True  # sampled for its memory (else ``peak_mb`` is 0: not measured)


def _pss(pid: int) -> int:
    """Proportional set size of one process: its private pages plus its share of shared ones."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as handle:
            for line in handle:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def process_tree(root: int) -> list[int]:
    """Return ``root`` and every process descended from it (read from /proc)."""
    parents: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(child for child, parent in parents.items() if parent == pid)
    return found


def _tree_memory(root_pid: int) -> int:
    """Memory of ``root_pid`` and all its descendants, as the sum of their PSS.

    Not the sum of their RSS: worker processes forked from the build share most of its pages
    (copy-on-write), and adding their RSS counted those pages once per worker.
    """
    return sum(map(_pss, process_tree(root_pid)))


# The peak memory is sampled every SAMPLE_EVERY s, less often when a sample (a walk of /proc and
# each process's page tables for its PSS) costs more than SAMPLER_SHARE of one core: at every 50 ms
# the sampler took 16-19 % of a core beside a 50,000-article build, CPU the portal's two processes
# would otherwise have had.
SAMPLE_EVERY = 0.05
SAMPLER_SHARE = 0.05


def measure(
    command: list[str], cwd: Path, log: Path, env: dict[str, str] | None = None, observed: bool = True
) -> Sample:
    """Run ``command``; return its wall time, CPU time and, when ``observed``, its sampled peak tree memory.

    Unobserved, nothing reads the build's processes while they run: their times are their own.
    """
    with open(log, "ab") as out:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, env=env)
        peak = 0
        done = threading.Event()

        def sample() -> None:  # at most SAMPLER_SHARE of a core: it competes with the build's
            nonlocal peak
            wait = SAMPLE_EVERY
            while not done.wait(wait):
                spent = time.thread_time()
                peak = max(peak, _tree_memory(process.pid))
                wait = max(SAMPLE_EVERY, (time.thread_time() - spent) / SAMPLER_SHARE)

        sampler = threading.Thread(target=sample, daemon=True) if observed else None
        if sampler is not None:
            sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        done.set()
        if sampler is not None:
            sampler.join()
        process.returncode = os.waitstatus_to_exitcode(status)  # reaped by wait4
    cpu, ok = usage.ru_utime + usage.ru_stime, process.returncode == 0
    if not observed:
        return Sample(wall, cpu, 0.0, ok, observed=False)
    if not peak:  # ended before the first sample
        peak = usage.ru_maxrss * 1024
    return Sample(wall, cpu, peak / 2**20, ok)


class Tool:
    """How one side of the comparison builds ``content`` into its own output folder."""

    def __init__(self, name: str, work: Path):
        self.name = name
        self.output = work / f"{name}-output"
        self.cache = work / f"{name}-cache"
        self.log = work / f"{name}.log"

    def reset(self) -> None:
        """Empty output and caches (a cold build)."""
        shutil.rmtree(self.output, ignore_errors=True)
        shutil.rmtree(self.cache, ignore_errors=True)

    def build(self, content: Path, observed: bool = True) -> Sample:
        """Build ``content`` and measure it (its memory too when ``observed``)."""
        raise NotImplementedError


class Stock(Tool):
    """Pelican 4.12 with its own reader, the simple theme and its content cache."""

    def build(self, content: Path, observed: bool = True) -> Sample:
        """Run ``pelican`` with ``bench/stock_pelicanconf.py``."""
        command = [
            sys.executable,
            "-m",
            "pelican",
            str(content),
            "-s",
            str(ROOT / "bench" / "stock_pelicanconf.py"),
            "-o",
            str(self.output),
            "-e",
            f"CACHE_PATH={json.dumps(str(self.cache))}",
            "-q",
        ]
        return measure(command, ROOT, self.log, observed=observed)


class Portal(Tool):
    """The portal's publish: a staged copy of the last output, the strict build, then the swap."""

    def build(self, content: Path, observed: bool = True) -> Sample:
        """Stage, run the production build into the stage, swap it in (what ``invoke publish`` does).

        The build is given its clock as the publish workflow gives it (``SOURCE_DATE_EPOCH``, set
        before ``invoke release`` runs): the content here is no git checkout, so it is the newest
        file's mtime, the time the build would work out itself by a look at every file.
        """
        env = published_env(content)
        started = time.perf_counter()
        staging = stage(self.output, self.cache / publish.CHANGES)  # with the last release's record
        built = measure(portal_command(content, staging, self.cache), ROOT, self.log, env, observed)
        if built.ok:
            swap_in(staging, self.output)
        built.wall = time.perf_counter() - started
        return built


def portal_command(content: Path, staging: Path, cache: Path) -> list[str]:
    """Return the production build of ``content`` into ``staging``, as ``invoke publish`` runs Pelican."""
    return [
        sys.executable,
        "-m",
        "portal.build",
        str(content),
        "-s",
        str(ROOT / "publishconf.py"),
        "-o",
        str(staging),
        "-e",
        f"CACHE_PATH={json.dumps(str(cache))}",
        "-q",
    ]


def published_env(content: Path) -> dict[str, str]:
    """Return the environment of a portal build in the publish workflow: this one, with the build's clock.

    The workflow (``.github/workflows/publish.yml``) sets ``SOURCE_DATE_EPOCH`` to the commit's
    time in a step of its own; without git, ``portal.epoch`` takes the content's newest mtime.
    """
    return {**os.environ, "SOURCE_DATE_EPOCH": str(source_date_epoch(content))}


def _articles(content: Path) -> list[Path]:
    return sorted((content / "articles").rglob("*.md"))


def edit_one(content: Path, repeat: int) -> None:
    """Change the body of one article in the middle of the archive."""
    listed = _articles(content)
    path = listed[len(listed) // 2]
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text + f"\nĐoạn bổ sung lần {repeat + 1}: đoàn thanh tra đã báo cáo kết quả.\n", encoding="utf-8"
    )


def add_one(content: Path, repeat: int) -> None:
    """Add one new article, the newest of the archive."""
    folder = content / "articles" / "tin-tuc-su-kien" / "2025"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"bai-moi-so-{repeat + 1}.md").write_text(
        f"Title: Bài mới số {repeat + 1} về công tác thanh tra cuối năm\n"
        f"Date: 2025-12-31 1{repeat % 10}:00\n"
        "Category: tin-tuc-su-kien\n"
        "Tags: Hội nghị, Thanh tra hành chính\n"
        "Authors: Nguyễn Văn An\n"
        "Summary: (Thanh tra) - Thanh tra Chính phủ tổng kết công tác năm và triển khai nhiệm vụ mới.\n\n"
        "## Kết quả\n\nNăm qua, toàn ngành đã triển khai nhiều cuộc thanh tra, kiểm tra.\n",
        encoding="utf-8",
    )


def replace_image(content: Path, repeat: int) -> None:
    """Replace the bytes of one photo."""
    (content / "images" / "bench" / "anh-00.jpg").write_bytes(image_bytes(0, repeat + 1))


CHANGES = {"edit": edit_one, "add": add_one, "image": replace_image}


def run_repeat(corpus: Path, work: Path, repeat: int, observed: bool = True) -> dict[str, dict[str, Sample]]:
    """Run every step for both tools on a fresh copy of the corpus (``observed``: memory sampled)."""
    content = work / "content"
    shutil.rmtree(content, ignore_errors=True)
    shutil.copytree(corpus, content)
    tools = [Stock("stock", work), Portal("portal", work)]
    samples: dict[str, dict[str, Sample]] = {}
    for step in STEPS:
        if step == "cold":
            for tool in tools:
                tool.reset()
        elif step in CHANGES:
            CHANGES[step](content, repeat)
        samples[step] = {tool.name: tool.build(content, observed) for tool in tools}
        line = "  ".join(
            f"{n} {s.wall:6.2f}s {f'{s.peak_mb:5.0f}MB' if observed else '     -'}{'' if s.ok else ' FAILED'}"
            for n, s in samples[step].items()
        )
        kind = "memory" if observed else "timed"
        print(f"  repeat {repeat + 1} ({kind}) {step:9} {line}", flush=True)
    return samples


def summarise(runs: list[dict[str, dict[str, Sample]]]) -> dict:
    """Medians per step and tool, and the portal / stock ratios.

    Times are the medians of the unobserved runs (of every run when none is), peak memory the
    median of the observed ones.
    """
    table = {}
    for step in STEPS:
        row = {}
        for tool in TOOLS:
            samples = [run[step][tool] for run in runs]
            timed = [s for s in samples if not s.observed] or samples
            observed = [s for s in samples if s.observed]
            row[tool] = {
                "wall": statistics.median(s.wall for s in timed),
                "cpu": statistics.median(s.cpu for s in timed),
                "peak_mb": statistics.median(s.peak_mb for s in observed) if observed else 0.0,
                "ok": all(s.ok for s in samples),
                "samples": [asdict(s) for s in samples],
            }
        row["ratio"] = {
            key: row["portal"][key] / row["stock"][key] if row["stock"][key] else None
            for key in ("wall", "cpu", "peak_mb")
        }
        table[step] = row
    return table


def machine() -> dict:
    """Describe the machine and commit the numbers were measured on."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_before": os.getloadavg()[0],
        "commit": commit + ("+changes" if dirty else ""),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


TARGETS = {"cold": ("wall", 1.0), "edit": ("wall", 0.1), "add": ("wall", 0.25)}


def _ratio(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"  # no memory measured (``--memory-repeats 0``)


def _row(step: str, data: dict) -> str:
    stock, portal, ratio = data["stock"], data["portal"], data["ratio"]
    target = TARGETS.get(step)
    verdict = ""
    if target:
        verdict = f"≤ {target[1]}: {'met' if ratio[target[0]] <= target[1] else 'NOT met'}"
    return (
        f"| {step} | {stock['wall']:.2f} | {portal['wall']:.2f} | **{ratio['wall']:.2f}** | "
        f"{stock['cpu']:.2f} | {portal['cpu']:.2f} | {ratio['cpu']:.2f} | "
        f"{stock['peak_mb']:.0f} | {portal['peak_mb']:.0f} | {_ratio(ratio['peak_mb'])} | {verdict} |"
    )


def _repeats(data: dict) -> str:
    memory = data.get("memory_repeats")
    if memory is None:
        return f"{data['repeats']} repeat(s), sampled"
    return f"{data['repeats']} timed repeat(s), {memory} more sampled for memory"


def write_report() -> None:
    """Rewrite ``bench/RESULTS.md`` from every ``bench/results/bench-*.json`` and profile."""
    lines = [
        "# Benchmark: the portal's publish against stock Pelican",
        "",
        "Written by `invoke bench` / `python -m bench.run` (do not edit by hand). Ratios are "
        "portal / stock Pelican, medians of the repeats, measured in the same run on the same "
        "archive (`bench/archive.py`). Stock Pelican: its own reader, the `simple` theme, no plugins, "
        "the same Markdown, `CACHE_CONTENT` on. Portal: `publishconf.py` with every plugin of this "
        "commit, run as `invoke publish` runs it (staged copy, strict build, swap). Peak memory is the "
        "sampled sum of the proportional set size (PSS) over the whole process tree (runs before "
        "27/11/2026 05:55 UTC summed RSS, which counted the pages forked workers share with the "
        "build once per worker). Since stop 29 (29/11/2026) the times come from timed repeats run "
        "unobserved and the memory from separate repeats run with the sampler, which slowed the "
        "portal's processes and not stock's (`bench/NOTES.md`, stop 29); a section without memory "
        "repeats took both from the same sampled runs. Targets (issue 10): cold ≤ 1.0, "
        "one edit ≤ 0.1, one new article ≤ 0.25, peak memory ≤ 1.5.",
        "",
    ]
    for path in sorted(RESULTS.glob("bench-*.json"), key=lambda p: int(p.stem.split("-")[1])):
        data = json.loads(path.read_text(encoding="utf-8"))
        info = data["machine"]
        lines += [
            f"## {data['articles']:,} articles".replace(",", "."),
            "",
            f"{info['date']}, commit `{info['commit']}`, {info['cpus']} CPUs ({info['cpu_model']}), "
            f"Python {info['python']}, {info['platform']}, load average before the run "
            f"{info['load_before']:.2f} (the machine is shared), {_repeats(data)}.",
            "",
            "| step | stock s | portal s | wall ratio | stock CPU s | portal CPU s | CPU ratio "
            "| stock MB | portal MB | memory ratio | target |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
            *(_row(step, row) for step, row in data["steps"].items()),
            "",
        ]
    for path in sorted(RESULTS.glob("profile-*.txt")):
        lines += [f"## Profile: {path.stem}", "", "```", path.read_text(encoding="utf-8").rstrip(), "```", ""]
    lines += _images_section()
    notes = ROOT / "bench" / "NOTES.md"
    if notes.exists():
        lines += [notes.read_text(encoding="utf-8").rstrip(), ""]
    REPORT.write_text("\n".join(lines), encoding="utf-8")


def _images_section() -> list[str]:
    """Return the image pipeline section (issue 7), rendered by ``bench/images.py`` from its JSON."""
    path = RESULTS / "images.json"
    if not path.exists():
        return []
    from bench.images import section

    return [section(json.loads(path.read_text(encoding="utf-8")))]


def profile(corpus: Path, work: Path, step: str) -> Path:
    """Profile one portal publish (staged, as the bench runs it) with cProfile; keep the top entries."""
    import pstats
    from io import StringIO

    content = work / "content"
    output, cache = work / "profile-output", work / "profile-cache"
    shutil.rmtree(content, ignore_errors=True)
    shutil.copytree(corpus, content)
    # A file copied less than RACY_NS before a build starts has no identity in its inventory: the
    # next build would digest every article again, as after a fresh clone (the bench's own steps
    # come later than that after the copy).
    time.sleep(RACY_NS / 1e9)
    changes = cache / publish.CHANGES

    def command(into: Path) -> list[str]:
        return [
            str(content),
            "-s",
            str(ROOT / "publishconf.py"),
            "-o",
            str(into),
            "-e",
            f"CACHE_PATH={json.dumps(str(cache))}",
            "-q",
        ]

    if step != "cold":  # the build before, published as the bench publishes (staged, swapped in)
        staging = stage(output, changes)
        subprocess.run(
            [sys.executable, "-m", "portal.build", *command(staging)],
            cwd=ROOT,
            check=True,
            capture_output=True,
            env=published_env(content),
        )
        swap_in(staging, output)
        CHANGES[step](content, 0)
    stats_file = work / f"profile-{step}.pstats"
    staging = stage(output, changes)
    subprocess.run(
        [sys.executable, "-m", "cProfile", "-o", str(stats_file), "-m", "pelican", *command(staging)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        env=published_env(content),
    )
    swap_in(staging, output)
    text = StringIO()
    stats = pstats.Stats(str(stats_file), stream=text)
    stats.sort_stats("tottime").print_stats(25)
    body = text.getvalue()
    body = body[body.find("   ncalls") :] if "   ncalls" in body else body
    count = len(_articles(corpus))
    target = RESULTS / f"profile-{step}-{count}.txt"
    target.write_text(body.replace(str(ROOT) + "/", "").replace(sys.prefix + "/", ""), encoding="utf-8")
    return target


def corpus_for(count: int, work: Path) -> Path:
    """Generate (once per work folder) the archive of ``count`` articles."""
    corpus = work / f"corpus-{count}"
    marker = corpus / ".complete"
    if not marker.exists():
        shutil.rmtree(corpus, ignore_errors=True)
        write_archive(count, corpus)
        marker.write_text("", encoding="utf-8")
    return corpus


def main(argv: list[str] | None = None) -> int:
    """Command line of the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3, help="timed repeats (unobserved)")
    parser.add_argument(
        "--memory-repeats", type=int, default=1, help="repeats more, with the memory sampler, for peak memory"
    )
    parser.add_argument("--work", type=Path, help="scratch folder (default: a new temporary one)")
    parser.add_argument(
        "--profile",
        choices=["none", "cold", "edit", "both"],
        default="none",
        help="also profile portal builds with cProfile into bench/results/",
    )
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    args = parser.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="portal-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    try:
        corpus = corpus_for(args.articles, work)
        print(f"{args.articles} articles in {corpus}", flush=True)
        info = machine()
        runs = [run_repeat(corpus, work, repeat, observed=False) for repeat in range(args.repeats)]
        runs += [
            run_repeat(corpus, work, args.repeats + repeat, observed=True)
            for repeat in range(args.memory_repeats)
        ]
        result = {
            "articles": args.articles,
            "repeats": args.repeats,
            "memory_repeats": args.memory_repeats,
            "machine": info,
            "steps": summarise(runs),
        }
        out = RESULTS / f"bench-{args.articles}.json"
        out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        for step in {"cold": ["cold"], "edit": ["edit"], "both": ["cold", "edit"]}.get(args.profile, []):
            print(f"profile {step}: {profile(corpus, work, step)}", flush=True)
        write_report()
        failed = [f"{s}/{t}" for s, row in result["steps"].items() for t in TOOLS if not row[t]["ok"]]
        for step, row in result["steps"].items():
            print(
                f"{step:9} wall {row['ratio']['wall']:.2f}  cpu {row['ratio']['cpu']:.2f}  "
                f"memory {row['ratio']['peak_mb']:.2f}"
            )
        if failed:
            print(f"failed builds: {', '.join(failed)} (logs in {work})")
            return 1
    finally:
        if not args.keep and not args.work:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
