"""Search at archive scale: index build time and size, and per-query latency and bytes in Chromium.

    .venv/bin/python bench/search_bench.py [--count 10000] [--browser]

Builds the index of ``count`` generated articles (``bench/search_corpus.py``) with
``portal.search``, times it, edits one article and counts the index files that change; with
``--browser`` it also puts that index behind the real search page (the ``tests/fixtures/sites/search``
build, production settings, precompressed as a release is) served by nginx with the production
site configuration (``portal/nginx.py``; Python's ``http.server`` with ``--server python`` or when
nginx is missing), and measures each query in Debian's Chromium: time from submitting the query
to the first page of results on screen (median of ``--runs``, each in a fresh browser context, so a
cold cache), and the index files fetched, read from the browser's Resource Timing entries (raw bytes,
and bytes over the network: gzip as nginx serves them). Prints Markdown for
``bench/RESULTS-search.md``, with the load average of the machine before and after.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import shutil
import socket
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
    "Thanh tra Chính phủ công bố kết luận thanh tra tại quản lý đất đai tại Đà Nẵng",
]  # fmt: skip
COLUMNS = [
    "query", "ms", "range ms", "fetch/rank/show ms", "raw KB", "network KB", "files", "results",
    "top 10 with phrase", "longest phrase, top 10/archive",
]  # fmt: skip
MAX_WORDS = 10  # as theme/static/js/search.js: later words of a query are not used
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
    """Build the search fixture site, swap its index for the generated one, precompress it."""
    from portal.release import precompress

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
    # The page names its manifest twice: data-index and a preload link (a stale one would 404).
    html = re.sub(r"/search/data/index\.[0-9a-f]+\.json", f"/search/data/{manifest}", page.read_text("utf-8"))
    page.write_text(html, "utf-8")
    precompress(output)  # .gz and .br beside each file, as a release ships them
    return output


class _Nginx:
    """nginx in the foreground with the production site configuration, serving ``output``."""

    def __init__(self, output: Path, work: Path):
        from portal.nginx import BROTLI_MODULE, Node, main_config, site

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        (work / "root").mkdir()
        (work / "root" / "current").symlink_to(output)
        include = work / "include"
        include.mkdir()
        shutil.copy(ROOT / "deploy" / "nginx" / "security-headers.conf", include / "security-headers.conf")
        node = Node(str(work / "root"), self.port, False, str(include), brotli=BROTLI_MODULE.exists())
        config = site(node).replace(f"listen {self.port};", f"listen 127.0.0.1:{self.port};")
        (work / "site.conf").write_text(config)
        (work / "nginx.conf").write_text(main_config(work / "site.conf", work, run_as_root=os.geteuid() == 0))
        self.process = subprocess.Popen(
            [shutil.which("nginx"), "-p", str(work), "-c", str(work / "nginx.conf"), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        for _ in range(200):
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        self.process.terminate()
        raise RuntimeError(f"nginx did not start; see {work / 'error.log'}")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


class _Python:
    """Python's threaded ``http.server`` (no compression) serving ``output``."""

    def __init__(self, output: Path, work: Path):
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(output)))
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# Index files the page fetched after ``since`` (ms), from Resource Timing: nothing is intercepted,
# so the measurement adds no work to the page. The manifest is counted too (it loads with the page).
RESOURCES = """since => performance.getEntriesByType('resource')
  .filter(e => e.name.includes('/search/data/'))
  .map(e => ({name: e.name, start: e.startTime, raw: e.decodedBodySize, wire: e.encodedBodySize}))"""
MARKS = """() => Object.fromEntries(performance.getEntriesByType('mark')
  .filter(m => m.name.startsWith('portal-search:')).map(m => [m.name.slice(14), m.startTime]))"""
# Resolves when the status line changes: the page writes it once the first page of results is drawn.
SUBMIT = """() => new Promise((resolve) => {
  const status = document.getElementById('tim-kiem-trang-thai');
  const started = performance.now();
  new MutationObserver(() => resolve(performance.now() - started))
    .observe(status, {childList: true, characterData: true, subtree: true});
  document.querySelector('[data-module=portal-search]').requestSubmit();
})"""


def _query(browser, base: str, query: str, slow: bool) -> dict:
    """Open the search page in a fresh context, submit ``query``, return time and bytes fetched."""
    context = browser.new_context()
    page = context.new_page()
    if slow:
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", SLOW_NETWORK)
    page.goto(base + "/search/")
    page.wait_for_selector("#loc-nam option[value='2020']", state="attached", timeout=60_000)
    page.fill("#tu-khoa", query)
    elapsed = page.evaluate(SUBMIT)
    status = page.text_content("#tim-kiem-trang-thai")
    marks = page.evaluate(MARKS)
    top = page.locator(".portal-search-page__link").evaluate_all("links => links.map(a => a.pathname)")
    page.wait_for_load_state("networkidle")
    fetched = page.evaluate(RESOURCES, 0)
    context.close()
    return {
        "query": query,
        "ms": round(elapsed),
        "results": status,
        "kb": round(sum(r["raw"] for r in fetched) / 1000, 1),
        "wire_kb": round(sum(r["wire"] for r in fetched) / 1000, 1),
        "files": len(fetched),
        "top": [path.lstrip("/") for path in top],
        "split": "/".join(
            str(round(marks[b] - marks[a]))
            for a, b in (("start", "fetched"), ("fetched", "ranked"), ("ranked", "shown"))
            if a in marks and b in marks
        ),
    }


