"""The /sparql fast path answers exactly what the Flask app would, and leaves it the rest."""

from __future__ import annotations

import urllib.parse
from typing import Any

import pytest
from flask import Flask
from werkzeug.test import EnvironBuilder, run_wsgi_app

from cakg.config import Settings
from cakg.engine.base import Engine
from cakg.web import create_app
from cakg.web.fast_sparql import FastSparql
from cakg.web.state import RequestScope

LOOKUP = "SELECT ?p ?o WHERE { <https://w3id.org/cakg/id/state/kazakhstan> ?p ?o }"
JOIN = "SELECT ?s ?t WHERE { ?s a ?t } ORDER BY ?s ?t LIMIT 20"
CONSTRUCT = "CONSTRUCT { ?s a ?t } WHERE { ?s a ?t } LIMIT 5"
VOLATILE = {"x-request-id", "date", "server"}


@pytest.fixture
def counted(in_process_engine: Engine, tiny_settings: Settings) -> tuple[Flask, list[str]]:
    """A fresh app (3-row cap) with a hook that records every request Flask itself handles."""
    app = create_app(
        tiny_settings.replace(max_rows=3), {"CAKG_ENGINE": in_process_engine, "TESTING": True}
    )
    return app, counting(app)


def without_fast_path(app: Flask) -> Any:
    """The same app behind the same RequestScope, without the fast path."""
    scope = app.wsgi_app
    assert isinstance(scope, RequestScope) and isinstance(scope.app, FastSparql)
    return RequestScope(scope.app.app, scope.releases)


def counting(app: Flask) -> list[str]:
    """Record each request that reaches Flask's own wsgi_app or its error handling."""
    seen: list[str] = []
    scope = app.wsgi_app
    assert isinstance(scope, RequestScope)
    fast = scope.app
    assert isinstance(fast, FastSparql)
    inner, error = fast.app, fast._error

    def count_inner(environ: Any, start_response: Any) -> Any:
        seen.append("flask")
        return inner(environ, start_response)

    def count_error(*args: Any) -> Any:
        seen.append("flask")
        return error(*args)

    fast.app = count_inner
    fast._error = count_error  # type: ignore[method-assign]
    return seen


def call(wsgi: Any, **request: Any) -> tuple[str, dict[str, str], bytes]:
    environ = EnvironBuilder(**request).get_environ()
    body, status, headers = run_wsgi_app(wsgi, environ, buffered=True)
    kept = {k.lower(): v for k, v in headers.items() if k.lower() not in VOLATILE}
    return status, kept, b"".join(body)


def requests() -> list[dict[str, Any]]:
    form = "application/x-www-form-urlencoded"
    return [
        {
            "path": "/sparql",
            "method": "POST",
            "data": LOOKUP,
            "headers": {"Content-Type": "application/sparql-query", "Accept": "application/json"},
        },
        {
            "path": "/sparql",
            "method": "POST",
            "data": urllib.parse.urlencode({"query": JOIN}),
            "headers": {"Content-Type": form, "Accept": "text/csv"},
        },
        {"path": "/sparql", "query_string": {"query": JOIN, "format": "xml"}},
        {
            "path": "/sparql",
            "query_string": {"query": CONSTRUCT},
            "headers": {"Accept": "text/turtle"},
        },
        {
            "path": "/sparql",
            "query_string": {"query": LOOKUP, "inference": "false"},
            "headers": {"Accept": "application/sparql-results+json"},
        },
    ]


@pytest.mark.parametrize("request_", requests())
def test_the_fast_path_answers_as_the_app_does(
    counted: tuple[Flask, list[str]], request_: dict[str, Any]
) -> None:
    app, seen = counted
    fast = call(app, **request_)
    assert seen == []  # Flask did not see it
    plain = call(without_fast_path(app), **request_)  # the app without the fast path
    assert seen == ["flask"]
    assert fast[0] == plain[0] == "200 OK"
    assert fast[1] == plain[1]  # every header: type, length, Vary, CORS, truncation
    assert fast[2] == plain[2]


