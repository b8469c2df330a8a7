"""Findings: what a content rule says about a file, printed as ``path:line: severity: [rule] msg``."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

ERROR = "error"
WARNING = "warning"
# In a build's context: callables each adding findings still being made (``portal_checks``' child).
PENDING = "PORTAL_FINDINGS_PENDING"


@dataclass(frozen=True, order=True)
class Finding:
    """One problem in one file, with the line to look at and the fix, in Vietnamese."""

    path: str
    line: int
    severity: str
    rule: str
    message: str

    def format(self) -> str:
        """Return the one-line form editors and CI read (compilers' ``file:line:`` style)."""
        return f"{self.path}:{self.line}: {self.severity}: [{self.rule}] {self.message}"

    @property
    def is_error(self) -> bool:
        """Whether this finding blocks a publish."""
        return self.severity == ERROR


def to_json(findings: list[Finding]) -> str:
    """Serialise findings for CI annotations, one object per finding."""
    return json.dumps([asdict(f) for f in findings], ensure_ascii=False, indent=2)


def summary(findings: list[Finding]) -> str:
    """Return the Vietnamese closing line: how many errors and warnings were found."""
    errors = sum(f.is_error for f in findings)
    return f"{errors} lỗi, {len(findings) - errors} cảnh báo."


def wait_pending(context: dict) -> None:
    """Run, once, what adds the findings still being made to the build's list (``PENDING``)."""
    for wait in context.pop(PENDING, ()):
        wait()
