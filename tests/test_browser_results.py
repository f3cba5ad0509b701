"""The query editor's results panel in Chromium (static/results.js, results-table.js): pages of
rows with the exact total (also past the server's row limit), a typed sort, the views the server
infers (a chart of trade figures, a graph and the Turtle of a CONSTRUCT). Fixtures (Chromium,
the live server, a page that fails on CSP violations and JavaScript errors) are in
tests/browser_support.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode
from urllib.request import urlopen

import pytest
from flask import Flask
from rdflib import Graph, URIRef

from cakg.build import BuildResult
from cakg.config import Settings
from cakg.engine.base import Engine
from cakg.namespaces import sparql_prologue
from cakg.web import close_app, create_app
from tests.browser_support import (
    BROWSER,
    fetch_json,
    live_server,
    no_horizontal_overflow,
    sparql_rows,
)

pytestmark = BROWSER

CAP = 100  # the row limit of the capped server
CAKG = "https://w3id.org/cakg/ontology#"
DASH = "\u2013"  # between the first and the last row of a page
SUBJECTS = "SELECT DISTINCT ?s WHERE { ?s ?p ?o FILTER(isIRI(?s)) } ORDER BY ?s LIMIT 250"
DEGREES = "SELECT ?s (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?s"
CITIES = sparql_prologue() + (
    "SELECT ?city ?label WHERE {\n"
    '  ?city a cakg:City ; rdfs:label ?label FILTER(lang(?label) = "en")\n}\n'
)
CONSTRUCT = sparql_prologue() + (
    "CONSTRUCT { ?c rdfs:label ?l ; cakg:locatedIn ?s } WHERE {\n"
    '  ?c a cakg:City ; rdfs:label ?l ; cakg:locatedIn ?s . FILTER(lang(?l) = "en")\n}\n'
)


@pytest.fixture(scope="module")
def capped_server(project_build: BuildResult, project_settings: Settings) -> Iterator[str]:
    """The project's build served with a row limit of CAP."""
    app: Flask = create_app(project_settings.replace(max_rows=CAP), {"TESTING": True})
    with live_server(app) as url:
        yield url
    close_app(app)


def run_shared(page: Any, server: str, query: str) -> None:
    """Open the editor on QUERY (a share link runs it at once); wait for its answer and views."""
    page.goto(server + "/sparql?" + urlencode({"qtext": query}))
    page.wait_for_function(
        "() => { const s = document.getElementById('status').textContent;"
        " return !document.getElementById('query-form').hasAttribute('aria-busy')"
        " && s !== '' && !s.startsWith('Running'); }"
    )


def shown(page: Any, column: int = 1) -> list[str]:
    """The page's cells of COLUMN: an IRI's own IRI (its link's title), a literal's value."""
    return page.evaluate(
        """(n) => [...document.querySelectorAll(`#result-body tbody tr td:nth-child(${n})`)]
             .map(td => { const a = td.querySelector('[title]:not(td)');
                          const value = td.querySelector('.literal');
                          return a ? a.getAttribute('title')
                                   : value ? value.textContent : td.textContent; })""",
        column,
    )


def test_pages_of_rows_with_the_exact_total(page: Any, project_server: str) -> None:
    expected = [r["s"] for r in sparql_rows(project_server, SUBJECTS)]
    assert len(expected) == 250
    run_shared(page, project_server, SUBJECTS)
    assert page.locator("#status").inner_text().startswith("250 rows in ")
    assert page.locator(".results-range").inner_text() == f"Rows 1{DASH}100 of 250."
    assert shown(page) == expected[:100]
    page.get_by_role("button", name="Next").click()
    page.wait_for_function(
        "() => document.getElementById('results-panel-table').dataset.page === '2'"
    )
    assert page.locator(".results-range").inner_text() == f"Rows 101{DASH}200 of 250."
    assert page.locator(".results-page-at").inner_text() == "Page 2 of 3"
    assert shown(page) == expected[100:200]
    page.get_by_role("button", name="Last").click()
    page.wait_for_function(
        "() => document.getElementById('results-panel-table').dataset.page === '3'"
    )
    assert shown(page) == expected[200:]
    assert page.get_by_role("button", name="Next").is_disabled()
    page.get_by_label("Rows per page").select_option("25")  # the same first row stays in view
    page.wait_for_function(
        "() => document.getElementById('results-panel-table').dataset.page === '9'"
    )
    assert page.locator(".results-range").inner_text() == f"Rows 201{DASH}225 of 250."
    assert shown(page) == expected[200:225]


