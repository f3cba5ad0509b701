"""The saved-query API in a real headless browser (issue 21): Swagger UI on /api-docs runs an
operation under the pages' content security policy, and a gallery form works without JavaScript
with a label for an IRI parameter.

Debian's chromium driven by Playwright for Python, on a live server of the project's own build
(werkzeug on 127.0.0.1, a free port), as tests/test_browser.py does; screenshots go to
build/test-artifacts/. CAKG_SKIP_BROWSER=1 skips them.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from urllib.request import Request, urlopen

import pytest
from flask import Flask
from werkzeug.serving import make_server

from cakg.build import BuildResult
from cakg.config import Settings
from cakg.web import close_app, create_app

CHROMIUM = os.environ.get("CAKG_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "build" / "test-artifacts"
TIMEOUT_MS = 20_000
WIDE = {"width": 1200, "height": 900}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(os.environ.get("CAKG_SKIP_BROWSER") == "1", reason="CAKG_SKIP_BROWSER=1"),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("the browser tests need Playwright for Python: pip install -e '.[test]'")
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"the browser tests need chromium at {CHROMIUM}: on Debian run "
            "`apt-get install -y chromium` (or set CAKG_CHROMIUM; CAKG_SKIP_BROWSER=1 skips them)"
        )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def project_server(project_build: BuildResult, project_settings: Settings) -> Iterator[str]:
    app: Flask = create_app(project_settings, {"TESTING": True})
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()
    thread.join()
    close_app(app)


def saved_records(project_server: str, name: str, **params: str) -> Any:
    """A saved query's records from the live server (127.0.0.1 only): what a page should show."""
    url = f"{project_server}/queries/{name}.records.json?{urlencode(params)}"
    with urlopen(Request(url), timeout=30) as response:
        return json.load(response)


def test_api_docs_try_it_out(browser: Any, project_server: str) -> None:
    """Swagger UI loads from the app's own files, and "Try it out" then "Execute" on one
    operation shows its 200 answer with the rows, with no CSP violation and no script error."""
    context = browser.new_context(viewport=WIDE)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    violations: list[str] = []
    errors: list[str] = []
    requested: list[str] = []
    page.on("console", lambda m: violations.append(m.text)
            if "Content Security Policy" in m.text else None)  # fmt: skip
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requested.append(r.url))
    try:
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
    finally:
        context.close()
    assert not errors, errors
    assert not violations, violations
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
