"""The country shapes of the vendored world atlas, as the server needs them for a map.

The browser draws the shapes itself (the spec names the atlas by URL); the server reads the same
file for two things only: which ISO 3166-1 numeric codes have a shape, and one point inside each
shape, where a route that passes through a state is drawn (and which the map's extent must
hold). That point is the pole of inaccessibility of the state's largest part (the point inside
it farthest from its edges, found as mapbox's polylabel does), so it lies inside even a concave
or a wrapping country, unlike a centroid.

The atlas is world-atlas 2.0.2's countries-50m.json (Natural Earth 1:50m, TopoJSON, vendored
under web/static/vendor/): object `countries`, each geometry with `id` = the numeric code as a
three-digit string ("031" Azerbaijan) and `properties.name`. Read once per process, lazily.
"""

from __future__ import annotations

import heapq
import itertools
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

ATLAS_STATIC = "vendor/world-atlas/countries-50m.json"  # its path among the app's static files
ATLAS_FILE = Path(__file__).resolve().parents[1] / "web/static" / ATLAS_STATIC
MAX_RING = 400  # vertices of a ring kept for the anchor search (the drawing uses them all)

Point = tuple[float, float]  # (longitude, latitude)
Ring = tuple[Point, ...]
Polygon = tuple[Ring, ...]  # the outer ring, then its holes


@dataclass(frozen=True)
class Country:
    code: str  # ISO 3166-1 numeric, three digits
    name: str
    polygons: tuple[Polygon, ...]

    @cached_property
    def largest(self) -> Polygon:
        """The country's largest part (its mainland)."""
        return max(self.polygons, key=lambda p: abs(_area(p[0])))

    @cached_property
    def anchor(self) -> Point:
        """A point well inside the country's largest part (longitude, latitude)."""
        return polylabel(tuple(_thin(ring) for ring in self.largest))

    @cached_property
    def bounds(self) -> tuple[float, float, float, float]:
        """(west, south, east, north) of the country's largest part, in degrees."""
        xs = [x for x, _ in self.largest[0]]
        ys = [y for _, y in self.largest[0]]
        return (min(xs), min(ys), max(xs), max(ys))

    def contains(self, lon: float, lat: float) -> bool:
        return any(
            _inside(polygon, (lon + turn, lat)) for polygon in self.polygons for turn in (0, 360)
        )


@dataclass
class Atlas:
    countries: dict[str, Country] = field(default_factory=dict)

    def get(self, code: str | None) -> Country | None:
        return self.countries.get(code) if code else None

    def country_at(self, lon: float, lat: float) -> Country | None:
        """The country whose shape holds the point, or None (sea, or a lake such as the Caspian)."""
        return next((c for c in self.countries.values() if c.contains(lon, lat)), None)


@lru_cache(maxsize=2)
def load_atlas(path: Path = ATLAS_FILE) -> Atlas:
    """The countries of a world-atlas TopoJSON file, by numeric code."""
    topology = json.loads(Path(path).read_text(encoding="utf-8"))
    arcs = _decode_arcs(topology)
    atlas = Atlas()
    for geometry in topology["objects"]["countries"]["geometries"]:
        code = geometry.get("id")
        if not code or geometry.get("type") not in ("Polygon", "MultiPolygon"):
            continue
        parts = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
        polygons = tuple(tuple(_ring(arcs, ring) for ring in part) for part in parts)
        known = atlas.countries.get(code)  # one code, two features: Australia and its islets
        name = known.name if known else geometry["properties"]["name"]
        atlas.countries[code] = Country(code, name, (known.polygons if known else ()) + polygons)
    return atlas


def _decode_arcs(topology: dict[str, Any]) -> list[list[Point]]:
    """The arcs in degrees: quantized and delta-encoded when the topology has a transform."""
    transform = topology.get("transform")
    if transform is None:
        return [[(float(x), float(y)) for x, y, *_ in arc] for arc in topology["arcs"]]
    (sx, sy), (tx, ty) = transform["scale"], transform["translate"]
    decoded = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy, *_ in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        decoded.append(points)
    return decoded


