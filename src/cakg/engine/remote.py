"""The `remote` engine: the Engine interface over any SPARQL 1.1 query endpoint.

Requests go through the store's HTTP client (cakg.store.client: the deadline, the streamed and
capped answers, credentials, errors); what the store holds comes from its release graph
(cakg.store.release_graph). This module rewrites each query for the release's dataset and turns
the store's answers into the Engine's.

- The dataset is made explicit on every request (`default-graph-uri` / `named-graph-uri`), so the
  store's own default graph does not matter; a query without a GRAPH pattern gets no named graph
  (the empty set): a store reads thousands of them on each request. For a store published by
  `cakg publish` the union default graph is the release's union graph + the inferred graph (a
  set, as the embedded engines give), `inference=false` leaves the inferred graph out. A store
  without the release graph is read with the local build's graph list and the union of those
  graphs as default graph (merged by the store: some stores keep a triple once per graph that
  holds it).
- The guard runs before anything is sent (no updates, no SERVICE, no deep nesting); FROM /
  FROM NAMED are replaced by protocol parameters naming local graphs only.
- A query the store refuses (HTTP 400) is BadQuery, with the line and column the store gives.
- Bindings go into a VALUES block at the top of the outer WHERE group (the protocol has no
  bindings parameter); blank nodes cannot be bound that way.
"""

from __future__ import annotations

import itertools
import re
import threading
from collections.abc import Mapping, Sequence
from typing import Any

import httpx
from pyoxigraph import (
    QueryBoolean,
    QueryResultsFormat,
    RdfFormat,
    parse_query_results,
    serialize,
)
from rdflib.term import Identifier, Node

from cakg.config import Settings
from cakg.engine.base import Answer, Formats, QueryDataset, QueryForm, QueryResult
from cakg.engine.guard import QueryShape, inspect_query
from cakg.errors import BadQuery, BuildMissingError, ConfigError, NotAcceptable, QueryTimeout
from cakg.media import TSV
from cakg.namespaces import INFERRED_GRAPH, PREFIXES
from cakg.release import load_manifest
from cakg.sparql_terms import bind_values
from cakg.sparql_text import code_text, syntax_error_from
from cakg.store.client import StoreClient, dataset_params
from cakg.store.endpoints import Endpoints, store_auth, store_endpoints
from cakg.store.release_graph import Deadline, ReleaseReader, StoreRelease
from cakg.store.response import QueryResponse, StoreError, solutions_tsv
from cakg.terms import from_result

_RDFLIB_PARSER = threading.Lock()
_GRAPH = re.compile(r"(?<![\w:?$\-])GRAPH(?![\w:\-])", re.IGNORECASE)


def _refused(error: StoreError, sparql: str) -> BadQuery:
    """A query the store refused (HTTP 400) as BadQuery, its line and column kept (found in
    `sparql`, the text sent, where the store gives a line only). The store's copy of the query
    (Virtuoso's, with the release's internal graph names) is left out."""
    reason = error.reason.split("\n\nSPARQL query:", 1)[0].strip()
    return syntax_error_from(reason, sparql) or BadQuery(f"the store refused the query: {reason}")