def _folded(doc: search.SearchDocument) -> str:
    return " " + " ".join(f for _, f in search.tokenize(f"{doc.title}\n{doc.summary}\n{doc.body}")) + " "


def _words(query: str) -> list[str]:
    """Return the folded words a search uses: the first ``MAX_WORDS`` of the query (see search.js)."""
    return [f for _, f in search.tokenize(query)][:MAX_WORDS]


def _longest(words: list[str], folded: str) -> int:
    """Return the length of the longest run of the query's words that ``folded`` has as a phrase."""
    for length in range(len(words), 0, -1):
        for start in range(len(words) - length + 1):
            if " " + " ".join(words[start : start + length]) + " " in folded:
                return length
    return 0


def phrase_figures(query: str, urls: list[str], corpus: dict[str, str]) -> tuple[str, str]:
    """Return "results with the whole phrase / shown" and "longest phrase in top 10 / in the archive".

    The longest phrase is the longest run of the query's words that an article has as a phrase;
    the archive's best is over every article having all the words, so a ranking that puts phrase
    matches first shows the same number twice.
    """
    words = _words(query)
    whole = " " + " ".join(words) + " "
    top = [corpus[url] for url in urls]
    hits = sum(whole in text for text in top)
    found = [text for text in corpus.values() if all(f" {w} " in text for w in words)]
    best = 0
    for length in range(len(words), 0, -1):
        phrases = {" " + " ".join(words[s : s + length]) + " " for s in range(len(words) - length + 1)}
        if any(p in text for text in found for p in phrases):
            best = length
            break
    shown = max((_longest(words, text) for text in top), default=0)
    return f"{hits}/{len(top)}", f"{shown}/{best}" if top else "–"


def _median(browser, base: str, query: str, runs: int) -> dict:
    """Run a query ``runs`` times (each in a fresh context) and keep the median time, with the range."""
    rows = sorted((_query(browser, base, query, slow=False) for _ in range(runs)), key=lambda r: r["ms"])
    return {**rows[len(rows) // 2], "range": f"{rows[0]['ms']}–{rows[-1]['ms']}"}


def measure_browser(files: dict[str, bytes], manifest: str, server: str, runs: int) -> tuple[list, list]:
    """Return per-query figures on a local network, and on an emulated slow mobile network."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder:
        output = _site_with_index(Path(folder), files, manifest)
        (Path(folder) / "server").mkdir()
        running = (_Nginx if server == "nginx" else _Python)(output, Path(folder) / "server")
        base = f"http://127.0.0.1:{running.port}"
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path="/usr/bin/chromium", args=["--headless=new", "--no-sandbox"]
                )
                _query(browser, base, QUERIES[0], slow=False)  # warm the server's and the OS's caches
                fast = [_median(browser, base, q, runs) for q in QUERIES]
                slow = [_query(browser, base, q, slow=True) for q in QUERIES[:3]]
                browser.close()
        finally:
            running.stop()
    return fast, slow


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def main(argv=None) -> None:
    """Run the measurements and print them as Markdown."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--browser", action="store_true", help="also measure queries in Chromium")
    parser.add_argument("--runs", type=int, default=5, help="runs per query (the median is kept)")
    parser.add_argument(
        "--server", choices=("nginx", "python"), default="nginx" if shutil.which("nginx") else "python",
        help="what serves the site to Chromium (default: nginx, as in production)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    figures, files, manifest = measure_build(args.count)
    print("| figure | value |\n|---|---|")
    for key, value in figures.items():
        print(f"| {key} | {value} |")
    if args.browser:
        before = _load()
        fast, slow = measure_browser(files, manifest, args.server, args.runs)
        after = _load()
        corpus = {doc.url: _folded(doc) for doc in documents(args.count)}
        print(
            f"\nServer: {args.server}; median of {args.runs} runs per query; "
            f"load average (1, 5, 15 min) {before} before, {after} after.\n"
        )
        print("| " + " | ".join(COLUMNS) + " |")
        print("|---" * len(COLUMNS) + "|")
        for row in fast:
            phrase, longest = phrase_figures(row["query"], row["top"], corpus)
            count = re.sub(r"\D", "", row["results"].split(" kết quả")[0]) or "0"
            numbers = [row["ms"], row["range"], row["split"], row["kb"], row["wire_kb"], row["files"], count]
            cells = [f"`{row['query']}`", *numbers, phrase, longest]
            print("| " + " | ".join(map(str, cells)) + " |")
        print(f"\nEmulated slow mobile network (400 ms RTT, 400 kbit/s), served by {args.server}:\n")
        for row in slow:
            print(f"- `{row['query']}`: {row['ms']} ms, {row['wire_kb']} KB over the network")


if __name__ == "__main__":
    main()
