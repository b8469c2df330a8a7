"""The cluster file, the generated HAProxy configuration, and releases on local node folders."""

import json
from pathlib import Path

import pytest
from conftest import ROOT

from portal.cluster import ClusterError, NodeSpec, deployed, load_cluster, prune, read_link, switch, upload
from portal.haproxy import Listener, config


def test_committed_haproxy_config_is_generated_from_the_cluster_file():
    cluster = load_cluster(ROOT / "deploy" / "nodes.toml")
    servers = [(n.name, n.url.removeprefix("http://") + ":80") for n in cluster.nodes]
    assert (ROOT / "deploy" / "haproxy" / "haproxy.cfg").read_text() == config(Listener(), servers), (
        "run `invoke haproxy-config`"
    )


def test_haproxy_config_retries_on_another_node_and_sets_no_header():
    text = config(Listener(), [("web1", "10.0.0.1:80")])
    assert "option redispatch" in text and "retry-on conn-failure empty-response" in text
    assert "uri /healthz" in text and "server-state-file" in text and "level admin" in text
    assert (
        "add-header" not in text
        and "set-header" not in text
        and "cookie" not in text.replace("No cookie", "").replace("Set-Cookie", "")
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("keep = 3\n", r"no \[\[node\]\]"),
        (
            '[[node]]\nname = "a"\npath = "/x"\nurl = "http://a"\n[[node]]\nname = "a"\npath = "/y"\nurl = "http://b"\n',
            "share a name",
        ),
        ('[[node]]\nname = "a"\npath = "/x"\n', "url"),
        ("[[node]\n", "nodes.toml"),
    ],
    ids=["no-node", "duplicate-name", "missing-url", "bad-toml"],
)
def test_a_bad_cluster_file_is_an_error_naming_it(tmp_path, text, message):
    path = tmp_path / "nodes.toml"
    path.write_text(text)
    with pytest.raises(ClusterError, match=message) as caught:
        load_cluster(path)
    assert str(path) in str(caught.value)


def _release(folder, build_id):
    (folder / "theme" / "css").mkdir(parents=True)
    (folder / "theme" / "css" / f"portal.{build_id[-10:]}.css").write_text(build_id)
    (folder / "index.html").write_text(build_id)
    (folder / "manifest.json").write_text(json.dumps({"build_id": build_id, "files": []}))
    return folder


def test_switch_is_a_symlink_swap_and_prune_keeps_current_previous_and_the_last_n(tmp_path):
    node = NodeSpec("web1", str(tmp_path / "node"), "http://127.0.0.1:1")
    ids = [f"2026010{n}T000000Z-00000000000{n}" for n in range(1, 6)]
    for build_id in ids:
        upload(node, _release(tmp_path / build_id, build_id), build_id)
    assert deployed(node) == ids
    assert switch(node, ids[0]) == "" and switch(node, ids[1]) == ids[0]
    assert (read_link(node, "current"), read_link(node, "previous")) == (ids[1], ids[0])
    assert (tmp_path / "node" / "current" / "index.html").read_text() == ids[1]
    assert prune(node, 2) == [ids[2]]
    left = sorted(p.name for p in (tmp_path / "node" / "releases").iterdir())
    assert left == [ids[0], ids[1], ids[3], ids[4]]
    # Every uploaded release's fingerprinted assets stay, for pages of any of them.
    assets = sorted(p.name for p in (tmp_path / "node" / "assets" / "theme" / "css").iterdir())
    assert assets == sorted(f"portal.{b[-10:]}.css" for b in ids)
    with pytest.raises(ClusterError, match="no release"):
        switch(node, "20990101T000000Z-missing")


def test_publish_workflow_runs_only_tasks_that_exist():
    import re

    import tasks

    workflow = (ROOT / ".github" / "workflows" / "publish.yml").read_text()
    used = set(re.findall(r"invoke ([a-z-]+)", workflow))
    assert used == {"release", "deploy", "verify", "gh-pages"}
    assert used <= set(tasks.ns.task_names)
    assert "make install" in workflow and ".ci/run" in workflow and 'cron: "7 * * * *"' in workflow
    # The build caches go from one publish to the next: restored before the release, saved after.
    import pelicanconf

    cache = f"path: {Path(pelicanconf.CACHE_PATH).relative_to(ROOT)}\n"
    assert workflow.count(cache) == 2
    assert workflow.index("actions/cache/restore@") < workflow.index("invoke release")
    assert workflow.index("invoke release") < workflow.index("actions/cache/save@")
