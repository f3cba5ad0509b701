"""The HTTP client of a SPARQL 1.1 store (httpx): every request cakg sends to a store.

The remote engine queries through it; publish queries, updates and uploads through it. What it
relies on beyond the SPARQL 1.1 standards is the store's profile (cakg.store.profiles), chosen
explicitly or detected from the store's service description in `StoreClient.__init__`.

- Queries are POSTed as a form (`query`, the dataset as `default-graph-uri` / `named-graph-uri`,
  `timeout` only where the profile knows its unit). Results are asked for in SPARQL JSON, then
  XML (the formats stores write most faithfully), graphs in N-Triples, then Turtle. The deadline
  is the HTTP client's: the request is abandoned when it passes (QueryTimeout). Past a row cap
  nothing more is read: the answer is parsed as it streams in and closed once it holds one row
  too many.
- An answer a store marks as cut short is never taken for a whole one: `X-SQL-State: S1TAT`
  (Virtuoso's deadline passed: partial results with status 200) is QueryTimeout, and
  `X-SPARQL-MaxRows: N` (its row limit) marks the answer truncated, or is a StoreError where the
  whole answer was needed.
- Updates are POSTed as `application/sparql-update`.
- Uploads (`add_quads`) go one of three ways, the UploadMode: "graph", one SPARQL 1.1 Graph
  Store POST of N-Triples per graph (the standard path); "dataset", N-Quads POSTed to the Graph
  Store endpoint without `graph` (Oxigraph's dataset POST; a store that refuses it is switched
  to "graph"); "update", `INSERT DATA` when the store has no Graph Store endpoint.
- Every failure is a StoreError (cakg.store.response) naming the store's URL and the request
  (StoreUnreachable when no answer came); 401/403 say which variables to set. A refused query
  (400) keeps the store's text in `reason`: the remote engine reads it as BadQuery.

Where the endpoints are and the credentials: cakg.store.endpoints; reading the answers:
cakg.store.response.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import httpx
from pyoxigraph import QueryResultsFormat

from cakg.errors import ConfigError, QueryTimeout
from cakg.media import NQUADS, NTRIPLES, SPARQL_JSON, SPARQL_UPDATE, SPARQL_XML, TSV, TURTLE
from cakg.store.endpoints import Endpoints
from cakg.store.profiles import StoreProfile, UploadMode, named_profile, profile_for_server
from cakg.store.response import (
    QueryResponse,
    StoreError,
    StoreUnreachable,
    answer_fix,
    describe_request,
    first_solutions,
    read_body,
    row_limit,
)

RESULTS = f"{SPARQL_JSON}, {SPARQL_XML};q=0.9"
ACCEPT: dict[str | None, str] = {  # by query form (None: not known before the answer)
    "SELECT": RESULTS,
    "ASK": RESULTS,
    "CONSTRUCT": f"{NTRIPLES}, {TURTLE};q=0.5",
    "DESCRIBE": f"{NTRIPLES}, {TURTLE};q=0.5",
    None: f"{RESULTS}, {NTRIPLES};q=0.8, {TURTLE};q=0.5",
}
SERVICE_DESCRIPTION = "text/turtle, application/rdf+xml;q=0.5"  # Accept of the profile's GET
DETECT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
PARTIAL = "S1TAT"  # X-SQL-State of an answer Virtuoso cut at its deadline (status 200)
ROW_LIMIT = "x-sparql-maxrows"  # the store's own row limit, sent when it cut an answer
EMPTY_GRAPH = "urn:x-cakg:empty"  # never written: an empty default graph or named-graph set
WRITE_TIMEOUT = httpx.Timeout(600.0, connect=10.0)  # an update or an upload
GRAPHS_PER_DROP = 2_000  # DROP operations per update request
REFUSED = (400, 404, 405, 406, 415, 501)  # a dataset POST refused: one POST per graph instead
ERROR_CHARS = 500  # of a store's error body quoted in a message

Quads = Sequence[tuple[bytes, bytes]]  # (subject predicate object, graph term) in N-Quads syntax


def dataset_params(default: Sequence[str], named: Sequence[str]) -> dict[str, list[str]]:
    """The protocol's dataset of a query; an empty set is named by EMPTY_GRAPH (no parameter at
    all would mean the store's own dataset)."""
    return {
        "default-graph-uri": list(default) or [EMPTY_GRAPH],
        "named-graph-uri": list(named) or [EMPTY_GRAPH],
    }


