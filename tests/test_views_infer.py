"""cakg.views.infer: the views an ad-hoc answer fits, from its columns and datatypes alone
(table-driven over answers); and cakg.views.select_graph, a SELECT answer as statements."""

from __future__ import annotations

from typing import Any

import pytest
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import RDFS, XSD

from cakg.engine.base import QueryResult
from cakg.views.infer import WKT, infer_views
from cakg.views.labels import Term, Terms
from cakg.views.select_graph import COLUMN, rows_as_triples

ID = "https://w3id.org/cakg/id/"
KAZ, UZB, RUS = (URIRef(ID + f"state/{s}") for s in ("kazakhstan", "uzbekistan", "russia"))
ASTANA, TASHKENT = URIRef(ID + "city/astana"), URIRef(ID + "city/tashkent")
VISIT, TALKS = URIRef(ID + "visit/one"), URIRef(ID + "meeting/two")


def number(value: str, datatype: URIRef = XSD.decimal) -> Literal:
    return Literal(value, datatype=datatype)


def en(text: str) -> Literal:
    return Literal(text, lang="en")


def select(variables: str, *rows: tuple[Any, ...]) -> QueryResult:
    return QueryResult("SELECT", variables.split(), list(rows))


def names(points: dict[URIRef, tuple[float, float]] | None = None) -> Terms:
    terms = Terms("https://w3id.org/cakg/")
    for iri, point in (points or {}).items():
        terms.found[str(iri)] = Term(str(iri), iri.rsplit("/", 1)[1], None, point)
    return terms


# (what, answer, the points the graph gives, the views expected: (kind, declaration))
CASES: list[tuple[str, QueryResult, dict[URIRef, tuple[float, float]], list[tuple[str, Any]]]] = [
    (
        "a value per year and partner: line and bar over the years, a series per partner",
        select(
            "partner year value",
            (UZB, number("2022", XSD.integer), number("4.9")),
            (UZB, number("2023", XSD.integer), number("4.4")),
            (RUS, number("2023", XSD.integer), number("27.3")),
        ),
        {},
        [
            ("line", {"type": "line", "x": "year", "y": "value", "series": "partner"}),
            ("bar", {"type": "bar", "x": "year", "y": "value", "series": "partner"}),
        ],
    ),
    (
        "a count per state (an IRI and its label): a bar per state, the label column left out",
        select(
            "state stateLabel n",
            (KAZ, en("Kazakhstan"), number("12", XSD.integer)),
            (UZB, en("Uzbekistan"), number("5", XSD.integer)),
        ),
        {},
        [("bar", {"type": "bar", "x": "state", "y": "n"})],
    ),
    (
        "periods as text that reads as dates, two values: charts over time with both values",
        select(
            "period latest target",
            (Literal("2022"), number("4.9"), number("10")),
            (Literal("2024-01/2024-05"), number("2.1"), number("10")),
        ),
        {},
        [
            ("line", {"type": "line", "x": "period", "y": ["latest", "target"]}),
            ("bar", {"type": "bar", "x": "period", "y": ["latest", "target"]}),
        ],
    ),
    (
        "dated events: a timeline labelled by the event (its IRI's label)",
        select(
            "event date",
            (VISIT, Literal("2021-12-06", datatype=XSD.date)),
            (TALKS, Literal("2023-05", datatype=XSD.gYearMonth)),
        ),
        {},
        [("timeline", {"type": "timeline", "date": "date", "label": "event"})],
    ),
    (
        "WKT literals: a map of them, labelled",
        select(
            "name wkt",
            (en("Astana"), Literal("POINT(71.43 51.13)", datatype=URIRef(WKT))),
            (en("Tashkent"), Literal("POINT(69.24 41.30)", datatype=URIRef(WKT))),
        ),
        {},
        [("map", {"type": "map", "geometry": "wkt", "label": "name"})],
    ),
    (
        "places the graph gives points: a map of the IRIs",
        select("city label", (ASTANA, en("Astana")), (TASHKENT, en("Tashkent"))),
        {ASTANA: (71.43, 51.13), TASHKENT: (69.24, 41.3)},
        [("map", {"type": "map", "geometry": "city", "label": "label"})],
    ),
    (
        "latitude and longitude numbers: a map; coordinates are not values to chart",
        select(
            "name lat lon",
            (en("Astana"), number("51.13"), number("71.43")),
            (en("Tashkent"), number("41.30"), number("69.24")),
        ),
        {},
        [("map", {"type": "map", "lat": "lat", "lon": "lon", "label": "name"})],
    ),
    (
        "two IRI columns without points: a graph from the first",
        select("city state", (ASTANA, KAZ), (TASHKENT, UZB)),
        {},
        [("graph", {"type": "graph", "subject": "city"})],
    ),
    (
        "subject, predicate, object: a graph whose links are the predicates",
        select("s p o", (ASTANA, URIRef(ID + "locatedIn"), KAZ), (UZB, RDFS.seeAlso, KAZ)),
        {},
        [("graph", {"type": "graph", "subject": "s", "predicate": "p"})],
    ),
    (
        "places with points beside their states: a map and a graph",
        select("city state", (ASTANA, KAZ), (TASHKENT, UZB)),
        {ASTANA: (71.43, 51.13), TASHKENT: (69.24, 41.3)},
        [
            ("map", {"type": "map", "geometry": "city", "label": "state"}),
            ("graph", {"type": "graph", "subject": "city"}),
        ],
    ),
    ("labels only: a table", select("label", (en("Astana"),), (en("Tashkent"),)), {}, []),
    ("one IRI column: a table", select("s", (KAZ,), (UZB,)), {}, []),
    ("no rows: nothing to draw", select("year value"), {}, []),
    (
        "numbers alone, no category or time to put them by: a table",
        select("n", (number("3", XSD.integer),)),
        {},
        [],
    ),
    (
        "a column of mixed kinds is a category, not a time or a value",
        select("what n", (Literal("2022"), number("1")), (en("soon"), number("2"))),
        {},
        [("bar", {"type": "bar", "x": "what", "y": "n"})],
    ),
    ("ASK: nothing to draw", QueryResult("ASK", boolean=True), {}, []),
    (
        "CONSTRUCT: a graph",
        QueryResult("CONSTRUCT", triples=[(ASTANA, URIRef(ID + "locatedIn"), KAZ)]),
        {},
        [("graph", {"type": "graph"})],
    ),
    ("an empty CONSTRUCT: nothing to draw", QueryResult("CONSTRUCT"), {}, []),
]