def test_the_total_is_exact_past_the_row_limit(
    page: Any, capped_server: str, project_engine: Engine
) -> None:
    """/sparql sends CAP rows and says it cut them; the panel states the whole answer's size."""
    query = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"
    total = len(project_engine.query(query).rows)
    assert total > CAP
    run_shared(page, capped_server, query)
    page.wait_for_function("() => document.getElementById('status').textContent.includes('all')")
    status = page.locator("#status").inner_text()
    assert status.startswith(f"{total:,} rows in all; the server sends the first {CAP} ")
    assert page.locator(".results-range").inner_text() == (
        f"Rows 1{DASH}{CAP} of the first {CAP} ({total:,} in all)."
    )
    assert page.locator("#result-body tbody tr").count() == CAP
    page.locator("#result-body[data-views=ready]").wait_for()
    assert "too many to draw" in page.locator(".results-views-note").inner_text()


def test_sort_a_numeric_column_as_numbers(page: Any, project_server: str) -> None:
    counts = sorted(int(r["n"]) for r in sparql_rows(project_server, DEGREES))
    assert len(counts) > 100 and len({len(str(c)) for c in counts}) > 1  # 9 < 10, "9" > "10"
    run_shared(page, project_server, DEGREES)
    header = page.locator("#result-body th[data-var=n]")
    assert header.get_attribute("class") == "num"  # aligned as its numbers
    header.get_by_role("button").click()
    page.wait_for_function("() => document.querySelector('th[data-var=n]')"
                           ".getAttribute('aria-sort') === 'ascending'")  # fmt: skip
    assert [int(c) for c in shown(page, 2)] == counts[:100]
    header.get_by_role("button").click()
    page.wait_for_function("() => document.querySelector('th[data-var=n]')"
                           ".getAttribute('aria-sort') === 'descending'")  # fmt: skip
    assert [int(c) for c in shown(page, 2)] == counts[::-1][:100]
    assert page.locator("#result-body td.num").first.get_attribute("title") == (
        "datatype: xsd:integer"
    )


def test_sort_iris_by_their_labels(page: Any, project_server: str) -> None:
    query = sparql_prologue() + "SELECT ?state WHERE { ?state a cakg:State }"
    run_shared(page, project_server, query)
    page.locator("#result-body th[data-var=state]").get_by_role("button").click()
    page.wait_for_function("() => document.querySelector('th[data-var=state]')"
                           ".getAttribute('aria-sort') === 'ascending'")  # fmt: skip
    labels = page.locator("#result-body tbody td a").all_inner_texts()
    assert len(labels) > 3 and "Kazakhstan" in labels
    assert labels == sorted(labels, key=str.casefold)


def test_a_chart_of_trade_figures_draws(page: Any, project_server: str) -> None:
    """The saved trade query's text, run ad hoc: no view declared, a chart inferred and drawn."""
    with urlopen(project_server + "/queries/trade-turnover-by-year.rq", timeout=30) as r:
        query = r.read().decode()
    rows = sparql_rows(project_server, query)
    run_shared(page, project_server, query)
    page.locator("#result-body[data-views=ready]").wait_for()
    tabs = page.get_by_role("tab").all_inner_texts()
    assert tabs[:3] == ["Table", "Line chart", "Bar chart"]
    page.get_by_role("tab", name="Bar chart").click()
    page.locator("#results-view-bar[data-drawn=yes] svg").wait_for()
    assert page.evaluate("() => Boolean(window.cakgViews.drawn['results-view-bar'].view)")
    bars = page.locator("#results-view-bar g.mark-rect.role-mark path").count()
    assert bars == len([r for r in rows if r.get("value")]) > 0  # every figure a bar
    assert page.get_by_role("tab", name="Bar chart").get_attribute("aria-selected") == "true"
    assert page.locator("#results-panel-table").is_hidden()
    # change what it draws: the partners as the categories, no colour
    page.locator("#results-panel-bar .view-settings summary").click()
    page.get_by_label("Categories (x)").select_option("partner")
    page.get_by_label("Colour by").select_option("")
    page.get_by_role("button", name="Draw").click()
    page.wait_for_function(
        "() => document.querySelector('#results-panel-bar figcaption')"
        ".textContent.startsWith('value by partner')"
    )
    page.locator("#results-view-bar[data-drawn=yes] svg").wait_for()
    redrawn = page.locator("#results-view-bar g.mark-rect.role-mark path").count()
    assert redrawn == bars
    labels = page.evaluate(
        "() => [...document.querySelectorAll('#results-view-bar .role-axis-label text')]"
        ".map(t => t.textContent)"
    )
    partners = {r["partnerLabel"] for r in rows}
    assert partners <= set(labels)


