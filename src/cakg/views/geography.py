"""Maps: where the rows of an answer lie, as a View whose Vega spec cakg.views.map_spec writes.

The saved query's `#+ view:` header names the columns:
  geometry  a WKT literal, or a place IRI (its point is looked up, cakg.views.labels)
  label     the text beside the mark (else the place's label)
  area      a state to draw as an area: its country shape, matched by cakg:iso3166Numeric
  route     the column grouping rows into lines (one line per value)
  order     the position along the route (numbers; equal positions have no order between them)
  lat, lon  numbers, when there is no geometry

Each row is drawn once. A row whose geometry is a cakg:State is drawn by filling its shape, and
a route through it passes through a point inside the state (cakg.views.atlas); any other row
with a point is drawn as a point; a row with neither is counted in a note (the table lists it).
A row's link is its geometry IRI, else the first IRI in the row outside the route and area
columns, else its area. Serving side: reads an Engine, never the build.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rdflib import Literal, URIRef
from rdflib.term import Node

from cakg.engine.base import Engine, QueryDataset
from cakg.namespaces import sparql_prologue
from cakg.views.atlas import Atlas, load_atlas
from cakg.views.base import View
from cakg.views.labels import Terms, point_of
from cakg.views.map_spec import Area, Place, Segment, map_spec

MAX_CODES = 2000
CODES = """\
SELECT ?s ?code WHERE {{
  VALUES ?s {{ {values} }}
  ?s a cakg:State ; cakg:iso3166Numeric ?code .
}}
"""


@dataclass
class Route:
    key: str
    label: str
    stops: dict[float, list[Place]] = field(default_factory=dict)
    unordered: int = 0  # rows of the route without a position: drawn, not joined


def map_view(
    engine: Engine,
    view: Mapping[str, Any],
    variables: Sequence[str],
    rows: Sequence[tuple[Node | None, ...]],
    terms: Terms,
    atlas_url: str,
    *,
    atlas: Atlas | None = None,
) -> View:
    """The map of ROWS (a SELECT answer over VARIABLES) as its VIEW header declares it."""
    atlas = atlas if atlas is not None else load_atlas()
    column = {key: variables.index(str(view[key])) for key in _KEYS if view.get(key) in variables}
    terms.lookup(engine, (str(v) for row in rows for v in row if isinstance(v, URIRef)))
    codes = state_codes(engine, _iris(rows, [column.get("geometry"), column.get("area")]))
    places: list[Place] = []
    areas: dict[str, Area] = {}
    routes: dict[str, Route] = {}
    for index, row in enumerate(rows):
        area = _area(row, column, codes, atlas, terms)
        if area is not None:
            areas.setdefault(area.code, area)
        place = _place(index, row, column, codes, atlas, terms, area)
        if place is None:
            continue
        places.append(place)
        route = _cell(row, column.get("route"))
        if isinstance(route, URIRef | Literal):
            key = str(route)
            line = routes.get(key)
            if line is None:
                name = terms.get(key).label if isinstance(route, URIRef) else key
                line = routes[key] = Route(key, name)
            place.route, place.route_label = key, line.label
            position = _number(_cell(row, column.get("order")))
            place.position = position
            if position is None:
                line.unordered += 1
            else:
                line.stops.setdefault(position, []).append(place)
    if not routes:  # a state drawn as an area is seen whole; on a route, its inner point
        for place in places:
            if place.at == "area" and place.area is not None:
                place.bounds = atlas.countries[place.area].bounds
    rank = {key: n for n, key in enumerate(routes)}
    ordered = sorted(places, key=lambda p: (rank.get(p.route or "", -1), p.position or 0, p.row))
    caption = _caption(ordered, areas, routes)
    spec = map_spec(ordered, list(areas.values()), _segments(list(routes.values())),
                    [r.label for r in routes.values()], atlas_url, caption)  # fmt: skip
    return View(
        kind="map",
        spec=spec,
        caption=caption,
        notes=_notes(len(rows) - len(places), routes, ordered),
        marks=len(places),
    )


_KEYS = ("geometry", "label", "area", "route", "order", "lat", "lon")


def state_codes(engine: Engine, iris: Iterable[str]) -> dict[str, str]:
    """The ISO 3166-1 numeric code of each IRI that is a cakg:State with one."""
    wanted = sorted(set(iris))
    found: dict[str, str] = {}
    for start in range(0, len(wanted), MAX_CODES):
        values = " ".join(f"<{i}>" for i in wanted[start : start + MAX_CODES])
        sparql = sparql_prologue() + CODES.format(values=values)
        for s, code in engine.query(sparql, dataset=QueryDataset()).rows:
            found.setdefault(str(s), str(code))
    return found


def _iris(rows: Sequence[tuple[Node | None, ...]], indexes: list[int | None]) -> set[str]:
    return {
        str(row[i]) for row in rows for i in indexes if i is not None and isinstance(row[i], URIRef)
    }


def _cell(row: tuple[Node | None, ...], index: int | None) -> Node | None:
    return row[index] if index is not None else None


def _number(value: Node | None) -> float | None:
    if not isinstance(value, Literal):
        return None
    try:
        return float(value.toPython())
    except (TypeError, ValueError):
        return None


def _area(
    row: tuple[Node | None, ...],
    column: dict[str, int],
    codes: dict[str, str],
    atlas: Atlas,
    terms: Terms,
) -> Area | None:
    """The state the row is (its geometry) or names as its area, when the atlas has its shape."""
    for key in ("geometry", "area"):
        value = _cell(row, column.get(key))
        if isinstance(value, URIRef) and atlas.get(codes.get(str(value))) is not None:
            term = terms.get(str(value))
            return Area(codes[str(value)], term.iri, term.label, term.href)
    return None


def _place(
    index: int,
    row: tuple[Node | None, ...],
    column: dict[str, int],
    codes: dict[str, str],
    atlas: Atlas,
    terms: Terms,
    area: Area | None,
) -> Place | None:
    """Where the row is drawn: its geometry's point, or a point inside its state; else None."""
    geometry = _cell(row, column.get("geometry"))
    iri = str(geometry) if isinstance(geometry, URIRef) else None
    point: tuple[float, float] | None = None
    kind = "point"
    if iri is not None:
        country = atlas.get(codes.get(iri))
        point, kind = (country.anchor, "area") if country else (terms.get(iri).point, "point")
    elif isinstance(geometry, Literal):
        point = point_of(str(geometry))
    elif "lat" in column and "lon" in column:
        lat, lon = _number(_cell(row, column["lat"])), _number(_cell(row, column["lon"]))
        point = (lon, lat) if lat is not None and lon is not None else None
    elif area is not None:  # no geometry declared: the row is its area
        point, kind, iri = atlas.countries[area.code].anchor, "area", area.iri
    if point is None:
        return None
    if iri is None:
        skip = {column.get("route"), column.get("area"), column.get("order")}
        iri = next(
            (str(v) for i, v in enumerate(row) if i not in skip and isinstance(v, URIRef)), None
        )
    label = _cell(row, column.get("label"))
    if isinstance(label, URIRef):
        text = terms.get(str(label)).label
    elif label is not None:
        text = str(label)
    else:
        text = terms.get(iri).label if iri else ""
    return Place(
        row=index,
        iri=iri,
        label=text,
        href=terms.get(iri).href if iri else None,
        lon=point[0],
        lat=point[1],
        at=kind,
        area=area.code if area is not None else None,
    )


