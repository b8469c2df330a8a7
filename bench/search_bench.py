"""Search at archive scale: index build time and size, and per-query latency and bytes in Chromium.

    .venv/bin/python bench/search_bench.py [--count 10000] [--browser]

Builds the index of ``count`` generated articles (``bench/search_corpus.py``) with
``portal.search``, times it, edits one article and counts the index files that change; with
``--browser`` it also puts that index behind the real search page (the ``tests/fixtures/sites/search``
build, production settings) and measures each query in Debian's Chromium: time from submitting the
query to the results on screen, and the bytes of index fetched (raw, and gzip as nginx serves them
precompressed). Prints Markdown for ``bench/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import replace
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from search_corpus import documents  # noqa: E402

import pelicanconf  # noqa: E402
from portal import search  # noqa: E402

QUERIES = [
    "tham nhung", "thanh tra chinh phu", "dat dai", "đất đai", "dang uy", "Đảng ủy",
    "ket luan thanh tra tai da nang", "khieu nai to cao", "đạt", "khong co tu nay",
]  # fmt: skip
SLOW_NETWORK = {"offline": False, "latency": 400, "downloadThroughput": 50_000, "uploadThroughput": 50_000}


def measure_build(count: int) -> tuple[dict, dict[str, bytes], str]:
    """Time a cold and a one-edit rebuild of the index; return figures, files and manifest name."""
    corpus = documents(count)
    search._FORMS.clear()  # time a cold build
    started, cpu = time.perf_counter(), time.process_time()
    name, files = search.build_index(corpus, pelicanconf.SECTIONS)
    cold, cold_cpu = time.perf_counter() - started, time.process_time() - cpu
    edited = list(corpus)
    edited[count // 2] = replace(edited[count // 2], body=edited[count // 2].body + " Bổ sung đính chính.")
    started = time.perf_counter()
    _, files_after_edit = search.build_index(edited, pelicanconf.SECTIONS)
    rebuild = time.perf_counter() - started
    manifest = json.loads(files[name])
    shards = [files[s] for s in manifest["shards"]]
    figures = {
        "articles": count,
        "build_s": round(cold, 2),
        "build_cpu_s": round(cold_cpu, 2),
        "rebuild_after_one_edit_s": round(rebuild, 2),
        "files": len(files),
        "files_changed_by_one_edit": len(set(files_after_edit) - set(files)),
        "index_mb": round(sum(map(len, files.values())) / 1e6, 2),
        "index_gzip_mb": round(sum(len(gzip.compress(d)) for d in files.values()) / 1e6, 2),
        "shards": len(shards),
        "shard_kb_mean": round(sum(map(len, shards)) / len(shards) / 1000, 1),
        "shard_kb_max": round(max(map(len, shards)) / 1000, 1),
        "manifest_kb": round(len(files[name]) / 1000, 1),
        "manifest_gzip_kb": round(len(gzip.compress(files[name])) / 1000, 1),
    }
    return figures, files, name


class _Quiet(SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as nginx serves it

    def log_message(self, *args):
        pass


def _site_with_index(folder: Path, files: dict[str, bytes], manifest: str) -> Path:
    """Build the search fixture site, then swap its index for the generated one."""
    output = folder / "out"
    subprocess.run(
        [sys.executable, "-m", "pelican", str(ROOT / "tests/fixtures/sites/search"), "-s",
         str(ROOT / "publishconf.py"), "-e", 'SITEURL=""', "-o", str(output), "-q"],
        check=True, cwd=ROOT,
    )  # fmt: skip
    shutil.rmtree(output / "search" / "data")
    for name, data in files.items():
        (output / "search" / "data" / name).parent.mkdir(parents=True, exist_ok=True)
        (output / "search" / "data" / name).write_bytes(data)
    page = output / "search" / "index.html"
    html = re.sub(r'data-index="[^"]*"', f'data-index="/search/data/{manifest}"', page.read_text("utf-8"))
    page.write_text(html, "utf-8")
    return output


def _query(browser, base: str, query: str, slow: bool) -> dict:
    """Open the search page in a fresh context, submit ``query``, return time and bytes fetched."""
    context = browser.new_context()
    page = context.new_page()
    fetched: list[bytes] = []
    page.on("response", lambda r: fetched.append(r.body()) if r.url.endswith(".json") else None)
    if slow:
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", SLOW_NETWORK)
    page.goto(base + "/search/")
    page.wait_for_selector("#loc-nam option[value='2020']", state="attached", timeout=60_000)
    page.fill("#tu-khoa", query)
    elapsed = page.evaluate(
        """() => new Promise((resolve) => {
             const status = document.getElementById('tim-kiem-trang-thai');
             const started = performance.now();
             new MutationObserver(() => resolve(performance.now() - started))
               .observe(status, {childList: true, characterData: true, subtree: true});
             document.querySelector('[data-module=portal-search]').requestSubmit();
           })""",
    )
    status = page.text_content("#tim-kiem-trang-thai")
    marks = page.evaluate(
        """() => Object.fromEntries(performance.getEntriesByType('mark')
             .filter(m => m.name.startsWith('portal-search:')).map(m => [m.name.slice(14), m.startTime]))"""
    )
    top = page.locator(".portal-search-page__link").evaluate_all("links => links.map(a => a.pathname)")
    page.wait_for_load_state("networkidle")
    context.close()
    return {
        "query": query,
        "ms": round(elapsed),
        "results": status,
        "kb": round(sum(map(len, fetched)) / 1000, 1),
        "gzip_kb": round(sum(len(gzip.compress(b)) for b in fetched) / 1000, 1),
        "files": len(fetched),
        "top": [path.lstrip("/") for path in top],
        "split": "/".join(
            str(round(marks[b] - marks[a]))
            for a, b in (("start", "fetched"), ("fetched", "ranked"), ("ranked", "shown"))
            if a in marks and b in marks
        ),
    }


def phrase_hits(query: str, urls: list[str], corpus: dict[str, search.SearchDocument]) -> int:
    """Count the results whose text has the query's words as a phrase (compared folded)."""
    words = " " + " ".join(f for _, f in search.tokenize(query)) + " "
    found = 0
    for url in urls:
        doc = corpus[url]
        folded = " " + " ".join(f for _, f in search.tokenize(f"{doc.title} {doc.summary} {doc.body}")) + " "
        found += words in folded
    return found