class StoreClient:
    """Queries, updates and uploads to one store, over one HTTP connection pool.

    `profile`: a StoreProfile, a profile's name, or "auto" (ask the store: one GET of its
    service description)."""

    def __init__(
        self,
        endpoints: Endpoints,
        *,
        profile: StoreProfile | str = "auto",
        auth: httpx.Auth | None = None,
        transport: httpx.BaseTransport | None = None,
        connections: int | None = None,
        upload: UploadMode | None = None,
    ) -> None:
        if isinstance(profile, str) and profile != "auto":
            profile = named_profile(profile)
        options: dict[str, Any] = {}
        if connections is not None:
            options["limits"] = httpx.Limits(max_connections=connections)
        self._http = httpx.Client(
            auth=auth, transport=transport, timeout=WRITE_TIMEOUT, follow_redirects=False, **options
        )
        if isinstance(profile, str):
            profile = self._detect(endpoints.query)
        self.profile: StoreProfile = profile
        self.endpoints = endpoints.completed(profile)
        self.url = self.endpoints.query
        # the one place an upload mode is chosen: the profile's, "update" without a Graph Store
        self.upload: UploadMode = upload or (profile.upload if self.endpoints.gsp else "update")
        self._fix = answer_fix(profile.blank_node_prefix, profile.datatype_aliases)

    def close(self) -> None:
        self._http.close()

    def _detect(self, url: str) -> StoreProfile:
        """The profile of the store at `url`, by the Server header of its service description."""
        request = "a GET of its service description"
        try:
            response = self._http.get(
                url, headers={"Accept": SERVICE_DESCRIPTION}, timeout=DETECT_TIMEOUT
            )
        except httpx.TransportError as e:
            raise StoreUnreachable(url, f"unreachable ({e})", request=request) from e
        return profile_for_server(response.headers.get("server"))

    def query(
        self,
        sparql: str,
        *,
        timeout: float,
        form: str | None = None,
        params: Mapping[str, Any] | None = None,
        max_rows: int | None = None,
    ) -> QueryResponse:
        """The store's answer to `sparql` (a query of `form`, with `params` such as its dataset),
        read until `timeout` seconds have passed and past `max_rows` rows no further."""
        url = self.url
        request = describe_request(f"the {form} query" if form else "the query", sparql)
        deadline = time.monotonic() + timeout
        data = {"query": sparql, **(params or {})}
        if self.profile.timeout_scale is not None:
            data["timeout"] = f"{timeout * self.profile.timeout_scale:.0f}"
        headers = {"Accept": ACCEPT[form]}
        try:
            with self._http.stream(
                "POST", url, data=data, headers=headers, timeout=httpx.Timeout(timeout)
            ) as response:
                chunks = _chunks(response, deadline, timeout)
                if response.status_code >= 400:
                    body = b"".join(chunks)
                    raise _status_error(url, request, response, body, "the store accepts")
                if response.headers.get("x-sql-state") == PARTIAL:
                    raise QueryTimeout(timeout)  # the store's deadline: its answer is partial
                media_type = response.headers.get("content-type", "").split(";")[0].strip()
                answer = QueryResponse(url, request, media_type, b"", False)
                limit = row_limit(answer, response.headers.get(ROW_LIMIT), max_rows)
                fmt = QueryResultsFormat.from_media_type(media_type)
                results = fmt in (QueryResultsFormat.JSON, QueryResultsFormat.XML)
                if results or media_type == NTRIPLES:
                    chunks = self._fix(chunks)
                if results and fmt is not None and max_rows is not None:
                    return first_solutions(answer, fmt, chunks, max_rows, limit)
                lines = None
                if max_rows is not None and media_type in (TSV, NTRIPLES):
                    lines = max_rows + (1 if media_type == TSV else 0)  # TSV: the header too
                body, truncated = read_body(chunks, lines)
        except httpx.TimeoutException:
            raise QueryTimeout(timeout) from None
        except httpx.TransportError as e:
            raise StoreUnreachable(url, f"unreachable ({e})", request=request) from e
        return QueryResponse(url, request, media_type, body, truncated or limit is not None)

    def graph_names(self, timeout: float) -> list[str]:
        """Every named graph the store holds (the store's own dataset: no graph named)."""
        # grouped, not DISTINCT: Virtuoso takes seconds over a DISTINCT ?g, milliseconds so
        sparql = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
        response = self.query(sparql, form="SELECT", timeout=timeout)
        rows = response.each(response.solutions())
        return [row["g"].value for row in rows if row["g"] is not None]

    def update(self, update: str) -> None:
        """Run a SPARQL Update on the store's update endpoint."""
        if self.endpoints.update is None:
            raise ConfigError(
                f"the store at {self.url} has no SPARQL Update endpoint: --update URL"
            )
        request = describe_request("the update", update)
        headers = {"Content-Type": SPARQL_UPDATE}
        self._post(self.endpoints.update, request, content=update.encode("utf-8"), headers=headers)

    def drop_graphs(self, graphs: Sequence[str]) -> None:
        """Drop `graphs` (those that exist), GRAPHS_PER_DROP per update request."""
        for start in range(0, len(graphs), GRAPHS_PER_DROP):
            part = graphs[start : start + GRAPHS_PER_DROP]
            self.update(" ;\n".join(f"DROP SILENT GRAPH <{g}>" for g in part))

    def add_quads(self, quads: Quads) -> None:
        """Add `quads` to the store: in one request, or in one per graph (see UploadMode).
        Blank nodes are scoped to a request: one node is one node only within one request."""
        gsp = self.endpoints.gsp
        if self.upload == "update" or gsp is None:
            data = "\n".join(
                f"GRAPH {name.decode()} {{\n{b''.join(lines).decode('utf-8')}}}"
                for name, lines in _by_graph(quads).items()
            )
            self.update(f"INSERT DATA {{\n{data}\n}}")
            return
        if self.upload == "dataset":
            body = b"".join(head + b" " + name + b" .\n" for head, name in quads)
            try:
                self._post(
                    gsp, f"an N-Quads POST of {len(quads)} quads", content=body,
                    headers={"Content-Type": NQUADS},
                )  # fmt: skip
                return
            except StoreError as e:
                if e.status not in REFUSED:
                    raise
                self.upload = "graph"
        for name, lines in _by_graph(quads).items():
            graph = name[1:-1].decode()
            self._post(
                gsp, f"an N-Triples POST to graph <{graph}>", params={"graph": graph},
                content=b"".join(lines), headers={"Content-Type": NTRIPLES},
            )  # fmt: skip

    def _post(self, url: str, request: str, **options: Any) -> None:
        try:
            response = self._http.post(url, **options)
        except httpx.TransportError as e:
            raise StoreUnreachable(url, f"unreachable ({e})", request=request) from e
        if response.status_code >= 400:
            raise _status_error(url, request, response, response.content, "that may write")


