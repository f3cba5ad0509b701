"""The browser pages through the Flask test client: home, query page, gallery, /ui/terms.

What a real browser does with them is tested in tests/test_browser.py.
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient
from rdflib import VOID, Graph

from cakg.build import BuildResult
from cakg.config import Settings
from cakg.engine import Engine, open_engine
from cakg.namespaces import ID, sparql_prologue
from cakg.site_nav import SEARCH_PATH, SITE_NAV
from cakg.web import create_app
from tests.html_page import HtmlPage

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"  # Chromium
FIREFOX = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
SPARQLWRAPPER_JSON = (
    "application/sparql-results+json,application/json,text/javascript,application/javascript"
)
KAZ = str(ID["state/kazakhstan"])
ASTANA = str(ID["city/astana"])
PAGES = ["/", "/sparql", "/queries", "/sparql?qtext=ASK%20%7B%7D"]


@pytest.fixture(scope="module")
def in_process_app(in_process_engine: Engine, tiny_settings: Settings) -> Flask:
    """The app on the tiny build's in-process engine (no worker pool)."""
    return create_app(tiny_settings, {"TESTING": True, "CAKG_ENGINE": in_process_engine})


@pytest.fixture
def in_process_client(in_process_app: Flask) -> FlaskClient:
    return in_process_app.test_client()


