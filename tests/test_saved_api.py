"""The saved-query web API: listing, running, formats, errors, pagination links, OpenAPI, CLI."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from openapi_spec_validator import validate

import cakg.engine
from cakg.build import BuildResult
from cakg.config import Settings
from cakg.engine.base import Engine
from cakg.namespaces import ID
from cakg.web import create_app
from tests.html_page import page_of

KAZ = str(ID["state/kazakhstan"])
UZB = str(ID["state/uzbekistan"])
SPARQL_JSON = "application/sparql-results+json"


def bindings(body: bytes) -> list[dict[str, str]]:
    data = json.loads(body)
    return [{k: v["value"] for k, v in b.items()} for b in data["results"]["bindings"]]


def test_list_as_json(client: FlaskClient) -> None:
    r = client.get("/queries")
    assert r.status_code == 200
    assert r.mimetype == "application/json"
    queries = {q["name"]: q for q in r.get_json()["queries"]}
    assert sorted(queries) == ["labelled-things", "partners-of", "visits-hosted-by"]
    visits = queries["visits-hosted-by"]
    assert visits["view"] == {"type": "timeline", "date": "date", "label": "label"}
    state = next(p for p in visits["parameters"] if p["name"] == "state")
    assert state["values"] == [
        {"value": KAZ, "label": "Kazakhstan"},
        {"value": UZB, "label": "Uzbekistan"},
    ]
    assert (state["required"], state["list"], state["type"]) == (True, False, "iri")
    assert visits["links"]["formats"]["csv"] == "/queries/visits-hosted-by.csv"
    partners = next(p for p in queries["partners-of"]["parameters"] if p["name"] == "states")
    assert (partners["required"], partners["list"], partners["default"]) == (False, True, [UZB])


def test_list_as_html(client: FlaskClient) -> None:
    r = client.get("/queries", headers={"Accept": "text/html,*/*;q=0.8"})
    assert r.status_code == 200
    assert r.mimetype == "text/html"
    html = r.get_data(as_text=True)
    assert '<label for="visits-hosted-by-state">' in html
    assert f'<option value="{KAZ}">Kazakhstan</option>' in html
    assert 'data-view="timeline"' in html
    # The gallery's scripts (issue 7) come from the app itself, never from elsewhere.
    assert re.findall(r'<script[^>]+src="([^"]+)"', html)
    assert all(src.startswith("/static/") for src in re.findall(r'<script[^>]+src="([^"]+)"', html))


def test_list_not_acceptable(client: FlaskClient) -> None:
    r = client.get("/queries", headers={"Accept": "image/png"})
    assert r.status_code == 406
    assert r.get_json()["error"] == "not-acceptable"


def test_query_text(client: FlaskClient, tiny_settings: Settings) -> None:
    r = client.get("/queries/visits-hosted-by.rq")
    assert r.status_code == 200
    assert r.mimetype == "application/sparql-query"
    path = tiny_settings.root / "queries" / "visits-hosted-by.rq"
    assert r.get_data(as_text=True) == path.read_text(encoding="utf-8")


def test_unknown_query_is_404(client: FlaskClient) -> None:
    r = client.get("/queries/no-such-query")
    assert r.status_code == 404
    body = r.get_json()
    assert body["error"] == "not-found"
    assert "visits-hosted-by" in body["message"]


@pytest.mark.parametrize(
    ("query", "name", "word"),
    [
        ("", "state", "missing"),
        ("state=id:state/kazakhstan&colour=red", "colour", "unknown parameter"),
        ("state=nowhere-land", "state", "IRI"),  # neither an IRI nor a label
        ("state=Astana", "state", "not a cakg:State"),  # a label, of a city
        ("state=id:city/astana", "state", "not a cakg:State"),
        ("state=id:state/kazakhstan&after=yesterday", "after", "xsd:date"),
        ("state=id:state/kazakhstan&state=id:state/uzbekistan", "state", "given 2 times"),
        ("state=https://w3id.org/cakg/id/state/kazakhstan%20x", "state", "IRI"),
        ("state=id:state/kazakhstan%3E%20%7D%20DELETE%20WHERE%20%7B%3Fs%20%3Fp%20%3Fo%7D", "state",
         "IRI"),
    ],
)  # fmt: skip
def test_bad_parameters_are_400(client: FlaskClient, query: str, name: str, word: str) -> None:
    r = client.get(f"/queries/visits-hosted-by.json?{query}")
    assert r.status_code == 400
    body = r.get_json()
    assert body["error"] == "bad-parameter"
    assert body["parameter"] == name
    assert word in body["message"]
    assert "Traceback" not in body["message"]


@pytest.mark.parametrize(
    ("query", "name", "word"),
    [
        ("state=id:state/kazakhstan&colour=red", "colour", "unknown parameter"),
        ("state=nowhere-land", "state", "IRI"),  # neither an IRI nor a label
        ("state=id:city/astana", "state", "not a cakg:State"),
        ("state=id:state/kazakhstan&after=yesterday", "after", "xsd:date"),
    ],
)  # fmt: skip
def test_bad_parameters_on_the_page_are_shown_beside_its_form(
    client: FlaskClient, query: str, name: str, word: str
) -> None:
    """The .html page answers a bad parameter with the page, its form and the message (it gave
    the API's raw JSON)."""
    r = client.get(f"/queries/visits-hosted-by.html?{query}")
    assert r.status_code == 400 and r.mimetype == "text/html"
    p = page_of(r.get_data(as_text=True))
    error = p.find("p", class_="query-error")
    assert error and error[0]["data-parameter"] == name
    assert word in p.text_of(error[0])
    assert p.find("form") and "Traceback" not in r.get_data(as_text=True)


def test_page_without_its_required_parameter_asks_for_it(client: FlaskClient) -> None:
    r = client.get("/queries/visits-hosted-by.html")
    assert r.status_code == 200 and r.mimetype == "text/html"
    html = r.get_data(as_text=True)
    assert "Give state and run the query" in html
    assert not html.lstrip().startswith("{")


def test_run_html_table(client: FlaskClient) -> None:
    r = client.get("/queries/visits-hosted-by.html?state=id:state/kazakhstan")
    assert r.status_code == 200
    p = page_of(r.get_data(as_text=True))
    # the label, linked to the local page (it linked to https://w3id.org/... showing id:...)
    links = {p.text_of(a): a["href"] for a in p.find("a") if "href" in a}
    assert links["Test state visit"] == "/id/visit/tiny-2021"
    cells = [p.text_of(td) for td in p.find("td")]
    assert "6 Dec 2021" in cells  # a date for people, its exact form in the title
    assert "1 row." in p.text_of(p.find("p", class_="status")[0])


def test_extension_outside_the_form_is_406(client: FlaskClient) -> None:
    r = client.get("/queries/visits-hosted-by.ttl?state=id:state/kazakhstan")
    assert r.status_code == 406
    assert ".json" in r.get_json()["message"]


def test_post_is_refused_for_a_get_query(client: FlaskClient) -> None:
    r = client.post("/queries/visits-hosted-by", data={"state": KAZ})
    assert r.status_code == 400


def link_pages(header: str) -> dict[str, tuple[int, int]]:
    """rel -> (page, per_page) from an RFC 8288 Link header."""
    out = {}
    for part in header.split(", "):
        m = re.fullmatch(r'<([^>]+)>; rel="(\w+)"', part)
        assert m, part
        url, rel = m.groups()
        page = int(re.search(r"[?&]page=(\d+)", url).group(1))  # type: ignore[union-attr]
        size = int(re.search(r"[?&]per_page=(\d+)", url).group(1))  # type: ignore[union-attr]
        assert "contains=stan" in url
        out[rel] = (page, size)
    return out


@pytest.mark.parametrize(
    ("page", "rels"),
    [
        (1, {"first": (1, 1), "next": (2, 1), "last": (3, 1)}),
        (2, {"first": (1, 1), "prev": (1, 1), "next": (3, 1), "last": (3, 1)}),
        (3, {"first": (1, 1), "prev": (2, 1), "last": (3, 1)}),
    ],
)
def test_pagination_links(client: FlaskClient, page: int, rels: dict[str, Any]) -> None:
    # English labels containing "s": Astana, Kazakhstan, Uzbekistan (+ ontology labels with "s")
    r = client.get(
        f"/queries/labelled-things.html?contains=stan&per_page=1&page={page}",
        headers={"Accept": "text/html"},
    )
    assert r.status_code == 200
    assert r.headers["X-Total-Count"] == "3"
    assert link_pages(r.headers["Link"]) == rels
    names = ["Astana", "Kazakhstan", "Uzbekistan"]
    p = page_of(r.get_data(as_text=True))
    assert names[page - 1] in [p.text_of(td) for td in p.find("td")]
    pager = {a["rel"]: a["href"] for a in p.find("a") if "rel" in a}
    assert {rel: (int(re.search(r"page=(\d+)", h).group(1))) for rel, h in pager.items()} == {  # type: ignore[union-attr]
        rel: number for rel, (number, _size) in rels.items()
    }


def test_page_past_the_end_is_400(client: FlaskClient) -> None:
    r = client.get("/queries/labelled-things.json?contains=stan&per_page=1&page=4")
    assert r.status_code == 400
    assert r.get_json()["parameter"] == "page"
    r = client.get("/queries/labelled-things.html?contains=stan&per_page=1&page=4")
    assert r.status_code == 400
    assert 'data-parameter="page"' in r.get_data(as_text=True)


def test_openapi_document_validates(client: FlaskClient) -> None:
    r = client.get("/openapi.json")
    assert r.status_code == 200
    spec = r.get_json()
    validate(spec)
    assert spec["openapi"] == "3.1.0"
    op = spec["paths"]["/queries/visits-hosted-by"]["get"]
    params = {p["name"]: p for p in op["parameters"]}
    assert params["state"]["required"] is True
    assert params["state"]["schema"]["enum"] == [KAZ, UZB]
    assert params["after"]["schema"] == {"type": "string", "format": "date"}
    assert set(op["responses"]["200"]["content"]) == {
        SPARQL_JSON,
        "text/csv",
        "text/tab-separated-values",
        "application/sparql-results+xml",
        "text/html",
    }
    paged = spec["paths"]["/queries/labelled-things"]["get"]
    names = [p["name"] for p in paged["parameters"]]
    assert names == ["class", "contains", "sort", "page", "per_page"]
    assert paged["parameters"][0]["schema"]["type"] == "array"
    assert "Link" in paged["responses"]["200"]["headers"]


def test_api_docs_page(client: FlaskClient) -> None:
    r = client.get("/api-docs")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "GET /queries/visits-hosted-by" in html
    assert "one of Kazakhstan, Uzbekistan" in html
    # Swagger UI (issue 21) from the app's own files, started by a file: no inline script
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.DOTALL)
    sources = [re.search(r'src="([^"]+)"', attrs).group(1) for attrs, _ in scripts]  # type: ignore[union-attr]
    assert sources == [
        "/static/search.js",  # the header's search box, on every page (issue 22)
        "/static/vendor/swagger-ui-dist/swagger-ui-bundle.js",
        "/static/api-docs.js",
    ]
    assert all(not body.strip() for _, body in scripts)
    for src in sources:
        with client.get(src) as served:
            assert served.status_code == 200
    assert '<div id="swagger-ui" data-spec="/openapi.json">' in html


