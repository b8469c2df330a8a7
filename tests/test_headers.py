"""Security headers from one generated include, served by real nginx and scored by the Observatory."""

import http.client
import json
import os
import shutil
import subprocess

import pytest
from conftest import ROOT, SITES, require, run_pelican
from webnodes import NginxNode

import pelicanconf
from portal.nginx import Node, security_headers, site

HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
        "connect-src 'self'; worker-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'; object-src 'none'"
    ),
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Cross-Origin-Resource-Policy": "same-site",
    "Cross-Origin-Opener-Policy": "same-origin",
}
OBSERVATORY = ROOT / "tools" / "observatory" / "node_modules" / "@mdn" / "mdn-http-observatory"


def test_committed_nginx_files_are_the_generated_ones():
    include = security_headers(pelicanconf.PORTAL_SECURITY_CSP, pelicanconf.PORTAL_SECURITY_HEADERS)
    assert (ROOT / "deploy" / "nginx" / "security-headers.conf").read_text() == include, (
        "run `invoke nginx-config`"
    )
    assert (ROOT / "deploy" / "nginx" / "portal.conf").read_text() == site(Node(root="/srv/portal"))
    assert "add_header" not in site(Node(root="/srv/portal")), "a location add_header drops the include"


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    nginx = require("nginx")
    work = tmp_path_factory.mktemp("node")
    release = work / "srv" / "releases" / "a"
    build = run_pelican(SITES / "minimal", release)
    assert build.returncode == 0, build.log
    # A fingerprinted font of a known name; a feed stand-in only if the build has none.
    (release / "theme" / "fonts").mkdir(exist_ok=True)
    (release / "theme" / "fonts" / "noto.0123456789.woff2").write_bytes(b"wOF2" + bytes(60))
    (release / "feeds").mkdir(exist_ok=True)
    if not (release / "feeds" / "all.rss.xml").exists():
        (release / "feeds" / "all.rss.xml").write_text('<?xml version="1.0"?><rss version="2.0"></rss>')
    (work / "srv" / "assets").mkdir()
    os.symlink("releases/a", work / "srv" / "current")
    served = NginxNode(nginx, work / "srv", work / "nginx").start()
    yield served, build
    served.stop()


def fetch(node, path, method="GET", headers=None):
    connection = http.client.HTTPConnection("127.0.0.1", node.port, timeout=10)
    connection.request(method, path, headers=headers or {})
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response, body


def _css_path(build):
    return next(
        f
        for f in build.files()
        if f.startswith("theme/css/portal.") and f.endswith(".css") and f != "theme/css/portal.css"
    )


KINDS = {
    "home": ("/", "text/html; charset=utf-8", "no-cache"),
    "article": ("/thanh-tra/doan-thanh-tra-lam-viec-tai-dak-lak/", "text/html; charset=utf-8", "no-cache"),
    "css": (None, "text/css; charset=utf-8", "public, max-age=31536000, immutable"),
    "font": ("/theme/fonts/noto.0123456789.woff2", "font/woff2", "public, max-age=31536000, immutable"),
    "image": ("/theme/images/favicon.svg", "image/svg+xml; charset=utf-8", "no-cache"),
    "feed": ("/feeds/all.rss.xml", "text/xml; charset=utf-8", "no-cache"),
    "json": ("/version.json", "application/json; charset=utf-8", "no-store"),
    "security.txt": ("/.well-known/security.txt", "text/plain; charset=utf-8", "no-cache"),
    "healthz": ("/healthz", "text/plain; charset=utf-8", "no-store"),
    "404": ("/khong-co-trang-nay/", "text/html; charset=utf-8", "no-cache"),
}


@pytest.mark.system
@pytest.mark.parametrize("kind", list(KINDS))
def test_every_kind_of_file_gets_every_header_exactly_once(node, kind):
    served, build = node
    path, content_type, cache = KINDS[kind]
    response, _ = fetch(served, path or "/" + _css_path(build))
    assert response.status == (404 if kind == "404" else 200)
    names = [name.lower() for name, _ in response.getheaders()]
    for name, value in HEADERS.items():
        assert names.count(name.lower()) == 1, name
        assert response.getheader(name) == value
    assert response.getheader("Permissions-Policy").startswith("accelerometer=()")
    assert response.getheader("Content-Type") == content_type
    assert response.getheader("Cache-Control") == cache
    assert response.getheader("Server") == "nginx"
    assert "set-cookie" not in names


@pytest.mark.system
def test_custom_404_page_is_served(node):
    response, body = fetch(node[0], "/khong-co-trang-nay/")
    assert response.status == 404 and body == (node[1].output / "404.html").read_bytes()


