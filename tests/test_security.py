"""Content can never execute: nh3 allowlist, escaped metadata, the output policy, security.txt."""

import json
from datetime import UTC, datetime, timedelta

import pytest
import sectxt
from bs4 import BeautifulSoup
from conftest import ROOT

from portal.policy import check_html, check_output
from portal.sanitize import sanitize_html
from portal.securitytxt import SecurityTxt, SecurityTxtError

ORIGIN = "https://thanhtra.gov.vn"
HOST = "thanhtra.gov.vn"


@pytest.mark.parametrize(
    ("dirty", "gone"),
    [
        ("<p>a<script>alert(1)</script></p>", "script"),
        ('<img src="x" onerror="alert(1)">', "onerror"),
        ('<a href="javascript:alert(1)">x</a>', "javascript:"),
        ('<a href="data:text/html,x">x</a>', "data:"),
        ('<div style="color:red">x</div>', "style"),
        ('<iframe src="/x"></iframe>', "iframe"),
        ('<object data="x"></object><embed src="x">', "object"),
        ('<form action="/x"><input></form>', "form"),
        ('<img src="https://evil.example/p.png">', "evil.example"),
        ('<img src="http://evil.example/p.png">', "evil.example"),
        ("<style>body{}</style>", "style"),
    ],
    ids=[
        "script",
        "handler",
        "javascript-url",
        "data-url",
        "style-attr",
        "iframe",
        "object-embed",
        "form",
        "third-party-image",
        "http-image",
        "style-element",
    ],
)
def test_sanitize_drops_what_can_execute_or_load(dirty, gone):
    assert gone not in sanitize_html(dirty, HOST)


def test_sanitize_keeps_what_the_portal_needs():
    html = (
        '<h2 id="muc-1">M</h2><p><sup id="fnref:1"><a class="footnote-ref" href="#fn:1">1</a></sup></p>'
        '<figure><img src="/images/a.png" alt="a"><figcaption>c</figcaption></figure>'
        "<table><thead><tr><th>a</th></tr></thead><tbody><tr><td>1</td></tr></tbody></table>"
        '<pre><code class="language-python">x = 1</code></pre>'
        '<p><a href="mailto:a@b.vn">m</a> <a href="tel:+842438254997">t</a> <a href="/x/">r</a></p>'
    )
    assert sanitize_html(html, HOST) == html


def test_only_external_links_get_rel():
    html = sanitize_html(
        '<a href="https://example.org/">e</a><a href="https://thanhtra.gov.vn/x">s</a>', HOST
    )
    assert html == (
        '<a href="https://example.org/" rel="noopener noreferrer">e</a>'
        '<a href="https://thanhtra.gov.vn/x">s</a>'
    )


def test_policy_reports_every_kind_of_breach():
    html = (
        '<script>x</script><style></style><div style="a" onclick="b"></div>'
        '<a href="javascript:x">j</a><img src="http://a/b"><link rel="stylesheet" href="https://cdn.example/a.css">'
        '<script type="application/ld+json">{}</script><script src="/theme/js/a.js"></script>'
    )
    rules = [v.rule for v in check_html(html, "p.html", ORIGIN)]
    assert rules == [
        "inline-script",
        "forbidden-tag",
        "style-attribute",
        "event-handler",
        "bad-url-scheme",
        "http-subresource",
        "third-party-subresource",
    ]


def test_minimal_site_obeys_the_output_policy(build_site):
    build = build_site("minimal")
    assert build.returncode == 0, build.log
    assert check_output(build.output, ORIGIN) == []


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    from conftest import SITES, run_pelican

    # Not strict: portal_checks reports this raw HTML as errors; here we prove the output is safe anyway.
    build = run_pelican(
        SITES / "hostile", tmp_path_factory.mktemp("hostile"), "publishconf.py", "-e", "PORTAL_STRICT=false"
    )
    assert build.returncode == 0, build.log
    return build


def test_nothing_executable_survives_in_any_file_of_the_hostile_site(hostile):
    checked = [p for p in hostile.output.rglob("*") if p.suffix in (".html", ".xml", ".json")]
    assert len(checked) > 10
    assert [str(v) for v in check_output(hostile.output, ORIGIN)] == []


def _page(hostile, relative):
    return BeautifulSoup(hostile.read(relative), "html.parser")


def test_hostile_metadata_is_shown_as_text_not_dropped(hostile):
    page = _page(hostile, "tin-tuc-su-kien/bai-co-ma-doc/index.html")
    assert (
        page.h1.get_text() == "Tin <img src=x onerror=alert(1)> {{ 7*7 }} </script><script>alert(2)</script>"
    )
    text = page.get_text()
    for shown in [
        "Sapo <script>alert(5)</script>",
        '<a href="javascript:alert(7)">Báo</a>',
        '<iframe src="https://evil.example/"></iframe>',
        "<style>body{display:none}</style>",
        '"><svg onload=alert(4)>',
        "<b onmouseover=alert(3)>thẻ</b>",
    ]:
        assert shown in text
    assert page.find("meta", attrs={"name": "description"})["content"].startswith("Sapo <script>")
    assert page.title.get_text().startswith("Tin <img src=x")
    document = _page(hostile, "van-ban/van-ban-co-ma-doc/index.html")
    assert 'Thanh tra Chính phủ" onmouseover="alert(23)' in document.get_text()


