"""Shared by the headless-output tests: one publish of the ``headless`` fixture site, and schemas."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import ROOT, SITES, run_pelican
from lxml import etree

SCHEMAS = ROOT / "tests" / "schemas"
SITE = SITES / "headless"
SITEURL = "https://thanhtra.gov.vn"
SECTIONS = [
    "tin-tuc-su-kien",
    "thanh-tra",
    "tiep-cong-dan",
    "khieu-nai-to-cao",
    "phong-chong-tham-nhung",
    "ket-luan-thanh-tra",
    "van-ban",
    "thong-bao",
]
PUBLISHED = [  # newest first, ties by slug
    "hoi-nghi-chuyen-doi-so",
    "ket-qua-thanh-tra-dat-dai",
    "quyet-dinh-15-qd-ttcp",
    "ai-cung-gio",
    "bai-cung-gio",
]
MARKERS = ("HIDDENMARKER", "DRAFTMARKER", "FUTUREMARKER")


_BUILDS = {}


def publish_once(tmp_path_factory):
    """Publish tests/fixtures/sites/headless (publishconf.py) once per test session."""
    if "build" not in _BUILDS:
        build = run_pelican(SITE, tmp_path_factory.mktemp("headless") / "out")
        assert build.returncode == 0, build.log
        _BUILDS["build"] = build
    return _BUILDS["build"]


def headless_outputs(output: Path) -> list[Path]:
    """Every file the headless plugins write (feeds, API, sitemaps, robots, redirect map)."""
    patterns = ["feeds/*.xml", "feed.json", "api/**/*.json", "sitemap*.xml", "robots.txt", "_nginx/*.map"]
    return sorted(p for pattern in patterns for p in output.glob(pattern) if p.is_file())


def load_json(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


def xml_schema(name: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMAS / name)))


def atom_schema() -> etree.RelaxNG:
    return etree.RelaxNG(etree.parse(str(SCHEMAS / "atom.rng")))


def assert_valid(schema, path: Path) -> None:
    document = etree.parse(str(path))
    assert schema.validate(document), f"{path.name}: {schema.error_log}"
