"""bp "editor" (cakg.web.editor) over HTTP: the vocabulary the editor completes from, and the
problems of a query (the engine's error explained, undeclared prefixes, the ontology lint)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from cakg.config import Settings
from cakg.engine import Engine
from cakg.namespaces import PREFIXES
from cakg.web import create_app

CAKG = "PREFIX cakg: <https://w3id.org/cakg/ontology#>\n"
PROBLEMS = "/ui/editor/problems"


@pytest.fixture(scope="module")
def editor_app(in_process_engine: Engine, tiny_settings: Settings) -> Flask:
    return create_app(tiny_settings, {"TESTING": True, "CAKG_ENGINE": in_process_engine})


@pytest.fixture
def editor_client(editor_app: Flask) -> FlaskClient:
    return editor_app.test_client()


def problems(client: FlaskClient, body: Any) -> list[dict[str, Any]]:
    r = client.post(PROBLEMS, json=body)
    assert r.status_code == 200, r.text
    found: list[dict[str, Any]] = r.json["problems"] if r.json else []
    return found


def test_vocabulary_has_the_prefixes_terms_with_labels_and_examples(
    editor_client: FlaskClient,
) -> None:
    r = editor_client.get("/ui/editor/vocabulary")
    assert r.status_code == 200 and r.mimetype == "application/json"
    body = r.json
    assert body is not None and body["prefixes"] == PREFIXES
    terms = {t["prefixed"]: t for t in body["terms"]}
    assert terms["cakg:State"]["kind"] == "class"
    assert terms["cakg:State"]["label"] == "State"
    assert terms["cakg:StateVisit"]["label"] == "State visit"
    assert terms["cakg:locatedIn"]["kind"] == "property"
    assert terms["rdfs:label"]["kind"] == "property"  # used in the data
    assert all(t["iri"] == PREFIXES[t["prefixed"].split(":")[0]] + t["prefixed"].split(":")[1]
               for t in body["terms"])  # fmt: skip
    examples = {e["name"]: e for e in body["examples"]}
    assert set(examples) == {"labelled-things", "partners-of", "visits-hosted-by"}
    example = examples["partners-of"]
    assert example["text"].startswith("# " + example["summary"] + "\n")
    assert example["page"] == "/queries/partners-of.html"


def test_the_engine_error_comes_back_as_a_sentence_at_its_column(
    editor_client: FlaskClient,
) -> None:
    """The editor sends /sparql's 400 text along; the answer marks SELEC, not the line."""
    text = "SELEC ?x WHERE { ?x ?y ?z }"
    r = editor_client.post("/sparql", data={"query": text})
    assert r.status_code == 400 and "CONSTRUCT" in r.text  # the engine's words, unchanged
    (problem,) = problems(editor_client, {"query": text, "error": r.text})
    assert (problem["line"], problem["column"], problem["endColumn"]) == (1, 1, 6)
    assert problem["message"] == "SELEC is not a SPARQL keyword: did you mean SELECT?"
    assert problem["severity"] == "error" and problem["fix"] is None


def test_an_undeclared_prefix_needs_no_engine_and_has_a_fix(editor_client: FlaskClient) -> None:
    (problem,) = problems(editor_client, {"query": "SELECT * { ?x a cakg:State }"})
    assert problem["fix"] == {"label": "Add PREFIX cakg:", "text": CAKG, "line": 1, "column": 1}
    assert problem["column"] == 17


def test_a_misspelt_class_is_a_warning_with_the_closest_one(editor_client: FlaskClient) -> None:
    text = CAKG + "SELECT * { ?x a cakg:Sate }"
    r = editor_client.post(
        "/sparql", data={"query": text}, headers={"Accept": "application/sparql-results+json"}
    )
    assert r.status_code == 200 and r.json is not None and r.json["results"]["bindings"] == []
    (problem,) = problems(editor_client, {"query": text, "error": None})
    assert problem["severity"] == "warning"
    assert (
        problem["message"] == "cakg:Sate is not a class of the ontology: did you mean cakg:State?"
    )
    assert (problem["line"], problem["column"], problem["endColumn"]) == (2, 17, 26)


def test_a_good_query_has_no_problems(editor_client: FlaskClient) -> None:
    assert problems(editor_client, {"query": CAKG + "SELECT * { ?x a cakg:State }"}) == []


@pytest.mark.parametrize(
    ("body", "parameter", "why"),
    [
        ({"query": "ASK {}", "colour": 1}, "colour", "unknown field"),
        ({"query": ""}, "query", "missing or empty"),
        ({"query": "   "}, "query", "missing or empty"),
        ({}, "query", "missing or empty"),
        ({"query": 3}, "query", "missing or empty"),
        ({"query": "ASK {}", "error": 5}, "error", "as a string"),
        ([1, 2], "query", "send JSON"),
        ({"query": "#" * 100_001}, "query", "characters long"),
    ],
)
def test_bad_bodies_are_400s_naming_the_field(
    editor_app: Flask, body: Any, parameter: str, why: str
) -> None:
    client = editor_app.test_client()
    r = client.post(PROBLEMS, json=body)
    assert r.status_code == 400 and r.json is not None
    assert r.json["parameter"] == parameter and why in r.json["message"]


def test_a_body_that_is_not_json_is_a_400(editor_client: FlaskClient) -> None:
    r = editor_client.post(PROBLEMS, data="query=ASK", content_type="text/plain")
    assert r.status_code == 400 and r.json is not None and r.json["parameter"] == "query"


def test_an_error_without_a_position_is_ignored(editor_client: FlaskClient) -> None:
    text = CAKG + "SELECT * { ?x a cakg:State }"
    assert problems(editor_client, {"query": text, "error": "the worker died"}) == []


def test_problems_is_post_only(editor_client: FlaskClient) -> None:
    assert editor_client.get(PROBLEMS).status_code == 405
