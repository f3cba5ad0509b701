"""The map on a resource's page: its point(s) and those of the places it links to, drawn in SVG
coordinates (an equirectangular projection with a graticule) for templates/linked/resource.html."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cakg.resource_description import Description, Point


@dataclass
class MapView:
    width: int
    height: int
    places: list[dict[str, Any]]
    lines: list[dict[str, Any]]


def map_view(
    d: Description, label: Callable[[str], str], link: Callable[[str], str], width: int = 400
) -> MapView | None:
    """An equirectangular map of the resource's point(s) and of the places it links to, each
    with its LABEL and LINK (functions of an IRI)."""
    iri = str(d.iri)
    linked = {str(st.object) for st in d.own()} | {str(st.subject) for st in d.backlinks}
    places: list[tuple[str, Point, bool]] = [(iri, p, True) for p in d.points.get(iri, [])]
    for other in sorted(linked - {iri}):
        places.extend((other, p, False) for p in d.points.get(other, []))
    if not places:
        return None
    lons = [p.lon for _i, p, _m in places]
    lats = [p.lat for _i, p, _m in places]
    span = max(max(lons) - min(lons), max(lats) - min(lats), 4.0) * 1.3
    mid_lon, mid_lat = (max(lons) + min(lons)) / 2, (max(lats) + min(lats)) / 2
    x_scale = max(math.cos(math.radians(mid_lat)), 0.2)
    west, east = mid_lon - span / 2 / x_scale, mid_lon + span / 2 / x_scale
    south, north = mid_lat - span / 2, mid_lat + span / 2
    height = round(width * (north - south) / ((east - west) * x_scale))

    def x(lon: float) -> float:
        return round((lon - west) / (east - west) * width, 1)

    def y(lat: float) -> float:
        return round((north - lat) / (north - south) * height, 1)

    step = next(s for s in (1, 2, 5, 10, 20, 30) if span / s <= 8)
    lines = []
    for lon in range(math.ceil(west / step) * step, math.floor(east) + 1, step):
        lines.append({"x1": x(lon), "y1": 0, "x2": x(lon), "y2": height, "text": f"{lon}°"})
    for lat in range(math.ceil(south / step) * step, math.floor(north) + 1, step):
        lines.append({"x1": 0, "y1": y(lat), "x2": width, "y2": y(lat), "text": f"{lat}°"})
    shown = [
        {
            "x": x(p.lon),
            "y": y(p.lat),
            "label": label(i),
            "href": link(i),
            "main": main,
            "lon": round(p.lon, 4),
            "lat": round(p.lat, 4),
        }
        for i, p, main in places
    ]
    return MapView(width, height, shown, lines)
