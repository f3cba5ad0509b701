"""bp "sparql": the SPARQL 1.1 Protocol query operation at /sparql, Service Description, /healthz.

- GET ?query=..., POST application/x-www-form-urlencoded, POST application/sparql-query;
  default-graph-uri / named-graph-uri (repeatable) replace the query's own dataset;
- results by Accept (q-values) or `format`; `timeout` (seconds, may only lower the server's);
  `inference=false` (or 0, no, off: cakg.web.params) for the asserted triples only;
- read-only: updates are refused (400); SERVICE is refused (400) and FROM / FROM NAMED /
  default-graph-uri name local graphs only: nothing is ever fetched;
- the row cap is signalled by `X-Result-Truncated: true` and `X-Result-Row-Limit`, and in SPARQL
  JSON by `"truncated": true, "rowLimit": N`;
- a query that runs past its time limit, or past the worker's memory limit, gets 503 with
  Retry-After and a message naming the limit: never a 200 with a cut-off body.
- GET /sparql without a query: the SPARQL 1.1 Service Description (Turtle, JSON-LD, RDF/XML).
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from flask import Blueprint, Response, request
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF, VOID, XSD
from werkzeug.exceptions import RequestEntityTooLarge, UnsupportedMediaType
from werkzeug.wrappers import Request as WerkzeugRequest

from cakg.config import Settings
from cakg.engine.base import Engine, Formats, QueryDataset
from cakg.errors import BadParameter, BadQuery, NotAcceptable, UpdateRefused
from cakg.media import (
    CSV,
    FORM,
    GRAPH_MEDIA_TYPES,
    JSON,
    JSONLD,
    NTRIPLES,
    RDF_XML,
    RESULT_MEDIA_TYPES,
    SERVICE_MEDIA_TYPES,
    SPARQL_JSON,
    SPARQL_QUERY,
    SPARQL_UPDATE,
    SPARQL_XML,
    TSV,
    TURTLE,
    aliases_of,
    writer,
)
from cakg.namespaces import INFERRED_GRAPH
from cakg.release import failed_build
from cakg.results import best_of, content_type, mark_truncated, negotiate
from cakg.web import state
from cakg.web.params import read_flag

bp = Blueprint("sparql", __name__)

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
ENTAILMENT = Namespace("http://www.w3.org/ns/entailment/")
FORMATS_NS = Namespace("http://www.w3.org/ns/formats/")
OWL_RL = URIRef("http://www.w3.org/ns/owl-profile/RL")
FORMAT_IRIS = {  # the W3C's IRI of each media type of results
    SPARQL_JSON: FORMATS_NS.SPARQL_Results_JSON,
    SPARQL_XML: FORMATS_NS.SPARQL_Results_XML,
    CSV: FORMATS_NS.SPARQL_Results_CSV,
    TSV: FORMATS_NS.SPARQL_Results_TSV,
    TURTLE: FORMATS_NS.Turtle,
    NTRIPLES: FORMATS_NS["N-Triples"],
    JSONLD: FORMATS_NS["JSON-LD"],
    RDF_XML: FORMATS_NS.RDF_XML,
}
SD_ALIASES = aliases_of(SERVICE_MEDIA_TYPES)
FORM_BODY = FORM
QUERY_BODY = SPARQL_QUERY
UPDATE_BODY = SPARQL_UPDATE


@bp.route("/sparql", methods=["GET", "POST"])
def endpoint() -> Response:
    query, params = read_query(request)
    if query is None:
        if request.method == "POST":
            raise BadQuery("missing query: send it as the `query` parameter or the request body")
        return service_description()
    body, headers = answer_query(
        query, params, request.headers.get("Accept"), state.engine(), state.settings()
    )
    return Response(body, headers=headers)


def answer_query(
    query: str,
    params: dict[str, list[str]],
    accept: str | None,
    engine: Engine,
    settings: Settings,
) -> tuple[bytes, list[tuple[str, str]]]:
    """The body and headers of a 200 answer to `query` (CakgError or HTTPException if none).

    Shared by the blueprint and the WSGI fast path (cakg.web.fast_sparql), which add the
    request id and CORS headers each in their own way.
    """
    if len(query) > settings.max_query_length:
        raise RequestEntityTooLarge(
            f"the query is {len(query)} characters long; the limit is {settings.max_query_length}"
        )
    formats = _negotiate(accept, tuple(params.get("format", ())))
    answer = engine.answer(
        query,
        formats=formats,
        dataset=_dataset(params, engine),
        max_rows=settings.max_rows,
        timeout=_timeout(params),
    )
    body = answer.body
    headers = [("Content-Type", content_type(answer.media_type)), ("Vary", "Accept")]
    if answer.truncated:
        body = mark_truncated(body, answer.media_type, settings.max_rows)
        headers += [("X-Result-Truncated", "true"), ("X-Result-Row-Limit", str(settings.max_rows))]
    return body, headers


@lru_cache(maxsize=256)
def _negotiate(accept: str | None, format_param: tuple[str, ...]) -> Formats:
    """`negotiate` for a raw Accept header: clients send the same few headers again and again,
    and parsing one costs more than a point lookup. A BadParameter is not cached."""
    return negotiate(accept, format_param)


def read_query(req: WerkzeugRequest) -> tuple[str | None, dict[str, list[str]]]:
    """The query text and the other protocol parameters, from the URL and the body."""
    params: dict[str, list[str]] = {k: req.args.getlist(k) for k in req.args}
    queries = params.pop("query", [])
    if req.method == "POST":
        mimetype = req.mimetype
        if mimetype == FORM_BODY:
            for key in req.form:
                params.setdefault(key, []).extend(req.form.getlist(key))
            queries += params.pop("query", [])
        elif mimetype == QUERY_BODY:
            queries.append(_body_text(req))
        elif mimetype == UPDATE_BODY:
            raise UpdateRefused("SPARQL Update is not accepted: this endpoint is read-only")
        else:
            raise UnsupportedMediaType(
                f"a query is sent as {FORM_BODY} (query=...) or as {QUERY_BODY}, "
                f"not as '{req.content_type or 'no content type'}'"
            )
    if "update" in params:
        raise UpdateRefused("SPARQL Update is not accepted: this endpoint is read-only")
    if len(queries) > 1:
        raise BadQuery(f"{len(queries)} queries were sent; send exactly one `query`")
    return (queries[0] if queries else None), params


def _body_text(req: WerkzeugRequest) -> str:
    """The query of an application/sparql-query body, which the protocol requires in UTF-8."""
    charset = req.mimetype_params.get("charset", "utf-8")
    if charset.lower().replace("_", "-") not in ("utf-8", "utf8"):
        raise BadQuery(
            f"the request body is declared as charset={charset}; "
            "the SPARQL protocol requires UTF-8 for application/sparql-query"
        )
    try:
        return req.get_data().decode("utf-8")
    except UnicodeDecodeError as e:
        raise BadQuery(f"the request body is not valid UTF-8: {e}") from e


def _single(params: dict[str, list[str]], name: str) -> str | None:
    values = params.get(name, [])
    if len(set(values)) > 1:  # the same value twice is harmless (SPARQLWrapper does it)
        raise BadParameter(name, f"give one value, not {len(set(values))}")
    return values[0] if values else None


def _timeout(params: dict[str, list[str]]) -> float | None:
    raw = _single(params, "timeout")
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise BadParameter("timeout", f"'{raw}' is not a number of seconds") from None
    if not value > 0 or value != value:
        raise BadParameter("timeout", "must be a positive number of seconds")
    return value


def _dataset(params: dict[str, list[str]], engine: Engine) -> QueryDataset:
    inference = read_flag("inference", _single(params, "inference"), default=True)
    default = params.get("default-graph-uri")
    named = params.get("named-graph-uri")
    if default is None and named is None:
        return QueryDataset(inference=inference)
    known = set(engine.graph_names())
    for name, graphs in (("default-graph-uri", default), ("named-graph-uri", named)):
        for graph in graphs or ():
            if graph not in known:
                raise BadParameter(
                    name,
                    f"<{graph}> is not a graph of this dataset; nothing is fetched from "
                    "elsewhere. The graphs are listed in the service description (GET /sparql)",
                )
    return QueryDataset(tuple(default or ()), tuple(named or ()), inference)


def service_description() -> Response:
    """The SPARQL 1.1 Service Description of this endpoint, in Turtle, JSON-LD or RDF/XML."""
    offers = [*SERVICE_MEDIA_TYPES, *SD_ALIASES]
    media_type = best_of(request.accept_mimetypes, offers, SD_ALIASES)
    if media_type is None:
        raise NotAcceptable(
            f"the service description is available as {', '.join(SERVICE_MEDIA_TYPES)} only"
        )
    # sd:endpoint must be absolute: under CAKG_PUBLIC_URL when set; else the address the client
    # used, and then the answer is for that client only (never a shared cache's, see VoID)
    public = state.settings().public_url
    endpoint_iri = public.rstrip("/") + "/sparql" if public else request.base_url

    def make() -> bytes:
        graph = service_description_graph(endpoint_iri, state.release().manifest, state.engine())
        body: bytes = graph.serialize(format=writer(media_type), encoding="utf-8")
        return body

    body = state.memo(("service-description", endpoint_iri, media_type), make)
    response = Response(body, content_type=content_type(media_type))
    response.vary.add("Accept")
    if not public:
        response.cache_control.private = True
        response.vary.add("Host")
    return response


def service_description_graph(endpoint_iri: str, manifest: dict[str, Any], engine: Engine) -> Graph:
    """The service description graph: languages, formats, features, dataset, entailment."""
    g = Graph()
    g.bind("sd", SD)
    g.bind("ent", ENTAILMENT)
    g.bind("void", VOID)
    g.bind("dcterms", DCTERMS)
    service = BNode("service")
    endpoint = URIRef(endpoint_iri)
    g.add((service, RDF.type, SD.Service))
    g.add((service, SD.endpoint, endpoint))
    g.add((service, SD.supportedLanguage, SD.SPARQL11Query))
    for media_type in (*RESULT_MEDIA_TYPES, *GRAPH_MEDIA_TYPES):
        g.add((service, SD.resultFormat, FORMAT_IRIS[media_type]))
    g.add((service, SD.feature, SD.UnionDefaultGraph))
    g.add((service, SD.defaultEntailmentRegime, ENTAILMENT["OWL-RDF-Based"]))
    g.add((service, SD.supportedEntailmentProfile, OWL_RL))
    g.add(
        (
            service,
            DCTERMS.description,
            Literal(
                f"Read-only SPARQL 1.1 endpoint of the Central Asia Knowledge Graph "
                f"(engine {engine.name}, dataset version {manifest.get('version')}). The "
                f"default graph is the union of every named graph, the OWL 2 RL closure in "
                f"<{INFERRED_GRAPH}> included; inference=false leaves that graph out. SERVICE "
                f"and updates are refused; FROM and default-graph-uri name local graphs only.",
                lang="en",
            ),
        )
    )
    dataset = BNode("dataset")
    g.add((service, SD.defaultDataset, dataset))
    g.add((dataset, RDF.type, SD.Dataset))
    default_graph = BNode("default-graph")
    g.add((dataset, SD.defaultGraph, default_graph))
    g.add((default_graph, RDF.type, SD.Graph))
    if "triples" in manifest:
        g.add(
            (default_graph, VOID.triples, Literal(int(manifest["triples"]), datatype=XSD.integer))
        )
    counts: dict[str, int] = manifest.get("graphs", {})
    for name in sorted(set(engine.graph_names()) | set(counts)):
        named = BNode()
        g.add((dataset, SD.namedGraph, named))
        g.add((named, RDF.type, SD.NamedGraph))
        g.add((named, SD.name, URIRef(name)))
        description = BNode()
        g.add((named, SD.graph, description))
        g.add((description, RDF.type, SD.Graph))
        if name in counts:
            g.add((description, VOID.triples, Literal(int(counts[name]), datatype=XSD.integer)))
        if name == str(INFERRED_GRAPH):
            g.add((named, SD.entailmentRegime, ENTAILMENT["OWL-RDF-Based"]))
            g.add((named, SD.supportedEntailmentProfile, OWL_RL))
            g.add(
                (
                    named,
                    DCTERMS.description,
                    Literal("The triples inferred by the OWL 2 RL closure (owlrl).", lang="en"),
                )
            )
        else:
            g.add((named, SD.entailmentRegime, ENTAILMENT.Simple))
    return g


@bp.route("/healthz")
def healthz() -> Response:
    """Liveness: the dataset version, the engine and how many query workers are alive.

    `store_profile`: for the remote engine, the store's profile ("oxigraph", "virtuoso",
    "standard"); null otherwise.

    `build_error`: when the last build failed (the served release is then older than the
    sources), its `message`, `file`, `line`, `column`, `error` code, `failed` time and the
    version it left `serving`; null when the last build succeeded.
    """
    engine = state.engine()
    pool = getattr(engine, "pool", None)
    workers = pool.alive() if pool is not None else None
    healthy = workers is None or workers > 0
    body = {
        "status": "ok" if healthy else "degraded",
        "engine": engine.name,
        "version": engine.version,
        "release": state.release().id,
        "workers": workers,
        "network_isolated": getattr(pool, "isolated", None),
        "store_profile": getattr(engine, "profile", None),  # remote: cakg.store.profiles
        "build_error": failed_build(state.settings()),
    }
    return Response(json.dumps(body), 200 if healthy else 503, content_type=JSON)
