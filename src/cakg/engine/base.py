"""The small interface every query engine implements (pyoxigraph, rdflib, ...)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from rdflib.term import Identifier, Node

QueryForm = Literal["SELECT", "ASK", "CONSTRUCT", "DESCRIBE"]


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
class Dataset:
    """Which graphs a query sees. None means the engine's default (union of every graph)."""

    default_graphs: Sequence[str] | None = None
    named_graphs: Sequence[str] | None = None
    inference: bool = True


class Engine(Protocol):
    name: str

    def query(
        self,
        sparql: str,
        *,
        dataset: Dataset | None = None,
        bindings: dict[str, Identifier] | None = None,
        max_rows: int | None = None,
    ) -> QueryResult: ...

    def graph_names(self) -> list[str]: ...

    def close(self) -> None: ...
