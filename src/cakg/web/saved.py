"""bp "saved": the saved-query catalogue as a web API, its OpenAPI document and pages.

GET /queries                 the catalogue (JSON or HTML by Accept)
GET /queries/<name>[.ext]    run one; parameters in the query string; .json .csv .tsv .ttl .html,
                             and .records.json (a SELECT's rows as plain JSON objects)
GET /queries/<name>.rq       the query's text
GET /queries/<name>.svg .png the answer's picture (its declared view), drawn on the server
GET /queries/<name>/embed    the answer's picture alone, for an iframe (any site may frame it)
GET /openapi.json            OpenAPI 3.1 for every saved query; /api-docs shows it (Swagger UI)

URLs are paths, or absolute under Settings.public_url when it is set (`public_path`): never built
from the Host header, so that no cache keeps one client's Host for another. The OpenAPI document
is written by cakg.web.openapi; errors are answered as JSON by cakg.web.errors, with the
parameter named for a BadParameter.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, jsonify, render_template, request, url_for

from cakg.engine.base import GRAPH_FORMS, Engine, QueryResult
from cakg.errors import BadParameter, BuildMissingError, NotAcceptable, QueryError
from cakg.media import (
    GRAPH_ALIASES,
    HTML,
    JSON,
    PICTURES,
    RESULT_ALIASES,
    SAVED_BY_NAME_ONLY,
    SAVED_EXTENSIONS,
    SAVED_OFFERS,
    SPARQL_QUERY,
)
from cakg.queries import Param, SavedQuery, load_catalogue
from cakg.queries.bind import SavedResult, allowed_values, find_query, run_saved, suggestions
from cakg.results import best_of, serialize_result
from cakg.views import View
from cakg.views.atlas import ATLAS_STATIC
from cakg.views.image import render
from cakg.views.labels import Terms
from cakg.views.render import answer_view, lookup, result_table
from cakg.web import state
from cakg.web.negotiation import public_path
from cakg.web.openapi import openapi_document

bp = Blueprint("saved", __name__, template_folder="templates")
XSD = "http://www.w3.org/2001/XMLSchema#"
# The HTML input for a parameter's datatype (xsd:dateTime stays text: a browser's
# datetime-local sends no seconds, which xsd:dateTime needs)
INPUT_TYPES = {
    XSD + "date": "date",
    **{XSD + t: "number" for t in ("integer", "nonNegativeInteger", "positiveInteger")},
    **{XSD + t: "number" for t in ("decimal", "double")},
}


def _catalogue() -> dict[str, SavedQuery]:
    """The saved queries of the request's release."""
    catalogue: dict[str, SavedQuery] = state.memo(("catalogue",), _load_catalogue)
    return catalogue


def _load_catalogue() -> dict[str, SavedQuery]:
    """The saved queries the release was built with (release/queries: QUERIES_DIR under the
    release's folder); the serving side never reads the project's sources."""
    release = state.release()
    if not release.queries.is_dir():
        raise BuildMissingError(
            f"the release {release.id} has no saved queries (built before releases held "
            "them): run `cakg build --force`"
        )
    return load_catalogue(release.path)


def catalogue_entry(q: SavedQuery, engine: Engine) -> dict[str, Any]:
    """One catalogue entry: what the gallery and the API docs need to show and run Q."""
    formats = {ext: url_for("saved.run", name=f"{q.name}.{ext}") for ext in SAVED_OFFERS[q.form]}
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
        "parameters": [_parameter_entry(p, engine) for p in q.params],
        "links": {"run": url_for("saved.run", name=q.name), "text": url_for(
            "saved.run", name=f"{q.name}.rq"), "formats": formats},
    }  # fmt: skip


def _parameter_entry(p: Param, engine: Engine) -> dict[str, Any]:
    values = allowed_values(engine, p)
    suggested = suggestions(engine, p)
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
        "suggestions": None
        if suggested is None
        else [{"value": v, "label": lb} for v, lb in suggested[0]],
        "suggestions_capped": bool(suggested and suggested[1]),
        "input": INPUT_TYPES.get(p.datatype or "", "text"),
    }


@bp.get("/queries")
def index() -> Response | str:
    kind = best_of(request.accept_mimetypes, [JSON, HTML], {})
    if kind is None:
        raise NotAcceptable("GET /queries is available as application/json or text/html")
    entries = catalogue_entries()
    if kind == HTML:
        return render_template("saved/index.html", queries=entries)
    return jsonify({"queries": entries})


