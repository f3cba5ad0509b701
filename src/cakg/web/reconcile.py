"""bp "reconcile": the W3C Reconciliation Service API v0.2 (what OpenRefine 3.x speaks).

GET  /reconcile                      the service manifest (JSONP with `callback=`)
GET|POST /reconcile?queries=<JSON>   a query batch, answered by key ({"q0": {"result": [...]}})
GET|POST /reconcile?query=<text|JSON> one v0.1 query ({"result": [...]})
GET|POST /reconcile?extend=<JSON>    data extension (property values of reconciled ids)
GET  /reconcile/propose_properties?type=&limit=     properties to fetch for a type
GET  /reconcile/suggest/{entity,type,property}?prefix=&cursor=&type=   auto-complete
GET  /reconcile/flyout/{entity,type,property}?id=   a small HTML summary as JSON
GET  /reconcile/preview?id=          the entity's card, for an <iframe> of PREVIEW_SIZE
GET  /reconcile/view?id=             303 to the entity's page

The matching is cakg.reconcile.matching over the release's search index (cakg.search) and its
schema, both read once per release (state.memo). A wrong parameter is a 400 naming it (JSON
`{"error", "message", "parameter"}`), an unknown one too; OpenRefine's suggest widget sends a
few of Freebase's (IGNORED) which are accepted and ignored. CORS as on every route (the app's).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from flask import Blueprint, Response, g, redirect, render_template, request, url_for
from markupsafe import Markup
from werkzeug.wrappers import Response as BaseResponse

from cakg import __version__
from cakg.errors import BadParameter, ResourceNotFound
from cakg.media import HTML, JSON
from cakg.namespaces import CAKG, ID
from cakg.queries.params import expand
from cakg.reconcile import suggest
from cakg.reconcile.batch import MAX_BATCH, parse_batch, parse_single
from cakg.reconcile.extension import SETTINGS, extend, parse_extension
from cakg.reconcile.matching import Candidate, Reconciler
from cakg.reconcile.preview import Card, read_card
from cakg.reconcile.schema import Schema, read_schema
from cakg.search import SearchIndex
from cakg.web import state
from cakg.web.negotiation import local_url, public_url

bp = Blueprint("reconcile", __name__)

PREVIEW_SIZE = (400, 220)  # width, height of the preview <iframe>, in pixels
MAX_SUGGESTIONS = 50
MAX_CURSOR = 1000
CALLBACK = re.compile(r"[A-Za-z_$][\w$]{0,63}(?:\.[A-Za-z_$][\w$]{0,63}){0,3}", re.ASCII)
JAVASCRIPT = "application/javascript"
JSONP = frozenset({"callback", "_"})  # jQuery's JSONP names the callback and stamps `_`
# what OpenRefine's suggest widget passes through from Freebase's search API: accepted, unused
IGNORED = frozenset(
    {"key", "filter", "spell", "exact", "lang", "scoring", "prefixed", "stemmed", "format"}
    | {"mql_output", "output", "type_strict"}
)
KINDS = ("entity", "type", "property")
FLYOUT = Markup("<div><strong>{}</strong><br><small>{}</small><br><code>{}</code></div>")


def index() -> SearchIndex:
    return state.search_index()


def schema() -> Schema:
    found: Schema = state.memo(("reconcile-schema",), lambda: read_schema(state.engine()))
    return found


def reconciler() -> Reconciler:
    return Reconciler(index(), schema(), state.engine())


@bp.route("/reconcile", methods=["GET", "POST"])
def service() -> Response:
    """The manifest, a query batch, a v0.1 query or a data extension, by the parameters."""
    given = _params({"queries", "query", "extend"})
    asked = [name for name in ("queries", "query", "extend") if name in given]
    if len(asked) > 1:
        raise BadParameter(asked[1], f"give one of queries, query and extend, not {asked[0]} too")
    if not asked and request.method == "POST":
        raise BadParameter(
            "queries",
            "is required: POST a form-encoded queries= (or extend=); a JSON request body "
            "(the 1.0 draft's) is not read",
        )
    if not asked:
        index()  # the manifest is a client's first request: the queries after it find it loaded
        return _manifest()
    name = asked[0]
    raw = _one(given, name)
    if name == "extend":
        ids, requested = parse_extension(raw, schema(), state.engine())
        return _json(extend(index(), schema(), state.engine(), ids, requested))
    if name == "query":
        query = parse_single(raw)
        found = reconciler().reconcile([query], "query")
        return _json({"result": [_candidate(c) for c in found[query.key]]})
    queries = parse_batch(raw)
    answers = reconciler().reconcile(queries)
    return _json(
        {key: {"result": [_candidate(c) for c in found]} for key, found in answers.items()}
    )


@bp.get("/reconcile/propose_properties")
def propose() -> Response:
    """The properties to fetch for instances of `type` (all of those with a domain if empty)."""
    given = _params({"type", "limit"})
    text = _one(given, "type", "").strip()
    # OpenRefine appends the type to the URL unencoded: a class's hash IRI arrives cut at the
    # `#`, as the ontology's IRI; then (as with no type) every property with a domain is proposed
    cut = text == str(CAKG).rstrip("#")
    type_iri = schema().class_iri(text, "type") if text and not cut else ""
    limit = _integer(given, "limit", 50, 1, 500)
    body: dict[str, Any] = {
        "properties": suggest.propose_properties(schema(), type_iri, limit),
        "type": text,
    }
    if "limit" in given:
        body["limit"] = limit
    return _json(body)


@bp.get("/reconcile/suggest/<kind>")
def suggest_service(kind: str) -> Response:
    """Auto-completion of entities, types or properties by `prefix`, `cursor` on."""
    _kind(kind)
    given = _params({"prefix", "cursor", "limit", "type", "schema"} | IGNORED)
    prefix = _one(given, "prefix", "")
    if len(prefix) > 200:
        raise BadParameter("prefix", "is at most 200 characters")
    cursor = _integer(given, "cursor", 0, 0, MAX_CURSOR)
    limit = _integer(given, "limit", suggest.DEFAULT_SUGGESTIONS, 1, MAX_SUGGESTIONS)
    types = [schema().class_iri(t, "type") for t in given.get("type", []) if t.strip()]
    if kind == "entity":
        result = suggest.suggest_entities(index(), schema(), prefix, types, cursor, limit)
    elif kind == "type":
        result = suggest.suggest_types(schema(), prefix, cursor, limit)
    else:
        hint = _one(given, "schema", "").strip()
        type_iri = types[0] if types else (schema().class_iri(hint, "schema") if hint else "")
        result = suggest.suggest_properties(schema(), prefix, type_iri, cursor, limit)
    return _json({"result": result})


@bp.get("/reconcile/flyout/<kind>")
def flyout(kind: str) -> Response:
    """A small HTML summary of a suggested entity, type or property: {"id", "html"}."""
    _kind(kind)
    ident = _one(_params({"id"} | IGNORED), "id")
    if kind == "entity":
        card = _card(ident)
        parts = (card.name, ", ".join(n for _, n in card.types), card.iri)
    else:
        terms = schema().classes if kind == "type" else schema().properties
        term = terms.get(expand(ident.strip()))
        if term is None:
            raise ResourceNotFound(f"no {kind} {ident!r} in the dataset")
        parts = (term.label, term.description, term.iri)
    return _json({"id": ident, "html": str(FLYOUT.format(*parts))})


@bp.get("/reconcile/preview")
def preview() -> Response:
    """The entity's card, made to be shown in a client's <iframe> (any site may frame it)."""
    card = _card(_one(_params({"id"}), "id"))
    g.frame_ancestors = "*"
    width, height = PREVIEW_SIZE
    body = render_template(
        "reconcile/preview.html", card=card, page=local_url(card.iri), width=width, height=height
    )
    return Response(body, mimetype=HTML)


@bp.get("/reconcile/view")
def view() -> BaseResponse:
    """303 See Other to the entity's page."""
    card_iri = _one(_params({"id"}), "id").strip()
    if index().entry(expand(card_iri)) is None:
        raise ResourceNotFound(f"no entity {card_iri!r} in the dataset")
    return redirect(local_url(expand(card_iri)), code=303)


