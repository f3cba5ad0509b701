"""The pages in a real headless browser: Debian's chromium driven by Playwright for Python
(fixtures in tests/browser_support.py): the home page, the query editor, the gallery's forms,
narrow screens, the content security policy. The views of answers are in test_browser_views.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from rdflib import Graph

from cakg.namespaces import sparql_prologue
from tests.browser_support import (
    BROWSER,
    CORRIDORS,
    NARROW,
    RUSSIA,
    TIMEOUT_MS,
    WIDE,
    no_horizontal_overflow,
    saved_rows,
    shot,
    sparql_rows,
)

pytestmark = BROWSER


def run_editor(page: Any, text: str) -> None:
    """Put TEXT in the editor (CodeMirror, static/editor.js) and run it with Ctrl+Enter."""
    page.locator(".cm-content").wait_for()
    page.evaluate("(text) => window.cakgEditor.set(text)", text)
    page.locator(".cm-content").press("Control+Enter")
    page.wait_for_function(
        "() => !document.getElementById('query-form').hasAttribute('aria-busy')"
        " && document.getElementById('status').textContent !== ''"
        " && !document.getElementById('status').textContent.startsWith('Running')"
    )


def test_home_page(page: Any, project_server: str) -> None:
    page.goto(project_server + "/")
    assert page.locator("h1").inner_text() == "Central Asia Knowledge Graph"
    assert int(page.locator("[data-figure=triples]").inner_text().replace(",", "")) > 1000
    assert page.get_by_role("link", name="Kazakhstan").first.get_attribute("href") == (
        "/id/state/kazakhstan"
    )
    assert page.locator(".sources-table tbody tr").count() >= 5
    shot(page, "home")
    page.get_by_role("link", name="SPARQL query editor").click()
    page.wait_for_url(project_server + "/sparql")
    page.locator(".cm-content").wait_for()
    assert page.evaluate("() => window.cakgEditor.get()").startswith("# The states")


def test_type_and_run_a_query(page: Any, project_server: str) -> None:
    page.goto(project_server + "/sparql")
    editor = page.locator(".cm-content")
    editor.wait_for()
    assert page.locator(".cm-content .cm-line span").count() > 10  # highlighted
    page.evaluate("(text) => window.cakgEditor.set(text)", sparql_prologue())
    editor.press("Control+End")
    # typed key by key, on one line (an Enter could take a completion offered meanwhile)
    editor.press_sequentially(" ".join(CORRIDORS.split()), delay=0)
    page.keyboard.press("Escape")
    assert page.evaluate("() => window.cakgEditor.get()") == (
        sparql_prologue() + " ".join(CORRIDORS.split())
    )  # the brackets and quotes it closed were typed over
    editor.press("Control+Enter")
    rows = page.locator("#result-body tbody tr")
    rows.first.wait_for()
    expected = [r["label"] for r in sparql_rows(project_server, sparql_prologue() + CORRIDORS)]
    assert len(expected) >= 2
    assert rows.count() == len(expected)
    labels = page.locator("#result-body tbody tr td:first-child a").all_inner_texts()
    assert labels == expected  # each IRI shown by its English label
    assert page.locator("#status").inner_text().startswith(f"{len(expected)} rows in ")
    csv = page.get_by_role("link", name="CSV").get_attribute("href")
    response = page.request.get(project_server + csv)
    assert response.ok and response.text().splitlines()[0] == "corridor,label"


def test_a_bad_query_shows_line_and_column(page: Any, project_server: str) -> None:
    page.goto(project_server + "/sparql")
    """The engine stops at the closing brace of line 3; the mistake, marked, is on line 2."""
    run_editor(page, "SELECT * WHERE {\n  ?s ?p \n}")
    error = page.locator("#query-error .problem-error")
    error.wait_for()
    assert error.locator("strong").inner_text() == "Error at line 2, column 3"
    assert error.locator(".problem-message").inner_text() == (
        "The triple pattern ?s ?p has no object: add one after its predicate."
    )
    assert page.locator(".cm-lintRange-error").all_inner_texts() == ["?s ?p"]
    page.get_by_role("button", name="Go to line 2").click()
    assert page.evaluate(
        "() => { const v = window.cakgEditor.view;"
        " return [v.state.doc.lineAt(v.state.selection.main.head).number, v.hasFocus]; }"
    ) == [2, True]  # the caret is on line 2, in the editor


def test_construct_shows_triples_and_offers_turtle(page: Any, project_server: str) -> None:
    page.goto(project_server + "/sparql")
    run_editor(
        page,
        sparql_prologue() + "CONSTRUCT { ?c rdfs:label ?l } WHERE {\n"
        "  ?c a cakg:TransportCorridor ; rdfs:label ?l .\n}\n",
    )
    headers = page.locator("#result-body thead th").all_inner_texts()
    assert headers == ["subject", "predicate", "object"]
    shown = page.locator("#result-body tbody tr").count()
    turtle = page.get_by_role("link", name="Turtle").get_attribute("href")
    response = page.request.get(project_server + turtle)
    assert response.ok and response.headers["content-type"].startswith("text/turtle")
    graph = Graph().parse(data=response.text(), format="turtle")
    assert shown == len(graph) >= 2
    assert page.locator("#result-body tbody td:nth-child(2) a").first.inner_text() == "rdfs:label"


def test_follow_a_result_link_to_its_page(page: Any, project_server: str) -> None:
    page.goto(project_server + "/sparql")
    page.get_by_role("button", name="Run").click()  # the sample query: the states
    link = page.locator("#result-body").get_by_role("link", name="Kazakhstan", exact=True)
    link.first.wait_for()
    assert link.first.get_attribute("href") == "/id/state/kazakhstan"
    link.first.click()
    page.wait_for_url("**/page/state/kazakhstan")
    assert "Kazakhstan" in page.locator("h1").inner_text()


def test_share_link_reproduces_the_query(page: Any, browser: Any, project_server: str) -> None:
    page.goto(project_server + "/sparql")
    query = sparql_prologue() + CORRIDORS
    run_editor(page, query)
    shared = page.locator("#share-link").input_value()
    assert shared == project_server + "/sparql?" + urlencode({"qtext": query})
    assert page.url == shared  # the address bar holds it too
    other = browser.new_page()
    try:
        other.goto(shared)
        other.locator("#result-body tbody tr").first.wait_for(timeout=TIMEOUT_MS)
        assert other.evaluate("() => window.cakgEditor.get()") == query
        expected = sparql_rows(project_server, query)
        assert other.locator("#result-body tbody tr").count() == len(expected) >= 2
        shot(other, "share-link-opened")
        other.goto(project_server + "/sparql#query=" + urlencode({"q": query})[2:])
        other.locator("#result-body tbody tr").first.wait_for(timeout=TIMEOUT_MS)
        assert other.evaluate("() => window.cakgEditor.get()") == query
    finally:
        other.close()


def test_a_bad_parameter_is_shown_beside_its_field(page: Any, project_server: str) -> None:
    page.goto(project_server + "/queries")
    section = page.locator("#visits")
    # (`from` is an <input type="date">, which takes no malformed date: a name that names
    # nothing is the server's to refuse)
    section.get_by_label("participant").fill("Atlantis")
    section.get_by_role("button", name="Run").click()
    error = section.locator(".query-error")
    error.wait_for()
    assert "participant" in error.inner_text()
    assert section.get_by_label("participant").get_attribute("aria-invalid") == "true"


def test_keyboard_only(page: Any, project_server: str) -> None:
    """Tab reaches the editor and leaves it; Ctrl+Enter runs; Enter on a focused Run button."""
    page.goto(project_server + "/sparql")
    page.locator(".cm-content").focus()
    page.keyboard.press("Control+Enter")
    page.locator("#result-body tbody tr").first.wait_for()
    page.keyboard.press("Escape")
    page.keyboard.press("Tab")
    assert not page.evaluate("() => window.cakgEditor.view.hasFocus")  # Tab is not trapped
    page.goto(project_server + "/queries")
    section = page.locator("#places-map")
    section.get_by_role("button", name="Run").focus()
    page.keyboard.press("Enter")
    section.locator("[data-drawn=yes] svg").first.wait_for()


def test_the_forms_work_without_javascript(browser: Any, project_server: str) -> None:
    """Progressive enhancement: the gallery form opens the HTML result; the query form posts
    to /sparql and the browser downloads the results in the chosen format."""
    context = browser.new_context(viewport=WIDE, java_script_enabled=False, accept_downloads=True)
    pg = context.new_page()
    pg.set_default_timeout(TIMEOUT_MS)
    try:
        pg.goto(project_server + "/queries")
        section = pg.locator("#trade-turnover-by-year")
        section.get_by_label("partner").select_option(label="Russia")
        section.get_by_role("button", name="Run").click()
        pg.wait_for_url("**/queries/trade-turnover-by-year.html?partner=*")
        rows = saved_rows(project_server, "trade-turnover-by-year", partner=RUSSIA)
        assert pg.locator("tbody tr").count() == len(rows) > 0
        shot(pg, "nojs-saved-result")
        pg.goto(project_server + "/sparql")
        assert pg.locator("#format").is_visible()
        pg.locator("#query").fill(sparql_prologue() + CORRIDORS)
        pg.locator("#format").select_option("csv")
        with pg.expect_download() as info:
            pg.get_by_role("button", name="Run").click()
        lines = Path(info.value.path()).read_text(encoding="utf-8").splitlines()
        expected = sparql_rows(project_server, sparql_prologue() + CORRIDORS)
        assert lines[0] == "corridor,label" and len(lines) == len(expected) + 1
    finally:
        context.close()


@pytest.mark.parametrize("path", ["/", "/sparql", "/queries", "/page/state/kazakhstan"])
def test_nothing_overflows_at_360_px(browser: Any, project_server: str, path: str) -> None:
    context = browser.new_context(viewport=NARROW)
    pg = context.new_page()
    pg.set_default_timeout(TIMEOUT_MS)
    try:
        pg.goto(project_server + path)
        if path == "/sparql":
            pg.get_by_role("button", name="Run").click()
            pg.locator("#result-body tbody tr").first.wait_for()
        if path == "/queries":
            for name in ("trade-turnover-by-year", "places-map", "visits"):
                pg.locator(f"#{name}").get_by_role("button", name="Run").click()
                pg.locator(f"#{name} [data-drawn=yes] svg").first.wait_for()
        name = "narrow-" + (path.strip("/").replace("/", "-") or "home")
        shot(pg, name)
        assert no_horizontal_overflow(pg) <= 0, f"{path} is wider than 360 px"
    finally:
        context.close()


# ---------------------------------------------------------------- issue 18: links and CSP


@pytest.mark.parametrize(
    ("path", "run"),
    [
        ("/sparql", "#result-body tbody tr"),
        ("/queries", "#places-map [data-drawn=yes] svg"),
        ("/page/city/astana", None),
        ("/ontology", None),
        ("/shapes", None),
    ],
)
def test_pages_work_under_their_content_security_policy(
    page: Any, project_server: str, path: str, run: str | None
) -> None:
    """Each page is served with its policy and runs, and is styled, without the console
    reporting a violation (the page fixture fails on one): scripts from files, no inline code,
    JSON-LD data blocks left alone, the docs' inlined stylesheet allowed by its hash."""
    response = page.goto(project_server + path)
    policy = response.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "unsafe-inline" not in policy
    assert page.evaluate("() => getComputedStyle(document.body).marginTop") == "0px"  # styled
    if run is not None:
        section = page.locator("#places-map") if path == "/queries" else page
        section.get_by_role("button", name="Run").click()
        page.locator(run).first.wait_for()
    if path.startswith("/page/"):
        assert page.locator('script[type="application/ld+json"]').count() == 1
        page.locator("#resource-map[data-drawn=yes] svg").wait_for()  # the map view
    page.wait_for_load_state("networkidle")


