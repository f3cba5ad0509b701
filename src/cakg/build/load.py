"""Parse source files with pyoxigraph, each file's triples in its named graph.

At 10^7 triples rdflib would need tens of GB, so nothing here holds the data as rdflib:

- every quad, exactly as parsed, is appended to an N-Quads file (`Loaded.quads_path`, in a
  temporary folder), file after file, without duplicates: the build writes its dumps from it;
- the data graphs (reference, sources: each file's own graph) also go into a pyoxigraph Store,
  where the rule materialiser runs. The Store keeps literals by value
  ("85"^^xsd:nonNegativeInteger comes back as "85"^^xsd:integer), so it is never the source of
  the asserted quads written out;
- the small graphs (ontology, shapes, reference) are kept as quads in memory, and
  graph_of_kind() gives any kind as an rdflib Graph (sources: read back from the file).
"""

from __future__ import annotations

import hashlib
import re
import shutil
import tempfile
import weakref
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import BNode, Dataset, Graph, URIRef
from rdflib.term import Node

from cakg.build.sources import Kind, SourceFile
from cakg.errors import ParseError
from cakg.terms import Terms, to_ox

FORMATS = {"turtle": ox.RdfFormat.TURTLE, "trig": ox.RdfFormat.TRIG}
SMALL_KINDS = (Kind.ONTOLOGY, Kind.SHAPES, Kind.REFERENCE)
DATA_KINDS = (Kind.REFERENCE, Kind.SOURCE)
RELABELLED = (ox.BlankNode, ox.Triple)  # object terms that may hold a blank node
_POSITION = re.compile(r"^Parser error [^:]*: ")


class AssertedBy(Mapping[Node, set[str]]):
    """Which files assert triples about a subject, looked up when asked.

    A file whose named graph is its own (a source file) is known by that graph, looked up in
    the store; the others (several files share the ontology, shapes and reference graphs, and a
    TriG file may write elsewhere) record their subjects as they are parsed.
    """

    def __init__(self, store: ox.Store) -> None:
        self._store = store
        self.recorded: dict[Node, set[str]] = defaultdict(set)
        self.graph_files: dict[str, str] = {}  # graph IRI -> the one file loaded into it

    def __getitem__(self, node: Node) -> set[str]:
        found = set(self.recorded.get(node, ()))
        subject = to_ox(node) if isinstance(node, URIRef | BNode) else None
        if self.graph_files and isinstance(subject, ox.NamedNode | ox.BlankNode):
            for quad in self._store.quads_for_pattern(subject, None, None, None):
                graph = quad.graph_name
                rel = self.graph_files.get(graph.value) if isinstance(graph, ox.NamedNode) else None
                if rel is not None:
                    found.add(rel)
        if not found:
            raise KeyError(node)
        return found

    def __iter__(self) -> Iterator[Node]:
        seen = set(self.recorded)
        yield from list(seen)
        terms = Terms()
        for name in list(self.graph_files):
            for quad in self._store.quads_for_pattern(None, None, None, ox.NamedNode(name)):
                if isinstance(quad.subject, ox.NamedNode | ox.BlankNode):
                    s = terms.to_rdflib(quad.subject)
                    if s not in seen:
                        seen.add(s)
                        yield s

    def __len__(self) -> int:
        return sum(1 for _ in self)


@dataclass
class Loaded:
    """The parsed sources: their exact quads (a file), the data in a store, who asserted what."""

    files: list[SourceFile]
    store: ox.Store = field(default_factory=ox.Store)
    prefixes: dict[str, str] = field(default_factory=dict)
    small: dict[str, dict[ox.Quad, None]] = field(default_factory=dict)  # graph -> quads
    size: int = 0  # quads appended
    tmp_dir: Path | None = None  # where the working folder goes [default: the system's]
    asserted_by: AssertedBy = field(init=False)
    workdir: Path = field(init=False)
    quads_path: Path = field(init=False)

    def __post_init__(self) -> None:
        self.asserted_by = AssertedBy(self.store)
        self.workdir = Path(tempfile.mkdtemp(prefix="cakg-load-", dir=self.tmp_dir))
        weakref.finalize(self, shutil.rmtree, self.workdir, True)
        self.quads_path = self.workdir / "quads.nq"
        self.quads_path.touch()

    def append(self, quads: Iterable[ox.Quad]) -> None:
        """Add quads (not already there) to the dataset that will be written."""

        def counted() -> Iterator[ox.Quad]:
            for q in quads:
                self.size += 1
                yield q

        with self.quads_path.open("ab") as out:
            ox.serialize(counted(), out, format=ox.RdfFormat.N_QUADS)

    def quads(self) -> Iterator[ox.Quad]:
        """Every quad written so far, exactly as parsed."""
        return iter(ox.parse(path=self.quads_path, format=ox.RdfFormat.N_QUADS))

    def graph_of_kind(self, *kinds: Kind) -> Graph:
        """A fresh rdflib Graph with the triples of every file of the given kinds."""
        names = {str(f.graph) for f in self.files if f.kind in kinds}
        terms = Terms()
        g = Graph()
        in_memory = names & set(self.small)
        for name in sorted(in_memory):
            terms.graph(self.small[name], g)
        if names - in_memory:
            rest = {ox.NamedNode(n) for n in names - in_memory}
            terms.graph((q for q in self.quads() if q.graph_name in rest), g)
        for prefix, ns in self.prefixes.items():
            g.bind(prefix, ns, override=False)
        return g

    @property
    def dataset(self) -> Dataset:
        """An rdflib copy of every quad: for small projects and tests, never for the build."""
        ds = Dataset()
        terms = Terms()
        for quad in self.quads():
            graph = quad.graph_name
            assert isinstance(graph, ox.NamedNode)  # load_sources names every graph
            terms.graph([quad], ds.graph(URIRef(graph.value)))
        for prefix, ns in self.prefixes.items():
            ds.bind(prefix, ns, override=False)
        return ds

    def close(self) -> None:
        shutil.rmtree(self.workdir, ignore_errors=True)


