"""One table from error classes to HTTP statuses; bodies styled per blueprint; no stack traces.

Looked up along the exception's class hierarchy, so the most specific entry wins. Anything not in
the table is a bug: it is logged with its traceback and the request id, and answered with a
generic 500 that names the request id only.
"""

from __future__ import annotations

import json
import logging

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException, InternalServerError

from cakg.errors import (
    BuildMissingError,
    CakgError,
    NotAcceptable,
    NotFound,
    QueryError,
    QueryResourceError,
    QueryTimeout,
    TooManyQueries,
)

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


def status_of(error: CakgError) -> tuple[int, int | None]:
    for cls in type(error).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500, None


def error_response(
    status: int, code: str, message: str, retry_after: int | None = None
) -> Response:
    """The error body in the style of the blueprint that handled the request."""
    style = BODY_STYLES.get(request.blueprint or "", "json")
    if style == "text":
        response = Response(message + "\n", status, content_type="text/plain; charset=utf-8")
    else:
        body = json.dumps({"error": code, "message": message})
        response = Response(body, status, content_type="application/json")
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


def _cakg_error(e: CakgError) -> Response:
    status, retry_after = status_of(e)
    if status >= 500 and retry_after is None:
        return _internal(e)
    level = logging.WARNING if status >= 500 else logging.INFO
    log.log(level, "request %s: %s %s", g.get("request_id"), status, e)
    return error_response(status, e.code, str(e), retry_after)


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
