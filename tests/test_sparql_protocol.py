"""SPARQL 1.1 Protocol conformance of /sparql: every case of issue 4 item 1.

Bodies are parsed back with rdflib and, over a live server on 127.0.0.1, with SPARQLWrapper.
"""

from __future__ import annotations

import html
import io
import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, VOID
from rdflib.query import Result
from SPARQLWrapper import CSV, JSON, JSONLD, N3, POST, RDFXML, TSV, TURTLE, XML, SPARQLWrapper

from cakg.build import BuildResult
from cakg.config import Settings
from cakg.namespaces import INFERRED_GRAPH, REFERENCE_GRAPH
from cakg.web import close_app, create_app
from cakg.web.sparql import SD
from tests.test_params import FLAG_WORDS

SELECT = "SELECT ?s WHERE { ?s a <https://w3id.org/cakg/ontology#State> } ORDER BY ?s"
ASK = "ASK { ?s a <https://w3id.org/cakg/ontology#State> }"
CONSTRUCT = "CONSTRUCT { ?s a ?t } WHERE { ?s a <https://w3id.org/cakg/ontology#State> ; a ?t }"
DESCRIBE = "DESCRIBE <https://w3id.org/cakg/id/state/kazakhstan>"
KZ = URIRef("https://w3id.org/cakg/id/state/kazakhstan")
UZ = URIRef("https://w3id.org/cakg/id/state/uzbekistan")
FORM = "application/x-www-form-urlencoded"
RESULT_PARSERS = {
    "application/sparql-results+json": "json",
    "application/sparql-results+xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
}
GRAPH_PARSERS = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/ld+json": "json-ld",
    "application/rdf+xml": "xml",
}


def subjects(body: bytes, media_type: str) -> list[str]:
    parsed = Result.parse(io.BytesIO(body), format=RESULT_PARSERS[media_type])
    return [str(row[0]) for row in parsed]


# --- the three ways to send a query -----------------------------------------------------------


def test_get(client: FlaskClient) -> None:
    r = client.get("/sparql", query_string={"query": SELECT})
    assert r.status_code == 200
    assert r.mimetype == "application/sparql-results+json"
    assert subjects(r.data, r.mimetype) == [str(KZ), str(UZ)]


def test_post_form(client: FlaskClient) -> None:
    r = client.post("/sparql", data={"query": SELECT})
    assert r.status_code == 200
    assert subjects(r.data, r.mimetype) == [str(KZ), str(UZ)]


def test_post_sparql_query_body(client: FlaskClient) -> None:
    r = client.post(
        "/sparql", data=SELECT.encode(), content_type="application/sparql-query; charset=utf-8"
    )
    assert r.status_code == 200
    assert subjects(r.data, r.mimetype) == [str(KZ), str(UZ)]


# --- content negotiation ----------------------------------------------------------------------

NEGOTIATION = [
    (SELECT, "application/sparql-results+json", "application/sparql-results+json"),
    (SELECT, "application/sparql-results+xml", "application/sparql-results+xml"),
    (SELECT, "text/csv", "text/csv"),
    (SELECT, "text/tab-separated-values", "text/tab-separated-values"),
    (
        SELECT,
        "text/csv;q=0.4, application/sparql-results+xml;q=0.8",
        "application/sparql-results+xml",
    ),
    (ASK, "application/sparql-results+xml", "application/sparql-results+xml"),
    (ASK, "*/*", "application/sparql-results+json"),
    (CONSTRUCT, "text/turtle", "text/turtle"),
    (CONSTRUCT, "application/n-triples", "application/n-triples"),
    (CONSTRUCT, "application/ld+json", "application/ld+json"),
    (CONSTRUCT, "application/rdf+xml", "application/rdf+xml"),
    (CONSTRUCT, "text/turtle;q=0.1, application/ld+json;q=0.9", "application/ld+json"),
    (DESCRIBE, "application/n-triples", "application/n-triples"),
    (DESCRIBE, "*/*", "text/turtle"),
]


