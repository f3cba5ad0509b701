"""The pictures of a resource page, drawn by the views the saved queries use (cakg.views).

- a timeline of the dated things the resource is linked to (events, agreements, figures, office
  holdings) and of itself when dated: cakg.views.timeline, one mark per thing;
- its neighbourhood graph: the things its facts (each once, cakg.resource_facts) link it to, as
  the shared node-link view (cakg.views.graph); the page expands it from bp "neighbourhood";
- for a transport corridor or a route, its route map: the places its passages go through, in
  order, with its branches' (cakg.views.geography, as the gallery's corridor maps).
"""

from __future__ import annotations

from typing import Any

from rdflib import Literal, URIRef
from rdflib.term import Node

from cakg.engine.base import Engine, QueryDataset
from cakg.namespaces import CAKG, PREFIXES
from cakg.resource_description import Description
from cakg.resource_facts import Fact
from cakg.views.base import View
from cakg.views.geography import map_view
from cakg.views.graph import graph_view
from cakg.views.labels import Terms
from cakg.views.timeline import timeline_view

MAX_NEIGHBOURS = 50
MAX_DATED = 400
TIMELINE = {"type": "timeline", "date": "date", "label": "label", "series": "kind"}
TIMELINE_COLUMNS = {"thing": "What", "label": "What", "date": "Date", "kind": "Kind"}
ROUTE = {"type": "map", "geometry": "place", "label": "placeLabel", "area": "place",
         "route": "corridor", "order": "position"}  # fmt: skip
ROUTE_VARIABLES = ["me", "corridor", "position", "place", "placeLabel"]
_PROLOGUE = f"PREFIX cakg: <{CAKG}>\nPREFIX rdfs: <{PREFIXES['rdfs']}>\n"
_DATED = (
    _PROLOGUE
    + """SELECT ?x ?date ?label ?kind WHERE {
  VALUES ?x { %s }
  ?x cakg:date|cakg:year|cakg:asOf ?date .
  OPTIONAL { ?x rdfs:label ?label FILTER(langMatches(lang(?label), "en")) }
  OPTIONAL {
    ?x a ?type . ?type rdfs:label ?kind
    FILTER(STRSTARTS(STR(?type), STR(cakg:)) && langMatches(lang(?kind), "en"))
    FILTER NOT EXISTS { ?x a ?sub . ?sub rdfs:subClassOf ?type FILTER(?sub != ?type) }
  }
}"""
)
_ROUTE = (
    _PROLOGUE
    + """SELECT ?me ?corridor ?position ?place ?placeLabel WHERE {
  # each branch binds ?me in a triple pattern: the bindings restrict it wherever they are joined
  { ?passage cakg:passageOf ?me BIND(?me AS ?corridor) }
  UNION { ?corridor cakg:branchOf ?me . ?passage cakg:passageOf ?corridor }
  ?passage cakg:sequence ?position ; cakg:passesThrough ?place .
  OPTIONAL { ?place rdfs:label ?placeLabel FILTER(langMatches(lang(?placeLabel), "en")) }
} ORDER BY ?corridor ?position"""
)


def resource_views(
    engine: Engine, d: Description, facts: list[Fact], terms: Terms, atlas_url: str
) -> dict[str, Any]:
    """The page's timeline, neighbourhood graph and route map (None where it has none)."""
    return {
        "timeline": timeline(engine, d, facts, terms),
        "graph": neighbourhood(engine, [(d.iri, facts)], terms),
        "route": route_map(engine, d, terms, atlas_url),
        "route_stops": route_stops(engine, d, terms),
    }


