"""The views of saved queries in Chromium: charts, timelines, export, sharing and embedding.

Each chart is checked against the saved query's own JSON: one mark per row and value (or a note
counting the rest), every bar inside its plot (the axis contains the data), no year printed as
1 January. Fixtures (Chromium, the live server, a page that fails on CSP violations and
JavaScript errors) are in tests/browser_support.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from urllib.request import urlopen

import pytest
from flask import Flask
from rdflib import Graph

from tests.browser_support import (
    ARTIFACTS,
    BROWSER,
    RUSSIA,
    TIMEOUT_MS,
    fetch_json,
    live_server,
    no_horizontal_overflow,
    saved_rows,
)

pytestmark = BROWSER

BARS = ["trade-turnover-by-year", "corridor-cargo", "trade-targets", "trade-partners-ranked"]
TIMELINES = ["visits", "relation-levels", "agreements-between"]
FIRST_OF_JANUARY = re.compile(r"\b\d{4}-01-01\b")

BAR_CHECK = """(root) => {
  const bars = [...root.querySelectorAll('g.mark-rect.role-mark path')];
  const outside = [];
  for (const bar of bars) {
    const cell = bar.closest('g.mark-group.role-scope');
    const frame = cell && cell.querySelector('path.background');
    if (!frame) { outside.push('no frame'); continue; }
    const b = bar.getBoundingClientRect(), f = frame.getBoundingClientRect();
    if (b.top < f.top - 0.5 || b.bottom > f.bottom + 0.5) {
      outside.push(bar.getAttribute('aria-label'));
    }
  }
  return { bars: bars.length, outside };
}"""


def view(name: str) -> dict[str, Any]:
    return next(q["view"] for q in QUERIES if q["name"] == name)


QUERIES: list[dict[str, Any]] = []


@pytest.fixture(scope="module", autouse=True)
def catalogue(project_server: str) -> None:
    QUERIES[:] = fetch_json(project_server + "/queries")["queries"]


def open_drawn(page: Any, url: str) -> Any:
    page.goto(url)
    canvas = page.locator(".view-canvas")
    page.locator(".view-canvas[data-drawn=yes]").first.wait_for()
    return canvas.first


@pytest.mark.parametrize("name", BARS)
def test_every_value_is_a_bar_inside_its_plot(page: Any, project_server: str, name: str) -> None:
    canvas = open_drawn(page, f"{project_server}/queries/{name}.html")
    rows = saved_rows(project_server, name)
    ys = view(name)["y"] if isinstance(view(name)["y"], list) else [view(name)["y"]]
    values = [r[y] for r in rows for y in ys if r.get(y)]
    found = canvas.evaluate(BAR_CHECK)
    assert found["bars"] == len(values) > 0
    assert found["outside"] == []  # the axis contains every value: no bar cut off
    texts = canvas.inner_text() + page.locator("table").first.inner_text()
    assert not FIRST_OF_JANUARY.search(texts)
    page.screenshot(path=str(ARTIFACTS / f"view-bar-{name}.png"), full_page=True)


@pytest.mark.parametrize("name", TIMELINES)
def test_timelines_draw_each_dated_event_and_count_the_rest(
    page: Any, project_server: str, name: str
) -> None:
    canvas = open_drawn(page, f"{project_server}/queries/{name}.html")
    rows = saved_rows(project_server, name)
    spec = view(name)
    labels = spec["label"] if isinstance(spec["label"], list) else [spec["label"]]
    dated = {
        (tuple(r.get(f) for f in labels), r[spec["date"]]) for r in rows if r.get(spec["date"])
    }
    undated = {tuple(r.get(f) for f in labels) for r in rows if not r.get(spec["date"])}
    marks = canvas.locator("g.mark-rect.role-mark path, g.mark-symbol.role-mark path").count()
    assert marks == len(dated) > 0
    caption = page.locator("figure.view figcaption").inner_text()
    if undated:
        assert f"{len(undated)} undated, listed below." in caption
    assert not FIRST_OF_JANUARY.search(canvas.inner_text() + caption)
    page.screenshot(path=str(ARTIFACTS / f"view-timeline-{name}.png"), full_page=True)


def test_a_shared_address_runs_the_query_again(page: Any, project_server: str) -> None:
    page.goto(project_server + "/queries")
    section = page.locator("#trade-turnover-by-year")
    section.locator("select[name=partner]").select_option(label="Russia")
    section.get_by_role("button", name="Run").click()
    section.locator(".view-canvas[data-drawn=yes]").wait_for()
    assert page.url.endswith("#trade-turnover-by-year") and "partner=" in page.url
    shared = page.url
    other = page.context.new_page()
    other.set_default_timeout(TIMEOUT_MS)
    other.goto(shared)  # nothing clicked: the address alone runs it
    again = other.locator("#trade-turnover-by-year")
    again.locator(".view-canvas[data-drawn=yes]").wait_for()
    rows = saved_rows(project_server, "trade-turnover-by-year", partner=RUSSIA)
    assert again.locator("tbody tr").count() == len(rows) > 0
    assert again.locator("select[name=partner]").input_value() == RUSSIA
    other.close()


def test_a_shared_address_may_name_the_partner(page: Any, project_server: str) -> None:
    """The query takes a label for an IRI; so does the gallery's address."""
    page.goto(project_server + "/queries?partner=russia#trade-turnover-by-year")
    section = page.locator("#trade-turnover-by-year")
    section.locator(".view-canvas[data-drawn=yes]").wait_for()
    assert section.locator("select[name=partner]").input_value() == RUSSIA
    rows = saved_rows(project_server, "trade-turnover-by-year", partner=RUSSIA)
    assert section.locator("tbody tr").count() == len(rows) > 0