@pytest.mark.parametrize(("query", "accept", "expected"), NEGOTIATION)
def test_accept(client: FlaskClient, query: str, accept: str, expected: str) -> None:
    r = client.get("/sparql", query_string={"query": query}, headers={"Accept": accept})
    assert r.status_code == 200
    assert r.mimetype == expected
    assert "Accept" in r.headers.get("Vary", "")
    _check_body(query, r.data, expected)


def _check_body(query: str, body: bytes, media_type: str) -> None:
    if query == ASK:
        assert Result.parse(io.BytesIO(body), format=RESULT_PARSERS[media_type]).askAnswer
    elif query == SELECT:
        assert subjects(body, media_type) == [str(KZ), str(UZ)]
    else:
        graph = Graph().parse(data=body, format=GRAPH_PARSERS[media_type])
        assert (KZ, None, None) in graph


@pytest.mark.parametrize(
    ("query", "fmt", "expected"),
    [
        (SELECT, "csv", "text/csv"),
        (SELECT, "xml", "application/sparql-results+xml"),
        (SELECT, "tsv", "text/tab-separated-values"),
        (CONSTRUCT, "nt", "application/n-triples"),
        (CONSTRUCT, "json", "application/ld+json"),
        (CONSTRUCT, "application/rdf+xml", "application/rdf+xml"),
    ],
)
def test_format_parameter_overrides_accept(
    client: FlaskClient, query: str, fmt: str, expected: str
) -> None:
    r = client.get(
        "/sparql", query_string={"query": query, "format": fmt}, headers={"Accept": "image/png"}
    )
    assert r.status_code == 200 and r.mimetype == expected
    _check_body(query, r.data, expected)


@pytest.mark.parametrize(
    ("query", "accept"),
    [(SELECT, "image/png"), (SELECT, "text/turtle"), (CONSTRUCT, "text/csv"), (ASK, "image/png")],
)
def test_406_when_nothing_acceptable(client: FlaskClient, query: str, accept: str) -> None:
    r = client.get("/sparql", query_string={"query": query}, headers={"Accept": accept})
    assert r.status_code == 406
    assert r.mimetype == "text/plain"


def test_a_client_that_accepts_only_html_gets_the_editor_with_the_query(
    client: FlaskClient,
) -> None:
    """Was a 406 (issue 22: a browser opening /sparql?query= gets the editor and its results)."""
    r = client.get("/sparql", query_string={"query": ASK}, headers={"Accept": "text/html"})
    assert r.status_code == 200 and r.mimetype == "text/html"
    assert html.escape(ASK) in r.get_data(as_text=True)


# --- errors -----------------------------------------------------------------------------------


def test_415_for_an_unsupported_body(client: FlaskClient) -> None:
    r = client.post("/sparql", data=SELECT, content_type="text/plain")
    assert r.status_code == 415
    assert "application/sparql-query" in r.text


def test_syntax_error_is_400_with_line_and_column(client: FlaskClient) -> None:
    r = client.get("/sparql", query_string={"query": "SELECT ?s\nWHERE { ?s ?p }"})
    assert r.status_code == 400
    assert r.mimetype == "text/plain"
    assert "line 2, column" in r.text
    assert "Traceback" not in r.text


@pytest.mark.parametrize(
    "send",
    [
        lambda c: c.get("/sparql?query=ASK%7B%7D&query=ASK%7B%7D"),
        lambda c: c.post("/sparql?query=ASK%7B%7D", data={"query": "ASK {}"}),
        lambda c: c.post(
            "/sparql?query=ASK%7B%7D", data="ASK {}", content_type="application/sparql-query"
        ),
        lambda c: c.post("/sparql", data=b"", content_type=FORM),
        lambda c: c.get("/sparql", query_string={"query": ASK, "timeout": "soon"}),
        lambda c: c.get("/sparql", query_string={"query": ASK, "timeout": "-1"}),
        lambda c: c.get("/sparql", query_string={"query": ASK, "inference": "maybe"}),
        lambda c: c.get("/sparql", query_string={"query": ASK, "format": "yaml"}),
        lambda c: c.get("/sparql", query_string={"query": ASK, "format": ["csv", "xml"]}),
        lambda c: c.get(
            "/sparql", query_string={"query": ASK, "default-graph-uri": "http://127.0.0.1:9/g"}
        ),
        lambda c: c.get("/sparql", query_string={"query": ASK, "named-graph-uri": "urn:x:unknown"}),
    ],
    ids=[
        "two-query-get",
        "two-query-form",
        "two-query-body",
        "empty-form",
        "timeout-nan",
        "timeout-negative",
        "inference",
        "format",
        "two-formats",
        "remote-default-graph",
        "unknown-named-graph",
    ],
)
def test_400_for_malformed_requests(client: FlaskClient, send: Any) -> None:
    r = send(client)
    assert r.status_code == 400, r.text
    assert r.mimetype == "text/plain" and r.text.strip()


