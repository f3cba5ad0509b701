"""bp "ui": the pages people open in a browser: the home page and the SPARQL query page.

GET /                 what the dataset is, its size, its sources, entry points
GET /sparql (HTML)    the query editor (static/editor.js), for a browser's GET /sparql: with no
                      query; `?qtext=` (a shared link) or `?query=` (a protocol URL opened in a
                      browser) fill it and run it; `?example=<saved query>` opens that query
POST /ui/terms        labels and WKT points of IRIs, for result tables, charts and maps
GET /favicon.ico      the site's icon (static/favicon.svg), for browsers that ask for it there

The saved-query gallery is the HTML view of /queries (bp "saved", templates/saved/index.html);
its charts, timeline and map are drawn in the browser by static/ui.js. Errors on the home page
are answered as a page (templates/ui/error.html), on /ui/terms as JSON, by cakg.web.errors.
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Blueprint, Response, current_app, render_template, request
from rdflib import Literal
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from cakg.engine.base import QueryDataset
from cakg.errors import BadParameter
from cakg.media import GRAPH_MEDIA_TYPES, HTML, JSON, RESULT_MEDIA_TYPES, SERVICE_MEDIA_TYPES
from cakg.namespaces import INFERRED_GRAPH, PREFIXES, sparql_prologue
from cakg.web import editor, state
from cakg.web.linked_view import safe_href

bp = Blueprint("ui", __name__)
MAX_TERMS = 1000
_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]*")
_POINT = re.compile(r"POINT\s*\(\s*(-?[0-9.]+)\s+(-?[0-9.]+)\s*\)", re.IGNORECASE)

SAMPLE_QUERY = """\
# The states of the graph with their ISO code (their Wikidata IRIs left out).
# Run with Ctrl+Enter; Ctrl+Space completes; PREFIX lines are added as prefixes are used.
PREFIX cakg: <https://w3id.org/cakg/ontology#>
PREFIX id: <https://w3id.org/cakg/id/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>

SELECT ?state ?label ?code WHERE {
  ?state a cakg:State ;
         rdfs:label ?label ;
         cakg:iso3166Alpha2 ?code .
  FILTER(lang(?label) = "en" && STRSTARTS(STR(?state), STR(id:)))
}
ORDER BY ?label
"""

ENTRY_POINTS = (
    ("states", "States", "cakg:State"),
    ("corridors", "Corridors and routes", "cakg:TransportCorridor cakg:Route"),
    ("centres", "Centres", "cakg:IndustrialCentre cakg:LogisticsCentre"),
)

SOURCES_QUERY = """\
SELECT ?source ?title ?date ?publisher ?publisherLabel WHERE {
  ?source a cakg:SourceDocument .
  OPTIONAL { ?source dcterms:title ?title }
  OPTIONAL { ?source dcterms:date ?date }
  OPTIONAL { ?source dcterms:publisher ?publisher
             OPTIONAL { ?publisher rdfs:label ?publisherLabel FILTER(langMatches(lang(?publisherLabel), "en")) } }
}
ORDER BY DESC(?date) ?source
"""  # noqa: E501


def _select(sparql: str) -> list[dict[str, Any]]:
    """Rows of a SELECT over the union default graph, as dicts of rdflib terms."""
    result = state.engine().query(sparql_prologue() + sparql, dataset=QueryDataset())
    return [dict(zip(result.variables, row, strict=True)) for row in result.rows]


def local_path(iri: str) -> str:
    """Where IRI is served on this server: the base IRI maps onto the root; others unchanged.

    A path, never built from the Host header; templates pass it through `safe_href`."""
    base = state.settings().base_iri
    if iri.startswith(base):
        return f"{request.script_root}/{iri[len(base) :]}"
    return iri


def _text(term: Any) -> str:
    return "" if term is None else str(term)


def _home_data() -> dict[str, Any]:
    """The home page's figures, computed once per release."""
    data: dict[str, Any] = state.memo(("home",), _compute_home_data)
    return data


