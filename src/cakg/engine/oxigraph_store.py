"""The default engine: a pyoxigraph Store loaded once from the build's N-Quads, read-only after.

Results are written by pyoxigraph itself, capped at a number of rows (engine/oxigraph_answers.py).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from pyoxigraph import (
    DefaultGraph,
    NamedNode,
    Quad,
    QueryBoolean,
    QueryResultsFormat,
    QuerySolutions,
    RdfFormat,
    Store,
    Variable,
    parse_query_results,
    serialize,
)
from rdflib.term import Identifier

from cakg.engine.base import (
    QUERY_BASE,
    Answer,
    Formats,
    QueryDataset,
    QueryForm,
    QueryResult,
)
from cakg.engine.guard import QueryShape, inspect_query
from cakg.engine.oxigraph_answers import (
    accepted_type,
    capped,
    solutions_direct,
    write_solutions,
    writer_prefixes,
)
from cakg.engine.point_lookup import PointLookup
from cakg.errors import BadQuery, BuildMissingError, NotAcceptable, QueryResourceError
from cakg.namespaces import INFERRED_GRAPH
from cakg.release import SHARED_TRIPLE, STORE
from cakg.sparql_text import syntax_error_from
from cakg.terms import OxTerm, from_result, to_ox

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
PLAIN_GRAPH = NamedNode("urn:cakg:store:union")
INFERRED_NODE = NamedNode(str(INFERRED_GRAPH))  # the one graph of the plain store (see __init__)
COPY_ASSERTED = (
    f"INSERT {{ ?s ?p ?o }} WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(?g != <{INFERRED_GRAPH}>) }}"
)


class OxigraphEngine:
    """pyoxigraph, in memory or on disk; the default graph is the union (a set) of the named
    graphs.

    Explicit datasets (default-graph-uri, FROM) naming several graphs use pyoxigraph's own
    merge, which keeps a triple once per graph that holds it.
    """

    name = "oxigraph"

    def __init__(self, nquads: Path, version: str, storage: str = "memory") -> None:
        self.version = version
        self.storage = storage
        inferred = str(INFERRED_GRAPH)
        try:
            if storage == "disk":
                self.store = open_disk_store(nquads)
            else:
                self.store = Store()
                self.store.bulk_load(path=str(nquads), format=RdfFormat.N_QUADS)
                if _shared_triples(self.store):
                    self.store.update(COPY_ASSERTED)
        except (OSError, SyntaxError) as e:
            raise QueryResourceError(f"cannot load {nquads}: {e}") from e
        self._graphs = sorted(
            g.value for g in self.store.named_graphs() if isinstance(g, NamedNode)
        )
        asserted = [NamedNode(g) for g in self._graphs if g != inferred]
        # pyoxigraph's union default graph is a bag: a triple in two graphs would match twice.
        # When some triple is (see _shared_triples), the store's own default graph (empty in a
        # build) holds a copy of the asserted triples, once each; the inferred triples are new
        # ones, so adding that graph keeps the union a set. Otherwise the bag is a set, and
        # pyoxigraph's own union is used: scans are then faster.
        self.union_copy = bool(self.store.query("ASK { ?s ?p ?o }", default_graph=DefaultGraph()))
        if self.union_copy:
            union: list[Any] = [DefaultGraph()]
            if inferred in self._graphs:
                union.append(NamedNode(inferred))
            # Every named graph is available to GRAPH by default: no list to convert per query
            # (with a graph per source file, that list costs more than a point lookup).
            self._union: dict[str, Any] = {"default_graph": union}
            self._asserted: dict[str, Any] = {
                "default_graph": [DefaultGraph()],
                "named_graphs": asserted,
            }
        else:
            self._union = {"use_default_graph_as_union": True}
            self._asserted = {"default_graph": asserted, "named_graphs": asserted}
        # In memory, with that copy: a second store, "plain", holds the union (the copy and the
        # inferred graph) as its one named graph, bulk-loaded. A query over the default dataset
        # that cannot name a graph (no GRAPH in its code, no FROM) runs there, through
        # pyoxigraph's union of that one graph: a set, and read faster than a list of graphs
        # (bench/README.md). Not for the store's default graph: scans of a default graph beside
        # named graphs are slower than of a named graph.
        self.plain: Store | None = None
        if self.union_copy and storage == "memory":
            self.plain = Store()
            self.plain.bulk_extend(
                Quad(q.subject, q.predicate, q.object, PLAIN_GRAPH)
                for graph in union
                for q in self.store.quads_for_pattern(None, None, None, graph)
            )

    def graph_names(self) -> Sequence[str]:
        return list(self._graphs)

    def close(self) -> None:
        pass

    def _evaluate(
        self, sparql: str, dataset: QueryDataset | None, bindings: Mapping[str, Identifier] | None
    ) -> tuple[QueryShape, Any]:
        shape = inspect_query(sparql)
        dataset = dataset or QueryDataset()
        store = self.store
        options: dict[str, Any]
        if (
            self.plain is not None
            and dataset.inference
            and not dataset.explicit
            and not shape.has_from
            and not shape.says_graph
        ):
            store, options = self.plain, {"use_default_graph_as_union": True}
        else:
            options = self._dataset_options(dataset, shape)
        if bindings:
            options["substitutions"] = {Variable(k): _bound(v) for k, v in bindings.items()}
        try:
            return shape, store.query(sparql, base_iri=QUERY_BASE, **options)
        except SyntaxError as e:
            raise _syntax_error(e) from e
        except (OSError, RuntimeError) as e:  # RuntimeError: a bound variable is not projected
            raise BadQuery(f"the query cannot be evaluated: {e}") from e

    def _dataset_options(self, dataset: QueryDataset, shape: QueryShape) -> dict[str, Any]:
        if dataset.explicit:
            return {
                "default_graph": [NamedNode(g) for g in dataset.default_graphs or ()],
                "named_graphs": [NamedNode(g) for g in dataset.named_graphs or ()],
            }
        if shape.has_from:  # the query's own FROM / FROM NAMED, on local graphs only
            return {}
        return dict(self._union if dataset.inference else self._asserted)

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
        shape, result = self._evaluate(sparql, dataset, bindings)
        try:
            if isinstance(result, QueryBoolean):
                media_type = accepted_type(formats, "ASK")
                results_fmt = QueryResultsFormat.from_media_type(media_type)
                return Answer("ASK", media_type, result.serialize(format=results_fmt) or b"")
            if isinstance(result, QuerySolutions):
                media_type = accepted_type(formats, "SELECT")
                # A streaming query is written straight out, and evaluated again (up to the cap)
                # only if it might hold more rows. A blocking one (ORDER BY, GROUP BY, DISTINCT)
                # pays its whole evaluation before the first row: it takes the row-capped pass
                # at once, so it is never evaluated twice.
                if shape.streams and max_rows is not None:
                    direct = solutions_direct(result, media_type, max_rows)
                    if direct is not None:
                        return direct
                    result = self._evaluate(sparql, dataset, bindings)[1]
                return write_solutions(result, media_type, max_rows)
            form: QueryForm = "DESCRIBE" if shape.form == "DESCRIBE" else "CONSTRUCT"
            media_type = accepted_type(formats, form)
            triples, count, truncated = capped(result, max_rows)
            rdf_fmt = RdfFormat.from_media_type(media_type)
            if rdf_fmt is None:
                raise NotAcceptable(f"{media_type} is not an RDF format Oxigraph writes")
            body = serialize(triples, format=rdf_fmt, prefixes=writer_prefixes(rdf_fmt))
            return Answer(form, media_type, body or b"", count, truncated)
        except OSError as e:  # an evaluation error raised while the results stream out
            raise BadQuery(f"the query cannot be evaluated: {e}") from e

    def query(
        self,
        sparql: str,
        *,
        dataset: QueryDataset | None = None,
        bindings: Mapping[str, Identifier] | None = None,
        max_rows: int | None = None,
        timeout: float | None = None,
    ) -> QueryResult:
        shape, result = self._evaluate(sparql, dataset, bindings)
        try:
            if isinstance(result, QueryBoolean):
                return QueryResult("ASK", boolean=bool(result))
            if isinstance(result, QuerySolutions):
                variables = [v.value for v in result.variables]
                solutions, _, truncated = capped(result, max_rows)
                rows = [tuple(from_result(s[v]) for v in variables) for s in solutions]
                return QueryResult("SELECT", variables, rows, truncated=truncated)
            triples, _, truncated = capped(result, max_rows)
            form: QueryForm = "DESCRIBE" if shape.form == "DESCRIBE" else "CONSTRUCT"
            converted = [
                (from_result(t.subject), from_result(t.predicate), from_result(t.object))
                for t in triples
            ]
            return QueryResult(form, triples=converted, truncated=truncated)  # type: ignore[arg-type]
        except OSError as e:
            raise BadQuery(f"the query cannot be evaluated: {e}") from e

    def count(
        self,
        sparql: str,
        *,
        dataset: QueryDataset | None = None,
        timeout: float | None = None,
    ) -> int:
        """Every solution (or triple) of the answer counted as pyoxigraph yields it: no term is
        converted or written out, and no row cap applies."""
        _, result = self._evaluate(sparql, dataset, None)
        if isinstance(result, QueryBoolean):
            return 1
        try:
            return sum(1 for _ in result)
        except OSError as e:  # an evaluation error raised while the results stream out
            raise BadQuery(f"the query cannot be evaluated: {e}") from e

    def _lookup_rows(
        self, lookup: PointLookup, dataset: QueryDataset | None, max_rows: int | None
    ) -> tuple[list[tuple[Any, ...]], bool]:
        """A point lookup's solutions, read through the store's pattern API (never as query
        text): each triple of the default graph once (the union of the named graphs, a set;
        without the inferred graph when `inference` is false), projected, DISTINCT, OFFSET,
        LIMIT, then the row cap. Rows and whether the cap cut them."""
        predicate = NamedNode(lookup.predicate) if lookup.predicate is not None else None
        obj = NamedNode(lookup.object) if lookup.object is not None else None
        quads: Iterable[Quad] = self.store.quads_for_pattern(
            NamedNode(lookup.subject), predicate, obj, None
        )
        if dataset is not None and not dataset.inference:
            quads = (q for q in quads if q.graph_name != INFERRED_NODE)
        # each (predicate, object) once, in the store's order: the union is a set
        pairs: Iterable[tuple[Any, ...]] = dict.fromkeys((q.predicate, q.object) for q in quads)
        positions = {lookup.predicate_var: 0, lookup.object_var: 1}
        picked = tuple(positions[name] for name in lookup.projection)
        if picked != (0, 1):
            pairs = (tuple(pair[i] for i in picked) for pair in pairs)
        if lookup.distinct:
            pairs = dict.fromkeys(pairs)
        start = lookup.offset or 0
        stop = None if lookup.limit is None else start + lookup.limit
        if max_rows is not None:
            stop = start + max_rows + 1 if stop is None else min(stop, start + max_rows + 1)
        rows = list(itertools.islice(pairs, start, stop))
        truncated = max_rows is not None and len(rows) > max_rows
        return rows[:max_rows] if truncated else rows, truncated

    def answer_lookup(
        self,
        lookup: PointLookup,
        *,
        formats: Formats,
        dataset: QueryDataset | None = None,
        max_rows: int | None = None,
    ) -> Answer:
        """`answer()` for a point lookup, through the pattern API; written by pyoxigraph."""
        if lookup.form == "ASK":
            found, _ = self._lookup_rows(replace(lookup, limit=1), dataset, None)
            media_type = accepted_type(formats, "ASK")
            boolean = parse_query_results(
                b'{"head":{},"boolean":%s}' % (b"true" if found else b"false"),
                QueryResultsFormat.JSON,
            )
            body = boolean.serialize(format=QueryResultsFormat.from_media_type(media_type))
            return Answer("ASK", media_type, body or b"")
        media_type = accepted_type(formats, "SELECT")
        fmt = QueryResultsFormat.from_media_type(media_type)
        if fmt is None:
            raise NotAcceptable(f"{media_type} is not a SPARQL results format")
        rows, truncated = self._lookup_rows(lookup, dataset, max_rows)
        lines = ["\t".join(f"?{name}" for name in lookup.projection)]
        lines += ["\t".join(str(term) for term in row) for row in rows]
        tsv = ("\n".join(lines) + "\n").encode("utf-8")
        if fmt == QueryResultsFormat.TSV:
            return Answer("SELECT", media_type, tsv, len(rows), truncated)
        body = parse_query_results(tsv, QueryResultsFormat.TSV).serialize(format=fmt) or b""
        return Answer("SELECT", media_type, body, len(rows), truncated)

    def query_lookup(
        self,
        lookup: PointLookup,
        *,
        dataset: QueryDataset | None = None,
        max_rows: int | None = None,
    ) -> QueryResult:
        """`query()` for a point lookup, through the pattern API."""
        if lookup.form == "ASK":
            found, _ = self._lookup_rows(replace(lookup, limit=1), dataset, None)
            return QueryResult("ASK", boolean=bool(found))
        rows, truncated = self._lookup_rows(lookup, dataset, max_rows)
        converted = [tuple(from_result(term) for term in row) for row in rows]
        return QueryResult("SELECT", list(lookup.projection), converted, truncated=truncated)


def _shared_triples(store: Store) -> bool:
    """True when some triple is in two named graphs (then the union needs the copy)."""
    return bool(store.query(SHARED_TRIPLE))


def open_disk_store(nquads: Path) -> Store:
    """The release's on-disk store (written by the build beside its N-Quads), read-only: it
    opens in milliseconds, its pages live in the OS page cache (shared by every process), and
    it can be forked. BuildMissingError when the release was built without one."""
    folder = nquads.parent / STORE
    if not folder.is_dir():
        raise BuildMissingError(
            f"the release {nquads.parent.name} has no on-disk store ({STORE}/): it was built "
            "for serving in memory; rebuild with the same CAKG_OXIGRAPH_STORAGE as the server "
            "(`cakg build --force`)"
        )
    return Store.read_only(str(folder))


def _syntax_error(e: SyntaxError) -> BadQuery:
    """pyoxigraph puts a query syntax error's position in its message ("error at 2:16: ...")."""
    error = syntax_error_from(e.msg or "")
    return error or BadQuery(f"syntax error: {e.msg}", e.lineno, e.offset)


def _bound(term: Identifier) -> OxTerm:
    """A value bound to a query variable, as pyoxigraph's term."""
    try:
        return to_ox(term)
    except TypeError:
        raise BadQuery(
            f"cannot bind {term!r}: only IRIs, blank nodes and literals can be bound"
        ) from None
