"""A fast OWL RL materialiser for the rules the ontology uses, run inside pyoxigraph.

owlrl's forward chaining is pure Python and slow on large graphs. Here the schema (the ontology,
small) is closed with owlrl once; each instance-level rule it licenses then becomes one SPARQL
update with a VALUES table of the axioms, applied inside an in-memory pyoxigraph store until
nothing changes: one naive pass over all the data, then semi-naive passes over what is new.
The result equals owlrl's closure for the supported constructs (tests/test_rules.py, through
the build's reasoning step); an ontology using any other construct with instance-level effect is
refused (UnsupportedOntology), so nothing is silently left out. The build calls one function,
materialise_store(). About 400 lines in one module on purpose: the axioms, the rules written
from them, their saturation and the trivial-triple filter are one algorithm, sharing the SPARQL
forms (Rule, _values, _absent) and the invariant that the default graph is the working graph.

Supported: rdfs:subClassOf, owl:equivalentClass, rdfs:subPropertyOf, owl:equivalentProperty,
owl:inverseOf, owl:SymmetricProperty, owl:TransitiveProperty, owl:propertyChainAxiom,
rdfs:domain, rdfs:range, owl:sameAs (symmetry, transitivity, replacement).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import owlrl
import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS

from cakg.build.reason import (
    BLANKET_TYPES,
    BUILTIN_NAMESPACES,
    REFLEXIVE_PREDICATES,
    external_aliases,
)
from cakg.errors import InputError
from cakg.terms import Terms, to_rdflib

SAME_AS = "<http://www.w3.org/2002/07/owl#sameAs>"
LOG_GRAPH = "urn:cakg:rules:new:"  # + a number: the triples one rule evaluation added

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


def _values(names: str, rows: Iterable[tuple[URIRef | ox.NamedNode, ...]]) -> str:
    body = " ".join("(" + " ".join(_n3(t) for t in row) + ")" for row in sorted(rows))
    return f"VALUES ({names}) {{ {body} }}"


def _n3(term: URIRef | ox.NamedNode) -> str:
    return term.n3() if isinstance(term, URIRef) else str(term)


Delta = Sequence[ox.NamedNode]


@dataclass(frozen=True)
class Rule:
    """One rule family as SPARQL: its conclusion, its premises and the axioms that bind them.

    The first evaluation joins the premises over all the working graph (or runs `full`, an
    equivalent body). Later ones are semi-naive: one of the premises listed in `delta_at` is
    matched in the graphs of the triples new since the last evaluation (the delta), the others
    over all the data, one UNION branch per such premise. That is complete as long as every
    premise that can match a new triple is listed in `delta_at`.
    """

    head: str
    premises: tuple[str, ...]
    delta_at: tuple[int, ...] = (0,)
    values: str = ""
    filter: str = ""
    distinct: str = ""  # the head's variables: SELECT DISTINCT them when many rows give one
    full: str = ""

    def body(self, delta: Delta | None) -> str:
        if delta is None:
            return f"{self.values} {self.full or ' . '.join(self.premises)} {self.filter}"
        branches = []
        for i in self.delta_at:
            new = " UNION ".join(f"{{ GRAPH {g} {{ {self.premises[i]} }} }}" for g in delta)
            rest = [p for j, p in enumerate(self.premises) if j != i]
            branches.append(f"{{ {self.values} {{ {new} }} {' . '.join(rest)} {self.filter} }}")
        return " UNION ".join(branches)

    def _where(self, delta: Delta | None) -> str:
        where = self.body(delta)
        if self.distinct:
            return f"{{ SELECT DISTINCT {self.distinct} WHERE {{ {where} }} }}"
        return where

    def insert(self) -> str:
        """Insert every conclusion over all the data into the working graph (naive)."""
        return f"INSERT {{ {self.head} }} WHERE {{ {self._where(None)} }}"

    def update(self, delta: Delta | None, log: ox.NamedNode) -> str:
        """Insert the new conclusions into the working graph and into graph `log`."""
        return (
            f"INSERT {{ {self.head} . GRAPH {log} {{ {self.head} }} }} "
            f"WHERE {{ {self._where(delta)} {_absent(self.head)} }}"
        )


def _absent(pattern: str, graph: str = "") -> str:
    """FILTER NOT EXISTS { pattern }, as an OPTIONAL: Oxigraph 0.5 runs NOT EXISTS far
    slower."""
    if graph:
        pattern = f"GRAPH {graph} {{ {pattern} }}"
    return f"OPTIONAL {{ {pattern} BIND(true AS ?_there) }} FILTER(!BOUND(?_there))"


def rules_of(ax: Axioms) -> list[Rule]:
    """The instance-level rules the axioms license, over the working (default) graph.

    In dependency order (properties, then domain and range, then classes), so that most of the
    closure is reached in the first pass; semi-naive passes then follow the few longer chains.
    """
    rules: list[Rule] = []
    if ax.subproperty:  # prp-spo1, prp-eqp
        rules.append(Rule("?x ?q ?y", ("?x ?p ?y",), values=_values("?p ?q", ax.subproperty)))
    if ax.inverse:  # prp-inv1/2
        vals = _values("?p ?q", ax.inverse)
        rules.append(Rule("?y ?q ?x", ("?x ?p ?y",), values=vals, filter=NOT_LITERAL))
    if ax.symmetric:  # prp-symp
        vals = _values("?p", ((p,) for p in ax.symmetric))
        rules.append(Rule("?y ?p ?x", ("?x ?p ?y",), values=vals, filter=NOT_LITERAL))
    for p in sorted(ax.transitive):  # prp-trp: the delta's edges extended both ways
        t = p.n3()
        premises = (f"?a {t} ?b", f"?x {t}* ?a", f"?b {t}* ?z")
        rules.append(Rule(f"?x {t} ?z", premises, full=f"?x {t}+ ?z"))
    for prop, chain in ax.chains:  # prp-spo2
        steps = tuple(f"?v{i} {p.n3()} ?v{i + 1}" for i, p in enumerate(chain))
        rules.append(Rule(f"?v0 {prop.n3()} ?v{len(chain)}", steps, tuple(range(len(steps)))))
    if ax.domain:  # prp-dom
        vals = _values("?p ?c", ax.domain)
        rules.append(Rule("?x a ?c", ("?x ?p ?y",), values=vals, distinct="?x ?c"))
    if ax.range:  # prp-rng
        vals = _values("?p ?c", ax.range)
        rules.append(
            Rule("?y a ?c", ("?x ?p ?y",), values=vals, filter=NOT_LITERAL, distinct="?y ?c")
        )
    if ax.subclass:  # cax-sco, cax-eqc
        vals = _values("?c ?d", ax.subclass)
        rules.append(Rule("?x a ?d", ("?x a ?c",), values=vals, distinct="?x ?d"))
    rules.append(Rule(f"?y {SAME_AS} ?x", (f"?x {SAME_AS} ?y",)))  # eq-sym
    rules.append(Rule(f"?x {SAME_AS} ?z", (f"?x {SAME_AS} ?y", f"?y {SAME_AS} ?z"), (0, 1)))
    return rules


NOT_LITERAL = "FILTER(!isLiteral(?y))"
REPLACE = (  # eq-rep-s, eq-rep-o, eq-rep-p: (conclusion, premise)
    ("?y ?p ?o", "?x ?p ?o"),
    ("?s ?p ?y", "?s ?p ?x"),
    ("?s ?y ?o", "?s ?x ?o"),
)


def same_as_rules(
    store: ox.Store, aliases: set[str], delta: Delta | None
) -> list[tuple[Rule, Delta | None]]:
    """eq-rep-s, eq-rep-o, eq-rep-p for the owl:sameAs pairs in the store (few, so bound).

    A copy onto an external alias is not made: it would be dropped (reason.is_alias_copy), and
    whatever it would let the rules derive is derived from the project IRI it is the same as.
    Semi-naive (`delta` given): the delta's triples copied along every pair, and every triple
    copied along the pairs new in the delta. Each rule comes with the delta it is evaluated on.
    """
    pairs = _pairs(store, aliases, None)
    if not all(isinstance(t, ox.NamedNode) for pair in pairs for t in pair):
        # a blank node cannot be bound by VALUES: the unbound rules, slower but general
        return [(Rule(head, (f"?x {SAME_AS} ?y", body), (0, 1)), delta) for head, body in REPLACE]
    if delta is None:
        used = [
            (x, y)
            for x, y in pairs
            if next(store.quads_for_pattern(None, x, None, ox.DefaultGraph()), None) is not None
        ]
        tables: list[tuple[list[tuple[ox.NamedNode, ox.NamedNode]], Delta | None]] = [
            (pairs, None),
            (pairs, None),
            (used, None),
        ]
        return [
            (Rule(head, (body,), values=_values("?x ?y", rows)), d)
            for (head, body), (rows, d) in zip(REPLACE, tables, strict=True)
            if rows
        ]
    new = _pairs(store, aliases, delta)
    rules: list[tuple[Rule, Delta | None]] = []
    for head, body in REPLACE:
        if pairs:
            rules.append((Rule(head, (body,), values=_values("?x ?y", pairs)), delta))
        if new:
            rules.append((Rule(head, (body,), values=_values("?x ?y", new)), None))
    return rules


def _pairs(store: ox.Store, aliases: set[str], delta: Delta | None) -> list[Any]:
    """The (x, y) of owl:sameAs triples, x != y and y no external alias: all, or the delta's."""
    pattern = f"?x {SAME_AS} ?y"
    if delta is not None:
        pattern = " UNION ".join(f"{{ GRAPH {g} {{ {pattern} }} }}" for g in delta)
    rows: Any = store.query(f"SELECT DISTINCT ?x ?y WHERE {{ {pattern} FILTER(?x != ?y) }}")
    return [(row["x"], row["y"]) for row in rows if str(row["y"].value) not in aliases]