# Formats need cakg.results (serialisation); they run once it exists.
@pytest.fixture
def results() -> None:
    pytest.importorskip("cakg.results")


@pytest.mark.usefixtures("results")
def test_run_json_by_accept_and_extension(client: FlaskClient) -> None:
    expected = [
        {"visit": "https://w3id.org/cakg/id/visit/tiny-2021", "label": "Test state visit",
         "date": "2021-12-06"}
    ]  # fmt: skip
    r = client.get("/queries/visits-hosted-by?state=id:state/kazakhstan")
    assert r.status_code == 200
    assert r.mimetype == SPARQL_JSON
    assert bindings(r.data) == expected
    r = client.get("/queries/visits-hosted-by.json?state=" + KAZ, headers={"Accept": "text/csv"})
    assert r.mimetype == SPARQL_JSON
    assert bindings(r.data) == expected


@pytest.mark.usefixtures("results")
@pytest.mark.parametrize(
    ("ext", "accept", "sep"), [("csv", "text/csv", ","), ("tsv", "text/tab-separated-values", "\t")]
)
def test_run_csv_tsv(client: FlaskClient, ext: str, accept: str, sep: str) -> None:
    for url, headers in [
        (f"/queries/partners-of.{ext}?states={KAZ}&states={UZB}", {}),
        (f"/queries/partners-of?states={KAZ}&states={UZB}", {"Accept": accept}),
    ]:
        r = client.get(url, headers=headers)
        assert r.status_code == 200
        assert r.mimetype == accept
        table = list(csv.reader(io.StringIO(r.get_data(as_text=True)), delimiter=sep))
        assert table[0] == ["state", "partner", "partnerLabel"] or table[0][0].startswith("?")
        assert len(table) == 3


