"""A resource's facts, each once: what a page shows of a Description (cakg.resource_description).

The dataset states many facts several times over. The reasoner adds the inverse of each
statement whose property has one (`?v cakg:host :kz` gives `:kz cakg:hosted ?v`), and the
super-properties of each (`cakg:participant`, `schema:attendee`: the schema.org and Dublin Core
mirrors); a symmetric property is stated both ways. `fold_facts` turns these into one `Fact`
each: the statement in its natural direction (the property the ontology's `owl:inverseOf` names,
`cakg:host`, not the declared inverse `cakg:hosted`), with the most specific property, keeping
the others it folded in (`also`) for a marker. Facts that link the resource to the same thing
in several ways (a visit it hosted, that also took place there) are kept together, the first
one leading (`Fact.others`), so a thing is listed once.

What the machinery states is left out unless the page is about it: the SHACL shapes and the saved
queries' descriptions (`sh:defaultValue` of a parameter), the evidence graphs' annotations (the
page shows them as evidence), and the build's provenance of named graphs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

from cakg.namespaces import BASE, PREFIXES, QUERIES_GRAPH, SHAPES_GRAPH
from cakg.ontology_axioms import OntologyAxioms
from cakg.resource_description import Description, Statement

RDF_TYPE = PREFIXES["rdf"] + "type"
MACHINERY_GRAPHS = {str(SHAPES_GRAPH), str(QUERIES_GRAPH)}
GRAPHS = BASE + "graph/"
OA = "http://www.w3.org/ns/oa#"


@dataclass
class Fact:
    """One fact: (subject, predicate, object) in its natural direction, and every statement in
    the dataset that says it (`statements`, the first the one shown: asserted before inferred)."""

    subject: Node
    predicate: URIRef
    object: Node
    statements: list[Statement]
    forward: bool  # the resource is its subject (else it points to the resource)
    also: list[str] = field(default_factory=list)  # mirrors and inverses folded in (IRIs)
    others: list[Fact] = field(default_factory=list)  # more facts linking the same thing

    @property
    def shown(self) -> Statement:
        return self.statements[0]

    @property
    def inferred(self) -> bool:
        return all(st.inferred for st in self.statements)

    @property
    def neighbour(self) -> Node:
        return self.object if self.forward else self.subject

    @property
    def graphs(self) -> list[str]:
        seen: dict[str, None] = {}
        for st in self.statements:
            for g in st.graphs:
                seen.setdefault(g, None)
        return list(seen)


def is_machinery(st: Statement, me: Node) -> bool:
    """A statement of the machinery, not about the world (the page of that thing shows it)."""
    if st.subject == me:
        return False
    if st.graphs and all(g in MACHINERY_GRAPHS for g in st.graphs):
        return True
    if str(st.predicate).startswith(OA):
        return True
    return isinstance(st.subject, URIRef) and str(st.subject).startswith(GRAPHS)


def fold_facts(d: Description, axioms: OntologyAxioms) -> list[Fact]:
    """The facts of the resource (its types excluded), each once; see the module's docstring.

    Ordered: asserted facts first, then by property and the thing linked."""
    me = d.iri
    by_key: dict[tuple[Node, str, Node], Fact] = {}
    statements = [st for st in (*d.own(), *d.backlinks) if not is_machinery(st, me)]
    for st in statements:
        if str(st.predicate) == RDF_TYPE and st.subject == me:
            continue
        s, p, o = st.subject, str(st.predicate), st.object
        also = None
        natural = axioms.natural(p)
        if natural is not None and not isinstance(o, Literal):
            s, p, o, also = o, natural, s, str(st.predicate)
        elif p in axioms.symmetric and o == me and s != me:
            s, o, also = me, s, str(st.predicate)
        key = (s, p, o)
        fact = by_key.get(key)
        if fact is None:
            fact = by_key[key] = Fact(s, URIRef(p), o, [], forward=s == me)
        if (st.subject, str(st.predicate), st.object) == key:
            fact.statements.insert(0, st)
        else:
            fact.statements.append(st)
            if also and also not in fact.also:
                fact.also.append(also)
    for fact in by_key.values():  # asserted before inferred, the natural one first among equals
        fact.statements.sort(key=lambda st: st.inferred)
    facts = _fold_mirrors(list(by_key.values()), axioms)
    return _by_neighbour(facts)


def _fold_mirrors(facts: list[Fact], axioms: OntologyAxioms) -> list[Fact]:
    """Facts of a super-property beside one of a sub-property between the same two things go
    into it (`schema:attendee` into `cakg:host`)."""
    pairs: dict[tuple[Node, Node], list[Fact]] = {}
    for fact in facts:
        pairs.setdefault((fact.subject, fact.object), []).append(fact)
    kept: list[Fact] = []
    for group in pairs.values():
        for fact in group:
            specific = [
                other
                for other in group
                if other is not fact and axioms.is_mirror(str(fact.predicate), str(other.predicate))
            ]
            if not specific:
                kept.append(fact)
                continue
            into = min(
                specific, key=lambda f: -len(axioms.super_properties.get(str(f.predicate), ()))
            )
            into.statements.extend(fact.statements)
            for iri in (str(fact.predicate), *fact.also):
                if iri not in into.also and iri != str(into.predicate):
                    into.also.append(iri)
    for fact in kept:
        fact.statements.sort(key=lambda st: st.inferred)
    return kept


def _by_neighbour(facts: list[Fact]) -> list[Fact]:
    """One entry per thing linked: the other facts with it go into the first one's `others`."""
    facts.sort(key=lambda f: (f.inferred, not f.forward, str(f.predicate), _key(f.neighbour)))
    lead: dict[Node, Fact] = {}
    out: list[Fact] = []
    for fact in facts:
        thing = fact.neighbour
        if isinstance(thing, URIRef) and thing in lead:
            lead[thing].others.append(fact)
            continue
        if isinstance(thing, URIRef):
            lead[thing] = fact
        out.append(fact)
    return out


def _key(node: Node) -> tuple[int, str]:
    if isinstance(node, Literal):
        return (2, str(node))
    if isinstance(node, BNode):
        return (1, str(node))
    return (0, str(node))


def types_folded(d: Description, axioms: OntologyAxioms) -> tuple[list[Statement], list[Statement]]:
    """The resource's types: the most specific ones (no other type of it is their subclass),
    then the rest (its super-classes, mostly inferred), for a page to show less prominently."""
    types = [
        st for st in d.own() if str(st.predicate) == RDF_TYPE and isinstance(st.object, URIRef)
    ]
    iris = {str(st.object) for st in types}
    main: list[Statement] = []
    rest: list[Statement] = []
    for st in types:
        implied = any(axioms.subsumes(str(st.object), other) for other in iris)
        (rest if implied else main).append(st)
    main.sort(key=lambda st: (st.inferred, str(st.object)))
    return main, rest
