"""/reconcile: the Reconciliation Service API v0.2 on the project's build, as OpenRefine uses it.

The requests are the ones OpenRefine 3.x sends: the manifest by JSONP (`callback=`, `_=`),
query batches form-encoded as `queries=` with keys q0, q1 ... (StandardReconConfig: `query`,
`type` with `type_strict: "should"`, `properties` of `{"pid", "v"}`, `limit` when not the
default), type guessing (`{"query", "limit": 3}` for ten cells), the suggest widget's
`prefix` with Freebase's `spell`, `exact`, `prefixed`, data extension as `extend=` and property
proposals as `?type=...&callback=...`. Every response is validated against the specification's
JSON Schemas (tests/reconciliation_schemas.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from cakg.build import BuildResult
from cakg.config import Settings
from cakg.engine.base import Engine
from cakg.reconcile.batch import MAX_BATCH, MAX_LIMIT
from cakg.web import create_app
from tests.html_page import page_of
from tests.reconciliation_schemas import check

ID = "https://w3id.org/cakg/id/"
CAKG = "https://w3id.org/cakg/ontology#"
KAZAKHSTAN = ID + "state/kazakhstan"
ASTANA = ID + "city/astana"
CENTRAL_ASIA = ID + "world-region/central-asia"


@pytest.fixture(scope="module")
def recon_app(
    project_build: BuildResult, project_settings: Settings, project_engine: Engine
) -> Flask:
    return create_app(project_settings, {"TESTING": True, "CAKG_ENGINE": project_engine})


@pytest.fixture
def client(recon_app: Flask) -> Iterator[FlaskClient]:
    yield recon_app.test_client()


def batch(client: FlaskClient, queries: dict[str, Any]) -> dict[str, Any]:
    """POST a batch as OpenRefine does (form-encoded `queries`), checking request and answer."""
    check("reconciliation-query-batch", queries)
    response = client.post("/reconcile", data={"queries": json.dumps(queries)})
    assert response.status_code == 200, response.get_data(as_text=True)
    answer: dict[str, Any] = response.get_json()
    check("reconciliation-result-batch", answer)
    assert set(answer) == set(queries)
    return answer


def results(client: FlaskClient, query: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = batch(client, {"q0": query})["q0"]["result"]
    return found


def error(response: Any, parameter: str) -> str:
    assert response.status_code == 400, response.get_data(as_text=True)
    body = response.get_json()
    assert body["error"] == "bad-parameter"
    assert body["parameter"] == parameter
    assert "Traceback" not in body["message"]
    message: str = body["message"]
    return message


# ---------------------------------------------------------------------- manifest


def test_the_manifest_is_valid_and_names_every_service(client: FlaskClient) -> None:
    response = client.get("/reconcile")
    manifest = response.get_json()
    check("manifest", manifest)
    assert "0.2" in manifest["versions"]
    assert manifest["identifierSpace"] == ID
    assert manifest["schemaSpace"] == CAKG
    assert manifest["batchSize"] == MAX_BATCH
    assert {t["id"] for t in manifest["defaultTypes"]} >= {CAKG + "State", CAKG + "Person"}
    assert manifest["defaultTypes"][0] == {"id": CAKG + "State", "name": "state"}
    root = "http://localhost"
    for kind in ("entity", "type", "property"):
        service = manifest["suggest"][kind]
        assert (
            service["service_url"] + service["service_path"] == f"{root}/reconcile/suggest/{kind}"
        )
    assert manifest["preview"]["url"] == root + "/reconcile/preview?id={{id}}"
    assert manifest["view"]["url"] == root + "/reconcile/view?id={{id}}"
    propose = manifest["extend"]["propose_properties"]
    assert (
        propose["service_url"] + propose["service_path"] == root + "/reconcile/propose_properties"
    )
    # written for the Host asked: no shared cache may keep it
    assert response.headers["Cache-Control"] == "private"
    assert "Host" in response.headers["Vary"]


def test_the_manifest_by_jsonp_as_openrefine_registers_a_service(client: FlaskClient) -> None:
    response = client.get("/reconcile?callback=jQuery3510_1733&_=1733580000000")
    assert response.mimetype == "application/javascript"
    text = response.get_data(as_text=True)
    prefix, suffix = "/**/jQuery3510_1733(", ");"
    assert text.startswith(prefix) and text.endswith(suffix)
    check("manifest", json.loads(text[len(prefix) : -len(suffix)]))


@pytest.mark.parametrize("callback", ["alert(1)//", "a b", "x</script>", "1abc", "a" * 300, "a..b"])
def test_a_callback_that_is_not_a_javascript_name_is_refused(
    client: FlaskClient, callback: str
) -> None:
    response = client.get("/reconcile", query_string={"callback": callback})
    error(response, "callback")
    assert response.mimetype == "application/json"


def test_the_manifest_uses_the_public_url_when_set(
    project_settings: Settings, project_engine: Engine
) -> None:
    settings = project_settings.replace(public_url="https://kg.example.org/")
    app = create_app(settings, {"TESTING": True, "CAKG_ENGINE": project_engine})
    response = app.test_client().get("/reconcile", headers={"Host": "evil.example"})
    manifest = response.get_json()
    assert manifest["view"]["url"] == "https://kg.example.org/reconcile/view?id={{id}}"
    assert manifest["suggest"]["entity"]["service_url"] == "https://kg.example.org"
    assert response.headers.get("Cache-Control") != "private"


# ---------------------------------------------------------------------- queries


def test_an_exact_name_of_the_requested_type_is_an_automatic_match(client: FlaskClient) -> None:
    found = results(
        client, {"query": "Kazakhstan", "type": CAKG + "State", "type_strict": "should"}
    )
    top = found[0]
    assert top["id"] == KAZAKHSTAN
    assert top["name"] == "Kazakhstan"
    assert top["match"] is True
    assert top["type"] == [{"id": CAKG + "State", "name": "state"}]
    assert [c["match"] for c in found[1:]] == [False] * (len(found) - 1)
    assert [c["score"] for c in found] == sorted((c["score"] for c in found), reverse=True)
    features = {f["id"]: f["value"] for f in top["features"]}
    assert features["name_exact"] is True and features["type_match"] is True


def test_a_name_in_another_script_finds_the_entity(client: FlaskClient) -> None:
    top = results(client, {"query": "Қазақстан"})[0]
    assert (top["id"], top["match"]) == (KAZAKHSTAN, True)
    assert "Қазақстан" in top["description"]


def test_an_entity_iri_or_prefixed_name_as_query_finds_it(client: FlaskClient) -> None:
    for text in (ASTANA, "id:city/astana"):
        top = results(client, {"query": text})[0]
        assert (top["id"], top["score"], top["match"]) == (ASTANA, 100.0, True)


def test_type_strict_any_keeps_only_instances_of_the_type(client: FlaskClient) -> None:
    found = results(client, {"query": "Kazakhstan", "type": "cakg:Place", "type_strict": "any"})
    assert found[0]["id"] == KAZAKHSTAN  # a state is a place (subclass)
    for candidate in found:
        features = {f["id"]: f["value"] for f in candidate["features"]}
        assert features["type_match"] is True
    should = results(client, {"query": "Kazakhstan", "type": "cakg:State"})
    assert any({f["id"]: f["value"] for f in c["features"]}["type_match"] is False for c in should)


def test_type_strict_all_needs_every_type(client: FlaskClient) -> None:
    found = results(
        client,
        {"query": "Astana", "type": ["cakg:City", "cakg:State"], "type_strict": "all"},
    )
    assert found == []
    found = results(
        client, {"query": "Astana", "type": ["cakg:City", "cakg:Place"], "type_strict": "all"}
    )
    assert found[0]["id"] == ASTANA


def test_a_type_given_by_its_english_name(client: FlaskClient) -> None:
    assert results(client, {"query": "Astana", "type": "city"})[0]["id"] == ASTANA


def test_agreeing_properties_make_a_misspelt_name_a_match(client: FlaskClient) -> None:
    plain = results(client, {"query": "Kazakstan", "type": "cakg:State"})
    assert plain[0]["id"] == KAZAKHSTAN and plain[0]["match"] is False
    constrained = results(
        client,
        {
            "query": "Kazakstan",
            "type": "cakg:State",
            "type_strict": "should",
            "properties": [
                {"pid": "cakg:iso3166Alpha2", "v": "kz"},
                {"pid": CAKG + "locatedIn", "v": {"id": CENTRAL_ASIA, "name": "Central Asia"}},
            ],
        },
    )
    top = constrained[0]
    assert top["id"] == KAZAKHSTAN and top["match"] is True
    features = {f["id"]: f["value"] for f in top["features"]}
    assert features["property_agreement"] == 1.0
    assert top["score"] > plain[0]["score"]


def test_a_conflicting_property_lowers_the_score_and_prevents_the_match(
    client: FlaskClient,
) -> None:
    plain = results(client, {"query": "Kazakhstan"})[0]
    wrong = results(
        client,
        {
            "query": "Kazakhstan",
            "limit": MAX_LIMIT,
            "properties": [{"pid": "cakg:iso3166Alpha2", "v": "UZ"}],
        },
    )
    top = next(c for c in wrong if c["id"] == KAZAKHSTAN)
    assert top["match"] is False
    assert top["score"] < plain["score"]


@pytest.mark.parametrize(
    ("pid", "value"),
    [
        ("cakg:iso3166Numeric", 398),  # a number against a code written as text
        ("cakg:iso3166Numeric", "398"),
        ("owl:sameAs", "Q232"),  # a Wikidata item by its id
        ("owl:sameAs", "http://www.wikidata.org/entity/Q232"),
        ("cakg:locatedIn", "central asia"),  # an entity by its name, any case
        ("located in", "Central Asia"),  # a property by its English name
    ],
)
def test_property_values_compare_as_an_analyst_writes_them(
    client: FlaskClient, pid: str, value: Any
) -> None:
    found = results(client, {"query": "Kazakhstan", "properties": [{"pid": pid, "v": value}]})
    features = {f["id"]: f["value"] for f in found[0]["features"]}
    assert found[0]["id"] == KAZAKHSTAN
    assert features["property_agreement"] == 1.0


@pytest.mark.parametrize(
    ("properties", "expected"),
    [
        ([{"pid": "cakg:iso3166Alpha3", "v": "KAZ"}], KAZAKHSTAN),
        ([{"pid": "cakg:iso3166Alpha3", "v": "kaz"}], KAZAKHSTAN),  # a code in another case
        ([{"pid": "cakg:iso3166Numeric", "v": 398}], KAZAKHSTAN),
        ([{"pid": "rdfs:label", "v": "Astana"}], ASTANA),  # a label, found in the index
        ([{"pid": "rdfs:label", "v": "Қазақстан"}], KAZAKHSTAN),
    ],
)
def test_a_query_of_properties_only_finds_the_entities_with_those_values(
    client: FlaskClient, properties: list[dict[str, Any]], expected: str
) -> None:
    found = results(client, {"properties": properties})
    assert [c["id"] for c in found] == [expected]
    assert (found[0]["score"], found[0]["match"]) == (100.0, True)


def test_properties_only_with_a_type(client: FlaskClient) -> None:
    by_place = {"pid": "cakg:locatedIn", "v": {"id": CENTRAL_ASIA}}
    found = results(client, {"properties": [by_place], "type": "cakg:State", "limit": 50})
    ids = {c["id"] for c in found}
    assert KAZAKHSTAN in ids and ID + "state/uzbekistan" in ids
    assert all(c["type"][0]["id"] == CAKG + "State" for c in found)
    assert not any(c["match"] for c in found)  # several states agree: no automatic match


def test_limit_caps_the_candidates(client: FlaskClient) -> None:
    assert len(results(client, {"query": "visit", "limit": 2})) == 2
    assert len(results(client, {"query": "visit", "limit": MAX_LIMIT})) > 2


def test_two_namesakes_are_no_automatic_match(client: FlaskClient) -> None:
    # "Kazakhstan" names the state, and (as a prefix) several other things: only one is exact
    found = results(client, {"query": "Kazakhstan"})
    assert sum(c["match"] for c in found) == 1
    answer = batch(client, {f"q{n}": {"query": "Tashkent", "limit": 3} for n in range(2)})
    assert answer["q0"] == answer["q1"]  # queries are answered independently


def test_openrefine_guesses_types_from_ten_cells(client: FlaskClient) -> None:
    names = ["Kazakhstan", "Uzbekistan", "Russia", "Tajikistan", "Azerbaijan", "Astana"]
    answer = batch(client, {f"q{n}": {"query": name, "limit": 3} for n, name in enumerate(names)})
    for n in range(5):
        assert answer[f"q{n}"]["result"][0]["type"][0]["id"] == CAKG + "State"


def test_queries_by_get_and_the_v01_single_query(client: FlaskClient) -> None:
    queries = {"q0": {"query": "Astana"}}
    by_get = client.get("/reconcile", query_string={"queries": json.dumps(queries)})
    check("reconciliation-result-batch", by_get.get_json())
    assert by_get.get_json()["q0"]["result"][0]["id"] == ASTANA
    for query in ("Astana", json.dumps({"query": "Astana", "limit": 1})):
        single = client.get("/reconcile", query_string={"query": query}).get_json()
        assert single["result"][0]["id"] == ASTANA
    assert (
        len(
            client.post("/reconcile", data={"query": '{"query": "Astana", "limit": 1}'}).get_json()[
                "result"
            ]
        )
        == 1
    )


def test_an_answer_by_jsonp(client: FlaskClient) -> None:
    queries = json.dumps({"q0": {"query": "Astana"}})
    response = client.get("/reconcile", query_string={"queries": queries, "callback": "cb"})
    text = response.get_data(as_text=True)
    assert text.startswith("/**/cb(") and json.loads(text[7:-2])["q0"]["result"][0]["id"] == ASTANA


# ---------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("queries", "words"),
    [
        ("{not json", "not valid JSON"),
        ("[]", "JSON object of queries"),
        ("{}", "no query"),
        ('{"q0": "Astana"}', "must be a JSON object"),
        ('{"q0": {"type": "cakg:State"}}', 'non-empty "query"'),
        ('{"q0": {"query": "   "}}', 'non-empty "query"'),
        ('{"q0": {"query": 5}}', '"query" must be a string'),
        ('{"q0": {"query": "x", "limit": 0}}', '"limit" must be an integer from 1 to 50'),
        ('{"q0": {"query": "x", "limit": 51}}', "from 1 to 50"),
        ('{"q0": {"query": "x", "limit": 2.5}}', "from 1 to 50"),
        ('{"q0": {"query": "x", "limit": "3"}}', "from 1 to 50"),
        ('{"q0": {"query": "x", "type_strict": "must"}}', "type_strict"),
        ('{"q0": {"query": "x", "typo": 1}}', 'unknown field "typo"'),
        ('{"q0": {"query": "x", "type": "cakg:Nation"}}', "unknown type 'cakg:Nation'"),
        (
            '{"q0": {"query": "x", "properties": [{"pid": "cakg:nope", "v": "a"}]}}',
            "unknown property",
        ),
        ('{"q0": {"query": "x", "properties": [{"pid": "cakg:locatedIn"}]}}', '"v"'),
        (
            '{"q0": {"query": "x", "properties": [{"pid": "cakg:locatedIn", "v": [[1]]}]}}',
            "a value is",
        ),
        (
            '{"q0": {"query": "x", "properties": [{"pid": "cakg:locatedIn", "v": {"name": "a"}}]}}',
            '"id"',
        ),
        ('{"q0": {"query": "' + "x" * 501 + '"}}', "at most 500 characters"),
    ],
)
def test_a_wrong_batch_is_a_400_naming_queries_and_why(
    client: FlaskClient, queries: str, words: str
) -> None:
    message = error(client.post("/reconcile", data={"queries": queries}), "queries")
    assert words in message
    if queries.startswith('{"q0"'):
        assert '"q0"' in message


def test_an_over_long_batch_is_refused_naming_the_limit(client: FlaskClient) -> None:
    queries = {f"q{n}": {"query": "Astana"} for n in range(MAX_BATCH + 1)}
    message = error(client.post("/reconcile", data={"queries": json.dumps(queries)}), "queries")
    assert f"at most {MAX_BATCH} queries" in message
    assert len(batch(client, dict(list(queries.items())[:MAX_BATCH]))) == MAX_BATCH


@pytest.mark.parametrize(
    ("url", "data", "parameter"),
    [
        ("/reconcile?limit=3", None, "limit"),
        ("/reconcile", {"queries": '{"q0": {"query": "a"}}', "extend": "{}"}, "extend"),
        ("/reconcile?queries=a&queries=b", None, "queries"),
        ("/reconcile/suggest/entity?prefix=a&cursor=-1", None, "cursor"),
        ("/reconcile/suggest/entity?prefix=a&limit=500", None, "limit"),
        ("/reconcile/suggest/entity?prefix=a&type=cakg:Nation", None, "type"),
        ("/reconcile/suggest/entity?prefix=a&colour=red", None, "colour"),
        ("/reconcile/propose_properties?type=cakg:Nation", None, "type"),
        ("/reconcile/preview", None, "id"),
        ("/reconcile/suggest/type?prefix=" + "a" * 201, None, "prefix"),
        ("/reconcile/propose_properties?type=cakg:State&limit=0", None, "limit"),
    ],
)
def test_wrong_and_unknown_parameters_are_a_400_naming_them(
    client: FlaskClient, url: str, data: dict[str, str] | None, parameter: str
) -> None:
    response = client.post(url, data=data) if data else client.get(url)
    error(response, parameter)


def test_a_post_without_queries_is_not_answered_with_the_manifest(client: FlaskClient) -> None:
    body = {"queries": [{"conditions": [{"matchType": "name", "propertyValue": "Astana"}]}]}
    message = error(client.post("/reconcile", json=body), "queries")
    assert "form-encoded" in message


def test_an_unknown_entity_has_no_preview_and_no_view(client: FlaskClient) -> None:
    for url in ("/reconcile/preview?id=" + ID + "state/atlantis", "/reconcile/view?id=x"):
        response = client.get(url)
        assert response.status_code == 404


# ---------------------------------------------------------------------- suggest, preview, view


def test_entity_suggest_as_the_openrefine_widget_asks(client: FlaskClient) -> None:
    response = client.get(
        "/reconcile/suggest/entity?prefix=tashk&spell=always&exact=false&prefixed=true"
    )
    body = response.get_json()
    check("suggest-entities-response", body)
    assert body["result"][0]["id"] == ID + "city/tashkent"
    assert body["result"][0]["notable"] == [{"id": CAKG + "City", "name": "city"}]
    more = client.get("/reconcile/suggest/entity?prefix=tashk&cursor=1").get_json()["result"]
    assert [r["id"] for r in more] == [r["id"] for r in body["result"][1:]][: len(more)]
    typed = client.get("/reconcile/suggest/entity?prefix=Kaz&type=cakg:Organisation").get_json()
    assert typed["result"] and all(
        r["notable"][0]["id"] == CAKG + "Organisation" for r in typed["result"]
    )


def test_type_and_property_suggest(client: FlaskClient) -> None:
    types = client.get("/reconcile/suggest/type?prefix=sta").get_json()
    check("suggest-types-response", types)
    assert types["result"][0]["id"] == CAKG + "State"
    assert {"id": CAKG + "Place", "name": "place"} in types["result"][0]["broader"]
    props = client.get("/reconcile/suggest/property?prefix=iso&type=cakg:State").get_json()
    check("suggest-properties-response", props)
    assert CAKG + "iso3166Alpha2" in [p["id"] for p in props["result"]]
    located = client.get("/reconcile/suggest/property?prefix=locat").get_json()["result"]
    assert located[0]["id"] == CAKG + "locatedIn"


def test_flyouts_are_escaped_html(client: FlaskClient) -> None:
    body = client.get("/reconcile/flyout/entity?id=" + KAZAKHSTAN).get_json()
    assert body["id"] == KAZAKHSTAN
    page = page_of(body["html"])
    assert "Kazakhstan" in page.root.text
    assert client.get("/reconcile/flyout/type?id=cakg:State").get_json()["html"].startswith("<div>")


def test_the_preview_is_a_card_any_site_may_frame(client: FlaskClient) -> None:
    response = client.get("/reconcile/preview", query_string={"id": KAZAKHSTAN})
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors *" in csp and "script-src 'self'" in csp
    page = page_of(response.get_data(as_text=True))
    (heading,) = page.find("h1")
    assert heading.text == "Kazakhstan"
    assert page.find("a")[0]["href"] == "/page/state/kazakhstan"
    facts = {dt.text: dd.text for dt, dd in zip(page.find("dt"), page.find("dd"), strict=True)}
    assert facts["ISO 3166-1 alpha-2 code"] == "KZ"
    assert page.find("link", rel="stylesheet")[0]["href"] == "/static/reconcile.css"
    assert "style=" not in response.get_data(as_text=True)


def test_view_redirects_to_the_page(client: FlaskClient) -> None:
    response = client.get("/reconcile/view", query_string={"id": ASTANA})
    assert response.status_code == 303
    assert response.headers["Location"] == "/page/city/astana"


# ---------------------------------------------------------------------- data extension


def test_property_proposals_as_openrefine_asks_them(client: FlaskClient) -> None:
    response = client.get(
        "/reconcile/propose_properties?type="
        + CAKG.replace("#", "%23")
        + "State&callback=jQuery1_2&_=3"
    )
    text = response.get_data(as_text=True)
    body = json.loads(text[len("/**/jQuery1_2(") : -2])
    check("data-extension-property-proposal", body)
    ids = [p["id"] for p in body["properties"]]
    assert CAKG + "iso3166Alpha2" in ids and CAKG + "locatedIn" in ids
    untyped = client.get("/reconcile/propose_properties?type=").get_json()
    assert len(untyped["properties"]) > len(ids)
    # OpenRefine writes the type into the URL unencoded: the client drops `#State`
    cut = client.get("/reconcile/propose_properties?type=" + CAKG + "State").get_json()
    assert cut["properties"] == untyped["properties"]
    assert (
        len(
            client.get("/reconcile/propose_properties?type=cakg:State&limit=2").get_json()[
                "properties"
            ]
        )
        == 2
    )


def test_data_extension_fetches_values_of_reconciled_ids(client: FlaskClient) -> None:
    query = {
        "ids": [KAZAKHSTAN, ID + "state/atlantis"],
        "properties": [
            {"id": CAKG + "iso3166Alpha2"},
            {"id": CAKG + "locatedIn"},
            {"id": "owl:sameAs", "settings": {"limit": "1"}},
        ],
    }
    check("data-extension-query", query)
    response = client.post("/reconcile", data={"extend": json.dumps(query)})
    body = response.get_json()
    check("data-extension-response", body)
    row = body["rows"][KAZAKHSTAN]
    assert row[CAKG + "iso3166Alpha2"] == [{"str": "KZ"}]
    assert row[CAKG + "locatedIn"] == [{"id": CENTRAL_ASIA, "name": "Central Asia"}]
    assert len(row["owl:sameAs"]) == 1
    assert body["rows"][ID + "state/atlantis"] == {p["id"]: [] for p in query["properties"]}
    by_prefix = {"ids": ["id:state/kazakhstan"], "properties": [{"id": "cakg:iso3166Alpha3"}]}
    rows = client.post("/reconcile", data={"extend": json.dumps(by_prefix)}).get_json()["rows"]
    assert rows == {"id:state/kazakhstan": {"cakg:iso3166Alpha3": [{"str": "KAZ"}]}}
    meta = {m["id"]: m for m in body["meta"]}
    assert meta[CAKG + "locatedIn"]["type"] == {"id": CAKG + "Place", "name": "place"}


@pytest.mark.parametrize(
    ("extend", "words"),
    [
        ("nope", "not valid JSON"),
        ('{"ids": "x", "properties": [{"id": "cakg:locatedIn"}]}', '"ids"'),
        ('{"ids": ["x"], "properties": []}', '"properties"'),
        ('{"ids": ["x"], "properties": [{"id": "cakg:nope"}]}', "unknown property"),
        (
            '{"ids": ["x"], "properties": [{"id": "cakg:locatedIn", "settings": {"limit": "-2"}}]}',
            "limit",
        ),
        (
            '{"ids": ["x"], "properties": [{"id": "cakg:locatedIn", "settings": {"rank": 1}}]}',
            '"limit" only',
        ),
    ],
)
def test_a_wrong_extension_is_a_400(client: FlaskClient, extend: str, words: str) -> None:
    assert words in error(client.post("/reconcile", data={"extend": extend}), "extend")


def test_too_many_ids_are_refused_naming_the_limit(client: FlaskClient) -> None:
    query = {"ids": [f"{ID}x/{n}" for n in range(201)], "properties": [{"id": "cakg:locatedIn"}]}
    assert "at most 200 ids" in error(
        client.post("/reconcile", data={"extend": json.dumps(query)}), "extend"
    )
