"""A fast OWL RL materialiser for the rules the ontology uses, run inside pyoxigraph.

owlrl's forward chaining is pure Python and slow on large graphs. Here the schema (the ontology,
small) is closed with owlrl once; each instance-level rule it licenses then becomes one SPARQL
update with a VALUES table of the axioms, applied inside an in-memory pyoxigraph store until
nothing changes. The result equals owlrl's closure for the supported constructs (tested); an
ontology using any other construct with instance-level effect is refused (UnsupportedOntology),
so nothing is silently left out.

Supported: rdfs:subClassOf, owl:equivalentClass, rdfs:subPropertyOf, owl:equivalentProperty,
owl:inverseOf, owl:SymmetricProperty, owl:TransitiveProperty, owl:propertyChainAxiom,
rdfs:domain, rdfs:range, owl:sameAs (symmetry, transitivity, replacement).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import owlrl
import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS, XSD

from cakg.errors import InputError
from cakg.reason import Closure, external_aliases, is_alias_copy, is_trivial

UNSUPPORTED = (
    OWL.FunctionalProperty,
    OWL.InverseFunctionalProperty,
    OWL.hasValue,
    OWL.someValuesFrom,
    OWL.allValuesFrom,
    OWL.intersectionOf,
    OWL.unionOf,
    OWL.hasKey,
    OWL.maxCardinality,
    OWL.maxQualifiedCardinality,
    OWL.oneOf,
)


class UnsupportedOntology(InputError):
    """The ontology uses a construct the rule materialiser does not implement."""


@dataclass
class Axioms:
    """The instance-level axioms of a closed schema, as (IRI, IRI) tables."""

    subclass: set[tuple[URIRef, URIRef]]
    subproperty: set[tuple[URIRef, URIRef]]
    inverse: set[tuple[URIRef, URIRef]]
    symmetric: set[URIRef]
    transitive: set[URIRef]
    chains: list[tuple[URIRef, list[URIRef]]]
    domain: set[tuple[URIRef, URIRef]]
    range: set[tuple[URIRef, URIRef]]


def close_schema(ontology: Graph) -> Graph:
    """The ontology with its own OWL RL closure (small: owlrl is fine here)."""
    closed = Graph()
    for t in ontology:
        closed.add(t)
    owlrl.DeductiveClosure(
        owlrl.OWLRL_Semantics, rdfs_closure=False, axiomatic_triples=False, datatype_axioms=False
    ).expand(closed)
    return closed


def axioms_of(schema: Graph) -> Axioms:
    for construct in UNSUPPORTED:
        used = next(schema.subject_objects(construct), None) or next(
            schema.subjects(RDF.type, construct), None
        )
        if used is not None:
            raise UnsupportedOntology(
                f"the ontology uses {construct.n3(schema.namespace_manager)}, which the rule "
                "materialiser does not implement; use the owlrl reasoner instead"
            )

    def pairs(p: URIRef) -> set[tuple[URIRef, URIRef]]:
        return {
            (s, o)
            for s, o in schema.subject_objects(p)
            if isinstance(s, URIRef) and isinstance(o, URIRef) and s != o
        }

    eq_classes = pairs(OWL.equivalentClass)
    eq_props = pairs(OWL.equivalentProperty)
    subclass = {
        (c, d)
        for c, d in pairs(RDFS.subClassOf) | eq_classes | {(d, c) for c, d in eq_classes}
        if d not in (OWL.Thing, RDFS.Resource)
    }
    inverse = pairs(OWL.inverseOf)
    chains = []
    for prop, head in schema.subject_objects(OWL.propertyChainAxiom):
        if isinstance(prop, URIRef):
            chains.append((prop, [URIRef(p) for p in Collection(schema, head)]))
    return Axioms(
        subclass=subclass,
        subproperty=pairs(RDFS.subPropertyOf) | eq_props | {(q, p) for p, q in eq_props},
        inverse=inverse | {(q, p) for p, q in inverse},
        symmetric={p for p in schema.subjects(RDF.type, OWL.SymmetricProperty)},  # type: ignore[misc]
        transitive={p for p in schema.subjects(RDF.type, OWL.TransitiveProperty)},  # type: ignore[misc]
        chains=chains,
        domain={(p, c) for p, c in pairs(RDFS.domain) if c not in (OWL.Thing, RDFS.Resource)},
        range={(p, c) for p, c in pairs(RDFS.range) if c not in (OWL.Thing, RDFS.Resource)},
    )


def _values(names: str, rows: Iterable[tuple[URIRef, ...]]) -> str:
    body = " ".join("(" + " ".join(t.n3() for t in row) + ")" for row in sorted(rows))
    return f"VALUES ({names}) {{ {body} }}"


def rule_updates(ax: Axioms) -> list[str]:
    """One SPARQL update per rule family, over the default graph."""
    rules: list[str] = []
    if ax.subclass:
        vals = _values("?c ?d", ax.subclass)
        rules.append(f"INSERT {{ ?x a ?d }} WHERE {{ {vals} ?x a ?c }}")  # cax-sco, cax-eqc
    if ax.subproperty:
        vals = _values("?p ?q", ax.subproperty)
        rules.append(f"INSERT {{ ?x ?q ?y }} WHERE {{ {vals} ?x ?p ?y }}")  # prp-spo1, prp-eqp
    if ax.inverse:
        vals = _values("?p ?q", ax.inverse)
        rules.append(
            f"INSERT {{ ?y ?q ?x }} WHERE {{ {vals} ?x ?p ?y FILTER(!isLiteral(?y)) }}"
        )  # prp-inv1/2
    if ax.symmetric:
        vals = _values("?p", ((p,) for p in ax.symmetric))
        rules.append(
            f"INSERT {{ ?y ?p ?x }} WHERE {{ {vals} ?x ?p ?y FILTER(!isLiteral(?y)) }}"
        )  # prp-symp
    for p in sorted(ax.transitive):
        rules.append(f"INSERT {{ ?x {p.n3()} ?z }} WHERE {{ ?x {p.n3()}+ ?z }}")  # prp-trp
    for prop, chain in ax.chains:
        steps = " . ".join(f"?v{i} {p.n3()} ?v{i + 1}" for i, p in enumerate(chain))
        rules.append(f"INSERT {{ ?v0 {prop.n3()} ?v{len(chain)} }} WHERE {{ {steps} }}")
    if ax.domain:
        vals = _values("?p ?c", ax.domain)
        rules.append(f"INSERT {{ ?x a ?c }} WHERE {{ {vals} ?x ?p ?y }}")  # prp-dom
    if ax.range:
        vals = _values("?p ?c", ax.range)
        rules.append(
            f"INSERT {{ ?y a ?c }} WHERE {{ {vals} ?x ?p ?y FILTER(!isLiteral(?y)) }}"
        )  # prp-rng
    same = "<http://www.w3.org/2002/07/owl#sameAs>"
    rules += [
        f"INSERT {{ ?y {same} ?x }} WHERE {{ ?x {same} ?y }}",  # eq-sym
        f"INSERT {{ ?x {same} ?z }} WHERE {{ ?x {same} ?y . ?y {same} ?z }}",  # eq-trans
        f"INSERT {{ ?s2 ?p ?o }} WHERE {{ ?s {same} ?s2 . ?s ?p ?o }}",  # eq-rep-s
        f"INSERT {{ ?s ?p2 ?o }} WHERE {{ ?p {same} ?p2 . ?s ?p ?o }}",  # eq-rep-p
        f"INSERT {{ ?s ?p ?o2 }} WHERE {{ ?o {same} ?o2 . ?s ?p ?o }}",  # eq-rep-o
    ]
    return rules


def _to_ox(term: URIRef | BNode | Literal) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if term.language:
        return ox.Literal(str(term), language=term.language)
    if term.datatype:
        return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
    return ox.Literal(str(term))


def _to_rdflib(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> URIRef | BNode | Literal:
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    if term.datatype.value == str(XSD.string):  # rdflib keeps simple literals untyped
        return Literal(term.value)
    return Literal(term.value, datatype=URIRef(term.datatype.value))


def materialise(asserted: Iterable[Graph], ontology: Graph) -> Closure:
    """Like reason.reason(): the new, non-trivial triples of the OWL RL closure.

    Literals come out in Oxigraph's canonical form ("62.0"^^xsd:decimal as "62", derived
    integer types as xsd:integer): equal values to owlrl's, not always the same spelling.
    """
    asserted = list(asserted)
    schema = close_schema(ontology)
    updates = rule_updates(axioms_of(schema))
    store = ox.Store()
    for g in [ontology, *asserted]:
        for t in g:
            store.add(ox.Quad(*(_to_ox(x) for x in t)))
    before = set(store)  # as stored, i.e. with Oxigraph's canonical literals
    for t in schema:
        if not isinstance(t[0], Literal):  # owlrl's datatype bookkeeping; never kept
            store.add(ox.Quad(*(_to_ox(x) for x in t)))
    size = -1
    while size != len(store):
        size = len(store)
        for update in updates:
            store.update(update)
    aliases = external_aliases(t for g in asserted for t in g)  # type: ignore[misc]
    inferred = Graph()
    dropped = 0
    for quad in store:
        if quad in before:
            continue
        t = (_to_rdflib(quad.subject), _to_rdflib(quad.predicate), _to_rdflib(quad.object))
        if is_trivial(t) or is_alias_copy(t, aliases):  # type: ignore[arg-type]
            dropped += 1
            continue
        inferred.add(t)  # type: ignore[arg-type]
    return Closure(inferred, dropped)
