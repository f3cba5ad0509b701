"""The map on a resource's page: the resource (a state as its area) and the places it links to,
drawn by the one map view of the saved queries (cakg.views.geography, Vega), not by hand."""

from __future__ import annotations

from rdflib import RDF, URIRef

from cakg.engine.base import Engine
from cakg.namespaces import CAKG, PREFIXES
from cakg.resource_description import Description
from cakg.views.base import View
from cakg.views.geography import map_view
from cakg.views.labels import Terms

GEOMETRY = {PREFIXES["geo"] + "hasGeometry", PREFIXES["geo"] + "hasDefaultGeometry"}
PLACE_VIEW = {"type": "map", "geometry": "place", "area": "place"}


def mapped_places(d: Description) -> list[URIRef]:
    """The resource when it has a point or is a state, then each linked IRI with a point (its
    geometry nodes excepted: they are where it is, drawn as the resource itself)."""
    iri = str(d.iri)
    state = any(st.predicate == RDF.type and st.object == CAKG.State for st in d.own())
    geometries = {str(st.object) for st in d.statements if str(st.predicate) in GEOMETRY}
    shaped = {str(st.subject) for st in d.backlinks if str(st.predicate) in GEOMETRY}
    linked = {str(st.object) for st in d.own()} | {str(st.subject) for st in d.backlinks}
    # a place's geometry is its shape or point, not a place beside it (on either's page)
    linked -= geometries | shaped
    shown = [iri] if state or d.points.get(iri) else []
    shown += sorted(i for i in linked - {iri} if d.points.get(i))
    return [URIRef(i) for i in shown]


def place_map(engine: Engine, d: Description, terms: Terms, atlas_url: str) -> View | None:
    """The page's map, or None when nothing on it has a place."""
    places = mapped_places(d)
    if not places:
        return None
    view = map_view(engine, PLACE_VIEW, ["place"], [(p,) for p in places], terms, atlas_url)
    if view.spec is None:
        return None
    shown = [(terms.get(str(p)).label, point) for p in places for point in d.points.get(str(p), [])]
    if shown:  # in words too, for readers without the picture
        where = "; ".join(f"{label} {p.lat:.4f}, {p.lon:.4f}" for label, p in shown)
        view.notes.append(f"Coordinates (WGS 84): {where}.")
    return view
