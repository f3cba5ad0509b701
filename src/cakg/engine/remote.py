"""The `remote` engine: the Engine interface over any SPARQL 1.1 query endpoint (HTTP, httpx).

- The dataset is made explicit on every request (`default-graph-uri` / `named-graph-uri`), so the
  store's own default graph does not matter; a query without a GRAPH pattern gets no named graph
  (the empty set): a store reads thousands of them on each request. A store published by
  `cakg publish` holds a small release graph (RELEASE_GRAPH: the version, the graph list and the
  name of the graph holding the set union of the asserted graphs, ASSERTED_GRAPH when it names
  none): the union default graph is that union graph + the inferred graph (a set, as the embedded
  engines give), `inference=false` leaves the inferred graph out. A release graph whose version
  is "" is the empty release a first publish writes before it uploads: the store is read as
  empty. A store without the release graph is read with the local build's graph list and the
  union of those graphs as default graph (merged by the store: some stores keep a triple once per
  graph that holds it).
- The guard runs before anything is sent (no updates, no SERVICE, no deep nesting); FROM /
  FROM NAMED are replaced by protocol parameters naming local graphs only.
- The timeout is sent as `timeout` (seconds) and is the HTTP client's deadline: the request is
  abandoned when it passes (QueryTimeout). Rows past the cap are never read: the response is
  streamed (SPARQL TSV, N-Triples) and closed once it holds one row too many.
- Bindings go into a VALUES block at the top of the outer WHERE group (the protocol has no
  bindings parameter); blank nodes cannot be bound that way.
- Credentials from the environment: CAKG_STORE_TOKEN (bearer), or CAKG_STORE_USER and
  CAKG_STORE_PASSWORD (basic).
"""

from __future__ import annotations

import itertools
import os
import re
import threading
import time
from collections.abc import Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
from pyoxigraph import (
    QueryBoolean,
    QueryResultsFormat,
    QuerySolutions,
    RdfFormat,
    parse,
    parse_query_results,
    serialize,
)
from rdflib.term import Identifier

from cakg.config import Settings
from cakg.engine.base import Answer, Dataset, Formats, QueryForm, QueryResult
from cakg.engine.guard import QueryShape, inspect_query
from cakg.engine.oxigraph_store import to_rdflib
from cakg.errors import (
    BadQuery,
    BuildMissingError,
    ConfigError,
    NotAcceptable,
    QueryResourceError,
    QueryTimeout,
)
from cakg.namespaces import INFERRED_GRAPH, PREFIXES
from cakg.release import load_manifest
from cakg.sparql_terms import bind_values
from cakg.sparql_text import code_text, syntax_error_from

RELEASE_GRAPH = "urn:x-cakg:release"  # the published release: version, graphs, counts
ASSERTED_GRAPH = "urn:x-cakg:asserted"  # the set union of the asserted graphs
EMPTY_GRAPH = "urn:x-cakg:empty"  # never written: an empty default graph or named-graph set
OWL_VERSION_INFO = "http://www.w3.org/2002/07/owl#versionInfo"
DCTERMS_HAS_PART = "http://purl.org/dc/terms/hasPart"
VOID_TRIPLES = "http://rdfs.org/ns/void#triples"
UNION_GRAPH = "urn:x-cakg:unionGraph"  # release graph -> the graph holding the asserted union
RELEASE_TTL = 5.0  # seconds between two reads of the release graph
ERROR_CHARS = 500  # of a remote error body quoted in a message
TSV = "text/tab-separated-values"
NTRIPLES = "application/n-triples"
JSON = "application/sparql-results+json"
ACCEPT: dict[str | None, str] = {
    "SELECT": f"{TSV}, {JSON};q=0.5",
    "ASK": f"{JSON}, application/sparql-results+xml;q=0.5",
    "CONSTRUCT": f"{NTRIPLES}, text/turtle;q=0.5",
    "DESCRIBE": f"{NTRIPLES}, text/turtle;q=0.5",
    None: f"{JSON}, {NTRIPLES};q=0.9",
}
# the last segment of a query endpoint's path -> its update and Graph Store siblings
SIBLINGS = {"query": ("update", "store"), "sparql": ("update", "data")}
_RDFLIB_PARSER = threading.Lock()
_GRAPH = re.compile(r"(?<![\w:?$\-])GRAPH(?![\w:\-])", re.IGNORECASE)


class StoreError(QueryResourceError):
    """The remote store is unreachable, refused the credentials or failed (HTTP 5xx)."""

    code = "store-error"

    def __init__(self, url: str, message: str, status: int | None = None) -> None:
        self.url = url
        self.status = status
        where = f"{url} answered {status}" if status is not None else url
        super().__init__(f"the SPARQL store at {where}: {message}")