def _segments(routes: list[Route]) -> list[Segment]:
    """Each route joins every place at one position to every place at the next position that
    has a place on the map (equal positions are not ordered among themselves)."""
    segments = []
    for n, route in enumerate(routes):
        offset = (n - (len(routes) - 1) / 2) * 3.0
        positions = sorted(route.stops)
        for before, after in itertools.pairwise(positions):
            for a in route.stops[before]:
                for b in route.stops[after]:
                    if (a.lon, a.lat) != (b.lon, b.lat):
                        segments.append(Segment(route.key, route.label, a, b, offset))
    return segments


def _caption(places: list[Place], areas: dict[str, Area], routes: dict[str, Route]) -> str:
    if not places:
        return "A map of Central Asia: no row of the answer has a position on it."
    points = len({p.iri or (p.lon, p.lat, p.label) for p in places if p.at == "point"})
    parts = []
    if points:
        parts.append(f"{points} place{_s(points)} as black dots")
    if areas:
        parts.append(f"{len(areas)} state{_s(len(areas))} as shaded areas")
    if routes:
        lines = "one line" if len(routes) == 1 else "lines of their own colour and dash"
        through = any(p.at == "area" and p.route for p in places)
        parts.append(f"{len(routes)} route{_s(len(routes))} as {lines} in the order of their "
                     "passages" + (", through a white dot inside each state they cross"
                                   if through else ""))  # fmt: skip
    what = ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1]
    return (
        f"{len(places)} row{_s(len(places))} on a map: {what}. Mercator projection fitted to the "
        "rows with a margin; borders and coastlines from Natural Earth (1:50m). Scroll or use "
        "the zoom control to zoom, drag to pan, double-click to reset. Labels that would "
        "overlap are hidden until you zoom in; hover over a mark for its name and coordinates."
    )


def _notes(unplaced: int, routes: dict[str, Route], places: list[Place]) -> list[str]:
    notes = []
    if unplaced:
        verb = "rows have" if unplaced > 1 else "row has"
        listed = "are" if unplaced > 1 else "is"
        notes.append(
            f"{unplaced} {verb} no position on the map and {listed} listed in the table below."
        )
    if any(len(stop) > 1 for r in routes.values() for stop in r.stops.values()):
        notes.append(
            "Places that share a position along a route have no order between them: each is "
            "joined to every place at the position before it and the position after it."
        )
    if any(p.at == "area" and p.route for p in places):
        notes.append(
            "A route through a state is drawn through one point inside the state's largest "
            "part, not through a place the source names."
        )
    if len(routes) > 1:
        notes.append("Routes that share a stretch are drawn a few pixels apart.")
    unordered = sum(r.unordered for r in routes.values())
    if unordered:
        notes.append(f"{unordered} row{_s(unordered)} of a route without a position: drawn, "
                     "not joined to the line.")  # fmt: skip
    return notes


def _s(n: int) -> str:
    return "" if n == 1 else "s"
