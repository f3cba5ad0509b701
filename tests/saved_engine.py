"""The engine the saved-query tests run on: cakg.engine.open_engine once it exists.

Until the engine package provides open_engine, a minimal stand-in over an rdflib Dataset (union
default graph) implements the same Engine protocol, so the saved-query tests exercise real SPARQL.
"""

from __future__ import annotations

from typing import Any

from rdflib import Dataset as RdfDataset
from rdflib.term import Identifier

import cakg.engine
from cakg.build import dataset_dir
from cakg.config import Settings
from cakg.engine.base import Dataset, Engine, QueryResult


class StandInEngine:
    name = "stand-in"

    def __init__(self, settings: Settings) -> None:
        self.ds = RdfDataset(default_union=True)
        self.ds.parse(dataset_dir(settings) / "cakg.nq", format="nquads")

    def query(
        self,
        sparql: str,
        *,
        dataset: Dataset | None = None,
        bindings: dict[str, Identifier] | None = None,
        max_rows: int | None = None,
    ) -> QueryResult:
        result: Any = self.ds.query(sparql, initBindings=bindings or {})
        if result.type == "SELECT":
            rows = [tuple(r) for r in result]
            cut = max_rows is not None and len(rows) > max_rows
            return QueryResult(
                "SELECT",
                [str(v) for v in result.vars],
                rows[:max_rows] if cut else rows,
                truncated=cut,
            )
        if result.type == "ASK":
            return QueryResult("ASK", boolean=bool(result.askAnswer))
        return QueryResult("CONSTRUCT", triples=list(result))

    def graph_names(self) -> list[str]:
        return [str(g.identifier) for g in self.ds.graphs()]

    def close(self) -> None:
        pass


def open_test_engine(settings: Settings) -> Engine:
    opener = getattr(cakg.engine, "open_engine", None)
    if opener is not None:
        engine: Engine = opener(settings)
        return engine
    return StandInEngine(settings)
