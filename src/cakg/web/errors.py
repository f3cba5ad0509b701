"""One table from error classes to HTTP statuses; one error path for every blueprint; bodies
styled per blueprint and Accept; no stack traces.

Looked up along the exception's class hierarchy, so the most specific entry wins. Anything not in
the table is a bug: it is logged with its traceback and the request id, and answered with a
generic 500 that names the request id only.

Body styles (`_style`):
- "text" on /sparql (bp "sparql"): the message as text/plain;
- "page" on the home page (ui.home): templates/ui/error.html;
- on the linked-data routes (bp "pages", "vocab", "dataset") a missing resource, a bad parameter
  or no acceptable format is answered in the representation negotiated for the request
  (`g.error_format`, set by cakg.web.negotiation): an HTML page, a Turtle/N-Triples/TriG/N-Quads
  comment, an RDF/XML comment, JSON-LD with an empty graph; "text" when none was chosen yet.
  The HTML page of a resource not found (bp "pages") links to the entities whose names are
  closest to its path's last segment (cakg.web.entity_search.suggestions);
- on /search (bp "entity_search"), JSON or the HTML page, as the request asked;
- JSON `{"error": code, "message": ...}` elsewhere (the API), with `"parameter"` naming the
  parameter of a BadParameter.
Retry-After is sent whatever the style.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from flask import Flask, Response, g, render_template, request
from rdflib import Graph
from werkzeug.exceptions import HTTPException, InternalServerError

from cakg.errors import (
    BadParameter,
    BuildMissingError,
    CakgError,
    NotAcceptable,
    NotFound,
    QueryError,
    QueryResourceError,
    QueryTimeout,
    TooManyQueries,
)
from cakg.media import (
    HTML,
    JSON,
    JSONLD,
    NQUADS,
    NTRIPLES,
    RDF_XML,
    TEXT,
    TRIG,
    TURTLE,
    by_extension,
)
from cakg.web.entity_search import suggestions

log = logging.getLogger("cakg.web")

# class -> (status, seconds for Retry-After or None)
STATUS: dict[type[CakgError], tuple[int, int | None]] = {
    QueryError: (400, None),  # BadQuery, BadParameter, UpdateRefused
    NotFound: (404, None),
    NotAcceptable: (406, None),
    TooManyQueries: (429, 5),
    QueryTimeout: (503, 5),
    QueryResourceError: (503, 5),
    BuildMissingError: (503, 30),
}
# blueprint -> body style; others get JSON {"error": code, "message": ...}
BODY_STYLES = {"sparql": "text"}
# endpoint -> body style, before the blueprint's
PAGE_STYLES = {"ui.home": "page"}
# blueprints whose client errors are answered in the representation negotiated for the request
NEGOTIATED = frozenset({"pages", "vocab", "dataset", "entity_search"})
NEGOTIATED_ERRORS = (NotFound, NotAcceptable, BadParameter)
# error format -> media type of a body that is a comment
COMMENTED = by_extension((TURTLE, NTRIPLES, TRIG, NQUADS))


def status_of(error: CakgError) -> tuple[int, int | None]:
    for cls in type(error).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500, None


def error_response(
    status: int,
    code: str,
    message: str,
    retry_after: int | None = None,
    error: BaseException | None = None,
) -> Response:
    """The error body in the style of the request (see the module's docstring)."""
    style = _style(error)
    if style == "text":
        response = Response(message + "\n", status, content_type=f"{TEXT}; charset=utf-8")
    elif style == "page":
        body = render_template("ui/error.html", status=status, message=message)
        response = Response(body, status, mimetype=HTML)
    elif style == "json":
        fields: dict[str, Any] = {"error": code, "message": message}
        if isinstance(error, BadParameter):
            fields["parameter"] = error.name
        response = Response(json.dumps(fields), status, content_type=JSON)
    else:
        response = _negotiated(style, status, code, message)
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


def _style(error: BaseException | None) -> str:
    """How the body is written: by endpoint, else by blueprint, else JSON."""
    if request.endpoint in PAGE_STYLES:
        return PAGE_STYLES[request.endpoint]
    blueprint = request.blueprint or ""
    if blueprint in NEGOTIATED and isinstance(error, NEGOTIATED_ERRORS):
        return str(g.get("error_format") or "text")
    return BODY_STYLES.get(blueprint, "json")


def _negotiated(key: str, status: int, code: str, message: str) -> Response:
    """An error on a linked-data route in the format negotiated for it (key: html, an extension)."""
    if key == "html":
        suggested = []
        if status == 404 and request.blueprint == "pages" and request.view_args:
            suggested = suggestions(str(request.view_args.get("path", "")))
        body = render_template(
            "linked/error.html", status=status, message=message, suggestions=suggested
        )
        return Response(body, status=status, mimetype=HTML)
    if key == "jsonld":
        body = json.dumps({"@graph": [], "error": code, "message": message})
        return Response(body, status=status, mimetype=JSONLD)
    if key in COMMENTED:
        text = "# " + message.replace("\n", " ") + "\n"
        return Response(text, status=status, mimetype=COMMENTED[key])
    if key == "rdf":
        text = Graph().serialize(format="xml")
        head, _, rest = text.partition("\n")
        body = f"{head}\n<!-- {message.replace('--', '- -')} -->\n{rest}"
        return Response(body, status=status, mimetype=RDF_XML)
    return Response(message + "\n", status=status, mimetype=TEXT)


def _cakg_error(e: CakgError) -> Response:
    status, retry_after = status_of(e)
    if status >= 500 and retry_after is None:
        return _internal(e)
    level = logging.WARNING if status >= 500 else logging.INFO
    log.log(level, "request %s: %s %s", g.get("request_id"), status, e)
    return error_response(status, e.code, str(e), retry_after, e)


def _http_error(e: HTTPException) -> Response:
    if isinstance(e, InternalServerError):
        return _internal(e.original_exception or e)
    code = (e.name or "error").lower().replace(" ", "-")
    response = error_response(e.code or 500, code, e.description or e.name)
    if e.code == 405 and e.valid_methods:  # type: ignore[attr-defined]
        response.headers["Allow"] = ", ".join(e.valid_methods)  # type: ignore[attr-defined]
    return response


def _internal(e: BaseException) -> Response:
    request_id = g.get("request_id")
    log.error("request %s failed", request_id, exc_info=e)
    message = f"internal error: this is a bug; it was logged as request {request_id}"
    return error_response(500, "internal", message)


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(CakgError, _cakg_error)
    app.register_error_handler(HTTPException, _http_error)