def timeline(engine: Engine, d: Description, facts: list[Fact], terms: Terms) -> View | None:
    """The dated things the resource is linked to, and itself when dated."""
    things = [d.iri] + [
        n for f in facts for n in (f.neighbour, *(o.neighbour for o in f.others))
        if isinstance(n, URIRef)
    ]  # fmt: skip
    unique = list(dict.fromkeys(str(t) for t in things))[:MAX_DATED]
    values = " ".join(f"<{i}>" for i in unique if ">" not in i and " " not in i)
    rows = engine.query(_DATED % values, dataset=QueryDataset(inference=True)).rows
    kept: dict[str, tuple[Node | None, ...]] = {}
    for x, date, label, kind in rows:
        if x is None or date is None:
            continue
        name = label if label is not None else Literal(terms.get(str(x)).label)
        previous = kept.get(str(x))
        if previous is None or (previous[3] is None and kind is not None):
            kept[str(x)] = (x, name, date, kind if kind is not None else Literal("thing"))
    if not kept:
        return None
    terms.lookup(engine, kept)
    view = timeline_view(TIMELINE, TIMELINE_COLUMNS, ["thing", "label", "date", "kind"],
                         list(kept.values()), terms)  # fmt: skip
    return view if view.spec is not None else None


def neighbour_triples(me: URIRef, facts: list[Fact]) -> list[tuple[Node, Node, Node]]:
    """The links of the neighbourhood graph: each fact linking the resource to a named thing,
    in its natural direction."""
    by_property: dict[tuple[bool, URIRef], list[tuple[Node, Node, Node]]] = {}
    for fact in facts:
        for f in (fact, *fact.others):
            if isinstance(f.neighbour, URIRef) and f.neighbour != me:
                by_property.setdefault((f.forward, f.predicate), []).append(
                    (f.subject, f.predicate, f.object)
                )
    # every property's first links before any property's second: a page cut at MAX_NEIGHBOURS
    # still shows each kind of link
    lists = list(by_property.values())
    return [
        t
        for i in range(max(map(len, lists), default=0))
        for t in (x[i] for x in lists if i < len(x))
    ]


def neighbourhood(
    engine: Engine, centres: list[tuple[URIRef, list[Fact]]], terms: Terms
) -> View | None:
    """The node-link picture of the CENTRES' facts (at most MAX_NEIGHBOURS links each)."""
    triples: dict[tuple[Node, Node, Node], None] = {}
    for me, facts in centres:
        for triple in neighbour_triples(me, facts)[:MAX_NEIGHBOURS]:
            triples.setdefault(triple, None)
    if not triples:
        return None
    view = graph_view(engine, list(triples), terms)
    if view.spec is None:
        return None
    expandable(view.spec, [str(me) for me, _facts in centres])
    return view


def expandable(spec: dict[str, Any], expanded: list[str]) -> None:
    """Make the graph's nodes expand on a click (static/neighbourhood.js) instead of following
    their link: the page opens a node's page on a second click, and lists them all below."""
    for mark in spec.get("marks", []):
        if mark.get("name") == "nodes":
            mark["encode"]["update"]["href"] = {"value": None}
            mark["encode"]["update"]["cursor"] = {"value": "pointer"}
    meta = spec.setdefault("usermeta", {}).setdefault("cakg", {})
    meta["expanded"] = expanded


def route_map(engine: Engine, d: Description, terms: Terms, atlas_url: str) -> View | None:
    """A corridor's or a route's map: its places in order, its branches' too."""
    kinds = {str(t) for t in d.types}
    if not kinds & {str(CAKG.TransportCorridor), str(CAKG.Route)}:
        return None
    rows = engine.query(_ROUTE, dataset=QueryDataset(), bindings={"me": d.iri}).rows
    if not rows:
        return None
    view = map_view(engine, ROUTE, ROUTE_VARIABLES, rows, terms, atlas_url)
    return view if view.spec is not None else None


def route_stops(engine: Engine, d: Description, terms: Terms) -> list[dict[str, Any]]:
    """The route map's rows in words: each corridor or branch, its places in order."""
    kinds = {str(t) for t in d.types}
    if not kinds & {str(CAKG.TransportCorridor), str(CAKG.Route)}:
        return []
    rows = engine.query(_ROUTE, dataset=QueryDataset(), bindings={"me": d.iri}).rows
    terms.lookup(engine, (str(c) for row in rows for c in row if isinstance(c, URIRef)))
    lines: dict[str, dict[str, Any]] = {}
    for _me, corridor, position, place, _label in rows:
        line = lines.setdefault(str(corridor), {"route": terms.get(str(corridor)), "stops": []})
        line["stops"].append((str(position), terms.get(str(place))))
    return list(lines.values())
