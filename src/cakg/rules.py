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
from typing import Any

import owlrl
import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS, XSD

from cakg.errors import InputError
from cakg.reason import Closure, external_aliases, is_alias_copy, is_trivial

SAME_AS = "<http://www.w3.org/2002/07/owl#sameAs>"

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
            chains.append((prop, [URIRef(str(p)) for p in Collection(schema, head)]))
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
    """One SPARQL update per rule family, over the default graph.

    In dependency order (properties, then domain and range, then classes), so that one pass
    reaches the fixed point when there is no owl:sameAs; the caller repeats until nothing changes.
    """
    rules: list[str] = []
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
        rules.append(
            f"INSERT {{ ?x a ?c }} WHERE {{ SELECT DISTINCT ?x ?c {{ {vals} ?x ?p ?y }} }}"
        )  # prp-dom
    if ax.range:
        vals = _values("?p ?c", ax.range)
        rules.append(
            f"INSERT {{ ?y a ?c }} WHERE {{ SELECT DISTINCT ?y ?c "
            f"{{ {vals} ?x ?p ?y FILTER(!isLiteral(?y)) }} }}"
        )  # prp-rng
    if ax.subclass:
        vals = _values("?c ?d", ax.subclass)
        rules.append(
            f"INSERT {{ ?x a ?d }} WHERE {{ SELECT DISTINCT ?x ?d {{ {vals} ?x a ?c }} }}"
        )  # cax-sco, cax-eqc
    rules += [
        f"INSERT {{ ?y {SAME_AS} ?x }} WHERE {{ ?x {SAME_AS} ?y }}",  # eq-sym
        f"INSERT {{ ?x {SAME_AS} ?z }} WHERE {{ ?x {SAME_AS} ?y . ?y {SAME_AS} ?z }}",  # eq-trans
    ]
    return rules


ASSERTED = ox.NamedNode("urn:cakg:rules:asserted")  # a copy of the input, to tell new from old


class _Terms:
    """rdflib <-> pyoxigraph term conversion, memoised: IRIs repeat a lot in a graph."""

    def __init__(self) -> None:
        self.forward: dict[URIRef | BNode | Literal, ox.NamedNode | ox.BlankNode | ox.Literal] = {}
        self.backward: dict[ox.NamedNode | ox.BlankNode | ox.Literal, URIRef | BNode | Literal] = {}

    def to_ox(self, term: URIRef | BNode | Literal) -> ox.NamedNode | ox.BlankNode | ox.Literal:
        found = self.forward.get(term)
        if found is None:
            found = self.forward[term] = _to_ox(term)
        return found

    def to_rdflib(self, term: ox.NamedNode | ox.BlankNode | ox.Literal) -> URIRef | BNode | Literal:
        found = self.backward.get(term)
        if found is None:
            found = self.backward[term] = _to_rdflib(term)
        return found


def same_as_updates(store: ox.Store, aliases: set[str]) -> list[str]:
    """eq-rep-s, eq-rep-p, eq-rep-o for the owl:sameAs pairs now in the store (few, so bound).

    A copy onto an external alias is not made: it would be dropped (reason.is_alias_copy), and
    whatever it would let the rules derive is derived from the project IRI it is the same as.
    """
    rows: Any = store.query(f"SELECT ?x ?y WHERE {{ ?x {SAME_AS} ?y FILTER(?x != ?y) }}")
    pairs = [(row["x"], row["y"]) for row in rows if str(row["y"].value) not in aliases]
    if not pairs:
        return []
    if not all(isinstance(t, ox.NamedNode) for pair in pairs for t in pair):
        # a blank node cannot be bound by VALUES: the unbound rules, slower but general
        return [
            f"INSERT {{ ?y ?p ?o }} WHERE {{ ?x {SAME_AS} ?y . ?x ?p ?o }}",
            f"INSERT {{ ?s ?y ?o }} WHERE {{ ?x {SAME_AS} ?y . ?s ?x ?o }}",
            f"INSERT {{ ?s ?p ?y }} WHERE {{ ?x {SAME_AS} ?y . ?s ?p ?x }}",
        ]
    body = " ".join(f"({x} {y})" for x, y in pairs)
    updates = [
        f"INSERT {{ ?y ?p ?o }} WHERE {{ VALUES (?x ?y) {{ {body} }} ?x ?p ?o }}",  # eq-rep-s
        f"INSERT {{ ?s ?p ?y }} WHERE {{ VALUES (?x ?y) {{ {body} }} ?s ?p ?x }}",  # eq-rep-o
    ]
    predicates = [
        (x, y) for x, y in pairs if next(store.quads_for_pattern(None, x, None), None) is not None
    ]
    if predicates:
        body = " ".join(f"({x} {y})" for x, y in predicates)
        updates.append(f"INSERT {{ ?s ?y ?o }} WHERE {{ VALUES (?x ?y) {{ {body} }} ?s ?x ?o }}")
    return updates


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

    The work happens in Rust: the input is copied once into the store's default graph (the rules'
    working graph) and once into a named graph ASSERTED; the rules run in a fixed order (property
    rules, then domain and range, then classes) until a whole pass adds nothing, which is one or
    two passes on a closed schema; one DELETE then removes what was asserted, and only the new
    triples come back to Python.
    """
    asserted = list(asserted)
    schema = close_schema(ontology)
    updates = rule_updates(axioms_of(schema))
    terms = _Terms()
    store = ox.Store()
    conv: Any = terms.to_ox
    store.extend(
        ox.Quad(conv(s), conv(p), conv(o), ASSERTED) for g in [ontology, *asserted] for s, p, o in g
    )
    store.update(f"ADD {ASSERTED} TO DEFAULT")
    # owlrl's datatype bookkeeping (literal subjects) is never kept; the rest of the schema's
    # closure is inferred like any other triple.
    store.extend(
        ox.Quad(conv(s), conv(p), conv(o)) for s, p, o in schema if not isinstance(s, Literal)
    )
    same_as: Any = (t for g in asserted for t in g.triples((None, OWL.sameAs, None)))
    aliases = external_aliases(same_as)
    alias_iris = {str(a) for a in aliases}
    size = -1
    while size != len(store):
        size = len(store)
        for update in [*updates, *same_as_updates(store, alias_iris)]:
            store.update(update)
    store.update(f"DELETE {{ ?s ?p ?o }} WHERE {{ GRAPH {ASSERTED} {{ ?s ?p ?o }} }}")
    inferred = Graph()
    dropped = 0
    back: Any = terms.to_rdflib
    for quad in store.quads_for_pattern(None, None, None, ox.DefaultGraph()):
        t = (back(quad.subject), back(quad.predicate), back(quad.object))
        if is_trivial(t) or is_alias_copy(t, aliases):
            dropped += 1
            continue
        inferred.add(t)
    return Closure(inferred, dropped)
