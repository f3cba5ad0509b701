"""The views an ad-hoc answer lends itself to, inferred from its columns and their datatypes.

A saved query declares its view (`#+ view:`); a query typed into the editor declares nothing, so
the results panel offers the views its answer fits, as YASR and the Wikidata Query Service do,
each as the declaration a saved query would write (drawn by cakg.views.render.answer_view):

- numbers beside a time (a typed date, a year, or text that reads as one: "2022", "2021-12")
  -> a line and a bar chart over that time; beside a label (an IRI or text) -> a bar chart;
- a time beside a label -> a timeline;
- a WKT literal, IRIs the graph gives a point, or `lat` and `lon` numbers -> a map;
- two IRI columns (a thing and what it is linked to) -> a graph; CONSTRUCT and DESCRIBE -> a graph.

`infer_views(result, names)` wants the answer's IRIs looked up in NAMES first (their points).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from rdflib import Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Node

from cakg.datatypes import INTEGERS, NUMBERS
from cakg.engine.base import GRAPH_FORMS, QueryResult
from cakg.views.figures import when
from cakg.views.labels import Terms, point_of

WKT = "http://www.opengis.net/ont/geosparql#wktLiteral"
DATES = frozenset((XSD.date, XSD.dateTime, XSD.gYear, XSD.gYearMonth))
LATITUDES = frozenset(("lat", "latitude"))
LONGITUDES = frozenset(("lon", "long", "lng", "longitude"))
PREDICATES = frozenset(("p", "pred", "predicate", "property", "prop", "relation"))
MAX_SERIES = 12  # distinct values of a column that colours a chart's series
MAX_VALUES = 3  # value columns drawn side by side
LABELS = {
    "line": "Line chart",
    "bar": "Bar chart",
    "timeline": "Timeline",
    "map": "Map",
    "graph": "Graph",
}


@dataclass(frozen=True)
class Offer:
    """One view the answer fits: its kind, its tab's name and its declaration."""

    kind: str
    label: str
    view: dict[str, Any]


@dataclass
class Column:
    """What one column holds: how many of its values are of each kind."""

    name: str
    bound: int = 0
    iris: int = 0
    numbers: int = 0
    dates: int = 0
    wkt: int = 0
    points: int = 0
    years: int = 0  # whole numbers from 1000 to 2999 (years, in a column named for them)
    values: set[str] = field(default_factory=set)

    def only(self, count: int) -> bool:
        return self.bound > 0 and count == self.bound

    @property
    def is_time(self) -> bool:
        """Dates (nine in ten of its values, the rest drawn as text), or years by name."""
        named_year = "year" in self.name.lower()
        dated = self.bound > 0 and 10 * self.dates >= 9 * self.bound
        return dated or (named_year and self.only(self.years))

    @property
    def is_number(self) -> bool:
        return self.only(self.numbers) and not self.is_time

    @property
    def is_geometry(self) -> bool:
        return self.only(self.wkt) or (self.only(self.iris) and 2 * self.points >= self.bound)

    @property
    def is_label(self) -> bool:
        """A category: IRIs (shown by their labels) or plain text."""
        return self.bound > 0 and not (self.is_time or self.is_number or self.only(self.wkt))


def profile(
    variables: Sequence[str], rows: Sequence[tuple[Node | None, ...]], names: Terms
) -> list[Column]:
    """Each column's kinds of values."""
    columns = [Column(v) for v in variables]
    for row in rows:
        for column, term in zip(columns, row, strict=True):
            if term is None:
                continue
            column.bound += 1
            column.values.add(str(term))
            if isinstance(term, URIRef):
                column.iris += 1
                found = names.found.get(str(term))
                column.points += found is not None and found.point is not None
            elif isinstance(term, Literal):
                _literal(column, term)
    return columns