class BlankNodeLabels:
    """The blank-node labels of one file: `b<12 hex digits of the file's path>_<n>`, n counting
    the file's blank nodes in the order the parser first meets them.

    The parser keeps a label written in the file (`_:x`) and gives `[]` and lists a random one;
    both are replaced, so a file's blank nodes get the same labels in every build (the dumps of
    one dataset version are byte-identical) and no two files share a label.
    """

    def __init__(self, rel: str) -> None:
        self.prefix = f"b{hashlib.sha256(rel.encode('utf-8')).hexdigest()[:12]}_"
        self.labels: dict[str, ox.BlankNode] = {}

    def node(self, node: ox.BlankNode) -> ox.BlankNode:
        found = self.labels.get(node.value)
        if found is None:
            found = self.labels[node.value] = ox.BlankNode(f"{self.prefix}{len(self.labels)}")
        return found

    def term(self, term: Any) -> Any:
        if type(term) is ox.BlankNode:
            return self.node(term)
        if type(term) is ox.Triple:  # an RDF 1.2 triple term, which may hold blank nodes
            return ox.Triple(self.term(term.subject), term.predicate, self.term(term.object))
        return term

    def quad(self, q: ox.Quad) -> ox.Quad:
        return ox.Quad(
            self.term(q.subject), q.predicate, self.term(q.object), self.term(q.graph_name)
        )


def _parse_error(source: SourceFile, e: SyntaxError) -> ParseError:
    reason = _POSITION.sub("", e.msg or str(e))
    return ParseError(source.rel, reason, line=e.lineno, column=e.offset)


def parse_file(source: SourceFile) -> tuple[dict[ox.Quad, None], dict[str, str]]:
    """The quads of one file (in order, once each) and its prefixes.

    Triples outside a GRAPH block land in the file's own named graph; blank nodes are renamed
    (BlankNodeLabels), so two files never share one by accident and one file's labels are the
    same in every build. A syntax error becomes ParseError with the file, line and column.
    """
    graph = ox.NamedNode(str(source.graph))
    parser = ox.parse(
        path=source.path,
        format=FORMATS[source.format],
        base_iri=str(source.graph),
        rename_blank_nodes=False,  # the parser's own renaming is random: see BlankNodeLabels
    )
    quads: dict[ox.Quad, None] = {}
    blank = BlankNodeLabels(source.rel)
    blank_node, default_graph = ox.BlankNode, ox.DefaultGraph
    try:
        for q in parser:
            g = q.graph_name
            if (
                type(q.subject) is blank_node
                or type(q.object) in RELABELLED
                or type(g) is blank_node
            ):
                q = blank.quad(q)
                g = q.graph_name
            if type(g) is default_graph:
                q = ox.Quad(q.subject, q.predicate, q.object, graph)
            quads[q] = None
    except SyntaxError as e:
        raise _parse_error(source, e) from None
    return quads, parser.prefixes


def load_sources(files: list[SourceFile], tmp_dir: Path | None = None) -> Loaded:
    """Parse every file; see the module's docstring for where the quads go. `tmp_dir`: where
    the working folder goes (the build's own, which the next build sweeps if this one dies)."""
    loaded = Loaded(files, tmp_dir=tmp_dir)
    writers: dict[str, int] = defaultdict(int)
    for f in files:
        writers[str(f.graph)] += 1
    seen: dict[str, set[ox.Quad]] = defaultdict(set)  # graphs more than one file writes into
    terms = Terms()
    for source in files:
        quads, prefixes = parse_file(source)
        for prefix, ns in prefixes.items():
            loaded.prefixes.setdefault(prefix, ns)
        own = str(source.graph)
        graph = ox.NamedNode(own)
        alone = writers[own] == 1 and source.format == "turtle"
        if alone:
            new: Iterable[ox.Quad] = quads
            loaded.asserted_by.graph_files[own] = source.rel
        else:
            new = []
            for q in quads:
                name = q.graph_name.value if isinstance(q.graph_name, ox.NamedNode) else own
                if q not in seen[name]:
                    seen[name].add(q)
                    new.append(q)
                if isinstance(q.subject, ox.NamedNode | ox.BlankNode):
                    loaded.asserted_by.recorded[terms.to_rdflib(q.subject)].add(source.rel)
        loaded.append(new)
        if source.kind in SMALL_KINDS:
            for q in new:
                name = q.graph_name.value if isinstance(q.graph_name, ox.NamedNode) else own
                loaded.small.setdefault(name, {})[q] = None
        if source.kind in DATA_KINDS:  # the rules reason on the files' own graphs
            loaded.store.extend(new if alone else (q for q in new if q.graph_name == graph))
    return loaded
