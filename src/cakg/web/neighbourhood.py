"""bp "neighbourhood": the neighbourhood graph of resources, for a page's graph to expand.

GET /neighbourhood?iri=<IRI>&iri=<IRI>...   JSON: {"spec": the Vega specification of the graph
                                            of every named IRI's facts (each once), "nodes": [{
                                            "iri", "label", "href"}], "expanded": [IRIs]}

A resource page draws the neighbourhood of its resource (cakg.web.resource_views); clicking a
node asks for the graph of the resources shown so far plus that node, and draws it in place
(static/neighbourhood.js). At most MAX_CENTRES IRIs; each must be in the dataset. Errors are
JSON {"error", "message"} naming the parameter (400) or the IRI (404).
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request
from rdflib import URIRef

from cakg.errors import BadParameter
from cakg.ontology_axioms import load_axioms
from cakg.resource_description import describe_resource
from cakg.resource_facts import Fact, fold_facts
from cakg.views.labels import Terms
from cakg.web import state
from cakg.web.negotiation import cached
from cakg.web.resource_views import neighbourhood as neighbourhood_view

bp = Blueprint("neighbourhood", __name__)

MAX_CENTRES = 25
MAX_IRI = 2000
PARAMETERS = {"iri"}


@bp.get("/neighbourhood")
def graph() -> Response:
    """The graph of the named resources' facts, as JSON with its Vega specification."""
    unknown = sorted(set(request.args) - PARAMETERS)
    if unknown:
        raise BadParameter(
            unknown[0], f"unknown parameter; this takes {', '.join(sorted(PARAMETERS))}"
        )
    iris = list(dict.fromkeys(request.args.getlist("iri")))
    if not iris:
        raise BadParameter("iri", "missing: name the resource(s) whose neighbourhood to draw")
    if len(iris) > MAX_CENTRES:
        raise BadParameter("iri", f"{len(iris)} given; at most {MAX_CENTRES}")
    for iri in iris:
        if not iri.strip():
            raise BadParameter("iri", "empty")
        if len(iri) > MAX_IRI:
            raise BadParameter("iri", f"longer than {MAX_IRI} characters")
        if not iri.startswith(("http://", "https://")):
            raise BadParameter("iri", f"not an absolute http(s) IRI: {iri[:100]!r}")

    def make() -> Response:
        engine = state.engine()
        axioms = load_axioms(engine)
        centres: list[tuple[URIRef, list[Fact]]] = []
        for iri in iris:
            description = describe_resource(engine, iri)  # ResourceNotFound: 404
            centres.append((description.iri, fold_facts(description, axioms)))
        terms = Terms(state.settings().base_iri, request.script_root)
        view = neighbourhood_view(engine, centres, terms)
        spec = view.spec if view is not None else None
        nodes = []
        if spec is not None:
            data = next(d for d in spec["data"] if d["name"] == "node-data")
            nodes = [
                {"iri": n["iri"], "label": n["label"], "href": n["href"]} for n in data["values"]
            ]
        return jsonify({"spec": spec, "nodes": nodes, "expanded": iris})

    return cached(make, "application/json", "neighbourhood " + "\0".join(iris))
