"""Preview latency at archive scale: from an editor's save to the new text served by the preview.

``python -m bench.preview --articles N [--edits K]`` generates the archive (``bench/archive.py``),
starts the real preview (``portal.preview.Preview``: full build, fast path, HTTP server, file
watcher), then K times appends a sentence to one article and polls its URL until the sentence is
served. It reports each latency and the median, and how long the full rebuild after the save took
(the listings and feeds catch up then). Prints Markdown for ``bench/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import corpus_for  # noqa: E402
from portal.preview import Preview  # noqa: E402


def fetch(url: str) -> str:
    """Return the body at ``url`` (empty on any error: the page may be mid-rebuild or mid-write)."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (loopback)
            return response.read().decode("utf-8", "replace")
    except (OSError, http.client.HTTPException):
        return ""


def main(argv: list[str] | None = None) -> int:
    """Run the measurement and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--edits", type=int, default=5)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--work", type=Path)
    args = parser.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="portal-preview-"))
    corpus = corpus_for(args.articles, work)
    preview = Preview(ROOT, corpus, work / "preview-output", args.port)
    started = time.perf_counter()
    preview.output.mkdir(parents=True, exist_ok=True)
    preview.build()
    first_build = time.perf_counter() - started
    started = time.perf_counter()
    preview.start_fast_path()
    fast_start = time.perf_counter() - started
    preview.serve()
    threading.Thread(target=preview.watch, daemon=True).start()
    time.sleep(1)  # the watcher's first scan
    articles = sorted((corpus / "articles").rglob("*.md"))
    latencies, rebuilds = [], []
    for edit in range(args.edits):
        path = articles[(edit + 1) * len(articles) // (args.edits + 1)]
        relative = path.relative_to(corpus / "articles")
        section, stem = relative.parts[0], path.stem
        url = f"http://127.0.0.1:{args.port}/{section}/{stem}/"
        marker = f"Câu bổ sung số {edit + 1} ({time.time_ns()}) của biên tập viên."
        build_before = preview.state.build
        saved = time.perf_counter()
        path.write_text(path.read_text(encoding="utf-8") + f"\n{marker}\n", encoding="utf-8")
        while marker not in fetch(url):
            time.sleep(0.01)
        latencies.append(time.perf_counter() - saved)
        while preview.state.build < build_before + 2:  # the fast render, then the full build
            time.sleep(0.05)
        rebuilds.append(time.perf_counter() - saved)
    print(f"## Preview: save → page served ({args.articles:,} articles)".replace(",", "."))
    print()
    print(f"First full build {first_build:.1f} s; loading the fast path {fast_start:.2f} s (once a session).")
    print()
    print("| edit | page served after save | full rebuild done after save |")
    print("|---:|---:|---:|")
    for index, (latency, rebuild) in enumerate(zip(latencies, rebuilds, strict=True), start=1):
        print(f"| {index} | {latency * 1000:.0f} ms | {rebuild:.1f} s |")
    print(f"| median | {statistics.median(latencies) * 1000:.0f} ms | {statistics.median(rebuilds):.1f} s |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
