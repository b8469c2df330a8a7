"""The web cluster: nodes and load balancers from ``deploy/nodes.toml``, and how to reach them.

A node is a local folder or an SSH host reached with rsync; its layout is
``releases/<id>/`` (one folder per uploaded release), ``current`` and ``previous`` (symlinks,
switched with an atomic rename), ``assets/`` (the static files of every uploaded release, so a
page of another release never points to a missing file) and ``deployed.log`` (upload order).
A load balancer is an HAProxy runtime API socket (a Unix path or ``host:port``).
"""

from __future__ import annotations

import http.client
import json
import os
import shlex
import shutil
import socket
import subprocess
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ASSET_FOLDERS = ("theme/", "images/", "files/", "search/data/")  # search/data/: portal_search


class ClusterError(Exception):
    """The cluster file is wrong, or a node or load balancer did not do what it was asked."""


@dataclass(frozen=True)
class NodeSpec:
    """One web node: its name (the HAProxy server name), its folder, its host, its own URL."""

    name: str
    path: str
    url: str
    host: str = ""  # "" for a local folder, else an SSH destination (``deploy@10.0.1.12``)
    ssh: str = "ssh -o BatchMode=yes"  # the SSH command for ``ssh`` and ``rsync -e`` (port, key…)

    @property
    def is_local(self) -> bool:
        """Return True when the node's folder is on this machine."""
        return not self.host


@dataclass(frozen=True)
class Balancer:
    """One HAProxy: its runtime API socket and the backend the nodes are servers of."""

    socket: str
    backend: str = "portal"


@dataclass(frozen=True)
class Cluster:
    """Everything ``invoke deploy`` needs to know."""

    nodes: tuple[NodeSpec, ...]
    balancers: tuple[Balancer, ...] = ()
    keep: int = 5
    drain_timeout: float = 30.0
    check_timeout: float = 10.0
    extra: dict = field(default_factory=dict)


def load_cluster(path: Path) -> Cluster:
    """Read ``deploy/nodes.toml``; every problem is a ``ClusterError`` naming the file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ClusterError(f"{path}: {exc}") from exc
    try:
        nodes = tuple(NodeSpec(**node) for node in data.get("node", []))
        balancers = tuple(Balancer(**lb) for lb in data.get("balancer", []))
    except TypeError as exc:
        raise ClusterError(f"{path}: {exc}") from exc
    if not nodes:
        raise ClusterError(f"{path}: no [[node]]")
    if len({n.name for n in nodes}) != len(nodes):
        raise ClusterError(f"{path}: two nodes share a name")
    return Cluster(
        nodes,
        balancers,
        int(data.get("keep", 5)),
        float(data.get("drain_timeout", 30)),
        float(data.get("check_timeout", 10)),
    )


# --- the HAProxy runtime API -------------------------------------------------------------------


def haproxy_command(balancer: Balancer, command: str, timeout: float = 5.0) -> str:
    """Send one runtime API command and return HAProxy's answer."""
    if balancer.socket.startswith("/"):
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        address: object = balancer.socket
    else:
        host, _, port = balancer.socket.rpartition(":")
        connection = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        address = (host, int(port))
    with connection:
        connection.settimeout(timeout)
        try:
            connection.connect(address)
            connection.sendall(command.encode() + b"\n")
            chunks = []
            while chunk := connection.recv(65536):
                chunks.append(chunk)
        except OSError as exc:
            raise ClusterError(f"HAProxy {balancer.socket}: {exc}") from exc
    return b"".join(chunks).decode()


def set_state(balancer: Balancer, server: str, state: str) -> None:
    """Set a server's admin state: ``ready``, ``drain`` or ``maint``."""
    answer = haproxy_command(balancer, f"set server {balancer.backend}/{server} state {state}")
    if answer.strip():
        raise ClusterError(f"HAProxy {balancer.socket}: {answer.strip()}")


def sessions(balancer: Balancer, server: str) -> int:
    """Return current sessions plus queued requests of a server (``show stat``)."""
    lines = haproxy_command(balancer, "show stat").splitlines()
    header = lines[0].lstrip("# ").split(",")
    for line in lines[1:]:
        row = dict(zip(header, line.split(","), strict=False))
        if row.get("pxname") == balancer.backend and row.get("svname") == server:
            return int(row.get("scur") or 0) + int(row.get("qcur") or 0)
    raise ClusterError(f"HAProxy {balancer.socket}: no server {balancer.backend}/{server}")


def wait_idle(balancer: Balancer, server: str, timeout: float) -> None:
    """Wait until a drained server has no session left."""
    deadline = time.monotonic() + timeout
    while sessions(balancer, server):
        if time.monotonic() > deadline:
            raise ClusterError(f"{server}: still has sessions after {timeout:.0f} s of draining")
        time.sleep(0.05)


# --- a node's folder, local or over SSH ----------------------------------------------------------


def _ssh(node: NodeSpec, script: str) -> str:
    done = subprocess.run(
        [*shlex.split(node.ssh), node.host, script], capture_output=True, text=True, check=False
    )
    if done.returncode:
        raise ClusterError(f"{node.name}: {done.stderr.strip() or script}")
    return done.stdout


def _rsync(args: list[str], node: NodeSpec) -> None:
    done = subprocess.run(["rsync", "-a", "-e", node.ssh, *args], capture_output=True, text=True, check=False)
    if done.returncode:
        raise ClusterError(f"{node.name}: rsync: {done.stderr.strip()}")


