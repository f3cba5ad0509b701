"""Blueprint "saved": the saved-query catalogue as a web API, its OpenAPI document and pages.

GET /queries                 the catalogue (JSON or HTML by Accept)
GET /queries/<name>[.ext]    run one; parameters in the query string; .json .csv .tsv .ttl .html
GET /queries/<name>.rq       the query's text
GET /openapi.json            OpenAPI 3.1 for every saved query; GET /api-docs renders it

URLs are paths, or absolute under Settings.public_url when it is set (`_public`): never built
from the Host header, so that no cache keeps one client's Host for another.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, render_template, request, url_for
from rdflib import URIRef

import cakg
from cakg.engine.base import Engine
from cakg.errors import BadParameter, CakgError, NotAcceptable
from cakg.namespaces import shorten
from cakg.queries import (
    MAX_PER_PAGE,
    Param,
    SavedQuery,
    SavedResult,
    allowed_values,
    find_query,
    load_catalogue,
    run_saved,
)
from cakg.web import state
from cakg.web.errors import status_of

bp = Blueprint("saved", __name__, template_folder="templates")

HTML = "text/html"
RQ = "application/sparql-query"
# Offered representations per query form, in order of preference when the client has none.
OFFERS = {
    "SELECT": {
        "json": "application/sparql-results+json",
        "csv": "text/csv",
        "tsv": "text/tab-separated-values",
        "xml": "application/sparql-results+xml",
        "html": HTML,
    },
    "CONSTRUCT": {
        "ttl": "text/turtle",
        "nt": "application/n-triples",
        "json": "application/ld+json",
        "html": HTML,
    },
}
OFFERS["DESCRIBE"] = OFFERS["CONSTRUCT"]
OFFERS["ASK"] = {"json": OFFERS["SELECT"]["json"], "xml": OFFERS["SELECT"]["xml"], "html": HTML}
EXTENSIONS = {"json", "csv", "tsv", "ttl", "nt", "xml", "html", "rq"}


def _catalogue() -> dict[str, SavedQuery]:
    """The saved queries of the request's release."""
    catalogue: dict[str, SavedQuery] = state.memo(("catalogue",), _load_catalogue)
    return catalogue


def _load_catalogue() -> dict[str, SavedQuery]:
    release = state.release()
    if release.queries.is_dir():  # release/queries: QUERIES_DIR under the release's folder
        return load_catalogue(release.path)
    return load_catalogue(state.settings().root)  # a release built before releases held them


@bp.errorhandler(CakgError)
def _error(e: CakgError) -> Response:
    """The app's status table (web/errors.py), with the parameter named for a BadParameter."""
    status, retry_after = status_of(e)
    if status >= 500 and retry_after is None:
        current_app.logger.exception("saved query failed")
        message = "internal error: the query could not be run"
    else:
        message = str(e)
    body: dict[str, Any] = {"error": e.code, "message": message}
    if isinstance(e, BadParameter):
        body["parameter"] = e.name
    response = jsonify(body)
    response.status_code = status
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


def _public(path: str) -> str:
    """PATH (from url_for) absolute under Settings.public_url when it is set, else as it is."""
    root = state.settings().public_url
    if not root:
        return path
    return root.rstrip("/") + "/" + path[len(request.script_root) :].lstrip("/")


def describe(q: SavedQuery, engine: Engine) -> dict[str, Any]:
    """One catalogue entry: what the gallery and the API docs need to show and run Q."""
    formats = {ext: url_for("saved.run", name=f"{q.name}.{ext}") for ext in OFFERS[q.form]}
    return {
        "name": q.name,
        "summary": q.summary,
        "description": q.description,
        "tags": list(q.tags),
        "view": dict(q.view),
        "method": q.method,
        "form": q.form,
        "variables": list(q.variables),
        "pagination": q.pagination,
        "parameters": [_describe_param(p, engine) for p in q.params],
        "links": {"run": url_for("saved.run", name=q.name), "text": url_for(
            "saved.run", name=f"{q.name}.rq"), "formats": formats},
    }  # fmt: skip


def _describe_param(p: Param, engine: Engine) -> dict[str, Any]:
    values = allowed_values(engine, p)
    return {
        "name": p.name,
        "type": p.kind,
        "datatype": p.datatype,
        "lang": p.lang,
        "class": p.cls,
        "expects": p.type_label,
        "required": p.required and not p.default,
        "list": p.multiple,
        "default": list(p.default),
        "example": p.example,
        "description": p.description,
        "values": None if values is None else [{"value": v, "label": lb} for v, lb in values],
    }