@pytest.mark.parametrize(("what", "result", "points", "expected"), CASES, ids=[c[0] for c in CASES])
def test_infer_views(
    what: str,
    result: QueryResult,
    points: dict[URIRef, tuple[float, float]],
    expected: list[tuple[str, Any]],
) -> None:
    offers = infer_views(result, names(points))
    assert [(o.kind, o.view) for o in offers] == expected, what
    assert all(o.label for o in offers)


def test_rows_as_triples_makes_each_column_a_statement_of_the_subject() -> None:
    terms = names()
    rows = [(ASTANA, KAZ, en("Astana")), (TASHKENT, None, en("Tashkent")), (BNode("b"), UZB, None)]
    triples = rows_as_triples(
        {"type": "graph", "subject": "city"},
        {"state": "Its state"},
        ["city", "state", "name"],
        rows,
        terms,
    )
    state, name = URIRef(COLUMN + "state"), URIRef(COLUMN + "name")
    assert triples == [
        (ASTANA, state, KAZ),
        (ASTANA, name, en("Astana")),
        (TASHKENT, name, en("Tashkent")),
        (BNode("b"), state, UZB),
    ]
    assert terms.get(str(state)).label == "Its state"  # the declared header
    assert terms.get(str(name)).label == "name"
    assert terms.get(str(name)).href is None  # a column is no page


def test_rows_as_triples_with_a_predicate_column() -> None:
    located = URIRef(ID + "locatedIn")
    rows = [(ASTANA, located, KAZ), (UZB, Literal("not a property"), KAZ), (KAZ, located, None)]
    triples = rows_as_triples(
        {"type": "graph", "subject": "s", "predicate": "p"}, {}, ["s", "p", "o"], rows, names()
    )
    assert triples == [(ASTANA, located, KAZ)]  # a literal is no property; no object, no triple


def test_rows_as_triples_without_its_subject_column_is_empty() -> None:
    view = {"type": "graph", "subject": "missing"}
    assert rows_as_triples(view, {}, ["a", "b"], [(KAZ, UZB)], names()) == []