def upload(node: NodeSpec, release: Path, build_id: str) -> None:
    """Copy a release to ``releases/<id>/`` (mtimes kept) and add its static files to ``assets/``."""
    if node.is_local:
        root = Path(node.path)
        target = root / "releases" / build_id
        if not target.is_dir():
            partial = root / "releases" / f".{build_id}.partial"
            shutil.rmtree(partial, ignore_errors=True)
            shutil.copytree(release, partial, copy_function=shutil.copy2)
            os.replace(partial, target)
        _merge_assets(release, root / "assets")
        with (root / "deployed.log").open("a", encoding="utf-8") as log:
            log.write(build_id + "\n")
        return
    remote = shlex.quote(node.path)
    _ssh(node, f"mkdir -p {remote}/releases {remote}/assets")
    _rsync(["--delete", f"{release}/", f"{node.host}:{node.path}/releases/{build_id}/"], node)
    filters = [f"--include={folder}***" for folder in ASSET_FOLDERS]
    _rsync(
        [
            "--include=*/",
            *filters,
            "--exclude=*",
            "--prune-empty-dirs",
            f"{release}/",
            f"{node.host}:{node.path}/assets/",
        ],
        node,
    )
    _ssh(node, f"echo {shlex.quote(build_id)} >> {remote}/deployed.log")


def _merge_assets(release: Path, assets: Path) -> None:
    for folder in ASSET_FOLDERS:
        source = release / folder
        if source.is_dir():
            shutil.copytree(source, assets / folder, copy_function=shutil.copy2, dirs_exist_ok=True)


def read_link(node: NodeSpec, name: str) -> str:
    """Return the release id a node's ``current`` or ``previous`` points to ("" if none)."""
    if node.is_local:
        link = Path(node.path) / name
        return Path(os.readlink(link)).name if link.is_symlink() else ""
    return Path(_ssh(node, f"readlink {shlex.quote(node.path + '/' + name)} || true").strip()).name


def switch(node: NodeSpec, build_id: str) -> str:
    """Point ``current`` at ``releases/<id>`` with one atomic rename; return the old id."""
    old = read_link(node, "current")
    if node.is_local:
        root = Path(node.path)
        if not (root / "releases" / build_id).is_dir():
            raise ClusterError(f"{node.name}: no release {build_id}")
        for name, target in (("previous", old), ("current", build_id)):
            if target and target != read_link(node, name):
                temporary = root / f".{name}.tmp"
                temporary.unlink(missing_ok=True)
                temporary.symlink_to(f"releases/{target}")
                os.replace(temporary, root / name)
        return old
    path = shlex.quote(node.path)
    _ssh(
        node,
        f"cd {path} && test -d releases/{build_id} && "
        + (f"ln -sfn releases/{old} .previous.tmp && mv -T .previous.tmp previous && " if old else "")
        + f"ln -sfn releases/{build_id} .current.tmp && mv -T .current.tmp current",
    )
    return old


def deployed(node: NodeSpec) -> list[str]:
    """Release ids in upload order, oldest first, each once (its last upload counts)."""
    if node.is_local:
        log = Path(node.path) / "deployed.log"
        text = log.read_text(encoding="utf-8") if log.exists() else ""
    else:
        text = _ssh(node, f"cat {shlex.quote(node.path)}/deployed.log 2>/dev/null || true")
    order: list[str] = []
    for build_id in text.split():
        if build_id in order:
            order.remove(build_id)
        order.append(build_id)
    return order


def prune(node: NodeSpec, keep: int) -> list[str]:
    """Delete all but the last ``keep`` uploaded releases (never current nor previous)."""
    order = deployed(node)
    protected = {read_link(node, "current"), read_link(node, "previous")}
    doomed = [b for b in order[:-keep] if b not in protected] if keep > 0 else []
    for build_id in doomed:
        if node.is_local:
            shutil.rmtree(Path(node.path) / "releases" / build_id, ignore_errors=True)
        else:
            _ssh(node, f"rm -rf {shlex.quote(node.path)}/releases/{shlex.quote(build_id)}")
    return doomed


# --- a node over HTTP ----------------------------------------------------------------------------


def http_get(url: str, timeout: float) -> tuple[int, bytes, dict[str, str]]:
    """GET ``url`` (no compression); return status, body and headers."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
    try:
        connection.request("GET", parts.path or "/", headers={"Accept-Encoding": "identity"})
        response = connection.getresponse()
        return response.status, response.read(), {k.lower(): v for k, v in response.getheaders()}
    except OSError as exc:
        raise ClusterError(f"{url}: {exc}") from exc
    finally:
        connection.close()


def check_node(node: NodeSpec, build_id: str, timeout: float) -> None:
    """``/healthz`` answers ok and ``/version.json`` names ``build_id``, on the node itself."""
    status, body, _ = http_get(f"{node.url}/healthz", timeout)
    if status != 200 or body.strip() != b"ok":
        raise ClusterError(f"{node.name}: /healthz answered {status}")
    status, body, _ = http_get(f"{node.url}/version.json", timeout)
    served = json.loads(body).get("build_id") if status == 200 else None
    if served != build_id:
        raise ClusterError(f"{node.name}: /version.json is {served}, expected {build_id}")
