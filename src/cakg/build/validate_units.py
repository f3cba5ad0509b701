"""SHACL validation units: one per data file (source or reference).

A unit is one data file plus the context its nodes need; its *home* nodes are the subjects it
asserts, its blank nodes, and the IRIs it mentions that no data file describes. A home node's
result depends only on (the shapes follow predicate paths forward from their targets, but for
the POINTERS below):
its own triples, in every file; its asserted types (rdf:type, with the ontology's class
hierarchy: nothing is inferred, see cakg.build.validate); whether its values are typed and
named (cakgsh:DescribedNodeShape), and their types; and, for the shapes that look further (a
visit's location up cakg:locatedIn to its host, a figure's measure to the units it allows, a
visitor's office to its state), triples of the reference graph, which every unit holds whole,
or of nodes its own source describes. So a unit is validated as:

* its own file, the reference graph and the ontology (its triples beside the data);
* the triples other files assert about its subjects (and their blank-node values);
* the nodes of other files that point at its subjects with cakg:about, cakg:ratifies or
  cakg:lifecycleOf (POINTERS: a thing's statements, a document's ratifications), with their
  triples, in a source file's unit (no shape reads what points at a reference entity);
* for every IRI that appears in more than one file: its rdf:type triples and one triple per
  property it is the subject of, from any file (*evidence*: its types, and that it has a label,
  a title or a source at all), and every owl:sameAs or skos:exactMatch link to it (LINKS: one
  entity per Wikidata item); the other triples pointing at it are no evidence: nothing is
  inferred from a property's range, and no other incoming edge decides a result;
* any schema triple (rdfs:subClassOf, rdfs:domain...) that a data file asserts;

and only its home nodes are validated (the other nodes are context). Each unit's graph is a
subset of the whole graph that holds everything its home nodes depend on, so their results are
the whole-graph results. Here: what each data file says that other units need (FileIndex,
index_file), the units made from those indexes (make_units), and a batch of units validated in
one pyshacl run (run_units). cakg.build.validate_parallel runs them in worker processes.
"""

from __future__ import annotations

import pickle
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SH, SKOS
from rdflib.term import Node

from cakg.build.load import parse_file
from cakg.build.sources import Kind, SourceFile
from cakg.build.validate import Finding, findings_of, validate_focus
from cakg.build.validate_cache import Outcome, unit_key
from cakg.namespaces import CAKG
from cakg.terms import Terms

Triple = tuple[Node, Node, Node]
# (node, property, outgoing) -> the rank and triple of its witness (see _witness)
Witnesses = dict[tuple[str, Node, bool], tuple[tuple[bool, str], Triple]]
_SCHEMA_PREDICATES = {
    RDFS.subClassOf,
    RDFS.subPropertyOf,
    RDFS.domain,
    RDFS.range,
    OWL.equivalentClass,
    OWL.equivalentProperty,
}
_SCHEMA_NAMESPACES = (str(RDF), str(RDFS), str(OWL))
# Properties whose subjects the shapes read from their object: a thing's statements (cakg:about:
# an event no statement reports held has no participants, a reported thing has a statement from
# its source) and a document's ratifications and lifecycle events (its status follows them). A
# unit pulls, from other files, the nodes that point at its subjects with one of these.
POINTERS = frozenset({CAKG.about, CAKG.ratifies, CAKG.lifecycleOf})
# Links to an outside item (Wikidata): every one of them is evidence about the item, since the
# shapes require one entity per item (cakgsh:WikidataItemShape).
LINKS = frozenset({OWL.sameAs, SKOS.exactMatch})