def test_the_console_reports_a_violation(browser: Any, project_server: str) -> None:
    """The check above would see one: an inline script added to the editor's page is refused,
    and the console says so."""
    context = browser.new_context(viewport=WIDE)
    pg = context.new_page()
    pg.set_default_timeout(TIMEOUT_MS)
    try:
        pg.goto(project_server + "/sparql")
        with pg.expect_console_message(lambda m: "Content Security Policy" in m.text) as info:
            pg.evaluate(
                """() => { const s = document.createElement('script');
                           s.textContent = 'window.ran = true'; document.body.appendChild(s); }"""
            )
        assert "script-src" in info.value.text
        assert pg.evaluate("() => window.ran") is None
    finally:
        context.close()


JAVASCRIPT_IRI = 'SELECT ?x WHERE { BIND(IRI("javascript:alert(1)") AS ?x) }'


def test_a_javascript_iri_in_a_result_is_text_not_a_link(page: Any, project_server: str) -> None:
    page.goto(project_server + "/sparql?" + urlencode({"qtext": JAVASCRIPT_IRI}))  # runs at once
    page.locator("#result-body tbody tr").first.wait_for()
    cell = page.locator("#result-body tbody td").first
    assert cell.locator("a").count() == 0
    assert cell.inner_text() == "<javascript:alert(1)>"
    assert cell.locator(".iri").get_attribute("title") == "javascript:alert(1)"
    assert page.locator("#result-body a[href^='javascript' i]").count() == 0


@pytest.mark.parametrize(
    ("iri", "href"),
    [
        ("https://w3id.org/cakg/id/state/kazakhstan", "/id/state/kazakhstan"),
        ("http://www.wikidata.org/entity/Q232", "http://www.wikidata.org/entity/Q232"),
        ("HTTPS://example.org/x", "HTTPS://example.org/x"),
        ("javascript:alert(1)", None),
        ("JavaScript:alert(1)", None),
        (" javascript:alert(1)", None),
        ("java\tscript:alert(1)", None),
        ("data:text/html,<script>alert(1)</script>", None),
        ("vbscript:msgbox(1)", None),
        ("urn:isbn:0451450523", None),
        ("mailto:someone@example.org", None),
    ],
)
def test_local_href_links_only_http(
    page: Any, project_server: str, iri: str, href: str | None
) -> None:
    page.goto(project_server + "/sparql")
    assert page.evaluate("(iri) => window.cakgUi.localHref(iri)", iri) == href
