"""The remote engine: a real Oxigraph server holding the published tiny build, and HTTP mocks.

The endpoint, saved-query, linked-data and limits tests run in remote mode too, through the
`engine_kind` parameter of conftest.py's fixture chain; the tests here are the remote engine's
own, on the "remote" kind only.
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from flask import Flask
from flask.testing import FlaskClient
from pyoxigraph import QueryBoolean, QuerySolution, QuerySolutions
from rdflib import URIRef

from cakg.build import BuildResult
from cakg.config import Settings
from cakg.engine import Engine, open_engine
from cakg.engine.base import Formats, QueryDataset
from cakg.engine.guard import inspect_query
from cakg.engine.remote import RemoteEngine
from cakg.errors import BadQuery, ConfigError, QueryTimeout
from cakg.media import NTRIPLES, TSV
from cakg.media import SPARQL_JSON as JSON
from cakg.namespaces import INFERRED_GRAPH
from cakg.sparql_terms import bind_values
from cakg.store.client import EMPTY_GRAPH, StoreClient
from cakg.store.endpoints import Endpoints, store_auth, store_endpoints
from cakg.store.profiles import PROFILES
from cakg.store.release_graph import (
    ASSERTED_GRAPH,
    OWL_VERSION_INFO,
    RELEASE_GRAPH,
    UNION_GRAPH,
    StoreRelease,
    staged_name,
)
from cakg.store.response import StoreError
from cakg.web.state import EXTENSION
from tests import test_limits

# the tests that use `engine` or `client` run on the remote kind only
ON_THE_REMOTE_ENGINE = pytest.mark.parametrize("engine_kind", ["remote"], indirect=True)


@ON_THE_REMOTE_ENGINE
def test_the_remote_kind_runs_the_app_on_the_remote_engine(app: Flask, engine: Engine) -> None:
    """What makes the endpoint, saved-query, linked-data and limits tests run in remote mode."""
    assert isinstance(engine, RemoteEngine) and app.extensions[EXTENSION].current.engine is engine


@ON_THE_REMOTE_ENGINE
def test_remote_healthz(client: FlaskClient, built: BuildResult) -> None:
    body = client.get("/healthz").get_json()
    assert body["status"] == "ok" and body["engine"] == "remote"
    assert body["version"] == built.manifest["version"] and body["workers"] is None
    assert body["store_profile"] == "oxigraph"  # detected from the Oxigraph server's header


@pytest.mark.parametrize(
    "url, profile, query, update, gsp",
    [
        ("http://127.0.0.1:7878", "oxigraph", "http://127.0.0.1:7878/query", "/update", "/store"),
        ("http://h:1/query", "oxigraph", "http://h:1/query", "/update", "/store"),
        ("http://h:1/query", "standard", "http://h:1/query", "/update", "/store"),
        ("http://h:1/ds/sparql", "standard", "http://h:1/ds/sparql", "/ds/update", "/ds/data"),
        ("http://h:1/sparql", "virtuoso", "http://h:1/sparql", "/sparql", "/sparql-graph-crud"),
        (
            "http://h:1/sparql-auth", "virtuoso", "http://h:1/sparql-auth", "/sparql-auth",
            "/sparql-graph-crud-auth",
        ),
        ("http://h:1/ds/sparql", "oxigraph", "http://h:1/ds/sparql", None, None),
        ("https://h/endpoint", "standard", "https://h/endpoint", None, None),
    ],
)  # fmt: skip
def test_store_endpoints(
    url: str, profile: str, query: str, update: str | None, gsp: str | None
) -> None:
    """The update and Graph Store endpoints a store's profile finds beside its query endpoint."""
    endpoints = store_endpoints(url).completed(PROFILES[profile])
    assert endpoints.query == query
    assert (endpoints.update or "").endswith(update or "") and bool(endpoints.update) == bool(
        update
    )
    assert (endpoints.gsp or "").endswith(gsp or "") and bool(endpoints.gsp) == bool(gsp)
    given = store_endpoints(url, "http://u/", "http://g/").completed(PROFILES[profile])
    assert (given.update, given.gsp) == ("http://u/", "http://g/")
    with pytest.raises(ConfigError):
        store_endpoints("ftp://h/query")