def _literal(column: Column, term: Literal) -> None:
    text = str(term)
    if term.datatype in NUMBERS:
        column.numbers += 1
        if term.datatype in INTEGERS and text.isdigit() and 1000 <= int(text) <= 2999:
            column.years += 1
    elif term.datatype in DATES or (term.datatype in (None, XSD.string) and when(text)):
        column.dates += 1
    elif str(term.datatype) == WKT or (term.datatype is None and point_of(text)):
        column.wkt += 1


def infer_views(result: QueryResult, names: Terms) -> list[Offer]:
    """The views RESULT fits, the most telling first (a table always fits and is not listed)."""
    if result.form in GRAPH_FORMS:
        return [_offer("graph", {"type": "graph"})] if result.triples else []
    if result.form != "SELECT" or not result.rows:
        return []
    columns = profile(result.variables, result.rows, names)
    shown = [c for c in columns if not _labels_another(c.name, result.variables)]
    charts = _charts(shown)  # figures over time are a chart, not a timeline of figures
    return charts + (_timeline(shown) if not charts else []) + _map(shown) + _graph(shown)


def _offer(kind: str, view: dict[str, Any]) -> Offer:
    return Offer(kind, LABELS[kind], view)


def _labels_another(name: str, variables: Sequence[str]) -> bool:
    """`partnerLabel` beside `partner`: the IRI's own label, not a column of its own."""
    return name.endswith("Label") and name.removesuffix("Label") in variables


def _coordinate(column: Column) -> bool:
    return column.name.lower() in LATITUDES | LONGITUDES


def _charts(columns: list[Column]) -> list[Offer]:
    values = [c for c in columns if c.is_number and not _coordinate(c)][:MAX_VALUES]
    if not values:
        return []
    times = [c for c in columns if c.is_time]
    labels = [c for c in columns if c.is_label]
    y: Any = values[0].name if len(values) == 1 else [c.name for c in values]
    if times:
        x = times[0]
        view: dict[str, Any] = {"x": x.name, "y": y}
        series = _series(labels)
        if series is not None:
            view["series"] = series.name
        return [
            _offer("line", {"type": "line", **view}),
            _offer("bar", {"type": "bar", **view}),
        ]
    if labels:
        return [_offer("bar", {"type": "bar", "x": labels[0].name, "y": y})]
    return []


def _series(labels: list[Column]) -> Column | None:
    """The column that tells the lines apart: a few values, each on several rows."""
    for column in labels:
        if 2 <= len(column.values) <= MAX_SERIES and len(column.values) < column.bound:
            return column
    return None


def _timeline(columns: list[Column]) -> list[Offer]:
    times = [c for c in columns if c.is_time]
    labels = [c for c in columns if c.is_label]
    if not times or not labels:
        return []
    return [
        _offer("timeline", {"type": "timeline", "date": times[0].name, "label": labels[0].name})
    ]


def _map(columns: list[Column]) -> list[Offer]:
    view: dict[str, Any] = {"type": "map"}
    geometry = next((c for c in columns if c.is_geometry), None)
    lat = next((c for c in columns if c.name.lower() in LATITUDES and c.is_number), None)
    lon = next((c for c in columns if c.name.lower() in LONGITUDES and c.is_number), None)
    if geometry is not None:
        view["geometry"] = geometry.name
    elif lat is not None and lon is not None:
        view |= {"lat": lat.name, "lon": lon.name}
    else:
        return []
    label = next(
        (c for c in columns if c.is_label and c is not geometry and not c.only(c.wkt)), None
    )
    if label is not None:
        view["label"] = label.name
    return [_offer("map", view)]


def _graph(columns: list[Column]) -> list[Offer]:
    """Two IRI columns: each row links the first one's thing to the other's."""
    iris = [c for c in columns if c.only(c.iris)]
    if len(iris) < 2:
        return []
    view: dict[str, Any] = {"type": "graph", "subject": iris[0].name}
    others = [c for c in iris[1:] if c.name.lower() in PREDICATES]
    if others and len(iris) >= 3:
        view["predicate"] = others[0].name
    return [_offer("graph", view)]
