"""bp "results" (cakg.web.results): the exact total of an answer the row cap cut
(POST /ui/results/count), the views an ad-hoc answer fits (POST /ui/results/views), and a clear
400 naming the parameter for every bad request; Engine.count on every engine."""

from __future__ import annotations

import json

import pytest
from flask import Flask
from flask.testing import FlaskClient

from cakg.engine.base import Engine
from cakg.namespaces import sparql_prologue

ENDPOINTS = ("/ui/results/count", "/ui/results/views")
ALL = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"
STATES = (
    sparql_prologue() + "SELECT ?state ?label WHERE { ?state a cakg:State ; rdfs:label ?label }"
)
PLACES = sparql_prologue() + (
    "SELECT ?place ?where WHERE { ?place cakg:locatedIn ?where } ORDER BY ?place"
)
GRAPH = sparql_prologue() + "CONSTRUCT { ?a cakg:locatedIn ?b } WHERE { ?a cakg:locatedIn ?b }"
VISITS = sparql_prologue() + (
    "SELECT ?visit ?date WHERE { ?visit a cakg:StateVisit ; cakg:date ?date }"
)


def post(client: FlaskClient, path: str, **form: str) -> tuple[int, dict[str, object]]:
    response = client.post(path, data=form)
    assert response.mimetype == "application/json"
    return response.status_code, json.loads(response.data)


# --------------------------------------------------------------------------- Engine.count


@pytest.mark.parametrize(
    "query",
    [ALL, STATES, GRAPH, "DESCRIBE <https://w3id.org/cakg/id/state/kazakhstan>", VISITS],
)
def test_count_is_the_size_of_the_whole_answer_on_every_engine(
    any_engine: Engine, query: str
) -> None:
    result = any_engine.query(query)
    assert any_engine.count(query) == len(result.rows or result.triples) > 0


def test_count_of_an_ask_is_one(any_engine: Engine) -> None:
    assert any_engine.count("ASK { ?s ?p ?o }") == 1


# ------------------------------------------------------------------- the exact total


def test_the_total_is_exact_when_the_row_cap_cut_the_answer(
    limited_app: Flask, in_process_engine: Engine
) -> None:
    """The server keeps 3 rows (LIMITS); /sparql says so, the count gives them all."""
    client = limited_app.test_client()
    cut = client.post("/sparql", data={"query": ALL}, headers={"Accept": "application/json"})
    assert cut.headers["X-Result-Truncated"] == "true"
    assert len(cut.get_json()["results"]["bindings"]) == 3
    status, body = post(client, "/ui/results/count", query=ALL)
    assert status == 200
    assert body == {"count": len(in_process_engine.query(ALL).rows), "rowLimit": 3}
    assert body["count"] > 3  # type: ignore[operator]


def test_views_of_an_answer_past_the_cap_are_refused_with_a_note(limited_app: Flask) -> None:
    status, body = post(limited_app.test_client(), "/ui/results/views", query=ALL)
    assert status == 200
    assert body["views"] == []
    assert "more than 3 rows" in str(body["note"])


# ---------------------------------------------------------------------------- the views


def test_count_of_a_graph_answer(client: FlaskClient, in_process_engine: Engine) -> None:
    status, body = post(client, "/ui/results/count", query=GRAPH)
    assert status == 200
    assert body["count"] == len(in_process_engine.query(GRAPH).triples) == 3  # one inferred


def test_views_of_linked_places_are_a_map_and_a_graph(client: FlaskClient) -> None:
    status, body = post(client, "/ui/results/views", query=PLACES)
    assert status == 200
    assert body["form"] == "SELECT" and body["rows"] == 3 and body["note"] == ""  # one inferred
    views = {v["kind"]: v for v in body["views"]}  # type: ignore[union-attr]
    assert list(views) == ["map", "graph"]
    assert views["map"]["view"] == {"type": "map", "geometry": "place", "label": "where"}
    assert views["map"]["marks"] == 2  # Astana's rows; Akmola Region has no point (a note says so)
    assert views["map"]["notes"]
    graph = views["graph"]
    assert graph["label"] == "Graph" and graph["marks"] == 3  # a link per row
    assert graph["spec"]["$schema"].endswith("vega/v6.json")
    names = {n["label"] for n in _data(graph["spec"], "node-data")}
    assert names == {"Astana", "Akmola Region", "Kazakhstan"}


