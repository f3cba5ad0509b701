"""One error path (cakg.web.errors): no blueprint has handlers of its own, and each route gets
its body style: text on /sparql, JSON on the API (the parameter named), the negotiated
representation on the linked-data routes, an HTML page on the home page."""

from __future__ import annotations

import json

import pytest
from flask import Flask
from flask.testing import FlaskClient
from rdflib import Graph

from cakg.build import BuildResult
from cakg.config import Settings
from cakg.engine import open_engine
from cakg.web import create_app


@pytest.fixture(scope="module")
def app(built: BuildResult, tiny_settings: Settings) -> Flask:
    engine = open_engine(tiny_settings)  # in-process: no worker pool
    return create_app(tiny_settings, {"TESTING": True, "CAKG_ENGINE": engine})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def test_only_the_app_handles_errors(app: Flask) -> None:
    assert set(app.error_handler_spec) == {None}


def test_sparql_errors_are_text(client: FlaskClient) -> None:
    r = client.get("/sparql", query_string={"query": "ASK {}", "timeout": "soon"})
    assert (r.status_code, r.mimetype) == (400, "text/plain")
    assert r.get_data(as_text=True).startswith("parameter 'timeout'")


def test_api_errors_are_json_and_name_the_parameter(client: FlaskClient) -> None:
    r = client.post("/ui/terms", json={"iris": "x"})
    assert (r.status_code, r.mimetype) == (400, "application/json")
    assert json.loads(r.data) == {
        "error": "bad-parameter",
        "message": 'parameter \'iris\': send JSON {"iris": ["https://...", ...]}',
        "parameter": "iris",
    }


def test_http_errors_are_json_with_allow(client: FlaskClient) -> None:
    r = client.post("/store", query_string={"default": ""})
    assert (r.status_code, r.mimetype) == (405, "application/json")
    assert json.loads(r.data)["error"] == "method-not-allowed"
    assert set(r.headers["Allow"].split(", ")) >= {"GET", "HEAD"}


@pytest.mark.parametrize(
    ("url", "mimetype", "parser"),
    [
        ("/data/state/atlantis.ttl", "text/turtle", "turtle"),
        ("/data/state/atlantis.nt", "application/n-triples", "nt"),
        ("/data/state/atlantis.trig", "application/trig", "trig"),
        ("/data/state/atlantis.nq", "application/n-quads", "nquads"),
        ("/data/state/atlantis.rdf", "application/rdf+xml", "xml"),
        ("/data/state/atlantis.jsonld", "application/ld+json", "json-ld"),
    ],
)
def test_linked_data_errors_in_the_asked_format(
    client: FlaskClient, url: str, mimetype: str, parser: str
) -> None:
    r = client.get(url)
    assert (r.status_code, r.mimetype) == (404, mimetype)
    assert "state/atlantis" in r.get_data(as_text=True)
    assert len(Graph().parse(data=r.data, format=parser)) == 0


def test_linked_data_errors_before_a_format_is_chosen_are_text(client: FlaskClient) -> None:
    for url in ("/dumps/nothing", "/graph/nothing", "/ontology/0.0.0-gone"):
        r = client.get(url)
        assert (r.status_code, r.mimetype) == (404, "text/plain")
