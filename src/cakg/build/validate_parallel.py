"""SHACL validation per source file, in parallel and incremental, with the whole-graph report.

A unit is one source file (the reference files together are one more unit) plus the context
its nodes need; its *home* nodes are the subjects it asserts, its blank nodes, and the IRIs it
mentions that no data file describes. A home node's result depends only on (every shape here
targets a class and follows predicate paths forward): its own triples, in every file; its types;
and the types of its values. Types come from rdf:type, from rdfs:domain of the properties it
is the subject of and rdfs:range of those it is the object of, and from the ontology. So a unit
is validated as:

* its own file, the reference graph and the ontology (pyshacl's ont_graph, RDFS inference);
* the triples other files assert about its subjects (and their blank-node values);
* for every IRI that appears in more than one file: its rdf:type triples and one triple per
  property it is the subject or the object of, from any file (type *evidence*);
* any schema triple (rdfs:subClassOf, rdfs:domain...) that a data file asserts;

and only its home nodes are validated (the other nodes are context). Each unit's graph is a
subset of the whole graph that holds everything its home nodes depend on, so their results are
the whole-graph results; every target is home in some unit, and the findings are merged,
deduplicated and sorted as validate_graph sorts them.

Findings are cached per unit under <build>/validate-cache/, keyed on the sha256 of the unit's
files, the context it imports, the ontology, shapes and reference files, this code and the
parser's (load.py, terms.py) and the versions of pyshacl, rdflib, owlrl and pyoxigraph: after
one file changes only its unit (and units whose imported context it changes) run again.
Workers validate several units per pyshacl run.
"""

from __future__ import annotations

import gc
import hashlib
import json
import multiprocessing
import os
import pickle
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SH
from rdflib.term import Node

from cakg.build.load import parse_file
from cakg.build.sources import Kind, SourceFile
from cakg.build.validate import Finding, Report, findings_of, sort_findings, validate_focus
from cakg.errors import ParseError, ValidationWorkerError
from cakg.terms import Terms

CACHE = "validate-cache"
UNITS_PER_RUN = 40  # source units validated together by one pyshacl run (ontology inference once)
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
    is_reference: bool = False


