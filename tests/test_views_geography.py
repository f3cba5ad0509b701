"""Maps (cakg.views.geography, map_spec, atlas) of the saved queries on the project's own build:
the Vega spec's data, read without a browser (tests/test_browser_maps.py draws one)."""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterator
from typing import Any

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS

from cakg.build import BuildResult
from cakg.config import Settings
from cakg.engine import Engine, open_engine
from cakg.engine.base import QueryResult
from cakg.namespaces import BASE, CAKG
from cakg.queries.bind import run_saved
from cakg.queries.header import VIEW_KEYS, load_catalogue
from cakg.views import View
from cakg.views.atlas import load_atlas, polylabel
from cakg.views.base import VEGA_SCHEMA
from cakg.views.geography import map_view
from cakg.views.labels import Terms, point_of
from cakg.views.map_labels import ANCHORS, projected, text_box
from tests.project_graphs import REPO

ATLAS_URL = "/static/vendor/world-atlas/countries-50m.json"
TITR = "https://w3id.org/cakg/id/corridor/trans-caspian-international-transport-route"
NSTC = "https://w3id.org/cakg/id/corridor/north-south-transport-corridor"
STATE = "https://w3id.org/cakg/id/state/"
CODES = {"kazakhstan": "398", "russia": "643", "china": "156", "uzbekistan": "860",
         "tajikistan": "762", "azerbaijan": "031", "turkmenistan": "795", "georgia": "268",
         "turkey": "792", "belarus": "112"}  # fmt: skip
CATALOGUE = load_catalogue(REPO)


@pytest.fixture(scope="module")
def real_engine(project_build: BuildResult, project_settings: Settings) -> Iterator[Engine]:
    engine = open_engine(project_settings)
    yield engine
    engine.close()


def draw(engine: Engine, name: str, **raw: list[str]) -> tuple[QueryResult, View]:
    q = CATALOGUE[name]
    result = run_saved(engine, q, raw).result
    view = map_view(engine, q.view, result.variables, result.rows, Terms(BASE), ATLAS_URL)
    return result, view


def data(view: View, name: str) -> Any:
    assert view.spec is not None
    return next(d for d in view.spec["data"] if d["name"] == name)


def rows_drawn(view: View) -> list[dict[str, Any]]:
    values: list[dict[str, Any]] = data(view, "rows")["values"]
    return values


def cell(result: QueryResult, row: tuple[Any, ...], name: str) -> Any:
    return row[result.variables.index(name)]


def kinds(engine: Engine, iris: set[str]) -> dict[str, tuple[bool, str | None]]:
    """Whether each IRI is a cakg:State, and its WKT point, asked of the engine directly."""
    values = " ".join(f"<{i}>" for i in sorted(iris))
    sparql = f"""SELECT ?s ?state ?wkt WHERE {{ VALUES ?s {{ {values} }}
      BIND(EXISTS {{ ?s a <{CAKG}State> }} AS ?state)
      OPTIONAL {{ ?s <http://www.opengis.net/ont/geosparql#hasGeometry>/
                     <http://www.opengis.net/ont/geosparql#asWKT> ?wkt }} }}"""
    return {
        str(s): (bool(state.toPython()), str(wkt) if wkt is not None else None)
        for s, state, wkt in engine.query(sparql).rows
        if isinstance(state, Literal)
    }


# --- the view keys ----------------------------------------------------------------------------


def test_map_view_keys_are_declared() -> None:
    assert {"route", "order", "area", "geometry", "label"} <= VIEW_KEYS
    assert CATALOGUE["places-map"].view == {
        "type": "map", "geometry": "wkt", "label": "label", "area": "state"}  # fmt: skip
    assert CATALOGUE["corridor-route"].view == {
        "type": "map", "geometry": "place", "label": "placeLabel", "area": "place",
        "route": "corridor", "order": "position"}  # fmt: skip


# --- places-map ---------------------------------------------------------------------------------