class Page(HTMLParser):
    """The elements of a page the tests look at: tags with attributes, labels, texts."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.label_for: set[str] = set()
        self.textareas: dict[str, str] = {}
        self.links: list[tuple[str, str]] = []
        self._textarea: str | None = None
        self._link: str | None = None
        self._label_depth = 0
        self.wrapped: set[str] = set()
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.tags.append((tag, a))
        if tag == "label":
            self._label_depth += 1
            if "for" in a:
                self.label_for.add(a["for"])
        elif tag in ("input", "select", "textarea") and self._label_depth and "id" in a:
            self.wrapped.add(a["id"])
        if tag == "textarea":
            self._textarea = a.get("id", "")
            self.textareas[self._textarea] = ""
        if tag == "a" and "href" in a:
            self._link = a["href"]
            self.links.append((a["href"], ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self._label_depth -= 1
        elif tag == "textarea":
            self._textarea = None
        elif tag == "a":
            self._link = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self.textareas[self._textarea] += data
        if self._link is not None:
            href, text = self.links[-1]
            self.links[-1] = (href, text + data)

    def find(self, tag: str, **attrs: str) -> list[dict[str, str]]:
        return [
            a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())
        ]


def page(client: FlaskClient, url: str) -> Page:
    r = client.get(url, headers={"Accept": BROWSER})
    assert r.status_code == 200, (url, r.status_code, r.text[:300])
    assert r.mimetype == "text/html"
    return Page(r.text)


def textarea_value(p: Page, name: str) -> str:
    raw = p.textareas[name]
    return raw[1:] if raw.startswith("\n") else raw  # HTML drops one leading newline


# ------------------------------------------------------------------ home


def test_home_says_what_and_how_big(in_process_client: FlaskClient) -> None:
    p = page(in_process_client, "/")
    assert len(p.find("dd", **{"data-figure": "triples"})) == 1
    assert len(p.find("dd", **{"data-figure": "entities"})) == 1
    hrefs = {href for href, _ in p.links}
    assert {"/sparql", "/queries", "/.well-known/void", "/ontology"} <= hrefs


def test_home_lists_sources_with_dates_and_entry_points(in_process_client: FlaskClient) -> None:
    p = page(in_process_client, "/")
    links = dict(p.links)
    assert links["/id/source/doc-1"] == "Tiny test report"
    assert links["/id/state/kazakhstan"] == "Kazakhstan"
    assert links["/id/state/uzbekistan"] == "Uzbekistan"
    assert p.find("time", datetime="2021-12-07")
    text = in_process_client.get("/", headers={"Accept": BROWSER}).text
    assert "Test press office" in text


def test_home_links_resolve(in_process_client: FlaskClient) -> None:
    for href, _ in page(in_process_client, "/").links:
        if href.startswith("/id/"):
            assert in_process_client.get(href, headers={"Accept": BROWSER}).status_code == 303, href


# ------------------------------------------------------------ query page


@pytest.mark.parametrize(
    ("accept", "html"),
    [
        (BROWSER, True),
        ("text/html", True),
        ("text/html;q=0.5, text/turtle", False),
        ("text/turtle", False),
        ("*/*", False),
        (None, False),
    ],
)
def test_sparql_is_the_page_only_when_html_is_preferred(
    in_process_client: FlaskClient, accept: str | None, html: bool
) -> None:
    r = in_process_client.get("/sparql", headers={"Accept": accept} if accept else {})
    assert r.status_code == 200
    assert (r.mimetype == "text/html") is html
    assert "Accept" in r.vary


def test_query_page_starts_with_a_short_example_not_every_prefix(
    in_process_client: FlaskClient,
) -> None:
    """The editor declares prefixes as they are used: the sample has the three it uses (it
    had all 19 PREFIX lines of the project)."""
    p = page(in_process_client, "/sparql")
    text = textarea_value(p, "query")
    assert not text.startswith(sparql_prologue())
    declared = [line.split()[1] for line in text.splitlines() if line.startswith("PREFIX ")]
    assert declared == ["cakg:", "id:", "rdfs:"]
    assert "SELECT ?state ?label ?code" in text
    form = p.find("form", id="query-form")[0]
    assert (form["method"], form["action"]) == ("post", "/sparql")
    assert p.find("textarea", name="query")
    assert form["data-shared"] == "false"


def test_the_sample_query_runs_as_it_is(in_process_client: FlaskClient) -> None:
    text = textarea_value(page(in_process_client, "/sparql"), "query")
    r = in_process_client.post(
        "/sparql", data={"query": text}, headers={"Accept": "application/sparql-results+json"}
    )
    assert r.status_code == 200, r.text
    assert r.json is not None and r.json["head"]["vars"] == ["state", "label", "code"]


@pytest.mark.parametrize("accept", [BROWSER, FIREFOX, "text/html"])
def test_a_browser_opening_a_query_url_gets_the_editor_with_that_query(
    in_process_client: FlaskClient, accept: str
) -> None:
    """It downloaded a SPARQL XML file (application/xml;q=0.9 beat */*): now the page, the
    query in its editor, run as the page opens (data-shared)."""
    query = "SELECT ?s WHERE { ?s a <https://w3id.org/cakg/ontology#State> }"
    r = in_process_client.get("/sparql?" + urlencode({"query": query}), headers={"Accept": accept})
    assert r.status_code == 200 and r.mimetype == "text/html"
    assert "Accept" in r.vary
    p = Page(r.text)
    assert textarea_value(p, "query") == query
    assert p.find("form", id="query-form")[0]["data-shared"] == "true"


@pytest.mark.parametrize(
    ("accept", "mimetype"),
    [
        (None, "application/sparql-results+json"),
        ("*/*", "application/sparql-results+json"),
        ("application/sparql-results+json", "application/sparql-results+json"),
        (SPARQLWRAPPER_JSON, "application/sparql-results+json"),
        ("application/sparql-results+xml", "application/sparql-results+xml"),
        ("text/csv", "text/csv"),
        ("application/sparql-results+xml, text/html", "application/sparql-results+xml"),
        ("text/html;q=0.5, application/sparql-results+json", "application/sparql-results+json"),
    ],
)
def test_programs_keep_the_protocol_for_a_query_url(
    in_process_client: FlaskClient, accept: str | None, mimetype: str
) -> None:
    query = "SELECT ?s WHERE { ?s a <https://w3id.org/cakg/ontology#State> }"
    headers = {"Accept": accept} if accept else {}
    r = in_process_client.get("/sparql?" + urlencode({"query": query}), headers=headers)
    assert r.status_code == 200 and r.mimetype == mimetype


