"""A resource's description, with the provenance of every triple, asked of any engine in SPARQL.

`describe_resource(engine, iri)` returns the resource's own triples (and those of the blank
nodes it points to), the triples that point to it (backlinks), the labels and definitions of
every IRI it mentions, the named graphs that assert each triple, and the source document behind
each source graph, and the evidence for it: the spans of source texts that support the resource
when it is a statement, or the statements about it, or give a source document's date
(cakg.evidence). Triples found only in the inferred graph are flagged; `inference=False` leaves
them out; `explain=True` adds how each follows (cakg.inference_explanation), with the labels and
sources of what that mentions (what each named graph is: cakg.graph_sources). About 400 lines:
the description (its dataclasses) and the SPARQL that fills it (one query per part, over any
engine) change together.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from pygeoif import Point as GeoPoint
from pygeoif import from_wkt
from pygeoif.exceptions import WKTParserError
from rdflib import RDF, BNode, Graph, Literal, URIRef
from rdflib import Dataset as RdfDataset
from rdflib.term import Node

from cakg.engine.base import Engine, QueryDataset
from cakg.errors import ResourceNotFound
from cakg.evidence import Evidence, find_evidence
from cakg.graph_sources import Source as Source  # the pages import it from here
from cakg.graph_sources import graph_sources
from cakg.inference_explanation import Explanation, explain_inferences
from cakg.namespaces import INFERRED_GRAPH, PREFIXES, REFERENCE_GRAPH, SOURCE_GRAPH_PREFIX

MAX_BACKLINKS = 2000
MAX_TRIPLES = 5000
GEO = PREFIXES["geo"]
WKT_LITERAL = URIRef(GEO + "wktLiteral")
_CRS = re.compile(r"^\s*<([^>]*)>\s*")
# Characters that may not appear in an IRI written between angle brackets in SPARQL.
_UNSAFE_IRI = re.compile(r'[\x00-\x20<>"{}|^`\\]')

_PROLOGUE = "".join(
    f"PREFIX {p}: <{PREFIXES[p]}>\n"
    for p in ("cakg", "dcterms", "geo", "rdfs", "schema", "skos", "owl")
)

_OWN = (
    _PROLOGUE
    + """SELECT ?s ?x ?p ?o ?g WHERE {
  { GRAPH ?g { ?s ?p ?o } }
  UNION
  { ?s ?q ?x . FILTER(isBlank(?x)) GRAPH ?g { ?x ?p ?o } }
}"""
)

_BACK = _PROLOGUE + "SELECT ?o ?x ?p ?g WHERE { GRAPH ?g { ?x ?p ?o } FILTER(isIRI(?x)) }"

_EXISTS = "ASK { { ?s ?p ?o } UNION { ?x ?q ?s } }"

_TERMS = (
    _PROLOGUE
    + """SELECT ?x ?kind ?text ?lp ?lg WHERE {
  VALUES ?x { %s }
  {
    VALUES ?lp { rdfs:label skos:prefLabel schema:name dcterms:title }
    GRAPH ?lg { ?x ?lp ?text } BIND("label" AS ?kind)
  } UNION {
    ?doc dcterms:hasFormat ?x ; dcterms:title ?text . BIND("formatOf" AS ?kind)
  } UNION {
    ?x skos:definition|rdfs:comment ?text . BIND("definition" AS ?kind)
  } UNION {
    ?x geo:asWKT|geo:hasGeometry/geo:asWKT|geo:hasDefaultGeometry/geo:asWKT ?text .
    BIND("wkt" AS ?kind)
  }
}"""
)


@dataclass
class Statement:
    """One triple and the named graphs that assert it."""

    subject: Node
    predicate: URIRef
    object: Node
    graphs: list[str] = field(default_factory=list)

    @property
    def inferred(self) -> bool:
        """True when only the reasoner's graph holds this triple."""
        return bool(self.graphs) and all(g == str(INFERRED_GRAPH) for g in self.graphs)


@dataclass
class Point:
    lon: float
    lat: float


