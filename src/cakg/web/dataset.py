"""bp "dataset": the dataset as a whole: its description, its dumps and its graphs.

GET /.well-known/void      the VoID and DCAT description: Turtle, HTML, JSON-LD, N-Triples, RDF/XML
GET /dataset               the dataset's IRI: 303 to its description
GET /dumps/<name>          cakg.ttl (union), cakg.trig, cakg.nq, and their .gz copies
GET /store?graph=IRI       SPARQL 1.1 Graph Store Protocol, read-only (or ?default)
GET /graph/<path>          a named graph's IRI: 303 to its content in the graph store
"""

from __future__ import annotations

from flask import Blueprint, Response, g, redirect, render_template, request, send_file, url_for
from rdflib import Graph
from werkzeug.wrappers import Response as BaseResponse

from cakg.engine.base import QueryDataset
from cakg.errors import BadParameter, NotFound, ResourceNotFound
from cakg.media import DUMP_MEDIA_TYPES, GZIP, HTML
from cakg.release import DUMPS
from cakg.void import ROOT_PLACEHOLDER, build_void, with_root
from cakg.web import linked_view, state
from cakg.web.negotiation import (
    FORMATS,
    MAX_AGE,
    TRIPLES,
    cached,
    negotiate,
    public_url,
    serialize,
    viewer,
)
from cakg.web.params import read_flag

bp = Blueprint("dataset", __name__)


def void_root() -> str:
    """The root of the dataset description's absolute URLs: public_url, else the request's own
    root URL (which the Host header names; see `void`)."""
    return public_url() or request.url_root


def void_graph() -> Graph:
    """The VoID and DCAT description of the dataset served here, its URLs under `void_root()`.

    Counted once per dataset version (whatever Host asks), then given the root.
    """
    described: Graph = state.memo(
        ("void",),
        lambda: build_void(
            state.engine(),
            state.release().manifest,
            state.settings(),
            ROOT_PLACEHOLDER,
            counts=state.dataset_figures(),
        ),
    )
    return with_root(described, void_root())


def named_graph(iri: str) -> Graph:
    """One named graph of the dataset, whole."""
    count = int(state.release().manifest.get("graphs", {}).get(str(iri), 0))
    result = state.engine().query(
        "CONSTRUCT WHERE { ?s ?p ?o }",
        dataset=QueryDataset(default_graphs=(str(iri),), named_graphs=()),
        max_rows=count + 1,
    )
    graph = Graph()
    for triple in result.triples:
        graph.add(triple)
    return graph


@bp.get("/.well-known/void")
def void() -> Response:
    """The dataset description: Turtle, HTML, JSON-LD, N-Triples or RDF/XML.

    Its endpoint, dumps and landing page are absolute URLs, as VoID and DCAT consumers expect:
    they read void:sparqlEndpoint, void:dataDump and dcat:downloadURL from the document and use
    them as they are, often after copying the description elsewhere, where a relative URL has
    no base. With public_url set they are under it, and the description is public. Without it
    the only address known to reach this server is the one the client used (the request's root,
    from the Host header), which is right for that client and wrong for any other: the
    description is then `Cache-Control: private` with `Vary: Host`, so that no shared cache
    serves one Host's URLs (an attacker's `Host: evil.example`) to everyone.
    """
    key = negotiate(["ttl", "html", "jsonld", "nt", "rdf"])
    root = void_root()
    private = public_url() is None
    if key == "html":
        return cached(
            lambda: render_template(
                "linked/void.html", view=linked_view.void_view(void_graph(), viewer())
            ),
            HTML,
            "html " + root,
            ("Accept",),
            host_dependent=private,
        )
    return cached(
        lambda: serialize(void_graph(), key),
        FORMATS[key],
        f"{key} {root}",
        ("Accept",),
        host_dependent=private,
    )


@bp.get("/dataset")
def dataset() -> BaseResponse:
    """The dataset's IRI: 303 to its description."""
    return redirect(url_for("dataset.void"), code=303)


@bp.get("/dumps/<name>")
def dump(name: str) -> Response:
    """The whole dataset: cakg.ttl (union), cakg.trig, cakg.nq, and their .gz copies."""
    g.error_format = "text"
    plain = name.removesuffix(".gz")
    info = state.release().manifest.get("files", {}).get(name)
    if plain not in DUMPS or info is None:
        raise NotFound(f"no dump named {name!r}; the dumps are {', '.join(DUMPS)} (also .gz)")
    path = state.release().file(name)
    mimetype = GZIP if name.endswith(".gz") else DUMP_MEDIA_TYPES[plain]
    response = send_file(
        path,
        mimetype=mimetype,
        etag=info["sha256"],
        last_modified=state.release().built,
        max_age=MAX_AGE,
        conditional=True,
    )
    response.cache_control.public = True
    return response


@bp.route("/store", methods=["GET", "HEAD"])
def store() -> Response:
    """SPARQL 1.1 Graph Store Protocol, read-only: GET ?graph=IRI or ?default."""
    key = negotiate(list(TRIPLES))
    graphs = request.args.getlist("graph")
    default = "default" in request.args
    if default == bool(graphs) or len(graphs) > 1:
        raise BadParameter("graph", "give exactly one ?graph=IRI, or ?default")
    inference = read_flag("inference", request.args.get("inference"), default=True)
    if default:
        manifest = state.release().manifest

        def make() -> str:
            result = state.engine().query(
                "CONSTRUCT WHERE { ?s ?p ?o }",
                max_rows=int(manifest.get("triples", 0)) + 1,
                dataset=QueryDataset(inference=inference),
            )
            graph = Graph()
            for triple in result.triples:
                graph.add(triple)
            return serialize(graph, key)

        return cached(make, TRIPLES[key], f"default {key} {inference}", ("Accept",))
    iri = graphs[0]
    if iri not in state.release().manifest.get("graphs", {}):
        raise ResourceNotFound(f"no graph <{iri}> in the dataset")
    return cached(
        lambda: serialize(named_graph(iri), key), TRIPLES[key], f"{iri} {key}", ("Accept",)
    )


@bp.get("/graph/<path:path>")
def graph(path: str) -> BaseResponse:
    """A named graph's IRI: 303 to its content in the graph store."""
    iri = state.settings().base_iri + "graph/" + path
    if iri not in state.release().manifest.get("graphs", {}):
        g.error_format = "text"
        raise ResourceNotFound(f"no graph <{iri}> in the dataset")
    return redirect(url_for("dataset.store", graph=iri), code=303)
