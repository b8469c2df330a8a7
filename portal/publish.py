"""Publishing into a staged copy of the last output, swapped in only when the build is whole.

The stage starts as a hard-linked copy of the current output (no extra disk), so an incremental
build rewrites only what changed; every writer replaces files by rename, never in place, so the
current output is untouched until ``swap_in``. At archive scale the output holds about ten files
an article (90,000 at 10,000 articles): linking a whole tree (``cp -al``) and removing the retired
one (``rm -rf``) cost more than the build of one edit. So the tree a publish retires is kept as the
next stage, and ``stage`` brings it back to the output's state by changing only what differs (the
files the last build replaced, added or removed); the first publish, or one after a failure,
links the whole tree with ``cp``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path


def stage(target: Path) -> Path:
    """Return a staging folder beside ``target``, a hard-linked copy of it when it exists."""
    target = Path(target).resolve()
    staging = staging_of(target)
    if target.is_dir() and staging.is_dir() and not staging.is_symlink():
        try:  # the tree the last publish retired
            relink(target, staging)
            return staging
        except OSError:
            pass
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


def staging_of(target: Path) -> Path:
    """Return the staging folder of an output folder: hidden, beside it."""
    return target.with_name(f".{target.name}.staging")


def relink(target: Path, staging: Path) -> None:
    """Make ``staging`` a hard-linked copy of ``target`` again, changing only what differs.

    A name that holds another file than the target's (device and inode) is linked again by a
    temporary link and a rename, a name the target does not have is removed, a folder it gained is
    made. Symlinks are linked as they are. Afterwards every name of ``staging`` is the target's.
    """
    pending = [(str(target), str(staging))]
    while pending:
        source, here = pending.pop()
        with os.scandir(source) as entries:
            wanted = {entry.name: entry for entry in entries}
        with os.scandir(here) as entries:
            found = {entry.name: entry for entry in entries}
        for name, entry in found.items():
            other = wanted.get(name)
            if other is None or other.is_dir(follow_symlinks=False) != entry.is_dir(follow_symlinks=False):
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path)
                else:
                    os.unlink(entry.path)
                found[name] = None
        for name, entry in wanted.items():
            mine = found.get(name)
            path = os.path.join(here, name)
            if entry.is_dir(follow_symlinks=False):
                if mine is None:
                    os.mkdir(path)
                pending.append((entry.path, path))
            elif mine is None or not _same_file(mine, entry):
                temporary = os.path.join(here, f".{name}.{os.getpid()}.link")
                os.link(entry.path, temporary, follow_symlinks=False)
                os.replace(temporary, path)


def _same_file(one: os.DirEntry, two: os.DirEntry) -> bool:
    first, second = one.stat(follow_symlinks=False), two.stat(follow_symlinks=False)
    return (first.st_ino, first.st_dev) == (second.st_ino, second.st_dev)


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
    """Replace ``target`` by ``staging`` with two renames; the old tree becomes the next stage.

    The old tree gets a name of its own, then the staging name (free again) for ``stage`` to bring
    up to date next time. A staging folder of another name leaves the old tree to a background
    ``rm`` (``wait``: removed now).
    """
    target = Path(target)
    if target.exists():
        retired = target.with_name(f".{target.name}.retired-{os.getpid()}-{time.monotonic_ns()}")
        os.rename(target, retired)
        os.rename(staging, target)
        following = staging_of(target.resolve())
        if Path(staging).resolve() == following and not os.path.lexists(following):
            os.rename(retired, following)
        else:
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