@dataclass(frozen=True)
class FileIndex:
    """What one data file says that other units may need."""

    rel: str
    subjects: frozenset[str]  # every IRI it asserts triples about (all its graphs)
    mentions: frozenset[str]  # every IRI in subject or object position of its validated triples
    # IRI -> its type triples and one triple per property, pickled on their own: a unit needs
    # the evidence of shared IRIs and of the files it pulls from only, and unpickling rdflib
    # terms was most of the cost of reading 31 859 cached indexes at 10^7
    evidence: dict[str, bytes]
    schema: frozenset[Triple]
    # IRI -> the subjects of this file that point at it with a POINTER property
    pointers: dict[str, frozenset[str]] = field(default_factory=dict)

    def evidence_of(self, node: str) -> frozenset[Triple]:
        found: frozenset[Triple] = pickle.loads(self.evidence[node])  # noqa: S301 (pickled by this process)
        return found

    def all_evidence(self) -> Iterator[Triple]:
        for node in self.evidence:
            yield from self.evidence_of(node)


@dataclass(frozen=True)
class Unit:
    """One validation unit: its files, home IRIs, files to pull triples from, its context."""

    name: str
    files: tuple[SourceFile, ...]
    home: frozenset[str]
    pulls: tuple[tuple[SourceFile, frozenset[str]], ...]
    context: frozenset[Triple]
    key: str


@dataclass(frozen=True)
class Schema:
    """What every unit is validated with: the shapes, the ontology, the reference graph, and
    the names of the data graphs (a file's triples in other graphs are not validated)."""

    shapes: Graph
    ontology: Graph
    reference: Graph
    graphs: frozenset[str]


# --- the index of every data file (phase 1) -------------------------------------------------


def parse_source(source: SourceFile, graphs: frozenset[str]) -> tuple[list[Triple], set[Node]]:
    """The triples of one file that land in a data graph, and every subject it asserts.

    Parsed as the build parses it (`load.parse_file`, pyoxigraph; fresh blank nodes each time)
    and turned into rdflib terms as the build's whole-graph validation gets them.
    """
    quads, _prefixes = parse_file(source)
    back = Terms().to_rdflib
    triples: list[Triple] = []
    subjects: set[Node] = set()
    q: Any  # terms as Loaded.graph_of_kind converts them (RDF-star triple terms are not read)
    for q in quads:
        s = back(q.subject)
        subjects.add(s)
        if q.graph_name.value in graphs:  # parse_file names every quad's graph
            triples.append((s, back(q.predicate), back(q.object)))
    return triples, subjects


def index_file(source: SourceFile, graphs: frozenset[str]) -> FileIndex:
    triples, subjects = parse_source(source, graphs)
    evidence: dict[str, set[Triple]] = defaultdict(set)
    witness: Witnesses = {}
    schema: set[Triple] = set()
    mentions: set[str] = set()
    pointers: dict[str, set[str]] = defaultdict(set)
    for t in triples:
        s, p, o = t
        if p in _SCHEMA_PREDICATES or (p == RDF.type and str(o).startswith(_SCHEMA_NAMESPACES)):
            schema.add(t)
        if isinstance(s, URIRef):
            mentions.add(str(s))
            if p == RDF.type:
                evidence[str(s)].add(t)
            else:
                _witness(witness, (str(s), p, True), t)
        if isinstance(o, URIRef):
            mentions.add(str(o))
            if p in POINTERS and isinstance(s, URIRef):
                pointers[str(o)].add(str(s))
            if p in LINKS:  # every link to an item, for the one-item-one-entity check
                evidence[str(o)].add(t)
    for (node, _p, _out), (_rank, t) in witness.items():
        evidence[node].add(t)
    return FileIndex(
        source.rel,
        frozenset(str(s) for s in subjects if isinstance(s, URIRef)),
        frozenset(mentions),
        {k: pickle.dumps(frozenset(v)) for k, v in evidence.items()},
        frozenset(schema),
        {k: frozenset(v) for k, v in pointers.items()},
    )


def _witness(witness: Witnesses, key: tuple[str, Node, bool], t: Triple) -> None:
    """Keep one triple per (node, property, direction): the smallest, so the choice is stable.
    The kept triple's rank is kept with it (at 10^7 a hub node has a candidate per file)."""
    old = witness.get(key)
    rank = _rank(t)
    if old is None or rank < old[0]:
        witness[key] = (rank, t)


