"""A map spec (cakg.views.map_spec) drawn by the vendored Vega in headless Chromium.

A tiny Flask app on 127.0.0.1 serves one page with the vendored scripts (vega, vega-lite,
vega-embed, vega-interpreter), static/views.js and a spec in a `view-spec` script, under the
app's own Content-Security-Policy; the atlas is the vendored world-atlas file. Chromium and
the live server come from tests/browser_support.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, Response, url_for

from cakg.build import BuildResult
from cakg.config import Settings
from cakg.engine import open_engine
from cakg.namespaces import BASE
from cakg.queries.bind import run_saved
from cakg.queries.header import load_catalogue
from cakg.views.geography import map_view
from cakg.views.labels import Terms
from cakg.views.map_spec import Area, Place, Segment, map_spec
from cakg.web import CONTENT_SECURITY_POLICY
from tests.browser_support import ARTIFACTS, BROWSER, TIMEOUT_MS, csp_violations, live_server

STATIC = Path(__file__).resolve().parents[1] / "src" / "cakg" / "web" / "static"
SCRIPTS = ["vendor/vega/vega.min.js", "vendor/vega-lite/vega-lite.min.js",
           "vendor/vega-embed/vega-embed.min.js", "vendor/vega-interpreter/vega-interpreter.js",
           "views.js"]  # fmt: skip
PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Map</title>
<link rel="stylesheet" href="{css}">
{scripts}
</head><body><main><div id="map"></div>
<script type="application/json" class="view-spec" data-target="map" data-name="map">{spec}</script>
</main></body></html>
"""

pytestmark = BROWSER


def sample_spec(atlas_url: str) -> dict[str, Any]:
    """Three places, two states as areas and a route through them."""
    astana = Place(0, "https://w3id.org/cakg/id/city/astana", "Astana", "/id/city/astana",
                   71.43, 51.17, "point", "398")  # fmt: skip
    baku = Place(1, "https://w3id.org/cakg/id/city/baku", "Baku", "/id/city/baku", 49.88, 40.38,
                 "point", "031")  # fmt: skip
    turkmenistan = Place(2, "https://w3id.org/cakg/id/state/turkmenistan", "Turkmenistan",
                         "/id/state/turkmenistan", 58.95, 39.64, "area", "795")  # fmt: skip
    for n, place in enumerate((astana, turkmenistan, baku)):
        place.route, place.route_label, place.position = "r", "A route", float(n + 1)
    areas = [Area("398", "https://w3id.org/cakg/id/state/kazakhstan", "Kazakhstan",
                  "/id/state/kazakhstan"),
             Area("795", turkmenistan.iri or "", "Turkmenistan", turkmenistan.href)]  # fmt: skip
    segments = [Segment("r", "A route", astana, turkmenistan, 0.0),
                Segment("r", "A route", turkmenistan, baku, 0.0)]  # fmt: skip
    return map_spec([astana, turkmenistan, baku], areas, segments, ["A route"], atlas_url)


