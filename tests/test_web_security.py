"""Browser and cache safety (issue 18), through Flask's test client.

Only http(s) IRIs become links; every HTML response carries a Content-Security-Policy without
inline script, and every response `X-Content-Type-Options: nosniff`; the Host header never
reaches a publicly cacheable response. What a real browser does under the policy is tested in
tests/test_browser.py.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import pytest
from flask import Flask, render_template_string
from flask.testing import FlaskClient
from rdflib import Graph, URIRef
from rdflib.namespace import DCAT, VOID
from werkzeug.test import TestResponse

from cakg.build import build_dataset
from cakg.config import Settings
from cakg.engine import open_engine
from cakg.web import create_app
from cakg.web.linked_view import safe_href
from cakg.web.state import EXTENSION

from .conftest import TINY, copy_project

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
EVIL = ("javascript:alert(1)", "data:text/html,x", "javascript:alert(2)", "javascript:alert(3)")
# Facts a hostile (or careless) source could state: links to IRIs no browser should follow.
HOSTILE_FACTS = """
<https://w3id.org/cakg/id/state/kazakhstan> rdfs:seeAlso <javascript:alert(1)> ,
    <data:text/html,x> .
<javascript:alert(2)> rdfs:label "Evil thing"@en .
"""
HOSTILE_LICENSE = """
<https://w3id.org/cakg/ontology> <http://purl.org/dc/terms/license> <javascript:alert(3)> .
"""
PUBLIC_URL = "https://cakg.example/"
HOSTS = ("a.example", "b.example:8080")
VOLATILE = {"x-request-id", "date"}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings on a built copy of the tiny project whose data links to javascript: IRIs."""
    root = copy_project(TINY, tmp_path_factory.mktemp("hostile") / "tiny")
    source = root / "graph" / "sources" / "doc-1.ttl"
    source.write_text(source.read_text(encoding="utf-8") + HOSTILE_FACTS, encoding="utf-8")
    (ontology,) = (root / "ontology").glob("*.ttl")
    ontology.write_text(ontology.read_text(encoding="utf-8") + HOSTILE_LICENSE, encoding="utf-8")
    settings = Settings(root=root)
    build_dataset(settings)
    return settings


def make_app(settings: Settings) -> Iterator[Flask]:
    engine = open_engine(settings)  # in-process: no worker pool
    yield create_app(settings, {"TESTING": True, "CAKG_ENGINE": engine})
    engine.close()


@pytest.fixture(scope="module")
def hostile_app(hostile: Settings) -> Iterator[Flask]:
    yield from make_app(hostile)


@pytest.fixture(scope="module")
def public_app(hostile: Settings) -> Iterator[Flask]:
    yield from make_app(hostile.replace(public_url=PUBLIC_URL))


@pytest.fixture
def hostile_client(hostile_app: Flask) -> FlaskClient:
    return hostile_app.test_client()