class RemoteEngine:
    """A SPARQL 1.1 store over HTTP behind the Engine interface."""

    name = "remote"

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 10.0,
        fallback: StoreRelease | None = None,
        auth: httpx.Auth | None = None,
        transport: httpx.BaseTransport | None = None,
        profile: str = "auto",
    ) -> None:
        self.url = url
        self.timeout = timeout
        self._store = StoreClient(Endpoints(url), profile=profile, auth=auth, transport=transport)
        self.profile = self._store.profile.name
        # a store whose updates readers may see half done: each answer is checked (seqlock)
        self._checked = not self._store.profile.isolated_updates
        self._releases = ReleaseReader(self._store, timeout, fallback)
        self.version = self.release().version  # fails early when the store is unreachable

    # -- what the store holds -------------------------------------------------------------

    def release(self) -> StoreRelease:
        """The store's release, read again at most every RELEASE_TTL seconds."""
        release = self._releases.current()
        self.version = release.version  # the published version being served
        return release

    def graph_names(self) -> Sequence[str]:
        return list(self.release().graphs)

    def store_graphs(self) -> list[str]:
        """Every named graph the store holds, staged and internal ones included."""
        return self._store.graph_names(self.timeout)

    def close(self) -> None:
        self._store.close()

    # -- the Engine interface -------------------------------------------------------------

    def query(
        self,
        sparql: str,
        *,
        dataset: QueryDataset | None = None,
        bindings: Mapping[str, Identifier] | None = None,
        max_rows: int | None = None,
        timeout: float | None = None,
    ) -> QueryResult:
        shape, response = self._run(sparql, dataset, bindings, max_rows, timeout)
        form = _form(shape, response)
        if form == "ASK":
            return QueryResult("ASK", boolean=bool(response.boolean()))
        if form == "SELECT":
            variables, rows, truncated = _rows(response, max_rows)
            return QueryResult("SELECT", variables, rows, truncated=truncated)
        triples, truncated = _triples(response, max_rows)
        return QueryResult(form, triples=triples, truncated=truncated)  # type: ignore[arg-type]

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
        shape, response = self._run(sparql, dataset, bindings, max_rows, timeout)
        form = _form(shape, response)
        media_type = formats.for_form(form)
        if media_type is None:
            raise NotAcceptable(f"no acceptable media type for the results of a {form} query")
        if form == "ASK":
            fmt = _results_format(media_type)
            return Answer("ASK", media_type, response.boolean().serialize(format=fmt) or b"")
        if form == "SELECT":
            fmt = _results_format(media_type)
            if response.media_type == TSV:  # already capped while it was read
                count = max(response.body.count(b"\n") - 1, 0)
                body = response.body
                if media_type != TSV:
                    body = response.solutions_as(fmt)
                return Answer("SELECT", media_type, body or b"", count, response.truncated)
            body, count, truncated = _solutions_as(response, fmt, max_rows)
            return Answer("SELECT", media_type, body, count, truncated)
        rdf_format = RdfFormat.from_media_type(media_type)
        if rdf_format is None:
            raise NotAcceptable(f"{media_type} is not an RDF format")
        body, count, truncated = _triples_as(response, rdf_format, max_rows)
        return Answer(form, media_type, body, count, truncated)

    def count(
        self,
        sparql: str,
        *,
        dataset: QueryDataset | None = None,
        timeout: float | None = None,
    ) -> int:
        """The whole answer's rows or triples, as the store sends them (no row cap here; the
        store's own limits and the timeout apply)."""
        result = self.query(sparql, dataset=dataset, timeout=timeout)
        return 1 if result.form == "ASK" else len(result.rows or result.triples)

    # -- the request ----------------------------------------------------------------------

    def _run(
        self,
        sparql: str,
        dataset: QueryDataset | None,
        bindings: Mapping[str, Identifier] | None,
        max_rows: int | None,
        timeout: float | None,
    ) -> tuple[QueryShape, QueryResponse]:
        shape = inspect_query(sparql)  # refuse updates, SERVICE and deep nesting before sending
        text = bind_values(sparql, bindings, shape.form) if bindings else sparql
        limit = self.timeout if timeout is None else min(timeout, self.timeout)
        deadline = Deadline(limit)
        dataset = dataset or QueryDataset()

        def ask(release: StoreRelease) -> QueryResponse:
            self.version = release.version  # the version served (of the last answer asked)
            params = self._dataset_params(dataset, shape, sparql, release)
            try:
                return self._store.query(
                    text, form=shape.form, params=params, max_rows=max_rows, timeout=deadline.left()
                )
            except QueryTimeout:
                raise QueryTimeout(limit) from None
            except StoreError as e:
                if e.status == 400:
                    raise _refused(e, text) from None
                raise

        return shape, self._releases.answer(ask, deadline, checked=self._checked)

    def _dataset_params(
        self, dataset: QueryDataset, shape: QueryShape, sparql: str, release: StoreRelease
    ) -> dict[str, Any]:
        inferred = str(INFERRED_GRAPH)
        if dataset.explicit:
            default, named = list(dataset.default_graphs or ()), list(dataset.named_graphs or ())
        elif shape.has_from:
            default, named = _from_clauses(sparql)
            known = set(release.graphs)
            default = [g for g in default if g in known]
            named = [g for g in named if g in known]
        else:
            named = [g for g in release.graphs if dataset.inference or g != inferred]
            if not _GRAPH.search(code_text(sparql)):  # no GRAPH pattern: no named graph is read,
                named = []  # and a long list costs (31 870 graphs at 10^7)
            if release.published:
                default = [release.union]
                if dataset.inference and inferred in release.graphs:
                    default.append(inferred)
            else:
                default = [g for g in release.graphs if dataset.inference or g != inferred]
        return dataset_params(default, named)


# pyoxigraph's results may only be freed by the thread that made them. They live in these two
# functions' frames only: rdflib's parser (_from_clauses) leaves the frames above it in reference
# cycles, which another thread's garbage collection may free, so `query`, above it, holds none.


def _rows(
    response: QueryResponse, max_rows: int | None
) -> tuple[list[str], list[tuple[Node | None, ...]], bool]:
    """The variables and rows of a SELECT answer as rdflib terms, and whether it was cut."""
    solutions = response.solutions()
    each = response.each(solutions)
    kept: list[Any] = []
    try:
        variables = [v.value for v in solutions.variables]
        kept, truncated = _cap(each, max_rows, response.truncated)
        return variables, [tuple(from_result(s[v]) for v in variables) for s in kept], truncated
    finally:  # this frame holds no pyoxigraph object once it is left, by return or by error
        each.close()
        del solutions, each, kept