@dataclass
class Description:
    """Everything a page or an RDF document about one resource needs."""

    iri: URIRef
    statements: list[Statement]  # about the resource, or about a blank node it points to
    backlinks: list[Statement]  # resources that point to it
    labels: dict[str, list[Literal]]  # IRI -> its labels, every language
    label_triples: list[tuple[URIRef, URIRef, Literal]]
    definitions: dict[str, list[Literal]]
    points: dict[str, list[Point]]  # IRI -> WKT points (the resource and what it mentions)
    sources: dict[str, Source]  # graph IRI -> what that graph is
    inference: bool = True
    truncated: bool = False
    evidence: list[Evidence] = field(default_factory=list)
    # inferred (subject, predicate, object) -> how it follows (None: rule not identified);
    # filled by describe_resource(explain=True), for at most MAX_EXPLAINED triples
    explanations: dict[tuple[Node, Node, Node], Explanation | None] = field(default_factory=dict)
    explained: bool = False
    # each label triple -> the named graphs that state it (for TriG and N-Quads)
    label_graphs: dict[tuple[URIRef, URIRef, Literal], list[str]] = field(default_factory=dict)
    # a source's text (the dcterms:hasFormat of a source document) -> the document's titles
    format_titles: dict[str, list[Literal]] = field(default_factory=dict)

    @property
    def types(self) -> list[URIRef]:
        seen: dict[URIRef, None] = {}
        for st in self.statements:
            is_type = st.subject == self.iri and st.predicate == RDF.type
            if is_type and isinstance(st.object, URIRef):
                seen.setdefault(st.object, None)
        return list(seen)

    def own(self) -> list[Statement]:
        """The statements whose subject is the resource itself."""
        return [st for st in self.statements if st.subject == self.iri]

    def about(self, node: Node) -> list[Statement]:
        """The statements about one blank node the resource points to."""
        return [st for st in self.statements if st.subject == node]

    def graph(self) -> Graph:
        """The description as one RDF graph: triples, backlinks and the labels it mentions."""
        g = Graph()
        for prefix, ns in PREFIXES.items():
            g.bind(prefix, ns, override=True)
        for st in (*self.statements, *self.backlinks):
            g.add((st.subject, st.predicate, st.object))
        for triple in self.label_triples:
            g.add(triple)
        return g

    def dataset(self) -> RdfDataset:
        """The description in the named graphs that state each triple (for TriG, N-Quads): the
        same triples as graph(), the labels of what it mentions included."""
        ds = RdfDataset()
        for prefix, ns in PREFIXES.items():
            ds.bind(prefix, ns, override=True)
        for st in (*self.statements, *self.backlinks):
            for name in st.graphs:
                # rdflib takes a graph name for the context; its stubs say Graph only.
                ds.add((st.subject, st.predicate, st.object, URIRef(name)))  # type: ignore[arg-type]
        for (s, p, o), names in self.label_graphs.items():
            for name in names:
                ds.add((s, p, o, URIRef(name)))  # type: ignore[arg-type]
        return ds


