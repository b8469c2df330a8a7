"""Rolling deploys behind a real HAProxy and three real nginx nodes, under load: zero failures."""

import json
import shutil
import subprocess
import sys
import threading
import time

import pytest
from conftest import ROOT, SITES, build_env, require, run_pelican
from loadgen import run_load
from webnodes import HAProxy, NginxNode, SSHServer

from portal.cluster import load_cluster, read_link
from portal.deploy import verify
from portal.release import NOT_SERVED

NEW_ARTICLE = """Title: Bài mới chỉ có ở bản B
Date: 2025-12-01 08:00
Category: thanh-tra
Authors: Thanh Danh
Summary: Bài chỉ có ở bản phát hành B.

Nội dung bài mới.
"""


def invoke(*args, check=True):
    done = subprocess.run(
        [sys.executable, "-m", "invoke", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=build_env(),
        check=False,
    )
    if check:
        assert done.returncode == 0, done.stdout + done.stderr
    return done


@pytest.fixture(scope="module")
def releases(tmp_path_factory):
    """Release A (the minimal site) and B (one more article, a changed stylesheet)."""
    work = tmp_path_factory.mktemp("releases")
    a = run_pelican(SITES / "minimal", work / "a")
    site = work / "site-b"
    shutil.copytree(SITES / "minimal", site)
    (site / "articles" / "thanh-tra" / "2024" / "bai-moi.md").write_text(NEW_ARTICLE, encoding="utf-8")
    theme = work / "theme-b"
    shutil.copytree(ROOT / "theme", theme)
    with (theme / "static" / "css" / "portal.css").open("a") as css:
        css.write("\n.portal-release-b { display: block; }\n")
    b = run_pelican(site, work / "b", "publishconf.py", "-e", f'THEME="{theme}"')
    assert a.returncode == 0 and b.returncode == 0, a.log + b.log
    ids = [json.loads((r.output / "version.json").read_text())["build_id"] for r in (a, b)]
    assert ids[0] != ids[1]
    return {"a": a.output, "b": b.output, "ids": ids}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """Three nginx nodes (local folders) behind one HAProxy, and the cluster file naming them."""
    nginx, haproxy = require("nginx"), require("haproxy")
    work = tmp_path_factory.mktemp("cluster")
    nodes = []
    for number in (1, 2, 3):
        root = work / f"web{number}"
        (root / "releases").mkdir(parents=True)
        (root / "assets").mkdir()
        nodes.append(NginxNode(nginx, root, work / f"nginx{number}").start())
    balancer = HAProxy(
        haproxy, work / "haproxy", [(f"web{n}", node.port) for n, node in zip((1, 2, 3), nodes, strict=True)]
    ).start()
    spec = work / "nodes.toml"
    spec.write_text(
        "keep = 3\ndrain_timeout = 10\ncheck_timeout = 5\n"
        f'[[balancer]]\nsocket = "{balancer.socket}"\nbackend = "portal"\n'
        + "".join(
            f'[[node]]\nname = "web{n}"\npath = "{node.root}"\nurl = "{node.url}"\n'
            for n, node in zip((1, 2, 3), nodes, strict=True)
        )
    )
    yield {"nodes": nodes, "balancer": balancer, "spec": spec}
    balancer.stop()
    for node in nodes:
        node.stop()


def _pages(releases):
    """Pages, feeds and JSON present in both releases (what readers may ask for any time)."""

    def paths(folder):
        return {p["path"] for p in json.loads((folder / "manifest.json").read_text())["files"]}

    common = paths(releases["a"]) & paths(releases["b"])
    pages = sorted("/" + p.removesuffix("index.html") for p in common if p.endswith(".html"))
    return pages + sorted("/" + p for p in common if p.endswith((".xml", ".json", ".txt")))


def _under_load(cluster, releases, seconds, action):
    """Run ``action`` while 30 clients hammer HAProxy for ``seconds``; return the tally."""
    result = {}
    load = threading.Thread(
        target=lambda: result.setdefault(
            "tally", run_load(cluster["balancer"].port, _pages(releases), seconds)
        )
    )
    load.start()
    time.sleep(1)
    outcome = action()
    load.join()
    return result["tally"], outcome


def _wait_until_all_up(cluster):
    from portal.cluster import Balancer, haproxy_command

    balancer = Balancer(cluster["balancer"].socket)
    for _ in range(100):
        stat = haproxy_command(balancer, "show stat")
        if all(f"portal,web{n}," in stat for n in (1, 2, 3)) and stat.count(",UP,") >= 3:
            return
        time.sleep(0.1)
    pytest.fail(stat)


@pytest.mark.system
def test_rolling_deploy_and_rollback_under_load_fail_no_request(cluster, releases, record_property):
    a, b = releases["ids"]
    invoke("deploy", "--nodes", str(cluster["spec"]), "--release", str(releases["a"]))
    _wait_until_all_up(cluster)

    def deploy_then_roll_back():
        deployed = invoke("deploy", "--nodes", str(cluster["spec"]), "--release", str(releases["b"]))
        states = [read_link(node, "current") for node in load_cluster(cluster["spec"]).nodes]
        rolled = invoke("rollback", "--nodes", str(cluster["spec"]))
        return deployed.stdout, states, rolled.stdout

    tally, (deploy_log, states_after_b, rollback_log) = _under_load(
        cluster, releases, 20, deploy_then_roll_back
    )
    record_property("load_requests", tally.requests)
    record_property("load_failures", len(tally.failures))
    (ROOT / "tests" / "artifacts").mkdir(exist_ok=True)
    (ROOT / "tests" / "artifacts" / "deploy-load.json").write_text(
        json.dumps({"requests": tally.requests, "failures": tally.failures[:50]}, indent=1)
    )
    print(f"load: {tally.requests} requests, {len(tally.failures)} failed")
    assert tally.failures == [] and tally.requests > 1000
    assert states_after_b == [b, b, b]
    assert "web1: đã rút khỏi cân bằng tải" in deploy_log and f"mọi máy phục vụ {b}" in deploy_log
    assert f"mọi máy quay về {a}" in rollback_log
    nodes = load_cluster(cluster["spec"]).nodes
    assert [read_link(node, "current") for node in nodes] == [a, a, a]


@pytest.mark.system
def test_every_node_serves_identical_etags_and_last_modified(cluster, releases):
    import http.client

    manifest = json.loads((releases["a"] / "manifest.json").read_text())
    seen = {}
    for node in cluster["nodes"]:
        connection = http.client.HTTPConnection("127.0.0.1", node.port, timeout=10)
        for entry in manifest["files"]:
            if entry["path"].startswith(NOT_SERVED):
                continue
            connection.request("HEAD", "/" + entry["path"])
            response = connection.getresponse()
            response.read()
            assert response.status == 200, entry["path"]
            seen.setdefault(entry["path"], set()).add(
                (response.getheader("ETag"), response.getheader("Last-Modified"))
            )
        connection.close()
    assert {path: tags for path, tags in seen.items() if len(tags) != 1} == {}


@pytest.mark.system
def test_old_assets_stay_reachable_after_the_switch(cluster, releases):
    import re
    import urllib.request

    html_b = (releases["b"] / "index.html").read_text()
    css_b = re.search(
        r'href="https://thanhtra\.gov\.vn(/theme/css/portal\.[0-9a-f]{10}\.css)"', html_b
    ).group(1)
    # Every node serves A now, yet B's stylesheet (uploaded earlier) is still served.
    for node in cluster["nodes"]:
        with urllib.request.urlopen(node.url + css_b) as response:  # noqa: S310 (local node)
            assert response.status == 200


@pytest.mark.system
def test_verify_finds_a_file_changed_on_one_node(cluster, releases):
    spec = str(cluster["spec"])
    assert invoke("verify", "--nodes", spec, "--release", str(releases["a"])).returncode == 0
    page = cluster["nodes"][1].root / "current" / "gioi-thieu" / "index.html"
    original = page.read_bytes()
    page.write_bytes(original.replace(b"</main>", b"<p>Defaced</p></main>"))
    (cluster["nodes"][2].root / "current" / "extra.html").write_text("x")
    try:
        done = invoke("verify", "--nodes", spec, "--release", str(releases["a"]), check=False)
    finally:
        page.write_bytes(original)
        (cluster["nodes"][2].root / "current" / "extra.html").unlink()
    assert done.returncode == 1
    assert [line for line in done.stdout.splitlines() if " (" in line] == [
        "web2 (disk): differs: gioi-thieu/index.html",
        "web2 (http): differs: gioi-thieu/index.html",
        "web3 (disk): extra: extra.html",
    ]
    assert (
        verify(
            load_cluster(cluster["spec"]),
            json.loads((releases["a"] / "manifest.json").read_text()),
            say=lambda _: None,
        )
        == []
    )


@pytest.mark.system
def test_a_down_node_stops_the_deploy_and_the_cluster_keeps_serving(cluster, releases):
    a, _ = releases["ids"]
    down = cluster["nodes"][1]
    down.stop()
    try:

        def deploy_b():
            return invoke(
                "deploy", "--nodes", str(cluster["spec"]), "--release", str(releases["b"]), check=False
            )

        tally, done = _under_load(cluster, releases, 6, deploy_b)
    finally:
        down.start()
    print(f"load with a node down: {tally.requests} requests, {len(tally.failures)} failed")
    (ROOT / "tests" / "artifacts" / "deploy-node-down-load.json").write_text(
        json.dumps({"requests": tally.requests, "failures": tally.failures[:50]}, indent=1)
    )
    assert done.returncode == 1 and "web2" in done.stderr
    assert tally.failures == [] and tally.requests > 100
    nodes = load_cluster(cluster["spec"]).nodes
    assert [read_link(node, "current") for node in nodes] == [a, a, a]
    _wait_until_all_up(cluster)


@pytest.mark.system
def test_a_node_failing_its_check_puts_every_switched_node_back(cluster, releases, tmp_path):
    a, b = releases["ids"]
    # web2's URL leads to web3, which still serves A: web2's check after its switch must fail.
    spec = cluster["spec"].read_text().replace(cluster["nodes"][1].url, cluster["nodes"][2].url, 1)
    broken = tmp_path / "nodes.toml"
    broken.write_text(spec)
    done = invoke("deploy", "--nodes", str(broken), "--release", str(releases["b"]), check=False)
    assert done.returncode == 1 and f"expected {b}" in done.stderr
    assert "web3: chuyển sang" not in done.stdout
    assert [read_link(node, "current") for node in load_cluster(cluster["spec"]).nodes] == [a, a, a]


def test_gh_pages_branch_holds_exactly_the_output(tmp_path, releases):
    remote = tmp_path / "mirror.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    for folder in (releases["b"], releases["a"]):  # twice: the second push keeps the history
        invoke("gh-pages", "--output", str(folder), "--remote", str(remote))
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "-b", "gh-pages", str(remote), str(clone)], check=True)
    files = sorted(
        p.relative_to(clone).as_posix()
        for p in clone.rglob("*")
        if p.is_file() and ".git" not in p.relative_to(clone).parts
    )
    output = sorted(p.relative_to(releases["a"]).as_posix() for p in releases["a"].rglob("*") if p.is_file())
    assert files == sorted([*output, ".nojekyll"])
    assert all((clone / f).read_bytes() == (releases["a"] / f).read_bytes() for f in output)
    log = subprocess.run(
        ["git", "-C", str(clone), "log", "--format=%s"], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert len(log) == 2 and log[0].startswith("Xuất bản ")


@pytest.mark.system
def test_deploy_rollback_and_verify_on_a_node_reached_over_ssh(releases, tmp_path):
    import getpass
    import os

    if os.geteuid() != 0:
        pytest.skip("sshd on a test port needs root here (as in CI)")
    sshd = SSHServer(require("sshd"), tmp_path / "ssh").start()
    require("rsync")
    root = tmp_path / "remote"
    web = NginxNode(require("nginx"), root, tmp_path / "nginx").start()
    try:
        spec = tmp_path / "nodes.toml"
        spec.write_text(
            f'keep = 1\n[[node]]\nname = "web9"\nhost = "{getpass.getuser()}@127.0.0.1"\n'
            f'path = "{root}"\nurl = "{web.url}"\nssh = "{sshd.command}"\n'
        )
        a, b = releases["ids"]
        for folder in ("a", "b"):
            invoke("deploy", "--nodes", str(spec), "--release", str(releases[folder]))
        node = load_cluster(spec).nodes[0]
        assert (read_link(node, "current"), read_link(node, "previous")) == (b, a)
        assert invoke("verify", "--nodes", str(spec), "--release", str(releases["b"])).returncode == 0
        # rsync kept the build's mtimes: same Last-Modified as on a local node.
        page = root / "current" / "index.html"
        assert page.stat().st_mtime == (releases["b"] / "index.html").stat().st_mtime
        invoke("rollback", "--nodes", str(spec))
        assert read_link(node, "current") == a
        page.write_text("defaced")  # on disk the remote is not walked: HTTP finds it
        done = invoke("verify", "--nodes", str(spec), "--release", str(releases["a"]), check=False)
        assert done.returncode == 1 and "web9 (http): differs: index.html" in done.stdout
        folder = root / "assets" / "theme" / "css"
        css = sorted(p.name for p in folder.iterdir() if p.name.startswith("portal.") and p.suffix == ".css")
        assert len(css) == 3  # portal.css, and A's and B's fingerprinted copies
    finally:
        web.stop()
        sshd.stop()