class Page(HTMLParser):
    """What a page links to, runs and styles."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []
        self.scripts: list[dict[str, str | None]] = []
        self.handlers: list[tuple[str, str]] = []
        self.style_attributes: list[str] = []
        self.styles: list[str] = []
        self._in_style = False
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "a" and a.get("href") is not None:
            self.hrefs.append(str(a["href"]))
        if tag == "script":
            self.scripts.append(a)
        self.handlers += [(tag, name) for name, _ in attrs if name.lower().startswith("on")]
        if "style" in a:
            self.style_attributes.append(tag)
        if tag == "style":
            self._in_style = True
            self.styles.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.styles[-1] += data


def get(client: FlaskClient, url: str, accept: str = BROWSER, **kwargs: Any) -> TestResponse:
    return client.get(url, headers={"Accept": accept}, buffered=True, **kwargs)


def policy(response: TestResponse) -> dict[str, list[str]]:
    """The Content-Security-Policy header as {directive: [sources]}."""
    header = response.headers.get("Content-Security-Policy")
    assert header, f"no Content-Security-Policy on {response.request.path}"
    directives: dict[str, list[str]] = {}
    for part in header.split(";"):
        name, *sources = part.split()
        directives[name.lower()] = sources
    return directives


# ---------------------------------------------------------------- links


@pytest.mark.parametrize(
    ("url", "value"),
    [
        ("https://w3id.org/cakg/id/x", True),
        ("HTTP://example.org/", True),
        ("/page/state/kazakhstan", True),
        ("#Visit", True),
        ("?inference=false", True),
        ("//example.org/x", True),
        ("javascript:alert(1)", False),
        ("JavaScript:alert(1)", False),
        (" javascript:alert(1)", False),
        ("\x01javascript:alert(1)", False),
        ("java\tscript:alert(1)", False),
        ("\njavascript:alert(1)", False),
        ("data:text/html,<script>alert(1)</script>", False),
        ("vbscript:msgbox(1)", False),
        ("mailto:someone@example.org", False),
        ("urn:isbn:0451450523", False),
        ("ftp://example.org/", False),
        ("", False),
        (None, False),
    ],
)
def test_safe_href_lets_only_http_and_own_paths_through(url: str | None, value: bool) -> None:
    assert safe_href(url) == (url if value else None)


@pytest.mark.parametrize(
    "url",
    [
        "/page/state/kazakhstan",
        "/queries/labelled-things.html?contains=evil",
        "/.well-known/void",
        "/ontology",
    ],
)
def test_pages_link_only_to_http(hostile_client: FlaskClient, url: str) -> None:
    r = get(hostile_client, url)
    assert r.status_code == 200
    page = Page(r.text)
    assert page.hrefs
    assert [h for h in page.hrefs if safe_href(h) is None] == []
    shown = [iri for iri in EVIL if iri in r.text]
    assert shown  # the IRIs are still there, as text


def test_ui_terms_gives_no_link_to_a_javascript_iri(hostile_client: FlaskClient) -> None:
    r = hostile_client.post("/ui/terms", json={"iris": ["javascript:alert(2)"]})
    terms = r.get_json()["terms"]
    assert terms["javascript:alert(2)"]["label"] == "Evil thing"
    assert terms["javascript:alert(2)"]["href"] is None


# ---------------------------------------------------------------- headers

HTML_PAGES = [
    "/",
    "/sparql",
    "/sparql?qtext=ASK%20%7B%7D",
    "/queries",
    "/queries/labelled-things.html?contains=stan",
    "/queries/visits-hosted-by.html?state=id:state/kazakhstan",  # a timeline's specification
    "/api-docs",
    "/page/state/kazakhstan",
    "/page/city/astana",
    "/ontology",
    "/shapes",
    "/.well-known/void",
]
SERVICE_DESCRIPTION = ("/sparql", "text/turtle")
HTML_ERRORS = ["/page/state/nowhere"]
OTHER = [
    ("/sparql?query=ASK%20%7B%7D", "application/sparql-results+json"),  # the fast path
    ("/sparql?query=SELECT", "application/sparql-results+json"),  # a 400 through the fast path
    SERVICE_DESCRIPTION,
    ("/queries", "application/json"),
    ("/queries/labelled-things.csv", "text/csv"),
    ("/queries/labelled-things.rq", "*/*"),
    ("/openapi.json", "*/*"),
    ("/data/state/kazakhstan.ttl", "*/*"),
    ("/data/state/kazakhstan", "image/png"),  # 406
    ("/id/state/kazakhstan", "text/turtle"),  # 303
    ("/ontology.ttl", "*/*"),
    ("/.well-known/void", "text/turtle"),
    ("/dumps/cakg.ttl", "*/*"),
    ("/dumps/nothing.ttl", "*/*"),
    ("/no/such/page", "*/*"),
    ("/store?default", "text/turtle"),
    ("/static/ui.js", "*/*"),
    ("/static/linked.css", "*/*"),
]


@pytest.mark.parametrize("url", HTML_PAGES + HTML_ERRORS)
def test_every_html_response_has_a_strict_policy(hostile_client: FlaskClient, url: str) -> None:
    r = get(hostile_client, url)
    assert r.mimetype == "text/html"
    csp = policy(r)
    assert csp["script-src"] == ["'self'"]  # no inline script, no eval
    assert csp["object-src"] == ["'none'"] and csp["base-uri"] == ["'none'"]
    assert "'unsafe-inline'" not in csp["style-src"]
    assert csp["default-src"] == ["'self'"] and "frame-ancestors" in csp
    assert r.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("url", HTML_PAGES)
def test_pages_have_no_inline_script_handler_or_style(
    hostile_client: FlaskClient, url: str
) -> None:
    """What the policy would block is not on any page: an inline script (JSON-LD and the views'
    JSON specifications are data, not run), an on* attribute, a style attribute, or a <style>
    block whose hash it does not list."""
    r = get(hostile_client, url)
    page = Page(r.text)
    for script in page.scripts:
        data = script.get("type") in ("application/ld+json", "application/json")
        assert script.get("src") or data, script
    assert page.handlers == [] and page.style_attributes == []
    allowed = policy(r)["style-src"]
    for css in page.styles:
        digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in allowed


def test_a_views_data_cannot_close_its_script_block(hostile_app: Flask) -> None:
    """The views' specifications carry the graph's text inside <script type=application/json>:
    a label holding "</script>" must not end the block and start markup."""
    evil = "</script><script>alert(1)</script><!--"
    with hostile_app.test_request_context():
        html = render_template_string(
            '<script type="application/json" class="view-spec">{{ spec | tojson }}</script>',
            spec={"data": {"values": [{"label": evil}]}},
        )
    assert html.count("</script>") == 1 and "<script>alert" not in html and "<!--" not in html
    body = html.split(">", 1)[1].rsplit("</script>", 1)[0]
    assert json.loads(body)["data"]["values"][0]["label"] == evil


@pytest.mark.parametrize(("url", "accept"), [*[(u, BROWSER) for u in HTML_PAGES], *OTHER])
def test_every_response_says_nosniff(hostile_client: FlaskClient, url: str, accept: str) -> None:
    r = get(hostile_client, url, accept)
    assert r.headers.get("X-Content-Type-Options") == "nosniff", (r.status_code, r.headers)


def test_post_responses_say_nosniff(hostile_client: FlaskClient) -> None:
    for r in (
        hostile_client.post("/ui/terms", json={"iris": []}),
        hostile_client.post("/sparql", data={"query": "ASK {}"}),  # the fast path
        hostile_client.post("/sparql", data={"query": "ASK {"}),
    ):
        assert r.headers.get("X-Content-Type-Options") == "nosniff"


# ---------------------------------------------------------------- the Host header

HOST_CASES = [
    *[(u, BROWSER) for u in HTML_PAGES],
    *[(u, a) for u, a in OTHER if not u.startswith("/static") and (u, a) != SERVICE_DESCRIPTION],
    SERVICE_DESCRIPTION,
    ("/queries/labelled-things.json?contains=stan&per_page=1&page=2", "*/*"),  # Link header
    ("/.well-known/void", "application/ld+json"),
    ("/data/state/kazakhstan", "text/turtle"),  # Content-Location, Link
]


def _kept(r: TestResponse) -> dict[str, str]:
    return {k.lower(): v for k, v in r.headers.items() if k.lower() not in VOLATILE}


def _mentions(r: TestResponse, host: str) -> bool:
    return host in r.get_data(as_text=True) or any(host in v for v in r.headers.values())


@pytest.mark.parametrize(("url", "accept"), HOST_CASES)
def test_the_host_header_never_reaches_a_public_response(
    hostile_client: FlaskClient, url: str, accept: str
) -> None:
    """A response a shared cache may keep is the same whatever Host the request names; one that
    does name it is private and varies by Host."""
    first, second = (get(hostile_client, url, accept, base_url=f"http://{h}") for h in HOSTS)
    assert first.status_code == second.status_code
    for r, host in zip((first, second), HOSTS, strict=True):
        if r.cache_control.public:
            assert not _mentions(r, host)
        if _mentions(r, host):
            assert r.cache_control.private and not r.cache_control.public
            assert "host" in {v.lower() for v in r.vary}
    if first.cache_control.public or second.cache_control.public:
        assert first.get_data() == second.get_data()
        assert _kept(first) == _kept(second)


def test_void_without_public_url_uses_the_host_privately(hostile_client: FlaskClient) -> None:
    """VoID's URLs stay absolute (what its consumers dereference), so without a public URL the
    description is private to the host asked."""
    r = get(hostile_client, "/.well-known/void", "text/turtle", base_url="http://a.example")
    g = Graph().parse(data=r.text, format="turtle")
    ds = URIRef("https://w3id.org/cakg/dataset")
    assert g.value(ds, VOID.sparqlEndpoint) == URIRef("http://a.example/sparql")
    assert URIRef("http://a.example/dumps/cakg.ttl") in set(g.objects(ds, VOID.dataDump))
    assert r.cache_control.private and "Host" in r.vary and r.cache_control.max_age


def test_void_is_counted_once_whatever_the_host(
    hostile_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stream of made-up Hosts costs no query each: the counts are kept once per version."""
    client = hostile_app.test_client()
    get(client, "/.well-known/void", "text/turtle", base_url="http://first.example")
    engine = hostile_app.extensions[EXTENSION].current.engine
    queries: list[str] = []
    counted = engine.query

    def query(text: str, *args: Any, **kwargs: Any) -> Any:
        queries.append(text)
        return counted(text, *args, **kwargs)

    monkeypatch.setattr(engine, "query", query)
    for n in range(40):
        r = get(client, "/.well-known/void", "text/turtle", base_url=f"http://h{n}.example")
        assert f"http://h{n}.example/sparql" in r.text
    assert queries == []


