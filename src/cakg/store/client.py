"""The HTTP client of a SPARQL 1.1 store (httpx): every request cakg sends to a store.

The remote engine queries through it; publish queries, updates and uploads through it.

- Queries are POSTed as a form (`query`, `timeout` in seconds, the dataset as `default-graph-uri`
  / `named-graph-uri`). The timeout is the HTTP client's deadline: the request is abandoned when
  it passes (QueryTimeout). Rows past a cap are never read: the answer is streamed (SPARQL TSV,
  N-Triples) and closed once it holds one row too many.
- Updates are POSTed as `application/sparql-update`.
- Uploads (`add_quads`) go one of three ways, the UploadMode: "dataset", N-Quads POSTed to the
  Graph Store endpoint without `graph` (Oxigraph's dataset POST); "graph", one SPARQL 1.1 Graph
  Store POST per graph (a store that refuses the dataset POST is switched to it); "update",
  `INSERT DATA` when the store has no Graph Store endpoint. The mode is chosen in one place,
  `StoreClient.__init__`: a store profile picks it there.
- Every failure is a StoreError (cakg.store.response) naming the store's URL and the request
  (StoreUnreachable when no answer came); 401/403 say which variables to set. A refused query
  (400) keeps the store's text in `reason`: the remote engine reads it as BadQuery.

Where the endpoints are and the credentials: cakg.store.endpoints; reading the answers:
cakg.store.response.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import httpx

from cakg.errors import ConfigError, QueryTimeout
from cakg.media import NQUADS, NTRIPLES, SPARQL_JSON, SPARQL_UPDATE, SPARQL_XML, TSV, TURTLE
from cakg.store.endpoints import Endpoints
from cakg.store.response import QueryResponse, StoreError, StoreUnreachable, describe_request

ACCEPT: dict[str | None, str] = {  # by query form (None: not known before the answer)
    "SELECT": f"{TSV}, {SPARQL_JSON};q=0.5",
    "ASK": f"{SPARQL_JSON}, {SPARQL_XML};q=0.5",
    "CONSTRUCT": f"{NTRIPLES}, {TURTLE};q=0.5",
    "DESCRIBE": f"{NTRIPLES}, {TURTLE};q=0.5",
    None: f"{SPARQL_JSON}, {NTRIPLES};q=0.9",
}
EMPTY_GRAPH = "urn:x-cakg:empty"  # never written: an empty default graph or named-graph set
WRITE_TIMEOUT = httpx.Timeout(600.0, connect=10.0)  # an update or an upload
GRAPHS_PER_DROP = 2_000  # DROP operations per update request
REFUSED = (400, 404, 405, 406, 415, 501)  # a dataset POST refused: one POST per graph instead
ERROR_CHARS = 500  # of a store's error body quoted in a message

UploadMode = Literal["dataset", "graph", "update"]
Quads = Sequence[tuple[bytes, bytes]]  # (subject predicate object, graph term) in N-Quads syntax


def dataset_params(default: Sequence[str], named: Sequence[str]) -> dict[str, list[str]]:
    """The protocol's dataset of a query; an empty set is named by EMPTY_GRAPH (no parameter at
    all would mean the store's own dataset)."""
    return {
        "default-graph-uri": list(default) or [EMPTY_GRAPH],
        "named-graph-uri": list(named) or [EMPTY_GRAPH],
    }


class StoreClient:
    """Queries, updates and uploads to one store, over one HTTP connection pool."""

    def __init__(
        self,
        endpoints: Endpoints,
        *,
        auth: httpx.Auth | None = None,
        transport: httpx.BaseTransport | None = None,
        connections: int | None = None,
        upload: UploadMode | None = None,
    ) -> None:
        self.endpoints = endpoints
        self.url = endpoints.query
        options: dict[str, Any] = {}
        if connections is not None:
            options["limits"] = httpx.Limits(max_connections=connections)
        self._http = httpx.Client(
            auth=auth, transport=transport, timeout=WRITE_TIMEOUT, follow_redirects=False, **options
        )
        # the one place an upload mode is chosen (a store profile would choose it here)
        self.upload: UploadMode = upload or ("dataset" if endpoints.gsp else "update")

    def close(self) -> None:
        self._http.close()

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
        data = {"query": sparql, "timeout": f"{timeout:g}", **(params or {})}
        headers = {"Accept": ACCEPT[form]}
        try:
            with self._http.stream(
                "POST", url, data=data, headers=headers, timeout=httpx.Timeout(timeout)
            ) as response:
                if response.status_code >= 400:
                    body = _read(response, deadline, timeout, None)[0]
                    raise _status_error(url, request, response, body, "the store accepts")
                media_type = response.headers.get("content-type", "").split(";")[0].strip()
                lines = None
                if max_rows is not None and media_type in (TSV, NTRIPLES):
                    lines = max_rows + (1 if media_type == TSV else 0)  # TSV: the header too
                body, truncated = _read(response, deadline, timeout, lines)
        except httpx.TimeoutException:
            raise QueryTimeout(timeout) from None
        except httpx.TransportError as e:
            raise StoreUnreachable(url, f"unreachable ({e})", request=request) from e
        return QueryResponse(url, request, media_type, body, truncated)

    def graph_names(self, timeout: float) -> list[str]:
        """Every named graph the store holds (the store's own dataset: no graph named)."""
        sparql = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
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
        message = (
            f"{response.reason_phrase}: set CAKG_STORE_TOKEN, or CAKG_STORE_USER and "
            f"CAKG_STORE_PASSWORD, to credentials {credentials}"
        )
    else:
        text = body.decode("utf-8", "replace").strip()[:ERROR_CHARS]
        message = text or response.reason_phrase
    return StoreError(url, message, status, request)


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


def _by_graph(quads: Quads) -> dict[bytes, list[bytes]]:
    """N-Triples lines by graph term."""
    by_graph: dict[bytes, list[bytes]] = {}
    for head, name in quads:
        by_graph.setdefault(name, []).append(head + b" .\n")
    return by_graph
