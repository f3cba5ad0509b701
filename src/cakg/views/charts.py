"""Bar and line views: Vega-Lite specifications that draw every row with a value.

A bar chart draws one bar per row and value field: bars of one category sit side by side
(xOffset on a key unique to the row), never on top of each other, so no value hides another.
Panels split the rows by measure and unit (vconcat), each with an axis in its own unit written for
people (27 bn USD), an axis domain that contains its data, and a legend that says how each figure
stands: stated, its year worked out from the text, ambiguous, part of a year, a target (with its
deadline), or derived by cakg. The row helpers here (Cells, answer_rows, view_fields,
column_label, first_iri) serve the timelines and tables too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rdflib import Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Node

from cakg.views.base import VEGA_LITE_SCHEMA, View
from cakg.views.figures import UNIT_SYMBOLS, axis_label_expr, human_number, to_decimal, when
from cakg.views.labels import Terms

# how a figure stands -> (fill opacity, stroke dash): the legend's entries in this order
STATUSES: dict[str, tuple[float, list[int]]] = {
    "stated": (1.0, []),
    "year worked out from the text": (0.6, []),
    "year ambiguous": (0.15, [2, 2]),
    "part of a year": (0.35, [6, 2]),
    "target": (0.12, [6, 3]),
    "derived by cakg": (0.12, [1, 3]),
}
WORKED_OUT = {"resolved-from-document-date", "resolved-from-event-date", "inferred-from-context"}
BAR_STEP = 18
MAX_TEXT_BARS = 8


def words(name: str) -> str:
    """A variable name in words: partnerLabel -> partner, periodStart -> period start."""
    out = []
    for ch in name.removesuffix("Label"):
        out.append(f" {ch.lower()}" if ch.isupper() else ch)
    return "".join(out).strip()


def column_label(columns: Mapping[str, str], name: str) -> str:
    return columns.get(name) or words(name)


@dataclass
class Cells:
    """One answer row: each variable's term, its text for people and its sort key."""

    terms: dict[str, Node | None]
    names: Terms

    def text(self, name: str | None) -> str:
        if not name:
            return ""
        term = self.terms.get(name)
        if term is None:
            return ""
        if isinstance(term, URIRef):
            return self.names.get(str(term)).label
        return str(term)

    def href(self, name: str | None) -> str | None:
        term = self.terms.get(name) if name else None
        return self.names.get(str(term)).href if isinstance(term, URIRef) else None

    def number(self, name: str) -> Any:
        term = self.terms.get(name)
        if not isinstance(term, Literal) or term.datatype == XSD.boolean:
            return None
        return to_decimal(str(term))

    def flag(self, name: str | None) -> bool:
        term = self.terms.get(name) if name else None
        return isinstance(term, Literal) and str(term).lower() in ("true", "1")


def view_fields(view: Mapping[str, Any], key: str) -> list[str]:
    value = view.get(key)
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _status(view: Mapping[str, Any], cells: Cells, y: str, period_precision: str | None) -> str:
    target = view.get("target")
    if target and (target == y or (target not in view_fields(view, "y") and cells.flag(target))):
        return "target"
    if y in view_fields(view, "derived"):
        return "derived by cakg"
    resolution = cells.text(view.get("certainty"))
    if resolution == "ambiguous":
        return "year ambiguous"
    if period_precision in ("month", "range"):
        return "part of a year"
    if resolution in WORKED_OUT:
        return "year worked out from the text"
    return "stated"


def answer_rows(
    variables: Sequence[str], rows: Sequence[tuple[Node | None, ...]], names: Terms
) -> list[Cells]:
    return [Cells(dict(zip(variables, row, strict=True)), names) for row in rows]