def test_every_place_is_drawn_once_at_its_point_with_its_link(real_engine: Engine) -> None:
    result, view = draw(real_engine, "places-map")
    drawn = rows_drawn(view)
    assert view.kind == "map" and view.spec is not None
    assert view.spec["$schema"] == VEGA_SCHEMA
    assert sorted(d["row"] for d in drawn) == list(range(len(result.rows)))  # each row once
    assert view.marks == len(result.rows) == 15
    assert view.notes == []  # every row has a point
    for d in drawn:
        row = result.rows[d["row"]]
        assert (d["lon"], d["lat"]) == point_of(str(cell(result, row, "wkt")))
        assert d["at"] == "point"
        assert d["label"] == str(cell(result, row, "label"))
        place = str(cell(result, row, "place"))
        assert d["iri"] == place and d["href"] == "/" + place.removeprefix(BASE)
        assert d["tip"]["title"] == d["label"]
        assert re.fullmatch(r"\d+\.\d\d° [NS], \d+\.\d\d° [EW]", d["tip"]["Coordinates"])
    astana = next(d for d in drawn if d["label"] == "Astana")
    assert astana["href"] == "/id/city/astana"
    assert astana["tip"]["Coordinates"] == "51.17° N, 71.43° E"


def test_the_states_of_the_places_are_areas_by_numeric_code(real_engine: Engine) -> None:
    result, view = draw(real_engine, "places-map")
    states = {str(cell(result, row, "state")) for row in result.rows} - {"None"}
    areas = {a["iri"]: a["code"] for a in data(view, "areas")["values"]}
    assert set(areas) == states
    assert areas == {iri: CODES[iri.removeprefix(STATE)] for iri in states}
    assert {STATE + "kazakhstan", STATE + "russia", STATE + "azerbaijan"} <= states
    kazakh = [d for d in rows_drawn(view) if d["label"] in ("Astana", "Aktau", "Taraz")]
    assert {d["area"] for d in kazakh} == {"398"}
    atlas = data(view, "atlas")  # the countries take their area by their `id`
    assert atlas["transform"] == [{"type": "lookup", "from": "areas", "key": "code",
                                   "fields": ["id"], "as": ["area"]}]  # fmt: skip


# --- corridor-route -----------------------------------------------------------------------------


def test_every_route_row_with_a_position_is_drawn_once(real_engine: Engine) -> None:
    result, view = draw(real_engine, "corridor-route")
    places = {str(cell(result, row, "place")) for row in result.rows}
    known = kinds(real_engine, places)
    drawn = {d["row"]: d for d in rows_drawn(view)}
    assert len(drawn) == len(rows_drawn(view))  # no row twice
    unplaced = 0
    for index, row in enumerate(result.rows):
        place = str(cell(result, row, "place"))
        state, wkt = known[place]
        if state:  # a state: its shape, and a point inside it for the line
            assert drawn[index]["at"] == "area"
            assert drawn[index]["area"] == CODES[place.removeprefix(STATE)]
            assert load_atlas().get(drawn[index]["area"]).contains(  # type: ignore[union-attr]
                drawn[index]["lon"], drawn[index]["lat"])  # fmt: skip
        elif wkt is not None:
            assert drawn[index]["at"] == "point"
            assert (drawn[index]["lon"], drawn[index]["lat"]) == point_of(wkt)
        else:
            assert index not in drawn
            unplaced += 1
        if index in drawn:
            assert drawn[index]["route"] == str(cell(result, row, "corridor"))
            assert drawn[index]["position"] == float(cell(result, row, "position"))
    assert unplaced == 4  # the Kazakhstan-China border, the Caspian, Europe, the Indian Ocean
    assert view.marks == len(drawn) == len(result.rows) - unplaced
    assert view.notes[0] == "4 rows have no position on the map and are listed in the table below."
    codes = {a["code"] for a in data(view, "areas")["values"]}
    assert codes == {d["area"] for d in drawn.values() if d["at"] == "area"}