# ---------------------------------------------------------------------- helpers


def _manifest() -> Response:
    root = (public_url() or request.url_root).rstrip("/")

    def path(endpoint: str, **values: Any) -> str:
        return str(url_for(endpoint, **values))[len(request.script_root) :]

    release = state.release()
    services = {
        kind: {
            "service_url": root,
            "service_path": path("reconcile.suggest_service", kind=kind),
            "flyout_service_path": path("reconcile.flyout", kind=kind) + "?id=${id}",
        }
        for kind in KINDS
    }
    width, height = PREVIEW_SIZE
    manifest = {
        "versions": ["0.1", "0.2"],
        "name": "Central Asia Knowledge Graph (cakg)",
        "identifierSpace": str(ID),
        "schemaSpace": str(CAKG),
        "documentation": root + path("ui.home"),
        "serviceVersion": f"{__version__} (release {release.version})",
        "logo": root + path("static", filename="favicon.svg"),
        "batchSize": MAX_BATCH,
        "view": {"url": root + path("reconcile.view") + "?id={{id}}"},
        "preview": {
            "url": root + path("reconcile.preview") + "?id={{id}}",
            "width": width,
            "height": height,
        },
        "defaultTypes": [suggest.type_object(schema(), c.iri) for c in schema().default_types()],
        "suggest": services,
        "extend": {
            "propose_properties": {"service_url": root, "service_path": path("reconcile.propose")},
            "property_settings": SETTINGS,
        },
    }
    response = _json(manifest)
    if public_url() is None:  # written for the Host the client named: not for shared caches
        response.headers["Cache-Control"] = "private"
        response.vary.add("Host")
    return response


