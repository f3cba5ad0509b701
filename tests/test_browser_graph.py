"""The graph view in a real headless browser, under the pages' content security policy.

A small Flask app on 127.0.0.1 (a free port) serves one page under the app's policy: the
vendored Vega, Vega-Lite, vega-embed and vega-interpreter, static/views.js and views.css, and the
specification that cakg.views.graph writes for a real source of the project's build, in a
`<script type="application/json" class="view-spec">`. Chromium and the page that fails on a
JavaScript error or a CSP violation come from tests/browser_support.py; here any other console
error fails the test too.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, Response

import cakg.web
from cakg.build import BuildResult
from cakg.config import Settings
from cakg.engine import open_engine
from cakg.namespaces import BASE
from cakg.queries import load_catalogue
from cakg.queries.bind import run_saved
from cakg.views.graph import graph_view
from cakg.views.labels import Terms
from cakg.web import CONTENT_SECURITY_POLICY
from tests.browser_support import BROWSER, live_server
from tests.conftest import REPO

STATIC = Path(cakg.web.__file__).parent / "static"
SCRIPTS = (  # as templates/saved/views_head.html includes them
    "vendor/vega/vega.min.js",
    "vendor/vega-lite/vega-lite.min.js",
    "vendor/vega-embed/vega-embed.min.js",
    "vendor/vega-interpreter/vega-interpreter.js",
    "views.js",
)
SOURCE = "id:source/tokayev-aliyev-middle-corridor"

pytestmark = BROWSER


@pytest.fixture(scope="module")
def spec(project_build: BuildResult, project_settings: Settings) -> dict[str, Any]:
    """The graph view of one real source's statements."""
    engine = open_engine(project_settings)
    try:
        query = load_catalogue(REPO)["source-statements"]
        triples = run_saved(engine, query, {"source": [SOURCE]}).result.triples
        view = graph_view(engine, triples, Terms(BASE))
    finally:
        engine.close()
    assert view.spec is not None
    return view.spec


def page_html(spec: dict[str, Any]) -> str:
    data = json.dumps(spec).replace("<", "\\u003c")  # no "</script>" inside the script
    styles = '<link rel="stylesheet" href="/static/views.css">'
    scripts = "".join(f'<script src="/static/{s}"></script>' for s in SCRIPTS)
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Graph</title>{styles}'
        '</head><body><h1>Graph</h1><div id="g" class="view-canvas"></div>'
        f'<script type="application/json" class="view-spec" data-target="g">{data}</script>'
        f"{scripts}</body></html>"
    )


@pytest.fixture(scope="module")
def server(spec: dict[str, Any]) -> Iterator[str]:
    """The page at /, any other path a small page (where a node's link leads)."""
    app = Flask(__name__, static_folder=str(STATIC))

    @app.get("/")
    def index() -> Response:
        return Response(page_html(spec), mimetype="text/html")

    @app.get("/<path:path>")
    def elsewhere(path: str) -> Response:
        return Response(f"<!doctype html><title>{len(path)}</title>", mimetype="text/html")

    @app.after_request
    def policy(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY.format(
            style="", frame="'self'"
        )
        return response

    with live_server(app) as url:
        yield url


@pytest.fixture
def graph_page(page: Any, server: str) -> Iterator[Any]:
    """The page with the view drawn (browser_support's `page`: a JavaScript error or a CSP
    violation fails the test); so does any other error the console reports."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(server + "/")
    page.wait_for_function("() => ['yes', 'failed'].includes(document.getElementById('g')"
                           ".getAttribute('data-drawn'))")  # fmt: skip
    yield page
    assert not errors, errors


def centre(locator: Any) -> tuple[float, float]:
    box = locator.bounding_box()
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def data(spec: dict[str, Any], name: str) -> list[dict[str, Any]]:
    values: list[dict[str, Any]] = next(d["values"] for d in spec["data"] if d["name"] == name)
    return values


def test_every_node_and_link_is_drawn(graph_page: Any, spec: dict[str, Any]) -> None:
    page = graph_page
    assert page.get_attribute("#g", "data-drawn") == "yes"
    nodes, links = data(spec, "node-data"), data(spec, "link-data")
    assert len(nodes) > 50 and len(links) > 100
    assert page.locator("#g svg.marks g.nodes > path").count() == len(nodes)
    assert page.locator("#g svg.marks g.links > line").count() == len(links)
    assert page.locator("#g svg.marks g.arrows > path").count() == len(links)
    assert page.locator("#g svg.marks g.names > text").count() == len(nodes)
    # laid out: the nodes are spread over the picture, not piled at one point
    xs = {round(centre(page.locator("#g svg.marks g.nodes > path").nth(i))[0]) for i in range(20)}
    assert len(xs) > 10
    assert page.locator("style").count() == 0  # nothing styled inline (the CSP would block it)
    assert page.get_by_role("button", name="Download as SVG").is_visible()


def test_a_node_shows_its_details_on_hover(graph_page: Any, spec: dict[str, Any]) -> None:
    page = graph_page
    first = data(spec, "node-data")[0]  # the most connected node
    page.mouse.move(*centre(page.locator("#g svg.marks g.nodes > path").first))
    tooltip = page.locator("#vg-tooltip-element")
    tooltip.wait_for(state="visible")
    assert tooltip.locator("h2").inner_text() == first["tip"]["title"]
    keys = tooltip.locator("td.key").all_inner_texts()
    assert keys == [k for k in first["tip"] if k != "title"]
    assert tooltip.evaluate("e => getComputedStyle(e).position") == "fixed"  # views.css applies


def test_drag_moves_a_node_without_following_its_link(graph_page: Any, server: str) -> None:
    page = graph_page
    node = page.locator("#g svg.marks g.nodes > path").nth(3)
    x, y = centre(node)
    page.mouse.move(x, y)
    page.mouse.down()
    for step in range(1, 11):
        page.mouse.move(x + 8 * step, y + 6 * step)
    held = centre(node)
    assert abs(held[0] - (x + 80)) < 2 and abs(held[1] - (y + 60)) < 2  # under the pointer
    page.mouse.up()
    assert page.url == server + "/"  # letting go is no click on the link
    other = page.locator("#g svg.marks g.nodes > path").nth(1)
    with page.expect_navigation():
        page.mouse.click(*centre(other))
    assert page.url.startswith(server + "/id/")


def test_the_wheel_zooms_around_the_pointer(graph_page: Any) -> None:
    page = graph_page
    nodes = page.locator("#g svg.marks g.nodes > path")
    a, b = centre(nodes.nth(0)), centre(nodes.nth(1))
    page.mouse.move(*a)
    page.mouse.wheel(0, -400)
    page.wait_for_function(
        "([x, y]) => { const r = document.querySelectorAll('#g g.nodes > path')[0]"
        ".getBoundingClientRect(); return Math.abs(r.x + r.width / 2 - x) < 3; }",
        arg=list(a),
    )
    a2, b2 = centre(nodes.nth(0)), centre(nodes.nth(1))
    before = ((a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2) ** 0.5
    after = ((a2[0] - b2[0]) ** 2 + (a2[1] - b2[1]) ** 2) ** 0.5
    assert after > before * 1.3
    box = page.locator("#g svg.marks").bounding_box()
    page.mouse.dblclick(box["x"] + 10, box["y"] + box["height"] - 10)  # resets the zoom
    page.wait_for_function(
        "([x, y]) => { const r = document.querySelectorAll('#g g.nodes > path')[1]"
        ".getBoundingClientRect(); return Math.abs(r.x + r.width / 2 - x) < 1; }",
        arg=list(b),
    )
