"""Publishing into a staged copy of the last output, swapped in only when the build is whole.

The stage starts as a hard-linked copy of the current output (no extra disk), so an incremental
build rewrites only what changed; every writer replaces files by rename, never in place, so the
current output is untouched until ``swap_in``. At archive scale the output holds about ten files
an article (90,000 at 10,000 articles): linking a whole tree (``cp -al``) and removing the retired
one (``rm -rf``) cost more than the build of one edit. So the tree a publish retires is kept as the
next stage, and ``stage`` brings it back to the output's state by changing only what differs (the
files the last build replaced, added or removed); the first publish, or one after a failure,
links the whole tree with ``cp``.

Finding what differs by comparing both trees costs two walks of 90,000 names. So the release
(``portal.release.finish``) records in the build's cache folder which names it found replaced,
added or removed since the release it was staged from (``CHANGES``), and the next ``stage`` with
that record relinks only those names. The record is trusted only when it describes exactly the two
trees found: the output's folder (device and inode) and build id are those the release made, the
stage's are those of the tree it was staged from, and the chain from ``stage`` to the release is
unbroken (``stage`` hands over a record the release checks, and removes the last one before it
touches the stage: a failed build leaves none). Anything else, and any error while applying it,
falls back to the walk of both trees. A Pelican build straight into the output folder (``invoke
build``) removes the record when it starts; a program that writes into the live output by other
means must remove it too.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import time
from pathlib import Path

from portal.buildcache import RACY_NS, read_pickle, write_pickle

CHANGES = "release-changes.pickle"  # in the build's cache folder: what the last release changed
CHANGES_FORMAT = 1
SETTLED_NS = RACY_NS  # how long ago a stamped tree must have been stamped for its folders to be trusted


def stage(target: Path, changes: Path | None = None) -> Path:
    """Return a staging folder beside ``target``, a hard-linked copy of it when it exists.

    ``changes`` (the release's record, ``CHANGES`` in the cache folder) lets the tree the last
    publish retired be brought up to date by relinking only what that publish changed.
    """
    target = Path(target).resolve()
    staging = staging_of(target)
    record = _take_record(changes, target)
    prepared, applied = _prepare(target, staging, record)
    if changes is not None and target.is_dir():
        hand_over(changes, target, staging, record, record.get("from_stamped") if applied else None)
    return prepared


def _prepare(target: Path, staging: Path, record: dict | None) -> tuple[Path, bool]:
    """Make ``staging``; tell whether it was brought up to date by ``record`` alone (``_apply``)."""
    if target.is_dir() and staging.is_dir() and not staging.is_symlink():
        try:  # the tree the last publish retired
            if record is not None and _apply(target, staging, record):
                return staging, True
            relink(target, staging)
            return staging, False
        except OSError:
            pass
    remove_tree(staging)
    if not target.is_dir():
        staging.mkdir(parents=True)
        return staging, False
    linked = subprocess.run(  # GNU cp: -a keeps symlinks as symlinks, -l links files
        ["cp", "-a", "-l", "--", str(target), str(staging)], capture_output=True, check=False
    )
    if linked.returncode != 0:  # no GNU cp here, or a file system without hard links
        remove_tree(staging)
        _link_tree(target, staging)
    return staging, False


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
                _link_over(entry.path, path)


def root_of(folder: Path) -> tuple[int, int]:
    """Return the identity (device, inode) of a folder: a rename keeps it, a new tree has another."""
    st = os.stat(folder)
    return (st.st_dev, st.st_ino)


def build_id_of(folder: Path) -> str | None:
    """Return the build id a release wrote in ``folder/version.json``, if any."""
    try:
        data = json.loads((Path(folder) / "version.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    found = data.get("build_id") if isinstance(data, dict) else None
    return found if isinstance(found, str) else None


def read_changes(path: Path | None) -> dict | None:
    """Return the record at ``path`` if it is one of this format, else ``None``."""
    data = read_pickle(path)
    return data if isinstance(data, dict) and data.get("format") == CHANGES_FORMAT else None


def forget_changes(path: Path, output: Path) -> None:
    """Remove the record at ``path`` if it describes ``output`` (a build is about to write into it)."""
    record = read_changes(path)
    try:
        if record is not None and record.get("root") == root_of(output):
            os.unlink(path)
    except OSError:
        pass


def _take_record(path: Path | None, target: Path) -> dict | None:
    """Remove the record at ``path``; return it if it describes the release now in ``target``."""
    if path is None:
        return None
    record = read_changes(path)
    with contextlib.suppress(FileNotFoundError):  # before the stage changes: a failed build leaves none
        os.unlink(path)
    try:
        if record is None or record.get("root") != root_of(target):
            return None
    except OSError:
        return None
    return record if record.get("build_id") == build_id_of(target) else None


def hand_over(  # noqa: PLR0913
    path: Path, target: Path, staging: Path, record: dict | None, stamped: int | None = None
) -> None:
    """Tell the release of the build about to run in ``staging`` which tree it was staged from.

    The release trusts its cache's file identities as a description of ``target`` only with the
    token that ``record`` (the last release's, found to describe ``target``) carries. ``stamped``
    is when the release of the tree ``staging`` is had stamped every folder of it, given when only
    ``_apply`` changed the tree since: the release then reads only the folders changed after it
    (``portal.release._settled``). Not given when that was less than ``SETTLED_NS`` ago: a change
    made within a tick of the kernel's clock after it may carry the same time.
    """
    if stamped is not None and time.time_ns() - stamped < SETTLED_NS:
        stamped = None
    write_pickle(
        path,
        {
            "format": CHANGES_FORMAT,
            "root": root_of(target),
            "build_id": build_id_of(target),
            "token": record.get("token") if record else None,
            "staged": root_of(staging),
            "stamped": stamped,
        },
    )


def _apply(target: Path, staging: Path, record: dict) -> bool:
    """Bring ``staging`` to ``target``'s state with the names ``record`` lists; ``False`` if it may not.

    Allowed only when ``staging`` is the very tree the record's release was staged from. A name
    that is not as the record says (a file to remove that is missing) raises ``OSError``.
    """
    names = [record.get(key) for key in ("changed", "removed", "folders_added", "folders_removed")]
    if not all(isinstance(value, list) for value in names):
        return False
    if record.get("from") != root_of(staging) or record.get("from_build") != build_id_of(staging):
        return False
    changed, removed, added, gone = names
    here, there = os.path.join(staging, ""), os.path.join(target, "")
    for relative in removed:
        os.unlink(here + relative)
    for folder in sorted(gone, reverse=True):  # deepest first; each is empty by now
        shutil.rmtree(here + folder)
    for folder in sorted(added):
        os.makedirs(here + folder, exist_ok=True)
    for relative in changed:
        _link_over(there + relative, here + relative)
    return True


def _link_over(source: str, path: str) -> None:
    """Make ``path`` a hard link of ``source`` (a symlink as it is), by a temporary link and a rename."""
    folder, name = os.path.split(path)
    temporary = os.path.join(folder, f".{name}.{os.getpid()}.link")
    os.link(source, temporary, follow_symlinks=False)
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