def test_the_trans_caspian_route_follows_its_passages(real_engine: Engine) -> None:
    result, view = draw(real_engine, "corridor-route", corridor=[TITR])
    route = [d for d in rows_drawn(view) if d["route"] == TITR]
    assert [d["label"] for d in route] == [
        "Kazakhstan", "Turkmenistan", "Azerbaijan", "Georgia", "Turkey"]  # fmt: skip
    positions = [d["position"] for d in route]
    assert positions == sorted(positions) == [2.0, 3.0, 4.0, 5.0, 6.0]
    segments = data(view, "segments")["values"]
    ends = [((s["lon1"], s["lat1"]), (s["lon2"], s["lat2"])) for s in segments]
    points = [(d["lon"], d["lat"]) for d in route]
    assert ends == list(itertools.pairwise(points))  # one line, in passage order
    assert {s["routeLabel"] for s in segments} == {"Trans-Caspian International Transport Route"}
    assert view.marks == 5
    assert view.notes[0] == "3 rows have no position on the map and are listed in the table below."
    assert len(result.rows) == 8


def test_places_sharing_a_position_are_each_joined(real_engine: Engine) -> None:
    _, view = draw(real_engine, "corridor-route", corridor=[NSTC])
    route = rows_drawn(view)
    first = sorted(d["label"] for d in route if d["position"] == 1.0)
    assert first == ["Belarus", "Russia"]
    segments = data(view, "segments")["values"]
    assert sorted(s["tip"]["Stretch"] for s in segments) == [
        "Belarus → Kazakhstan", "Russia → Kazakhstan"]  # fmt: skip
    assert any("have no order between them" in note for note in view.notes)


def test_routes_are_told_apart(real_engine: Engine) -> None:
    result, view = draw(real_engine, "corridor-route")
    assert view.spec is not None
    labels = list(dict.fromkeys(str(cell(result, row, "corridorLabel")) for row in result.rows))
    scales = {s["name"]: s for s in view.spec["scales"]}
    assert scales["routeColour"]["domain"] == scales["routeDash"]["domain"] == labels
    n = len(labels)
    assert n == 6
    assert len(set(scales["routeColour"]["range"][:n])) == n
    assert len({tuple(d) for d in scales["routeDash"]["range"][:n]}) == n
    legend = view.spec["legends"][0]
    assert (legend["stroke"], legend["strokeDash"]) == ("routeColour", "routeDash")
    offsets = {s["routeLabel"]: s["offset"] for s in data(view, "segments")["values"]}
    assert len(set(offsets.values())) == len(offsets)  # each route drawn to its own side
    assert "Routes that share a stretch are drawn a few pixels apart." in view.notes


# --- the projection, the atlas, zoom ------------------------------------------------------------


def mercator_y(lat: float) -> float:
    return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


@pytest.mark.parametrize(
    ("name", "raw"),
    [("places-map", {}), ("corridor-route", {}), ("corridor-route", {"corridor": [TITR]})],
)
def test_the_projection_fits_the_rows_with_a_margin(
    real_engine: Engine, name: str, raw: dict[str, list[str]]
) -> None:
    """At any width, every drawn row lies inside the view, at least 20 px from its edges, and
    the view is not the whole world."""
    _, view = draw(real_engine, name, **raw)
    assert view.spec is not None
    [projection] = view.spec["projections"]
    assert projection["type"] == "mercator"
    assert projection["scale"] == {"signal": "mapScale"}
    signals = {s["name"]: s for s in view.spec["signals"]}
    span_x, span_y = signals["spanX"]["value"], signals["spanY"]["value"]
    assert span_x < math.radians(120)  # a third of the world's 360° at most
    lon0, lat0 = projection["center"]
    for width in (360, 720, 1200):
        height = round(min(max(width * span_y / span_x, 280), 620))
        scale = min(width / span_x, height / span_y)
        for d in rows_drawn(view):
            x = width / 2 + scale * math.radians(d["lon"] - lon0)
            y = height / 2 - scale * (mercator_y(d["lat"]) - mercator_y(lat0))
            assert 20 <= x <= width - 20 and 20 <= y <= height - 20, (d["label"], width, x, y)