@pytest.mark.parametrize(
    "send",
    [
        lambda c: c.get("/sparql", query_string={"update": "CLEAR ALL"}),
        lambda c: c.post("/sparql", data={"update": "INSERT DATA { <a:b> <a:b> <a:b> }"}),
        lambda c: c.post("/sparql", data="CLEAR ALL", content_type="application/sparql-update"),
        lambda c: c.get("/sparql", query_string={"query": "INSERT DATA { <a:b> <a:b> <a:b> }"}),
        lambda c: c.get("/sparql", query_string={"query": "LOAD <http://127.0.0.1:9/x>"}),
    ],
    ids=["get-update", "form-update", "update-body", "insert-as-query", "load-as-query"],
)
def test_updates_are_refused(client: FlaskClient, send: Any) -> None:
    r = send(client)
    assert r.status_code == 400
    assert "read-only" in r.text


def test_request_body_limit_is_413(tiny_settings: Settings, built: BuildResult) -> None:
    app = _small_app(tiny_settings, max_request_bytes=2000, max_query_length=500)
    try:
        client = app.test_client()
        big = "ASK {} #" + "x" * 3000
        assert (
            client.post("/sparql", data=big, content_type="application/sparql-query").status_code
            == 413
        )
        assert client.post("/sparql", data={"query": big}).status_code == 413
        r = client.get("/sparql", query_string={"query": "ASK {} #" + "x" * 600})
        assert r.status_code == 413 and "500" in r.text
    finally:
        close_app(app)


def _small_app(settings: Settings, **changes: Any) -> Flask:
    from cakg.engine import open_engine

    settings = settings.replace(**changes)
    return create_app(settings, {"CAKG_ENGINE": open_engine(settings)})


