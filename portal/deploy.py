"""Rolling deploy, rollback and verification of a release across the web cluster.

Deploy uploads to every node first, then switches one node at a time: drain it in every HAProxy,
wait until it is idle, switch ``current``, check it directly, put it back. If any node fails,
the deploy stops and every node already switched goes back to what it served before.
"""

from __future__ import annotations

import hashlib
import json
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from portal.cluster import (
    Cluster,
    ClusterError,
    NodeSpec,
    check_node,
    http_get,
    prune,
    read_link,
    set_state,
    switch,
    upload,
    wait_idle,
)
from portal.release import MANIFEST, NOT_SERVED

Say = Callable[[str], None]


class DeployError(Exception):
    """A deploy or rollback stopped; the message says where and what the cluster serves now."""


@contextmanager
def release_folder(path: Path) -> Iterator[Path]:
    """Return a release as a folder: the folder itself, or a ``.tar.gz`` unpacked to a temporary one."""
    if path.is_dir():
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="portal-release-") as scratch, tarfile.open(path) as archive:
        archive.extractall(scratch, filter="data")
        yield Path(scratch)


def manifest_of(folder: Path) -> dict:
    """Return the manifest of a release folder, or a ``DeployError``."""
    try:
        return json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DeployError(f"{folder}: no readable {MANIFEST}: {exc}") from exc


@contextmanager
def drained(cluster: Cluster, node: NodeSpec, say: Say) -> Iterator[None]:
    """Take a node out of every load balancer for the block, and put it back after."""
    for balancer in cluster.balancers:
        set_state(balancer, node.name, "drain")
    try:
        for balancer in cluster.balancers:
            wait_idle(balancer, node.name, cluster.drain_timeout)
        say(f"  {node.name}: đã rút khỏi cân bằng tải")
        yield
    finally:
        for balancer in cluster.balancers:
            set_state(balancer, node.name, "ready")
        say(f"  {node.name}: đã đưa trở lại")


def _switch_one(cluster: Cluster, node: NodeSpec, build_id: str, say: Say) -> str:
    """Switch one node to ``build_id`` inside a drain; restore it if its check fails."""
    old = read_link(node, "current")
    if old:
        check_node(node, old, cluster.check_timeout)  # a node already down is not touched
    with drained(cluster, node, say):
        switch(node, build_id)
        try:
            check_node(node, build_id, cluster.check_timeout)
        except ClusterError:
            if old:
                switch(node, old)
            raise
    say(f"  {node.name}: phục vụ {build_id}")
    return old


def rolling_switch(cluster: Cluster, target: Callable[[NodeSpec], str], say: Say) -> None:
    """Switch node after node to ``target(node)``; on failure put the switched ones back."""
    done: list[tuple[NodeSpec, str]] = []
    for node in cluster.nodes:
        build_id = target(node)
        say(f"{node.name}: chuyển sang {build_id}")
        try:
            done.append((node, _switch_one(cluster, node, build_id, say)))
        except ClusterError as exc:
            say(f"{node.name}: LỖI {exc}; trả các máy đã chuyển về bản cũ")
            stuck = _restore(cluster, done, say)
            raise DeployError(f"dừng triển khai ở {node.name}: {exc}{stuck}") from exc


def _restore(cluster: Cluster, done: list[tuple[NodeSpec, str]], say: Say) -> str:
    """Switch nodes back to what they served; return a note naming any that could not be."""
    stuck = []
    for node, old in reversed(done):
        try:
            if old:
                _switch_one(cluster, node, old, say)
        except ClusterError as exc:
            stuck.append(f"{node.name} ({exc})")
    return f"; KHÔNG trả về được: {', '.join(stuck)}" if stuck else ""


def deploy(cluster: Cluster, release: Path, say: Say = print) -> str:
    """Upload ``release`` everywhere, switch node by node, prune; return its build id."""
    with release_folder(release) as folder:
        build_id = manifest_of(folder)["build_id"]
        for node in cluster.nodes:
            try:
                upload(node, folder, build_id)
            except (ClusterError, OSError) as exc:
                raise DeployError(f"tải lên {node.name} thất bại, chưa máy nào chuyển: {exc}") from exc
            say(f"{node.name}: đã tải lên releases/{build_id}")
    rolling_switch(cluster, lambda node: build_id, say)
    for node in cluster.nodes:
        for gone in prune(node, cluster.keep):
            say(f"{node.name}: đã xoá bản cũ {gone}")
    say(f"Xong: mọi máy phục vụ {build_id}")
    return build_id


def rollback(cluster: Cluster, to: str = "", say: Say = print) -> str:
    """Switch every node back to ``to``, or to the release it served before (``previous``)."""
    first = cluster.nodes[0]
    target = to or read_link(first, "previous")
    if not target:
        raise DeployError(f"{first.name}: không có bản trước để quay lại")
    rolling_switch(cluster, lambda node: target, say)
    say(f"Xong: mọi máy quay về {target}")
    return target


@dataclass(frozen=True, order=True)
class Difference:
    """A file a node serves that is not what the manifest says."""

    node: str
    where: str  # "http" or "disk"
    path: str
    problem: str  # "differs", "missing" or "extra"

    def __str__(self) -> str:
        return f"{self.node} ({self.where}): {self.problem}: {self.path}"


def verify(cluster: Cluster, manifest: dict, say: Say = print) -> list[Difference]:
    """Compare every node's files, over HTTP and on disk, with ``manifest``; list the differences."""
    expected = {entry["path"]: entry["sha256"] for entry in manifest["files"]}
    found: list[Difference] = []
    for node in cluster.nodes:
        found += _verify_http(node, expected, cluster.check_timeout)
        if node.is_local:
            found += _verify_disk(node, expected)
        say(f"{node.name}: đã kiểm tra {len(expected)} tệp")
    return sorted(found)


def _verify_http(node: NodeSpec, expected: dict[str, str], timeout: float) -> list[Difference]:
    found = []
    for path, digest in expected.items():
        if path.startswith(NOT_SERVED):
            continue  # configuration of the node (checked on disk), never served
        try:
            status, body, _ = http_get(f"{node.url}/{quote(path)}", timeout)
        except ClusterError:
            status, body = 0, b""
        if status != 200:
            found.append(Difference(node.name, "http", path, "missing"))
        elif hashlib.sha256(body).hexdigest() != digest:
            found.append(Difference(node.name, "http", path, "differs"))
    return found


def _verify_disk(node: NodeSpec, expected: dict[str, str]) -> list[Difference]:
    root = Path(node.path) / "current"
    present = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    present.discard(MANIFEST)
    found = [Difference(node.name, "disk", p, "extra") for p in sorted(present - set(expected))]
    for path, digest in expected.items():
        if path not in present:
            found.append(Difference(node.name, "disk", path, "missing"))
        elif hashlib.sha256((root / path).read_bytes()).hexdigest() != digest:
            found.append(Difference(node.name, "disk", path, "differs"))
    return found