@ON_THE_REMOTE_ENGINE
def test_version_and_graphs_come_from_the_store(
    engine: Engine, built: BuildResult, remote_settings: Settings
) -> None:
    assert engine.version == built.manifest["version"]
    assert sorted(engine.graph_names()) == sorted(built.manifest["graphs"])
    assert RELEASE_GRAPH not in engine.graph_names()
    assert ASSERTED_GRAPH not in engine.graph_names()


@ON_THE_REMOTE_ENGINE
def test_internal_graphs_stay_hidden(engine: Engine) -> None:
    graphs = engine.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }").rows
    names = {str(g) for (g,) in graphs}
    assert names and not any(n.startswith("urn:x-cakg:") or "?release=" in n for n in names)
    asked = engine.query(f"SELECT (COUNT(*) AS ?n) FROM <{ASSERTED_GRAPH}> WHERE {{ ?s ?p ?o }}")
    assert int(asked.rows[0][0]) == 0  # type: ignore[arg-type]


@ON_THE_REMOTE_ENGINE
def test_a_slow_query_is_abandoned_at_the_deadline(engine: Engine) -> None:
    started = time.monotonic()
    with pytest.raises(QueryTimeout) as caught:
        engine.query(test_limits.SLOW, timeout=0.5)
    assert caught.value.limit == 0.5 and time.monotonic() - started < 0.5 + 1
    assert engine.query(test_limits.CHEAP).boolean is True  # the store goes on answering


@ON_THE_REMOTE_ENGINE
def test_remote_syntax_error_keeps_its_position(engine: Engine) -> None:
    with pytest.raises(BadQuery) as caught:
        engine.query("SELECT ?s WHERE {\n  ?s ?p ?o ?x }")
    assert caught.value.line == 2 and (caught.value.column or 0) > 1
    assert "syntax error at line 2" in str(caught.value)


@pytest.mark.parametrize(
    "sparql, expected",
    [
        ("SELECT ?x WHERE { ?x ?p ?o }", "SELECT ?x WHERE { VALUES (?x) { (<urn:a>) }  ?x ?p ?o }"),
        ("ASK { ?x ?p ?o }", "ASK { VALUES (?x) { (<urn:a>) }  ?x ?p ?o }"),
        (
            "CONSTRUCT { ?x ?p ?o } WHERE { ?x ?p ?o }",
            "CONSTRUCT { ?x ?p ?o } WHERE { VALUES (?x) { (<urn:a>) }  ?x ?p ?o }",
        ),
        (
            'SELECT ?x { ?x ?p "}{ WHERE" { SELECT ?x WHERE { ?x ?q ?r } } }',
            'SELECT ?x { VALUES (?x) { (<urn:a>) }  ?x ?p "}{ WHERE" '
            "{ SELECT ?x WHERE { ?x ?q ?r } } }",
        ),
    ],
)
def test_bindings_become_a_values_block(sparql: str, expected: str) -> None:
    assert bind_values(sparql, {"x": URIRef("urn:a")}, None) == expected


def test_bindings_need_a_where_group() -> None:
    with pytest.raises(BadQuery):
        bind_values("CONSTRUCT WHERE { ?x ?p ?o }", {"x": URIRef("urn:a")}, "CONSTRUCT")
    with pytest.raises(BadQuery):
        bind_values("DESCRIBE <urn:a>", {"x": URIRef("urn:a")}, "DESCRIBE")


def test_unreachable_store_is_a_clear_error(tiny_settings: Settings, built: BuildResult) -> None:
    from tests.conftest import free_port

    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(StoreError) as caught:
        open_engine(tiny_settings.replace(store_url=url))
    assert caught.value.url == f"{url}/query" and "unreachable" in str(caught.value)