def saturate(
    store: ox.Store, rules: list[Rule], aliases: set[str], into: ox.NamedNode
) -> list[ox.NamedNode]:
    """Apply the rules to the store's default graph until nothing new comes.

    The first pass is naive: every rule over all the data, in dependency order, straight into
    the default graph. What it added (every triple of the default graph that no named graph
    has) goes to `into` in one update, and is the first delta. The next passes are semi-naive:
    each evaluation inserts its new conclusions (FILTER NOT EXISTS in the default graph) into
    the default graph and into a log graph of its own; a rule's next evaluation matches one
    premise in the delta graphs written since its last one, and is skipped when there are
    none. The fixed point is a pass in which every rule was skipped. Returns the log graphs
    (with `into`: every new triple once); the caller adds them to `into` and drops them.
    """
    for rule in rules:
        store.update(rule.insert())
    for rule, _ in same_as_rules(store, aliases, None):
        store.update(rule.insert())
    store.update(
        f"INSERT {{ GRAPH {into} {{ ?s ?p ?o }} }} WHERE {{ ?s ?p ?o {_absent('?s ?p ?o', '?g')} }}"
    )
    logs: list[ox.NamedNode] = []
    written = [into]  # the delta graphs that are not empty, in order
    seen = [0] * (len(rules) + 1)  # len(written) at each rule's last evaluation
    while True:
        ran = False
        for i in range(len(rules) + 1):
            delta = written[seen[i] :]
            if not delta:
                continue
            seen[i] = len(written)
            ran = True
            todo = [(rules[i], delta)] if i < len(rules) else same_as_rules(store, aliases, delta)
            for rule, d in todo:
                log = ox.NamedNode(f"{LOG_GRAPH}{len(logs)}")
                logs.append(log)
                store.update(rule.update(d, log))
                if next(store.quads_for_pattern(None, None, None, log), None) is not None:
                    written.append(log)
        if not ran:
            return logs


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
    rules run until nothing changes (saturate: one naive pass, whose new triples go to `into`,
    then semi-naive passes, whose new triples go to log graphs). The logs are added to `into`
    and dropped, the ontology's own triples and the trivial ones are deleted from it. Each step
    is one update over the whole store, never one per data graph (there is one per source
    file).
    """
    if next(store.quads_for_pattern(None, None, None, ox.DefaultGraph()), None) is not None:
        raise ValueError("materialise_store works in the default graph, which must be empty")
    if next(store.quads_for_pattern(None, None, None, into), None) is not None:
        raise ValueError(f"materialise_store: graph {into} is not empty")
    schema = close_schema(ontology)
    rules = rules_of(axioms_of(schema))
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
    logs = saturate(store, rules, alias_iris, into)
    store.update("CLEAR DEFAULT")
    for log in logs:
        store.update(f"ADD SILENT {log} TO {into}")
        store.update(f"DROP SILENT GRAPH {log}")
    for quad in told:
        store.remove(ox.Quad(quad.subject, quad.predicate, quad.object, into))
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
