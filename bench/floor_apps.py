"""Reference web apps over pyoxigraph: how fast a Python endpoint can be on this machine.

    NQ=build/current/cakg.nq .venv/bin/granian --interface wsgi --factory bench.floor_apps:wsgi_app
    (the same with bench.floor_apps:flask_app; --interface rsgi with bench.floor_apps:rsgi_app)

They answer a query (the POST body, or GET's `query`) over the union of the named graphs, as
SPARQL JSON, and do nothing else: no protocol checks, no content negotiation, no limits, no
request id, no access log. They are not endpoints; `bench_endpoint.py --floor` runs them beside
cakg and Oxigraph server so that cakg's serving path can be compared with the least any
Python layer costs:

- `wsgi_app`: a bare WSGI callable, the floor;
- `flask_app`: a minimal Flask view, the baseline the endpoint issue quotes ("a minimal Flask
  app over pyoxigraph");
- `rsgi_app`: the same as `wsgi_app` on granian's own interface (RSGI), which skips the WSGI
  environ and start_response: whether the server interface, not the app, is what costs.

Each granian worker process loads its own in-memory store from the N-Quads file in $NQ.
"""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from pyoxigraph import QueryResultsFormat, RdfFormat, Store

JSON = "application/sparql-results+json"


def _store() -> Store:
    store = Store()
    store.bulk_load(path=os.environ["NQ"], format=RdfFormat.N_QUADS)
    return store


def _answer(store: Store, query: str) -> bytes:
    solutions = store.query(query, use_default_graph_as_union=True)
    return bytes(solutions.serialize(format=QueryResultsFormat.JSON))


def wsgi_app() -> Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]:
    store = _store()

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length:
            query = environ["wsgi.input"].read(length).decode()
        else:
            query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))["query"][0]
        body = _answer(store, query)
        start_response("200 OK", [("Content-Type", JSON), ("Content-Length", str(len(body)))])
        return [body]

    return app


def flask_app() -> Any:
    from flask import Flask, Response, request

    store = _store()
    app = Flask(__name__)

    @app.route("/sparql", methods=["GET", "POST"])
    def sparql() -> Response:
        if request.method == "POST":
            query = request.get_data(as_text=True)
        else:
            query = request.args["query"]
        return Response(_answer(store, query), mimetype=JSON)

    return app


def rsgi_app() -> Callable[[Any, Any], Awaitable[None]]:
    store = _store()

    async def app(scope: Any, proto: Any) -> None:
        if scope.method == "POST":
            query = (await proto()).decode()
        else:
            query = urllib.parse.parse_qs(scope.query_string)["query"][0]
        proto.response_bytes(200, [("content-type", JSON)], _answer(store, query))

    return app
