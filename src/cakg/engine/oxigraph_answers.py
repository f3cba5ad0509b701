"""pyoxigraph's results written in the client's format, capped at a number of rows.

The row cap is applied on the way out, in one of two ways:

- a query whose results stream (no ORDER BY, GROUP BY or DISTINCT) is first written straight
  in the negotiated format into a buffer of `max_rows` times the fewest bytes a row can take in
  that format (3 in JSON, 17 in XML, 2 in CSV): an answer that fits cannot hold more rows than
  the cap, and is sent as it is (most answers: one pass, no copy). One that does not fit is
  stopped there and evaluated again the second way, which then costs one more partial pass;
- otherwise (and for TSV) solutions are written as SPARQL TSV (one solution per line) into a
  buffer that stops the evaluation once it holds one row too many; the kept rows are parsed
  back and written in the negotiated format. A sorting query is never evaluated twice.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import Any

from pyoxigraph import (
    QueryResultsFormat,
    QuerySolutions,
    RdfFormat,
    parse_query_results,
)

from cakg.engine.base import Answer, Formats, QueryForm
from cakg.errors import NotAcceptable
from cakg.namespaces import PREFIXES


class RowCap:
    """A write target that keeps the first `limit` lines and then stops the serialiser."""

    def __init__(self, limit: int) -> None:
        self.buffer = bytearray()
        self.limit = limit
        self.lines = 0
        self.full = False

    def write(self, data: bytes) -> int:
        if self.full:  # pyoxigraph flushes what it still holds after the stop: ignore it
            return len(data)
        self.buffer += data
        self.lines += data.count(b"\n")
        if self.lines > self.limit:
            self.full = True
            raise CapReached
        return len(data)

    def flush(self) -> None:
        pass

    def kept(self) -> bytes:
        if not self.full:
            return bytes(self.buffer)
        end = -1
        for _ in range(self.limit):
            end = self.buffer.index(b"\n", end + 1)
        return bytes(self.buffer[: end + 1])


class CapReached(Exception):
    pass


class ByteCap:
    """A write target that stops the serialiser once it holds more than `limit` bytes."""

    def __init__(self, limit: int) -> None:
        self.buffer = bytearray()
        self.limit = limit
        self.full = False

    def write(self, data: bytes) -> int:
        if self.full:
            return len(data)
        self.buffer += data
        if len(self.buffer) > self.limit:
            self.full = True
            raise CapReached
        return len(data)

    def flush(self) -> None:
        pass


# The fewest bytes one solution takes in each format pyoxigraph writes (an all-unbound row).
MIN_ROW_BYTES = {
    QueryResultsFormat.JSON: 3,  # {},
    QueryResultsFormat.XML: 17,  # <result></result>
    QueryResultsFormat.CSV: 2,  # \r\n
}


def accepted_type(formats: Formats, form: QueryForm) -> str:
    media_type = formats.for_form(form)
    if media_type is None:
        raise NotAcceptable(f"no acceptable media type for the results of a {form} query")
    return media_type


def writer_prefixes(fmt: RdfFormat) -> dict[str, str] | None:
    return dict(PREFIXES) if fmt in (RdfFormat.TURTLE, RdfFormat.RDF_XML) else None


def capped(items: Iterable[Any], max_rows: int | None) -> tuple[list[Any], int, bool]:
    if max_rows is None:
        kept = list(items)
        return kept, len(kept), False
    kept = list(itertools.islice(items, max_rows + 1))
    truncated = len(kept) > max_rows
    del kept[max_rows:]
    return kept, len(kept), truncated


def solutions_direct(result: QuerySolutions, media_type: str, max_rows: int) -> Answer | None:
    """The answer written straight in its format when it provably holds at most `max_rows`
    rows (its row count is then not known: None); None when it might hold more, or in a format
    whose size proves nothing (TSV)."""
    fmt = QueryResultsFormat.from_media_type(media_type)
    if fmt not in MIN_ROW_BYTES:
        return None
    cap = ByteCap(max_rows * MIN_ROW_BYTES[fmt])
    try:
        result.serialize(cap, format=fmt)  # type: ignore[arg-type]  # a writer
    except CapReached:
        return None
    except OSError:
        if not cap.full:
            raise
        return None
    return Answer("SELECT", media_type, bytes(cap.buffer))


def write_solutions(result: QuerySolutions, media_type: str, max_rows: int | None) -> Answer:
    fmt = QueryResultsFormat.from_media_type(media_type)
    if fmt is None:
        raise NotAcceptable(f"{media_type} is not a SPARQL results format")
    if max_rows is None:
        body = result.serialize(format=fmt) or b""
        return Answer("SELECT", media_type, body)
    cap = RowCap(max_rows + 1)  # the header line, then the rows
    try:
        result.serialize(cap, format=QueryResultsFormat.TSV)  # type: ignore[arg-type]  # a writer
    except CapReached:
        pass
    except OSError:
        if not cap.full:
            raise
    tsv = cap.kept()
    count = max(tsv.count(b"\n") - 1, 0)
    if fmt == QueryResultsFormat.TSV:
        return Answer("SELECT", media_type, tsv, count, cap.full)
    reparsed = parse_query_results(tsv, QueryResultsFormat.TSV)
    body = reparsed.serialize(format=fmt) or b""
    return Answer("SELECT", media_type, body, count, cap.full)
