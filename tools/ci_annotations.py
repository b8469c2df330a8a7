"""Turn ``invoke check --format json`` output into GitHub Actions annotations.

Usage: ``python tools/ci_annotations.py findings.json``. Each finding becomes one
``::error file=…,line=…,title=rule::message`` line, which GitHub shows on the pull request's
diff at that line. Exits 0: the check step itself decides whether the job fails.
"""

from __future__ import annotations

import json
import sys


def _escape(value: str, *, prop: bool = False) -> str:
    """Escape as GitHub's workflow commands require (``%``, line breaks; ``:`` and ``,`` in properties)."""
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        value = value.replace(":", "%3A").replace(",", "%2C")
    return value


def annotation(finding: dict) -> str:
    """Return the workflow command of one finding."""
    level = "error" if finding["severity"] == "error" else "warning"
    props = f"file={_escape(finding['path'], prop=True)},line={finding['line']}"
    props += f",title={_escape(finding['rule'], prop=True)}"
    return f"::{level} {props}::{_escape(finding['message'])}"


def main(argv: list[str]) -> int:
    """Print one annotation per finding of the JSON file given."""
    with open(argv[1], encoding="utf-8") as handle:
        findings = json.load(handle)
    for finding in findings:
        print(annotation(finding))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
