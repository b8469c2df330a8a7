"""Where a cold publish's memory goes: the PSS of each of its processes over time.

``python -m bench.memory --articles N [--every S] [--work DIR]`` makes the bench's archive of N
articles (``bench.run.corpus_for``), publishes it cold as the bench's portal step does (staged,
``python -m portal.build``, on the publish workflow's clock), and samples every process of the
build's tree: its PSS, private memory and CPU time, with its command line. It prints the three
largest samples of the tree's total, process by process, then one line every five seconds, and
writes every sample to ``memory-N.json`` in the work folder. ``bench.run`` reports the peak alone;
this tells which processes make it, and when. Not a timing tool: sampling every 0.25 s costs
the build some CPU.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import corpus_for, portal_command, process_tree, published_env  # noqa: E402
from portal import publish  # noqa: E402
from portal.publish import stage  # noqa: E402

FIELDS = (b"Pss", b"Private_Clean", b"Private_Dirty")


def process_memory(pid: int) -> dict[str, float] | None:
    """Return a process's PSS and private memory (MB) and CPU time (s), or ``None`` once it is gone."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as handle:
            values = {}
            for line in handle:
                name, _, rest = line.partition(b":")
                if name in FIELDS:
                    values[name.decode()] = int(rest.split()[0]) / 1024
        with open(f"/proc/{pid}/stat", "rb") as handle:
            fields = handle.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError, ValueError):
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    return {
        "pss": values.get("Pss", 0.0),
        "private": values.get("Private_Clean", 0.0) + values.get("Private_Dirty", 0.0),
        "cpu": (int(fields[11]) + int(fields[12])) / ticks,
    }


def command_of(pid: int) -> str:
    """Return the module or script a process runs (``portal.build``, ``portal.cards``…)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            words = handle.read().decode(errors="replace").split("\0")
    except OSError:
        return "?"
    return words[words.index("-m") + 1] if "-m" in words[:-1] else " ".join(words[:2])


def sample_cold_publish(content: Path, work: Path, every: float) -> list[dict]:
    """Publish ``content`` cold into ``work`` and return the samples (time, then each process)."""
    output, cache = work / "output", work / "cache"
    shutil.rmtree(output, ignore_errors=True)
    shutil.rmtree(cache, ignore_errors=True)
    command = portal_command(content, stage(output, cache / publish.CHANGES), cache)
    samples = []
    started = time.perf_counter()
    with open(work / "memory.log", "wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=published_env(content), stdout=log, stderr=log)
        while process.poll() is None:
            moment = {"t": round(time.perf_counter() - started, 2), "processes": []}
            for pid in process_tree(process.pid):
                memory = process_memory(pid)
                if memory is not None:
                    moment["processes"].append({"pid": pid, "command": command_of(pid), **memory})
            samples.append(moment)
            time.sleep(every)
    if process.returncode != 0:
        raise SystemExit(f"the publish failed (exit {process.returncode}): see {work / 'memory.log'}")
    return samples


def _line(moment: dict) -> str:
    parts = [f"{p['command']} {p['pss']:.0f}/{p['private']:.0f}" for p in moment["processes"] if p["pss"]]
    return f"{moment['t']:7.1f} s  " + " | ".join(parts)


def report(samples: list[dict]) -> None:
    """Print the largest totals, process by process, then the timeline every five seconds."""

    def total(moment: dict) -> float:
        return sum(p["pss"] for p in moment["processes"])

    print("largest PSS totals (MB; each process as PSS/private):")
    for moment in sorted(samples, key=total, reverse=True)[:3]:
        print(f"  {total(moment):.0f} MB at {_line(moment)}")
    print("timeline:")
    last = None
    for moment in samples:
        if last is None or moment["t"] - last >= 5:
            last = moment["t"]
            print(f"  {total(moment):5.0f} MB {_line(moment)}")


def main(argv: list[str] | None = None) -> int:
    """Run one sampled cold publish and report it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--every", type=float, default=0.25, help="seconds between samples")
    parser.add_argument("--work", type=Path, help="work folder (default: a temporary one, removed)")
    args = parser.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-memory-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        content = corpus_for(args.articles, work)
        samples = sample_cold_publish(content, work, args.every)
        (work / f"memory-{args.articles}.json").write_text(json.dumps(samples), encoding="utf-8")
        report(samples)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