def validate_units(
    files: Sequence[SourceFile],
    shapes: Graph,
    ontology: Graph,
    reference: Graph,
    *,
    cache_dir: Path | None,
    workers: int = 0,
) -> Report:
    """Validate every data file as its own unit; the report equals validate_graph's."""
    data_files = [f for f in files if f.is_data]
    graphs = frozenset(str(f.graph) for f in data_files)
    workers = workers or os.cpu_count() or 1
    code = _code_key(files)
    with _Pool(workers, shapes, ontology, reference, graphs) as pool:
        indexes = _indexes(pool, data_files, graphs, cache_dir, code)
        subject_files = _subject_files(files, indexes)
        units = _units(data_files, indexes, code)
        outcomes = _run(pool, units, cache_dir)
    if cache_dir is not None:
        _prune(cache_dir, {f"unit-{u.key}.json" for u in units})
    findings: list[Finding] = []
    results = Graph()
    for unit in units:
        for finding, focus, _lines in outcomes[unit.key]:
            if focus is not None:
                finding = Finding(**{**finding.__dict__, "files": subject_files.get(focus, ())})
            findings.append(finding)
    report_findings = sort_findings(findings)
    _results_graph(results, outcomes, units, report_findings, subject_files)
    conforms = not any(f.severity == "Violation" for f in report_findings)
    return Report(conforms, report_findings, results)


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
            _witness(witness, (str(o), p, False), t)
    for (node, _p, _out), (_rank, t) in witness.items():
        evidence[node].add(t)
    return FileIndex(
        source.rel,
        frozenset(str(s) for s in subjects if isinstance(s, URIRef)),
        frozenset(mentions),
        {k: pickle.dumps(frozenset(v)) for k, v in evidence.items()},
        frozenset(schema),
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


def _indexes(
    pool: _Pool,
    files: list[SourceFile],
    graphs: frozenset[str],
    cache_dir: Path | None,
    code: str,
) -> dict[str, FileIndex]:
    found: dict[str, FileIndex] = {}
    missing: list[tuple[SourceFile, Path | None]] = []
    names = _digest(*sorted(graphs))  # once: hashing every graph name per file is quadratic
    for f in files:
        path = cache_dir / _index_name(code, f, names) if cache_dir else None
        if path is not None and path.exists():
            found[f.rel] = pickle.loads(path.read_bytes())  # noqa: S301 (the build's own cache)
        else:
            missing.append((f, path))

    def store(i: int, index: FileIndex) -> None:
        f, path = missing[i]
        found[f.rel] = index
        if path is not None:
            _write_atomic(path, pickle.dumps(index))

    pool.map(_index_task, [f for f, _ in missing], [f.rel for f, _ in missing], each=store)
    if cache_dir is not None and cache_dir.is_dir():
        keep = {_index_name(code, f, names) for f in files}
        for old in cache_dir.glob("index-*.pickle"):
            if old.name not in keep:
                old.unlink(missing_ok=True)
    return found


def _index_name(code: str, f: SourceFile, names: str) -> str:
    """The index cache file of `f`; `names` is the digest of the data graphs' names."""
    return f"index-{_digest(code, 'index', f.rel, f.sha256, names)}.pickle"


def _subject_files(
    files: Sequence[SourceFile], indexes: dict[str, FileIndex]
) -> dict[Node, tuple[str, ...]]:
    """Which files assert triples about each IRI (the `asserted in` of a finding)."""
    by: dict[str, set[str]] = defaultdict(set)
    for index in indexes.values():
        for s in index.subjects:
            by[s].add(index.rel)
    for f in files:
        if not f.is_data:
            for s in {
                s
                for s in Graph().parse(f.path, format=f.format).subjects()
                if isinstance(s, URIRef)
            }:
                by[str(s)].add(f.rel)
    return {URIRef(k): tuple(sorted(v)) for k, v in by.items()}


# --- units and their context --------------------------------------------------------------


def _units(files: list[SourceFile], indexes: dict[str, FileIndex], code: str) -> list[Unit]:
    subjects_in: dict[str, set[str]] = defaultdict(set)  # IRI -> data files describing it
    mentioned_in: dict[str, int] = defaultdict(int)
    for index in indexes.values():
        for s in index.subjects:
            subjects_in[s].add(index.rel)
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
                if t[1] == RDF.type and str(t[0]) == node:
                    evidence[node].add(t)
                else:
                    _witness(witness, (node, t[1], str(t[0]) == node), t)
    for (node, _p, _out), (_rank, t) in witness.items():
        evidence[node].add(t)
    schema = frozenset(t for index in indexes.values() for t in index.schema)
    by_rel = {f.rel: f for f in files}
    reference = tuple(f for f in files if f.kind is Kind.REFERENCE)
    groups: list[tuple[str, tuple[SourceFile, ...]]] = (
        [("reference", reference)] if reference else []
    )
    groups += [(f.rel, (f,)) for f in files if f.kind is not Kind.REFERENCE]
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
        context = set(schema).union(*(evidence[m] for m in mentions if m in evidence))
        for rel in pull:  # the types of what the pulled triples point at
            context.update(indexes[rel].all_evidence())
        pulls = tuple((by_rel[r], frozenset(ss)) for r, ss in sorted(pull.items()))
        key = _digest(
            code,
            "unit",
            *(f"{f.rel}\0{f.sha256}" for f in own),
            *sorted(home),
            *(f"{f.rel}\0{f.sha256}\0{' '.join(sorted(ss))}" for f, ss in pulls),
            *sorted(text(t) for t in context),
        )
        units.append(
            Unit(name, own, frozenset(home), pulls, frozenset(context), key, name == "reference")
        )
    return units


# --- running the units (phase 2) ------------------------------------------------------------

Outcome = list[tuple[Finding, Node | None, list[str]]]  # finding, focus IRI (for files), result


def _run(pool: _Pool, units: list[Unit], cache_dir: Path | None) -> dict[str, Outcome]:
    outcomes: dict[str, Outcome] = {}
    todo: list[Unit] = []
    for unit in units:
        cached = _read_outcome(cache_dir, unit.key)
        if cached is None:
            todo.append(unit)
        else:
            outcomes[unit.key] = cached
    batches = [[u] for u in todo if u.is_reference]
    rest = [u for u in todo if not u.is_reference]
    size = max(1, min(UNITS_PER_RUN, -(-len(rest) // max(1, pool.workers * 2))))
    batches += [rest[i : i + size] for i in range(0, len(rest), size)]

    def keep(i: int, done: list[Outcome]) -> None:
        for unit, outcome in zip(batches[i], done, strict=True):
            outcomes[unit.key] = outcome
            if cache_dir is not None:
                _write_atomic(cache_dir / f"unit-{unit.key}.json", _dump_outcome(outcome))

    pool.map(_unit_task, batches, [b[0].name for b in batches], each=keep)
    return outcomes


def _read_outcome(cache_dir: Path | None, key: str) -> Outcome | None:
    if cache_dir is None:
        return None
    path = cache_dir / f"unit-{key}.json"
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None
    return [
        (
            Finding(**{**f["finding"], "files": tuple(f["finding"]["files"])}),
            URIRef(f["focus"]) if f["focus"] else None,
            f["result"],
        )
        for f in body
    ]


def _dump_outcome(outcome: Outcome) -> bytes:
    body = [
        {
            "finding": f.__dict__ | {"files": list(f.files)},
            "focus": str(focus) if focus else None,
            "result": lines,
        }
        for f, focus, lines in outcome
    ]
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


_STATE: dict[str, Any] = {}


def _init_worker(
    shapes: list[Triple], ontology: list[Triple], reference: list[Triple], graphs: frozenset[str]
) -> None:
    for name, triples in (("shapes", shapes), ("ontology", ontology), ("reference", reference)):
        g = Graph()
        for t in triples:
            g.add(t)
        _STATE[name] = g
    _STATE["graphs"] = graphs


def _index_task(source: SourceFile) -> FileIndex | ParseFailure:
    try:
        return index_file(source, _STATE["graphs"])
    except ParseError as e:
        return ParseFailure(str(e.path), e.reason, e.line, e.column)


@dataclass(frozen=True)
class ParseFailure:
    """A ParseError carried back from a worker (exceptions with custom arguments do not pickle)."""

    path: str
    reason: str
    line: int | None
    column: int | None


def _unit_task(batch: list[Unit]) -> list[Outcome] | ParseFailure:
    try:
        return run_units(batch)
    except ParseError as e:
        return ParseFailure(str(e.path), e.reason, e.line, e.column)


def run_units(batch: list[Unit]) -> list[Outcome]:
    """Validate a batch of units in one pyshacl run; each finding goes to its home unit(s)."""
    graphs: frozenset[str] = _STATE["graphs"]
    data = Graph()
    if not any(u.is_reference for u in batch):
        for t in _STATE["reference"]:
            data.add(t)
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
    _conforms, results = validate_focus(data, _STATE["shapes"], _STATE["ontology"], focus)
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


def _results_graph(
    results: Graph,
    outcomes: dict[str, Outcome],
    units: list[Unit],
    findings: list[Finding],
    subject_files: dict[Node, tuple[str, ...]],
) -> None:
    """A pyshacl-like results graph with one result per distinct finding."""
    wanted = set(findings)
    report = BNode()
    results.add((report, RDF.type, SH.ValidationReport))
    results.add(
        (report, SH.conforms, Literal(not any(f.severity == "Violation" for f in findings)))
    )
    for unit in units:
        for finding, focus, lines in outcomes[unit.key]:
            if focus is not None:
                finding = Finding(**{**finding.__dict__, "files": subject_files.get(focus, ())})
            if finding not in wanted or not lines:
                continue
            wanted.discard(finding)
            part = Graph().parse(data="\n".join(lines), format="turtle")
            for t in part:
                results.add(t)
            results.add((report, SH.result, next(part.subjects(RDF.type, SH.ValidationResult))))


# --- the worker pool -----------------------------------------------------------------------


class _Pool:
    """Worker processes with the schema graphs loaded once; errors name the file at fault."""

    def __init__(
        self, workers: int, shapes: Graph, ontology: Graph, reference: Graph, graphs: frozenset[str]
    ) -> None:
        self.workers = max(1, workers)
        self._args = (list(shapes), list(ontology), list(reference), graphs)
        self._executor: ProcessPoolExecutor | None = None

    def __enter__(self) -> _Pool:
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            gc.unfreeze()

    def map(
        self,
        fn: Any,
        items: Sequence[Any],
        names: Sequence[str],
        each: Callable[[int, Any], None] | None = None,
    ) -> list[Any]:
        """fn over items, `each(i, result)` as each one is done (so finished work is kept);
        a ParseFailure raises ParseError, a dead worker ValidationWorkerError."""
        out: list[Any] = []

        def take(result: Any) -> None:
            if isinstance(result, ParseFailure):
                raise ParseError(result.path, result.reason, line=result.line, column=result.column)
            if each is not None:
                each(len(out), result)
            out.append(result)

        if not items:
            return out
        if self.workers == 1 or len(items) == 1:
            _init_worker(*self._args)
            for item in items:
                take(fn(item))
            return out
        if self._executor is None:
            # Forked workers share the caller's heap (a build holds the loaded data): with
            # its objects frozen, the children's garbage collector does not copy its pages.
            gc.freeze()
            self._executor = ProcessPoolExecutor(
                self.workers,
                mp_context=_context(),
                initializer=_init_worker,
                initargs=self._args,
            )
        name = names[0]
        try:
            futures = [self._executor.submit(fn, item) for item in items]
            for future, name in zip(futures, names, strict=True):  # noqa: B007
                take(future.result())
        except BrokenProcessPool as e:
            raise ValidationWorkerError(name, str(e) or "the worker process died") from None
        return out


def _context() -> multiprocessing.context.BaseContext:
    """fork when this process has no other thread (fast, nothing re-imported), else spawn."""
    if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


# --- keys and cache files -------------------------------------------------------------------


def _code_key(files: Iterable[SourceFile]) -> str:
    """The validator's code and versions, and the ontology, shapes and reference files."""
    package = Path(__file__).parents[1]
    parts = [
        (package / name).read_text(encoding="utf-8")
        for name in (
            "build/validate.py",
            "build/pyshacl_patches.py",
            "build/validate_parallel.py",
            "build/load.py",
            "terms.py",
        )
    ]
    libraries = ("pyshacl", "rdflib", "owlrl", "pyoxigraph")  # pyoxigraph parses the files
    parts += [f"{lib} {metadata.version(lib)}" for lib in libraries]
    parts += [f"{f.rel}\0{f.sha256}" for f in files if f.kind is not Kind.SOURCE]
    return _digest(*parts)


def _prune(cache_dir: Path, keep: set[str]) -> None:
    """Remove the findings of units that no longer exist (their key changed)."""
    for path in cache_dir.glob("unit-*.json"):
        if path.name not in keep:
            path.unlink(missing_ok=True)


def _digest(*parts: str) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode("utf-8") + b"\n")
    return h.hexdigest()


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