def test_views_of_dated_events_are_a_timeline(client: FlaskClient) -> None:
    status, body = post(client, "/ui/results/views", query=VISITS)
    assert status == 200
    [view] = body["views"]  # type: ignore[misc]
    assert view["kind"] == "timeline" and view["marks"] == 1
    [event] = view["spec"]["data"]["values"]
    assert (event["label"], event["start"]) == ("Test state visit", "2021-12-06")


def test_views_of_a_construct_are_a_graph(client: FlaskClient) -> None:
    status, body = post(client, "/ui/results/views", query=GRAPH)
    assert status == 200 and body["form"] == "CONSTRUCT" and body["rows"] == 3
    assert [v["kind"] for v in body["views"]] == ["graph"]  # type: ignore[union-attr]


def test_a_view_the_reader_chose_is_drawn_instead(client: FlaskClient) -> None:
    chosen = {"type": "graph", "subject": "where"}
    status, body = post(client, "/ui/results/views", query=PLACES, view=json.dumps(chosen))
    assert status == 200
    [view] = body["views"]  # type: ignore[misc]
    assert view["kind"] == "graph" and view["view"] == chosen and view["marks"] == 3


def test_a_chosen_view_with_nothing_to_draw_says_why(client: FlaskClient) -> None:
    chosen = {"type": "timeline", "date": "place", "label": "where"}  # IRIs are no dates
    status, body = post(client, "/ui/results/views", query=PLACES, view=json.dumps(chosen))
    assert status == 200 and body["views"] == []
    assert "undated" in str(body["note"])


@pytest.mark.parametrize(
    ("view", "words"),
    [
        ("{", "not JSON"),
        ('{"type": "bar", "x": "place", "y": "nothing"}', "the answer has no column `nothing`"),
        ('{"type": "bar", "x": "place"}', "a bar needs y"),
    ],
)
def test_a_chosen_view_the_answer_cannot_have_is_400(
    client: FlaskClient, view: str, words: str
) -> None:
    status, body = post(client, "/ui/results/views", query=PLACES, view=view)
    assert status == 400
    assert body["parameter"] == "view" and words in str(body["message"])


def test_an_answer_with_nothing_to_draw_has_no_view(client: FlaskClient) -> None:
    query = (
        sparql_prologue()
        + 'SELECT ?label WHERE { ?s rdfs:label ?label FILTER(lang(?label) = "en") }'
    )
    status, body = post(client, "/ui/results/views", query=query)
    assert status == 200 and body["views"] == [] and body["rows"] > 0  # type: ignore[operator]
    status, body = post(client, "/ui/results/views", query="ASK { ?s ?p ?o }")
    assert status == 200 and body["form"] == "ASK" and body["views"] == []


def _data(spec: dict[str, object], name: str) -> list[dict[str, object]]:
    for data in spec["data"]:  # type: ignore[attr-defined]
        if data["name"] == name:
            return list(data["values"])
    raise AssertionError(f"no data set {name}")


# ------------------------------------------------------------------------ bad requests


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize(
    ("form", "parameter", "error", "words"),
    [
        ({}, "query", "bad-parameter", "missing"),
        ({"query": "  "}, "query", "bad-parameter", "empty"),
        ({"query": ALL, "format": "json"}, "format", "bad-parameter", "unknown parameter"),
        ({"query": ALL, "timeout": "1"}, "timeout", "bad-parameter", "unknown parameter"),
        ({"query": ALL, "views": "x"}, "views", "bad-parameter", "unknown"),
        ({"query": "SELECT * WHERE { ?s ?p ?o"}, None, "bad-query", "line 1, column"),
        ({"query": "INSERT DATA { <a:b> <a:b> <a:b> }"}, None, "update-refused", "read-only"),
        ({"query": "SELECT * { SERVICE <http://x.org/> { ?s ?p ?o } }"}, None, "bad-query",
         "SERVICE"),
    ],
)  # fmt: skip
def test_bad_requests_get_400_naming_what_is_wrong(
    client: FlaskClient,
    path: str,
    form: dict[str, str],
    parameter: str | None,
    error: str,
    words: str,
) -> None:
    status, body = post(client, path, **form)
    assert status == 400
    assert body["error"] == error
    assert words in str(body["message"])
    assert body.get("parameter") == parameter
    assert "Traceback" not in str(body["message"])