def bar_view(
    view: Mapping[str, Any],
    columns: Mapping[str, str],
    variables: Sequence[str],
    rows: Sequence[tuple[Node | None, ...]],
    names: Terms,
) -> View:
    """One bar per row and value field, in panels of one measure and unit each."""
    x = view["x"]
    ys = view_fields(view, "y")
    unit_field = view.get("unit") or ("unitLabel" if "unitLabel" in variables else None)
    records: list[dict[str, Any]] = []
    missing = 0
    for index, cells in enumerate(answer_rows(variables, rows, names)):
        drawn = False
        for y in ys:
            value = cells.number(y)
            if value is None:
                continue
            drawn = True
            records.append(_bar_record(view, columns, cells, index, x, y, ys, unit_field, value))
        missing += not drawn
    panels = _panels(view, columns, records, x, ys, line=view.get("type") == "line")
    notes = []
    if missing:
        notes.append(f"{missing} of {len(rows)} rows have no value to draw and are listed below.")
    caption = view.get("caption") or (
        f"{', '.join(column_label(columns, y) for y in ys)} by {column_label(columns, x)}"
    )
    spec: dict[str, Any] = {
        "$schema": VEGA_LITE_SCHEMA,
        "description": caption,
        "vconcat": panels,
        "resolve": {"scale": {"color": "shared", "stroke": "shared"}},
        "config": {"legend": {"orient": "bottom", "direction": "vertical", "labelLimit": 320,
                              "symbolType": "square", "symbolFillColor": "#4c78a8",
                              "symbolStrokeColor": "#4c78a8", "symbolStrokeWidth": 1.5}},
    }  # fmt: skip
    kind = "line" if view.get("type") == "line" else "bar"
    return View(kind, spec if records else None, caption, notes, len(records))


def _bar_record(
    view: Mapping[str, Any],
    columns: Mapping[str, str],
    cells: Cells,
    index: int,
    x: str,
    y: str,
    ys: list[str],
    unit_field: str | None,
    value: Any,
) -> dict[str, Any]:
    x_when = when(cells.text(x))
    period = cells.text(view.get("when")) or (cells.text(x) if x_when else "")
    period_when = when(period)
    status = _status(view, cells, y, period_when.precision if period_when else None)
    deadline = when(cells.text(view.get("deadline")))
    series_parts = [cells.text(s) for s in view_fields(view, "series")]
    if len(ys) > 1:
        series_parts.append(column_label(columns, y))
    series = " · ".join(p for p in series_parts if p) or column_label(columns, y)
    unit = cells.text(unit_field)
    facet = cells.text(view.get("facet"))
    panel_unit = UNIT_SYMBOLS.get(unit, unit)
    status_text = status
    if status == "target":
        note = cells.text(view.get("deadlineNote")) or "no deadline given"
        status_text = f"target, by {deadline.text}" if deadline else f"target ({note})"
    elif status == "derived by cakg":
        status_text = "derived by cakg, stated by no source"
    elif period_when and status != "stated":
        status_text = f"{status} ({period_when.text})"
    return {
        "x": x_when.text if x_when else cells.text(x),
        "xSort": x_when.start if x_when else "",
        "key": series,  # made unique within its category by _panels
        "series": series,
        "panel": " · ".join(p for p in (facet, unit) if p),
        "unit": unit,
        "panelUnit": panel_unit,
        "value": float(value),
        "exact": str(value),
        "valueText": human_number(value, unit),
        "mark": _mark_text(human_number(value, unit), status, deadline, period_when),
        "status": status,
        "statusText": status_text,
        "when": period_when.text if period_when else "",
        "href": cells.href(view.get("href") or first_iri(cells)),
        "aria": f"{series}, {x_when.text if x_when else cells.text(x)}: "
        f"{human_number(value, unit)} ({status_text})",
    }


def _mark_text(value: str, status: str, deadline: Any, period: Any) -> str:
    """The words above a bar: its value, and its deadline (a target) or its period."""
    if status == "target":
        return f"{value}, by {deadline.text}" if deadline else f"{value} (target)"
    return f"{value}, {period.text}" if period else value


def first_iri(cells: Cells) -> str | None:
    """The row's own thing: the last IRI column that is not a source (figure, fact, event)."""
    for name in reversed(list(cells.terms)):
        if isinstance(cells.terms[name], URIRef) and name != "source":
            return name
    return None


