"""The Flask application factory: config, engine, request ids, security headers, CORS, error
handlers, blueprints.

Registering a blueprint is one line in BLUEPRINTS ("module:attribute"). Blueprints find the
settings in `current_app.config["CAKG_SETTINGS"]` and the engine in
`current_app.extensions["cakg.engine"]`. The plain /sparql query request is answered by a WSGI
middleware in front of them (cakg.web.fast_sparql).

Security headers are set here only: every response says `X-Content-Type-Options: nosniff`,
every HTML response carries CONTENT_SECURITY_POLICY (scripts from the app's own files only, no
inline script or style, nothing from elsewhere). Templates pass every href that comes from data
through the `safe_href` filter (cakg.web.linked_view.safe_href), so only http(s) IRIs become
links.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, g, request
from flask_cors import CORS

from cakg.config import Settings
from cakg.engine import Engine, open_engine
from cakg.errors import BuildMissingError
from cakg.release import load_manifest
from cakg.web.errors import register_error_handlers
from cakg.web.fast_sparql import NOSNIFF, FastSparql
from cakg.web.linked_view import safe_href
from cakg.web.request_ids import REQUEST_ID, request_id

BLUEPRINTS = (
    "cakg.web.sparql:bp",
    "cakg.web.saved:bp",
    "cakg.web.linked:bp",
    "cakg.web.ui:bp",
)
EXPOSED_HEADERS = [REQUEST_ID, "X-Result-Truncated", "X-Result-Row-Limit", "Retry-After"]
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
# {style} is the hash of the stylesheet the ontology and shapes documentation inline (they are
# standalone pages, written at build time); no other inline style is allowed.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' {style}; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'"
)


def create_app(
    settings: Settings | None = None, test_config: Mapping[str, Any] | None = None
) -> Flask:
    """The cakg web application over the current build.

    `test_config` may hold Flask settings and `CAKG_ENGINE`, an engine to use instead of opening
    the worker pool (the caller then closes it).
    """
    settings = settings or Settings.from_env()
    app = Flask(__name__)
    app.config.from_mapping(
        CAKG_SETTINGS=settings,
        MAX_CONTENT_LENGTH=settings.max_request_bytes,
        MAX_FORM_MEMORY_SIZE=settings.max_request_bytes,
    )
    if test_config:
        app.config.update(test_config)
    engine: Engine = app.config.get("CAKG_ENGINE") or open_engine(settings, isolated=True)
    app.extensions["cakg.engine"] = engine
    _init_request_ids(app)
    _init_security_headers(app)
    register_error_handlers(app)
    if settings.cors:
        origins = [o.strip() for o in settings.cors_origins.split(",") if o.strip()]
        CORS(
            app,
            origins=origins,
            send_wildcard=origins == ["*"],
            expose_headers=EXPOSED_HEADERS,
            max_age=86400,
        )
    for target in BLUEPRINTS:
        module, _, attribute = target.partition(":")
        app.register_blueprint(getattr(importlib.import_module(module), attribute))
    app.wsgi_app = FastSparql(app, app.wsgi_app, engine, settings)  # type: ignore[method-assign]
    return app


def _init_request_ids(app: Flask) -> None:
    """Each request gets an id (the client's X-Request-Id when sane), sent back in a header."""

    @app.before_request
    def assign_request_id() -> None:
        g.request_id = request_id(request.headers.get(REQUEST_ID))

    @app.after_request
    def send_request_id(response: Response) -> Response:
        response.headers[REQUEST_ID] = g.get("request_id") or ""
        return response


def _init_security_headers(app: Flask) -> None:
    """nosniff on every response, the content security policy on every HTML one; the
    `safe_href` filter for the templates."""
    style = ""  # the docs' inline stylesheet, allowed by the hash the build recorded
    with contextlib.suppress(BuildMissingError):
        style = load_manifest(app.config["CAKG_SETTINGS"]).get("docs_style", "")
    csp = CONTENT_SECURITY_POLICY.format(style=style)
    app.add_template_filter(safe_href, "safe_href")

    @app.after_request
    def send_security_headers(response: Response) -> Response:
        response.headers[NOSNIFF[0]] = NOSNIFF[1]
        if response.mimetype in HTML_TYPES:
            response.headers["Content-Security-Policy"] = csp
        return response
