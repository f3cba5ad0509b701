"""The reference engine: an rdflib Dataset, slow but independent of pyoxigraph.

rdflib's SPARQL parser is not thread-safe (RDFLib/rdflib#1282), so parsing and evaluation hold
one lock; parsed queries are kept in a small cache. rdflib would fetch FROM / FROM NAMED
documents from the web and evaluate SERVICE by HTTP: loading is switched off (FROM names local
graphs only) and SERVICE is refused, both by the guard and here on the parsed algebra.
"""

from __future__ import annotations

import io
import itertools
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import rdflib.plugins.sparql
from pyparsing import ParseException
from rdflib import Dataset as RdfDataset
from rdflib import Graph, URIRef, Variable
from rdflib import Literal as RdfLiteral
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.plugins.sparql.processor import prepareQuery
from rdflib.plugins.sparql.sparql import Query, SPARQLError
from rdflib.query import Result
from rdflib.term import Identifier, Node

from cakg.engine.base import (
    GRAPH_FORMS,
    QUERY_BASE,
    Answer,
    Formats,
    QueryDataset,
    QueryForm,
    QueryResult,
)
from cakg.engine.guard import inspect_query
from cakg.errors import BadQuery, NotAcceptable, QueryResourceError
from cakg.media import GRAPH_MEDIA_TYPES, RESULT_MEDIA_TYPES, writer
from cakg.namespaces import INFERRED_GRAPH, PREFIXES

# media type -> rdflib's writer ("tsv": rdflib has none, see _tsv)
RESULT_FORMATS = {m: writer(m) for m in RESULT_MEDIA_TYPES}
GRAPH_FORMATS = {m: writer(m) for m in GRAPH_MEDIA_TYPES}
PREPARED_CACHE = 256
_FORMS: dict[str, QueryForm] = {
    "SelectQuery": "SELECT",
    "AskQuery": "ASK",
    "ConstructQuery": "CONSTRUCT",
    "DescribeQuery": "DESCRIBE",
}


class RdflibEngine:
    """rdflib's Dataset with the union of the named graphs as default graph."""

    name = "rdflib"

    def __init__(self, nquads: Path, version: str) -> None:
        rdflib.plugins.sparql.SPARQL_LOAD_GRAPHS = False  # FROM <x> never fetches x
        self.version = version
        self.dataset = RdfDataset(default_union=True)
        try:
            self.dataset.parse(str(nquads), format="nquads")
        except (OSError, SyntaxError) as e:
            raise QueryResourceError(f"cannot load {nquads}: {e}") from e
        self._graphs = sorted(
            str(g.identifier)
            for g in self.dataset.graphs()
            if isinstance(g.identifier, URIRef) and len(g)
        )
        self._lock = threading.Lock()
        self._prepared: OrderedDict[str, Query] = OrderedDict()

    def graph_names(self) -> Sequence[str]:
        return list(self._graphs)

    def close(self) -> None:
        pass

    def _prepare(self, sparql: str) -> Query:
        prepared = self._prepared.get(sparql)
        if prepared is not None:
            self._prepared.move_to_end(sparql)
            return prepared
        try:
            prepared = prepareQuery(sparql, base=QUERY_BASE)
        except ParseException as e:
            raise BadQuery(f"syntax error: {e.msg}", e.lineno, e.col) from e
        except RecursionError as e:
            raise BadQuery("the query is nested too deeply for the parser: flatten it") from e
        except (SPARQLError, ValueError, TypeError, KeyError) as e:
            raise BadQuery(f"the query cannot be evaluated: {e}") from e
        if _has_service(prepared.algebra):
            raise BadQuery("SERVICE (federated query) is not allowed on this endpoint")
        self._prepared[sparql] = prepared
        if len(self._prepared) > PREPARED_CACHE:
            self._prepared.popitem(last=False)
        return prepared

    def _clauses(self, dataset: QueryDataset, prepared: Query) -> list[CompValue] | None:
        if dataset.explicit:
            default, named = dataset.default_graphs or (), dataset.named_graphs or ()
        elif prepared.algebra.datasetClause or dataset.inference:
            return prepared.algebra.datasetClause  # type: ignore[no-any-return]
        else:
            default = named = tuple(g for g in self._graphs if g != str(INFERRED_GRAPH))
        clauses = [CompValue("DatasetClause", default=URIRef(g)) for g in default]
        clauses += [CompValue("DatasetClause", named=URIRef(g)) for g in named]
        if not default:  # no default graph given: an empty one, not rdflib's union
            clauses.append(CompValue("DatasetClause", default=URIRef("urn:x-cakg:empty")))
        return clauses

    def query(
        self,
        sparql: str,
        *,
        dataset: QueryDataset | None = None,
        bindings: Mapping[str, Identifier] | None = None,
        max_rows: int | None = None,
        timeout: float | None = None,
    ) -> QueryResult:
        shape = inspect_query(sparql)
        with self._lock:
            prepared = self._prepare(sparql)
            form = _FORMS.get(prepared.algebra.name, shape.form or "SELECT")
            original = prepared.algebra.datasetClause
            prepared.algebra["datasetClause"] = self._clauses(dataset or QueryDataset(), prepared)
            try:
                result = self.dataset.query(prepared, initBindings=dict(bindings or {}))
                return _collect(result, form, max_rows)
            except RecursionError as e:
                raise BadQuery("the query is nested too deeply to evaluate: flatten it") from e
            except (
                SPARQLError,
                ValueError,
                TypeError,
                KeyError,
                ZeroDivisionError,
                AttributeError,  # rdflib on `VALUES () { () }`
            ) as e:
                raise BadQuery(f"the query cannot be evaluated: {e}") from e
            except Exception as e:
                # rdflib raises bare Exception for some queries it cannot handle (e.g. an
                # inverse path inside a negated property set); anything more specific is a bug.
                if type(e) is not Exception:
                    raise
                raise BadQuery(f"the rdflib engine cannot evaluate this query: {e}") from e
            finally:
                prepared.algebra["datasetClause"] = original

    def answer(
        self,
        sparql: str,
        *,
        formats: Formats,
        dataset: QueryDataset | None = None,
        bindings: Mapping[str, Identifier] | None = None,
        max_rows: int | None = None,
        timeout: float | None = None,
    ) -> Answer:
        shape = inspect_query(sparql)
        if shape.form is not None and formats.for_form(shape.form) is None:
            raise NotAcceptable(f"no acceptable media type for the results of a {shape.form} query")
        result = self.query(sparql, dataset=dataset, bindings=bindings, max_rows=max_rows)
        media_type = formats.for_form(result.form)
        if media_type is None:
            raise NotAcceptable(
                f"no acceptable media type for the results of a {result.form} query"
            )
        count = None if result.form == "ASK" else len(result.rows or result.triples)
        body = serialize_terms(result, media_type)
        return Answer(result.form, media_type, body, count, result.truncated)

    def count(
        self,
        sparql: str,
        *,
        dataset: QueryDataset | None = None,
        timeout: float | None = None,
    ) -> int:
        """The whole answer's rows or triples (rdflib has no cheaper way than evaluating it)."""
        result = self.query(sparql, dataset=dataset)
        return 1 if result.form == "ASK" else len(result.rows or result.triples)