def test_countries_come_from_the_atlas_url_over_water(real_engine: Engine) -> None:
    _, view = draw(real_engine, "places-map")
    assert view.spec is not None
    atlas = data(view, "atlas")
    assert atlas["url"] == ATLAS_URL
    assert atlas["format"] == {"type": "topojson", "feature": "countries"}
    group = view.spec["marks"][0]
    assert group["clip"] is True
    names = [m["name"] for m in group["marks"]]
    assert names.index("water") < names.index("countries")  # the water under the land
    countries = group["marks"][names.index("countries")]
    assert countries["from"] == {"data": "atlas"}
    assert countries["transform"] == [{"type": "geoshape", "projection": "projection"}]
    assert countries["encode"]["update"]["stroke"]  # borders and coastlines
    world = load_atlas()
    assert world.country_at(50.5, 42.0) is None  # the Caspian Sea is water
    assert world.country_at(51.15, 43.65).name == "Kazakhstan"  # type: ignore[union-attr]  # Aktau
    assert world.country_at(49.88, 40.38).name == "Azerbaijan"  # type: ignore[union-attr]  # Baku


def test_wheel_drag_and_a_control_zoom_and_pan(real_engine: Engine) -> None:
    _, view = draw(real_engine, "places-map")
    assert view.spec is not None
    signals = {s["name"]: s for s in view.spec["signals"]}
    zoom = signals["zoom"]
    assert zoom["bind"]["input"] == "range"  # the keyboard's way
    assert [h["events"] for h in zoom["on"]] == [{"type": "wheel", "consume": True}, "dblclick"]
    frame_events = [h["events"] for h in signals["frame"]["on"]]
    assert {"signal": "zoom"} in frame_events
    assert any("mousemove" in str(e) for e in frame_events)
    assert "frame.k" in signals["mapScale"]["update"]
    [projection] = view.spec["projections"]
    assert "frame.x" in projection["translate"]["signal"]


def test_points_link_and_say_where_they_are(real_engine: Engine) -> None:
    _, view = draw(real_engine, "corridor-route")
    assert view.spec is not None
    marks = {m["name"]: m for m in view.spec["marks"][0]["marks"]}
    assert marks["places"]["encode"]["update"]["href"] == {"field": "href"}
    assert marks["places"]["encode"]["update"]["tooltip"] == {"field": "tip"}
    kazakhstan = next(d for d in rows_drawn(view) if d["label"] == "Kazakhstan" and d["first"])
    assert kazakhstan["href"] == "/id/state/kazakhstan"
    assert kazakhstan["tip"]["Drawn at"].endswith("(a point inside the state)")
    assert kazakhstan["tip"]["Routes"].count(";") == 3  # on four routes, drawn once
    assert sum(d["first"] for d in rows_drawn(view) if d["label"] == "Kazakhstan") == 1


def label_boxes(view: View, width: int, zoom: float) -> tuple[list[Any], list[Any]]:
    """The boxes (in pixels) of the labels shown and of the dots, at WIDTH and ZOOM."""
    assert view.spec is not None
    signals = {s["name"]: s for s in view.spec["signals"]}
    span_x, span_y = signals["spanX"]["value"], signals["spanY"]["value"]
    height = min(max(width * span_y / span_x, 280), 620)
    scale = min(width / span_x, height / span_y) * zoom
    labels, dots = [], []
    for d in rows_drawn(view):
        if not d["first"]:
            continue
        x, y = (v * scale for v in projected(d["lon"], d["lat"]))
        dots.append((x - 5, y - 5, x + 5, y + 5))
        if d["labelScale"] is not None and scale >= d["labelScale"]:
            anchor = next(a for a, v in ANCHORS.items() if v[:2] == (d["labelDx"], d["labelDy"]))
            x0, y0, x1, y1 = text_box(d["label"], anchor)
            labels.append((x + x0, y + y0, x + x1, y + y1))
    return labels, dots