def catalogue_entries() -> list[dict[str, Any]]:
    """Every entry of the catalogue, made once per release (and script root, for its links):
    they look up allowed values and suggestions in the graph."""
    engine = state.engine()
    make = lambda: [catalogue_entry(q, engine) for q in _catalogue().values()]  # noqa: E731
    entries: list[dict[str, Any]] = state.memo(("catalogue-entries", request.script_root), make)
    return entries


def _openapi_document() -> dict[str, Any]:
    """The OpenAPI document, made once per release and script root (its `servers`)."""
    make = lambda: openapi_document(_catalogue(), state.engine())  # noqa: E731
    spec: dict[str, Any] = state.memo(("openapi", request.script_root), make)
    return spec


@bp.route("/queries/<name>", methods=["GET", "POST"])
def run(name: str) -> Response | str:
    stem, dot, ext = name.partition(".")  # a query's name has no dot (cakg.queries.header.NAME)
    if dot and ext in SAVED_EXTENSIONS:
        name = stem
    else:
        ext = ""
    q = find_query(_catalogue(), name)
    if request.method == "POST" and q.method != "POST":
        raise BadParameter("method", f"'{q.name}' is run with GET")
    if ext == "rq":
        return Response(q.text, mimetype=SPARQL_QUERY)
    args = request.form if request.method == "POST" else request.args
    raw = {key: args.getlist(key) for key in args}
    if ext in PICTURES:
        return _picture(q, raw, ext)
    media = _negotiate(q, ext)
    if media == HTML:
        return _html_page(q, raw)
    settings = state.settings()
    saved = run_saved(state.engine(), q, raw, max_rows=None if q.pagination else settings.max_rows)
    response = Response(serialize_result(saved.result, media), mimetype=media)
    if not ext:
        response.vary.add("Accept")
    if saved.result.truncated:
        response.headers["X-Result-Truncated"] = "true"
        response.headers["X-Result-Row-Limit"] = str(settings.max_rows)
    _page_headers(response, saved, raw, name if not ext else f"{name}.{ext}")
    return response


@bp.get("/queries/<name>/embed")
def embed(name: str) -> Response:
    """The answer's picture alone, for other sites to frame (frame-ancestors *)."""
    q = find_query(_catalogue(), name)
    raw = {key: request.args.getlist(key) for key in request.args}
    saved = _run_for_page(q, raw)
    context = _answer_context(saved, raw)
    g.frame_ancestors = "*"
    return Response(render_template("saved/embed.html", **context), mimetype=HTML)


def _negotiate(q: SavedQuery, ext: str) -> str:
    offers = SAVED_OFFERS[q.form]
    if ext:
        if ext not in offers:
            raise NotAcceptable(f"'{q.name}' is a {q.form} query: .{ext} is not one of its "
                                f"formats ({', '.join('.' + e for e in offers)})")  # fmt: skip
        return offers[ext]
    types = [media for ext, media in offers.items() if ext not in SAVED_BY_NAME_ONLY]
    # the names clients also use for one of these (application/json for SPARQL JSON results,
    # or for JSON-LD when the query gives a graph), as /sparql accepts them
    aliases = {alias: media for table in (RESULT_ALIASES, GRAPH_ALIASES)
               for alias, media in table.items() if media in types}  # fmt: skip
    media = best_of(request.accept_mimetypes, [*types, *aliases], aliases)
    if media is None:
        raise NotAcceptable(f"'{q.name}' is available as {', '.join(types)}")
    return media


def _page_headers(response: Response, saved: SavedResult, raw: dict[str, Any], name: str) -> None:
    page = saved.page
    if page is None:
        return
    links = []
    for rel, number in page.links().items():
        args = {k: v for k, v in raw.items() if k not in ("page", "per_page")}
        args.update(page=number, per_page=page.size)
        links.append(f'<{public_path(url_for("saved.run", name=name, **args))}>; rel="{rel}"')
    response.headers["Link"] = ", ".join(links)
    response.headers["X-Total-Count"] = str(page.total)
    response.headers["X-Page"] = str(page.number)
    response.headers["X-Per-Page"] = str(page.size)


def _picture(q: SavedQuery, raw: dict[str, list[str]], ext: str) -> Response:
    """The answer's view as SVG or PNG (406 when the query declares no picture, a table)."""
    if q.view.get("type", "table") == "table":
        raise NotAcceptable(f"'{q.name}' is shown as a table: it has no picture (.{ext})")
    key = ("picture", q.name, ext, tuple(sorted((k, tuple(v)) for k, v in raw.items())))
    body = state.memo(key, lambda: _draw(q, raw, ext))  # a picture drawn again: no query run
    response = Response(body, mimetype=PICTURES[ext])
    response.headers["Content-Disposition"] = f'inline; filename="{q.name}.{ext}"'
    return response