def _rank(t: Triple) -> tuple[bool, str]:
    return (any(isinstance(term, BNode) for term in t), _n3(t))


def _n3(t: Triple) -> str:
    """A triple as text, blank nodes unlabelled (their labels change with every parse)."""
    return " ".join("_:b" if isinstance(term, BNode) else term.n3() for term in t)


def subject_files(
    files: Sequence[SourceFile], indexes: dict[str, FileIndex]
) -> dict[Node, tuple[str, ...]]:
    """Which files assert triples about each IRI (the `asserted in` of a finding)."""
    by: dict[str, set[str]] = defaultdict(set)
    for index in indexes.values():
        for s in index.subjects:
            by[s].add(index.rel)
    for f in files:
        if not f.is_data:  # parsed as the build parses them (pyoxigraph: rdflib took a second)
            quads, _prefixes = parse_file(f)
            for s in {q.subject.value for q in quads if isinstance(q.subject, ox.NamedNode)}:
                by[s].add(f.rel)
    return {URIRef(k): tuple(sorted(v)) for k, v in by.items()}


# --- units and their context --------------------------------------------------------------


def make_units(files: list[SourceFile], indexes: dict[str, FileIndex], code: str) -> list[Unit]:
    """The units of the data files, one per file, each with its context.

    A reference file is a unit of its own too (its home nodes are its subjects): every unit
    holds the whole reference graph anyway, and a change that only moves the evidence about a
    shared node then re-runs the reference file that mentions it, not all of graph/reference/.
    """
    subjects_in: dict[str, set[str]] = defaultdict(set)  # IRI -> data files describing it
    pointed_from: dict[str, set[str]] = defaultdict(set)  # IRI -> files with a POINTER to it
    mentioned_in: dict[str, int] = defaultdict(int)
    for index in indexes.values():
        for s in index.subjects:
            subjects_in[s].add(index.rel)
        for target in index.pointers:
            pointed_from[target].add(index.rel)
        for m in index.mentions:
            mentioned_in[m] += 1
    shared = {m for m, n in mentioned_in.items() if n > 1}
    evidence: dict[str, set[Triple]] = defaultdict(set)
    witness: Witnesses = {}
    for index in indexes.values():
        for node in index.evidence:
            if node not in shared:
                continue
            for t in index.evidence_of(node):
                if (t[1] == RDF.type and str(t[0]) == node) or (
                    t[1] in LINKS and str(t[2]) == node
                ):
                    evidence[node].add(t)
                else:
                    _witness(witness, (node, t[1], str(t[0]) == node), t)
    for (node, _p, _out), (_rank, t) in witness.items():
        evidence[node].add(t)
    schema = frozenset(t for index in indexes.values() for t in index.schema)
    by_rel = {f.rel: f for f in files}
    groups = [(f.rel, (f,)) for f in files]
    n3s: dict[Triple, str] = {}

    def text(t: Triple) -> str:
        found = n3s.get(t)
        if found is None:
            found = n3s[t] = _n3(t)
        return found

    units = []
    for name, own in groups:
        rels = {f.rel for f in own}
        subjects = set().union(*(indexes[r].subjects for r in rels))
        mentions = set().union(*(indexes[r].mentions for r in rels))
        home = subjects | {m for m in mentions if m not in subjects_in}
        pull: dict[str, set[str]] = defaultdict(set)
        for s in subjects:
            for rel in subjects_in[s] - rels:
                if by_rel[rel].kind is not Kind.REFERENCE:
                    pull[rel].add(s)
            if any(f.kind is Kind.REFERENCE for f in own):
                continue  # no shape reads what points at a shared entity (a state, a corridor)
            for rel in pointed_from[s] - rels:  # the statements about it, its ratifications
                if by_rel[rel].kind is not Kind.REFERENCE:
                    pull[rel].update(indexes[rel].pointers[s])
        context = set(schema).union(*(evidence[m] for m in mentions if m in evidence))
        for rel in pull:  # the types of what the pulled triples point at
            context.update(indexes[rel].all_evidence())
        pulls = tuple((by_rel[r], frozenset(ss)) for r, ss in sorted(pull.items()))
        key = unit_key(code, own, home, pulls, (text(t) for t in context))
        units.append(Unit(name, own, frozenset(home), pulls, frozenset(context), key))
    return units


