"""GET /search (bp "entity_search") and the suggestions of a 404 page, on the repository's build."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from flask.testing import FlaskClient

from tests.html_page import page_of

# The search reads the release's index, never the engine; one engine kind is enough (the 404
# pages do ask the engine whether a resource exists: the embedded one answers as the remote).
pytestmark = pytest.mark.parametrize("engine_kind", ["embedded"], indirect=True)

ID = "https://w3id.org/cakg/id/"
CAKG = "https://w3id.org/cakg/ontology#"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def search(client: FlaskClient, accept: str = "application/json", **params: object):  # type: ignore[no-untyped-def]
    return client.get("/search?" + urlencode(params, doseq=True), headers={"Accept": accept})


def test_json_shape(project_client: FlaskClient) -> None:
    response = search(project_client, q="Казахстан", limit=3)
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    body = response.get_json()
    assert body["q"] == "Казахстан" and len(body["results"]) == 3
    first = body["results"][0]
    assert first == {
        "iri": ID + "state/kazakhstan",
        "label": "Kazakhstan",
        "lang": "en",
        "matched": "Казахстан",
        "matchedLang": "ru",
        "types": [{"iri": CAKG + "State", "label": "state"}],
        "score": first["score"],
        "exact": True,
        "href": "/page/state/kazakhstan",
    }
    assert 99 <= first["score"] <= 100
    scores = [r["score"] for r in body["results"]]
    assert scores == sorted(scores, reverse=True)


def test_typo_and_prefix(project_client: FlaskClient) -> None:
    typo = search(project_client, q="Kazakstan").get_json()["results"]
    assert typo[0]["iri"] == ID + "state/kazakhstan" and not typo[0]["exact"]
    prefix = search(project_client, q="Uzbek").get_json()["results"]
    assert prefix[0]["iri"] == ID + "state/uzbekistan"


@pytest.mark.parametrize("kind", ["cakg:State", CAKG + "State", "cakg:Place cakg:Person"])
def test_type_filter_by_prefixed_name_or_iri(project_client: FlaskClient, kind: str) -> None:
    results = search(project_client, q="ka", type=kind, limit=50).get_json()["results"]
    assert results[0]["iri"] == ID + "state/kazakhstan"
    if "Person" not in kind:
        assert all(r["types"] == [{"iri": CAKG + "State", "label": "state"}] for r in results)


def test_type_filter_takes_subclasses(project_client: FlaskClient) -> None:
    results = search(project_client, q="Kazakhstan", type="cakg:Place").get_json()["results"]
    assert results[0]["iri"] == ID + "state/kazakhstan"  # a State is a Place
    types = {t["iri"] for r in results for t in r["types"]}
    assert CAKG + "Place" not in types  # only instances of its subclasses here


def test_repeated_type_is_any_of(project_client: FlaskClient) -> None:
    results = search(
        project_client, q="a", type=["cakg:State", "cakg:Person"], limit=50
    ).get_json()["results"]
    kinds = {t["iri"] for r in results for t in r["types"]}
    assert {CAKG + "State", CAKG + "Person"} <= kinds <= {CAKG + "State", CAKG + "Person"}


@pytest.mark.parametrize(
    ("params", "parameter", "reason"),
    [
        ({}, "q", "missing"),
        ({"q": ""}, "q", "empty"),
        ({"q": "   "}, "q", "empty"),
        ({"q": "x" * 201}, "q", "at most 200"),
        ({"q": ["a", "b"]}, "q", "more than once"),
        ({"q": "kaz", "limit": "0"}, "limit", "between 1 and 50"),
        ({"q": "kaz", "limit": "51"}, "limit", "between 1 and 50"),
        ({"q": "kaz", "limit": "abc"}, "limit", "not a whole number"),
        ({"q": "kaz", "lang": "en"}, "lang", "unknown parameter"),
        ({"q": "kaz", "type": "cakg:NoSuchClass"}, "type", "not a class"),
        ({"q": "kaz", "type": "id:state/kazakhstan"}, "type", "not a class"),
        ({"q": "kaz", "format": "xml"}, "format", "not one of json, html"),
    ],
)
def test_bad_parameters_are_400_naming_them(
    project_client: FlaskClient, params: dict[str, object], parameter: str, reason: str
) -> None:
    response = search(project_client, **params)
    assert response.status_code == 400 and response.mimetype == "application/json"
    body = response.get_json()
    assert body["error"] == "bad-parameter" and body["parameter"] == parameter
    assert f"parameter '{parameter}'" in body["message"] and reason in body["message"]
    assert "Traceback" not in response.get_data(as_text=True)


def test_bad_parameter_on_the_page_is_the_html_error_page(project_client: FlaskClient) -> None:
    response = search(project_client, BROWSER, q="kaz", limit="abc")
    assert response.status_code == 400 and response.mimetype == "text/html"
    page = page_of(response.get_data(as_text=True))
    assert "parameter 'limit'" in page.find("p", class_="error")[0].text
    assert page.find("input", id="site-search-q")[0]["value"] == "kaz"


def test_html_page(project_client: FlaskClient) -> None:
    response = search(project_client, BROWSER, q="Казахстан", limit=5)
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    page = page_of(response.get_data(as_text=True))
    assert page.find("input", id="site-search-q")[0]["value"] == "Казахстан"
    items = page.find("ol", class_="search-results")[0].iter()
    hits = [el for el in items if el.tag == "a" and "hit" in el.get("class", "").split()]
    assert hits[0]["href"] == "/page/state/kazakhstan" and hits[0].text == "Kazakhstan"
    first = next(el for el in items if el.tag == "li")
    kind = next(el for el in first.iter() if "kind" in el.get("class", "").split())
    matched = next(el for el in first.iter() if "matched" in el.get("class", "").split())
    assert kind.text == "state"
    assert matched.text == "matched Казахстан ru"


def test_html_page_leaves_out_the_matched_label_when_it_is_the_display_label(
    project_client: FlaskClient,
) -> None:
    page = page_of(search(project_client, BROWSER, q="Kazakhstan", limit=1).get_data(as_text=True))
    assert page.find("a", class_="hit")[0].text == "Kazakhstan"
    assert page.find("span", class_="matched") == []


def test_format_overrides_accept(project_client: FlaskClient) -> None:
    as_json = search(project_client, BROWSER, q="Kazakhstan", format="json")
    assert as_json.mimetype == "application/json"
    assert json.loads(as_json.get_data())["results"][0]["iri"] == ID + "state/kazakhstan"
    as_html = search(project_client, "application/json", q="Kazakhstan", format="html")
    assert as_html.mimetype == "text/html"


def test_the_empty_page_for_a_browser(project_client: FlaskClient) -> None:
    response = search(project_client, BROWSER)
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert page_of(response.get_data(as_text=True)).find("ol", class_="search-results") == []


def test_nothing_found(project_client: FlaskClient) -> None:
    assert search(project_client, q="qqqqqqqqqqqq").get_json()["results"] == []


@pytest.mark.parametrize("path", ["/page/state/kazakstan", "/id/state/kazakstan"])
def test_404_page_suggests_the_closest_entities(project_client: FlaskClient, path: str) -> None:
    response = project_client.get(path, headers={"Accept": BROWSER})
    assert response.status_code == 404 and response.mimetype == "text/html"
    page = page_of(response.get_data(as_text=True))
    links = page.find("section", class_="suggestions")[0].iter()
    hrefs = [el["href"] for el in links if el.tag == "a"]
    assert hrefs[0] == "/page/state/kazakhstan" and 1 < len(hrefs) <= 5


def test_404_suggestions_from_a_path_with_an_extension(project_client: FlaskClient) -> None:
    response = project_client.get("/page/person/mirziyoev.html", headers={"Accept": BROWSER})
    page = page_of(response.get_data(as_text=True))
    links = [el for el in page.find("section", class_="suggestions")[0].iter() if el.tag == "a"]
    assert links[0]["href"] == "/page/person/shavkat-mirziyoyev"


@pytest.mark.parametrize(
    ("path", "accept"),
    [("/data/state/kazakstan", BROWSER), ("/id/state/kazakstan", "text/turtle")],
)
def test_404_in_rdf_has_no_suggestions(project_client: FlaskClient, path: str, accept: str) -> None:
    response = project_client.get(path, headers={"Accept": accept})  # /data/ offers no HTML
    assert response.status_code == 404 and response.mimetype != "text/html"
    assert "kazakhstan" not in response.get_data(as_text=True).replace("kazakstan", "")


def test_html_page_links_to_one_kind_and_to_more(project_client: FlaskClient) -> None:
    page = page_of(search(project_client, BROWSER, q="Kazakhstan", limit=6).get_data(as_text=True))
    more = page.find("a", class_="more")[0]["href"]
    assert more.startswith("/search?") and "limit=12" in more
    kinds = [el for el in page.find("nav", class_="search-kinds")[0].iter() if el.tag == "a"]
    assert len(kinds) > 1
    href = kinds[0]["href"]
    narrowed = project_client.get(href, headers={"Accept": "application/json"}).get_json()
    kind = next(r["types"][0] for r in narrowed["results"])
    assert kind["label"] == kinds[0].text
    assert all(kind in r["types"] for r in narrowed["results"])


def test_html_page_links_its_json(project_client: FlaskClient) -> None:
    response = search(project_client, BROWSER, q="Uzbek", type="cakg:State", format="html")
    href = page_of(response.get_data(as_text=True)).find("a", class_="as-json")[0]["href"]
    answer = project_client.get(href, headers={"Accept": BROWSER})
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    assert answer.get_json()["results"][0]["iri"] == ID + "state/uzbekistan"
