"""Negotiation by Accept (q-values) and `format`, and serialisation parsed back by rdflib."""

from __future__ import annotations

import io
import json

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.query import Result

from cakg.engine.base import QueryResult
from cakg.errors import BadParameter, NotAcceptable
from cakg.media import GRAPH_MEDIA_TYPES, RESULT_MEDIA_TYPES
from cakg.results import mark_truncated, negotiate, serialize_result

JSON = "application/sparql-results+json"
XML = "application/sparql-results+xml"
TTL = "text/turtle"
NT = "application/n-triples"
JSONLD = "application/ld+json"
RDFXML = "application/rdf+xml"

ACCEPT_CASES = [
    # Accept header, media type for SELECT/ASK, media type for CONSTRUCT/DESCRIBE
    (None, JSON, TTL),
    ("*/*", JSON, TTL),
    (XML, XML, None),
    ("text/csv", "text/csv", None),
    ("text/tab-separated-values", "text/tab-separated-values", None),
    ("application/json", JSON, JSONLD),
    ("application/xml", XML, RDFXML),
    ("text/xml", XML, RDFXML),
    (NT, None, NT),
    (f"{JSON};q=0.5, {XML}", XML, None),
    (f"{XML};q=0.2, text/csv;q=0.9, {TTL};q=0.3, {RDFXML}", "text/csv", RDFXML),
    ("text/*", "text/csv", TTL),
    ("text/html, application/xhtml+xml, application/xml;q=0.9, */*;q=0.8", XML, RDFXML),
    ("image/png", None, None),
    (f"{JSON}, {TTL};q=0", JSON, None),
]


@pytest.mark.parametrize(("accept", "results", "graph"), ACCEPT_CASES)
def test_accept_negotiation(accept: str | None, results: str | None, graph: str | None) -> None:
    formats = negotiate(accept)
    assert (formats.results, formats.graph) == (results, graph)


FORMAT_CASES = [
    ("json", JSON, JSONLD),
    ("xml", XML, RDFXML),
    ("csv", "text/csv", None),
    ("TSV", "text/tab-separated-values", None),
    ("turtle", None, TTL),
    ("nt", None, NT),
    ("json-ld", None, JSONLD),
    ("rdfxml", None, RDFXML),
    ("text/csv", "text/csv", None),
    ("application/json", JSON, JSONLD),
]


@pytest.mark.parametrize(("name", "results", "graph"), FORMAT_CASES)
def test_format_parameter_wins_over_accept(name: str, results: str, graph: str) -> None:
    formats = negotiate("image/png", name)
    assert (formats.results, formats.graph) == (results, graph)


def test_unknown_format_is_a_bad_parameter() -> None:
    with pytest.raises(BadParameter) as caught:
        negotiate(None, "yaml")
    assert caught.value.name == "format"


KZ = URIRef("https://w3id.org/cakg/id/state/kazakhstan")
LABEL = URIRef("http://www.w3.org/2000/01/rdf-schema#label")
SELECT = QueryResult(
    "SELECT",
    ["s", "label"],
    [(KZ, Literal("Kazakhstan", lang="en")), (KZ, None), (Literal("a\tb\nc"), Literal(1))],
)
RDFLIB_RESULT_FORMATS = {
    JSON: "json",
    XML: "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
}


@pytest.mark.parametrize("media_type", RESULT_MEDIA_TYPES)
def test_select_results_parse_back(media_type: str) -> None:
    body = serialize_result(SELECT, media_type)
    parsed = Result.parse(io.BytesIO(body), format=RDFLIB_RESULT_FORMATS[media_type])
    rows = [tuple(row) for row in parsed]
    if media_type == "text/csv":  # CSV keeps no term types: compare the text
        assert [str(t) for t in rows[0]] == [str(KZ), "Kazakhstan"]
        assert [str(t) for t in rows[2]] == ["a\tb\nc", "1"]
    else:
        assert rows == [tuple(r) for r in SELECT.rows]


@pytest.mark.parametrize("media_type", [JSON, XML])
def test_ask_results_parse_back(media_type: str) -> None:
    body = serialize_result(QueryResult("ASK", boolean=True), media_type)
    assert Result.parse(io.BytesIO(body), format=RDFLIB_RESULT_FORMATS[media_type]).askAnswer


GRAPH_PARSERS = {TTL: "turtle", NT: "nt", JSONLD: "json-ld", RDFXML: "xml"}


@pytest.mark.parametrize("media_type", GRAPH_MEDIA_TYPES)
def test_graph_results_parse_back(media_type: str) -> None:
    triples = [(KZ, LABEL, Literal("Kazakhstan", lang="en")), (KZ, LABEL, Literal("Қазақстан"))]
    body = serialize_result(QueryResult("CONSTRUCT", triples=triples), media_type)
    graph = Graph().parse(data=body, format=GRAPH_PARSERS[media_type])
    assert set(graph) == set(triples)


def test_graph_results_refuse_a_results_format() -> None:
    with pytest.raises(NotAcceptable):
        serialize_result(QueryResult("CONSTRUCT"), "text/csv")


def test_truncation_is_marked_in_sparql_json_only() -> None:
    body = b'{"head":{"vars":["s"]},"results":{"bindings":[]}}'
    marked = json.loads(mark_truncated(body, JSON, 3))
    assert marked["truncated"] is True and marked["rowLimit"] == 3
    assert marked["results"] == {"bindings": []}
    assert mark_truncated(b"s\r\n", "text/csv", 3) == b"s\r\n"
