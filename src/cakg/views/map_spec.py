"""The Vega specification of a map: country shapes from the atlas, shaded states, route lines,
labelled points, zoom and pan; the data inline, the atlas by URL.

Data sets: `rows` (one entry per drawn row, its index in the answer as `row`; the first row of
each place carries its dot's label), `areas` (states shaded, by ISO 3166-1 numeric `code`),
`routeNames` (the legend's order), `segments` (route stretches), `atlas` (the country shapes,
loaded by the browser, or inlined by the server's renderer) and `sphere` (the water). The
projection is Mercator, fitted to the rows' extent with a margin: `spanX`/`spanY` hold the
extent's size in projected units at scale 1, and `mapScale` is `min(width / spanX, height /
spanY)` times the zoom. Signals: `zoom` (bound to a range input, the keyboard's way) changes on
the wheel and resets on double-click; `frame` {k, x, y} (the pan in pixels at zoom k) follows
it so that the point under the pointer stays put, and moves on drag. A label is shown from its
`labelScale` on, placed by cakg.views.map_labels so that none overlaps another, a dot or a line.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from cakg.views.base import VEGA_SCHEMA
from cakg.views.map_labels import ANCHORS, FONT_SIZE, place_labels

WIDTH = "isFinite(containerSize()[0]) && containerSize()[0] > 0 ? containerSize()[0] : 720"
MIN_WIDTH, MAX_WIDTH = 320, 1400  # the views labels are laid out for (others work, less well)
MIN_HEIGHT, MAX_HEIGHT = 280, 620
MIN_ZOOM, MAX_ZOOM = 0.5, 40
MIN_SPAN = 8.0  # degrees: one point alone is not drawn at street level
DEFAULT_EXTENT = (46.0, 35.0, 88.0, 56.0)  # Central Asia, when no row has a position
WATER, LAND, AREA, BORDER, INK = "#c9dcea", "#f3f0e8", "#f1cf8a", "#9a9a9a", "#1f2937"
COLOURS = ["#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000"]
DASHES = [[1, 0], [8, 4], [2, 3], [12, 3, 3, 3], [5, 5], [1, 4], [16, 4]]


@dataclass
class Place:
    """A drawn row: its point (a place's own, or one inside its state) and what it links to."""

    row: int  # index in the answer
    iri: str | None
    label: str
    href: str | None
    lon: float
    lat: float
    at: str  # "point", or "area" when the row is a state (drawn as its shape)
    area: str | None = None  # numeric code of the state the row names, if any
    route: str | None = None
    route_label: str | None = None
    position: float | None = None
    bounds: tuple[float, float, float, float] | None = None  # a state's, for the extent


@dataclass
class Area:
    code: str  # ISO 3166-1 numeric
    iri: str
    label: str
    href: str | None


@dataclass
class Segment:
    route: str
    route_label: str
    start: Place
    end: Place
    offset: float  # pixels to the side, so that routes sharing a stretch stay apart


def map_spec(
    places: list[Place],
    areas: list[Area],
    segments: list[Segment],
    routes: list[str],
    atlas_url: str,
    description: str = "",
) -> dict[str, Any]:
    """The whole Vega spec: PLACES in drawing order, AREAS shaded, SEGMENTS of ROUTES (labels);
    DESCRIPTION is what screen readers say of the picture."""
    west, south, east, north = extent(places)
    span_x = math.radians(east - west)
    span_y = _mercator(north) - _mercator(south)
    middle = _inverse((_mercator(south) + _mercator(north)) / 2)
    centre = [round((west + east) / 2, 4), round(middle, 4)]
    spec: dict[str, Any] = {
        "$schema": VEGA_SCHEMA,
        "description": description or f"A map of {len(places)} rows",
        "autosize": {"type": "fit-x", "contains": "padding"},
        "padding": 0,
        "usermeta": {"extent": [[west, south], [east, north]]},
        "signals": _signals(span_x, span_y),
        "projections": [
            {
                "name": "projection",
                "type": "mercator",
                "center": centre,
                "scale": {"signal": "mapScale"},
                "translate": {"signal": "[width / 2 + frame.x, height / 2 + frame.y]"},
            }
        ],
        "data": _data(places, areas, segments, routes, atlas_url, _scales(span_x, span_y)),
        "scales": [
            {"name": "routeColour", "type": "ordinal", "domain": routes or ["-"], "range": COLOURS},
            {"name": "routeDash", "type": "ordinal", "domain": routes or ["-"], "range": DASHES},
        ],
        "marks": _marks(),
    }
    if routes:
        spec["legends"] = [
            {
                "stroke": "routeColour",
                "strokeDash": "routeDash",
                "title": "Route",
                "orient": "bottom",
                "direction": "horizontal",
                "columns": {"signal": "width > 640 ? 2 : 1"},
                "symbolType": "stroke",
                "symbolStrokeWidth": 3,
                "symbolSize": 400,
                "labelLimit": 300,
                "columnPadding": 24,
                "padding": 8,
            }
        ]
    return spec


def extent(places: list[Place]) -> tuple[float, float, float, float]:
    """(west, south, east, north) of the places (and of the bounds of those that have them) in
    degrees, with a margin on every side."""
    if not places:
        return DEFAULT_EXTENT
    lons, lats = [p.lon for p in places], [p.lat for p in places]
    for w, s, e, n in (p.bounds for p in places if p.bounds is not None):
        lons += [w, e]
        lats += [s, n]
    west, east, south, north = min(lons), max(lons), min(lats), max(lats)
    margin = max(1.5, 0.12 * max(east - west, north - south))
    west, east, south, north = west - margin, east + margin, south - margin, north + margin
    if east - west < MIN_SPAN:
        west, east = (west + east - MIN_SPAN) / 2, (west + east + MIN_SPAN) / 2
    if north - south < MIN_SPAN:
        south, north = (south + north - MIN_SPAN) / 2, (south + north + MIN_SPAN) / 2
    return (round(max(west, -180.0), 2), round(max(south, -80.0), 2),
            round(min(east, 180.0), 2), round(min(north, 80.0), 2))  # fmt: skip


def _mercator(lat: float) -> float:
    return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def _inverse(y: float) -> float:
    return math.degrees(2 * math.atan(math.exp(y)) - math.pi / 2)


def _scales(span_x: float, span_y: float) -> tuple[float, float]:
    """The smallest and largest map scales: the narrowest view zoomed out, the widest in."""

    def fit(width: float) -> float:
        height = min(max(width * span_y / span_x, MIN_HEIGHT), MAX_HEIGHT)
        return min(width / span_x, height / span_y)

    return fit(MIN_WIDTH) * MIN_ZOOM, fit(MAX_WIDTH) * MAX_ZOOM


def _signals(span_x: float, span_y: float) -> list[dict[str, Any]]:
    """The size, the fit, and zoom and pan. `zoom` (bound to a range input) is the zoom
    factor; the wheel changes it, and `frame` follows: {k, x, y}, the pan in pixels for zoom k,
    moved so that the point under `anchor` (the pointer at the last wheel, else the centre)
    stays put. No signal listens to one that listens to it: Vega refuses such a cycle."""
    factor = "pow(1.0015, -event.deltaY * pow(16, event.deltaMode))"
    follow = (
        "{k: zoom, x: anchor[0] - (anchor[0] - frame.x) * zoom / frame.k, "
        "y: anchor[1] - (anchor[1] - frame.y) * zoom / frame.k}"
    )
    return [
        {"name": "width", "init": WIDTH, "on": [{"events": "window:resize", "update": WIDTH}]},
        {"name": "spanX", "value": round(span_x, 6)},
        {"name": "spanY", "value": round(span_y, 6)},
        {"name": "height",
         "update": f"round(clamp(width * spanY / spanX, {MIN_HEIGHT}, {MAX_HEIGHT}))"},
        {"name": "zoom", "value": 1,
         "bind": {"input": "range", "min": MIN_ZOOM, "max": MAX_ZOOM, "step": 0.05,
                  "name": "Zoom "},
         "on": [{"events": {"type": "wheel", "consume": True},
                 "update": f"round(clamp(zoom * {factor}, {MIN_ZOOM}, {MAX_ZOOM}) * 100) / 100"},
                {"events": "dblclick", "update": "1"}]},
        {"name": "anchor", "value": [0, 0], "on": [
            {"events": "wheel", "update": "[x() - width / 2, y() - height / 2]"},
            {"events": {"signal": "frame"}, "update": "[0, 0]"}]},
        {"name": "grab", "value": None, "on": [
            {"events": "mousedown, touchstart",
             "update": "{x: x(), y: y(), fx: frame.x, fy: frame.y}"},
            {"events": "window:mouseup, window:touchend", "update": "null"}]},
        {"name": "frame", "value": {"k": 1, "x": 0, "y": 0}, "on": [
            {"events": {"signal": "zoom"}, "update": follow},
            {"events": "[mousedown, window:mouseup] > window:mousemove, "
                       "[touchstart, window:touchend] > window:touchmove",
             "update": "grab ? {k: frame.k, x: grab.fx + x() - grab.x, "
                       "y: grab.fy + y() - grab.y} : frame"},
            {"events": "dblclick", "update": "{k: frame.k, x: 0, y: 0}"}]},
        {"name": "mapScale", "update": "min(width / spanX, height / spanY) * frame.k"},
    ]  # fmt: skip


def _data(
    places: list[Place],
    areas: list[Area],
    segments: list[Segment],
    routes: list[str],
    atlas_url: str,
    scales: tuple[float, float],
) -> list[dict[str, Any]]:
    tips = _place_tips(places)
    first: dict[str, Place] = {}
    for p in places:
        first.setdefault(_key(p), p)
    firsts = list(first.values())  # one dot and one label per place, in drawing order
    lines = [(s.start.lon, s.start.lat, s.end.lon, s.end.lat) for s in segments]
    dots = [(p.label, p.lon, p.lat) for p in firsts]
    labels = dict(zip(map(id, firsts), place_labels(dots, lines, scales), strict=True))
    rows = []
    for p in places:
        row = {
            "row": p.row, "iri": p.iri, "label": p.label, "href": p.href, "lon": p.lon,
            "lat": p.lat, "at": p.at, "area": p.area, "route": p.route,
            "routeLabel": p.route_label, "position": p.position, "first": id(p) in labels,
            "tip": tips[_key(p)],
        }  # fmt: skip
        label = labels.get(id(p))
        if label is not None:
            dx, dy, align, baseline = ANCHORS[label.anchor]
            row |= {"labelDx": dx, "labelDy": dy, "labelAlign": align, "labelBaseline": baseline,
                    "labelScale": label.scale if math.isfinite(label.scale) else None}  # fmt: skip
        rows.append(row)
    project = {"type": "geopoint", "projection": "projection"}
    return [
        {"name": "sphere", "values": [{"type": "Sphere"}]},
        {"name": "areas", "values": [
            {"code": a.code, "iri": a.iri, "label": a.label, "href": a.href,
             "tip": {"title": a.label, "ISO 3166-1 numeric": a.code}} for a in areas]},
        {"name": "routeNames", "values": [{"label": r} for r in routes]},
        {"name": "rows", "values": rows},
        {"name": "atlas", "url": atlas_url,
         "format": {"type": "topojson", "feature": "countries"},
         "transform": [{"type": "lookup", "from": "areas", "key": "code", "fields": ["id"],
                        "as": ["area"]}]},
        {"name": "marked", "source": "rows", "transform": [
            {"type": "filter", "expr": "datum.first"},
            {**project, "fields": ["lon", "lat"]}]},
        {"name": "segments", "values": [
            {"route": s.route, "routeLabel": s.route_label, "offset": s.offset,
             "lon1": s.start.lon, "lat1": s.start.lat, "lon2": s.end.lon, "lat2": s.end.lat,
             "tip": {"title": s.route_label, "Stretch": f"{s.start.label} → {s.end.label}"}}
            for s in segments], "transform": [
            {**project, "fields": ["lon1", "lat1"], "as": ["x1", "y1"]},
            {**project, "fields": ["lon2", "lat2"], "as": ["x2", "y2"]},
            {"type": "formula", "as": "length", "expr": "max(1, sqrt("
             "pow(datum.x2 - datum.x1, 2) + pow(datum.y2 - datum.y1, 2)))"},
            {"type": "formula", "as": "dx",
             "expr": "(datum.y1 - datum.y2) / datum.length * datum.offset"},
            {"type": "formula", "as": "dy",
             "expr": "(datum.x2 - datum.x1) / datum.length * datum.offset"},
        ]},
    ]  # fmt: skip


def _key(p: Place) -> str:
    return p.iri or f"{p.lon},{p.lat},{p.label}"


def _place_tips(places: list[Place]) -> dict[str, dict[str, str]]:
    """One tooltip per drawn place: its label, coordinates and the routes through it."""
    tips: dict[str, dict[str, str]] = {}
    for p in places:
        tip = tips.get(_key(p))
        if tip is None:
            where = f"{abs(p.lat):.2f}° {'N' if p.lat >= 0 else 'S'}, " \
                    f"{abs(p.lon):.2f}° {'E' if p.lon >= 0 else 'W'}"  # fmt: skip
            tip = tips[_key(p)] = {"title": p.label}
            if p.at == "area":
                tip["Drawn at"] = f"{where} (a point inside the state)"
            else:
                tip["Coordinates"] = where
        if p.route_label:
            stop = p.route_label + (f" ({p.position:g})" if p.position is not None else "")
            tip["Routes"] = f"{tip['Routes']}; {stop}" if "Routes" in tip else stop
    return tips


def _marks() -> list[dict[str, Any]]:
    """One group the size of the view, clipped: the water and the countries run far beyond it,
    and Vega's autosize would otherwise shrink the view to hold them. Only the points link
    (`href`): Vega follows a link on click, and a drag that starts on a state is a click.
    A label is shown from its scale on (cakg.views.map_labels)."""
    shape = [{"type": "geoshape", "projection": "projection"}]
    ends = {"x": {"signal": "datum.x1 + datum.dx"}, "y": {"signal": "datum.y1 + datum.dy"},
            "x2": {"signal": "datum.x2 + datum.dx"}, "y2": {"signal": "datum.y2 + datum.dy"},
            "strokeCap": {"value": "round"}}  # fmt: skip
    text = {"x": {"field": "x"}, "y": {"field": "y"}, "text": {"field": "label"},
            "dx": {"field": "labelDx"}, "dy": {"field": "labelDy"},
            "align": {"field": "labelAlign"}, "baseline": {"field": "labelBaseline"},
            "fontSize": {"value": FONT_SIZE},
            "opacity": {"signal": "datum.labelScale != null && mapScale >= datum.labelScale "
                                  "? 1 : 0"}}  # fmt: skip
    marks = [
        {"type": "shape", "name": "water", "from": {"data": "sphere"}, "interactive": False,
         "encode": {"update": {"fill": {"value": WATER}}}, "transform": shape},
        {"type": "shape", "name": "countries", "from": {"data": "atlas"},
         "encode": {"update": {
             "fill": {"signal": f"datum.area ? '{AREA}' : '{LAND}'"},
             "stroke": {"value": BORDER}, "strokeWidth": {"value": 0.6},
             "tooltip": {"signal": "datum.area ? datum.area.tip : datum.properties.name"}}},
         "transform": shape},
        {"type": "rule", "name": "routeCasing", "from": {"data": "segments"}, "interactive": False,
         "encode": {"update": {**ends, "stroke": {"value": "white"}, "strokeWidth": {"value": 6},
                               "strokeOpacity": {"value": 0.85}}}},
        {"type": "rule", "name": "routes", "from": {"data": "segments"},
         "encode": {"update": {**ends, "stroke": {"scale": "routeColour", "field": "routeLabel"},
                               "strokeDash": {"scale": "routeDash", "field": "routeLabel"},
                               "strokeWidth": {"value": 3}, "tooltip": {"field": "tip"}}}},
        {"type": "symbol", "name": "places", "from": {"data": "marked"},
         "encode": {"update": {
             "x": {"field": "x"}, "y": {"field": "y"}, "shape": {"value": "circle"},
             "size": {"signal": "datum.at === 'area' ? 70 : 45"},
             "fill": {"signal": f"datum.at === 'area' ? 'white' : '{INK}'"},
             "stroke": {"value": INK}, "strokeWidth": {"value": 1.5},
             "href": {"field": "href"}, "tooltip": {"field": "tip"}}}},
        {"type": "text", "name": "halos", "from": {"data": "marked"}, "interactive": False,
         "encode": {"update": {**text, "stroke": {"value": "white"}, "strokeWidth": {"value": 3},
                               "strokeOpacity": {"value": 0.9}}}},
        {"type": "text", "name": "labels", "from": {"data": "marked"}, "interactive": False,
         "encode": {"update": {**text, "fill": {"value": INK}}}},
    ]  # fmt: skip
    return [
        {"type": "group", "name": "map", "clip": True, "marks": marks,
         "encode": {"update": {"width": {"signal": "width"}, "height": {"signal": "height"}}}}
    ]  # fmt: skip