def _recording_store(seen: list[httpx.Request], status: int = 200) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        body = b"?s\t?p\t?o\n" if status == 200 else b"go away"
        return httpx.Response(
            status, content=body, headers={"content-type": "text/tab-separated-values"}
        )

    return httpx.MockTransport(handle)


@pytest.mark.parametrize(
    "env, header",
    [
        ({"CAKG_STORE_TOKEN": "t0k"}, "Bearer t0k"),
        ({"CAKG_STORE_USER": "ann", "CAKG_STORE_PASSWORD": "pw"}, "Basic YW5uOnB3"),
        ({}, None),
    ],
)
def test_credentials_come_from_the_environment(env: dict[str, str], header: str | None) -> None:
    seen: list[httpx.Request] = []
    fallback = StoreRelease("v1", ("urn:g",), False)
    engine = RemoteEngine(
        "http://store.invalid/query",
        fallback=fallback,
        auth=store_auth(env),
        transport=_recording_store(seen),
    )
    engine.close()
    assert seen[0].headers.get("Authorization") == header
    assert engine.version == "v1"


@pytest.mark.parametrize("status", [401, 403, 500, 502])
def test_store_failures_name_the_url_and_status(status: int) -> None:
    seen: list[httpx.Request] = []
    with pytest.raises(StoreError) as caught:
        RemoteEngine("http://store.invalid/query", transport=_recording_store(seen, status))
    assert caught.value.status == status
    assert f"http://store.invalid/query answered {status}" in str(caught.value)


@ON_THE_REMOTE_ENGINE
def test_the_dataset_is_always_named(engine: Any) -> None:
    """The default graph is the asserted union (plus the inferred graph), named explicitly."""
    release = engine.release()
    assert release.published and release.union == staged_name(ASSERTED_GRAPH, release.version)
    ask = inspect_query("ASK {}")
    everything = engine._dataset_params(QueryDataset(), ask, "ASK {}", release)
    assert everything["default-graph-uri"] == [release.union, str(INFERRED_GRAPH)]
    asserted = engine._dataset_params(QueryDataset(inference=False), ask, "ASK {}", release)
    assert asserted["default-graph-uri"] == [release.union]
    assert str(INFERRED_GRAPH) not in asserted["named-graph-uri"]


@pytest.mark.parametrize(
    "lines, version, union",
    [
        ([f'<{OWL_VERSION_INFO}>\t"v1"'], "v1", ASSERTED_GRAPH),  # published before the union name
        (
            [f'<{OWL_VERSION_INFO}>\t"v2"', f"<{UNION_GRAPH}>\t<urn:u?release=v2>"],
            "v2",
            "urn:u?release=v2",
        ),
        ([f'<{OWL_VERSION_INFO}>\t""'], "", EMPTY_GRAPH),  # a first publish is uploading
    ],
)
def test_the_release_graph_names_the_union_graph(
    lines: list[str], version: str, union: str
) -> None:
    body = "?s\t?p\t?o\n" + "".join(f"<{RELEASE_GRAPH}>\t{line}\n" for line in lines)

    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text=body, headers={"content-type": "text/tab-separated-values"})

    engine = RemoteEngine("http://store.invalid/query", transport=httpx.MockTransport(handle))
    engine.close()
    release = engine.release()
    assert (release.version, release.union, release.published) == (version, union, True)
    default = engine._dataset_params(QueryDataset(), inspect_query("ASK {}"), "ASK {}", release)
    assert default["default-graph-uri"] == [union]