def overlap(a: Any, b: Any) -> bool:
    return bool(a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3])


@pytest.mark.parametrize("name", ["places-map", "corridor-route"])
def test_labels_shown_never_overlap_and_all_show_when_zoomed_in(
    real_engine: Engine, name: str
) -> None:
    _, view = draw(real_engine, name)
    for width, zoom in [(360, 1), (720, 1), (720, 0.5), (1200, 1), (1200, 3)]:
        labels, dots = label_boxes(view, width, zoom)
        for i, box in enumerate(labels):
            assert not any(overlap(box, other) for other in labels[i + 1 :]), (width, zoom)
            assert not any(overlap(box, dot) for dot in dots), (width, zoom)
    shown, dots = label_boxes(view, 720, 1)
    assert len(shown) >= len(dots) * 2 // 3  # most labels at the first sight
    assert len(label_boxes(view, 720, 40)[0]) == len(dots)  # every label, zoomed in


# --- the states' numeric codes and the atlas ----------------------------------------------------


def test_every_state_has_the_numeric_code_of_its_atlas_shape(reference: Graph) -> None:
    atlas = load_atlas()
    states = set(reference.subjects(RDF.type, CAKG.State))
    assert len(states) >= 14
    for state in states:
        [code] = reference.objects(state, CAKG.iso3166Numeric)
        assert re.fullmatch(r"[0-9]{3}", str(code)), state
        [label] = [x for x in reference.objects(state, RDFS.label) if x.language == "en"]
        country = atlas.get(str(code))
        assert country is not None and country.name == str(label), (state, code)
        assert country.contains(*country.anchor)
    assert str(reference.value(URIRef(STATE + "azerbaijan"), CAKG.iso3166Numeric)) == "031"


def test_the_inner_point_of_a_concave_shape_lies_inside_it() -> None:
    ell = (((0.0, 0.0), (10.0, 0.0), (10.0, 2.0), (2.0, 2.0), (2.0, 10.0), (0.0, 10.0),
            (0.0, 0.0)),)  # fmt: skip
    x, y = polylabel(ell, precision=0.01)
    assert 0 < x < 2 or 0 < y < 2  # in one of the arms, not at the centroid (3.3, 3.3)
    assert not (x > 2 and y > 2)


def test_a_state_alone_is_seen_whole(real_engine: Engine) -> None:
    """A map of states only (as on a state's page): the extent holds each state's mainland."""
    view = map_view(real_engine, {"type": "map", "geometry": "place", "area": "place"}, ["place"],
                    [(URIRef(STATE + "belarus"),)], Terms(BASE), ATLAS_URL)  # fmt: skip
    assert view.spec is not None and view.marks == 1
    [[west, south], [east, north]] = view.spec["usermeta"]["extent"]
    w, s, e, n = load_atlas().countries["112"].bounds
    assert west < w < e < east and south < s < n < north
    assert [a["code"] for a in data(view, "areas")["values"]] == ["112"]


def test_a_shape_across_the_antimeridian_is_one_piece() -> None:
    """Russia's mainland runs on past 180° east instead of folding back, so its inner point and
    its bounds are those of the mainland, and nothing else is taken for Russia."""
    atlas = load_atlas()
    russia = atlas.countries["643"]
    west, _, east, _ = russia.bounds
    assert 25 < west < 30 and east > 180  # from the Baltic to Chukotka
    assert russia.contains(*russia.anchor) and russia.contains(-175.0, 66.0)  # Chukotka
    assert atlas.country_at(-150.0, 66.0).name == "United States of America"  # type: ignore[union-attr]
    assert atlas.country_at(20.0, 68.0).name == "Sweden"  # type: ignore[union-attr]
    assert atlas.countries["036"].name == "Australia"  # its islets share the code