def _draw(q: SavedQuery, raw: dict[str, list[str]], ext: str) -> bytes:
    """Run Q and draw its view (no table: a picture needs only the view)."""
    view, _names = _view_of(q, _run_for_page(q, raw).result)
    if view.spec is None:
        raise NotAcceptable(f"this answer of '{q.name}' has nothing to draw")
    return render(view.spec, ext, static_url=url_for("static", filename=""))


def _view_of(q: SavedQuery, result: QueryResult) -> tuple[View, Terms]:
    """RESULT's picture as Q declares it, and the labels looked up for it (the table uses them)."""
    engine = state.engine()
    names = lookup(engine, result, Terms(state.settings().base_iri, request.script_root))
    atlas = url_for("static", filename=ATLAS_STATIC)
    return answer_view(engine, q.view, q.columns, result, names, atlas_url=atlas), names


def _run_for_page(q: SavedQuery, raw: dict[str, list[str]]) -> SavedResult:
    settings = state.settings()
    return run_saved(state.engine(), q, raw, max_rows=None if q.pagination else settings.max_rows)


def _html_page(q: SavedQuery, raw: dict[str, list[str]]) -> Response:
    """The query's page: its form, and its answer drawn; a bad parameter is shown beside the
    form (400), and a page opened without a required parameter asks for it (200)."""
    entry = next(e for e in catalogue_entries() if e["name"] == q.name)  # made once per release
    given = {k: v for k, v in raw.items() if k not in ("page", "per_page", "sort")}
    missing = [p.name for p in q.params if p.required and not p.default and not raw.get(p.name)]
    context: dict[str, Any] = {"query": q, "entry": entry, "given": given}
    status, saved = 200, None
    if missing and not any(v for v in raw.values()):
        context["waiting"] = f"Give {', '.join(missing)} and run the query to see its answer."
    else:
        try:
            saved = _run_for_page(q, raw)
        except QueryError as e:
            status = 400
            name = e.name if isinstance(e, BadParameter) else None
            context["error"] = {"message": str(e), "parameter": name}
        else:
            context |= _answer_context(saved, raw)
    body = render_template("saved/result.html", **context)
    response = Response(body, status, mimetype=HTML)
    if saved is not None:
        _page_headers(response, saved, raw, f"{q.name}.html")
    return response


def _args(raw: dict[str, list[str]]) -> dict[str, Any]:
    return dict(raw)


DOWNLOADS = {"csv": "CSV", "json": "JSON", "records.json": "JSON records", "tsv": "TSV",
             "ttl": "Turtle", "jsonld": "JSON-LD"}  # fmt: skip


def _answer_context(saved: SavedResult, raw: dict[str, list[str]]) -> dict[str, Any]:
    """What templates/saved/answer.html needs: the view, the table, paging and the links."""
    q, result = saved.query, saved.result
    view, names = _view_of(q, result)
    table = result_table(state.engine(), q.view, q.columns, result, names)
    given = {k: v for k, v in raw.items() if k not in ("page", "per_page", "sort")}
    sort = (raw.get("sort") or [""])[0]
    if result.form in GRAPH_FORMS:
        count, noun = len(result.triples), "triple"
    else:
        count, noun = len(result.rows), "row"
    status = f"{count} {noun}{'' if count == 1 else 's'}"
    if saved.page:
        status += f" on page {saved.page.number} of {saved.page.last}, {saved.page.total} in all"
    if result.truncated:
        status += " (cut off at the row limit)"
    offers = SAVED_OFFERS[q.form]
    return {
        "query": q,
        "view": view,
        "table": table,
        "boolean": result.boolean,
        "page": saved.page,
        "given": given,
        "sort": sort,
        "sortable": result.form == "SELECT",
        "status": status + ".",
        "downloads": [(ext, label) for ext, label in DOWNLOADS.items() if ext in offers],
        "share_url": public_path(url_for("saved.run", name=f"{q.name}.html", **_args(raw))),
        "embed_url": public_path(url_for("saved.embed", name=q.name, **_args(given))),
    }


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(_openapi_document())


@bp.get("/api-docs")
def api_docs() -> str:
    return render_template("saved/docs.html", spec=_openapi_document(), queries=_catalogue())