def test_count_takes_no_view(client: FlaskClient) -> None:
    status, body = post(client, "/ui/results/count", query=ALL, view='{"type": "bar"}')
    assert status == 400 and body["parameter"] == "view"
    assert "this endpoint takes `query`" in str(body["message"])


@pytest.mark.parametrize("path", ENDPOINTS)
def test_a_query_given_twice_is_refused(client: FlaskClient, path: str) -> None:
    response = client.post(path + "?query=ASK%7B%7D", data={"query": "ASK {}"})
    assert response.status_code == 400
    assert response.get_json()["parameter"] == "query"
    assert "more than once" in response.get_json()["message"]


@pytest.mark.parametrize("path", ENDPOINTS)
def test_an_over_long_query_is_413(client: FlaskClient, app: Flask, path: str) -> None:
    limit = app.config["CAKG_SETTINGS"].max_query_length
    query = "ASK {}" + "#" * limit
    response = client.post(path, data={"query": query})
    assert response.status_code == 413
    assert str(limit) in response.get_json()["message"]


@pytest.mark.parametrize("path", ENDPOINTS)
def test_only_post(client: FlaskClient, path: str) -> None:
    response = client.get(path, query_string={"query": ALL})
    assert response.status_code == 405


XSD = "http://www.w3.org/2001/XMLSchema#"
ODD_ANSWERS = [
    # dates no calendar has: a timeline of them crashed (500) before cakg.views.figures.when
    # refused them
    f'SELECT ?d ?l WHERE {{ VALUES (?d ?l) {{ ("-0044-03-15"^^<{XSD}date> "Ides") '
    f'("2023-02-29"^^<{XSD}date> "no such day") ("1999-13"^^<{XSD}gYearMonth> "no month") }} }}',
    f'SELECT ?t ?x WHERE {{ VALUES (?t ?x) {{ ("2024-05-01T10:00:00Z"^^<{XSD}dateTime> 1) }} }}',
    "SELECT ?a ?b WHERE { VALUES (?a ?b) { (UNDEF UNDEF) (true 1) } }",
    f'SELECT ?a ?n WHERE {{ VALUES (?a ?n) {{ ("" 1) ("x" "NaN"^^<{XSD}double>) '
    f'("y" "INF"^^<{XSD}double>) }} }}',
    "SELECT ?a ?b WHERE { VALUES (?a ?b) { (<javascript:alert(1)> <urn:x>) } }",
    "SELECT ?lat ?lon WHERE { VALUES (?lat ?lon) { (91 200) (45.5 -73.2) } }",
    "DESCRIBE <urn:nothing>",
]


@pytest.mark.parametrize("query", ODD_ANSWERS)
def test_odd_answers_get_their_views_or_none_never_an_error(
    client: FlaskClient, query: str
) -> None:
    status, body = post(client, "/ui/results/views", query=query)
    assert status == 200, body
    for view in body["views"]:  # type: ignore[attr-defined]
        assert view["spec"] and view["marks"] >= 0
        for href in _hrefs(view["spec"]):  # only http(s) IRIs and local paths are links
            assert href is None or href.startswith(("/", "http://", "https://")), href


def _hrefs(value: object) -> list[str | None]:
    """Every `href` in a specification's data."""
    if isinstance(value, dict):
        found = (
            [value["href"]] if isinstance(value.get("href"), str | None) and "href" in value else []
        )
        return found + [h for v in value.values() for h in _hrefs(v)]
    if isinstance(value, list):
        return [h for v in value for h in _hrefs(v)]
    return []
