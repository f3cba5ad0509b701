"""The saved-query API in a real headless browser (issue 21): Swagger UI on /api-docs runs an
operation under the pages' content security policy, and a gallery form works without JavaScript
with a label for an IRI parameter.

Fixtures (Chromium, the live server of the project's build, a page that fails on CSP violations
and JavaScript errors) are in tests/browser_support.py.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode
from urllib.request import Request, urlopen

from tests.browser_support import ARTIFACTS, BROWSER, TIMEOUT_MS, WIDE

pytestmark = BROWSER


def saved_records(project_server: str, name: str, **params: str) -> Any:
    """A saved query's records from the live server (127.0.0.1 only): what a page should show."""
    url = f"{project_server}/queries/{name}.records.json?{urlencode(params)}"
    with urlopen(Request(url), timeout=30) as response:
        return json.load(response)


def test_api_docs_try_it_out(page: Any, project_server: str) -> None:
    """Swagger UI loads from the app's own files, and "Try it out" then "Execute" on one
    operation shows its 200 answer with the rows (the `page` fixture fails the test on a CSP
    violation or a JavaScript error)."""
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.goto(project_server + "/api-docs")
    operation = page.locator("#operations-sources-sources")
    operation.locator(".opblock-summary-control").click()
    operation.get_by_role("button", name="Try it out").click()
    operation.get_by_role("button", name="Execute").click()
    answer = operation.locator(".live-responses-table tr.response")
    answer.locator("td.response-col_status").wait_for()
    assert answer.locator("td.response-col_status").inner_text().strip() == "200"
    body = json.loads(answer.locator(".response-col_description pre").first.inner_text())
    expected = saved_records(project_server, "sources")
    assert len(body["results"]["bindings"]) == len(expected) > 0
    assert page.locator("#api-fallback").is_hidden()
    page.screenshot(path=str(ARTIFACTS / "api-docs-try-it-out.png"), full_page=False)
    assert all(url.startswith(project_server) for url in requested), requested


def test_a_gallery_form_takes_a_label_without_javascript(browser: Any, project_server: str) -> None:
    """The form of trade-turnover-by-year, with JavaScript off, sent with a partner's name typed
    in (not picked from a list of IRIs), opens the HTML result for that partner."""
    context = browser.new_context(viewport=WIDE, java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    try:
        page.goto(project_server + "/queries")
        section = page.locator("#visits")
        section.get_by_label("participant").fill("Russia")
        section.get_by_role("button", name="Run").click()
        page.wait_for_url("**/queries/visits.html?*participant=Russia*")
        expected = saved_records(project_server, "visits", participant="Russia")
        assert expected == saved_records(project_server, "visits", participant="id:state/russia")
        assert page.locator("tbody tr").count() == len(expected) > 0
        page.screenshot(path=str(ARTIFACTS / "nojs-saved-label.png"), full_page=False)
    finally:
        context.close()


def test_api_docs_without_javascript_lists_the_queries(browser: Any, project_server: str) -> None:
    context = browser.new_context(viewport=WIDE, java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    try:
        page.goto(project_server + "/api-docs")
        assert page.locator("#api-fallback").is_visible()
        assert page.get_by_text("GET /queries/trade-turnover-by-year", exact=True).is_visible()
    finally:
        context.close()