def _params(known: Iterable[str]) -> dict[str, list[str]]:
    """The request's parameters (query string and form), every name checked."""
    allowed = set(known) | JSONP
    given: dict[str, list[str]] = {}
    for source in (request.args, request.form):
        for name in source:
            if name not in allowed:
                names = ", ".join(sorted(set(known) - IGNORED))
                raise BadParameter(name, f"is not a parameter of this service (it takes {names})")
            given.setdefault(name, []).extend(source.getlist(name))
    return given


def _one(given: dict[str, list[str]], name: str, default: str | None = None) -> str:
    values = given.get(name)
    if not values:
        if default is None:
            raise BadParameter(name, "is required")
        return default
    if len(values) > 1:
        raise BadParameter(name, "is given more than once")
    return values[0]


def _integer(given: dict[str, list[str]], name: str, default: int, low: int, high: int) -> int:
    text = _one(given, name, "").strip()
    if not text:
        return default
    if not re.fullmatch(r"\d{1,9}", text) or not low <= int(text) <= high:
        raise BadParameter(name, f"must be a whole number from {low} to {high}, not {text!r}")
    return int(text)


def _kind(kind: str) -> None:
    if kind not in KINDS:
        raise ResourceNotFound(f"no suggest service for {kind!r} (there are {', '.join(KINDS)})")


def _card(ident: str) -> Card:
    iri = expand(ident.strip())
    entry = index().entry(iri)
    if entry is None:
        raise ResourceNotFound(f"no entity {ident!r} in the dataset")
    return read_card(entry, schema(), index(), state.engine())


def _candidate(c: Candidate) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": c.id,
        "name": c.name,
        "type": [{"id": iri, "name": name} for iri, name in c.types],
        "score": c.score,
        "match": c.match,
        "features": [{"id": name, "value": value} for name, value in c.features],
    }
    if c.description:
        item["description"] = c.description
    return item


def _json(data: Any) -> Response:
    """DATA as JSON, or as JSONP when the request names a `callback`."""
    body = json.dumps(data)  # ASCII: U+2028 and U+2029 escaped, as JSONP needs
    callbacks = request.args.getlist("callback")
    if not callbacks:
        return Response(body, mimetype=JSON)
    callback = callbacks[0]
    if len(callbacks) > 1 or not CALLBACK.fullmatch(callback):
        raise BadParameter(
            "callback", "must be one JavaScript name (letters, digits, _ and $, dotted)"
        )
    return Response(f"/**/{callback}({body});", mimetype=JAVASCRIPT)
