"""OWL RL reasoning with owlrl: the closure's new triples, minus the trivial ones."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import owlrl
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, XSD
from rdflib.term import Node

from cakg.namespaces import BASE

# Any terms: owlrl infers triples with a literal subject (is_trivial drops them).
Triple = tuple[Node, Node, Node]

# Vocabularies whose own terms owlrl describes axiomatically; triples about them are dropped.
BUILTIN_NAMESPACES = (str(RDF), str(RDFS), str(OWL), str(XSD))
# Types every resource gets under OWL RL; nobody queries for them.
BLANKET_TYPES = {RDFS.Resource, OWL.Thing, RDFS.Class, OWL.Class, RDF.Property, RDFS.Datatype}
REFLEXIVE_PREDICATES = {
    OWL.sameAs,
    OWL.equivalentClass,
    OWL.equivalentProperty,
    RDFS.subClassOf,
    RDFS.subPropertyOf,
}

DROPPED_RULES = (
    "x owl:sameAs x, and reflexive owl:equivalentClass, owl:equivalentProperty, "
    "rdfs:subClassOf, rdfs:subPropertyOf",
    "blanket typing: rdf:type rdfs:Resource, owl:Thing, rdfs:Class, owl:Class, rdf:Property, "
    "rdfs:Datatype",
    "C rdfs:subClassOf owl:Thing, owl:Nothing rdfs:subClassOf C",
    "triples whose subject is a term of RDF, RDFS, OWL or XSD (axiomatic and datatype axioms)",
    "triples with a literal subject or a blank node made up by the reasoner",
    "copies of cakg's triples onto an external alias (an IRI outside https://w3id.org/cakg/ that "
    "a cakg IRI is owl:sameAs, e.g. a Wikidata item): the alias is the same thing, so counting "
    "queries would see every state twice; the owl:sameAs links themselves (both ways) are kept",
)


@dataclass
class Closure:
    """The reasoner's output: the new triples that are kept, and how many were dropped."""

    inferred: Graph
    dropped: int


def external_aliases(triples: Iterable[Triple]) -> set[URIRef]:
    """IRIs outside the project's base that a project IRI is declared owl:sameAs."""
    aliases = set()
    for s, p, o in triples:
        if p != OWL.sameAs:
            continue
        for mine, other in ((s, o), (o, s)):
            mine_is_ours = str(mine).startswith(BASE)
            if mine_is_ours and isinstance(other, URIRef) and not str(other).startswith(BASE):
                aliases.add(other)
    return aliases


def is_alias_copy(triple: Triple, aliases: set[URIRef]) -> bool:
    """True for an inferred triple that restates a fact about an external alias."""
    s, p, o = triple
    return p != OWL.sameAs and (s in aliases or o in aliases or p in aliases)


def is_trivial(triple: Triple) -> bool:
    """True for an inferred triple nobody queries for (see DROPPED_RULES)."""
    s, p, o = triple
    if isinstance(s, Literal) or (isinstance(s, URIRef) and str(s).startswith(BUILTIN_NAMESPACES)):
        return True
    if p in REFLEXIVE_PREDICATES and s == o:
        return True
    if p == RDF.type and o in BLANKET_TYPES:
        return True
    if p == RDFS.subClassOf and (o == OWL.Thing or s == OWL.Nothing):
        return True
    return p == RDFS.subPropertyOf and o in (OWL.topObjectProperty, OWL.topDataProperty)


def reason(asserted: Iterable[Graph]) -> Closure:
    """The OWL RL closure of the union of `asserted`, keeping only new, non-trivial triples."""
    graph = Graph()
    for g in asserted:
        for t in g:
            graph.add(t)
    before = set(graph)
    blank_before = {n for t in before for n in t if isinstance(n, BNode)}
    owlrl.DeductiveClosure(
        owlrl.OWLRL_Semantics,
        rdfs_closure=False,
        axiomatic_triples=False,
        datatype_axioms=False,
    ).expand(graph)
    aliases = external_aliases(before)
    inferred = Graph()
    dropped = 0
    for t in graph:
        if t in before:
            continue
        if is_trivial(t) or _made_up_blank(t, blank_before) or is_alias_copy(t, aliases):
            dropped += 1
            continue
        inferred.add(t)
    return Closure(inferred, dropped)


def _made_up_blank(triple: Triple, known: set[BNode]) -> bool:
    return any(isinstance(n, BNode) and n not in known for n in triple)
