"""Benchmark of portal_images against a plain Pillow script, run side by side on one machine.

    python bench/images.py --photos 1000 --baseline-photos 100
    # writes bench/results/images.json, then the "Images" section of bench/RESULTS.md

1. Generates N camera-size photos (4000×3000 JPEG, quality 92, EXIF with GPS, every other one
   rotated by its EXIF orientation) in ``bench/corpus/`` (git-ignored, reused between runs).
2. Times the portal pipeline (``portal.imaging.process``) cold (empty cache, all cores) and warm
   (same cache: nothing to encode), and a plain Pillow baseline doing the same outputs (open,
   ``exif_transpose``, LANCZOS resize of the full image to each width, save AVIF/WebP/JPEG with
   Pillow's default speeds, one process, no cache) on the first ``--baseline-photos`` of the same
   photos (all of them by default; a sample keeps a 1,000-photo run short), in the same run.
   Wall and CPU seconds (the process and its workers) and the load average around every step.
3. Publishes a one-article site using two of the photos and loads it in Chromium at phone width
   (390 CSS px, DPR 2 and 3), summing the bytes of the images the browser downloads against the
   original JPEGs.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageOps

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from portal import imaging  # noqa: E402

CORPUS = ROOT / "bench" / "corpus" / "images"
CAMERA = (4000, 3000)
RESULT = ROOT / "bench" / "results" / "images.json"


def make_photo(path: Path, seed: int) -> None:
    """Write one deterministic camera-like photo: gradients, shapes, sensor noise, EXIF with GPS."""
    small = Image.linear_gradient("L").resize((400, 300)).convert("RGB")
    draw = ImageDraw.Draw(small)
    for index in range(12):
        x, y = (seed * 37 + index * 53) % 400, (seed * 11 + index * 29) % 300
        colour = ((seed * 40 + index * 20) % 256, (index * 70) % 256, (seed * 90) % 256)
        draw.ellipse((x - 40, y - 30, x + 40, y + 30), fill=colour)
    photo = small.resize(CAMERA, Image.Resampling.BICUBIC).filter(ImageFilter.GaussianBlur(3))
    noise = Image.effect_noise(CAMERA, 40).convert("RGB")
    photo = Image.blend(photo, noise, 0.2)
    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0x0112] = "Canon", "EOS R6", 1 + (seed % 2) * 5
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (21.0, 1.0, 42.0), "E", (105.0, 47.0, 30.0)
    photo.save(path, "JPEG", quality=92, exif=exif)


def corpus(count: int) -> list[str]:
    """Return ``count`` photo paths relative to ``bench/corpus``, generating the missing ones."""
    CORPUS.mkdir(parents=True, exist_ok=True)
    names = [f"images/photo-{index:04d}.jpg" for index in range(count)]
    for index, name in enumerate(names):
        path = CORPUS.parent / name
        if not path.exists():  # written aside then renamed: an interrupted run leaves no half photo
            partial_path = path.with_name(f".{path.name}.{os.getpid()}")
            make_photo(partial_path, index)
            os.replace(partial_path, path)
    return names


def baseline(root: Path, names: list[str], out: Path, recipe: imaging.Recipe) -> None:
    """Run the plain script an engineer writes first: decode everything, resize, save, one by one."""
    quality = dict(recipe.quality)
    for name in names:
        with Image.open(root / name) as original:
            image = ImageOps.exif_transpose(original).convert("RGB")
        for width in recipe.widths_for(image.width):
            scaled = image.resize(
                (width, round(image.height * width / image.width)), Image.Resampling.LANCZOS
            )
            for fmt in recipe.formats:
                buffer = io.BytesIO()
                scaled.save(buffer, fmt.upper(), quality=quality[fmt])
                (out / f"{Path(name).stem}-{width}.{fmt}").write_bytes(buffer.getvalue())


def _cpu() -> float:
    """CPU seconds of this process and of every child it has waited for (the pool's workers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(function, *args) -> dict:
    """Return the wall and CPU seconds of one call, and the 1-minute load average around it."""
    load, cpu, start = os.getloadavg()[0], _cpu(), time.perf_counter()
    function(*args)
    wall = time.perf_counter() - start
    return {"wall": wall, "cpu": _cpu() - cpu, "load_before": load, "load_after": os.getloadavg()[0]}


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.suffix in (".avif", ".webp", ".jpg", ".jpeg"))