def test_public_url_is_used_and_cached_publicly(public_app: Flask) -> None:
    client = public_app.test_client()
    r = get(client, "/.well-known/void", "text/turtle", base_url="http://evil.example")
    g = Graph().parse(data=r.text, format="turtle")
    ds = URIRef("https://w3id.org/cakg/dataset")
    assert g.value(ds, VOID.sparqlEndpoint) == URIRef(PUBLIC_URL + "sparql")
    dumps = {str(u) for u in g.objects(ds, VOID.dataDump)}
    assert dumps and all(u.startswith(PUBLIC_URL + "dumps/") for u in dumps)
    services = list(g.subjects(DCAT.endpointURL, URIRef(PUBLIC_URL + "sparql")))
    assert services and r.cache_control.public and "evil.example" not in r.text
    page = get(client, "/page/state/kazakhstan", base_url="http://evil.example")
    assert page.cache_control.public and "evil.example" not in page.text
    assert PUBLIC_URL + "page/source/doc-1" in Page(page.text).hrefs
    spec = client.get("/openapi.json", base_url="http://evil.example").get_json()
    assert spec["servers"] == [{"url": PUBLIC_URL.rstrip("/")}]
    paged = client.get(
        "/queries/labelled-things.json?per_page=1&page=2", base_url="http://evil.example"
    )
    targets = re.findall(r"<([^>]+)>", paged.headers["Link"])
    assert targets and all(t.startswith(PUBLIC_URL + "queries/") for t in targets)


def test_without_public_url_links_are_paths(hostile_client: FlaskClient) -> None:
    spec = hostile_client.get("/openapi.json", base_url="http://a.example").get_json()
    assert spec["servers"] == [{"url": "/"}]
    paged = hostile_client.get("/queries/labelled-things.json?per_page=1&page=2")
    targets = re.findall(r"<([^>]+)>", paged.headers["Link"])
    assert targets and all(t.startswith("/queries/labelled-things.json?") for t in targets)
    page = Page(get(hostile_client, "/page/state/kazakhstan").text)
    assert "/page/source/doc-1" in page.hrefs
