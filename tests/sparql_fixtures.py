"""Fixtures of the SPARQL endpoint tests, to be merged into conftest.py by the lead.

`app` / `client` / `live_server` run the real app (worker pool included) on the tiny build;
`limited_app` / `limited_server` run it with small limits (timeout, rows, lengths);
`engine` is an in-process engine of each kind on the tiny build.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from cakg.build import BuildResult
from cakg.config import Settings
from cakg.engine import Engine, open_engine
from cakg.web import create_app

LIMITS = {
    "query_timeout": 2.0,
    "max_rows": 3,
    "max_query_length": 200_000,
    "max_request_bytes": 300_000,
    "query_memory_mb": 256,
    "result_cache": False,
}


@pytest.fixture(scope="session")
def app(built: BuildResult, tiny_settings: Settings) -> Iterator[Flask]:
    """The real app on the tiny build, its query workers included."""
    app = create_app(tiny_settings, {"TESTING": True})
    yield app
    app.extensions["cakg.engine"].close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def serve_in_thread(app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


@pytest.fixture(scope="session")
def live_server(app: Flask) -> Iterator[str]:
    """The app on 127.0.0.1 at a free port, for real clients (SPARQLWrapper, urllib)."""
    yield from serve_in_thread(app)


@pytest.fixture(scope="session", params=["oxigraph", "rdflib"])
def limited_settings(request: pytest.FixtureRequest, tiny_settings: Settings) -> Settings:
    return tiny_settings.replace(engine=request.param, **LIMITS)


@pytest.fixture(scope="session")
def limited_app(built: BuildResult, limited_settings: Settings) -> Iterator[Flask]:
    """The app with a 2 s timeout, 3 rows, 256 MB per worker, no result cache."""
    app = create_app(limited_settings, {"TESTING": True})
    yield app
    app.extensions["cakg.engine"].close()


@pytest.fixture(scope="session")
def limited_server(limited_app: Flask) -> Iterator[str]:
    yield from serve_in_thread(limited_app)


@pytest.fixture(scope="session", params=["oxigraph", "rdflib"])
def engine(request: pytest.FixtureRequest, built: BuildResult, tiny_settings: Settings) -> Engine:
    """An in-process engine of each kind on the tiny build."""
    return open_engine(tiny_settings.replace(engine=request.param))