# --- a batch of units in one pyshacl run (phase 2) -------------------------------------------


def run_units(batch: list[Unit], schema: Schema) -> list[Outcome]:
    """Validate a batch of units in one pyshacl run; each finding goes to its home unit(s)."""
    graphs = schema.graphs
    data = Graph()
    data += schema.reference  # a reference file's own triples again below: the same terms
    homes: list[set[Node]] = []
    asserted: list[dict[Node, str]] = []
    for unit in batch:
        home: set[Node] = {URIRef(h) for h in unit.home}
        said_by: dict[Node, str] = {}
        for f in unit.files:
            triples, said = parse_source(f, graphs)
            said_by.update((s, f.rel) for s in said if isinstance(s, BNode))
            for t in triples:
                data.add(t)
                home.update(n for n in (t[0], t[2]) if isinstance(n, BNode))
        for f, wanted in unit.pulls:
            triples, _said = parse_source(f, graphs)
            _pull(data, triples, {URIRef(s) for s in wanted})
        homes.append(home)
        asserted.append(said_by)
    focus = set().union(*homes)
    for unit in batch:
        for t in unit.context:
            # A home node has all its own triples already; a context triple about it that
            # points at a blank node (a copy from another parse) would be a second value.
            if not (t[0] in focus and isinstance(t[2], BNode)):
                data.add(t)
    _conforms, results = validate_focus(data, schema.shapes, schema.ontology, focus)
    outcomes: list[Outcome] = [[] for _ in batch]
    for finding, result in findings_of(results, lambda _n: ()):
        node = results.value(result, SH.focusNode)
        lines = _describe(results, result)
        for i, home in enumerate(homes):
            if node not in home:
                continue
            if isinstance(node, URIRef):
                outcomes[i].append((finding, node, lines))
            else:
                files = (asserted[i][node],) if node in asserted[i] else ()
                outcomes[i].append((Finding(**{**finding.__dict__, "files": files}), None, lines))
    return outcomes


def _pull(data: Graph, triples: list[Triple], wanted: set[Node]) -> None:
    """Add the triples about `wanted` subjects, and every triple about or towards the blank
    nodes they lead to (a blank node is local to its file, so its types are all there)."""
    by_node: dict[Node, list[Triple]] = defaultdict(list)
    for t in triples:
        by_node[t[0]].append(t)
        if isinstance(t[2], BNode):
            by_node[t[2]].append(t)
    todo = list(wanted)
    seen = set(todo)
    while todo:
        node = todo.pop()
        for t in by_node.get(node, ()):
            if t[0] != node and not isinstance(node, BNode):
                continue  # towards a wanted IRI: not needed, that file is not its unit
            data.add(t)
            for n in (t[0], t[2]):
                if isinstance(n, BNode) and n not in seen:
                    seen.add(n)
                    todo.append(n)


def _describe(results: Graph, result: Node) -> list[str]:
    """The triples of one result node (and the blank nodes under it), as N-Triples lines."""
    lines, todo, seen = [], [result], {result}
    while todo:
        node = todo.pop()
        for s, p, o in results.triples((node, None, None)):
            lines.append(f"{s.n3()} {p.n3()} {_nt(o)} .")
            if isinstance(o, BNode) and o not in seen and (o, None, None) in results:
                seen.add(o)
                todo.append(o)
    return lines


def _nt(term: Node) -> str:
    if isinstance(term, Literal):
        return Literal(str(term), lang=term.language, datatype=term.datatype).n3()
    return term.n3()
