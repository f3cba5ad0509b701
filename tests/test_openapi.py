"""The OpenAPI document of the saved-query API on the project's own build (issue 21): it
validates, every 200 response has the schema of each format's body, the columns of SELECT
queries are described and typed, and real answers fit the schemas they are documented with."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from cakg.build import BuildResult
from cakg.config import Settings
from cakg.engine import open_engine
from cakg.queries import SavedQuery, load_catalogue
from cakg.web import create_app

from .conftest import REPO

REAL = load_catalogue(REPO)
SELECTS = sorted(name for name, q in REAL.items() if q.form == "SELECT")
SPARQL_JSON = "application/sparql-results+json"
NULLABLE = {
    "iri": ["string", "null"],
    "string": ["string", "null"],
    "integer": ["integer", "null"],
    "number": ["number", "null"],
    "boolean": ["boolean", "null"],
    None: ["string", "number", "boolean", "null"],
}


@pytest.fixture(scope="module")
def real_client(project_build: BuildResult, project_settings: Settings) -> Iterator[FlaskClient]:
    engine = open_engine(project_settings)
    yield create_app(project_settings, {"TESTING": True, "CAKG_ENGINE": engine}).test_client()
    engine.close()


@pytest.fixture(scope="module")
def spec(real_client: FlaskClient) -> dict[str, Any]:
    r = real_client.get("/openapi.json")
    assert r.status_code == 200
    document: dict[str, Any] = r.get_json()
    return document


def ok(spec: dict[str, Any], path: str, media: str) -> dict[str, Any]:
    schema: dict[str, Any] = spec["paths"][path]["get"]["responses"]["200"]["content"][media][
        "schema"
    ]
    return schema


def examples(q: SavedQuery) -> dict[str, list[str]]:
    return {p.name: [p.example] for p in q.params if p.example and not p.default}


def test_the_document_validates(spec: dict[str, Any]) -> None:
    validate(spec)


def test_every_answer_has_a_schema(spec: dict[str, Any]) -> None:
    for path, item in spec["paths"].items():
        for media, content in item["get"]["responses"]["200"]["content"].items():
            assert content["schema"], (path, media)
    for name, q in REAL.items():
        content = spec["paths"][f"/queries/{name}"]["get"]["responses"]["200"]["content"]
        if q.form == "SELECT":
            assert f"/queries/{name}.records.json" in spec["paths"]
            assert ok(spec, f"/queries/{name}", "text/csv")["type"] == "string"
        else:
            assert f"/queries/{name}.records.json" not in spec["paths"]
            assert set(content) == {"text/turtle", "application/n-triples",
                                    "application/ld+json", "text/html"}  # fmt: skip
            assert ok(spec, f"/queries/{name}", "application/ld+json")["type"] == [
                "array",
                "object",
            ]
            assert ok(spec, f"/queries/{name}", "text/turtle")["type"] == "string"
        # records are asked for by name: Accept: application/json is SPARQL JSON
        assert "application/json" not in content


@pytest.mark.parametrize(
    ("name", "columns"),
    [
        ("trade-turnover-by-year", {
            "partner": ("iri", "IRI of a cakg:State"),
            "partnerLabel": ("string", "The rdfs:label of ?partner"),
            "year": ("string", "Computed as STR(?y)"),
            "value": ("number", "The cakg:value of ?figure"),
            "source": ("iri", "The prov:wasDerivedFrom of ?figure"),
        }),
        ("sources", {
            "source": ("iri", "IRI of a cakg:SourceDocument"),
            "title": ("string", "The dcterms:title of ?source"),
        }),
        ("corridor-route", {
            "position": ("integer", "The cakg:sequence of ?passage"),
            "modes": ("string", "Computed as GROUP_CONCAT(DISTINCT ?modeName"),
        }),
        ("corridor-cargo", {"target": ("boolean", "Computed as BOUND(?targetClass)")}),
    ],
)  # fmt: skip
def test_columns_are_described_and_typed(
    spec: dict[str, Any], name: str, columns: dict[str, tuple[str, str]]
) -> None:
    q = REAL[name]
    records = ok(spec, f"/queries/{name}.records.json", "application/json")
    assert records["type"] == "array"
    properties = records["items"]["properties"]
    # (Flask writes an object's keys sorted; `required` keeps the order of the columns)
    assert records["items"]["required"] == list(q.variables)
    assert set(properties) == set(q.variables)
    bindings = ok(spec, f"/queries/{name}", SPARQL_JSON)["properties"]["results"]["properties"]
    binding = bindings["bindings"]["items"]["properties"]
    assert set(binding) == set(q.variables)
    for column, title in q.columns.items():  # the query's headers in words
        assert properties[column]["title"] == binding[column]["title"] == title
    for column, (kind, words) in columns.items():
        assert properties[column]["type"] == NULLABLE[kind], column
        assert properties[column]["description"].startswith(words), properties[column]
        assert binding[column]["$ref"] == "#/components/schemas/RDFTerm"
        assert binding[column]["description"] == properties[column]["description"]
        const = "uri" if kind == "iri" else "literal"
        assert binding[column]["properties"]["type"] == {"const": const}


def test_sort_is_declared_for_select_queries(spec: dict[str, Any]) -> None:
    for name, q in REAL.items():
        params = {p["name"]: p for p in spec["paths"][f"/queries/{name}"]["get"]["parameters"]}
        if q.form != "SELECT":
            assert "sort" not in params
            continue
        sort = params["sort"]
        assert (sort["style"], sort["explode"], sort["required"]) == ("form", False, False)
        assert sort["schema"]["items"]["enum"] == [k for v in q.variables for k in (v, f"-{v}")]


@pytest.mark.parametrize("name", SELECTS)
def test_real_answers_fit_their_schemas(
    real_client: FlaskClient, spec: dict[str, Any], name: str
) -> None:
    given = examples(REAL[name])
    records = real_client.get(f"/queries/{name}.records.json", query_string=given)
    assert records.status_code == 200, records.get_data(as_text=True)
    Draft202012Validator(ok(spec, f"/queries/{name}.records.json", "application/json")).validate(
        records.get_json()
    )
    sparql = real_client.get(f"/queries/{name}.json", query_string=given)
    schema = {**ok(spec, f"/queries/{name}", SPARQL_JSON), "components": spec["components"]}
    Draft202012Validator(schema).validate(sparql.get_json())
    assert len(records.get_json()) == len(sparql.get_json()["results"]["bindings"]) > 0


def test_pictures_are_documented_for_the_queries_with_a_view(spec: dict[str, Any]) -> None:
    paths = spec["paths"]
    assert (
        "image/svg+xml" in paths["/queries/trade-targets.svg"]["get"]["responses"]["200"]["content"]
    )
    assert "image/png" in paths["/queries/visits.png"]["get"]["responses"]["200"]["content"]
    names = [p["name"] for p in paths["/queries/visits.svg"]["get"]["parameters"]]
    assert "participant" in names and "sort" not in names
    assert "/queries/figures.svg" not in paths  # a table has no picture