def _compute_home_data() -> dict[str, Any]:
    engine = state.engine()
    manifest = state.release().manifest
    graphs: dict[str, int] = manifest.get("graphs", {})
    sources = [
        {
            "iri": _text(row["source"]),
            "title": _text(row["title"]) or _text(row["source"]).rpartition("/")[2],
            "date": _text(row["date"]),
            "publisher": _text(row["publisherLabel"]) or _text(row["publisher"]),
        }
        for row in _select(SOURCES_QUERY)
    ]
    entries = []
    for key, title, classes in ENTRY_POINTS:
        rows = _select(
            f"SELECT ?thing (SAMPLE(?l) AS ?label) WHERE {{ VALUES ?class {{ {classes} }} "
            "?thing a ?class . FILTER(STRSTARTS(STR(?thing), STR(id:))) "
            'OPTIONAL { ?thing rdfs:label ?l FILTER(langMatches(lang(?l), "en")) } } '
            "GROUP BY ?thing ORDER BY ?label"
        )
        items = [(_text(r["thing"]), _text(r["label"]) or _text(r["thing"])) for r in rows]
        entries.append({"key": key, "title": title, "items": items})
    figures = state.dataset_figures()  # the VoID description's
    data = {
        "version": manifest.get("version", engine.version),
        "built": str(manifest.get("built", ""))[:10],
        "triples": figures["triples"],
        "inferred": int(graphs.get(str(INFERRED_GRAPH), 0)),
        "graphs": len(graphs),
        "entities": figures["entities"],
        "sources": sources,
        "entries": entries,
    }
    return data


@bp.app_context_processor
def _ui_context() -> dict[str, Any]:
    """What templates/ui/base.html needs on every page that extends it."""
    return {"ui_prefixes": PREFIXES}


@bp.get("/favicon.ico")
def favicon() -> Response:
    """The icon every browser asks for (it was a 404 on every page); pages also link it."""
    response = current_app.send_static_file("favicon.svg")
    response.mimetype = "image/svg+xml"
    return response


@bp.get("/")
def home() -> str:
    return render_template("ui/home.html", data=_home_data(), local=local_path)


def query_page() -> Response:
    """The query editor: a sample query, or the text of `qtext`, `query` or `example`.

    `qtext` (the share link) and `query` (a protocol URL a browser opened) are run as the page
    opens; `example` (a saved query's name, the gallery's "Open in editor") is not."""
    shared = request.args.get("qtext", request.args.get("query"))
    name = request.args.get("example")
    if shared is not None:
        text = shared
    elif name is not None:
        text = editor.example(name)["text"]
    else:
        text = SAMPLE_QUERY
    body = render_template(
        "ui/query.html",
        text=text,
        shared=shared is not None,
        prefixes=PREFIXES,
        examples=editor.examples(),
        max_length=state.settings().max_query_length,
    )
    response = Response(body, mimetype=HTML)
    response.vary.add("Accept")
    return response


def prefers_page(accept: str | None) -> bool:
    """Whether an Accept header asks for a web page before any SPARQL format: text/html named
    and ranked first, as Chromium and Firefox send. `*/*` alone (curl), or HTML after a SPARQL
    type, is a program's: it gets the protocol's formats."""
    if not accept or HTML not in accept:
        return False
    offers = parse_accept_header(accept, MIMEAccept)
    if not any(value == HTML and quality > 0 for value, quality in offers):
        return False
    return offers.best_match([*RESULT_MEDIA_TYPES, *GRAPH_MEDIA_TYPES, HTML]) == HTML


