"""Real nginx web nodes and a real HAProxy on 127.0.0.1 ports, for the system tests."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

from conftest import ROOT

from portal.nginx import BROTLI_MODULE, Node, main_config, site

HEADERS_INCLUDE = ROOT / "deploy" / "nginx" / "security-headers.conf"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, log: Path) -> None:
    """Wait until something accepts on ``port``; fail with the log if the process died."""
    for _ in range(200):
        if process.poll() is not None:
            raise RuntimeError(f"exited {process.returncode}: {log.read_text() if log.exists() else ''}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


class NginxNode:
    """One nginx master in the foreground serving ``root/current`` with the committed include."""

    def __init__(self, nginx: str, root: Path, work: Path) -> None:
        self.nginx, self.root, self.work = nginx, root, work
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> NginxNode:
        include = self.work / "include"
        include.mkdir(parents=True, exist_ok=True)
        shutil.copy(HEADERS_INCLUDE, include / "security-headers.conf")
        node = Node(
            root=str(self.root),
            port=self.port,
            ipv6=False,
            include_dir=str(include),
            brotli=BROTLI_MODULE.exists(),
        )
        (self.work / "site.conf").write_text(
            site(node).replace(f"listen {self.port};", f"listen 127.0.0.1:{self.port};")
        )
        (self.work / "nginx.conf").write_text(
            main_config(self.work / "site.conf", self.work, run_as_root=os.geteuid() == 0)
        )
        self.process = subprocess.Popen(
            [self.nginx, "-p", str(self.work), "-c", str(self.work / "nginx.conf"), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port, self.process, self.work / "error.log")
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


class HAProxy:
    """One HAProxy in the foreground in front of ``servers`` (name, port), with an admin socket."""

    def __init__(self, haproxy: str, work: Path, servers: list[tuple[str, int]]) -> None:
        from portal.haproxy import Listener, config

        self.haproxy, self.work = haproxy, work
        self.port = free_port()
        self.socket = str(work / "admin.sock")
        listener = Listener(
            bind=(f"127.0.0.1:{self.port}",), admin_socket=self.socket, state_file=str(work / "server-state")
        )
        work.mkdir(parents=True, exist_ok=True)
        (work / "haproxy.cfg").write_text(
            config(listener, [(name, f"127.0.0.1:{port}") for name, port in servers], foreground=True)
        )
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> HAProxy:
        log = self.work / "haproxy.log"
        with log.open("w") as handle:
            self.process = subprocess.Popen(
                [self.haproxy, "-f", str(self.work / "haproxy.cfg"), "-db"], stdout=handle, stderr=handle
            )
        wait_for_port(self.port, self.process, log)
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


class SSHServer:
    """Debian's sshd in the foreground on a 127.0.0.1 port, letting in one generated key."""

    def __init__(self, sshd: str, work: Path) -> None:
        self.sshd, self.work = sshd, work
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        work.mkdir(parents=True, exist_ok=True)
        for name in ("host_key", "client_key"):
            subprocess.run(
                ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(work / name)], check=True
            )
        shutil.copy(work / "client_key.pub", work / "authorized_keys")
        (work / "sshd_config").write_text(
            f"Port {self.port}\nListenAddress 127.0.0.1\nHostKey {work / 'host_key'}\n"
            f"AuthorizedKeysFile {work / 'authorized_keys'}\nPidFile {work / 'sshd.pid'}\n"
            "PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\n"
            "PermitRootLogin prohibit-password\nSubsystem sftp internal-sftp\n"
        )

    @property
    def command(self) -> str:
        """The ``ssh`` command a node of the cluster file uses to reach this server."""
        return (
            f"ssh -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null "
            f"-o LogLevel=ERROR -p {self.port} -i {self.work / 'client_key'}"
        )

    def start(self) -> SSHServer:
        Path("/run/sshd").mkdir(exist_ok=True)  # sshd's privilege separation folder
        log = self.work / "sshd.log"
        with log.open("w") as handle:
            self.process = subprocess.Popen(
                [self.sshd, "-D", "-e", "-f", str(self.work / "sshd_config")],
                stdout=handle,
                stderr=subprocess.STDOUT,
            )
        wait_for_port(self.port, self.process, log)
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
