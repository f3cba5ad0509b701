"""bp "vocab": the ontology and the SHACL shapes, as HTML documentation or RDF.

GET /ontology[.ext]        the ontology (and each term's hash IRI): html, ttl, jsonld, nt, rdf
GET /ontology/<version>    the ontology's version IRI: the current version is served
GET /shapes[.ext]          the SHACL shapes
"""

from __future__ import annotations

import re

from flask import Blueprint, Response, g, url_for
from rdflib import URIRef

from cakg.errors import ResourceNotFound
from cakg.media import HTML
from cakg.namespaces import ONTOLOGY_GRAPH, ONTOLOGY_IRI, SHAPES_GRAPH
from cakg.web import state
from cakg.web.dataset import named_graph
from cakg.web.negotiation import TRIPLES, cached, fixed, negotiate, serialize

bp = Blueprint("vocab", __name__)

_VERSION = re.compile(r"[0-9A-Za-z][0-9A-Za-z.+-]{0,40}")


def _docs(name: str) -> str:
    """The release's HTML documentation page `name` (the build writes both pages)."""
    built = state.release().file(f"{name}.html")
    try:
        return built.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ResourceNotFound(
            f"the current release has no {name} documentation ({built.name}): "
            "run `cakg build --force` to rebuild it"
        ) from None


def _vocabulary(name: str, graph_iri: str, ext: str | None) -> Response:
    offers = ["html", *TRIPLES]
    key = fixed(ext, offers) if ext else negotiate(offers)
    if key == "html":
        response = cached(lambda: _docs(name), HTML, f"{name} html", ("Accept",))
    else:
        response = cached(
            lambda: serialize(named_graph(graph_iri), key), TRIPLES[key], key, ("Accept",)
        )
    response.headers["Link"] = ", ".join(
        f'<{url_for(f"vocab.{name}", ext=k)}>; rel="alternate"; type="{TRIPLES.get(k, HTML)}"'
        for k in ("html", *TRIPLES)
    )
    if not ext:
        response.headers["Content-Location"] = url_for(f"vocab.{name}", ext=key)
    return response


@bp.get("/ontology", defaults={"ext": None})
@bp.get("/ontology.<ext>")
def ontology(ext: str | None) -> Response:
    """The ontology (and each term's hash IRI): HTML documentation or RDF."""
    return _vocabulary("ontology", str(ONTOLOGY_GRAPH), ext)


@bp.get("/ontology/<version>")
def ontology_version(version: str) -> Response:
    """The ontology's version IRI: the current version is served, older ones are gone."""
    iri = state.settings().base_iri + "ontology/" + version
    stated = _VERSION.fullmatch(version) and state.engine().query(
        f"ASK {{ <{ONTOLOGY_IRI}> <http://www.w3.org/2002/07/owl#versionIRI> ?v }}",
        bindings={"v": URIRef(iri)},
    )
    if not stated or not stated.boolean:
        g.error_format = "text"
        raise ResourceNotFound(f"<{iri}> is not the current version of the ontology")
    return _vocabulary("ontology", str(ONTOLOGY_GRAPH), None)


@bp.get("/shapes", defaults={"ext": None})
@bp.get("/shapes.<ext>")
def shapes(ext: str | None) -> Response:
    """The SHACL shapes: HTML documentation or RDF."""
    return _vocabulary("shapes", str(SHAPES_GRAPH), ext)