def _median(browser, base: str, query: str, runs: int = 3) -> dict:
    """Run a query ``runs`` times (each in a fresh context) and keep the median time."""
    rows = sorted((_query(browser, base, query, slow=False) for _ in range(runs)), key=lambda r: r["ms"])
    return rows[len(rows) // 2]


def measure_browser(files: dict[str, bytes], manifest: str) -> tuple[list[dict], list[dict]]:
    """Return per-query figures on a local network, and on an emulated slow mobile network."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder:
        output = _site_with_index(Path(folder), files, manifest)
        server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(output)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_address[1]}"
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium", args=["--headless=new", "--no-sandbox"]
            )
            fast = [_median(browser, base, q) for q in QUERIES]
            slow = [_query(browser, base, q, slow=True) for q in QUERIES[:3]]
            browser.close()
        server.shutdown()
    return fast, slow


def main(argv=None) -> None:
    """Run the measurements and print them as Markdown."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--browser", action="store_true", help="also measure queries in Chromium")
    args = parser.parse_args(argv)
    figures, files, manifest = measure_build(args.count)
    print("| figure | value |\n|---|---|")
    for key, value in figures.items():
        print(f"| {key} | {value} |")
    if args.browser:
        fast, slow = measure_browser(files, manifest)
        corpus = {doc.url: doc for doc in documents(args.count)}
        print(
            "\n| query | ms | fetch/rank/show ms | raw KB | gzip KB | files | results | top 10 with phrase |"
        )
        print("|---|---|---|---|---|---|---|---|")
        for row in fast:
            phrase = f"{phrase_hits(row['query'], row['top'], corpus)}/{len(row['top'])}"
            count = re.sub(r"\D", "", row["results"].split(" kết quả")[0]) or "0"
            numbers = [row["ms"], row["split"], row["kb"], row["gzip_kb"], row["files"], count, phrase]
            cells = [f"`{row['query']}`", *numbers]
            print("| " + " | ".join(map(str, cells)) + " |")
        print("\nEmulated slow mobile network (400 ms RTT, 400 kbit/s), uncompressed:\n")
        for row in slow:
            print(f"- `{row['query']}`: {row['ms']} ms, {row['kb']} KB")


if __name__ == "__main__":
    main()
