"""cakg.views.chosen: a view the reader chose in the results panel, checked against the answer
(table-driven: what is drawn as asked, and a BadParameter naming `view` for all else)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from rdflib import Literal, URIRef

from cakg.engine.base import QueryResult
from cakg.errors import BadParameter
from cakg.views.chosen import MAX_TEXT, chosen_view

KAZ = URIRef("https://w3id.org/cakg/id/state/kazakhstan")
ROWS = QueryResult(
    "SELECT", ["state", "year", "value", "note"], [(KAZ, Literal(2022), Literal(4.5), None)]
)
GRAPH = QueryResult("CONSTRUCT", triples=[(KAZ, KAZ, KAZ)])


@pytest.mark.parametrize(
    ("view", "result", "kind", "label"),
    [
        ({"type": "bar", "x": "state", "y": "value"}, ROWS, "bar", "Bar chart"),
        ({"type": "line", "x": "year", "y": ["value", "year"], "series": "state"}, ROWS, "line",
         "Line chart"),
        ({"type": "timeline", "date": "year", "label": ["state", "note"]}, ROWS, "timeline",
         "Timeline"),
        ({"type": "map", "geometry": "state", "label": "note"}, ROWS, "map", "Map"),
        ({"type": "map", "lat": "value", "lon": "year"}, ROWS, "map", "Map"),
        ({"type": "graph", "subject": "state", "predicate": "note"}, ROWS, "graph", "Graph"),
        ({"type": "graph"}, GRAPH, "graph", "Graph"),
    ],
)  # fmt: skip
def test_a_chosen_view_is_drawn_as_asked(
    view: dict[str, Any], result: QueryResult, kind: str, label: str
) -> None:
    offer = chosen_view(json.dumps(view), result)
    assert (offer.kind, offer.label, offer.view) == (kind, label, view)


@pytest.mark.parametrize(
    ("text", "result", "words"),
    [
        ("{", ROWS, "not JSON"),
        ("[]", ROWS, "`type` is one of bar, line, timeline, map, graph"),
        ('{"type": "pie"}', ROWS, "`type` is one of"),
        ('{"type": "bar", "x": "state"}', ROWS, "a bar needs y"),
        ('{"type": "bar", "x": "state", "y": "value", "colour": "x"}', ROWS,
         "a bar takes x, y, series, not `colour`"),
        ('{"type": "bar", "x": "nowhere", "y": "value"}', ROWS, "no column `nowhere`"),
        ('{"type": "bar", "x": ["state"], "y": "value"}', ROWS, "`x` must be a column name"),
        ('{"type": "bar", "x": "state", "y": []}', ROWS, "`y` must be a column name or a list"),
        ('{"type": "bar", "x": "state", "y": [1]}', ROWS, "`y` must be a column name or a list"),
        ('{"type": "map", "lat": "value"}', ROWS, "a map needs geometry (or lat and lon)"),
        ('{"type": "timeline", "date": "year"}', ROWS, "a timeline needs label"),
        ('{"type": "bar", "x": "s", "y": "o"}', GRAPH, "a CONSTRUCT answer is drawn as"),
        ('{"type": "graph"}', QueryResult("ASK", boolean=True), "the answer of ASK has no view"),
        ('{"type": "bar"' + " " * MAX_TEXT + "}", ROWS, "characters; at most"),
    ],
)  # fmt: skip
def test_a_view_the_answer_cannot_have_is_a_bad_parameter(
    text: str, result: QueryResult, words: str
) -> None:
    with pytest.raises(BadParameter) as caught:
        chosen_view(text, result)
    assert caught.value.name == "view"
    assert words in str(caught.value)