def _has_service(node: Any) -> bool:
    if isinstance(node, CompValue):
        if node.name == "ServiceGraphPattern":
            return True
        return any(_has_service(v) for v in node.values())
    if isinstance(node, list | tuple):
        return any(_has_service(v) for v in node)
    return False


def _collect(result: Result, form: QueryForm, max_rows: int | None) -> QueryResult:
    if form == "ASK":
        return QueryResult("ASK", boolean=bool(result.askAnswer))
    if form in GRAPH_FORMS:
        assert result.graph is not None
        triples, truncated = _cap(iter(result.graph), max_rows)
        return QueryResult(form, triples=triples, truncated=truncated)
    variables = [str(v) for v in result.vars or []]
    rows, truncated = _cap((_terms(row) for row in result), max_rows)
    return QueryResult("SELECT", variables, rows, truncated=truncated)


def _terms(row: Any) -> tuple[Node | None, ...]:
    """A row of RDF terms: rdflib leaves a raw string for an expression error such as
    COALESCE() with no arguments, which SPARQL leaves unbound."""
    return tuple(v if isinstance(v, Identifier) else None for v in row)


class _XmlLiteral(RdfLiteral):
    """rdflib's XML results writer skips falsy text, so "0"^^xsd:integer would come out empty."""

    def __bool__(self) -> bool:
        return True


def _for_xml(term: Identifier) -> Identifier:
    if isinstance(term, RdfLiteral):
        return _XmlLiteral(str(term), lang=term.language, datatype=term.datatype)
    return term


def _cap(items: Iterator[Any], max_rows: int | None) -> tuple[list[Any], bool]:
    if max_rows is None:
        return list(items), False
    kept = list(itertools.islice(items, max_rows + 1))
    return kept[:max_rows], len(kept) > max_rows


def serialize_terms(result: QueryResult, media_type: str) -> bytes:
    """A QueryResult of rdflib terms in a SPARQL results or RDF media type, written by rdflib."""
    if result.form in GRAPH_FORMS:
        fmt = GRAPH_FORMATS.get(media_type)
        if fmt is None:
            raise NotAcceptable(f"{media_type} is not an RDF format this engine writes")
        graph = Graph()
        for prefix, ns in PREFIXES.items():
            graph.bind(prefix, ns, override=True)
        for triple in result.triples:
            graph.add(triple)
        return graph.serialize(format=fmt, encoding="utf-8")
    fmt = RESULT_FORMATS.get(media_type)
    if fmt is None:
        raise NotAcceptable(f"{media_type} is not a SPARQL results format this engine writes")
    if fmt == "tsv":
        return _tsv(result)
    out = Result(result.form)
    if result.form == "ASK":
        if fmt == "csv":
            return b"true" if result.boolean else b"false"
        out.askAnswer = bool(result.boolean)
    else:
        out.vars = [Variable(v) for v in result.variables]
        wrap = _for_xml if fmt == "xml" else (lambda t: t)
        out.bindings = [
            {
                Variable(v): wrap(t)
                for v, t in zip(result.variables, row, strict=True)
                if isinstance(t, Identifier)
            }
            for row in result.rows
        ]
    buffer = io.BytesIO()
    out.serialize(buffer, encoding="utf-8", format=fmt)
    return buffer.getvalue()


def _tsv(result: QueryResult) -> bytes:
    """SPARQL TSV: rdflib reads it but has no writer; each term is written by rdflib's n3()."""
    if result.form == "ASK":
        return b"true" if result.boolean else b"false"
    lines = ["\t".join(f"?{v}" for v in result.variables)]
    lines += ["\t".join(_n3(t) for t in row) for row in result.rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"})


def _n3(term: Node | None) -> str:
    """A term on one line: n3() writes multi-line literals in triple quotes, TSV cannot."""
    if term is None:
        return ""
    if not isinstance(term, RdfLiteral):
        return term.n3()
    text = '"' + str(term).translate(_ESCAPES) + '"'
    if term.language:
        return f"{text}@{term.language}"
    return f"{text}^^<{term.datatype}>" if term.datatype else text