def _status_error(
    url: str, request: str, response: httpx.Response, body: bytes, credentials: str
) -> StoreError:
    status = response.status_code
    if status in (401, 403):
        asked = response.headers.get("www-authenticate", "").split(" ", 1)[0].lower()
        sent = response.request.headers.get("authorization", "").split(" ", 1)[0].lower()
        how = ""
        if asked == "digest" and sent != "digest":
            how = " with CAKG_STORE_AUTH=digest"
        elif sent == "basic" and not asked:  # Virtuoso refuses Basic without a challenge
            how = " (and CAKG_STORE_AUTH=digest for a store taking Digest only, as Virtuoso)"
        message = (
            f"{response.reason_phrase}: set CAKG_STORE_TOKEN, or CAKG_STORE_USER and "
            f"CAKG_STORE_PASSWORD{how}, to credentials {credentials}"
        )
    else:
        text = body.decode("utf-8", "replace").strip()[:ERROR_CHARS]
        message = text or response.reason_phrase
    return StoreError(url, message, status, request)


def _chunks(response: httpx.Response, deadline: float, limit: float) -> Iterator[bytes]:
    """The body's chunks as they come; QueryTimeout past the deadline."""
    for chunk in response.iter_bytes():
        if time.monotonic() > deadline:
            raise QueryTimeout(limit)
        yield chunk


def _by_graph(quads: Quads) -> dict[bytes, list[bytes]]:
    """N-Triples lines by graph term."""
    by_graph: dict[bytes, list[bytes]] = {}
    for head, name in quads:
        by_graph.setdefault(name, []).append(head + b" .\n")
    return by_graph
