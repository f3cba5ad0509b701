"""A store's answers as cakg reads them, and its failures as typed errors naming the request.

An answer that is not what the protocol says (another media type, an unreadable body, a boolean
where solutions were asked for) is a StoreError naming the store's URL and the request, never a
traceback.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import dataclass

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

Term = NamedNode | BlankNode | Literal | Triple

REQUEST_CHARS = 80  # of a query or update, or of an answer, quoted in a message


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
