"""Timelines: Vega-Lite specifications that draw each dated event once, at its precision.

An event of a given day is a point; one dated to a month or a year is a span over that month or
year. The time axis is padded around the events and always names the year. Undated rows are
counted in a note and listed in the table below the picture.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from rdflib.term import Node

from cakg.views.base import VEGA_LITE_SCHEMA, View
from cakg.views.charts import answer_rows, column_label, first_iri, view_fields
from cakg.views.figures import DASH, when
from cakg.views.labels import Terms


def _days(iso: str) -> dt.date:
    return dt.date.fromisoformat(iso)


def _padded(events: list[dict[str, Any]]) -> list[dict[str, int]]:
    """The time axis's domain: every event's span, with a margin (a month at least), so that a
    span is never drawn from edge to edge of the axis as if it were all time."""
    if not events:
        return []
    first = min(_days(e["start"]) for e in events)
    last = max(_days(e["end"]) for e in events)
    pad = max(dt.timedelta(days=31), (last - first) * 0.04)
    low, high = first - pad, last + pad
    return [{"year": d.year, "month": d.month, "date": d.day} for d in (low, high)]


def _date_format(events: list[dict[str, Any]]) -> str:
    """Ticks in years over years, in months (with their year) over months, else in days."""
    if not events:
        return "%Y"
    first = min(_days(e["start"]) for e in events)
    last = max(_days(e["end"]) for e in events)
    span = (last - first).days
    return "%Y" if span > 3 * 365 else "%b %Y" if span > 62 else "%-d %b %Y"


def timeline_view(
    view: Mapping[str, Any],
    columns: Mapping[str, str],
    variables: Sequence[str],
    rows: Sequence[tuple[Node | None, ...]],
    names: Terms,
) -> View:
    """Each dated event once: a point on its day, or a span over its month or year."""
    date_field = view["date"]
    labels = view_fields(view, "label")
    events: dict[tuple[str, str], dict[str, Any]] = {}
    undated: set[str] = set()
    for cells in answer_rows(variables, rows, names):
        label = f" {DASH} ".join(t for t in (cells.text(f) for f in labels[:-1]) if t)
        label = f"{label}: {cells.text(labels[-1])}" if label else cells.text(labels[-1])
        at = when(cells.text(date_field))
        if at is None:
            undated.add(label)
            continue
        key = (label, at.start + at.end)
        event = events.get(key)
        if event is None:
            event = events[key] = {
                "label": label, "start": at.start, "end": at.end, "when": at.text,
                "precision": at.precision, "span": not at.is_point,
                "series": cells.text(view.get("series")) or "event",
                "href": cells.href(first_iri(cells)), "rows": 0, "aria": f"{label}, {at.text}",
            }  # fmt: skip
        event["rows"] += 1
    dated = sorted(events.values(), key=lambda e: (e["start"], e["label"]))
    notes = []
    if undated:
        notes.append(f"{len(undated)} undated, listed below.")
    drawn_rows = sum(e["rows"] for e in dated)
    if drawn_rows != len(dated):
        notes.append(f"{drawn_rows} dated rows describe {len(dated)} events, one mark each.")
    caption = view.get("caption") or f"{column_label(columns, labels[-1])} over time"
    order = list(dict.fromkeys(e["label"] for e in dated))
    series = list(dict.fromkeys(e["series"] for e in dated))
    common = {
        "y": {"field": "label", "type": "nominal", "sort": order, "title": None,
              "axis": {"labelLimit": 280}},
        "color": {"field": "series", "type": "nominal", "scale": {"domain": series},
                  "title": column_label(columns, view.get("series", "")) or "Kind",
                  "legend": None if len(series) == 1 else {}},
        "href": {"field": "href"},
        "description": {"field": "aria"},
        "tooltip": [{"field": "label", "title": "What"}, {"field": "when", "title": "When"}],
    }  # fmt: skip
    axis = {"tickCount": 6, "labelOverlap": True, "format": _date_format(dated)}
    x_axis = {"field": "start", "type": "temporal", "title": "Date",
              "scale": {"domain": _padded(dated)}, "axis": axis}  # fmt: skip
    spec: dict[str, Any] = {
        "$schema": VEGA_LITE_SCHEMA,
        "description": caption,
        "data": {"values": dated},
        "width": 560,
        "height": {"step": 22},
        "layer": [
            {"transform": [{"filter": "datum.span"}],
             "mark": {"type": "bar", "height": 10, "cornerRadius": 2, "opacity": 0.55},
             "encoding": common | {"x": x_axis, "x2": {"field": "end"}}},
            {"transform": [{"filter": "!datum.span"}],
             "mark": {"type": "point", "filled": True, "size": 70, "opacity": 1},
             "encoding": common | {"x": x_axis}},
        ],
        "config": {"legend": {"orient": "bottom", "labelLimit": 320}},
    }  # fmt: skip
    if any(e["span"] for e in dated):
        notes.append("A bar spans the month or year an event is dated to; a dot is a day.")
    return View("timeline", spec if dated else None, caption, notes, len(dated))