def test_the_page_of_a_query_links_its_answer_and_its_embed(page: Any, project_server: str) -> None:
    open_drawn(page, f"{project_server}/queries/trade-turnover-by-year.html?partner={RUSSIA}")
    share = page.locator("a.share-link").get_attribute("href")
    assert share.startswith("/queries/trade-turnover-by-year.html?") and "partner=" in share
    embed = page.locator("a.embed-link").get_attribute("href")
    assert embed.startswith("/queries/trade-turnover-by-year/embed?")


@pytest.mark.parametrize(("action", "magic"), [("SVG", b"<svg"), ("PNG", b"\x89PNG")])
def test_a_chart_downloads_as_svg_and_png(
    page: Any, project_server: str, action: str, magic: bytes
) -> None:
    open_drawn(page, f"{project_server}/queries/trade-partners-ranked.html")
    with page.expect_download() as info:
        page.get_by_role("button", name=f"Download as {action}").press("Enter")  # the keyboard
    body = Path(info.value.path()).read_bytes()
    assert body.startswith(magic)
    assert info.value.suggested_filename == f"trade-partners-ranked.{action.lower()}"
    if action == "SVG":
        assert "bn USD" in body.decode()  # the picture's own axis, in words and units


@pytest.fixture
def other_site(project_server: str) -> Iterator[str]:
    """Another origin (127.0.0.1, another port) whose page frames the embed URL and a page."""
    html = (
        f'<iframe id="ok" src="{project_server}/queries/trade-partners-ranked/embed"'
        ' width="800" height="600"></iframe>'
        f'<iframe id="no" src="{project_server}/queries/trade-partners-ranked.html"></iframe>'
    )
    app = Flask("other-site")
    app.add_url_rule("/", "index", lambda: html)
    with live_server(app) as url:
        yield url + "/"


def test_the_embed_url_draws_in_another_sites_iframe(browser: Any, other_site: str) -> None:
    """Any site may frame /queries/<name>/embed; the other pages only this one."""
    context = browser.new_context()
    pg = context.new_page()
    pg.set_default_timeout(TIMEOUT_MS)
    refused: list[str] = []
    pg.on("console", lambda m: refused.append(m.text) if "frame-ancestors" in m.text else None)
    try:
        pg.goto(other_site)
        frame = pg.frame_locator("#ok")
        frame.locator(".view-canvas[data-drawn=yes]").wait_for()
        assert frame.locator("g.mark-rect.role-mark path").count() >= 1
        pg.wait_for_function("() => true")
        assert pg.frame_locator("#no").locator(".answer").count() == 0
        assert any("frame-ancestors 'self'" in m for m in refused)
        assert not any('"frame-ancestors *"' in m for m in refused)
    finally:
        context.close()


def test_a_result_page_reads_at_390_px(browser: Any, project_server: str) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 800})
    pg = context.new_page()
    pg.set_default_timeout(TIMEOUT_MS)
    try:
        open_drawn(pg, f"{project_server}/queries/trade-targets.html")
        assert no_horizontal_overflow(pg) <= 0
        first = pg.locator("table.answer-table tbody tr").first
        assert first.evaluate("(tr) => getComputedStyle(tr).display") == "block"  # a card
        cell = pg.locator("table.answer-table td.num").first
        assert cell.evaluate("(td) => getComputedStyle(td, '::before').content").startswith('"')
        widest = pg.evaluate(
            "() => Math.max(...[...document.querySelectorAll('table.answer-table tr')]"
            ".map((tr) => tr.getBoundingClientRect().right))"
        )
        assert widest <= 390  # every card within the screen, numbers included
        pg.screenshot(path=str(ARTIFACTS / "view-390px-trade-targets.png"), full_page=True)
    finally:
        context.close()


