"""The linked-data routes, with Flask's client and with real clients on a live server, on each
engine kind (embedded and remote, see `engine` in conftest.py)."""

from __future__ import annotations

import gzip
import hashlib
import json
import urllib.request
from html.parser import HTMLParser
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from rdflib import RDF, RDFS, Dataset, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import OWL, SDO, SH, VOID

from cakg.build import BuildResult, build_dataset
from cakg.config import Settings
from cakg.engine import open_engine
from cakg.namespaces import CAKG, GRAPH, ID, INFERRED_GRAPH, REFERENCE_GRAPH
from cakg.release import dataset_dir
from cakg.web import create_app
from tests.test_params import FLAG_WORDS

KZ = ID["state/kazakhstan"]
UZ = ID["state/uzbekistan"]
VISIT = ID["visit/tiny-2021"]
RDF_FORMATS = {  # extension: (media type, rdflib parser)
    "ttl": ("text/turtle", "turtle"),
    "jsonld": ("application/ld+json", "json-ld"),
    "nt": ("application/n-triples", "nt"),
    "rdf": ("application/rdf+xml", "xml"),
}


def make_app(settings: Settings) -> Flask:
    """The app over an in-process engine (no worker pool to close)."""
    engine = open_engine(settings)
    return create_app(settings, {"TESTING": True, "CAKG_ENGINE": engine})