def test_a_browser_asking_a_format_or_posting_gets_the_protocol(
    in_process_client: FlaskClient,
) -> None:
    """The no-JavaScript form posts to /sparql with a format: the results themselves; so does
    a GET that names its format or another protocol parameter (this test said that a
    browser's GET with a query got SPARQL XML)."""
    query = "SELECT ?s WHERE { ?s a <https://w3id.org/cakg/ontology#State> }"
    r = in_process_client.post(
        "/sparql", data={"query": query, "format": "csv"}, headers={"Accept": BROWSER}
    )
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert r.text.splitlines()[0] == "s"
    for extra in ({"format": "json"}, {"inference": "false"}, {"timeout": "5"}):
        r = in_process_client.get(
            "/sparql?" + urlencode({"query": "ASK {}", **extra}), headers={"Accept": BROWSER}
        )
        assert r.status_code == 200 and r.mimetype != "text/html", extra


def test_example_opens_a_saved_query_in_the_editor(in_process_client: FlaskClient) -> None:
    p = page(in_process_client, "/sparql?example=partners-of")
    text = textarea_value(p, "query")
    assert text.startswith("# ")  # the summary, as a comment
    assert "#+" not in text  # the grlc header is left out
    assert "SELECT" in text
    assert p.find("form", id="query-form")[0]["data-shared"] == "false"  # opened, not run
    menu = p.find("a", **{"data-example": "partners-of"})
    assert menu and menu[0]["href"] == "/sparql?example=partners-of"


def test_an_unknown_example_is_a_400_naming_the_parameter(in_process_client: FlaskClient) -> None:
    r = in_process_client.get("/sparql?example=nope", headers={"Accept": BROWSER})
    assert r.status_code == 400
    assert "example" in r.text and "partners-of" in r.text
    assert "Traceback" not in r.text


def test_share_link_round_trip(in_process_client: FlaskClient) -> None:
    """The share link is /sparql?qtext=...: opening it fills the editor with the same text."""
    query = (
        'PREFIX x: <urn:x#>\nSELECT ?s WHERE {\n  ?s ?p "a <b> & \\"c\\"" .\n}\n'
        "# </textarea><script>alert(1)</script>\n"
    )
    p = page(in_process_client, "/sparql?" + urlencode({"qtext": query}))
    assert textarea_value(p, "query") == query
    assert p.find("form", id="query-form")[0]["data-shared"] == "true"
    assert not [a for t, a in p.tags if t == "script" and "src" not in a]  # stayed text


def test_bad_query_answers_400_with_its_position(in_process_client: FlaskClient) -> None:
    """The page shows the endpoint's plain-text message; it must name line and column."""
    r = in_process_client.post("/sparql", data={"query": "SELECT * WHERE {\n  ?s ?p \n}"})
    assert r.status_code == 400 and r.mimetype == "text/plain"
    assert "line 3, column" in r.text
    assert "Traceback" not in r.text


# ------------------------------------------------------------------ gallery


def test_gallery_has_a_form_per_query_with_its_view(in_process_client: FlaskClient) -> None:
    p = page(in_process_client, "/queries")
    sections = p.find("section", **{"data-query": "visits-hosted-by"})
    assert sections and sections[0]["data-view"] == "timeline"
    forms = [a for a in p.find("form") if "data-saved-form" in a]
    assert {f["action"] for f in forms} == {
        "/queries/labelled-things.html", "/queries/partners-of.html",
        "/queries/visits-hosted-by.html",
    }  # fmt: skip
    select = p.find("select", id="visits-hosted-by-state")[0]
    assert select["name"] == "state"
    assert p.find("option", value=KAZ)


@pytest.mark.parametrize("url", ["/queries", "/queries/partners-of.html"])
def test_saved_queries_open_in_the_editor(in_process_client: FlaskClient, url: str) -> None:
    """The gallery's and the query page's "SPARQL" link downloaded the .rq: now "Open in
    editor" opens it at /sparql, and the .rq is a download, labelled so."""
    links = [(" ".join(text.split()), href) for href, text in page(in_process_client, url).links]
    assert ("Open in editor", "/sparql?example=partners-of") in links
    assert ("Download the SPARQL (.rq)", "/queries/partners-of.rq") in links
    assert not [href for text, href in links if href.endswith(".rq") and "Download" not in text]


