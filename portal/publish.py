"""Publishing into a staged copy of the last output, swapped in only when the build is whole.

The stage starts as a hard-linked copy of the current output (instant, no extra disk), so an
incremental build rewrites only what changed; every writer replaces files by rename, never in
place, so the current output is untouched until ``swap_in``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path


def stage(target: Path) -> Path:
    """Return a fresh staging folder beside ``target``, a hard-linked copy of it when it exists."""
    target = Path(target).resolve()
    staging = target.with_name(f".{target.name}.staging")
    shutil.rmtree(staging, ignore_errors=True)
    if not target.is_dir():
        staging.mkdir(parents=True)
        return staging
    for folder, folders, names in os.walk(target):
        here = staging / Path(folder).relative_to(target)
        here.mkdir(exist_ok=True)
        for name in names:
            source = os.path.join(folder, name)
            if os.path.islink(source):
                os.symlink(os.readlink(source), here / name)
            else:
                os.link(source, here / name)
        linked = [f for f in folders if os.path.islink(os.path.join(folder, f))]
        for name in linked:
            os.symlink(os.readlink(os.path.join(folder, name)), here / name)
        folders[:] = [f for f in folders if f not in linked]
    return staging


def swap_in(staging: Path, target: Path) -> None:
    """Replace ``target`` by ``staging`` with two renames; the old tree is removed afterwards."""
    retired = target.with_name(f".{target.name}.retired")
    shutil.rmtree(retired, ignore_errors=True)
    if target.exists():
        os.rename(target, retired)
    os.rename(staging, target)
    shutil.rmtree(retired, ignore_errors=True)