def _ring(arcs: list[list[Point]], indexes: Sequence[int]) -> Ring:
    """A ring from its arcs, unwrapped where it crosses the antimeridian (Russia's mainland goes
    on east of 180° rather than jumping back to -180°), so that it is a plain planar polygon."""
    points: list[Point] = []
    for i in indexes:
        arc = arcs[i] if i >= 0 else arcs[~i][::-1]
        points.extend(arc if not points else arc[1:])
    shift = 0.0
    unwrapped = points[:1]
    for (x0, _), (x1, y1) in itertools.pairwise(points):
        if abs(x1 - x0) > 180:
            shift -= math.copysign(360, x1 - x0)
        unwrapped.append((x1 + shift, y1))
    return tuple(unwrapped)


def _thin(ring: Ring) -> Ring:
    step = max(1, math.ceil(len(ring) / MAX_RING))
    return ring if step == 1 else (*ring[::step], ring[0])


def _area(ring: Ring) -> float:
    """The ring's area in square degrees (planar, shoelace), signed by its winding."""
    return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in itertools.pairwise(ring)) / 2


def _inside(polygon: Polygon, point: Point) -> bool:
    """Even-odd rule over every ring: inside the outer ring and in no hole."""
    x, y = point
    inside = False
    for ring in polygon:
        for (x0, y0), (x1, y1) in itertools.pairwise(ring):
            if (y0 > y) != (y1 > y) and x < (x1 - x0) * (y - y0) / (y1 - y0) + x0:
                inside = not inside
    return inside


def _edge_distance(polygon: Polygon, point: Point, k: float) -> float:
    """Distance (in degrees of latitude) from the point to the nearest edge, with longitudes
    shrunk by k = cos(latitude) so that distances are nearly true on the ground."""
    px, py = point[0] * k, point[1]
    best = math.inf
    for ring in polygon:
        for (x0, y0), (x1, y1) in itertools.pairwise(ring):
            ax, bx = x0 * k, x1 * k
            dx, dy = bx - ax, y1 - y0
            length = dx * dx + dy * dy
            t = ((px - ax) * dx + (py - y0) * dy) / length if length else 0.0
            t = max(0.0, min(1.0, t))
            best = min(best, math.hypot(px - ax - t * dx, py - y0 - t * dy))
    return best


def polylabel(polygon: Polygon, precision: float = 0.05) -> Point:
    """The pole of inaccessibility of a polygon in degrees, to within PRECISION (mapbox's
    polylabel: refine the square cells that could still hold a farther point, best first)."""
    xs = [x for x, _ in polygon[0]]
    ys = [y for _, y in polygon[0]]
    k = math.cos(math.radians((min(ys) + max(ys)) / 2))

    def signed(x: float, y: float) -> float:
        d = _edge_distance(polygon, (x, y), k)
        return d if _inside(polygon, (x, y)) else -d

    size = max(max(xs) - min(xs), max(ys) - min(ys))
    half = size / 2
    best = (signed((min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2), (min(xs) + max(xs)) / 2,
            (min(ys) + max(ys)) / 2)  # fmt: skip
    cells: list[tuple[float, float, float, float, float]] = []

    def push(x: float, y: float, h: float) -> None:
        d = signed(x, y)
        heapq.heappush(cells, (-(d + h * math.sqrt(2)), d, x, y, h))

    x = min(xs)
    while x < max(xs):
        y = min(ys)
        while y < max(ys):
            push(x + half, y + half, half)
            y += size
        x += size
    while cells:
        bound, d, x, y, h = heapq.heappop(cells)
        if d > best[0]:
            best = (d, x, y)
        if -bound - best[0] <= precision:
            continue
        h /= 2
        for cx, cy in ((x - h, y - h), (x + h, y - h), (x - h, y + h), (x + h, y + h)):
            push(cx, cy, h)
    return (round(best[1], 2), round(best[2], 2))