def describe_resource(
    engine: Engine,
    iri: str,
    *,
    inference: bool = True,
    max_backlinks: int = MAX_BACKLINKS,
    explain: bool = False,
    evidence: bool = False,
) -> Description:
    """The description of IRI; ResourceNotFound when no triple mentions it as subject or object.

    `explain`: also how each inferred triple follows (cakg.inference_explanation), with the
    labels of the terms and the sources of the graphs its premises mention. `evidence`: also the
    spans of source texts that support it (cakg.evidence). Both are for the HTML page; the RDF
    descriptions need neither, so they run neither query."""
    _check(iri)
    subject = URIRef(iri)
    dataset = QueryDataset(inference=inference)
    own = engine.query(_OWN, dataset=dataset, bindings={"s": subject}, max_rows=MAX_TRIPLES)
    statements = _collect(
        ((subject if x is None else x, p, o, g) for _s, x, p, o, g in own.rows),
        inference,
        keep_blank_subjects=True,
    )
    back = engine.query(_BACK, dataset=dataset, bindings={"o": subject}, max_rows=max_backlinks)
    backlinks = _collect(((x, p, subject, g) for _o, x, p, g in back.rows), inference)
    if not statements and not backlinks:
        raise ResourceNotFound(f"no triple in the dataset mentions <{iri}>")

    mentioned: dict[str, None] = {iri: None}
    graphs: dict[str, None] = {}
    for st in (*statements, *backlinks):
        for node in (st.subject, st.predicate, st.object):
            if isinstance(node, URIRef):
                mentioned.setdefault(str(node), None)
            elif isinstance(node, Literal) and node.datatype is not None:
                mentioned.setdefault(str(node.datatype), None)
        for g in st.graphs:
            graphs.setdefault(g, None)
    truncated = own.truncated or back.truncated
    explanations = (
        _explanations(engine, (*statements, *backlinks), mentioned, graphs, complete=not truncated)
        if (explain and inference)
        else {}
    )
    sources = graph_sources(engine, list(graphs))
    for src in sources.values():
        if src.document:
            mentioned.setdefault(src.document, None)
    terms = _terms(engine, list(mentioned), dataset)
    points = terms.points
    for st in statements:  # WKT literals on the resource's own blank-node geometry
        if st.predicate == URIRef(GEO + "asWKT") and isinstance(st.object, Literal):
            point = wkt_point(str(st.object))
            if point and point not in points.get(iri, []):
                points.setdefault(iri, []).append(point)
    return Description(
        iri=subject,
        statements=statements,
        backlinks=backlinks,
        labels=terms.labels,
        label_triples=sorted(terms.label_graphs),
        definitions=terms.definitions,
        points=points,
        sources=sources,
        inference=inference,
        truncated=truncated,
        evidence=find_evidence(engine, subject) if evidence else [],
        explanations=explanations,
        explained=explain and inference,
        label_graphs=terms.label_graphs,
        format_titles=terms.format_titles,
    )


def _explanations(
    engine: Engine,
    statements: tuple[Statement, ...],
    mentioned: dict[str, None],
    graphs: dict[str, None],
    *,
    complete: bool,
) -> dict[tuple[Node, Node, Node], Explanation | None]:
    """How the inferred statements follow; what their axioms and premises mention (IRIs and
    graphs) is added to `mentioned` and `graphs`, for labels and sources. `complete`: every
    graph of each statement is known (the description was not cut short), so a premise among
    them is not looked up again."""
    inferred = [(st.subject, st.predicate, st.object) for st in statements if st.inferred]
    known: dict[tuple[Node, Node, Node], list[str]] = {
        (st.subject, st.predicate, st.object): st.graphs for st in statements
    }
    explanations = explain_inferences(engine, inferred, known=known if complete else None)
    for explanation in explanations.values():
        if explanation is None:
            continue
        terms: list[Node] = []
        if explanation.axiom is not None:
            terms += [explanation.axiom.subject, *explanation.axiom.objects]
        for premise in explanation.premises:
            terms += [premise.subject, premise.predicate, premise.object]
            for g in premise.graphs:
                graphs.setdefault(g, None)
        for node in terms:
            if isinstance(node, URIRef):
                mentioned.setdefault(str(node), None)
    return explanations


def exists(engine: Engine, iri: str, *, inference: bool = True) -> bool:
    """True when some triple has IRI as its subject or object."""
    if _UNSAFE_IRI.search(iri):
        return False
    result = engine.query(
        _EXISTS, dataset=QueryDataset(inference=inference), bindings={"s": URIRef(iri)}
    )
    return bool(result.boolean)


def _check(iri: str) -> None:
    if _UNSAFE_IRI.search(iri):
        raise ResourceNotFound(f"not a valid IRI, so not in the dataset: {iri!r}")


