"""The Flask application factory: config, the served release, request ids, security headers,
CORS, error handlers, blueprints.

Blueprints find the settings, the request's release and its engine through cakg.web.state
(`state.settings()`, `state.release()`, `state.engine()`). In front of the app, two WSGI
middlewares: state.RequestScope (each request's id, context and release) and
cakg.web.fast_sparql (the plain /sparql query request, answered without Flask's machinery).

Security headers are set here only: every response says `X-Content-Type-Options: nosniff`,
every HTML response carries CONTENT_SECURITY_POLICY (scripts from the app's own files only, no
inline script or style, nothing from elsewhere). Templates pass every href that comes from data
through the `safe_href` filter (cakg.web.linked_view.safe_href), so only http(s) IRIs become
links.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from typing import Any

from flask import Flask, Response, g, request
from flask_cors import CORS

from cakg.config import Settings
from cakg.engine import Engine, open_engine
from cakg.errors import BuildMissingError
from cakg.media import HTML_TYPES
from cakg.release import Release
from cakg.site_nav import SEARCH_PATH, SITE_NAV
from cakg.web import (
    dataset,
    editor,
    entity_search,
    neighbourhood,
    pages,
    reconcile,
    results,
    saved,
    sparql,
    state,
    ui,
    vocab,
)
from cakg.web.errors import register_error_handlers
from cakg.web.fast_sparql import NOSNIFF, FastSparql
from cakg.web.linked_view import safe_href
from cakg.web.request_ids import REQUEST_ID, request_id
from cakg.web.state import EXTENSION, RequestScope, ServedReleases

BLUEPRINTS = (
    sparql.bp, saved.bp, pages.bp, vocab.bp, dataset.bp, ui.bp, entity_search.bp, editor.bp,
    results.bp, neighbourhood.bp, reconcile.bp,
)  # fmt: skip
EXPOSED_HEADERS = [REQUEST_ID, "X-Result-Truncated", "X-Result-Row-Limit", "Retry-After"]
# {style} is the hash of the stylesheet the ontology and shapes documentation inline (they are
# standalone pages, written at build time); no other inline style is allowed.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' {style}; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors {frame}"
)


def create_app(
    settings: Settings | None = None,
    test_config: Mapping[str, Any] | None = None,
    *,
    release_engine: Callable[[Release], Engine] | None = None,
) -> Flask:
    """The cakg web application over the current release, and each release after it.

    `release_engine` makes the engine over a release (by default a worker pool with a zygote
    of its own). `test_config` may hold Flask settings and `CAKG_ENGINE`, one engine to use
    for every release instead (the caller then closes it).
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
    releases = ServedReleases(
        settings,
        release_engine or (lambda release: open_engine(settings, release, isolated=True)),
        app.config.get("CAKG_ENGINE"),
    )
    app.extensions[EXTENSION] = releases
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
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    fast = FastSparql(app, app.wsgi_app, settings)
    app.wsgi_app = RequestScope(fast, releases)  # type: ignore[method-assign]
    return app


def close_app(app: Flask) -> None:
    """Close the app's release and engine (when its last request ends, if one is running)."""
    releases: ServedReleases = app.extensions[EXTENSION]
    releases.close()


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
    """nosniff on every response, the content security policy on every HTML one (allowing the
    docs' inline stylesheet by the hash the build recorded in the request's release); the
    `safe_href` filter and the site's navigation bar (cakg.site_nav) for the templates."""
    app.add_template_filter(safe_href, "safe_href")
    app.jinja_env.globals.update(site_nav=SITE_NAV, search_path=SEARCH_PATH)

    @app.after_request
    def send_security_headers(response: Response) -> Response:
        response.headers[NOSNIFF[0]] = NOSNIFF[1]
        if response.mimetype in HTML_TYPES:
            style = ""
            with contextlib.suppress(BuildMissingError):
                style = state.release().manifest.get("docs_style", "")
            # a view made to be embedded (saved.embed) may be framed by any site
            frame = g.get("frame_ancestors", "'self'")
            response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY.format(
                style=style, frame=frame
            )
        return response