def wants_page() -> bool:
    """True when a GET /sparql is a browser's: it prefers HTML and has no `update`; with a
    `query` (then shown in the editor and run there), no other protocol parameter."""
    if request.method not in ("GET", "HEAD") or "update" in request.args:
        return False
    if "query" in request.args:
        # one query and nothing else: a format, a dataset, a timeout are a program's request
        if set(request.args) != {"query"} or len(request.args.getlist("query")) != 1:
            return False
        return prefers_page(request.headers.get("Accept"))
    best = request.accept_mimetypes.best_match([*SERVICE_MEDIA_TYPES, HTML])
    return best == HTML


@bp.before_app_request
def _sparql_page() -> Response | None:
    """Answer a browser's GET /sparql with the page (the sparql blueprint keeps the protocol)."""
    if request.path == "/sparql" and wants_page():
        return query_page()
    return None


@bp.post("/ui/terms")
def terms() -> Response:
    """Labels (English first) and points of up to MAX_TERMS IRIs: {"terms": {iri: {...}}}.

    A point is the IRI's own WKT point, else (marked `approximate`) the mean of the points of
    the places located in it, so that states and regions can be drawn on a map too. `href` is
    null for an IRI no page should link to (not http(s): `safe_href`).
    """
    body = request.get_json(silent=True)
    iris = body.get("iris") if isinstance(body, dict) else None
    if not isinstance(iris, list) or not all(isinstance(i, str) for i in iris):
        raise BadParameter("iris", 'send JSON {"iris": ["https://...", ...]}')
    wanted = sorted({i for i in iris if _IRI.fullmatch(i)})[:MAX_TERMS]
    found: dict[str, dict[str, Any]] = {}
    if wanted:
        rows = _select(
            f"SELECT ?s ?label ?wkt WHERE {{ VALUES ?s {{ {_values(wanted)} }} "
            "OPTIONAL { ?s rdfs:label|skos:prefLabel|dcterms:title ?label } "
            "OPTIONAL { ?s geo:hasGeometry/geo:asWKT ?wkt } }"
        )
        for row in rows:
            entry = found.setdefault(str(row["s"]), {"label": None, "rank": 9, "point": None})
            label = row["label"]
            if isinstance(label, Literal):
                rank = _label_rank(label)
                if rank < entry["rank"]:
                    entry.update(label=str(label), rank=rank)
            if entry["point"] is None:
                entry["point"] = _point(row["wkt"])
        _approximate_points(found)
    out = {
        iri: {
            "label": e["label"],
            "point": e["point"],
            "approximate": e.get("approximate", False),
            "href": safe_href(local_path(iri)),
        }
        for iri, e in found.items()
    }
    return Response(json.dumps({"terms": out}), mimetype=JSON)


def _values(iris: list[str]) -> str:
    return " ".join(f"<{i}>" for i in iris)


def _point(wkt: Any) -> list[float] | None:
    match = _POINT.search(str(wkt)) if wkt is not None else None
    return [float(match.group(1)), float(match.group(2))] if match else None


def _approximate_points(found: dict[str, dict[str, Any]]) -> None:
    """Give the entries without a point the mean point of the places located in them."""
    missing = [iri for iri, e in found.items() if e["point"] is None]
    if not missing:
        return
    rows = _select(
        f"SELECT DISTINCT ?s ?inside ?wkt WHERE {{ VALUES ?s {{ {_values(missing)} }} "
        "?inside cakg:locatedIn ?s ; geo:hasGeometry/geo:asWKT ?wkt }"
    )
    points: dict[str, dict[str, list[float]]] = {}
    for row in rows:
        point = _point(row["wkt"])
        if point is not None:
            points.setdefault(str(row["s"]), {})[str(row["inside"])] = point
    for iri, inside in points.items():
        lons = [p[0] for p in inside.values()]
        lats = [p[1] for p in inside.values()]
        found[iri].update(
            point=[round(sum(lons) / len(lons), 2), round(sum(lats) / len(lats), 2)],
            approximate=True,
        )


def _label_rank(label: Literal) -> int:
    lang = (label.language or "").lower()
    if lang == "en" or lang.startswith("en-"):
        return 0
    return 1 if not lang else 2