@ON_THE_REMOTE_ENGINE
@pytest.mark.parametrize(
    "sparql, reads_named",
    [
        ("ASK { ?s ?p ?o }", False),
        ('ASK { ?s <urn:graph> "GRAPH" } # GRAPH in a comment', False),
        ("PREFIX graph: <urn:x#> ASK { ?s graph:p ?graph }", False),
        ("ASK { GRAPH ?g { ?s ?p ?o } }", True),
        ("ask { graph <urn:g> { ?s ?p ?o } }", True),
    ],
)
def test_named_graphs_are_sent_only_to_a_query_with_a_graph_pattern(
    engine: Any, sparql: str, reads_named: bool
) -> None:
    """Thousands of named-graph-uri on every query doubled its time at 10^6 (3 178 graphs)."""
    params = engine._dataset_params(QueryDataset(), inspect_query(sparql), sparql, engine.release())
    expected = list(engine.graph_names()) if reads_named else [EMPTY_GRAPH]
    assert params["named-graph-uri"] == expected
    assert len(params["default-graph-uri"]) == 2  # the union and the inferred graph either way


# --- a store that answers what the protocol does not say: a StoreError naming it and the request --


Answer = tuple[int, str, bytes]  # status, content type ("": none), body
RELEASE_ROWS = f'?s\t?p\t?o\n<{RELEASE_GRAPH}>\t<{OWL_VERSION_INFO}>\t"v1"\n'.encode()
RELEASE_QUERY = "the SELECT query `SELECT ?p ?o WHERE { { GRAPH <urn:x-cakg:release> {"