def encode_times(count: int, sample: int | None = None) -> dict:
    """Cold and warm runs on ``count`` photos, the baseline on the first ``sample``, output bytes."""
    names = corpus(count)
    sample_names = names[: sample or count]
    recipe = imaging.Recipe()
    work = Path(tempfile.mkdtemp(prefix="bench-images-"))
    try:
        pipeline = imaging.Pipeline(str(CORPUS.parent), str(work / "cache"), recipe)
        cold = timed(imaging.process, pipeline, names)
        print(f"cold: {cold}", flush=True)
        warm = timed(imaging.process, pipeline, names)
        print(f"warm: {warm}", flush=True)
        (work / "baseline").mkdir()
        plain = timed(baseline, CORPUS.parent, sample_names, work / "baseline", recipe)
        print(f"baseline ({len(sample_names)} photos): {plain}", flush=True)
        ours, theirs = _size(work / "cache"), _size(work / "baseline")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {
        "count": count,
        "cold": cold,
        "warm": warm,
        "baseline": plain | {"count": len(sample_names)},
        "ours_bytes": ours,
        "baseline_bytes": theirs,
        "original_bytes": sum((CORPUS.parent / n).stat().st_size for n in names),
        "baseline_original_bytes": sum((CORPUS.parent / n).stat().st_size for n in sample_names),
    }


ARTICLE = """Title: Bài đo dung lượng ảnh
Date: 2026-11-20 09:00
Category: tin-tuc-su-kien
Authors: Trung tâm Thông tin
Summary: Bài có hai ảnh chụp cỡ máy ảnh.
Image: images/photo-0000.jpg
Image_alt: Ảnh thứ nhất
Image_credit: Trung tâm Thông tin

Mở đầu.

![Ảnh thứ hai](images/photo-0002.jpg "Ảnh thứ hai trong bài")
"""


