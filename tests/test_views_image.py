"""Pictures of answers drawn on the server (cakg.views.image, vl-convert): /queries/<name>.svg
and .png, the picture a page shows without JavaScript, and no URL ever loaded."""

from __future__ import annotations

import re
from collections.abc import Iterator
from xml.etree import ElementTree

import pytest
from flask.testing import FlaskClient

from cakg.build import BuildResult
from cakg.config import Settings
from cakg.engine import open_engine
from cakg.views import image
from cakg.views.base import VEGA_LITE_SCHEMA
from cakg.views.image import PictureError, render
from cakg.web import create_app
from tests.html_page import page_of

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def client(project_build: BuildResult, project_settings: Settings) -> Iterator[FlaskClient]:
    engine = open_engine(project_settings)
    yield create_app(project_settings, {"TESTING": True, "CAKG_ENGINE": engine}).test_client()
    engine.close()


def test_a_chart_as_svg(client: FlaskClient) -> None:
    rows = client.get("/queries/trade-partners-ranked.json").get_json()["results"]["bindings"]
    r = client.get("/queries/trade-partners-ranked.svg")
    assert r.status_code == 200 and r.mimetype == "image/svg+xml"
    svg = ElementTree.fromstring(r.data)  # noqa: S314 - our own server's picture
    bars = [p for p in svg.iter(f"{SVG}path") if p.get("aria-roledescription") == "bar"]
    assert len(bars) == len(rows) > 0
    texts = " ".join(t.text or "" for t in svg.iter(f"{SVG}text"))
    assert "bn USD" in texts and not re.search(r"\b\d{4}-01-01\b", texts)


def test_a_chart_as_png(client: FlaskClient) -> None:
    r = client.get("/queries/visits.png?participant=https://w3id.org/cakg/id/state/russia")
    assert r.status_code == 200 and r.mimetype == "image/png"
    assert r.data.startswith(b"\x89PNG\r\n\x1a\n")


def test_a_table_has_no_picture(client: FlaskClient) -> None:
    r = client.get("/queries/figures.svg")
    assert r.status_code == 406
    assert "table" in r.get_json()["message"]


def test_a_bad_parameter_of_a_picture_is_400(client: FlaskClient) -> None:
    r = client.get("/queries/visits.svg?from=yesterday")
    assert r.status_code == 400 and r.get_json()["parameter"] == "from"


def test_the_page_without_javascript_shows_the_picture(client: FlaskClient) -> None:
    p = page_of(client.get("/queries/trade-targets.html").get_data(as_text=True))
    images = p.find("img", class_="view-image")
    assert images and images[0]["src"] == "/queries/trade-targets.svg"
    assert images[0]["alt"].startswith("Each bilateral trade target")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/data.json",
        "https://example.org/data.json",
        "file:///etc/passwd",
        "/static/../../../../etc/passwd",
        "/static/vendor/vega/LICENSE",
    ],
)
def test_a_picture_loads_no_url(url: str) -> None:
    spec = {
        "$schema": VEGA_LITE_SCHEMA,
        "data": {"url": url},
        "mark": "point",
        "encoding": {"x": {"field": "a", "type": "quantitative"}},
    }
    with pytest.raises(PictureError, match="loads no URL"):
        render(spec, "svg")


def test_a_picture_inlines_the_apps_own_atlas() -> None:
    spec = {
        "$schema": VEGA_LITE_SCHEMA,
        "data": {
            "url": "/static/vendor/world-atlas/countries-50m.json",
            "format": {"type": "topojson", "feature": "countries"},
        },
        "projection": {"type": "mercator"},
        "mark": "geoshape",
        "width": 200,
        "height": 100,
    }
    svg = ElementTree.fromstring(render(spec, "svg"))  # noqa: S314 - drawn here
    shapes = [p for p in svg.iter(f"{SVG}path") if p.get("d")]
    assert len(shapes) > 200  # the world's countries, read from the vendored file


def test_pictures_wait_their_turn_and_then_are_refused(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A map takes seconds of the web process's CPU: at most two are drawn at once, and a
    request that cannot get its turn is a 429 with Retry-After, never a pile-up."""
    monkeypatch.setattr(image, "WAIT_SECONDS", 0.01)
    taken = [image.RENDERERS.acquire(blocking=False) for _ in range(2)]
    try:
        assert all(taken)
        r = client.get("/queries/agreements-between.svg")
        assert r.status_code == 429 and r.headers["Retry-After"]
        assert r.get_json()["error"] == "pictures-busy"
    finally:
        for _ in taken:
            image.RENDERERS.release()
    assert client.get("/queries/agreements-between.svg").status_code == 200


def test_a_failed_picture_gives_its_turn_back() -> None:
    for _ in range(3):  # more than the renderers: each refusal released its slot
        with pytest.raises(PictureError):
            render({"$schema": VEGA_LITE_SCHEMA, "data": {"url": "http://x/y.json"}}, "svg")
        with pytest.raises(PictureError):
            render({"$schema": VEGA_LITE_SCHEMA, "mark": {"type": "nonsense"}}, "svg")
    assert image.RENDERERS.acquire(blocking=False) and image.RENDERERS.acquire(blocking=False)
    image.RENDERERS.release()
    image.RENDERERS.release()
