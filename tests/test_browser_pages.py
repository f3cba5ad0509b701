"""Resource pages in a real headless Chromium, under the app's content security policy: the
neighbourhood graph draws and grows when a node is clicked (its neighbours fetched from
/neighbourhood), a corridor's page draws its route map, a page's timeline draws one mark per
dated thing. The live server serves the project's own build (tests/browser_support.py)."""

from __future__ import annotations

import json
from typing import Any

from tests.browser_support import BROWSER, fetch_json

pytestmark = BROWSER

KZ = "https://w3id.org/cakg/id/state/kazakhstan"
RUSSIA = "https://w3id.org/cakg/id/state/russia"
NODES = "#resource-graph g.nodes path"


def spec_of(pg: Any, name: str) -> dict[str, Any]:
    text = pg.locator(f'script.view-spec[data-name="{name}"]').text_content()
    spec: dict[str, Any] = json.loads(text)
    return spec


def test_the_neighbourhood_graph_draws_and_expands_on_click(page: Any, project_server: str) -> None:
    page.goto(project_server + "/page/state/kazakhstan")
    page.wait_for_selector('#resource-graph[data-drawn="yes"]')
    spec = spec_of(page, "neighbourhood")
    nodes = next(d for d in spec["data"] if d["name"] == "node-data")["values"]
    assert page.locator(NODES).count() == len(nodes) > 10
    assert page.locator("#resource-graph").get_attribute("data-expanded") == "1"
    expected = fetch_json(f"{project_server}/neighbourhood?iri={KZ}&iri={RUSSIA}")
    more = len(expected["nodes"])
    assert more > len(nodes)  # Russia's neighbours add to Kazakhstan's
    page.locator(f'{NODES}[aria-label="Russia"]').first.click()
    page.wait_for_selector('#resource-graph[data-expanded="2"]')
    page.wait_for_selector('#resource-graph[data-drawn="yes"]')
    page.wait_for_function(
        f"() => document.querySelectorAll({json.dumps(NODES)}).length === {more}"
    )
    assert "added" in page.locator("#graph-status").inner_text()
    assert page.url == project_server + "/page/state/kazakhstan"  # expanded, not followed
    # a second click on an expanded node opens its page
    page.locator(f'{NODES}[aria-label="Russia"]').first.click()
    page.wait_for_url(project_server + "/page/state/russia")


def test_a_corridor_page_draws_its_route_map(page: Any, project_server: str) -> None:
    page.goto(project_server + "/page/corridor/trans-caspian-international-transport-route")
    page.wait_for_selector('#route-map[data-drawn="yes"]')
    spec = spec_of(page, "route")
    data = {d["name"]: d for d in spec["data"]}
    segments = len(data["segments"]["values"])
    assert segments > 3
    page.wait_for_function(
        "() => document.querySelectorAll('#route-map g.countries path').length > 10"
    )
    assert page.locator("#route-map g.routes line").count() == segments
    assert page.locator("table.route-stops tbody tr").count() >= segments


def test_the_timeline_draws_each_dated_thing(page: Any, project_server: str) -> None:
    page.goto(project_server + "/page/state/kazakhstan")
    page.wait_for_selector('#resource-timeline[data-drawn="yes"]')
    events = spec_of(page, "timeline")["data"]["values"]
    assert len(events) > 5
    marks = page.locator(
        "#resource-timeline g.mark-symbol.role-mark path, "
        "#resource-timeline g.mark-rect.role-mark path"
    )
    assert marks.count() == len(events)