def _collect(
    rows: object, inference: bool, *, keep_blank_subjects: bool = False
) -> list[Statement]:
    by_triple: dict[tuple[Node, Node, Node], Statement] = {}
    for s, p, o, g in rows:  # type: ignore[attr-defined]
        if g is None or not isinstance(p, URIRef):
            continue
        if not inference and str(g) == str(INFERRED_GRAPH):
            continue
        if isinstance(s, BNode) and not keep_blank_subjects:
            continue
        st = by_triple.setdefault((s, p, o), Statement(s, p, o))
        if str(g) not in st.graphs:
            st.graphs.append(str(g))
    for st in by_triple.values():
        st.graphs.sort(key=_graph_order)
    return sorted(by_triple.values(), key=lambda st: (str(st.predicate), _sort_key(st.object)))


def _graph_order(g: str) -> tuple[int, str]:
    if g.startswith(SOURCE_GRAPH_PREFIX):
        return (0, g)
    if g == str(REFERENCE_GRAPH):
        return (1, g)
    if g == str(INFERRED_GRAPH):
        return (3, g)
    return (2, g)


def _sort_key(node: Node) -> tuple[int, str]:
    if isinstance(node, Literal):
        return (1, f"{node.language or ''}\0{node}")
    return (0, str(node))


@dataclass
class _Terms:
    labels: dict[str, list[Literal]] = field(default_factory=lambda: defaultdict(list))
    label_graphs: dict[tuple[URIRef, URIRef, Literal], list[str]] = field(default_factory=dict)
    definitions: dict[str, list[Literal]] = field(default_factory=lambda: defaultdict(list))
    points: dict[str, list[Point]] = field(default_factory=lambda: defaultdict(list))
    format_titles: dict[str, list[Literal]] = field(default_factory=lambda: defaultdict(list))


def _terms(engine: Engine, iris: list[str], dataset: QueryDataset) -> _Terms:
    """The labels (and the graphs stating them), definitions, points and, for a source's text,
    its document's title, of each IRI."""
    found = _Terms()
    safe = [i for i in iris if not _UNSAFE_IRI.search(i)]
    for start in range(0, len(safe), 200):
        chunk = safe[start : start + 200]
        values = " ".join(f"<{i}>" for i in chunk)
        for x, kind, text, lp, lg in engine.query(_TERMS % values, dataset=dataset).rows:
            if not isinstance(text, Literal) or kind is None:
                continue
            key = str(x)
            if str(kind) == "label":
                if not dataset.inference and str(lg) == str(INFERRED_GRAPH):
                    continue
                names = found.label_graphs.setdefault((URIRef(key), lp, text), [])  # type: ignore[arg-type]
                if lg is not None and str(lg) not in names:
                    names.append(str(lg))
                if text not in found.labels[key]:
                    found.labels[key].append(text)
            elif str(kind) == "definition":
                if text not in found.definitions[key]:
                    found.definitions[key].append(text)
            elif str(kind) == "formatOf":
                if text not in found.format_titles[key]:
                    found.format_titles[key].append(text)
            else:
                point = wkt_point(str(text))
                if point and point not in found.points[key]:
                    found.points[key].append(point)
    for texts in (*found.labels.values(), *found.definitions.values()):
        texts.sort(key=lambda lit: (lit.language or "", str(lit)))
    for names in found.label_graphs.values():
        names.sort(key=_graph_order)
    found.labels = dict(found.labels)
    found.definitions = dict(found.definitions)
    found.points = dict(found.points)
    found.format_titles = dict(found.format_titles)
    return found


def wkt_point(wkt: str) -> Point | None:
    """The point of a GeoSPARQL WKT literal (CRS84 lon/lat by default; EPSG:4326 is lat/lon)."""
    crs = _CRS.match(wkt)
    text = wkt[crs.end() :] if crs else wkt
    try:
        geom = from_wkt(text)
    except (WKTParserError, ValueError):
        return None
    if geom is None:
        return None
    if isinstance(geom, GeoPoint):
        lon, lat = geom.x, geom.y
    else:
        bbox = geom.__geo_interface__.get("bbox")
        if not bbox:
            return None
        lon, lat = (bbox[0] + bbox[2]) / 2, (bbox[1] + bbox[3]) / 2
    if crs and crs.group(1).rstrip("/").endswith("EPSG/0/4326"):
        lon, lat = lat, lon
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        return None
    return Point(float(lon), float(lat))
