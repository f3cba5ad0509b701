"""Read the W3C SPARQL 1.1 test manifests and compare results the way the test suite means.

The suite lives in ../shared/w3c/sparql11 beside the repository (not copied into it).
"""

from __future__ import annotations

import io
import math
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import RDF, XSD, BNode, Graph, Literal, Namespace
from rdflib.collection import Collection
from rdflib.compare import isomorphic
from rdflib.query import Result
from rdflib.term import Node

SUITE = Path(__file__).resolve().parents[3] / "shared" / "w3c" / "sparql11"
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
QT = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-query#")
RS = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/result-set#")
DAWGT = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-dawg#")


@dataclass
class Case:
    """One test of a manifest."""

    iri: str
    kind: str  # local name of the test type, e.g. QueryEvaluationTest
    name: str
    query: Path | None
    data: list[Path] = field(default_factory=list)
    graph_data: list[Path] = field(default_factory=list)
    result: Path | None = None
    approved: bool = True

    @property
    def id(self) -> str:
        return self.iri.split("/data-sparql11/")[-1].replace("manifest#", "")


def _path(node: Node | None) -> Path | None:
    if node is None:
        return None
    return Path(str(node).removeprefix("file://"))


def cases(manifest: Path) -> Iterator[Case]:
    """Every test of `manifest` and of the manifests it includes, in order."""
    g = Graph().parse(manifest, format="turtle", publicID=manifest.as_uri())
    for m in g.subjects(RDF.type, MF.Manifest):
        include = g.value(m, MF.include)
        if include is not None:
            for sub in Collection(g, include):
                yield from cases(_path(sub))  # type: ignore[arg-type]
        entries = g.value(m, MF.entries)
        if entries is None:
            continue
        for test in Collection(g, entries):
            kind = str(g.value(test, RDF.type)).rsplit("#", 1)[-1]
            action = g.value(test, MF.action)
            if isinstance(action, BNode):
                query = _path(g.value(action, QT.query))
                data = [_path(d) for d in g.objects(action, QT.data)]
                graph_data = [_path(d) for d in g.objects(action, QT.graphData)]
            else:
                query, data, graph_data = _path(action), [], []
            yield Case(
                iri=str(test),
                kind=kind,
                name=str(g.value(test, MF.name) or test),
                query=query,
                data=sorted(p for p in data if p is not None),
                graph_data=sorted(p for p in graph_data if p is not None),
                result=_path(g.value(test, MF.result)),
                approved=g.value(test, DAWGT.approval) != DAWGT.Withdrawn,
            )


def rdf_format(path: Path) -> str:
    return {".ttl": "turtle", ".nt": "nt", ".rdf": "xml", ".n3": "n3"}[path.suffix]


@dataclass
class Expected:
    """An expected answer: rows (with variable names), a boolean, or a graph."""

    variables: list[str] | None = None
    rows: list[dict[str, Node]] | None = None
    boolean: bool | None = None
    graph: Graph | None = None


def expected(path: Path) -> Expected:
    suffix = path.suffix
    if suffix in (".srx", ".srj", ".tsv", ".csv"):
        fmt = {".srx": "xml", ".srj": "json", ".tsv": "tsv", ".csv": "csv"}[suffix]
        with path.open("rb") as handle:
            res = Result.parse(io.BytesIO(handle.read()), format=fmt)
        if res.type == "ASK":
            return Expected(boolean=bool(res.askAnswer))
        names = [str(v) for v in (res.vars or [])]
        rows = [  # res.bindings, not iter(res): that drops solutions binding nothing
            {str(k): v for k, v in row.items() if v is not None} for row in res.bindings
        ]
        return Expected(variables=names, rows=rows)
    g = Graph().parse(path, format=rdf_format(path))
    rs = g.value(None, RDF.type, RS.ResultSet)
    if rs is None:
        return Expected(graph=g)
    boolean = g.value(rs, RS.boolean)
    if boolean is not None:
        return Expected(boolean=bool(boolean.toPython()))
    names = [str(v) for v in g.objects(rs, RS.resultVariable)]
    rows = []
    for sol in g.objects(rs, RS.solution):
        row = {}
        for b in g.objects(sol, RS.binding):
            row[str(g.value(b, RS.variable))] = g.value(b, RS.value)
        rows.append(row)
    return Expected(variables=names, rows=rows)


# Typed literals compared by value: Oxigraph's store keeps numbers and booleans in canonical form
# ("1.0"^^xsd:decimal comes back as "1"), which RDF 1.1 allows (same value, same datatype).
VALUE_TYPES = frozenset(
    XSD[name]
    for name in (
        *("integer", "decimal", "double", "float", "boolean", "int", "long", "short", "byte"),
        *("nonNegativeInteger", "nonPositiveInteger", "positiveInteger", "negativeInteger"),
        *("unsignedInt", "unsignedLong", "unsignedShort", "unsignedByte"),
    )
)


def term_key(term: Node) -> tuple[object, ...]:
    """A compare key for one term: blank nodes alike, typed numbers and booleans by value,
    language tags case-insensitively and xsd:string as simple literals (RDF 1.1), everything
    else by its N-Triples form."""
    if isinstance(term, BNode):
        return ("_:",)
    if isinstance(term, Literal):
        if term.datatype == XSD.string:  # RDF 1.1: "a" is "a"^^xsd:string
            return (Literal(str(term)).n3(),)
        if term.language:
            return ("@", str(term), term.language.lower())
        if term.datatype in VALUE_TYPES and not term.ill_typed:
            value = term.toPython()
            if isinstance(value, float) and math.isnan(value):
                value = "NaN"
            return ("=", str(term.datatype), value)
    return (term.n3(),)


def _key(row: dict[str, Node]) -> tuple[tuple[str, tuple[object, ...]], ...]:
    """A compare key of a solution that ignores blank-node labels."""
    return tuple(sorted((k, term_key(v)) for k, v in row.items()))


def same_rows(
    got: list[dict[str, Node]], want: list[dict[str, Node]], ordered: bool = False
) -> bool:
    """Solution sequences equal up to a consistent renaming of blank nodes."""
    if len(got) != len(want):
        return False
    if not ordered and Counter(map(_key, got)) != Counter(map(_key, want)):
        return False
    if ordered and [_key(r) for r in got] != [_key(r) for r in want]:
        return False
    if not any(isinstance(v, BNode) for r in want for v in r.values()):
        return True
    return _match(list(got), list(want), {}, ordered)


def _match(got: list, want: list, mapping: dict, ordered: bool) -> bool:
    """Backtracking search for a bijection of blank nodes making the two lists equal."""
    if not want:
        return True
    target = want[0]
    candidates = [got[0]] if ordered else got
    for i, row in enumerate(candidates):
        if row.keys() != target.keys():
            continue
        trial = dict(mapping)
        ok = True
        for k, v in target.items():
            mine = row[k]
            if isinstance(v, BNode) and isinstance(mine, BNode):
                if trial.get(v, mine) != mine or (mine in trial.values() and trial.get(v) != mine):
                    ok = False
                    break
                trial[v] = mine
            elif term_key(v) != term_key(mine):
                ok = False
                break
        if ok and _match(got[:i] + got[i + 1 :], want[1:], trial, ordered):
            return True
    return False


def same_graph(got: Graph, want: Graph) -> bool:
    return isomorphic(got, want)


def ordered(query_text: str) -> bool:
    return "ORDER BY" in query_text.upper()