@dataclass(frozen=True)
class Endpoints:
    """Where a store answers queries, updates and Graph Store Protocol requests."""

    query: str
    update: str | None = None
    gsp: str | None = None


def store_endpoints(url: str, update: str | None = None, gsp: str | None = None) -> Endpoints:
    """The endpoints of a store given by its query endpoint or, for Oxigraph, its base URL.

    `.../query` (Oxigraph) has siblings `update` and `store`; `.../sparql` (Fuseki) `update` and
    `data`; a bare base URL (no path) is read as an Oxigraph server's.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"store URL: {url!r} is not an http(s) URL")
    path = parts.path.rstrip("/")
    if not path:
        path = "/query"
        url = urlunsplit(parts._replace(path=path))
    head, _, last = path.rpartition("/")
    siblings = SIBLINGS.get(last)
    if siblings is not None:
        update = update or urlunsplit(parts._replace(path=f"{head}/{siblings[0]}"))
        gsp = gsp or urlunsplit(parts._replace(path=f"{head}/{siblings[1]}"))
    return Endpoints(url, update, gsp)


def store_auth(environ: Mapping[str, str] | None = None) -> httpx.Auth | None:
    """Credentials for the store from CAKG_STORE_TOKEN or CAKG_STORE_USER/CAKG_STORE_PASSWORD."""
    env = os.environ if environ is None else environ
    token = env.get("CAKG_STORE_TOKEN")
    if token:
        return _Bearer(token)
    user = env.get("CAKG_STORE_USER")
    if user:
        return httpx.BasicAuth(user, env.get("CAKG_STORE_PASSWORD", ""))
    return None


class _Bearer(httpx.Auth):
    def __init__(self, token: str) -> None:
        self._token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self._token}"
        yield request


def raise_for_status(url: str, response: httpx.Response, body: bytes) -> None:
    """A remote error as a typed cakg error: 400 is BadQuery (line and column kept), else
    StoreError."""
    status = response.status_code
    if status < 400:
        return
    text = body.decode("utf-8", "replace").strip()[:ERROR_CHARS]
    if status == 400:
        error = syntax_error_from(text)
        if error is not None:
            raise error
        raise BadQuery(f"the store refused the query: {text or response.reason_phrase}")
    if status in (401, 403):
        raise StoreError(
            url,
            f"{response.reason_phrase}: set CAKG_STORE_TOKEN, or CAKG_STORE_USER and "
            "CAKG_STORE_PASSWORD, to credentials the store accepts",
            status,
        )
    raise StoreError(url, text or response.reason_phrase, status)


@dataclass(frozen=True)
class Release:
    """What the store holds: a published release (from its release graph) or a plain store."""

    version: str
    graphs: tuple[str, ...]
    published: bool  # True when the store holds a release graph
    union: str = ASSERTED_GRAPH  # the graph holding the set union of the asserted graphs


@dataclass
class _Fetched:
    media_type: str
    body: bytes
    truncated: bool


class RemoteEngine:
    """A SPARQL 1.1 store over HTTP behind the Engine interface."""

    name = "remote"

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 10.0,
        fallback: Release | None = None,
        auth: httpx.Auth | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = url
        self.timeout = timeout
        self._fallback = fallback
        self._client = httpx.Client(auth=auth, transport=transport, follow_redirects=False)
        self._lock = threading.Lock()
        self._release: Release | None = None
        self._read_at = 0.0
        self.version = self.release().version  # fails early when the store is unreachable

    # -- what the store holds -------------------------------------------------------------

    def release(self) -> Release:
        """The store's release, read again at most every RELEASE_TTL seconds."""
        with self._lock:
            if self._release is None or time.monotonic() - self._read_at > RELEASE_TTL:
                self._release = self._read_release()
                self._read_at = time.monotonic()
                self.version = self._release.version  # the published version being served
            return self._release

    def _read_release(self) -> Release:
        sparql = f"SELECT ?s ?p ?o WHERE {{ GRAPH <{RELEASE_GRAPH}> {{ ?s ?p ?o }} }}"
        fetched = self._fetch(sparql, "SELECT", {}, None, self.timeout)
        solutions = parse_query_results(fetched.body, _results_format(fetched.media_type))
        assert isinstance(solutions, QuerySolutions)
        version, graphs, union = None, [], ASSERTED_GRAPH
        for s in solutions:
            subject, predicate, obj = (to_rdflib(s[v]) for v in ("s", "p", "o"))
            if str(subject) != RELEASE_GRAPH:
                continue
            if str(predicate) == OWL_VERSION_INFO:
                version = str(obj)
            elif str(predicate) == DCTERMS_HAS_PART:
                graphs.append(str(obj))
            elif str(predicate) == UNION_GRAPH:
                union = str(obj)
        if version == "":  # a first publish is uploading: nothing is released yet
            return Release("", (), True, EMPTY_GRAPH)
        if version is not None:
            return Release(version, tuple(sorted(graphs)), True, union)
        if self._fallback is not None:
            return self._fallback
        raise ConfigError(
            f"the store at {self.url} holds no cakg release and there is no local build: run "
            f"`cakg publish --to {self.url}` or `cakg build`"
        )

    def graph_names(self) -> Sequence[str]:
        return list(self.release().graphs)

    def store_graphs(self) -> list[str]:
        """Every named graph the store holds, staged and internal ones included."""
        sparql = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
        fetched = self._fetch(sparql, "SELECT", {}, None, self.timeout)
        return [str(to_rdflib(s["g"])) for s in _solutions(fetched)]

    def close(self) -> None:
        self._client.close()

    # -- the Engine interface -------------------------------------------------------------

    def query(
        self,
        sparql: str,
        *,
        dataset: Dataset | None = None,
        bindings: Mapping[str, Identifier] | None = None,
        max_rows: int | None = None,
        timeout: float | None = None,
    ) -> QueryResult:
        shape, fetched = self._run(sparql, dataset, bindings, max_rows, timeout)
        form = _form(shape, fetched)
        if form == "ASK":
            return QueryResult("ASK", boolean=bool(_boolean(fetched)))
        if form == "SELECT":
            solutions = _solutions(fetched)
            variables = [v.value for v in solutions.variables]
            kept, truncated = _cap(solutions, max_rows, fetched.truncated)
            rows = [tuple(to_rdflib(s[v]) for v in variables) for s in kept]
            return QueryResult("SELECT", variables, rows, truncated=truncated)
        triples, truncated = _cap(_triples(fetched), max_rows, fetched.truncated)
        converted = [
            (to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object)) for t in triples
        ]
        return QueryResult(form, triples=converted, truncated=truncated)  # type: ignore[arg-type]

    def answer(
        self,
        sparql: str,
        *,
        formats: Formats,
        dataset: Dataset | None = None,
        bindings: Mapping[str, Identifier] | None = None,
        max_rows: int | None = None,
        timeout: float | None = None,
    ) -> Answer:
        shape = inspect_query(sparql)
        if shape.form is not None and formats.for_form(shape.form) is None:
            raise NotAcceptable(f"no acceptable media type for the results of a {shape.form} query")
        shape, fetched = self._run(sparql, dataset, bindings, max_rows, timeout)
        form = _form(shape, fetched)
        media_type = formats.for_form(form)
        if media_type is None:
            raise NotAcceptable(f"no acceptable media type for the results of a {form} query")
        if form == "ASK":
            fmt = _results_format(media_type)
            return Answer("ASK", media_type, _boolean(fetched).serialize(format=fmt) or b"")
        if form == "SELECT":
            fmt = _results_format(media_type)
            if fetched.media_type == TSV:  # already capped while it was read
                count = max(fetched.body.count(b"\n") - 1, 0)
                body = fetched.body
                if media_type != TSV:
                    body = _solutions(fetched).serialize(format=fmt) or b""
                return Answer("SELECT", media_type, body or b"", count, fetched.truncated)
            solutions = _solutions(fetched)
            kept, truncated = _cap(solutions, max_rows, fetched.truncated)
            variables = list(solutions.variables)
            body = _write_solutions(variables, [[s[v] for v in variables] for s in kept], fmt)
            return Answer("SELECT", media_type, body, len(kept), truncated)
        triples, truncated = _cap(_triples(fetched), max_rows, fetched.truncated)
        rdf_format = RdfFormat.from_media_type(media_type)
        if rdf_format is None:
            raise NotAcceptable(f"{media_type} is not an RDF format")
        prefixes = dict(PREFIXES) if rdf_format in (RdfFormat.TURTLE, RdfFormat.RDF_XML) else None
        body = serialize(triples, format=rdf_format, prefixes=prefixes) or b""
        return Answer(form, media_type, body, len(triples), truncated)

    # -- HTTP -----------------------------------------------------------------------------

    def _run(
        self,
        sparql: str,
        dataset: Dataset | None,
        bindings: Mapping[str, Identifier] | None,
        max_rows: int | None,
        timeout: float | None,
    ) -> tuple[QueryShape, _Fetched]:
        shape = inspect_query(sparql)  # refuse updates, SERVICE and deep nesting before sending
        text = bind_values(sparql, bindings, shape.form) if bindings else sparql
        params = self._dataset_params(dataset or Dataset(), shape, sparql)
        limit = self.timeout if timeout is None else min(timeout, self.timeout)
        return shape, self._fetch(text, shape.form, params, max_rows, limit)

    def _dataset_params(self, dataset: Dataset, shape: QueryShape, sparql: str) -> dict[str, Any]:
        release = self.release()
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
        return {
            "default-graph-uri": default or [EMPTY_GRAPH],
            "named-graph-uri": named or [EMPTY_GRAPH],
        }

    def _fetch(
        self,
        sparql: str,
        form: QueryForm | None,
        params: dict[str, Any],
        max_rows: int | None,
        limit: float,
    ) -> _Fetched:
        deadline = time.monotonic() + limit
        data = {"query": sparql, "timeout": f"{limit:g}", **params}
        headers = {"Accept": ACCEPT[form]}
        try:
            with self._client.stream(
                "POST", self.url, data=data, headers=headers, timeout=httpx.Timeout(limit)
            ) as response:
                if response.status_code >= 400:
                    body = _read(response, deadline, limit, None)[0]
                    raise_for_status(self.url, response, body)
                media_type = response.headers.get("content-type", "").split(";")[0].strip()
                lines = None
                if max_rows is not None and media_type in (TSV, NTRIPLES):
                    lines = max_rows + (1 if media_type == TSV else 0)  # TSV: the header too
                body, truncated = _read(response, deadline, limit, lines)
        except httpx.TimeoutException:
            raise QueryTimeout(limit) from None
        except httpx.TransportError as e:
            raise StoreError(self.url, f"unreachable ({e})") from e
        return _Fetched(media_type, body, truncated)