def test_the_row_cap_headers_are_the_same(counted: tuple[Flask, list[str]]) -> None:
    app, _ = counted
    request_ = {
        "path": "/sparql",
        "query_string": {"query": JOIN},
        "headers": {"Accept": "application/sparql-results+json"},
    }
    fast = call(app, **request_)
    assert fast[1]["x-result-truncated"] == "true" and fast[1]["x-result-row-limit"] == "3"
    assert b'"truncated": true' in fast[2] or b'"truncated":true' in fast[2]
    assert fast[1:] == call(without_fast_path(app), **request_)[1:]


ERRORS = [
    ({"path": "/sparql", "query_string": {"query": "SELECT ?s WHERE { ?s ?p }"}}, "400"),
    ({"path": "/sparql", "query_string": {"query": "SELECT * {}", "timeout": "x"}}, "400"),
    (
        {
            "path": "/sparql",
            "method": "POST",
            "data": "x",
            "headers": {"Content-Type": "text/plain"},
        },
        "415",
    ),
    (
        {
            "path": "/sparql",
            "query_string": {"query": "SELECT * {}"},
            "headers": {"Accept": "image/png"},
        },
        "406",
    ),
    ({"path": "/sparql", "query_string": {"update": "DROP ALL"}}, "400"),
    (
        {
            "path": "/sparql",
            "query_string": {"query": "SELECT * {}", "default-graph-uri": "http://elsewhere/g"},
        },
        "400",
    ),
]


@pytest.mark.parametrize(("request_", "status"), ERRORS)
def test_errors_are_answered_by_the_app(
    counted: tuple[Flask, list[str]], request_: dict[str, Any], status: str
) -> None:
    app, seen = counted
    fast = call(app, **request_)
    assert seen == ["flask"]  # the app's own error handling answered it
    plain = call(without_fast_path(app), **request_)
    assert fast[0].startswith(status) and fast[0] == plain[0]
    assert fast[1] == plain[1] and fast[2] == plain[2]
    assert b"Traceback" not in fast[2]


@pytest.mark.parametrize(
    "request_",
    [
        {"path": "/sparql"},  # the service description
        {"path": "/sparql", "headers": {"Accept": "text/html"}},  # the query page
        {"path": "/sparql", "method": "HEAD", "query_string": {"query": "ASK {}"}},
        {
            "path": "/sparql",
            "query_string": {"query": "ASK {}"},
            "headers": {"Origin": "https://example.org"},
        },  # a browser: CORS by the app
        {"path": "/healthz"},
    ],
)
def test_everything_else_goes_to_the_app(
    counted: tuple[Flask, list[str]], request_: dict[str, Any]
) -> None:
    app, seen = counted
    status, _, _ = call(app, **request_)
    assert status == "200 OK" and seen == ["flask"]


def test_a_client_request_id_is_echoed_and_a_bad_one_replaced(
    counted: tuple[Flask, list[str]],
) -> None:
    app, _ = counted
    environ = EnvironBuilder(
        path="/sparql", query_string={"query": "ASK {}"}, headers={"X-Request-Id": "abc-123"}
    ).get_environ()
    _, _, headers = run_wsgi_app(app, environ, buffered=True)
    assert headers["X-Request-Id"] == "abc-123"
    environ = EnvironBuilder(
        path="/sparql", query_string={"query": "ASK {}"}, headers={"X-Request-Id": "<script>"}
    ).get_environ()
    _, _, headers = run_wsgi_app(app, environ, buffered=True)
    assert len(headers["X-Request-Id"]) == 16 and "<" not in headers["X-Request-Id"]


def test_a_restricted_cors_setting_leaves_every_request_to_the_app(
    in_process_engine: Engine, tiny_settings: Settings
) -> None:
    app = create_app(
        tiny_settings.replace(cors_origins="https://example.org"),
        {"CAKG_ENGINE": in_process_engine, "TESTING": True},
    )
    seen = counting(app)
    status, _, _ = call(app, path="/sparql", query_string={"query": "ASK {}"})
    assert status == "200 OK" and seen == ["flask"]
