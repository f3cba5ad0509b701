"""The reconciliation preview card in Chromium, framed by another site as OpenRefine frames it:
allowed by the page's Content-Security-Policy (no violation, no inline style), styled by its own
stylesheet, and within the size the manifest declares. Fixtures (Chromium, the live server, a
page that fails on CSP violations and JavaScript errors) are in tests/browser_support.py."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask

from tests.browser_support import BROWSER, fetch_json, live_server

pytestmark = BROWSER

ID = "https://w3id.org/cakg/id/"
ENTITIES = [
    ID + "state/kazakhstan",
    ID + "person/kassym-jomart-tokayev",
    ID + "source/tokayev-aliyev-middle-corridor",  # a long title
]


@pytest.mark.parametrize("iri", ENTITIES, ids=lambda iri: iri.rsplit("/", 1)[-1])
def test_the_preview_is_framed_by_another_site_at_its_declared_size(
    page: Any, project_server: str, iri: str
) -> None:
    manifest = fetch_json(project_server + "/reconcile")
    preview = manifest["preview"]
    width, height = preview["width"], preview["height"]
    assert preview["url"].startswith(project_server)  # written for the Host asked
    src = preview["url"].replace("{{id}}", quote(iri, safe=""))
    frame_page = f'<!doctype html><iframe src="{src}" width="{width}" height="{height}"></iframe>'
    client = Flask("openrefine")  # another site (another port: another origin) framing it
    client.add_url_rule("/", "frame", lambda: frame_page)
    with live_server(client) as url:
        page.goto(url)
        frame = page.frame_locator("iframe")
        heading = frame.locator("h1 a")
        heading.wait_for()
        size = frame.locator("body").evaluate(
            """(body) => ({
                 width: document.documentElement.scrollWidth,
                 height: document.documentElement.scrollHeight,
                 grid: getComputedStyle(body.querySelector('dl') || body).display,
                 font: getComputedStyle(body).fontSize,
               })"""
        )
        assert heading.get_attribute("target") == "_blank"
    assert size["width"] <= width, size
    assert size["height"] <= height, size
    assert size["font"] == "13px"  # reconcile.css applied
    if "kazakhstan" in iri:
        assert size["grid"] == "grid"
