"""A store's answers as cakg reads them, and its failures as typed errors naming the request.

An answer that is not what the protocol says (another media type, an unreadable body, a boolean
where solutions were asked for) is a StoreError naming the store's URL and the request, never a
traceback.

Reading an answer as it streams in (the client hands over its chunks): `read_body` (whole, or its
first lines), `first_solutions` (SPARQL JSON or XML parsed as it comes, stopped past a row cap),
`row_limit` (a store's own cut, X-SPARQL-MaxRows) and `answer_fix` (a store's spellings:
Virtuoso's blank nodes and geometries).
"""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from pyoxigraph import (
    BlankNode,
    Literal,
    NamedNode,
    QueryBoolean,
    QueryResultsFormat,
    QuerySolution,
    QuerySolutions,
    RdfFormat,
    Triple,
    Variable,
    parse,
    parse_query_results,
)

from cakg.errors import QueryResourceError
from cakg.media import TSV

Term = NamedNode | BlankNode | Literal | Triple

REQUEST_CHARS = 80  # of a query or update, or of an answer, quoted in a message
READ_BYTES = 1 << 16  # of an answer parsed as it streams in


class StoreError(QueryResourceError):
    """The store failed a request: an HTTP error (`status`) or an answer cakg cannot read.

    `url` is the endpoint, `request` what was sent to it, `reason` the store's text."""

    code = "store-error"

    def __init__(
        self, url: str, message: str, status: int | None = None, request: str | None = None
    ) -> None:
        self.url = url
        self.status = status
        self.request = request
        self.reason = message
        if status is not None:
            where = f"{url} answered {status}" + (f" to {request}" if request else "")
        else:
            where = f"{url} ({request})" if request else url
        super().__init__(f"the SPARQL store at {where}: {message}")


class StoreUnreachable(StoreError):
    """The store did not answer (connection refused or lost): nothing is known of the request."""


@dataclass(frozen=True)
class QueryResponse:
    """A store's answer to a query: its media type and body (the first rows only if truncated)."""

    url: str
    request: str
    media_type: str
    body: bytes
    truncated: bool

    def error(self, message: str) -> StoreError:
        """A StoreError naming the store and the request this answers."""
        return StoreError(self.url, message, request=self.request)

    def results(self) -> QuerySolutions | QueryBoolean:
        """The SPARQL results (solutions are read lazily: iterate them with `each`)."""
        fmt = QueryResultsFormat.from_media_type(self.media_type)
        if fmt is None or fmt == QueryResultsFormat.CSV:  # CSV (and text/plain): lossy, unread
            raise self.error(f"the answer is {self._described()}, not SPARQL results")
        try:
            return parse_query_results(self.body, fmt)
        except SyntaxError as e:
            raise self.error(f"unreadable {self.media_type} results: {e}") from e

    # pyoxigraph's results may only be freed by the thread that made them: no frame an error
    # passes through (its traceback keeps them, maybe for another thread's garbage collection)
    # still holds one when the error is raised.

    def solutions(self) -> QuerySolutions:
        result = self.results()
        if isinstance(result, QuerySolutions):
            return result
        kind = type(result).__name__
        del result
        raise self.error(f"expected solutions, got {kind}")

    def boolean(self) -> QueryBoolean:
        result = self.results()
        if isinstance(result, QueryBoolean):
            return result
        kind = type(result).__name__
        del result
        raise self.error(f"expected a boolean, got {kind}")

    def each(self, solutions: QuerySolutions) -> Generator[QuerySolution, None, None]:
        """The solutions one by one; a row the store wrote wrong is a StoreError."""
        try:
            yield from solutions
            return
        except SyntaxError as e:
            message = f"unreadable {self.media_type} results: {e}"
        del solutions
        raise self.error(message)

    def solutions_as(self, fmt: QueryResultsFormat) -> bytes:
        """The solutions written in `fmt`."""
        solutions = self.solutions()
        try:
            return solutions.serialize(format=fmt) or b""
        except SyntaxError as e:
            message = f"unreadable {self.media_type} results: {e}"
        del solutions
        raise self.error(message)

    def triples(self) -> list[Triple]:
        """The triples of a CONSTRUCT or DESCRIBE answer."""
        fmt = RdfFormat.from_media_type(self.media_type)
        if fmt is None:
            raise self.error(f"the answer is {self._described()}, not RDF")
        try:
            return [quad.triple for quad in parse(self.body, format=fmt)]
        except SyntaxError as e:
            raise self.error(f"unreadable {self.media_type}: {e}") from e

    def _described(self) -> str:
        start = self.body[:REQUEST_CHARS].decode("utf-8", "replace")
        return f"{self.media_type or 'without a content type'} ({_excerpt(start)!r})"


