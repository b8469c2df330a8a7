"""The gh-pages mirror: the published output pushed as one commit with ghp-import.

ghp-import works in the current repository; it runs here in a scratch repository that fetches
the remote's branch first, so the project's own checkout (and its branches) are never touched
and the mirror keeps its history.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from portal.epoch import git


class MirrorError(Exception):
    """The mirror could not be pushed."""


def _git(folder: Path, *args: str) -> None:
    done = subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True, check=False)
    if done.returncode:
        raise MirrorError(done.stderr.strip() or " ".join(args))


def remote_url(remote: str, project: Path) -> str:
    """Return a remote name of the project (``origin``) as its URL; a URL or path as it is."""
    return git(project, "remote", "get-url", remote) or remote


def push_mirror(output: Path, remote: str, branch: str, project: Path) -> str:
    """Commit ``output`` (plus ``.nojekyll``) on ``branch`` of ``remote``; return the commit."""
    if not (output / "index.html").is_file():
        raise MirrorError(f"{output} is not a published output")
    url = remote_url(remote, project)
    commit = git(project, "rev-parse", "--short=12", "HEAD") or "unknown"
    with tempfile.TemporaryDirectory(prefix="portal-ghpages-") as scratch:
        work = Path(scratch)
        _git(work, "init", "-q")
        _git(work, "config", "user.name", "Cổng TTCP publish")
        _git(work, "config", "user.email", "noreply@thanhtra.gov.vn")
        _git(work, "remote", "add", "mirror", url)
        subprocess.run(
            ["git", "-C", str(work), "fetch", "-q", "mirror", branch], capture_output=True, check=False
        )  # a first push has no branch yet
        if git(work, "rev-parse", "-q", "--verify", "FETCH_HEAD"):
            _git(work, "update-ref", f"refs/remotes/mirror/{branch}", "FETCH_HEAD")
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "ghp_import",
                "--no-jekyll",
                "--push",
                "--remote",
                "mirror",
                "--branch",
                branch,
                "--message",
                f"Xuất bản {commit}",
                str(output.resolve()),
            ],
            cwd=work,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode:
            raise MirrorError(done.stderr.strip() or done.stdout.strip())
        return git(work, "rev-parse", branch)