@bp.get("/queries")
def index() -> Response | str:
    engine = state.engine()
    entries = [describe(q, engine) for q in _catalogue().values()]
    kind = _best(["application/json", HTML])
    if kind == HTML:
        return render_template("saved/index.html", queries=entries)
    if kind is None:
        raise NotAcceptable("GET /queries is available as application/json or text/html")
    return jsonify({"queries": entries})


@bp.route("/queries/<name>", methods=["GET", "POST"])
def run(name: str) -> Response | str:
    stem, dot, ext = name.rpartition(".")
    if dot and ext in EXTENSIONS:
        name = stem
    else:
        ext = ""
    q = find_query(_catalogue(), name)
    if request.method == "POST" and q.method != "POST":
        raise BadParameter("method", f"'{q.name}' is run with GET")
    if ext == "rq":
        return Response(q.text, mimetype=RQ)
    media = _negotiate(q, ext)
    args = request.form if request.method == "POST" else request.args
    raw = {key: args.getlist(key) for key in args}
    settings = state.settings()
    saved = run_saved(state.engine(), q, raw, max_rows=None if q.pagination else settings.max_rows)
    if media == HTML:
        response = Response(_render_html(saved, raw), mimetype=HTML)
    else:
        from cakg.results import serialize_result

        response = Response(serialize_result(saved.result, media), mimetype=media)
    if not ext:
        response.vary.add("Accept")
    _page_headers(response, saved, raw, name if not ext else f"{name}.{ext}")
    return response


def _negotiate(q: SavedQuery, ext: str) -> str:
    offers = OFFERS[q.form]
    if ext:
        if ext not in offers:
            raise NotAcceptable(f"'{q.name}' is a {q.form} query: .{ext} is not one of its "
                                f"formats ({', '.join('.' + e for e in offers)})")  # fmt: skip
        return offers[ext]
    media = _best(list(offers.values()))
    if media is None:
        raise NotAcceptable(f"'{q.name}' is available as {', '.join(offers.values())}")
    return media


def _best(offers: list[str]) -> str | None:
    """The offer the client prefers; the first one when it sent no Accept header."""
    if not request.accept_mimetypes:
        return offers[0]
    return request.accept_mimetypes.best_match(offers)


def _page_headers(response: Response, saved: SavedResult, raw: dict[str, Any], name: str) -> None:
    page = saved.page
    if page is None:
        return
    links = []
    for rel, number in page.links().items():
        args = {k: v for k, v in raw.items() if k not in ("page", "per_page")}
        args.update(page=number, per_page=page.size)
        links.append(f'<{_public(url_for("saved.run", name=name, **args))}>; rel="{rel}"')
    response.headers["Link"] = ", ".join(links)
    response.headers["X-Total-Count"] = str(page.total)
    response.headers["X-Page"] = str(page.number)
    response.headers["X-Per-Page"] = str(page.size)


def _render_html(saved: SavedResult, raw: dict[str, Any]) -> str:
    result = saved.result
    rows = [[_cell(t) for t in row] for row in result.rows]
    triples = [[_cell(t) for t in triple] for triple in result.triples]
    return render_template(
        "saved/result.html",
        query=saved.query,
        variables=result.variables,
        rows=rows,
        triples=triples,
        boolean=result.boolean,
        truncated=result.truncated,
        page=saved.page,
        given={k: v for k, v in raw.items() if k not in ("page", "per_page")},
        formats=OFFERS[saved.query.form],
    )


def _cell(term: Any) -> dict[str, Any]:
    if term is None:
        return {"text": "", "href": None}
    if isinstance(term, URIRef):
        return {"text": shorten(str(term)), "href": str(term)}
    return {"text": str(term), "href": None}


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(openapi_document(_catalogue(), state.engine()))


@bp.get("/api-docs")
def api_docs() -> str:
    catalogue = _catalogue()
    engine = state.engine()
    return render_template(
        "saved/docs.html", spec=openapi_document(catalogue, engine), queries=catalogue
    )


