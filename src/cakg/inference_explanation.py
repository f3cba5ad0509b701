"""Why an inferred triple holds: the OWL 2 RL rule, its axiom and the triples it comes from.

The build materialises the OWL 2 RL closure into the inferred graph and keeps no record of how
(cakg.build.rules). This module works it out again at request time, with SPARQL over the
release, for the inferred triples a page shows: for each one, a rule (cakg.inference_rules)
that concludes it in one step from an axiom of the ontology (stated in the ontology graph, or
entailed by it: the ontology's own closure is in the inferred graph) and from premises that
hold in the release, each with the named graphs that hold it: a source or the reference graph
(asserted), or the inferred graph (an inference itself, explained in turn on its own page).
A triple no rule concludes gets None, which a page shows as "rule not identified". Of several
ways, the one with the most asserted premises is kept, then a stated axiom over an entailed
one, then fewer premises.

The work is bounded, whatever the data: one query for the property chains of the triples'
predicates; one query per MAX_PER_QUERY triples for the ways each follows (over the union of
the graphs); one query per MAX_PER_QUERY premises and axioms for the graphs that hold them; at
most MAX_EXPLAINED triples per call. Every query goes through the Engine interface, so the
worker pool's guard and deadline apply. Serving side: rdflib terms and an Engine, no cakg.build.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from rdflib import BNode, URIRef
from rdflib.namespace import OWL, RDF
from rdflib.term import Node

from cakg.engine.base import Engine, QueryDataset
from cakg.inference_rules import (
    PROLOGUE,
    RULES,
    Chain,
    Triple,
    Way,
    premise_query,
    read_ways,
    terms_text,
)
from cakg.namespaces import INFERRED_GRAPH, ONTOLOGY_GRAPH

MAX_EXPLAINED = 500  # inferred triples explained per call (a page); the rest are not
MAX_PER_QUERY = 250  # rows of one VALUES table
MAX_CHAIN = 4  # the longest property chain explained (the ontology's are 2 long)
# Where the build's reasoner takes its axioms from: the ontology, and its closure.
AXIOM_GRAPHS = (str(ONTOLOGY_GRAPH), str(INFERRED_GRAPH))

# Each node of each chain's list: its head, and the nodes after it. Not `?list rdf:rest* ?node`:
# under GRAPH ?ag, Virtuoso 7.2 leaves out the zero-length match, the head (tests/
# virtuoso_deviations.py, "zero-length-path-in-graph-variable").
_CHAINS = (
    PROLOGUE
    + """SELECT ?p ?ag ?list ?node ?first ?rest WHERE {
  VALUES ?p { %s }
  GRAPH ?ag { ?p owl:propertyChainAxiom ?list .
              { ?list rdf:first ?first ; rdf:rest ?rest BIND(?list AS ?node) }
              UNION { ?list rdf:rest+ ?node . ?node rdf:first ?first ; rdf:rest ?rest } }
}"""
)
_GRAPHS_OF = "SELECT ?s ?p ?o ?g WHERE { VALUES (?s ?p ?o) { %s } GRAPH ?g { ?s ?p ?o } }"


@dataclass
class Premise:
    """A triple an inferred one follows from, and the named graphs that hold it."""

    subject: Node
    predicate: Node
    object: Node
    graphs: list[str] = field(default_factory=list)  # empty: not looked up (a blank node)

    @property
    def asserted(self) -> bool:
        """True when a graph other than the inferred one holds it (a source, the reference)."""
        return any(g != str(INFERRED_GRAPH) for g in self.graphs)

    @property
    def inferred(self) -> bool:
        """True when only the inferred graph holds it: an inference itself."""
        return bool(self.graphs) and not self.asserted


@dataclass
class Axiom:
    """The ontology's statement a rule applies: `subject predicate object(s)`.

    `objects` holds one term, or the properties of a chain in order. `entailed` is True when
    the ontology does not state the axiom but entails it (only the inferred graph holds it)."""

    subject: URIRef
    predicate: URIRef
    objects: list[URIRef]
    entailed: bool = False


@dataclass
class Explanation:
    """One way an inferred triple follows, in one step: a rule, its axiom, its premises."""

    rule: str  # a key of cakg.inference_rules.RULES
    axiom: Axiom | None  # None for the owl:sameAs rules, which are part of OWL 2 RL itself
    premises: list[Premise]

    @property
    def name(self) -> str:
        return RULES[self.rule][0]

    @property
    def owl_rl(self) -> str:
        return RULES[self.rule][1]


def explain_inferences(
    engine: Engine,
    triples: Iterable[Triple],
    *,
    max_explained: int | None = None,
    known: Mapping[Triple, list[str]] | None = None,
) -> dict[Triple, Explanation | None]:
    """For each inferred triple (the first `max_explained`, by default MAX_EXPLAINED), one
    explanation, or None when no rule concludes it from what the release holds, or it has a
    blank node (which a query cannot name). Triples past the cap are not in the answer.

    `known`: triples whose graphs the caller has (all of them), not looked up again."""
    cap = MAX_EXPLAINED if max_explained is None else max_explained
    todo = list(dict.fromkeys(triples))[:cap]
    answer: dict[Triple, Explanation | None] = dict.fromkeys(todo)
    named = [t for t in todo if not _has_blank(t)]
    if not named:
        return answer
    chains = _chains(engine, {p for _s, p, _o in named if p != RDF.type})
    ways: dict[Triple, list[Way]] = defaultdict(list)
    for start in range(0, len(named), MAX_PER_QUERY):
        chunk = named[start : start + MAX_PER_QUERY]
        query, numbered = premise_query(chunk, chains)
        for k, way in read_ways(engine.query(query, dataset=QueryDataset()), chunk, numbered):
            if chunk[k] not in way.premises:  # a triple does not explain itself
                ways[chunk[k]].append(way)
    known = known or {}
    wanted = [t for found in ways.values() for w in found for t in w.triples() if t not in known]
    graphs = {**known, **_graphs(engine, wanted)}
    for target, found in ways.items():
        explanations = [_explanation(way, graphs) for way in found if _from_ontology(way, graphs)]
        answer[target] = min(explanations, key=_rank, default=None)
    return answer


def _from_ontology(way: Way, graphs: dict[Triple, list[str]]) -> bool:
    """False when the way's axiom is in no graph the reasoner takes axioms from (a shapes or
    data graph that happens to say rdfs:subClassOf is no axiom of the ontology)."""
    return way.axiom is None or any(g in AXIOM_GRAPHS for g in graphs.get(way.axiom, []))


def _explanation(way: Way, graphs: dict[Triple, list[str]]) -> Explanation:
    premises = [Premise(*t, graphs=sorted(graphs.get(t, []))) for t in way.premises]
    axiom = None
    if way.chain is not None:
        chain = way.chain
        axiom = Axiom(chain.prop, OWL.propertyChainAxiom, list(chain.steps), chain.entailed)
    elif way.axiom is not None:
        s, p, o = way.axiom
        held = graphs.get(way.axiom, [])
        if isinstance(s, URIRef) and isinstance(p, URIRef) and isinstance(o, URIRef):
            axiom = Axiom(s, p, [o], str(ONTOLOGY_GRAPH) not in held)
    return Explanation(way.rule, axiom, premises)


def _rank(e: Explanation) -> tuple[int, int, int, str, str]:
    """Smaller is better: asserted premises, a stated axiom, fewer premises; then by rule and
    premises, so that every engine (whatever its order of rows) shows the same one."""
    inferred = sum(1 for p in e.premises if not p.asserted)
    entailed = int(e.axiom is not None and e.axiom.entailed)
    premises = " ".join(f"{p.subject} {p.predicate} {p.object}" for p in e.premises)
    return (inferred, entailed, len(e.premises), e.rule, premises)


def _has_blank(triple: Triple) -> bool:
    return any(isinstance(n, BNode) for n in triple)


def _chains(engine: Engine, props: set[Node]) -> dict[Node, list[Chain]]:
    """The property chains (2 to MAX_CHAIN steps) of the properties `props`, from the graphs
    the reasoner takes axioms from."""
    named = sorted(p for p in props if isinstance(p, URIRef))
    if not named:
        return {}
    rows = engine.query(_CHAINS % terms_text(named)).rows
    graphs: dict[tuple[Node | None, Node | None], set[str]] = defaultdict(set)
    links: dict[Node | None, tuple[Node | None, Node | None]] = {}
    for p, ag, head, node, first, rest in rows:
        if str(ag) in AXIOM_GRAPHS:
            graphs[(p, head)].add(str(ag))
            links[node] = (first, rest)
    chains: dict[Node, list[Chain]] = defaultdict(list)
    for (p, head), held in sorted(graphs.items(), key=lambda kv: (str(kv[0][0]), str(kv[0][1]))):
        steps: list[URIRef] = []
        node = head
        while node in links and len(steps) <= MAX_CHAIN:
            first, node = links[node]
            if isinstance(first, URIRef):
                steps.append(first)
        if node == RDF.nil and 2 <= len(steps) <= MAX_CHAIN and isinstance(p, URIRef):
            chains[p].append(Chain(p, tuple(steps), str(ONTOLOGY_GRAPH) not in held))
    return dict(chains)


def _graphs(engine: Engine, triples: list[Triple]) -> dict[Triple, list[str]]:
    """Every named graph that holds each triple (but those with a blank node, not named)."""
    named = list(dict.fromkeys(t for t in triples if not _has_blank(t)))
    held: dict[Triple, list[str]] = defaultdict(list)
    for start in range(0, len(named), MAX_PER_QUERY):
        rows = " ".join(f"({terms_text(t)})" for t in named[start : start + MAX_PER_QUERY])
        for s, p, o, g in engine.query(_GRAPHS_OF % rows, dataset=QueryDataset()).rows:
            if s is not None and p is not None and o is not None and g is not None:
                held[(s, p, o)].append(str(g))
    return dict(held)