def test_a_construct_offers_a_graph_and_its_turtle(page: Any, project_server: str) -> None:
    run_shared(page, project_server, CONSTRUCT)
    page.locator("#result-body[data-views=ready]").wait_for()
    assert page.get_by_role("tab").all_inner_texts() == ["Table", "Graph", "Turtle"]
    triples = page.locator("#result-body tbody tr").count()
    assert page.locator("#status").inner_text().startswith(f"{triples} triples in ")
    page.get_by_role("tab", name="Turtle").click()
    turtle = page.locator(".results-turtle")
    turtle.wait_for()
    graph = Graph().parse(data=turtle.inner_text(), format="turtle")
    assert len(graph) == triples
    page.get_by_role("tab", name="Graph").click()
    page.locator("#results-view-graph[data-drawn=yes] svg").wait_for()
    links = page.evaluate(
        "() => window.cakgViews.drawn['results-view-graph'].view.data('link-data')"
    )
    located = set(graph.subject_objects(URIRef(CAKG + "locatedIn")))
    assert {(link["source"]["iri"], link["target"]["iri"]) for link in links} == {
        (str(s), str(o)) for s, o in located
    }  # a link for each place and where it is; the labels are node details


def test_the_panel_fits_a_phone(browser: Any, project_server: str) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 740})
    pg = context.new_page()
    try:
        run_shared(pg, project_server, SUBJECTS)
        pg.locator("#result-body[data-views=ready]").wait_for()
        assert no_horizontal_overflow(pg) <= 0
    finally:
        context.close()


def test_an_empty_answer_and_the_panel_on_its_own(page: Any, project_server: str) -> None:
    run_shared(page, project_server, "SELECT ?s WHERE { ?s a <urn:x-nothing> }")
    page.locator("#result-body[data-views=ready]").wait_for()
    assert page.locator("#status").inner_text().startswith("0 rows in ")
    assert page.locator(".results-range").inner_text() == "No rows."
    assert page.get_by_role("tab").all_inner_texts() == ["Table"]
    # show() in a container of its own makes its own status, once however often it runs
    found = page.evaluate(
        """async () => {
            const box = document.body.appendChild(document.createElement('div'));
            const show = (q) => window.cakgResults.show(box, { query: q });
            await show('ASK { ?s ?p ?o }');
            const bad = await show('SELECT * WHERE {');
            const r = await show('ASK { ?s ?p ?o }');
            return { ok: r.ok, bad: [bad.ok, bad.status, bad.message.includes('line 1')],
                     statuses: box.querySelectorAll('.status').length,
                     status: box.querySelector('.status').textContent,
                     answer: box.querySelector('.answer').textContent,
                     downloads: [...box.querySelectorAll('.downloads a')].map(a => a.textContent) };
        }"""
    )
    assert found["ok"] and found["bad"] == [False, 400, True]
    assert found["statuses"] == 1 and found["status"].startswith("ASK answered in ")
    assert found["answer"] == "Answer: yes"
    assert found["downloads"] == ["JSON", "XML"]


def test_a_map_of_places_and_the_chosen_view_stays_chosen(page: Any, project_server: str) -> None:
    body = fetch_json(project_server + "/ui/results/views", urlencode({"query": CITIES}).encode())
    marks = {v["kind"]: v["marks"] for v in body["views"]}
    run_shared(page, project_server, CITIES)
    page.locator("#result-body[data-views=ready]").wait_for()
    assert page.get_by_role("tab").all_inner_texts() == ["Table", "Map"]
    page.get_by_role("tab", name="Map").click()
    canvas = page.locator("#results-view-map[data-drawn=yes]")
    canvas.locator("svg").wait_for()
    drawn = page.evaluate("() => window.cakgViews.drawn['results-view-map'].view.data('marked')")
    assert canvas.locator("g.places path").count() == len(drawn) == marks["map"] > 0
    page.get_by_role("button", name="Run").click()  # the same query again: the map again
    canvas.locator("svg").wait_for()
    assert page.get_by_role("tab", name="Map").get_attribute("aria-selected") == "true"
    assert page.locator("#results-panel-table").is_hidden()


def test_filter_the_rows(page: Any, project_server: str) -> None:
    query = sparql_prologue() + (
        'SELECT ?label WHERE { ?s rdfs:label ?label FILTER(lang(?label) = "en") } ORDER BY ?label'
    )
    labels = [r["label"] for r in sparql_rows(project_server, query)]
    kept = [label for label in labels if "region" in label.lower()]
    assert 0 < len(kept) < len(labels)
    run_shared(page, project_server, query)
    page.get_by_label("Filter the rows").fill("REGION")
    expected = f"Rows 1{DASH}{len(kept)} of {len(kept)} matching “REGION” (of {len(labels):,})."
    page.wait_for_function(
        "(text) => document.querySelector('.results-range').textContent === text", arg=expected
    )
    assert shown(page) == kept[:100]
    page.get_by_label("Filter the rows").fill("")
    page.wait_for_function(
        "(n) => document.querySelector('.results-range').textContent.endsWith(`of ${n}.`)",
        arg=f"{len(labels):,}",
    )
