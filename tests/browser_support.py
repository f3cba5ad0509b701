"""What the browser tests share (a pytest plugin, registered in conftest.py): Debian's chromium
driven by Playwright, a live server of the app on the project's build, and a page that fails its
test on a JavaScript error or a Content-Security-Policy violation.

A live server of the app (werkzeug on 127.0.0.1, a free port, the real worker pool) serves the
project's own build. Screenshots go to build/test-artifacts/. Chromium is not optional: when
/usr/bin/chromium (or CAKG_CHROMIUM) or the playwright package is missing, these tests fail
with a message saying how to install it, unless CAKG_SKIP_BROWSER=1.
"""

from __future__ import annotations

import contextlib
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
NARROW = {"width": 360, "height": 740}
WIDE = {"width": 1200, "height": 900}
CORRIDORS = """\
SELECT ?corridor ?label WHERE {
  ?corridor a cakg:TransportCorridor ; rdfs:label ?label .
  FILTER(lang(?label) = "en")
}
ORDER BY ?label
"""
RUSSIA = "https://w3id.org/cakg/id/state/russia"
ACCEPT_JSON = "application/sparql-results+json, application/json"

# each browser test module sets `pytestmark = BROWSER`
BROWSER = [
    pytest.mark.browser,
    pytest.mark.skipif(os.environ.get("CAKG_SKIP_BROWSER") == "1", reason="CAKG_SKIP_BROWSER=1"),
]


@pytest.fixture(scope="session")
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


@contextlib.contextmanager
def live_server(app: Flask) -> Iterator[str]:
    """APP served on 127.0.0.1 at a free port by a werkzeug thread: its base URL."""
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{srv.server_port}"
    finally:
        srv.shutdown()
        thread.join()


@pytest.fixture(scope="session")
def project_server(project_build: BuildResult, project_settings: Settings) -> Iterator[str]:
    app: Flask = create_app(project_settings, {"TESTING": True})
    with live_server(app) as url:
        yield url
    close_app(app)


def csp_violations(pg: Any) -> list[str]:
    """What the page's Content-Security-Policy blocks, as the console reports it (a list that
    fills while the page runs)."""
    found: list[str] = []
    pg.on(
        "console",
        lambda m: found.append(m.text) if "Content Security Policy" in m.text else None,
    )
    return found


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh page; JavaScript errors and CSP violations fail the test; a screenshot of the
    end state is kept."""
    context = browser.new_context(viewport=WIDE)
    pg = context.new_page()
    pg.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    violations = csp_violations(pg)
    yield pg
    tall = pg.evaluate("() => document.documentElement.scrollHeight") > 15000
    pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=not tall)
    context.close()
    assert not errors, errors
    assert not violations, violations


def shot(page: Any, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def no_horizontal_overflow(page: Any) -> int:
    """How many pixels the page is wider than the window (0 when nothing overflows)."""
    width: int = page.evaluate(
        "() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
        " - document.documentElement.clientWidth"
    )
    return width


def fetch_json(url: str, data: bytes | None = None) -> Any:
    """JSON from the live server (127.0.0.1 only): what the pages should show."""
    request = Request(url, data=data, headers={"Accept": ACCEPT_JSON})
    with urlopen(request, timeout=30) as response:
        return json.load(response)


def sparql_rows(project_server: str, query: str) -> list[dict[str, str]]:
    data = fetch_json(project_server + "/sparql", urlencode({"query": query}).encode())
    return [{k: v["value"] for k, v in b.items()} for b in data["results"]["bindings"]]


def saved_rows(project_server: str, name: str, **params: str) -> list[dict[str, str]]:
    data = fetch_json(f"{project_server}/queries/{name}.json?{urlencode(params)}")
    return [{k: v["value"] for k, v in b.items()} for b in data["results"]["bindings"]]