# ------------------------------------------------------ every page: assets


@pytest.mark.parametrize("url", [*PAGES, "/page/state/kazakhstan"])
def test_no_cdn_everything_is_served_by_the_app(in_process_client: FlaskClient, url: str) -> None:
    p = page(in_process_client, url)
    assets = [a["src"] for t, a in p.tags if t in ("script", "img", "iframe") and "src" in a]
    assets += [
        a["href"] for t, a in p.tags
        if t == "link" and a.get("rel") in ("stylesheet", "icon", "preload", "modulepreload")
    ]  # fmt: skip
    assert assets
    for asset in assets:
        assert not asset.startswith(("http:", "https:", "//")), (url, asset)
        response = in_process_client.get(asset)
        response.close()
        assert response.status_code == 200, asset


@pytest.mark.parametrize("url", PAGES)
def test_every_input_has_a_label(in_process_client: FlaskClient, url: str) -> None:
    p = page(in_process_client, url)
    fields = [
        a for t, a in p.tags
        if t in ("input", "select", "textarea") and a.get("type") not in ("hidden", "submit")
    ]  # fmt: skip
    assert fields or url == "/"
    for a in fields:
        labelled = a.get("id") in p.label_for or a.get("id") in p.wrapped or "aria-label" in a
        assert labelled, (url, a)


@pytest.mark.parametrize("url", PAGES)
def test_pages_declare_a_viewport_and_a_language(in_process_client: FlaskClient, url: str) -> None:
    p = page(in_process_client, url)
    assert p.find("meta", name="viewport")[0]["content"].startswith("width=device-width")
    assert p.find("html")[0]["lang"] == "en"


# ------------------------------------------------------------- /ui/terms


def test_terms_gives_english_labels_points_and_local_links(in_process_client: FlaskClient) -> None:
    r = in_process_client.post(
        "/ui/terms", json={"iris": [KAZ, ASTANA, "urn:nothing", "not an iri >"]}
    )
    assert r.status_code == 200
    terms = r.get_json()["terms"]
    assert set(terms) == {KAZ, ASTANA, "urn:nothing"}
    assert terms[KAZ]["label"] == "Kazakhstan"  # not "Казахстан"
    assert terms[KAZ]["href"] == "/id/state/kazakhstan"
    assert terms[ASTANA] == {
        "label": "Astana", "point": [71.4304, 51.1282], "approximate": False,
        "href": "/id/city/astana",
    }  # fmt: skip
    assert terms["urn:nothing"]["label"] is None
    assert terms["urn:nothing"]["href"] is None  # not http(s): no link


def test_terms_places_a_region_at_the_mean_of_its_places(in_process_client: FlaskClient) -> None:
    region = str(ID["region/akmola"])
    terms = in_process_client.post("/ui/terms", json={"iris": [region]}).get_json()["terms"]
    assert terms[region]["point"] == [71.43, 51.13]
    assert terms[region]["approximate"] is True


@pytest.mark.parametrize("body", ["not json", '{"iris": "x"}', '{"iris": [1]}', "[]"])
def test_terms_rejects_a_bad_body_with_a_json_message(
    in_process_client: FlaskClient, body: str
) -> None:
    r = in_process_client.post("/ui/terms", data=body, content_type="application/json")
    assert r.status_code == 400
    assert r.get_json()["error"] == "bad-parameter"
    assert "Traceback" not in r.text