def page_bytes() -> list[dict]:
    """Publish a one-article site and sum the image bytes Chromium downloads at phone width."""
    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="bench-page-"))
    try:
        site = work / "site"
        (site / "articles" / "tin-tuc-su-kien").mkdir(parents=True)
        (site / "images").mkdir()
        (site / "articles" / "tin-tuc-su-kien" / "bai.md").write_text(ARTICLE, encoding="utf-8")
        for name in ("photo-0000.jpg", "photo-0002.jpg"):
            shutil.copy(CORPUS / name, site / "images" / name)
        command = [
            sys.executable,
            "-m",
            "pelican",
            str(site),
            "-s",
            str(ROOT / "pelicanconf.py"),
            "-o",
            str(work / "out"),
            "-e",
            f'CACHE_PATH="{work / "cache"}"',
            'SITEURL=""',
        ]
        subprocess.run(command, check=True, capture_output=True, cwd=ROOT)
        originals = sum((site / "images" / n).stat().st_size for n in ("photo-0000.jpg", "photo-0002.jpg"))
        server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(work / "out")))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}/tin-tuc-su-kien/bai/"
        rows = []
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
            for dpr in (2, 3):
                rows.append(_load(browser, url, dpr) | {"dpr": dpr, "originals": originals})
            browser.close()
        server.shutdown()
        return rows
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _load(browser, url: str, dpr: int) -> dict:
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=dpr)
    page = context.new_page()
    fetched = {}
    wanted = ("/images/", "/theme/")
    page.on(
        "response",
        lambda r: fetched.update({r.url: r}) if wanted[0] in r.url and wanted[1] not in r.url else None,
    )
    page.goto(url, wait_until="networkidle")
    page.mouse.wheel(0, 5000)  # bring the lazy body image into view
    page.wait_for_timeout(500)
    page.wait_for_load_state("networkidle")
    sizes = {u: len(r.body()) for u, r in fetched.items()}
    context.close()
    return {"files": sorted(u.rsplit("/", 1)[-1] for u in sizes), "bytes": sum(sizes.values())}


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def section(data: dict) -> str:
    """Return the "Images" section of bench/RESULTS.md for one run's ``images.json``."""
    mb = 1024 * 1024
    n, info = data["count"], data["machine"]
    cold, warm, plain = data["cold"], data["warm"], data["baseline"]
    m = plain["count"]
    sampled = m < n
    per_plain, per_cold = plain["wall"] / m, cold["wall"] / n
    label = f"plain Pillow, sample of {m}" if sampled else "plain Pillow baseline"
    lines = [
        "## Images: the photo pipeline against plain Pillow (issue 7)",
        "",
        f"Written by `invoke bench-images --photos {n}"
        + (f" --baseline-photos {m}" if sampled else "")
        + f"` (`bench/images.py`, figures in `bench/results/images.json`). {info['date']}, commit "
        f"`{info['commit']}`, {info['cpus']} CPUs ({info['cpu_model']}) shared with other jobs, "
        f"Python {info['python']}, Pillow {data['pillow']}. Load average (1 min) at the start "
        f"{data['load']['start']:.1f}, at the end {data['load']['end']:.1f}.",
        "",
        f"Input: {n} generated camera-size photos ({CAMERA[0]}×{CAMERA[1]} JPEG q92 with EXIF/GPS, "
        f"every other one rotated by EXIF, {data['original_bytes'] / mb:.0f} MB in all). Output per "
        "photo: widths 480/960/1600 × AVIF/WebP/JPEG = 9 files.",
        "",
        "| run | photos | wall s | per photo s | CPU s | load before → after |",
        "|---|---:|---:|---:|---:|---|",
        _run_row("portal_images cold: empty cache, every core", n, cold),
        _run_row("portal_images warm: rebuild, nothing changed", n, warm),
        _run_row(label + ": one process, no cache", m, plain),
        "",
        f"Per photo, cold: portal_images {per_cold:.2f} s wall ({cold['cpu'] / n:.2f} s CPU), "
        f"plain Pillow {per_plain:.2f} s wall ({plain['cpu'] / m:.2f} s CPU): "
        f"{per_plain / per_cold:.1f}× in wall time, {plain['cpu'] / m / (cold['cpu'] / n):.1f}× in CPU."
        + (
            f" The baseline was timed on the first {m} photos only (same mix of landscape and "
            f"rotated photos); at its rate {n} photos would take about {per_plain * n / 60:.0f} min "
            "(an extrapolation, not a measurement)."
            if sampled
            else ""
        ),
        f"Bytes written per photo: portal_images {data['ours_bytes'] / n / 1024:.0f} KB, "
        f"plain Pillow {data['baseline_bytes'] / m / 1024:.0f} KB.",
        "",
        "The warm run reads each source once to hash it (content, not mtime) and opens nothing with "
        "Pillow. The cold gain comes from decoding JPEGs at a reduced DCT scale (`draft`), scaling "
        "each width from the previous larger one, libavif speed 8 instead of Pillow's default 6, "
        "and a process pool on every core. Absolute times are inflated by the shared machine (see "
        "the load average; CPU seconds are less affected); both pipelines ran in the same run, on "
        "the same photos, one after the other.",
        "",
        "### An article page's images at phone width",
        "",
        "A one-article site with two of the photos (lead image and one body image), opened in "
        "Chromium at 390 CSS px; bytes are the image responses the browser fetched (lazy body image "
        "scrolled into view).",
        "",
        "| device pixel ratio | files fetched | bytes | original JPEGs | share |",
        "|---:|---|---:|---:|---:|",
    ]
    for row in data["page"]:
        lines.append(
            f"| {row['dpr']} | {', '.join(row['files'])} | {row['bytes'] / 1024:.0f} KB | "
            f"{row['originals'] / 1024:.0f} KB | {100 * row['bytes'] / row['originals']:.1f} % |"
        )
    lines += [
        "",
        "The generated photos (smooth shapes plus sensor noise) compress better in AVIF than most "
        "real photographs, so the page share above is optimistic; the sample photos of "
        "`content/images` (1600 px JPEG, about 70 KB) give 960-px AVIFs of about 15 KB.",
    ]
    return "\n".join(lines) + "\n"


def _run_row(label: str, count: int, run: dict) -> str:
    return (
        f"| {label} | {count} | {run['wall']:.1f} | {run['wall'] / count:.3f} | {run['cpu']:.1f} | "
        f"{run['load_before']:.1f} → {run['load_after']:.1f} |"
    )


def main(argv=None) -> None:
    """Run the benchmark, write bench/results/images.json and rewrite bench/RESULTS.md."""
    from bench.run import machine, write_report

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=100)
    parser.add_argument(
        "--baseline-photos", type=int, default=None, help="time plain Pillow on this many (default: all)"
    )
    parser.add_argument("--output", type=Path, default=RESULT)
    args = parser.parse_args(argv)
    start = os.getloadavg()[0]
    info = machine()
    data = encode_times(args.photos, args.baseline_photos)
    data["page"] = page_bytes()
    print(data["page"])
    data |= {
        "machine": info,
        "pillow": Image.__version__,
        "load": {"start": start, "end": os.getloadavg()[0]},
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.output}")
    if args.output == RESULT:
        write_report()


if __name__ == "__main__":
    main()