def _panels(
    view: Mapping[str, Any],
    columns: Mapping[str, str],
    records: list[dict[str, Any]],
    x: str,
    ys: list[str],
    *,
    line: bool = False,
) -> list[dict[str, Any]]:
    by_panel: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        by_panel.setdefault(record["panel"], []).append(record)
    series = list(dict.fromkeys(r["series"] for r in records))
    statuses = [s for s in STATUSES if any(r["status"] == s for r in records)]
    panels = []
    series_title = " · ".join(column_label(columns, s) for s in view_fields(view, "series"))
    series_title = series_title or "Value"
    for name, items in by_panel.items():
        _unique_keys(items)
        xs = _x_order(items)
        keys = list(dict.fromkeys(r["key"] for r in items))
        longest = max((len(v) for v in xs), default=0)
        unit = items[0]["unit"]
        encoding: dict[str, Any] = {
            "x": {"field": "x", "type": "nominal", "sort": xs, "title": column_label(columns, x),
                  "scale": {"paddingInner": 0.35 if len(keys) > 1 else 0.2},
                  "axis": {"labelAngle": -35 if longest > 8 else 0, "labelLimit": 200}},
            "xOffset": {"field": "key", "type": "nominal", "sort": keys},
            "y": {"field": "value", "type": "quantitative",
                  "title": name or column_label(columns, ys[0]),
                  "scale": {"zero": True, "nice": True},
                  "axis": {"labelExpr": axis_label_expr(unit), "tickCount": 5}},
            "color": {"field": "series", "type": "nominal", "scale": {"domain": series},
                      "title": series_title, "legend": None if len(series) == 1 else {}},
            "stroke": {"field": "series", "type": "nominal", "scale": {"domain": series},
                       "legend": None},
            "fillOpacity": {"field": "status", "type": "nominal", "title": "How the figure stands",
                            "scale": {"type": "ordinal", "domain": statuses,
                                      "range": [STATUSES[s][0] for s in statuses]}},
            "strokeDash": {"field": "status", "type": "nominal", "title": "How the figure stands",
                           "scale": {"type": "ordinal", "domain": statuses,
                                     "range": [STATUSES[s][1] for s in statuses]}},
            "href": {"field": "href"},
            "description": {"field": "aria"},
            "tooltip": [
                {"field": "series", "title": "Series"},
                {"field": "x", "title": column_label(columns, x)},
                {"field": "valueText", "title": "Value"},
                {"field": "exact", "title": "Exact value"},
                {"field": "statusText", "title": "How it stands"},
            ],
        }  # fmt: skip
        layers: list[dict[str, Any]] = [
            {"mark": {"type": "bar", "strokeWidth": 1.5, "cursor": "pointer"}, "encoding": encoding}
        ]
        if line:  # a line per series through its points; each value a point of its own
            point = {k: v for k, v in encoding.items() if k != "xOffset"}
            layers = [
                {"mark": {"type": "line", "strokeWidth": 1.5},
                 "encoding": {k: point[k] for k in ("x", "y", "color")}
                 | {"detail": {"field": "series"}}},
                {"mark": {"type": "point", "filled": True, "size": 60, "strokeWidth": 1.5,
                          "cursor": "pointer"}, "encoding": point},
            ]  # fmt: skip
        elif len(items) <= MAX_TEXT_BARS and len(items) == len({r["x"] for r in items}):
            # one bar per category: room above each for its value in words
            layers.append({
                "mark": {"type": "text", "dy": -6, "fontSize": 11, "baseline": "bottom"},
                "encoding": {k: encoding[k] for k in ("x", "xOffset", "y")}
                | {"text": {"field": "mark"}},
            })  # fmt: skip
        panels.append({
            "title": {"text": name, "anchor": "start", "fontSize": 13},
            "data": {"values": items},
            "width": min(760, max(120, (BAR_STEP * len(keys) + 16) * len(xs))),
            "height": 220,
            "layer": layers,
        })  # fmt: skip
    return panels


def _unique_keys(items: list[dict[str, Any]]) -> None:
    """Two bars of one series in one category (two sources' figures) get keys of their own, so
    that they stand side by side."""
    seen: dict[tuple[str, str], int] = {}
    for item in items:
        n = seen[item["x"], item["key"]] = seen.get((item["x"], item["key"]), 0) + 1
        if n > 1:
            item["key"] = f"{item['key']} ({n})"


def _x_order(items: list[dict[str, Any]]) -> list[str]:
    """Categories in time order when they are periods, else in the query's order."""
    first = list(dict.fromkeys(r["x"] for r in items))
    if all(r["xSort"] for r in items):
        starts = {r["x"]: r["xSort"] for r in items}
        return sorted(first, key=lambda v: (starts[v], v))
    return first
