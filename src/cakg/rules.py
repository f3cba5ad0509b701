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
from rdflib import Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS

from cakg.errors import InputError
from cakg.reason import (
    BLANKET_TYPES,
    BUILTIN_NAMESPACES,
    REFLEXIVE_PREDICATES,
    Closure,
    external_aliases,
)
from cakg.terms import Terms, to_rdflib

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
        (x, y)
        for x, y in pairs
        if next(store.quads_for_pattern(None, x, None, ox.DefaultGraph()), None) is not None
    ]
    if predicates:
        body = " ".join(f"({x} {y})" for x, y in predicates)
        updates.append(f"INSERT {{ ?s ?y ?o }} WHERE {{ VALUES (?x ?y) {{ {body} }} ?s ?x ?o }}")
    return updates


def _trivial_filter(aliases: set[str]) -> str:
    """reason.is_trivial and reason.is_alias_copy as one SPARQL filter (the same tables)."""

    def terms(iris: Iterable[str]) -> str:
        return ", ".join(f"<{i}>" for i in sorted(iris))

    builtin = " || ".join(f'STRSTARTS(STR(?s), "{ns}")' for ns in BUILTIN_NAMESPACES)
    return (
        f"(isIRI(?s) && ({builtin}))"
        f" || (?p IN ({terms(map(str, REFLEXIVE_PREDICATES))}) && sameTerm(?s, ?o))"
        f" || (sameTerm(?p, <{RDF.type}>) && ?o IN ({terms(map(str, BLANKET_TYPES))}))"
        f" || (sameTerm(?p, <{RDFS.subClassOf}>)"
        f" && (sameTerm(?o, <{OWL.Thing}>) || sameTerm(?s, <{OWL.Nothing}>)))"
        f" || (sameTerm(?p, <{RDFS.subPropertyOf}>)"
        f" && ?o IN (<{OWL.topObjectProperty}>, <{OWL.topDataProperty}>))"
        f" || (!sameTerm(?p, {SAME_AS})"
        f" && (?s IN ({terms(aliases)}) || ?o IN ({terms(aliases)}) || ?p IN ({terms(aliases)})))"
    )


def materialise_store(store: ox.Store, ontology: Graph, into: ox.NamedNode) -> tuple[int, int]:
    """Into graph `into` of `store`: the new, non-trivial OWL RL triples of the store's named
    graphs (the asserted data, all of them) with the ontology.

    Returns (triples kept, trivial ones dropped), as reason.reason() would keep and drop them.
    The work happens in Rust, in the store's default graph (which must be empty: it is the rules'
    working graph): the named graphs are added to it, then the ontology and its closure; the
    rules run in a fixed order (property rules, then domain and range, then classes) until a
    whole pass adds nothing, which is one or two passes on a closed schema. Then the ontology's
    triples are removed, what no named graph asserts goes to `into` in one pass, and the trivial
    triples are deleted from it. Each step is one update over the whole store, never one per
    graph (31 870 graphs at 10^7 triples).
    """
    if next(store.quads_for_pattern(None, None, None, ox.DefaultGraph()), None) is not None:
        raise ValueError("materialise_store works in the default graph, which must be empty")
    if next(store.quads_for_pattern(None, None, None, into), None) is not None:
        raise ValueError(f"materialise_store: graph {into} is not empty")
    schema = close_schema(ontology)
    updates = rule_updates(axioms_of(schema))
    store.update("INSERT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }")
    rows: Any = store.query(f"SELECT ?s ?o WHERE {{ ?s {SAME_AS} ?o }}")
    aliases = external_aliases(
        (to_rdflib(row["s"]), OWL.sameAs, to_rdflib(row["o"])) for row in rows
    )
    alias_iris = {str(a) for a in aliases}
    terms = Terms()
    conv: Any = terms.to_ox
    told = [ox.Quad(conv(s), conv(p), conv(o)) for s, p, o in ontology]
    store.extend(told)
    # owlrl's datatype bookkeeping (literal subjects) is never kept; the rest of the schema's
    # closure is inferred like any other triple.
    store.extend(
        ox.Quad(conv(s), conv(p), conv(o)) for s, p, o in schema if not isinstance(s, Literal)
    )
    size = -1
    while size != len(store):
        size = len(store)
        for update in [*updates, *same_as_updates(store, alias_iris)]:
            store.update(update)
    for quad in told:
        store.remove(quad)
    store.update(
        f"INSERT {{ GRAPH {into} {{ ?s ?p ?o }} }} WHERE {{ ?s ?p ?o "
        f"FILTER NOT EXISTS {{ GRAPH ?g {{ ?s ?p ?o }} }} }}"
    )
    store.update("CLEAR DEFAULT")
    new = _count(store, into)
    store.update(
        f"DELETE {{ GRAPH {into} {{ ?s ?p ?o }} }} WHERE {{ GRAPH {into} {{ ?s ?p ?o }} "
        f"FILTER({_trivial_filter(alias_iris)}) }}"
    )
    kept = _count(store, into)
    return kept, new - kept


def _count(store: ox.Store, graph: ox.NamedNode) -> int:
    rows: Any = store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {graph} {{ ?s ?p ?o }} }}")
    return int(next(iter(rows))["n"].value)


LOCAL_ASSERTED = ox.NamedNode("urn:cakg:rules:asserted")
LOCAL_INFERRED = ox.NamedNode("urn:cakg:rules:inferred")


def materialise(asserted: Iterable[Graph], ontology: Graph) -> Closure:
    """Like reason.reason(): the new, non-trivial triples of the OWL RL closure, as rdflib.

    Literals come out in Oxigraph's canonical form ("62.0"^^xsd:decimal as "62", derived
    integer types as xsd:integer): equal values to owlrl's, not always the same spelling.
    The graphs are copied into a fresh store, then materialise_store() does the work.
    """
    terms = Terms()
    conv: Any = terms.to_ox
    store = ox.Store()
    store.extend(
        ox.Quad(conv(s), conv(p), conv(o), LOCAL_ASSERTED) for g in asserted for s, p, o in g
    )
    _kept, dropped = materialise_store(store, ontology, LOCAL_INFERRED)
    inferred = terms.graph(store.quads_for_pattern(None, None, None, LOCAL_INFERRED))
    return Closure(inferred, dropped)