class Page(HTMLParser):
    """The parts of an HTML page the tests look at."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.text: dict[str, list[str]] = {}
        self.scripts: list[dict[str, str | None]] = []
        self.jsonld: list[str] = []
        self.svg = 0
        self.lang: str | None = None
        self._open: list[str] = []
        self._in_jsonld = False
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(str(a["id"]))
        if tag == "a" and a.get("href"):
            self.links.append(str(a["href"]))
        if tag == "html":
            self.lang = a.get("lang")
        if tag == "script":
            self.scripts.append(a)
            self._in_jsonld = a.get("type") == "application/ld+json"
        if tag == "svg":
            self.svg += 1
        self._open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        while self._open and self._open.pop() != tag:
            pass
        self._in_jsonld = False

    def handle_data(self, data: str) -> None:
        if self._in_jsonld:
            self.jsonld.append(data)
        if self._open and data.strip():
            self.text.setdefault(self._open[-1], []).append(" ".join(data.split()))

    def all_text(self) -> str:
        return " ".join(t for texts in self.text.values() for t in texts)


def link_header(value: str) -> dict[str, str]:
    """RFC 8288 Link header -> {media type: target} of its rel=alternate links."""
    found = {}
    for part in value.split(","):
        target, *params = part.split(";")
        attrs = dict(p.strip().split("=", 1) for p in params)
        if attrs.get("rel", "").strip('"') == "alternate":
            found[attrs["type"].strip('"')] = target.strip().strip("<>")
    return found


# ---------------------------------------------------------------- dereferencing and formats


def test_rdflib_follows_the_303_and_gets_the_triples(live_server: str) -> None:
    g = Graph().parse(f"{live_server}/id/state/kazakhstan")
    assert (KZ, RDFS.label, Literal("Kazakhstan", lang="en")) in g
    assert (KZ, RDF.type, CAKG.State) in g
    assert (VISIT, CAKG.host, KZ) in g  # backlinks travel with it
    assert (KZ, CAKG.partnerOf, UZ) in g  # inferred, included by default


@pytest.mark.parametrize("ext", list(RDF_FORMATS))
def test_rdflib_asks_for_each_format(live_server: str, ext: str) -> None:
    g = Graph().parse(f"{live_server}/id/state/kazakhstan", format=RDF_FORMATS[ext][1])
    assert (KZ, RDFS.label, Literal("Казахстан", lang="ru")) in g


@pytest.mark.parametrize(
    ("accept", "location"),
    [
        ("text/html", "/page/state/kazakhstan"),
        ("application/xhtml+xml", "/page/state/kazakhstan"),
        (
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            "/page/state/kazakhstan",
        ),
        ("*/*", "/page/state/kazakhstan"),
        (None, "/page/state/kazakhstan"),
        ("text/turtle", "/data/state/kazakhstan.ttl"),
        ("application/ld+json", "/data/state/kazakhstan.jsonld"),
        ("application/json", "/data/state/kazakhstan.jsonld"),
        ("application/n-triples", "/data/state/kazakhstan.nt"),
        ("text/plain", "/data/state/kazakhstan.nt"),
        ("application/rdf+xml", "/data/state/kazakhstan.rdf"),
        ("application/trig", "/data/state/kazakhstan.trig"),
        ("application/n-quads", "/data/state/kazakhstan.nq"),
        ("text/turtle;q=0.5, application/rdf+xml", "/data/state/kazakhstan.rdf"),
        ("text/html;q=0.1, text/turtle", "/data/state/kazakhstan.ttl"),
    ],
)
def test_id_redirects_by_accept(client: FlaskClient, accept: str | None, location: str) -> None:
    r = client.get("/id/state/kazakhstan", headers={"Accept": accept} if accept else {})
    assert r.status_code == 303
    assert r.headers["Location"] == location
    assert "Accept" in r.vary


def test_id_keeps_the_query_string(client: FlaskClient) -> None:
    r = client.get("/id/state/kazakhstan?inference=false", headers={"Accept": "text/turtle"})
    assert r.headers["Location"] == "/data/state/kazakhstan.ttl?inference=false"


def parse_description(client: FlaskClient, data: bytes, parser: str) -> Graph:
    """A /data document as a graph; JSON-LD with the context it names, fetched from the app."""
    if parser != "json-ld":
        return Graph().parse(data=data, format=parser)
    document = json.loads(data)
    assert document["@context"] == "/context.jsonld"
    document["@context"] = client.get("/context.jsonld").get_json()["@context"]
    return Graph().parse(data=json.dumps(document), format="json-ld")


@pytest.mark.parametrize("ext", list(RDF_FORMATS))
def test_each_format_round_trips(client: FlaskClient, ext: str) -> None:
    mime, parser = RDF_FORMATS[ext]
    by_ext = client.get(f"/data/state/kazakhstan.{ext}")
    by_accept = client.get("/data/state/kazakhstan", headers={"Accept": mime})
    assert by_ext.status_code == by_accept.status_code == 200
    assert by_ext.mimetype == by_accept.mimetype == mime
    g1 = parse_description(client, by_ext.data, parser)
    g2 = parse_description(client, by_accept.data, parser)
    reference = Graph().parse(data=client.get("/data/state/kazakhstan.ttl").data, format="turtle")
    assert set(g1) == set(g2) == set(reference)
    assert (VISIT, CAKG.host, KZ) in g1
    # generic URL: negotiated, says where the chosen variant lives and what else there is
    assert by_accept.headers["Content-Location"] == f"/data/state/kazakhstan.{ext}"
    assert "Accept" in by_accept.vary
    alternates = link_header(by_accept.headers["Link"])
    assert alternates["text/html"] == "/page/state/kazakhstan"
    assert alternates["application/rdf+xml"] == "/data/state/kazakhstan.rdf"
    assert "Accept" not in by_ext.vary
    assert mime not in link_header(by_ext.headers["Link"])


@pytest.mark.parametrize(
    ("ext", "mime"), [("trig", "application/trig"), ("nq", "application/n-quads")]
)
def test_quad_formats_keep_the_graph_of_each_triple(
    client: FlaskClient, ext: str, mime: str
) -> None:
    r = client.get(f"/data/state/kazakhstan.{ext}")
    assert r.mimetype == mime
    ds = Dataset()
    ds.parse(data=r.data, format="trig" if ext == "trig" else "nquads")
    assert (VISIT, CAKG.host, KZ, GRAPH["sources/doc-1"]) in ds
    assert (KZ, CAKG.partnerOf, UZ, INFERRED_GRAPH) in ds
    assert (KZ, RDF.type, CAKG.State, REFERENCE_GRAPH) in ds


def test_inference_false(client: FlaskClient) -> None:
    g = Graph().parse(data=client.get("/data/state/kazakhstan.ttl?inference=false").data)
    assert (KZ, CAKG.partnerOf, UZ) not in g
    assert (UZ, CAKG.partnerOf, KZ) in g
    r = client.get("/data/state/kazakhstan.ttl?inference=maybe")
    assert r.status_code == 400


@pytest.mark.parametrize(("word", "inferred"), FLAG_WORDS)
def test_inference_flag_words_on_data_and_store(
    client: FlaskClient, word: str, inferred: bool
) -> None:
    data = client.get("/data/state/kazakhstan.ttl", query_string={"inference": word})
    assert data.status_code == 200
    assert ((KZ, CAKG.partnerOf, UZ) in Graph().parse(data=data.data)) is inferred
    store = client.get("/store", query_string={"default": "", "inference": word})
    assert store.status_code == 200
    assert ((KZ, CAKG.partnerOf, UZ) in Graph().parse(data=store.data)) is inferred


@pytest.mark.parametrize("word", ["maybe", "", "2", "truth"])
def test_inference_flag_rejects_other_words_on_data_and_page(
    client: FlaskClient, word: str
) -> None:
    r = client.get("/data/state/kazakhstan.ttl", query_string={"inference": word})
    assert (r.status_code, r.mimetype) == (400, "text/turtle")
    message = r.get_data(as_text=True)
    assert message.startswith("# parameter 'inference'")
    assert all(w in message for w, _ in FLAG_WORDS[:8])
    assert len(Graph().parse(data=r.data, format="turtle")) == 0
    page = client.get("/page/state/kazakhstan", query_string={"inference": word})
    assert (page.status_code, page.mimetype) == (400, "text/html")
    assert Page(page.get_data(as_text=True)).text["h1"] == ["Bad request"]


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize("ext", list(RDF_FORMATS))
def test_unknown_iri_is_404_in_the_asked_format(client: FlaskClient, ext: str) -> None:
    mime, parser = RDF_FORMATS[ext]
    for r in (
        client.get("/id/state/atlantis", headers={"Accept": mime}),
        client.get(f"/data/state/atlantis.{ext}"),
        client.get("/data/state/atlantis", headers={"Accept": mime}),
    ):
        assert r.status_code == 404
        assert r.mimetype == mime
        assert len(Graph().parse(data=r.data, format=parser)) == 0
        assert "state/atlantis" in r.get_data(as_text=True)


def test_unknown_iri_is_404_html(client: FlaskClient) -> None:
    for url in ("/id/state/atlantis", "/page/state/atlantis"):
        r = client.get(url, headers={"Accept": "text/html"})
        assert r.status_code == 404 and r.mimetype == "text/html"
        page = Page(r.get_data(as_text=True))
        assert page.text["h1"] == ["Not found"]
        assert "Traceback" not in r.get_data(as_text=True)


@pytest.mark.parametrize(
    "url", ["/id/state/kazakhstan", "/data/state/kazakhstan", "/ontology", "/store?default"]
)
def test_406_when_nothing_is_acceptable(client: FlaskClient, url: str) -> None:
    r = client.get(url, headers={"Accept": "image/png"})
    assert r.status_code == 406
    assert "text/turtle" in r.get_data(as_text=True)


# ---------------------------------------------------------------- pages


def test_page_holds_label_properties_backlinks_sources(client: FlaskClient) -> None:
    r = client.get("/page/state/kazakhstan")
    assert r.status_code == 200 and r.mimetype == "text/html"
    page = Page(r.get_data(as_text=True))
    assert page.text["h1"] == ["Kazakhstan"]
    assert page.lang == "en"
    assert {"names", "facts", "backlinks", "sources", "formats"} <= page.ids
    text = page.all_text()
    assert "partner of" in text and "hosted" in text  # properties, labelled from the ontology
    assert "according to" in text and "Tiny test report" in text and "2021-12-07" in text
    # paths, never built from the Host header (the page is cached publicly)
    assert "/page/visit/tiny-2021" in page.links  # backlink to the visit
    assert "/page/source/doc-1" in page.links  # the source document
    assert "/ontology#partnerOf" in page.links
    for ext in (*RDF_FORMATS, "trig", "nq"):
        assert f"/data/state/kazakhstan.{ext}" in page.links
    # the page's data blocks (JSON-LD, the map's specification) and the app's own scripts that
    # draw the map: nothing fetched from elsewhere, and the page reads without them
    for script in page.scripts:
        src = script.get("src")
        if src:
            assert src.startswith("/static/"), src
        else:
            assert script.get("type") in ("application/ld+json", "application/json"), script


def test_page_title_follows_accept_language(client: FlaskClient) -> None:
    ru = Page(client.get("/page/state/kazakhstan", headers={"Accept-Language": "ru"}).text)
    assert ru.text["h1"] == ["Казахстан"] and ru.lang == "ru"
    de = Page(
        client.get("/page/state/kazakhstan", headers={"Accept-Language": "de, en;q=0.5"}).text
    )
    assert de.text["h1"] == ["Kazakhstan"]
    r = client.get("/page/state/kazakhstan", headers={"Accept-Language": "ru"})
    assert "Accept-Language" in r.vary


def test_page_embeds_schema_org(client: FlaskClient) -> None:
    page = Page(client.get("/page/city/astana").text)
    (jsonld,) = page.jsonld
    g = Graph().parse(data=jsonld, format="json-ld")
    astana = ID["city/astana"]
    assert (astana, RDF.type, SDO.City) in g
    assert (astana, SDO.name, Literal("Astana", lang="en")) in g
    geo = g.value(astana, SDO.geo)
    assert float(g.value(geo, SDO.latitude)) == pytest.approx(51.1282)
    kz = Graph().parse(
        data=Page(client.get("/page/state/kazakhstan").text).jsonld[0], format="json-ld"
    )
    assert (KZ, RDF.type, SDO.Country) in kz


def maps(page: Page) -> int:
    """The map views on a page: Vega specifications that views.js draws (no hand-drawn SVG)."""
    return sum(
        1
        for a in page.scripts
        if a.get("class") == "view-spec" and a.get("data-name") in ("map", "route")
    )


def test_page_draws_a_map_for_places(client: FlaskClient) -> None:
    page = Page(client.get("/page/city/astana").text)
    assert maps(page) == 1 and page.svg == 0
    assert "51.1282, 71.4304" in page.all_text()
    assert maps(Page(client.get("/page/visit/tiny-2021").text)) == 0


def test_page_marks_inferred_facts_and_can_hide_them(client: FlaskClient) -> None:
    shown = client.get("/page/state/kazakhstan").text
    hidden = client.get("/page/state/kazakhstan?inference=false").text
    assert "inferred" in Page(shown).all_text()
    assert "/page/state/uzbekistan" in " ".join(Page(hidden).links)  # backlink, asserted
    assert "partner of" in Page(shown).all_text()
    assert 'class="inferred"' in shown and 'class="inferred"' not in hidden
    assert "hosted" in Page(hidden).all_text()  # the visit's asserted host, from the state's side


def test_links_follow_public_url(built: BuildResult, tiny_settings: Settings) -> None:
    app = make_app(tiny_settings.replace(public_url="https://cakg.example/"))
    page = Page(app.test_client().get("/page/state/kazakhstan").text)
    assert "https://cakg.example/page/source/doc-1" in page.links
    assert "https://cakg.example/class/State" in page.links  # its kind: the class's page


# ---------------------------------------------------------------- caching


def test_etag_and_last_modified_give_304(client: FlaskClient, built: BuildResult) -> None:
    for url in (
        "/data/state/kazakhstan.ttl",
        "/page/state/kazakhstan",
        "/ontology",
        "/.well-known/void",
    ):
        first = client.get(url)
        assert first.status_code == 200
        etag = first.headers["ETag"]
        assert built.manifest["version"] in etag
        assert first.last_modified is not None
        assert first.cache_control.max_age
        if url == "/.well-known/void":  # absolute URLs from the Host header: private
            assert first.cache_control.private and "Host" in first.vary
        else:
            assert first.cache_control.public
        again = client.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.data == b""
        assert again.headers["ETag"] == etag
        since = client.get(url, headers={"If-Modified-Since": first.headers["Last-Modified"]})
        assert since.status_code == 304
        other = client.get(url, headers={"If-None-Match": '"something-else"'})
        assert other.status_code == 200


def test_variants_have_their_own_etags(client: FlaskClient) -> None:
    turtle = client.get("/data/state/kazakhstan", headers={"Accept": "text/turtle"})
    jsonld = client.get("/data/state/kazakhstan", headers={"Accept": "application/ld+json"})
    assert turtle.headers["ETag"] != jsonld.headers["ETag"]
    r = client.get(
        "/data/state/kazakhstan",
        headers={"Accept": "application/ld+json", "If-None-Match": turtle.headers["ETag"]},
    )
    assert r.status_code == 200


def test_304_through_a_real_client(live_server: str) -> None:
    url = f"{live_server}/data/state/kazakhstan.ttl"
    with urllib.request.urlopen(url) as r:
        etag = r.headers["ETag"]
    request = urllib.request.Request(url, headers={"If-None-Match": etag})
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(request)
    assert info.value.code == 304
    info.value.close()


# ---------------------------------------------------------------- ontology and shapes


def test_ontology_docs_anchor_every_term(client: FlaskClient, built: BuildResult) -> None:
    r = client.get("/ontology", headers={"Accept": "text/html"})
    assert r.status_code == 200
    page = Page(r.text)
    terms = {
        "State",
        "City",
        "Visit",
        "StateVisit",
        "locatedIn",
        "participant",
        "host",
        "hosted",
        "partnerOf",
        "date",
    }
    assert terms <= page.ids
    assert "cakg tiny test ontology" in page.text["h1"]
    assert "Transitive" in page.all_text() or "TransitiveProperty" in page.all_text()
    # no inline script: only the site's search suggestions, from the app's static files
    assert page.scripts == [{"src": "static/search.js", "defer": None}]


def test_ontology_and_term_iris_as_rdf(client: FlaskClient, live_server: str) -> None:
    for ext, (mime, parser) in RDF_FORMATS.items():
        r = client.get("/ontology", headers={"Accept": mime})
        assert r.mimetype == mime and r.headers["Content-Location"] == f"/ontology.{ext}"
        g = Graph().parse(data=r.data, format=parser)
        assert (URIRef("https://w3id.org/cakg/ontology"), RDF.type, OWL.Ontology) in g
        assert set(g) == set(Graph().parse(data=client.get(f"/ontology.{ext}").data, format=parser))
    term = Graph().parse(f"{live_server}/ontology#StateVisit")  # the hash is not sent
    assert (CAKG.StateVisit, RDFS.subClassOf, CAKG.Visit) in term


def test_shapes_as_docs_and_rdf(client: FlaskClient) -> None:
    page = Page(client.get("/shapes", headers={"Accept": "text/html"}).text)
    assert {"VisitShape", "StateShape"} <= page.ids
    assert "ontology#Visit" in page.links
    g = Graph().parse(data=client.get("/shapes", headers={"Accept": "text/turtle"}).data)
    assert (URIRef("https://w3id.org/cakg/shapes#VisitShape"), RDF.type, SH.NodeShape) in g


@pytest.mark.parametrize("name", ["ontology", "shapes"])
def test_a_release_without_its_docs_page_answers_404_saying_to_rebuild(
    settings: Settings, name: str
) -> None:
    """The build writes both docs pages; the web app serves them and never renders them."""
    build_dataset(settings)
    (dataset_dir(settings) / f"{name}.html").unlink()
    client = make_app(settings).test_client()
    r = client.get(f"/{name}", headers={"Accept": "text/html"})
    assert r.status_code == 404
    assert "cakg build" in r.text
    assert client.get(f"/{name}.ttl").status_code == 200


# ---------------------------------------------------------------- dataset description, dumps


def test_void_parses_and_counts_match(live_server: str, tiny_settings: Settings) -> None:
    g = Graph().parse(f"{live_server}/.well-known/void", format="turtle")
    ds = URIRef("https://w3id.org/cakg/dataset")
    union = Graph().parse(dataset_dir(tiny_settings) / "cakg.ttl", format="turtle")
    assert int(g.value(ds, VOID.triples)) == len(union)
    assert g.value(ds, VOID.sparqlEndpoint) == URIRef(f"{live_server}/sparql")
    dumps = {str(u) for u in g.objects(ds, VOID.dataDump)}
    assert f"{live_server}/dumps/cakg.nq.gz" in dumps


def test_void_html_and_dataset_iri(client: FlaskClient) -> None:
    page = Page(client.get("/.well-known/void", headers={"Accept": "text/html"}).text)
    assert page.text["h1"] == ["Central Asia Knowledge Graph"]
    assert "http://localhost/dumps/cakg.ttl" in page.links
    r = client.get("/dataset")
    assert r.status_code == 303 and r.headers["Location"] == "/.well-known/void"


@pytest.mark.parametrize(
    ("name", "mime"),
    [
        ("cakg.ttl", "text/turtle"),
        ("cakg.trig", "application/trig"),
        ("cakg.nq", "application/n-quads"),
        ("cakg.ttl.gz", "application/gzip"),
        ("cakg.trig.gz", "application/gzip"),
        ("cakg.nq.gz", "application/gzip"),
    ],
)
def test_dumps(client: FlaskClient, built: BuildResult, name: str, mime: str) -> None:
    r = client.get(f"/dumps/{name}")
    assert r.status_code == 200 and r.mimetype == mime
    info = built.manifest["files"][name]
    assert hashlib.sha256(r.data).hexdigest() == info["sha256"]
    assert len(r.data) == info["bytes"]
    body = gzip.decompress(r.data) if name.endswith(".gz") else r.data
    if name.startswith("cakg.nq"):
        ds = Dataset()
        ds.parse(data=body, format="nquads")
        assert (VISIT, CAKG.host, KZ, GRAPH["sources/doc-1"]) in ds
    again = client.get(f"/dumps/{name}", headers={"If-None-Match": r.headers["ETag"]})
    assert again.status_code == 304
    r.close()
    again.close()


def test_unknown_dump(client: FlaskClient) -> None:
    assert client.get("/dumps/secrets.txt").status_code == 404
    assert client.get("/dumps/manifest.json").status_code == 404


# ---------------------------------------------------------------- graph store protocol


def nquads(settings: Settings) -> Dataset:
    ds = Dataset()
    ds.parse(dataset_dir(settings) / "cakg.nq", format="nquads")
    return ds


def test_gsp_named_graph(client: FlaskClient, built: BuildResult, tiny_settings: Settings) -> None:
    for name in built.manifest["graphs"]:
        r = client.get("/store", query_string={"graph": name}, headers={"Accept": "text/turtle"})
        assert r.status_code == 200 and r.mimetype == "text/turtle"
        got = Graph().parse(data=r.data, format="turtle")
        expected = nquads(tiny_settings).graph(URIRef(name))
        assert len(got) == len(expected)
        assert len(got) == built.manifest["graphs"][name]


def test_gsp_default_graph_is_the_union(client: FlaskClient, tiny_settings: Settings) -> None:
    r = client.get("/store?default", headers={"Accept": "application/n-triples"})
    got = Graph().parse(data=r.data, format="nt")
    union = Graph().parse(dataset_dir(tiny_settings) / "cakg.ttl", format="turtle")
    assert len(got) == len(union)
    assert (KZ, CAKG.partnerOf, UZ) in got


def test_gsp_head_and_errors(client: FlaskClient) -> None:
    reference = str(REFERENCE_GRAPH)
    head = client.head("/store", query_string={"graph": reference})
    assert head.status_code == 200 and head.data == b"" and head.mimetype == "text/turtle"
    assert client.get("/store").status_code == 400
    assert client.get("/store", query_string={"graph": reference, "default": ""}).status_code == 400
    missing = client.get("/store", query_string={"graph": "https://example.org/g"})
    assert missing.status_code == 404
    assert client.post("/store", query_string={"graph": reference}).status_code == 405


def test_graph_iris_dereference(client: FlaskClient) -> None:
    r = client.get("/graph/sources/doc-1")
    assert r.status_code == 303
    assert r.headers["Location"] == "/store?graph=https://w3id.org/cakg/graph/sources/doc-1"
    assert client.get("/graph/nothing").status_code == 404


def test_no_stack_trace_in_any_error(client: FlaskClient) -> None:
    for url in ("/id/x", "/data/x.ttl", "/page/x", "/store?graph=x", "/dumps/x", "/ontology.xyz"):
        body = client.get(url).get_data(as_text=True)
        assert "Traceback" not in body and 'File "' not in body


def _json(r: Any) -> Any:
    return json.loads(r.get_data(as_text=True))


def test_404_jsonld_body_names_the_iri(client: FlaskClient) -> None:
    body = _json(client.get("/data/state/atlantis.jsonld"))
    assert body["error"] == "not-found" and "state/atlantis" in body["message"]


# ---------------------------------------------------------------- the real graph


@pytest.mark.slow
def test_every_minted_iri_of_the_project_dereferences(
    project_client: FlaskClient, project_settings: Settings
) -> None:
    union = Graph().parse(dataset_dir(project_settings) / "cakg.ttl", format="turtle")
    base = project_settings.base_iri + "id/"
    minted = sorted({str(s) for s in union.subjects() if str(s).startswith(base)})
    assert len(minted) > 50
    for iri in minted:
        path = iri[len(base) :]
        r = project_client.get(f"/id/{path}", headers={"Accept": "text/turtle"})
        assert r.status_code == 303, iri
        page = project_client.get(f"/page/{path}")
        assert page.status_code == 200, iri
        assert Page(page.text).text["h1"], iri


def test_project_state_page(project_client: FlaskClient) -> None:
    page = Page(project_client.get("/page/state/kazakhstan").text)
    assert page.text["h1"] == ["Kazakhstan"]
    assert maps(page) == 1  # the places in Kazakhstan, on a map
    kz = Graph().parse(data=page.jsonld[0], format="json-ld")
    assert (KZ, SDO.sameAs, Literal("http://www.wikidata.org/entity/Q232")) in kz
    assert "according to" in page.all_text()
    data = Graph().parse(data=project_client.get("/data/state/kazakhstan.ttl").data)
    assert (KZ, OWL.sameAs, URIRef("http://www.wikidata.org/entity/Q232")) in data


def test_ontology_version_iri(project_client: FlaskClient, project_settings: Settings) -> None:
    ontology = Graph().parse(data=project_client.get("/ontology.ttl").data, format="turtle")
    version_iri = ontology.value(URIRef(project_settings.base_iri + "ontology"), OWL.versionIRI)
    assert version_iri is not None
    path = "/" + str(version_iri).removeprefix(project_settings.base_iri)
    r = project_client.get(path, headers={"Accept": "text/turtle"})
    assert r.status_code == 200
    assert isomorphic(Graph().parse(data=r.data, format="turtle"), ontology)
    assert project_client.get("/ontology/0.0.0-gone").status_code == 404
    assert project_client.get("/ontology/%3Cx%3E").status_code == 404
