"""Publishing into a staged copy of the last output, swapped in only when the build is whole.

The stage starts as a hard-linked copy of the current output (no extra disk), so an incremental
build rewrites only what changed; every writer replaces files by rename, never in place, so the
current output is untouched until ``swap_in``. At archive scale the output holds about ten files
an article, so linking and removing trees is done by ``cp`` and ``rm`` (C, one process each)
rather than a Python loop over every file, and the retired tree is removed in the background:
the new output is live as soon as it is renamed into place.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path


def stage(target: Path) -> Path:
    """Return a fresh staging folder beside ``target``, a hard-linked copy of it when it exists."""
    target = Path(target).resolve()
    staging = target.with_name(f".{target.name}.staging")
    remove_tree(staging)
    if not target.is_dir():
        staging.mkdir(parents=True)
        return staging
    linked = subprocess.run(  # GNU cp: -a keeps symlinks as symlinks, -l links files
        ["cp", "-a", "-l", "--", str(target), str(staging)], capture_output=True, check=False
    )
    if linked.returncode != 0:  # no GNU cp here, or a file system without hard links
        remove_tree(staging)
        _link_tree(target, staging)
    return staging


def _link_tree(target: Path, staging: Path) -> None:
    for folder, folders, names in os.walk(target):
        here = staging / Path(folder).relative_to(target)
        here.mkdir(exist_ok=True)
        for name in names:
            source = os.path.join(folder, name)
            if os.path.islink(source):
                os.symlink(os.readlink(source), here / name)
            else:
                os.link(source, here / name)
        links = [f for f in folders if os.path.islink(os.path.join(folder, f))]
        for name in links:
            os.symlink(os.readlink(os.path.join(folder, name)), here / name)
        folders[:] = [f for f in folders if f not in links]


def swap_in(staging: Path, target: Path, wait: bool = False) -> None:
    """Replace ``target`` by ``staging`` with two renames; the old tree is removed afterwards.

    The old tree gets a name of its own and is removed by a background ``rm`` (``wait``: now).
    """
    target = Path(target)
    if target.exists():
        retired = target.with_name(f".{target.name}.retired-{os.getpid()}-{time.monotonic_ns()}")
        os.rename(target, retired)
        os.rename(staging, target)
        remove_tree(retired, wait=wait)
    else:
        os.rename(staging, target)


def remove_tree(path: Path, wait: bool = True) -> None:
    """Delete a folder tree if it exists (in the background unless ``wait``)."""
    if not os.path.lexists(path):
        return
    if shutil.which("rm") is None:
        shutil.rmtree(path, ignore_errors=True)
        return
    if wait:
        subprocess.run(["rm", "-rf", "--", str(path)], check=False)
    else:  # the shell returns at once; rm goes on alone, adopted by init
        subprocess.run(["sh", "-c", 'rm -rf -- "$1" >/dev/null 2>&1 &', "sh", str(path)], check=False)
