"""portal_checks in real Pelican runs: findings in a development build, settings validated."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
INVALID = ROOT / "tests" / "fixtures" / "sites" / "invalid"


def pelican(content: Path, output: Path, settings: str, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pelican",
            str(content),
            "-s",
            str(ROOT / settings),
            "-o",
            str(output),
            "--log-handler",
            "plain",
            *extra,
        ],
        capture_output=True,
        text=True,
        cwd=INVALID / "raw_html",
        check=False,
    )


def test_development_build_reports_rule_findings_and_goes_on(tmp_path):
    done = pelican(Path("."), tmp_path / "out", "pelicanconf.py")
    log = done.stdout + done.stderr
    assert done.returncode == 0, log
    assert "articles/thanh-tra/2024/article_with_raw_div.md:10: warning: [raw-html]" in log
    assert (tmp_path / "out" / "thanh-tra" / "article-with-raw-div" / "index.html").exists()


def test_unknown_setting_stops_the_build_without_a_traceback(tmp_path):
    done = pelican(Path("."), tmp_path / "out", "pelicanconf.py", "-e", "PORTAL_CHECKS_TITLE_MAX=10")
    log = done.stdout + done.stderr
    assert done.returncode != 0
    assert "portal_checks: unknown settings PORTAL_CHECKS_TITLE_MAX" in log
    assert "Traceback" not in log