def _read(
    response: httpx.Response, deadline: float, limit: float, lines: int | None
) -> tuple[bytes, bool]:
    """The body, or its first `lines` lines (and True) when it has more; QueryTimeout past the
    deadline."""
    buffer = bytearray()
    seen = 0
    for chunk in response.iter_bytes():
        buffer += chunk
        if time.monotonic() > deadline:
            raise QueryTimeout(limit)
        if lines is None:
            continue
        seen += chunk.count(b"\n")
        if seen > lines:
            end = -1
            for _ in range(lines):
                end = buffer.index(b"\n", end + 1)
            return bytes(buffer[: end + 1]), True
    return bytes(buffer), False


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


def _form(shape: QueryShape, fetched: _Fetched) -> QueryForm:
    if shape.form is not None:
        return shape.form
    if fetched.media_type in (TSV, "text/csv"):
        return "SELECT"
    if RdfFormat.from_media_type(fetched.media_type) is not None:
        return "CONSTRUCT"
    result = parse_query_results(fetched.body, _results_format(fetched.media_type))
    return "ASK" if isinstance(result, QueryBoolean) else "SELECT"


def _results_format(media_type: str) -> QueryResultsFormat:
    fmt = QueryResultsFormat.from_media_type(media_type)
    if fmt is None:
        raise NotAcceptable(f"{media_type} is not a SPARQL results format")
    return fmt