@pytest.fixture
def odd_store() -> Iterator[tuple[str, dict[str, Answer]]]:
    """A stand-in store on 127.0.0.1: `answers["release"]` to the release graph's query (a
    release, v1), `answers["other"]` to every other request."""
    answers: dict[str, Answer] = {"release": (200, TSV, RELEASE_ROWS), "other": (200, TSV, b"")}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            query = parse_qs(self.rfile.read(length).decode()).get("query", [""])[0]
            if "?switching" in query:  # the version and switch mark, read after each answer
                status, media_type, body = 200, TSV, b'?version\t?switching\n"v1"\t\n'
            else:
                status, media_type, body = answers["release" if RELEASE_GRAPH in query else "other"]
            self.send_response(status)
            if media_type:
                self.send_header("Content-Type", media_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # not on the test's stderr

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/query", answers
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


@pytest.mark.server
@pytest.mark.parametrize(
    "answer, says",
    [
        ((200, "text/html", b"<html>down for maintenance</html>"), "the answer is text/html ("),
        ((200, "", b""), "the answer is without a content type"),
        ((200, TSV, b"<html>"), "unreadable text/tab-separated-values results"),
        ((200, TSV, b'?s\t?p\t?o\n<urn:s>\t<urn:p>\t"open\n'), "unreadable"),  # a bad row
        ((200, JSON, b'{"head": {}, "boolean": true}'), "expected solutions, got QueryBoolean"),
    ],
)
def test_an_odd_answer_to_the_release_graph_query_names_the_store_and_the_request(
    odd_store: tuple[str, dict[str, Answer]], answer: Answer, says: str
) -> None:
    url, answers = odd_store
    answers["release"] = answer
    with pytest.raises(StoreError) as caught:
        RemoteEngine(url)
    error = caught.value
    assert error.url == url and error.status is None and says in error.reason
    assert (error.request or "").startswith(RELEASE_QUERY)
    assert str(error).startswith(f"the SPARQL store at {url} ({RELEASE_QUERY}")


@pytest.mark.server
@pytest.mark.parametrize(
    "sparql, answer, says",
    [
        ("SELECT * { ?s ?p ?o }", (200, "text/html", b"no"), "the answer is text/html ('no')"),
        ("SELECT * { ?s ?p ?o }", (200, TSV, b'?s\n<urn:a>\n"open\n'), "unreadable"),
        ("ASK { ?s ?p ?o }", (200, TSV, b"?s\n"), "expected a boolean, got QuerySolutions"),
        ("CONSTRUCT WHERE { ?s ?p ?o }", (200, JSON, b'{"boolean": true}'), "not RDF"),
        ("CONSTRUCT WHERE { ?s ?p ?o }", (200, NTRIPLES, b"<urn:a> <urn:b> .\n"), "unreadable"),
        ("SELECT * { ?s ?p ?o }", (500, "text/plain", b"out of disk"), "out of disk"),
    ],
)
def test_an_odd_answer_to_a_query_is_a_store_error(
    odd_store: tuple[str, dict[str, Answer]], sparql: str, answer: Answer, says: str
) -> None:
    url, answers = odd_store
    answers["other"] = answer
    engine = RemoteEngine(url)
    try:
        for run in (
            lambda: engine.query(sparql),
            lambda: engine.answer(sparql, formats=Formats(JSON, "text/turtle")),
        ):
            with pytest.raises(StoreError) as caught:
                run()
            error = caught.value
            assert error.url == url and says in error.reason
            request = f"the {sparql.split()[0]} query `{sparql}`"
            assert error.request == request and request in str(error)
            assert error.status == (answer[0] if answer[0] >= 400 else None)
    finally:
        engine.close()


PYOXIGRAPH_RESULTS = (QuerySolutions, QuerySolution, QueryBoolean)


@pytest.mark.server
@pytest.mark.parametrize(
    "sparql, answer",
    [
        ("SELECT * { ?s ?p ?o }", (200, TSV, b'?s\n<urn:a>\n"open\n')),  # a bad row
        ("ASK { ?s ?p ?o }", (200, TSV, b"?s\n")),  # solutions for an ASK
        ("SELECT * { ?s ?p ?o }", (200, JSON, b'{"head": {}, "boolean": true}')),
        ("SELECT * FROM <urn:g> { ?s ?p ?o }", (200, TSV, b"?s\n<urn:a>\n")),  # rdflib parses
    ],
)
def test_no_pyoxigraph_result_outlives_its_query_in_an_error_or_a_cycle(
    odd_store: tuple[str, dict[str, Answer]], sparql: str, answer: Answer
) -> None:
    """pyoxigraph's results may only be freed by the thread that made them. A failed answer's
    traceback (kept by whoever handles the error), or a reference cycle left by rdflib's
    parser, must not hold one for a garbage collection in another thread (a web server's):
    there freeing it raises 'unsendable ... dropped on another thread' and leaks it."""
    url, answers = odd_store
    answers["other"] = answer
    engine = RemoteEngine(url)
    errors = []
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        for run in (
            lambda: engine.query(sparql),
            lambda: engine.answer(sparql, formats=Formats(JSON, "text/turtle")),
        ):
            try:
                run()
            except StoreError as e:
                errors.append(e)  # kept, as an error handler may keep it
        gc.collect()
        left = [type(o).__name__ for o in gc.garbage if isinstance(o, PYOXIGRAPH_RESULTS)]
        held = [
            type(o).__name__
            for error in errors
            for o in _frame_locals(error.__traceback__)
            if isinstance(o, PYOXIGRAPH_RESULTS)
        ]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        engine.close()
    assert (left, held) == ([], [])


def _frame_locals(tb: Any) -> list[Any]:
    """Every local value of every frame a traceback passes through."""
    found = []
    while tb is not None:
        found.extend(tb.tb_frame.f_locals.values())
        tb = tb.tb_next
    return found


@pytest.mark.server
def test_a_refused_upload_names_the_graph_store_request(
    odd_store: tuple[str, dict[str, Answer]],
) -> None:
    url, answers = odd_store
    answers["other"] = (500, "text/plain", b"read-only")
    base = url.removesuffix("/query")
    store = StoreClient(Endpoints(url, f"{base}/update", f"{base}/store"), profile="oxigraph")
    try:
        with pytest.raises(StoreError) as caught:
            store.add_quads([(b"<urn:s> <urn:p> <urn:o>", b"<urn:g>")])
        assert caught.value.url == f"{base}/store" and caught.value.status == 500
        assert "answered 500 to an N-Quads POST of 1 quads: read-only" in str(caught.value)
        with pytest.raises(StoreError) as caught:
            store.drop_graphs(["urn:g"])
        assert caught.value.request == "the update `DROP SILENT GRAPH <urn:g>`"
    finally:
        store.close()