def test_home_without_a_build_is_a_503_page(
    built: BuildResult, tiny_settings: Settings, tmp_path: Path
) -> None:
    engine = open_engine(tiny_settings)
    try:
        settings = tiny_settings.replace(build_dir=tmp_path / "no-build")
        app = create_app(settings, {"TESTING": True, "CAKG_ENGINE": engine})
        r = app.test_client().get("/", headers={"Accept": BROWSER})
        assert (r.status_code, r.mimetype) == (503, "text/html")
        assert r.headers["Retry-After"]
        page = Page(r.text)
        assert page.find("p", **{"class": "error"})
        assert "Traceback" not in r.text
    finally:
        engine.close()


def test_the_site_has_an_icon(in_process_client: FlaskClient) -> None:
    """/favicon.ico was a 404 on every page; the pages link the icon too."""
    r = in_process_client.get("/favicon.ico")
    assert r.status_code == 200 and r.mimetype == "image/svg+xml"
    assert r.get_data().startswith(b"<svg")
    r.close()
    for url in PAGES:
        p = page(in_process_client, url)
        icons = [a["href"] for t, a in p.tags if t == "link" and a.get("rel") == "icon"]
        assert icons == ["/static/favicon.svg"], url


def test_home_figures_are_the_void_descriptions(project_client: FlaskClient) -> None:
    """The home page said 6,734 triples (the sum of the named graphs, a triple in two of them
    counted twice) where VoID and COUNT(*) said 6,727."""
    void = Graph().parse(
        data=project_client.get("/.well-known/void", headers={"Accept": "text/turtle"}).text,
        format="turtle",
    )
    (dataset,) = set(void.subjects(VOID.classPartition, None))  # the whole, not a subset
    home = HtmlPage(project_client.get("/", headers={"Accept": BROWSER}).text)

    def figure(name: str) -> int:
        (dd,) = home.find("dd", data_figure=name)
        return int(dd.text.replace(",", ""))

    assert figure("triples") == int(void.value(dataset, VOID.triples))
    assert figure("entities") == int(void.value(dataset, VOID.entities))
    count = project_client.get(
        "/sparql",
        query_string={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"},
        headers={"Accept": "application/sparql-results+json"},
    ).json
    assert figure("triples") == int(count["results"]["bindings"][0]["n"]["value"])


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/sparql",
        "/queries",
        "/ontology",
        "/shapes",
        "/.well-known/void",
        f"/page/{KAZ[len(str(ID)) :]}",
    ],
)
def test_every_page_has_the_one_navigation_bar(project_client: FlaskClient, url: str) -> None:
    """/ontology and /shapes had a bar of their own, without "Saved queries"."""
    r = project_client.get(url, headers={"Accept": BROWSER})
    assert r.status_code == 200, url
    html = HtmlPage(r.text)
    (header,) = html.find("header", class_="site")
    (nav,) = [n for n in header.iter() if n.tag == "nav"]
    links = [(a["href"].lstrip("/"), a.text) for a in nav.iter() if a.tag == "a"]
    assert links == [(path, label) for path, label in SITE_NAV]
    (form,) = [f for f in header.iter() if f.tag == "form"]
    assert form["role"] == "search" and form["action"].lstrip("/") == SEARCH_PATH
    assert [i["name"] for i in form.iter() if i.tag == "input"] == ["q"]


def test_the_ontology_pages_classes_link_to_their_instances(project_client: FlaskClient) -> None:
    """The class pages (/class/<Name>) were reachable from resource pages only."""
    docs = HtmlPage(project_client.get("/ontology", headers={"Accept": BROWSER}).text)

    def instance_links(section: Any) -> list[str]:
        paragraphs = [e for e in section.iter() if e.tag == "p" and e.get("class") == "instances"]
        return [a["href"] for p in paragraphs for a in p.iter() if a.tag == "a"]

    (state_entry,) = docs.find("section", id="State")
    assert instance_links(state_entry) == ["class/State"]  # relative to the site root
    target = project_client.get("/class/State", headers={"Accept": BROWSER})
    assert target.status_code == 200
    assert "Kazakhstan" in HtmlPage(target.text).find("main")[0].text
    (properties,) = docs.find("section", id="object-properties")
    assert properties.iter() and instance_links(properties) == []  # classes only