def test_paging_and_sorting_load_in_the_gallery(page: Any, project_server: str) -> None:
    """state-neighbourhood showed "100 rows of 203" with no next page."""
    page.goto(project_server + "/queries?" + urlencode({"run": "state-neighbourhood"}) +
              "#state-neighbourhood")  # fmt: skip
    section = page.locator("#state-neighbourhood")
    section.locator("nav.pages").wait_for()
    total = int(re.search(r"(\d+) in all", section.locator("p.status").inner_text()).group(1))  # type: ignore[union-attr]
    first = section.locator("tbody tr").first.inner_text()
    section.get_by_role("link", name=re.compile("^Next")).click()
    page.wait_for_function(
        "(t) => { const tr = document.querySelector('#state-neighbourhood tbody tr');"
        " return tr !== null && tr.innerText !== t; }",
        arg=first,
    )
    assert "on page 2 of" in section.locator("p.status").inner_text()
    assert f"{total} in all" in section.locator("p.status").inner_text()


def test_a_column_header_sorts_all_rows(page: Any, project_server: str) -> None:
    """No sorting was possible; now a header sorts every row (not one page), then reverses."""
    page.goto(project_server + "/queries?run=figures#figures")
    section = page.locator("#figures")
    section.locator("table.answer-table").wait_for()
    values = [float(r["value"]) for r in saved_rows(project_server, "figures", per_page="500")]

    def first_value() -> float:
        cell = section.locator("tbody tr").first.locator("td.num").first
        return float(cell.get_attribute("title"))

    section.locator("th a.sort", has_text=re.compile("^Value")).click()
    page.wait_for_function(
        "() => document.querySelector('#figures th[aria-sort=ascending]') !== null"
    )
    assert first_value() == min(values)
    section.locator("th a.sort", has_text=re.compile("^Value")).click()
    page.wait_for_function(
        "() => document.querySelector('#figures th[aria-sort=descending]') !== null"
    )
    assert first_value() == max(values)
    assert "sort=-value" in page.url


@pytest.mark.parametrize("name", ["places-map", "corridor-route"])
def test_maps_draw_countries_and_every_placed_row(
    page: Any, project_server: str, name: str
) -> None:
    """Dots on a graticule, with no border, coastline or Caspian: now the atlas's countries."""
    canvas = open_drawn(page, f"{project_server}/queries/{name}.html")
    assert canvas.locator("g.countries path").count() > 100  # Natural Earth's countries
    assert canvas.locator("g.water path").count() == 1  # the sea behind them
    target = canvas.get_attribute("id")
    drawn = page.evaluate("(id) => window.cakgViews.drawn[id].view.data('marked').length", target)
    assert canvas.locator("g.places path").count() == drawn > 0
    rows = saved_rows(project_server, name)
    caption = page.locator("figure.view figcaption").inner_text()
    on_map = int(re.search(r"(\d+) rows? on a map", caption).group(1))  # type: ignore[union-attr]
    left = re.search(r"(\d+) rows? ha(?:s|ve) no position", caption)
    assert on_map + (int(left.group(1)) if left else 0) == len(rows)  # each drawn or counted
    page.screenshot(path=str(ARTIFACTS / f"view-map-{name}.png"), full_page=True)


def test_a_construct_answer_is_a_graph_and_a_table(page: Any, project_server: str) -> None:
    """source-statements showed "0 rows" in the gallery (JSON-LD read as SPARQL bindings)."""
    source = "https://w3id.org/cakg/id/source/bektenov-official-visit-dushanbe"
    page.goto(project_server + "/queries?" + urlencode({"source": source}) + "#source-statements")
    section = page.locator("#source-statements")
    canvas = section.locator(".view-canvas[data-drawn=yes]")
    canvas.wait_for()
    meta = page.evaluate(
        "(id) => window.cakgViews.drawn[id].spec.usermeta.cakg", canvas.get_attribute("id")
    )
    assert canvas.locator("g.nodes > path").count() == meta["nodes"] > 10
    assert canvas.locator("g.links > line").count() == meta["links"] > 10
    triples = Graph().parse(
        data=urlopen(
            f"{project_server}/queries/source-statements.ttl?{urlencode({'source': source})}",
            timeout=30,
        ).read(),
        format="turtle",
    )
    assert section.locator("tbody tr").count() == len(triples) > 50
    assert f"{len(triples)} triples." in section.locator("p.status").inner_text()
    canvas.screenshot(path=str(ARTIFACTS / "view-graph-source-statements.png"))