def _solutions(fetched: _Fetched) -> QuerySolutions:
    result = _parse_results(fetched)
    if not isinstance(result, QuerySolutions):
        raise StoreError("", f"expected solutions, got {type(result).__name__}")
    return result


def _boolean(fetched: _Fetched) -> QueryBoolean:
    result = _parse_results(fetched)
    if not isinstance(result, QueryBoolean):
        raise StoreError("", f"expected a boolean, got {type(result).__name__}")
    return result


def _parse_results(fetched: _Fetched) -> Any:
    try:
        return parse_query_results(fetched.body, _results_format(fetched.media_type))
    except SyntaxError as e:
        raise StoreError("", f"unreadable {fetched.media_type} results: {e}") from e


def _triples(fetched: _Fetched) -> Iterator[Any]:
    fmt = RdfFormat.from_media_type(fetched.media_type)
    if fmt is None:
        raise StoreError("", f"expected RDF, got {fetched.media_type or 'no content type'}")
    try:
        return iter([q.triple for q in parse(fetched.body, format=fmt)])
    except SyntaxError as e:
        raise StoreError("", f"unreadable {fetched.media_type}: {e}") from e


def _cap(items: Any, max_rows: int | None, truncated: bool) -> tuple[list[Any], bool]:
    if max_rows is None:
        return list(items), truncated
    kept = list(itertools.islice(items, max_rows + 1))
    return kept[:max_rows], truncated or len(kept) > max_rows


def _write_solutions(variables: list[Any], rows: list[list[Any]], fmt: QueryResultsFormat) -> bytes:
    """Solutions written by pyoxigraph: kept rows are turned back into a TSV it parses."""
    lines = ["\t".join(str(v) for v in variables)]
    lines += ["\t".join("" if t is None else str(t) for t in row) for row in rows]
    tsv = ("\n".join(lines) + "\n").encode("utf-8")
    result = parse_query_results(tsv, QueryResultsFormat.TSV)
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
        fallback = Release(str(manifest["version"]), graphs, False)
    return RemoteEngine(
        store_endpoints(settings.store_url).query,
        timeout=settings.query_timeout,
        fallback=fallback,
        auth=store_auth(),
    )
