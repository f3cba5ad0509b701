"""One entry point for every page that draws an answer: the view its query declares, and its
table. The gallery, /queries/<name>.html, the embeddable view, resource pages and the query
editor's results panel (with a view cakg.views.infer chose) all call `answer_view` and
`answer_table`, so the same answer gives the same picture everywhere."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rdflib import URIRef

from cakg.engine.base import GRAPH_FORMS, Engine, QueryResult
from cakg.views.base import View
from cakg.views.charts import bar_view
from cakg.views.geography import map_view
from cakg.views.graph import graph_view, triple_rows
from cakg.views.labels import Terms
from cakg.views.select_graph import rows_as_triples
from cakg.views.table import Column, Table, answer_table
from cakg.views.timeline import timeline_view

__all__ = ["Table", "answer_view", "lookup", "result_table"]
TRIPLE_COLUMNS = [
    Column("subject", "Subject", False),
    Column("property", "Property", False),
    Column("object", "Object", False),
]


def lookup(engine: Engine, result: QueryResult, names: Terms) -> Terms:
    """Labels, links and points of every IRI in RESULT, in one query."""
    iris = [str(t) for row in result.rows for t in row if isinstance(t, URIRef)]
    iris += [str(t) for triple in result.triples for t in triple if isinstance(t, URIRef)]
    return names.lookup(engine, iris)


def answer_view(
    engine: Engine,
    view: Mapping[str, Any],
    columns: Mapping[str, str],
    result: QueryResult,
    names: Terms,
    *,
    atlas_url: str = "",
) -> View:
    """The picture VIEW declares for RESULT (labels already looked up in NAMES)."""
    kind = view.get("type", "table")
    if result.form in GRAPH_FORMS:
        return graph_view(engine, result.triples, names) if kind == "graph" else View("table")
    if result.form != "SELECT":
        return View("table")
    if kind == "graph":  # a thing and what each row links it to (cakg.views.select_graph)
        triples = rows_as_triples(view, columns, result.variables, result.rows, names)
        return graph_view(engine, triples, names)
    if kind in ("bar", "line"):
        return bar_view(view, columns, result.variables, result.rows, names)
    if kind == "timeline":
        return timeline_view(view, columns, result.variables, result.rows, names)
    if kind == "map":
        return map_view(engine, view, result.variables, result.rows, names, atlas_url)
    return View("table")


def result_table(
    engine: Engine,
    view: Mapping[str, Any],
    columns: Mapping[str, str],
    result: QueryResult,
    names: Terms,
) -> Table:
    """RESULT's rows for people; a graph's triples as labelled subject, property and object."""
    if result.form in GRAPH_FORMS:
        rows = triple_rows(engine, result.triples, names)
        return Table(TRIPLE_COLUMNS, [[r.subject, r.property, r.object] for r in rows])
    return answer_table(view, columns, result.variables, result.rows, names)
