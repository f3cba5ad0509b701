"""The small interface every query engine implements (pyoxigraph, rdflib, and the worker pool).

An engine answers a query three ways:
- `query()` returns rdflib terms (`QueryResult`), for the CLI, saved queries and pages;
- `answer()` returns the result already serialised in a negotiated media type (`Answer`), the
  fast path of the SPARQL endpoint: no terms cross a process boundary, only bytes;
- `count()` returns how many rows or triples the whole answer holds, past the row cap (the
  exact total the results panel states when the endpoint's answer was cut off).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from rdflib.term import Identifier, Node

from cakg.media import SPARQL_JSON, TURTLE
from cakg.namespaces import BASE

# Relative IRIs in a query resolve against the project's base (as if the query were published
# there), so `<id/state/kazakhstan>` means https://w3id.org/cakg/id/state/kazakhstan.
QUERY_BASE = BASE

QueryForm = Literal["SELECT", "ASK", "CONSTRUCT", "DESCRIBE"]
GRAPH_FORMS = ("CONSTRUCT", "DESCRIBE")


@dataclass
class QueryResult:
    """A query's answer as rdflib terms, whichever engine computed it."""

    form: QueryForm
    variables: list[str] = field(default_factory=list)
    rows: list[tuple[Node | None, ...]] = field(default_factory=list)
    boolean: bool | None = None
    triples: list[tuple[Node, Node, Node]] = field(default_factory=list)
    truncated: bool = False  # True when the row cap cut the answer


@dataclass(frozen=True)
class QueryDataset:
    """Which graphs a query sees.

    `default_graphs`/`named_graphs` None: the default graph is the union of every named graph and
    every named graph is available (the query's own FROM / FROM NAMED still apply). Given (as by
    the protocol's default-graph-uri / named-graph-uri), they replace the query's own dataset.
    `inference=False` leaves the inferred graph out of the default dataset.
    """

    default_graphs: tuple[str, ...] | None = None
    named_graphs: tuple[str, ...] | None = None
    inference: bool = True

    def __post_init__(self) -> None:
        for name in ("default_graphs", "named_graphs"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, tuple):
                object.__setattr__(self, name, tuple(value))

    @property
    def explicit(self) -> bool:
        """True when the request named the graphs itself."""
        return self.default_graphs is not None or self.named_graphs is not None


def binding_key(bindings: Mapping[str, Identifier] | None) -> tuple[Any, ...]:
    """Bindings as part of a request's key: the same bindings in any order, the same key."""
    return tuple(sorted(bindings.items())) if bindings else ()


@dataclass(frozen=True)
class Formats:
    """The negotiated media type for each kind of result; None when the client accepts none."""

    results: str | None = SPARQL_JSON  # SELECT and ASK
    graph: str | None = TURTLE  # CONSTRUCT and DESCRIBE

    def for_form(self, form: QueryForm) -> str | None:
        return self.graph if form in GRAPH_FORMS else self.results


@dataclass(frozen=True)
class Answer:
    """A result serialised by the engine: the endpoint sends `body` as it is."""

    form: QueryForm
    media_type: str
    body: bytes
    count: int | None = None  # rows or triples written; None for ASK
    truncated: bool = False  # True when the row cap cut the answer


class Engine(Protocol):
    """What the CLI and the web layer need from an engine.

    `timeout` is honoured by the worker pool only: an in-process engine cannot stop a query.
    """

    name: str
    version: str

    def query(
        self,
        sparql: str,
        *,
        dataset: QueryDataset | None = None,
        bindings: Mapping[str, Identifier] | None = None,
        max_rows: int | None = None,
        timeout: float | None = None,
    ) -> QueryResult: ...

    def answer(
        self,
        sparql: str,
        *,
        formats: Formats,
        dataset: QueryDataset | None = None,
        bindings: Mapping[str, Identifier] | None = None,
        max_rows: int | None = None,
        timeout: float | None = None,
    ) -> Answer: ...

    def count(
        self,
        sparql: str,
        *,
        dataset: QueryDataset | None = None,
        timeout: float | None = None,
    ) -> int:
        """How many rows (SELECT) or triples (CONSTRUCT, DESCRIBE) the whole answer holds, with
        no row cap; an ASK query counts 1. The solutions are counted, never written out."""
        ...

    def graph_names(self) -> Sequence[str]: ...

    def close(self) -> None: ...