def map_app(spec: dict[str, Any] | None = None) -> Flask:
    """One page drawing SPEC (else `sample_spec`), with the static files, under the app's
    policy."""
    app = Flask("maps", static_folder=str(STATIC))

    @app.get("/")
    def page() -> str:
        atlas = url_for("static", filename="vendor/world-atlas/countries-50m.json")
        text = json.dumps(spec or sample_spec(atlas)).replace("<", "\\u003c")
        scripts = "\n".join(
            f'<script src="{url_for("static", filename=s)}"></script>' for s in SCRIPTS
        )
        css = url_for("static", filename="views.css")
        return PAGE.format(css=css, scripts=scripts, spec=text)

    @app.get("/favicon.ico")
    def icon() -> Response:
        return Response(status=204)

    @app.after_request
    def policy(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY.format(
            style="", frame="'self'"
        )
        return response

    return app


@pytest.fixture(scope="module")
def map_server() -> Iterator[str]:
    with live_server(map_app()) as url:
        yield url


@pytest.fixture
def map_page(browser: Any, map_server: str) -> Iterator[tuple[Any, list[str], list[str]]]:
    """The map page, drawn; with the page's errors and the console's CSP reports."""
    context = browser.new_context(viewport={"width": 1000, "height": 800})
    pg = context.new_page()
    pg.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    violations = csp_violations(pg)
    pg.goto(map_server + "/")
    pg.wait_for_selector("#map[data-drawn=yes]")
    pg.wait_for_function("() => document.querySelectorAll('#map g.countries path').length > 10")
    yield pg, errors, violations
    pg.screenshot(path=str(ARTIFACTS / "map.png"), full_page=True)
    context.close()


def country_path(pg: Any) -> str:
    d: str = pg.locator("#map g.countries path").first.get_attribute("d")
    return d


def test_countries_are_drawn_without_a_policy_violation(map_page: tuple[Any, Any, Any]) -> None:
    pg, errors, violations = map_page
    assert pg.locator("#map g.countries path").count() > 100  # Natural Earth has 241 countries
    assert pg.locator("#map g.places path").count() == 3
    assert pg.locator("#map g.routes line").count() == 2
    assert errors == []
    assert violations == []


def test_wheel_zooms_and_drag_pans(map_page: tuple[Any, Any, Any]) -> None:
    pg, errors, _ = map_page
    zoom = pg.locator("#map input[type=range]")
    assert float(zoom.input_value()) == 1
    before = country_path(pg)
    box = pg.locator("#map svg").bounding_box()
    pg.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    pg.mouse.wheel(0, -400)
    pg.wait_for_function("() => +document.querySelector('#map input[type=range]').value > 1")
    zoomed = country_path(pg)
    assert zoomed != before
    pg.mouse.down()
    pg.mouse.move(box["x"] + box["width"] / 2 + 80, box["y"] + box["height"] / 2 + 40, steps=4)
    pg.mouse.up()
    pg.wait_for_function(f"() => document.querySelector('#map g.countries path')"
                         f".getAttribute('d') !== {json.dumps(zoomed)}")  # fmt: skip
    assert float(zoom.input_value()) > 1  # a drag pans, it does not zoom
    assert errors == []


def test_a_point_links_to_its_page(map_page: tuple[Any, Any, Any], map_server: str) -> None:
    """Vega draws no <a>: a click on a mark with an href follows it."""
    pg, _, _ = map_page
    astana = pg.locator("#map g.places path").first.bounding_box()
    pg.mouse.click(astana["x"] + astana["width"] / 2, astana["y"] + astana["height"] / 2)
    pg.wait_for_url(map_server + "/id/city/astana")


def test_the_corridor_routes_of_the_project_are_drawn(
    browser: Any, project_build: BuildResult, project_settings: Settings
) -> None:
    """The real corridor-route answer: one line per stretch, one dot per place, and labels."""
    q = load_catalogue(project_settings.root)["corridor-route"]
    engine = open_engine(project_settings)
    try:
        result = run_saved(engine, q, {}).result
        atlas = "/static/vendor/world-atlas/countries-50m.json"
        view = map_view(engine, q.view, result.variables, result.rows, Terms(BASE), atlas)
    finally:
        engine.close()
    assert view.spec is not None
    data = {d["name"]: d for d in view.spec["data"]}
    context = browser.new_context(viewport={"width": 1000, "height": 800})
    with live_server(map_app(view.spec)) as url:
        pg = context.new_page()
        pg.set_default_timeout(TIMEOUT_MS)
        errors: list[str] = []
        pg.on("pageerror", lambda e: errors.append(str(e)))
        pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        pg.goto(url + "/")
        pg.wait_for_function("() => document.querySelectorAll('#map g.countries path').length > 10")
        assert pg.locator("#map g.routes line").count() == len(data["segments"]["values"])
        dots = [d for d in data["rows"]["values"] if d["first"]]
        assert pg.locator("#map g.places path").count() == len(dots)
        shown = pg.locator("#map g.labels text").evaluate_all(
            "ts => ts.filter(t => t.getAttribute('opacity') !== '0').map(t => t.textContent)"
        )
        pg.screenshot(path=str(ARTIFACTS / "map-corridor-route.png"), full_page=True)
        context.close()
    assert {"Kazakhstan", "Baku", "Turkey"} <= set(shown)
    assert errors == []