def solutions_tsv(variables: Sequence[Variable], rows: Sequence[Sequence[Term | None]]) -> bytes:
    """Solutions written as SPARQL TSV, which keeps every term as it is (the cakg's own form of
    an answer read in part)."""
    lines = ["\t".join(str(v) for v in variables)]
    lines += ["\t".join("" if t is None else str(t) for t in row) for row in rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


def describe_request(kind: str, text: str) -> str:
    """What was sent, for a message: its kind and the start of its text."""
    return f"{kind} `{_excerpt(text)}`"


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= REQUEST_CHARS else flat[: REQUEST_CHARS - 3] + "..."


# --- reading an answer as it streams in -----------------------------------------------------------


def read_body(chunks: Iterator[bytes], lines: int | None) -> tuple[bytes, bool]:
    """The body, or its first `lines` lines (and True) when it has more."""
    buffer = bytearray()
    seen = 0
    for chunk in chunks:
        buffer += chunk
        if lines is None:
            continue
        seen += chunk.count(b"\n")
        if seen > lines:
            end = -1
            for _ in range(lines):
                end = buffer.index(b"\n", end + 1)
            return bytes(buffer[: end + 1]), True
    return bytes(buffer), False


def row_limit(answer: QueryResponse, value: str | None, max_rows: int | None) -> int | None:
    """The row limit at which the store says it cut this answer (`value`, its X-SPARQL-MaxRows
    header), if it did; a StoreError when the limit is within the rows wanted (the answer would
    pass for whole)."""
    if value is None:
        return None
    try:
        limit = int(value)
    except ValueError:
        raise answer.error(f"unreadable X-SPARQL-MaxRows header: {value!r}") from None
    if max_rows is None or limit <= max_rows:
        wanted = "the whole answer" if max_rows is None else f"{max_rows + 1} rows"
        raise answer.error(
            f"the store cut its answer at {limit} rows (its own result limit) where cakg needs "
            f"{wanted}: raise the store's limit (Virtuoso: ResultSetMaxRows in [SPARQL] of "
            "virtuoso.ini) above cakg's max_rows"
        )
    return limit


class _Stream(io.RawIOBase):
    """The chunks of an answer as a file for pyoxigraph's parser, which reads as it needs."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        super().__init__()
        self._chunks = chunks
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._pending or next(self._chunks, b"")
        size = min(len(buffer), len(data))
        memoryview(buffer).cast("B")[:size] = data[:size]
        self._pending = data[size:]
        return size


def first_solutions(
    answer: QueryResponse,
    fmt: QueryResultsFormat,
    chunks: Iterator[bytes],
    max_rows: int,
    limit: int | None,
) -> QueryResponse:
    """The answer's first `max_rows` solutions, parsed as the body streams in and written as
    SPARQL TSV (lossless); truncated when there was one more (nothing more is read)."""
    try:
        result = parse_query_results(io.BufferedReader(_Stream(chunks), READ_BYTES), fmt)
        if isinstance(result, QueryBoolean):
            body, media_type, truncated = result.serialize(format=fmt) or b"", "", False
            media_type = answer.media_type
        else:
            variables = list(result.variables)
            kept = list(itertools.islice(result, max_rows + 1))
            truncated = len(kept) > max_rows or limit is not None
            body = solutions_tsv(variables, [[s[v] for v in variables] for s in kept[:max_rows]])
            media_type = TSV
            del kept, variables
    except SyntaxError as e:
        message = f"unreadable {answer.media_type} results: {e}"
    else:
        del result
        return QueryResponse(answer.url, answer.request, media_type, body, truncated)
    raise answer.error(message)


CARRY = 160  # bytes kept back between chunks: longer than any match below
ChunkFilter = Callable[[Iterator[bytes]], Iterator[bytes]]


def answer_fix(
    blank_node_prefix: str = "", datatypes: Sequence[tuple[str, str]] = ()
) -> ChunkFilter:
    """A filter of an answer's chunks (SPARQL JSON or XML results, N-Triples) that reads around
    a store's spelling: `blank_node_prefix` dropped from blank node labels (Virtuoso writes
    `nodeID://b1`, not a label) and each datatype IRI of `datatypes` read as the one it stands
    for (Virtuoso's virtrdf:Geometry for geo:wktLiteral). The patterns match markup only (a
    quote, `<` or `^^` inside a value is escaped there); none: the chunks as they come."""
    patterns: list[tuple[re.Pattern[bytes], bytes]] = []
    if blank_node_prefix:
        prefix = re.escape(blank_node_prefix.encode())
        json = rb'("type"\s{0,8}:\s{0,8}"bnode"\s{0,8},\s{0,8}"value"\s{0,8}:\s{0,8}")'
        patterns += [
            (re.compile(json + prefix), rb"\1"),
            (re.compile(rb"(<bnode>)" + prefix), rb"\1"),
        ]
    for alias, meant in datatypes:
        was, now = re.escape(alias.encode()), meant.encode()
        patterns += [
            (re.compile(rb'("datatype"\s{0,8}:\s{0,8}")' + was + rb'"'), rb"\1" + now + b'"'),
            (re.compile(rb'(<literal datatype=")' + was + rb'"'), rb"\1" + now + b'"'),
            (re.compile(rb'(?<!\\)"\^\^<' + was + b">"), b'"^^<' + now + b">"),
        ]
    if not patterns:
        return lambda chunks: chunks

    def fix(chunks: Iterator[bytes]) -> Iterator[bytes]:
        carry = b""
        for chunk in chunks:
            text = carry + chunk
            for pattern, replacement in patterns:
                text = pattern.sub(replacement, text)
            carry = text[-CARRY:]
            if text[:-CARRY]:
                yield text[:-CARRY]
        if carry:
            yield carry

    return fix