def test_internal_errors_are_generic_and_logged(
    tiny_settings: Settings, built: BuildResult, caplog: pytest.LogCaptureFixture
) -> None:
    class Broken:
        name, version = "broken", "0"

        def answer(self, *args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("secret detail")

        def graph_names(self) -> list[str]:
            return []

        def close(self) -> None:
            pass

    app = create_app(tiny_settings, {"CAKG_ENGINE": Broken()})
    r = app.test_client().get(
        "/sparql", query_string={"query": ASK}, headers={"X-Request-Id": "abc-1"}
    )
    assert r.status_code == 500
    assert "secret" not in r.text and "Traceback" not in r.text
    assert "abc-1" in r.text and r.headers["X-Request-Id"] == "abc-1"
    assert any("abc-1" in rec.getMessage() and rec.exc_info for rec in caplog.records)


# --- HEAD, OPTIONS, CORS, request ids ---------------------------------------------------------


def test_head(client: FlaskClient) -> None:
    r = client.head("/sparql", query_string={"query": SELECT}, headers={"Accept": "text/csv"})
    assert r.status_code == 200 and r.mimetype == "text/csv" and r.data == b""
    sd = client.head("/sparql")
    assert sd.status_code == 200 and sd.mimetype == "text/turtle"


def test_options_and_cors_preflight(client: FlaskClient) -> None:
    r = client.options("/sparql")
    assert r.status_code == 200
    assert {"GET", "POST", "HEAD", "OPTIONS"} <= {m.strip() for m in r.headers["Allow"].split(",")}
    pre = client.options(
        "/sparql",
        headers={
            "Origin": "https://yasgui.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Content-Type",
        },
    )
    assert pre.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in pre.headers["Access-Control-Allow-Methods"]


def test_cors_on_by_default_and_configurable(client: FlaskClient, tiny_settings: Settings) -> None:
    r = client.get("/sparql", query_string={"query": ASK}, headers={"Origin": "https://a.example"})
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert "X-Result-Truncated" in r.headers["Access-Control-Expose-Headers"]
    off = _small_app(tiny_settings, cors=False)
    try:
        r = off.test_client().get(
            "/sparql", query_string={"query": ASK}, headers={"Origin": "https://a.example"}
        )
        assert r.status_code == 200 and "Access-Control-Allow-Origin" not in r.headers
    finally:
        close_app(off)


def test_request_id_is_sent_back(client: FlaskClient) -> None:
    generated = client.get("/sparql", query_string={"query": ASK}).headers["X-Request-Id"]
    assert len(generated) >= 8
    echoed = client.get("/sparql", query_string={"query": ASK}, headers={"X-Request-Id": "req-42"})
    assert echoed.headers["X-Request-Id"] == "req-42"
    unsafe = client.get("/sparql", query_string={"query": ASK}, headers={"X-Request-Id": "a\tb"})
    assert unsafe.headers["X-Request-Id"] != "a\tb"


# --- the dataset: union default graph, explicit graphs, inference=false ------------------------

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def _count(client: FlaskClient, **params: Any) -> int:
    r = client.get("/sparql", query_string={"query": COUNT, **params})
    assert r.status_code == 200, r.text
    return int(json.loads(r.data)["results"]["bindings"][0]["n"]["value"])


@pytest.mark.parametrize(("word", "inferred"), FLAG_WORDS)
def test_inference_flag_words_on_sparql(client: FlaskClient, word: str, inferred: bool) -> None:
    expected = _count(client) if inferred else _count(client, inference="false")
    assert _count(client, inference=word) == expected
    r = client.post("/sparql", data={"query": COUNT, "inference": word})
    assert int(json.loads(r.data)["results"]["bindings"][0]["n"]["value"]) == expected


@pytest.mark.parametrize("word", ["maybe", "", "2", "truth"])
def test_inference_flag_rejects_other_words_on_sparql(client: FlaskClient, word: str) -> None:
    r = client.get("/sparql", query_string={"query": COUNT, "inference": word})
    assert (r.status_code, r.mimetype) == (400, "text/plain")
    message = r.get_data(as_text=True)
    assert message.startswith("parameter 'inference'")
    assert all(w in message for w, _ in FLAG_WORDS[:8])


def test_dataset_parameters(client: FlaskClient, built: BuildResult) -> None:
    graphs = built.manifest["graphs"]
    everything = _count(client)
    assert everything <= sum(graphs.values())
    assert _count(client, inference="false") < everything
    assert (
        _count(client, **{"default-graph-uri": str(REFERENCE_GRAPH)})
        == graphs[str(REFERENCE_GRAPH)]
    )
    both = {"default-graph-uri": [str(REFERENCE_GRAPH), str(INFERRED_GRAPH)]}
    assert _count(client, **both) <= graphs[str(REFERENCE_GRAPH)] + graphs[str(INFERRED_GRAPH)]
    named = client.get(
        "/sparql",
        query_string={
            "query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }",
            "named-graph-uri": str(INFERRED_GRAPH),
        },
    )
    assert [b["g"]["value"] for b in json.loads(named.data)["results"]["bindings"]] == [
        str(INFERRED_GRAPH)
    ]


# --- the service description ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "parser"),
    [
        (None, "turtle"),
        ("text/turtle", "turtle"),
        ("application/ld+json", "json-ld"),
        ("application/rdf+xml", "xml"),
    ],
)
def test_service_description(
    client: FlaskClient, built: BuildResult, accept: str | None, parser: str
) -> None:
    r = client.get("/sparql", headers={"Accept": accept} if accept else {})
    assert r.status_code == 200
    g = Graph().parse(data=r.data, format=parser)
    service = g.value(predicate=RDF.type, object=SD.Service)
    assert service is not None
    assert str(g.value(service, SD.endpoint)).endswith("/sparql")
    assert (service, SD.supportedLanguage, SD.SPARQL11Query) in g
    assert len(set(g.objects(service, SD.resultFormat))) == 8
    assert (service, SD.feature, SD.UnionDefaultGraph) in g
    assert g.value(service, SD.defaultEntailmentRegime) is not None
    dataset = g.value(service, SD.defaultDataset)
    counts = {}
    for named in g.objects(dataset, SD.namedGraph):
        counts[str(g.value(named, SD.name))] = int(g.value(g.value(named, SD.graph), VOID.triples))
    assert counts == built.manifest["graphs"]
    inferred = g.value(predicate=SD.name, object=URIRef(str(INFERRED_GRAPH)))
    assert g.value(inferred, SD.entailmentRegime) == URIRef(
        "http://www.w3.org/ns/entailment/OWL-RDF-Based"
    )