def _triples(
    response: QueryResponse, max_rows: int | None
) -> tuple[list[tuple[Node | None, ...]], bool]:
    """The triples of a CONSTRUCT or DESCRIBE answer as rdflib terms, and whether it was cut."""
    triples, truncated = _cap(response.triples(), max_rows, response.truncated)
    terms = [
        tuple(from_result(term) for term in (t.subject, t.predicate, t.object)) for t in triples
    ]
    return terms, truncated


def _solutions_as(
    response: QueryResponse, fmt: QueryResultsFormat, max_rows: int | None
) -> tuple[bytes, int, bool]:
    """A SELECT answer rewritten in `fmt`, capped: its bytes, rows and whether it was cut."""
    solutions = response.solutions()
    each = response.each(solutions)
    kept: list[Any] = []
    try:
        kept, truncated = _cap(each, max_rows, response.truncated)
        variables = list(solutions.variables)
        body = _write_solutions(variables, [[s[v] for v in variables] for s in kept], fmt)
        return body, len(kept), truncated
    finally:  # as in _rows
        each.close()
        del solutions, each, kept


def _triples_as(
    response: QueryResponse, rdf_format: RdfFormat, max_rows: int | None
) -> tuple[bytes, int, bool]:
    """A CONSTRUCT or DESCRIBE answer rewritten in `rdf_format`, capped."""
    triples, truncated = _cap(response.triples(), max_rows, response.truncated)
    prefixes = dict(PREFIXES) if rdf_format in (RdfFormat.TURTLE, RdfFormat.RDF_XML) else None
    return serialize(triples, format=rdf_format, prefixes=prefixes) or b"", len(triples), truncated


def _from_clauses(sparql: str) -> tuple[list[str], list[str]]:
    """The IRIs of the query's FROM and FROM NAMED clauses (rdflib resolves prefixed names)."""
    from pyparsing import ParseException
    from rdflib.plugins.sparql.processor import prepareQuery

    try:
        with _RDFLIB_PARSER:  # not thread-safe (RDFLib/rdflib#1282)
            algebra = prepareQuery(sparql).algebra
    except ParseException as e:
        raise BadQuery(f"syntax error: {e.msg}", e.lineno, e.col) from e
    default: list[str] = []
    named: list[str] = []
    for clause in algebra.datasetClause or ():
        if "default" in clause:
            default.append(str(clause["default"]))
        if "named" in clause:
            named.append(str(clause["named"]))
    return default, named


def _form(shape: QueryShape, response: QueryResponse) -> QueryForm:
    if shape.form is not None:
        return shape.form
    if response.media_type in (TSV, "text/csv"):
        return "SELECT"
    if RdfFormat.from_media_type(response.media_type) is not None:
        return "CONSTRUCT"
    return "ASK" if isinstance(response.results(), QueryBoolean) else "SELECT"


def _results_format(media_type: str) -> QueryResultsFormat:
    fmt = QueryResultsFormat.from_media_type(media_type)
    if fmt is None:
        raise NotAcceptable(f"{media_type} is not a SPARQL results format")
    return fmt


def _cap(items: Any, max_rows: int | None, truncated: bool) -> tuple[list[Any], bool]:
    if max_rows is None:
        return list(items), truncated
    kept = list(itertools.islice(items, max_rows + 1))
    return kept[:max_rows], truncated or len(kept) > max_rows


def _write_solutions(variables: list[Any], rows: list[list[Any]], fmt: QueryResultsFormat) -> bytes:
    """Solutions written by pyoxigraph: kept rows are turned back into a TSV it parses."""
    result = parse_query_results(solutions_tsv(variables, rows), QueryResultsFormat.TSV)
    return result.serialize(format=fmt) or b""


def open_remote(settings: Settings) -> RemoteEngine:
    """The remote engine over `settings.store_url`, the local build's graphs as fallback."""
    if not settings.store_url:
        raise ConfigError("engine 'remote' needs the store's URL: --store URL or CAKG_STORE_URL")
    fallback = None
    try:
        manifest = load_manifest(settings)
    except BuildMissingError:
        pass
    else:
        graphs = tuple(sorted(manifest.get("graphs", {})))
        fallback = StoreRelease(str(manifest["version"]), graphs, False)
    return RemoteEngine(
        store_endpoints(settings.store_url).query,
        timeout=settings.query_timeout,
        fallback=fallback,
        auth=store_auth(),
        profile=settings.store_profile,
    )
