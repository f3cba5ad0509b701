"""Run one W3C query-evaluation case through a cakg engine and compare with the expected answer.

Each case gets its own small N-Quads file: the test's qt:data in one named graph (DATA_GRAPH) and
each qt:graphData in a named graph named by its file IRI. The query then runs with a
QueryDataset(default_graphs=(DATA_GRAPH,), named_graphs=(graphData IRIs...)), so its default
graph is exactly the test's data. A query with its own FROM / FROM NAMED runs on the engine's
default dataset instead, the documents it names loaded as local graphs (cakg never fetches
anything).
The query is given `BASE <its file IRI>`, the base the manifests assume.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path

from rdflib import Dataset as RdfDataset
from rdflib import Graph, URIRef
from rdflib.query import Result

from cakg.engine import Engine, Formats, QueryDataset, load_engine
from cakg.engine.base import QueryResult
from cakg.engine.guard import inspect_query
from tests.w3c.suite import Case, Expected, expected, ordered, rdf_format, same_graph, same_rows

DATA_GRAPH = "urn:x-cakg-w3c:data"
_FROM_IRI = re.compile(r"\bFROM\s+(?:NAMED\s+)?<([^>]*)>", re.IGNORECASE)
PARSERS = {  # SPARQL results media type -> rdflib's parser
    "application/sparql-results+json": "json",
    "application/sparql-results+xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
}


@dataclass
class Prepared:
    """A case ready to run: its query text (with BASE), its dataset file and QueryDataset."""

    query: str
    nquads: Path
    dataset: QueryDataset | None


def query_text(case: Case) -> str:
    assert case.query is not None
    return f"BASE <{case.query.as_uri()}>\n" + case.query.read_text(encoding="utf-8")


def prepare(case: Case, folder: Path) -> Prepared:
    """Write the case's data as N-Quads under `folder` and choose the dataset to query."""
    text = query_text(case)
    ds = RdfDataset()
    for path in case.data:
        ds.graph(URIRef(DATA_GRAPH)).parse(path, format=rdf_format(path))
    for path in case.graph_data:
        ds.graph(URIRef(path.as_uri())).parse(path, format=rdf_format(path))
    dataset: QueryDataset | None = QueryDataset(
        default_graphs=(DATA_GRAPH,),
        named_graphs=tuple(p.as_uri() for p in case.graph_data),
    )
    if inspect_query(text).has_from:  # the query's own dataset, on local graphs
        assert case.query is not None
        for iri in _FROM_IRI.findall(case.query.read_text(encoding="utf-8")):
            path = (case.query.parent / iri).resolve()
            if path not in case.graph_data:
                ds.graph(URIRef(path.as_uri())).parse(path, format=rdf_format(path))
        dataset = None
    nquads = folder / "case.nq"
    ds.serialize(nquads, format="nquads", encoding="utf-8")
    return Prepared(text, nquads, dataset)


def open_case(engine_name: str, case: Case, folder: Path) -> tuple[Engine, Prepared]:
    prepared = prepare(case, folder)
    return load_engine(engine_name, prepared.nquads, "w3c"), prepared


def to_expected(result: QueryResult) -> Expected:
    """An engine's QueryResult in the shape `expected()` gives, for comparison."""
    if result.form == "ASK":
        return Expected(boolean=result.boolean)
    if result.form in ("CONSTRUCT", "DESCRIBE"):
        g = Graph()
        for triple in result.triples:
            g.add(triple)
        return Expected(graph=g)
    rows = [
        {v: t for v, t in zip(result.variables, row, strict=True) if t is not None}
        for row in result.rows
    ]
    return Expected(variables=list(result.variables), rows=rows)


def parse_answer(body: bytes, fmt: str) -> Expected:
    """A serialised SELECT/ASK answer read back by rdflib."""
    res = Result.parse(io.BytesIO(body), format=fmt)
    if res.type == "ASK":
        return Expected(boolean=bool(res.askAnswer))
    rows = [  # res.bindings, not iter(res): that drops solutions binding nothing
        {str(k): v for k, v in row.items() if v is not None} for row in res.bindings
    ]
    return Expected(variables=[str(v) for v in res.vars or []], rows=rows)


def differs(got: Expected, want: Expected, query: str) -> str | None:
    """None when `got` answers like `want`; otherwise what differs."""
    if want.graph is not None:
        if got.graph is None or not same_graph(got.graph, want.graph):
            return f"graph differs: got {len(got.graph or ())} triples, want {len(want.graph)}"
        return None
    if want.boolean is not None:
        return None if got.boolean == want.boolean else f"got {got.boolean}, want {want.boolean}"
    assert want.rows is not None
    if got.rows is None or not same_rows(got.rows, want.rows, ordered(query)):
        return f"rows differ:\n got  {got.rows}\n want {want.rows}"
    return None


def evaluate(
    engine: Engine, case: Case, prepared: Prepared, media_type: str | None = None
) -> str | None:
    """Run the case's query; None when the answer is the expected one.

    With `media_type`, the answer is serialised by the engine (`answer()`, the endpoint's path)
    in that SPARQL results format and read back by rdflib; otherwise compared as terms.
    """
    assert case.result is not None
    want = expected(case.result)
    if media_type is None:
        result = engine.query(prepared.query, dataset=prepared.dataset)
        return differs(to_expected(result), want, prepared.query)
    answer = engine.answer(
        prepared.query, formats=Formats(results=media_type), dataset=prepared.dataset
    )
    return differs(parse_answer(answer.body, PARSERS[media_type]), want, prepared.query)