@pytest.mark.usefixtures("results")
def test_injection_through_http_is_harmless(client: FlaskClient) -> None:
    for attack in ['"} DELETE WHERE { ?s ?p ?o } #', "\\u0022 }", "x\nDELETE WHERE {?s ?p ?o}"]:
        r = client.get("/queries/labelled-things.json", query_string={"contains": attack})
        assert r.status_code == 200
        assert bindings(r.data) == []
    r = client.get("/queries/labelled-things.json", query_string={"class": "cakg:State"})
    assert [b["label"] for b in bindings(r.data)] == ["Kazakhstan", "Uzbekistan"]


def test_cli_lists(run_cli: Callable[..., Any], tiny_settings: Settings) -> None:
    r = run_cli("--root", str(tiny_settings.root), "queries")
    assert r.code == 0
    assert r.out.splitlines()[:3] == [
        "labelled-things: Everything with an English label",
        "    --param class=...  IRI (optional, repeatable)",
        "    --param contains=...  xsd:string (optional)",
    ]
    r = run_cli("--root", str(tiny_settings.root), "queries", "--format", "json")
    listed = json.loads(r.out)["queries"]
    assert [q["name"] for q in listed] == ["labelled-things", "partners-of", "visits-hosted-by"]


@pytest.mark.skipif(
    not hasattr(cakg.engine, "open_engine"), reason="cakg.engine.open_engine does not exist yet"
)
def test_cli_runs_saved_queries(
    run_cli: Callable[..., Any], built: BuildResult, tiny_settings: Settings
) -> None:
    root = str(tiny_settings.root)
    r = run_cli("--root", root, "query", "--saved", "visits-hosted-by",
                "--param", "state=id:state/kazakhstan", "--format", "csv")  # fmt: skip
    assert r.code == 0, r.err
    table = list(csv.reader(io.StringIO(r.out)))
    assert table[1] == [
        "https://w3id.org/cakg/id/visit/tiny-2021",
        "Test state visit",
        "2021-12-06",
    ]
    r = run_cli("--root", root, "query", "--saved", "visits-hosted-by", "--param", "state=oops")
    assert r.code == 2
    assert r.err.startswith("cakg: error: parameter 'state': 'oops' is not an absolute IRI")
    r = run_cli("--root", root, "query", "--saved", "visits-hosted-by", "--param", "x=1")
    assert r.code == 2
    assert "parameter 'x'" in r.err
    r = run_cli("--root", root, "query", "--saved", "nope")
    assert r.code == 2
    r = run_cli("--root", root, "query", "--saved", "labelled-things", "--param", "per_page=1")
    assert r.code == 0
    assert "page 1 of" in r.err


