"""The saved-query API as a first script meets it: a real HTTP client (httpx, as requests would
be used) against a live server of the project's build on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from flask import Flask
from rdflib import Graph

from cakg.build import BuildResult
from cakg.config import Settings
from cakg.web import close_app, create_app
from tests.browser_support import live_server

pytestmark = pytest.mark.server
SOURCE = "https://w3id.org/cakg/id/source/bektenov-official-visit-dushanbe"


@pytest.fixture(scope="module")
def http(project_build: BuildResult, project_settings: Settings) -> Iterator[httpx.Client]:
    app: Flask = create_app(project_settings, {"TESTING": True})
    with live_server(app) as url, httpx.Client(base_url=url, timeout=60) as client:
        yield client
    close_app(app)


@pytest.mark.parametrize("accept", ["application/json", "application/sparql-results+json"])
def test_json_results_by_accept(http: httpx.Client, accept: str) -> None:
    r = http.get("/queries/trade-partners-ranked", headers={"Accept": accept})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/sparql-results+json")
    body: dict[str, Any] = r.json()
    assert "partner" in body["head"]["vars"] and body["results"]["bindings"]


@pytest.mark.parametrize("accept", ["application/json", "application/ld+json"])
def test_a_graph_query_gives_json_ld(http: httpx.Client, accept: str) -> None:
    r = http.get("/queries/source-statements", params={"source": SOURCE},
                 headers={"Accept": accept})  # fmt: skip
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/ld+json")
    g = Graph().parse(data=r.text, format="json-ld")
    assert len(g) > 100


def test_records_read_as_plain_values(http: httpx.Client) -> None:
    r = http.get("/queries/trade-turnover-by-year.records.json", params={"partner": "Russia"})
    assert r.status_code == 200
    records = r.json()
    assert isinstance(records, list) and records
    turnover = [x for x in records if x["measureLabel"] == "trade turnover"]
    assert turnover[0]["value"] == 27000000000 and turnover[0]["partnerLabel"] == "Russia"


def test_a_label_picks_the_same_rows_as_the_iri(http: httpx.Client) -> None:
    by_label = http.get("/queries/trade-turnover-by-year.records.json",
                        params={"partner": "uzbekistan"}).json()  # fmt: skip
    by_iri = http.get("/queries/trade-turnover-by-year.records.json",
                      params={"partner": "id:state/uzbekistan"}).json()  # fmt: skip
    assert by_label == by_iri and by_label


def test_an_unknown_label_is_a_400_naming_the_parameter(http: httpx.Client) -> None:
    r = http.get("/queries/trade-turnover-by-year.json", params={"partner": "Atlantis"})
    assert r.status_code == 400 and r.json()["parameter"] == "partner"


def test_the_picture_of_an_answer(http: httpx.Client) -> None:
    r = http.get("/queries/trade-targets.png")
    assert r.status_code == 200 and r.content.startswith(b"\x89PNG")