def openapi_document(catalogue: dict[str, SavedQuery], engine: Engine) -> dict[str, Any]:
    """An OpenAPI 3.1 document: one GET operation per saved query, with its parameters."""
    paths: dict[str, Any] = {
        "/queries": {
            "get": {
                "operationId": "listQueries",
                "summary": "The saved-query catalogue",
                "tags": ["catalogue"],
                "responses": {"200": _content("The saved queries", ["application/json", HTML])},
            }
        }
    }
    for q in catalogue.values():
        parameters = [_openapi_param(p, engine) for p in q.params]
        headers = {}
        if q.pagination:
            parameters += _paging_params(q)
            headers = {
                "Link": {"description": "RFC 8288 first, prev, next and last pages",
                         "schema": {"type": "string"}},
                "X-Total-Count": {"description": "The exact number of rows on all pages",
                                  "schema": {"type": "integer", "minimum": 0}},
            }  # fmt: skip
        ok = _content(f"The result ({q.form})", list(OFFERS[q.form].values()))
        if headers:
            ok["headers"] = headers
        paths[f"/queries/{q.name}"] = {
            "get": {
                "operationId": q.name,
                "summary": q.summary,
                "description": q.description or q.summary,
                "tags": list(q.tags) or ["queries"],
                "parameters": parameters,
                "responses": {
                    "200": ok,
                    "400": _error_response("A parameter is missing, unknown or of the wrong type"),
                    "406": _error_response("None of the formats the client accepts"),
                },
                "x-cakg-view": dict(q.view),
                "x-cakg-formats": sorted(OFFERS[q.form]),
            }
        }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "cakg saved queries",
            "version": cakg.__version__,
            "description": "Named, parameterised questions over the Central Asia Knowledge "
            "Graph. Each runs a saved SPARQL query; parameters are type-checked and bound "
            "as RDF terms.",
        },
        # relative (to where the document is served) unless public_url says where that is
        "servers": [{"url": _public(request.script_root + "/").rstrip("/") or "/"}],
        "paths": paths,
        "components": {"schemas": {"Error": {
            "type": "object",
            "required": ["error", "message"],
            "properties": {"error": {"type": "string"}, "message": {"type": "string"},
                           "parameter": {"type": "string"}},
        }}},
    }  # fmt: skip


JSON_SCHEMA: dict[str, dict[str, str | int]] = {
    "integer": {"type": "integer"},
    "nonNegativeInteger": {"type": "integer", "minimum": 0},
    "positiveInteger": {"type": "integer", "minimum": 1},
    "decimal": {"type": "number"},
    "double": {"type": "number"},
    "boolean": {"type": "boolean"},
    "date": {"type": "string", "format": "date"},
    "dateTime": {"type": "string", "format": "date-time"},
    "gYear": {"type": "string", "pattern": "^-?[0-9]{4,}$"},
    "gYearMonth": {"type": "string", "pattern": "^-?[0-9]{4,}-[0-9]{2}$"},
    "anyURI": {"type": "string", "format": "uri-reference"},
}


def _openapi_param(p: Param, engine: Engine) -> dict[str, Any]:
    if p.kind == "iri":
        schema: dict[str, Any] = {"type": "string", "format": "iri"}
    else:
        local = (p.datatype or "").rpartition("#")[2]
        schema = dict(JSON_SCHEMA.get(local, {"type": "string"}))
    values = allowed_values(engine, p)
    if values is not None:
        schema["enum"] = [v for v, _ in values]
        schema["x-enum-labels"] = {v: label for v, label in values}
    if p.default and not p.multiple:
        schema["default"] = p.default[0]
    if p.multiple:
        schema = {"type": "array", "items": schema}
        if p.default:
            schema["default"] = list(p.default)
    param: dict[str, Any] = {
        "name": p.name,
        "in": "query",
        "required": p.required and not p.default,
        "description": f"{p.description} Expects {p.type_label}.".strip(),
        "schema": schema,
    }
    if p.multiple:
        param.update(style="form", explode=True)
    if p.example:
        param["example"] = [p.example] if p.multiple else p.example
    return param


def _paging_params(q: SavedQuery) -> list[dict[str, Any]]:
    size = {"type": "integer", "minimum": 1, "maximum": max(MAX_PER_PAGE, q.pagination or 0),
            "default": q.pagination}  # fmt: skip
    return [
        {"name": "page", "in": "query", "required": False, "description": "Page number.",
         "schema": {"type": "integer", "minimum": 1, "default": 1}},
        {"name": "per_page", "in": "query", "required": False, "description": "Rows per page.",
         "schema": size},
    ]  # fmt: skip


def _content(description: str, media_types: list[str]) -> dict[str, Any]:
    return {"description": description, "content": {m: {"schema": {}} for m in media_types}}


def _error_response(description: str) -> dict[str, Any]:
    schema = {"$ref": "#/components/schemas/Error"}
    return {"description": description, "content": {"application/json": {"schema": schema}}}
