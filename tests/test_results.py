"""Negotiation by Accept (q-values) and `format`, and serialisation parsed back by rdflib."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.query import Result

from cakg.engine.base import QueryResult
from cakg.errors import BadParameter, NotAcceptable
from cakg.media import GRAPH_MEDIA_TYPES, RESULT_MEDIA_TYPES
from cakg.results import mark_truncated, negotiate, plain_value, records, serialize_result

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


# --- the records form of a SELECT answer (issue 21): plain JSON values, one object per row

XSD = "http://www.w3.org/2001/XMLSchema#"


@pytest.mark.parametrize(
    ("term", "value"),
    [
        (None, None),
        (URIRef("https://w3id.org/cakg/id/state/uzbekistan"),
         "https://w3id.org/cakg/id/state/uzbekistan"),
        (BNode("b0"), "_:b0"),
        (Literal("Uzbekistan", lang="en"), "Uzbekistan"),
        (Literal("text"), "text"),
        (Literal("42", datatype=URIRef(XSD + "integer")), 42),
        (Literal("-7", datatype=URIRef(XSD + "int")), -7),
        (Literal("007", datatype=URIRef(XSD + "nonNegativeInteger")), 7),
        (Literal("21.5", datatype=URIRef(XSD + "decimal")), 21.5),
        (Literal("1.5E3", datatype=URIRef(XSD + "double")), 1500.0),
        (Literal("NaN", datatype=URIRef(XSD + "double")), None),
        (Literal("-INF", datatype=URIRef(XSD + "float")), None),
        (Literal("true", datatype=URIRef(XSD + "boolean")), True),
        (Literal("0", datatype=URIRef(XSD + "boolean")), False),
        (Literal("2024-05-27", datatype=URIRef(XSD + "date")), "2024-05-27"),
        (Literal("2024", datatype=URIRef(XSD + "gYear")), "2024"),
        (Literal("lots", datatype=URIRef(XSD + "integer")), "lots"),  # ill-typed: as written
    ],
)  # fmt: skip
def test_plain_values(term: Any, value: Any) -> None:
    assert plain_value(term) == value
    assert type(plain_value(term)) is type(value)


def test_records_are_an_array_of_objects_with_every_variable() -> None:
    result = QueryResult(
        "SELECT",
        ["state", "value", "note"],
        [
            (URIRef("https://w3id.org/cakg/id/state/russia"),
             Literal("28.2", datatype=URIRef(XSD + "decimal")), None),
            (URIRef("https://w3id.org/cakg/id/state/china"),
             Literal("31", datatype=URIRef(XSD + "integer")), Literal("est.", lang="en")),
        ],
    )  # fmt: skip
    body = json.loads(serialize_result(result, "application/json"))
    assert body == [
        {"state": "https://w3id.org/cakg/id/state/russia", "value": 28.2, "note": None},
        {"state": "https://w3id.org/cakg/id/state/china", "value": 31, "note": "est."},
    ]
    assert records(result) == body
    assert json.loads(serialize_result(QueryResult("SELECT", ["x"], []), "application/json")) == []
    with pytest.raises(ValueError, match="ASK"):
        records(QueryResult("ASK", boolean=True))