class _TimingOutEngine:
    """An engine whose every query runs past its limit (as the pool reports it)."""

    name = "timing-out"
    version = "test"

    def __init__(self, real: Engine) -> None:
        self.real = real

    def query(self, sparql: str, **kwargs: Any) -> Any:
        if "COUNT" in sparql or "visit" in sparql.lower():
            from cakg.errors import QueryTimeout

            raise QueryTimeout(10.0)
        return self.real.query(sparql, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def test_a_saved_query_past_its_time_limit_is_503_with_retry_after(
    engine: Engine, tiny_settings: Settings
) -> None:
    app = create_app(tiny_settings, {"TESTING": True, "CAKG_ENGINE": _TimingOutEngine(engine)})
    r = app.test_client().get(f"/queries/visits-hosted-by.json?state={KAZ}")
    assert r.status_code == 503
    assert r.headers["Retry-After"] == "5"
    assert r.get_json()["error"] == "timeout"
    assert "10 s" in r.get_json()["message"]


# --- issue 21: records, sorting, labels, pickers


def assert_records(body: Any, variables: list[str]) -> None:
    """What pandas.read_json reads as a table with its default orient: a JSON array of flat
    objects, each with the same keys (the columns), and plain values (pandas is not installed
    with the tests)."""
    assert isinstance(body, list)
    for record in body:
        assert isinstance(record, dict)
        assert list(record) == variables
        assert all(v is None or isinstance(v, str | int | float | bool) for v in record.values())


def test_records_are_plain_json_objects(client: FlaskClient) -> None:
    r = client.get("/queries/visits-hosted-by.records.json?state=id:state/kazakhstan")
    assert r.status_code == 200
    assert r.mimetype == "application/json"
    body = json.loads(r.data)
    assert_records(body, ["visit", "label", "date"])
    assert body == [
        {"visit": "https://w3id.org/cakg/id/visit/tiny-2021", "label": "Test state visit",
         "date": "2021-12-06"}
    ]  # fmt: skip
    r = client.get("/queries/visits-hosted-by.records.json?state=id:state/uzbekistan")
    assert json.loads(r.data) == []


def test_records_are_paged_and_sorted_like_the_other_formats(client: FlaskClient) -> None:
    r = client.get("/queries/labelled-things.records.json?contains=stan&per_page=1&sort=-label")
    assert r.status_code == 200
    assert json.loads(r.data) == [{"thing": UZB, "label": "Uzbekistan"}]
    assert r.headers["X-Total-Count"] == "3"
    assert link_pages(r.headers["Link"]) == {"first": (1, 1), "next": (2, 1), "last": (3, 1)}
    assert all(".records.json?" in part and "sort=-label" in part
               for part in r.headers["Link"].split(", "))  # fmt: skip
    r = client.get(
        "/queries/labelled-things.records.json?contains=stan&per_page=1&page=3&sort=-label"
    )
    assert json.loads(r.data) == [{"thing": str(ID["city/astana"]), "label": "Astana"}]


def test_sort_over_http_and_a_bad_sort_is_400(client: FlaskClient) -> None:
    r = client.get("/queries/labelled-things.json?contains=stan&sort=-label&per_page=10")
    assert [b["label"] for b in bindings(r.data)] == ["Uzbekistan", "Kazakhstan", "Astana"]
    r = client.get("/queries/labelled-things.json?contains=stan&sort=colour")
    assert r.status_code == 400
    body = r.get_json()
    assert body["parameter"] == "sort"
    assert "expected one of thing, label" in body["message"]


def test_accept_application_json_is_still_sparql_json(client: FlaskClient) -> None:
    """The records form is asked for by its extension: Accept: application/json keeps meaning
    SPARQL JSON results, as on /sparql."""
    r = client.get("/queries/labelled-things?contains=stan", headers={"Accept": "application/json"})
    assert r.mimetype == SPARQL_JSON


@pytest.mark.parametrize("given", ["Kazakhstan", "kazakhstan", "Казахстан"])
def test_a_label_over_http(client: FlaskClient, given: str) -> None:
    by_label = client.get("/queries/visits-hosted-by.json", query_string={"state": given})
    by_iri = client.get(f"/queries/visits-hosted-by.json?state={KAZ}")
    assert by_label.status_code == 200
    assert bindings(by_label.data) == bindings(by_iri.data) != []


def test_catalogue_entries_say_how_to_pick_a_value(client: FlaskClient) -> None:
    queries = {q["name"]: q for q in client.get("/queries").get_json()["queries"]}
    params = {p["name"]: p for p in queries["visits-hosted-by"]["parameters"]}
    assert params["state"]["suggestions"] == [
        {"value": KAZ, "label": "Kazakhstan"},
        {"value": UZB, "label": "Uzbekistan"},
    ]
    assert params["state"]["suggestions_capped"] is False
    assert (params["state"]["input"], params["after"]["input"]) == ("text", "date")
    assert params["after"]["suggestions"] is None
    thing = {p["name"]: p for p in queries["labelled-things"]["parameters"]}["class"]
    assert thing["suggestions"] is None  # an IRI of anything: nothing to suggest
    assert queries["labelled-things"]["links"]["formats"]["records.json"] == (
        "/queries/labelled-things.records.json"
    )


def test_the_gallery_form_fields(client: FlaskClient) -> None:
    html = client.get("/queries", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert re.search(r'<input id="visits-hosted-by-after" name="after" type="date"', html)
    assert re.search(r'<select id="visits-hosted-by-state" name="state" required', html)
    assert 'aria-describedby="visits-hosted-by-after-hint"' in html
    assert 'id="visits-hosted-by-after-hint"' in html
    assert '<label for="visits-hosted-by-state">state (required)</label>' in html
    assert re.search(r'<input id="labelled-things-class" name="class" type="text"\s', html)