def test_jinja_in_content_is_text_never_evaluated(hostile):
    page = _page(hostile, "tin-tuc-su-kien/bai-co-ma-doc/index.html")
    body = page.select_one(".portal-article__body").get_text()
    assert "{{ 7*7 }}" in body and "{% for x in range(3) %}lặp{% endfor %}" in body
    assert "49" not in page.h1.get_text() + body and "lặplặp" not in body
    assert "Nội dung trang {{ 7*7 }}." in _page(hostile, "trang-doc/index.html").get_text()


def test_hostile_body_keeps_its_text_and_safe_markup(hostile):
    body = _page(hostile, "tin-tuc-su-kien/bai-co-ma-doc/index.html").select_one(".portal-article__body")
    assert body.find("b").get_text() == "chữ đậm"
    assert body.find("h2", id="muc-co-id") is not None
    assert body.find("a", href="https://example.org/")["rel"] == ["noopener", "noreferrer"]
    assert "liên kết độc" in body.get_text()
    assert not body.find_all(["script", "iframe", "object", "embed", "form", "style", "svg", "math"])


def test_tojson_script_cannot_end_a_json_ld_block(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "plugins"))
    from portal_security.security import tojson_script

    text = str(tojson_script({"headline": "</script><script>alert(1)</script>", "x": "a&b'\u2028"}))
    assert "<" not in text and ">" not in text and "&" not in text and "'" not in text
    assert json.loads(text)["headline"] == "</script><script>alert(1)</script>"


def test_security_txt_is_valid_and_expires_within_a_year_of_the_build(build_site, monkeypatch):
    # sectxt checks Expires against today's date, so this build's epoch is today (midnight UTC).
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(today.timestamp())))
    build = build_site("minimal")
    text = build.read(".well-known/security.txt")
    parser = sectxt.Parser(text.encode(), urls=f"{ORIGIN}/.well-known/security.txt", is_local=False)
    assert parser.errors == [], parser.errors
    expires = datetime.strptime(parser.lines[1]["value"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert expires == today + timedelta(days=180)


def test_security_txt_refuses_a_lifetime_of_a_year_or_more():
    with pytest.raises(SecurityTxtError):
        SecurityTxt(("mailto:a@b.vn",), f"{ORIGIN}/.well-known/security.txt", lifetime_days=365).render(0)


def test_policy_reads_feeds_as_their_readers_do(tmp_path):
    from portal.policy import check_file

    rss = tmp_path / "all.rss.xml"
    rss.write_text(
        "<rss><channel><item><title>&lt;b&gt;</title>"
        "<description>&lt;script&gt;alert(1)&lt;/script&gt;</description></item></channel></rss>"
    )
    atom = tmp_path / "all.atom.xml"
    atom.write_text(
        '<feed xmlns="http://www.w3.org/2005/Atom"><entry>'
        '<summary type="text">&lt;script&gt;shown as text&lt;/script&gt;</summary>'
        '<content type="html">&lt;img src=x onerror=alert(1)&gt;</content></entry></feed>'
    )
    assert [v.rule for v in check_file(rss, "all.rss.xml", ORIGIN)] == ["inline-script"]
    assert [v.rule for v in check_file(atom, "all.atom.xml", ORIGIN)] == ["event-handler"]


def test_sanitize_cache_gives_what_the_sanitiser_gives_build_after_build(tmp_path):
    from portal.sanitize import SanitizeCache, sanitize_html

    bodies = [
        '<p>Thanh tra <a href="https://example.org/x">ngoài</a></p>',
        '<p onclick="alert(1)">Đảng ủy</p><script>alert(1)</script><a href="javascript:alert(1)">x</a>',
        "<p>Sạch sẵn.</p>",
    ]
    path = str(tmp_path / "sanitized.pickle")
    for _ in range(2):  # cold, then from the file
        cache = SanitizeCache()
        cache.open(path)
        assert [cache.clean(b, "thanhtra.gov.vn") for b in bodies] == [
            sanitize_html(b, "thanhtra.gov.vn") for b in bodies
        ]
        cache.save()
    assert len(cache.kept) == 3 and cache.kept.hits == 3 and not cache.kept.misses
    assert cache.clean(bodies[1], "other.example") == sanitize_html(bodies[1], "other.example")
    assert "<script" not in cache.clean(bodies[1] + "<script>x</script>", "thanhtra.gov.vn")


def test_a_rebuild_keeps_the_cleaned_bodies_of_the_articles_it_did_not_read_again(tmp_path):
    import sqlite3

    from conftest import SITES, run_pelican

    cache = tmp_path / "cache"
    settings = ("-e", f"CACHE_PATH={json.dumps(str(cache))}")

    def kept_bodies() -> set[bytes]:
        with sqlite3.connect(cache / "sanitized.sqlite") as db:
            return {key for (key,) in db.execute("SELECT key FROM kv")}

    built = run_pelican(SITES / "headless", tmp_path / "output", "publishconf.py", *settings)
    assert built.returncode == 0, built.log
    cold = kept_bodies()
    assert cold
    built = run_pelican(SITES / "headless", tmp_path / "output", "publishconf.py", *settings)
    assert built.returncode == 0, built.log
    assert kept_bodies() == cold  # the article cache gave every article back; none was forgotten