def test_service_description_406(client: FlaskClient) -> None:
    assert client.get("/sparql", headers={"Accept": "text/csv"}).status_code == 406


# the worker pool's live workers: the remote engine has no pool (workers: null), its /healthz is
# tested in test_remote.py
@pytest.mark.parametrize("engine_kind", ["embedded"], indirect=True)
def test_healthz(client: FlaskClient, built: BuildResult) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200
    body = json.loads(r.data)
    assert body["status"] == "ok" and body["version"] == built.manifest["version"]
    assert body["workers"] >= 1


# --- real clients over HTTP -------------------------------------------------------------------


def _wrapper(live_server: str, query: str, fmt: str, method: str = "GET") -> Any:
    sparql = SPARQLWrapper(f"{live_server}/sparql")
    sparql.setQuery(query)
    sparql.setReturnFormat(fmt)
    if method == POST:
        sparql.setMethod(POST)
    return sparql.query()


@pytest.mark.parametrize("method", ["GET", POST])
def test_sparqlwrapper_select_formats(live_server: str, method: str) -> None:
    data = _wrapper(live_server, SELECT, JSON, method).convert()
    assert [b["s"]["value"] for b in data["results"]["bindings"]] == [str(KZ), str(UZ)]
    xml = _wrapper(live_server, SELECT, XML, method).convert()
    assert [u.firstChild.data for u in xml.getElementsByTagName("uri")] == [str(KZ), str(UZ)]
    for fmt, media_type in ((CSV, "text/csv"), (TSV, "text/tab-separated-values")):
        body = _wrapper(live_server, SELECT, fmt, method).convert()
        assert subjects(body, media_type) == [str(KZ), str(UZ)]


def test_sparqlwrapper_ask(live_server: str) -> None:
    assert _wrapper(live_server, ASK, JSON).convert()["boolean"] is True
    xml = _wrapper(live_server, ASK, XML).convert()
    assert xml.getElementsByTagName("boolean")[0].firstChild.data == "true"


@pytest.mark.parametrize("fmt", [TURTLE, N3, RDFXML, JSONLD])
def test_sparqlwrapper_graph_formats(live_server: str, fmt: str) -> None:
    result = _wrapper(live_server, CONSTRUCT, fmt).convert()
    graph = result if isinstance(result, Graph) else Graph().parse(data=result, format="turtle")
    assert (KZ, RDF.type, URIRef("https://w3id.org/cakg/ontology#State")) in graph
    described = _wrapper(live_server, DESCRIBE, fmt).convert()
    graph = (
        described
        if isinstance(described, Graph)
        else Graph().parse(data=described, format="turtle")
    )
    assert (KZ, None, Literal("Kazakhstan", lang="en")) in graph


def test_urllib_errors_have_plain_bodies(live_server: str) -> None:
    url = f"{live_server}/sparql?" + urllib.parse.urlencode({"query": "SELECT * WHERE { ?s ?p }"})
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(url, timeout=10)
    assert caught.value.code == 400
    body = caught.value.read().decode()
    assert "syntax error" in body and "Traceback" not in body
    assert caught.value.headers["X-Request-Id"]
