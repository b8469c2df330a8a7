"""Redirects from the old portal (portal_redirects): the nginx map, its checks, and a real nginx."""

import http.client
import os
import socket
import subprocess
import time

import pytest
from conftest import ROOT, SITES, require, run_pelican
from headless_support import publish_once
from webnodes import free_port

from portal.redirects import Legacy, nginx_map, normalise, resolve

DEPLOY = ROOT / "deploy" / "nginx"
OLD = "/web/guest/xem-chi-tiet-tin-tuc/-/asset_publisher//Content"


@pytest.fixture(scope="module")
def headless(tmp_path_factory):
    return publish_once(tmp_path_factory)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (f"{OLD}/bai-viet?123", f"{OLD}/bai-viet?123"),
        (f"https://thanhtra.gov.vn{OLD}/bai?1&a=b#phan-2", f"{OLD}/bai?1&a=b"),
        ("/tin-tức/đất-đai?id=1", "/tin-t%E1%BB%A9c/%C4%91%E1%BA%A5t-%C4%91ai?id=1"),
        ('/a"; return 200 "x', None),
        ("/a b", None),
        ("/a}", None),
        ("/a$host", None),
        ("javascript:alert(1)", None),
        ("//evil.example/x", None),
        ("tin-cu?1", None),
    ],
    ids=[
        "liferay",
        "full-url-fragment",
        "non-ascii",
        "quote-injection",
        "space",
        "brace",
        "variable",
        "javascript",
        "protocol-relative",
        "relative",
    ],
)
def test_normalise_keeps_what_browsers_send_and_refuses_what_breaks_nginx(value, expected):
    assert normalise(value) == expected


def test_duplicates_keep_the_first_and_name_both_files():
    items = [Legacy("a.md", 5, "/cu?1", "/moi-a/"), Legacy("b.md", 7, "/cu?1", "/moi-b/")]
    mapping, found = resolve(items)
    assert mapping == {"/cu?1": "/moi-a/"}
    assert [(f.path, f.line, f.rule) for f in found] == [("b.md", 7, "legacy-url")]
    assert "a.md:5" in found[0].message
    assert nginx_map(mapping).splitlines()[1] == '"/cu?1" "/moi-a/";'


@pytest.mark.parametrize(
    ("case", "fragment"),
    [
        ("legacy_url_duplicate", "bai-thu-hai.md:6: error: [legacy-url]"),
        ("legacy_url_unsafe", "article_with_unsafe_legacy_url.md:6: error: [legacy-url]"),
    ],
    ids=["duplicate", "unsafe"],
)
def test_strict_publish_stops_on_a_bad_legacy_url(tmp_path, case, fragment):
    build = run_pelican(SITES / "invalid" / case, tmp_path / "out")
    assert build.returncode != 0
    assert fragment in build.log and "Legacy_url" in build.log
    assert not (tmp_path / "out" / "_nginx").exists()


def test_map_lists_published_articles_only(headless):
    text = (headless.output / "_nginx/redirects.map").read_text(encoding="utf-8")
    assert f'"{OLD}/hoi-nghi-chuyen-doi-so?12345" "/tin-tuc-su-kien/hoi-nghi-chuyen-doi-so/";' in text
    assert len(text.splitlines()) == 3  # a comment and the two published articles' old URLs


def _nginx_config(folder, output, port) -> str:
    http_part = (
        (DEPLOY / "redirects-http.conf")
        .read_text(encoding="utf-8")
        .replace("/srv/cong-ttcp/current", str(output))
    )
    server_part = (DEPLOY / "redirects-server.conf").read_text(encoding="utf-8")
    temp = " ".join(
        f"{kind}_temp_path {folder}/{kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    user = "user root;" if os.geteuid() == 0 else ""
    return (
        f"{user}\ndaemon off;\npid {folder}/nginx.pid;\nerror_log stderr;\nevents {{ worker_connections 64; }}\n"
        f"http {{\naccess_log off;\n{temp}\n{http_part}\n"
        f"server {{\nlisten 127.0.0.1:{port};\nroot {output};\n{server_part}\n}}\n}}\n"
    )


@pytest.fixture
def nginx(headless, tmp_path):
    binary = require("nginx")
    port = free_port()
    config = tmp_path / "nginx.conf"
    config.write_text(_nginx_config(tmp_path, headless.output, port), encoding="utf-8")
    test = subprocess.run(
        [binary, "-t", "-p", str(tmp_path), "-c", str(config)], capture_output=True, text=True, check=False
    )
    assert test.returncode == 0, test.stderr
    process = subprocess.Popen([binary, "-p", str(tmp_path), "-c", str(config)], stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            break
        except OSError:
            time.sleep(0.05)
    yield port
    process.terminate()
    process.wait(timeout=10)


def _get(port, target):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    connection.request("GET", target)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response.status, response.getheader("Location")


@pytest.mark.system
def test_real_nginx_redirects_old_urls_with_301(nginx):
    status, location = _get(nginx, f"{OLD}/hoi-nghi-chuyen-doi-so?12345")
    assert status == 301 and location.endswith("/tin-tuc-su-kien/hoi-nghi-chuyen-doi-so/")
    encoded = f"{OLD}/k%E1%BA%BFt-qu%E1%BA%A3-thanh-tra?56789&redirect=%2Fweb%2Fguest"
    status, location = _get(nginx, encoded)
    assert status == 301 and location.endswith("/thanh-tra/ket-qua-thanh-tra-dat-dai/")
    assert _get(nginx, f"{OLD}/hoi-nghi-chuyen-doi-so?99999")[0] == 404  # another old article: no guess
    assert _get(nginx, "/web/guest/HIDDENMARKER?1")[0] == 404  # hidden articles are not redirected
    assert _get(nginx, "/_nginx/redirects.map")[0] == 404  # the map itself is never served
    assert _get(nginx, "/tin-tuc-su-kien/hoi-nghi-chuyen-doi-so/")[0] == 200