@pytest.mark.system
@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "OPTIONS", "PATCH"])
def test_only_get_and_head(node, method):
    response, _ = fetch(node[0], "/", method)
    assert response.status == 405
    assert response.getheader("Content-Security-Policy") == HEADERS["Content-Security-Policy"]
    assert fetch(node[0], "/", "HEAD")[0].status == 200


@pytest.mark.system
@pytest.mark.parametrize(
    "path",
    [
        "/theme%2Fcss/portal.css",
        "/theme%5Ccss%5Cportal.css",
        "/theme/../theme/css/portal.css",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/theme/",
        "/theme/css/",
        "/.git/config",
    ],
    ids=[
        "encoded-slash",
        "encoded-backslash",
        "dot-dot",
        "encoded-dot-dot",
        "no-listing",
        "no-listing-2",
        "dotfile",
    ],
)
def test_tricky_paths_give_404(node, path):
    assert fetch(node[0], path)[0].status == 404


@pytest.mark.system
@pytest.mark.parametrize("encoding", ["gzip", "br"])
def test_precompressed_copies_are_served(node, encoding):
    if encoding == "br" and "brotli_static on" not in (node[0].work / "site.conf").read_text():
        pytest.skip("libnginx-mod-http-brotli-static is not installed")
    response, body = fetch(node[0], "/", headers={"Accept-Encoding": encoding})
    assert response.getheader("Content-Encoding") == encoding
    assert body == (node[1].output / f"index.html.{'gz' if encoding == 'gzip' else 'br'}").read_bytes()


def _observatory():
    node_binary = shutil.which("node")
    if not node_binary or not OBSERVATORY.is_dir():
        require("observatory (run make install)")
    preload = OBSERVATORY / "conf" / "hsts-preload.json"
    if not preload.exists():
        preload.write_text("{}")  # its install script downloads this list; offline, an empty one
    return node_binary


@pytest.mark.system
def test_mdn_observatory_gives_every_test_its_best_result_but_https(node):
    node_binary = _observatory()
    done = subprocess.run(
        [node_binary, str(OBSERVATORY / "bin" / "wrapper.js"), f"127.0.0.1:{node[0].port}"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    result = json.loads(done.stdout)
    tests = result["tests"]
    (ROOT / "tests" / "artifacts").mkdir(exist_ok=True)
    (ROOT / "tests" / "artifacts" / "observatory.json").write_text(json.dumps(result, indent=2))
    # No certificate on 127.0.0.1: the HTTPS redirect and HSTS cannot pass here.
    failing = {
        name: t["result"]
        for name, t in tests.items()
        if not t["pass"] and name not in ("redirection", "strict-transport-security")
    }
    assert failing == {}
    assert tests["content-security-policy"]["scoreModifier"] >= 0
    below_best = {
        name: t["scoreModifier"]
        for name, t in tests.items()
        if t["scoreModifier"] < 0 and name not in ("redirection", "strict-transport-security")
    }
    assert below_best == {}


@pytest.mark.system
def test_pages_work_under_the_production_csp_without_a_violation(node, browser):
    served, _ = node
    site_url = pelicanconf_publish_siteurl()
    pages = [
        "/",
        "/thanh-tra/doan-thanh-tra-lam-viec-tai-dak-lak/",
        "/thanh-tra/",
        "/chu-de/",
        "/van-ban/quyet-dinh-12-qd-ttcp/",
        "/gioi-thieu/",
        "/khong-co-trang-nay/",
    ]
    context = browser.new_context()
    foreign = []

    def through_nginx(route):
        # The published pages name https://thanhtra.gov.vn: answer for it from the local node,
        # with nginx's real headers, so the origin (and so CSP 'self') is the production one.
        url = route.request.url
        if not url.startswith(site_url + "/"):
            foreign.append(url)
            route.abort()
            return
        route.fulfill(response=route.fetch(url=served.url + url[len(site_url) :]))

    context.route("**/*", through_nginx)
    page = context.new_page()
    messages, failed = [], []
    page.on("console", lambda message: messages.append(message.text))
    page.on("requestfailed", lambda request: failed.append((request.url, request.failure)))
    for path in pages:
        response = page.goto(site_url + path, wait_until="networkidle")
        assert response.headers["content-security-policy"] == HEADERS["Content-Security-Policy"]
        # The fingerprinted, SRI-checked stylesheet was allowed and applied.
        assert page.evaluate("[...document.styleSheets].map(s => s.cssRules.length)")[0] > 10
    context.close()
    assert [m for m in messages if "Content Security Policy" in m or "integrity" in m] == []
    assert failed == [] and foreign == []


def pelicanconf_publish_siteurl():
    import publishconf

    return publishconf.SITEURL
