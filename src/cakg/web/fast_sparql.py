"""The common /sparql request answered without Flask's per-request machinery.

A query over the protocol is the endpoint's hot path: for a point lookup Flask's request and
app contexts, hooks, routing and response object cost more than the query does. This
WSGI middleware (installed as `app.wsgi_app`, Flask's place for middleware) answers a GET or
POST to /sparql that carries a query itself, with the blueprint's own functions
(`sparql.read_query`, `sparql.answer_query`), so the protocol is written once. It adds what the
app's hooks would: the request id, and the CORS headers the app sends to a request without an
Origin (learnt once from the app itself, not re-implemented).

Everything else goes to the app untouched: other paths and methods, no query (the service
description or the query page), a browser's request (it has an Origin, or it is a GET whose
Accept prefers HTML: the editor page shows that query, `cakg.web.ui.prefers_page`), a CORS
setting other than the default wildcard. An error raised here is answered by the app's own
error handling (its status table, hooks and CORS), inside a request context of the same
request, without evaluating the query again.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask
from werkzeug.wrappers import Request

from cakg.config import Settings
from cakg.web.request_ids import REQUEST_ID
from cakg.web.sparql import answer_query, read_query
from cakg.web.state import served_engine
from cakg.web.ui import prefers_page

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
PATH = "/sparql"
NOSNIFF = ("X-Content-Type-Options", "nosniff")  # on every response (the app's hook adds it)


class FastSparql:
    """WSGI middleware: answer the plain /sparql query request here, pass the rest to `app`."""

    def __init__(self, flask_app: Flask, app: WSGIApp, settings: Settings) -> None:
        """`app` is the Flask app's own wsgi_app, which this middleware wraps (behind
        state.RequestScope, which gives each request its id, context and release)."""
        self.flask_app = flask_app
        self.app = app
        self.settings = settings
        self.enabled = not settings.cors or settings.cors_origins.strip() == "*"
        self._cors: list[tuple[str, str]] | None = None  # learnt from the app on first use

        class LimitedRequest(Request):
            max_content_length = settings.max_request_bytes
            max_form_memory_size = settings.max_request_bytes

        self._request_class = LimitedRequest

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if (
            not self.enabled
            or environ.get("PATH_INFO") != PATH
            or environ.get("REQUEST_METHOD") not in ("GET", "POST")
            or "HTTP_ORIGIN" in environ
            or (environ["REQUEST_METHOD"] == "GET" and prefers_page(environ.get("HTTP_ACCEPT")))
        ):
            return self.app(environ, start_response)
        request = self._request_class(environ)
        body = b""  # read once, kept for the app (an oversized body is never read)
        try:
            body = request.get_data(cache=True, parse_form_data=False)
            query, params = read_query(request)
            if query is None:
                return self._replay(environ, body, start_response)
            engine = served_engine(environ, self.settings)
            answer, headers = answer_query(
                query, params, request.headers.get("Accept"), engine, self.settings
            )
        except Exception as e:  # the app's error handling answers it
            return self._error(e, environ, body, start_response)
        headers += [
            ("Content-Length", str(len(answer))),
            *self._cors_headers(),
            (REQUEST_ID, environ["HTTP_X_REQUEST_ID"]),
            NOSNIFF,
        ]
        start_response("200 OK", headers)
        return [answer]

    def _replay(
        self, environ: dict[str, Any], body: bytes, start_response: Callable[..., Any]
    ) -> Any:
        """The request, with the body already read, passed to the app."""
        replayed = dict(environ)
        replayed["wsgi.input"] = io.BytesIO(body)
        return self.app(replayed, start_response)

    def _error(
        self,
        error: Exception,
        environ: dict[str, Any],
        body: bytes,
        start_response: Callable[..., Any],
    ) -> Any:
        """The app's response to `error` raised while answering this request."""
        replayed = dict(environ)
        replayed["wsgi.input"] = io.BytesIO(body)
        app = self.flask_app
        with app.request_context(replayed):
            try:
                early = app.preprocess_request()  # the request id, as for any request
                result = early if early is not None else app.handle_user_exception(error)
                response = app.finalize_request(result)
            except Exception as unexpected:  # a bug: the app's 500
                response = app.handle_exception(unexpected)
        return response(replayed, start_response)

    def _cors_headers(self) -> list[tuple[str, str]]:
        """The Access-Control-* headers the app's hooks add to a response to a request
        without an Origin (flask-cors, configured in create_app)."""
        if self._cors is None:
            app = self.flask_app
            with app.test_request_context(PATH):
                response = app.process_response(app.response_class())
            self._cors = [
                (name, value)
                for name, value in response.headers.items()
                if name.lower().startswith("access-control-")
            ]
        return self._cors
