"""The store client and its profiles, against stand-in stores (httpx mock transports): what is
asked for, how answers are read, and what a store's deviations become. No network."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from pyoxigraph import BlankNode, Literal, NamedNode

from cakg.config import Settings
from cakg.engine.remote import RemoteEngine
from cakg.errors import ConfigError, QueryTimeout
from cakg.media import NQUADS, NTRIPLES, SPARQL_JSON, SPARQL_XML, TSV
from cakg.store.client import StoreClient
from cakg.store.endpoints import Endpoints, store_auth
from cakg.store.profiles import PROFILES, profile_for_server
from cakg.store.release_graph import (
    OWL_VERSION_INFO,
    RELEASE_GRAPH,
    SWITCH_GRAPH,
    SWITCHING_TO,
    UNION_GRAPH,
)
from cakg.store.response import StoreError

URL = "http://store.invalid/sparql"
JSON_TYPE = {"content-type": SPARQL_JSON}
Handler = Callable[[httpx.Request], httpx.Response]


def client(handle: Handler, profile: str = "standard", **options: Any) -> StoreClient:
    return StoreClient(
        Endpoints(URL), profile=profile, transport=httpx.MockTransport(handle), **options
    )


def json_rows(variables: list[str], rows: list[dict[str, Any]]) -> bytes:
    return json.dumps(
        {"head": {"vars": variables}, "results": {"bindings": rows}}, separators=(",", ":")
    ).encode()


def uri(value: str) -> dict[str, str]:
    return {"type": "uri", "value": value}


# --- the profile ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "server, profile",
    [
        ("Virtuoso/07.20.3229 (Linux) x86_64-pc-linux-gnu  ", "virtuoso"),
        ("Oxigraph/0.5.13", "oxigraph"),
        ("Apache Jena Fuseki (5.1.0)", "standard"),
        (None, "standard"),
    ],
)
def test_the_profile_is_detected_from_the_service_description(
    server: str | None, profile: str
) -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        headers = {"content-type": "text/turtle", **({"server": server} if server else {})}
        return httpx.Response(200, text="", headers=headers)

    store = client(handle, profile="auto")
    store.close()
    assert store.profile.name == profile
    assert [(r.method, r.headers["accept"].split(",")[0]) for r in seen] == [("GET", "text/turtle")]


def test_a_named_profile_asks_the_store_nothing() -> None:
    seen: list[httpx.Request] = []
    store = client(lambda r: seen.append(r) or httpx.Response(500), profile="virtuoso")
    store.close()
    assert seen == [] and store.profile is PROFILES["virtuoso"]
    with pytest.raises(ConfigError, match="'fuseki' is not one of auto, standard, oxigraph"):
        client(lambda r: httpx.Response(500), profile="fuseki")
    with pytest.raises(ConfigError, match="store_profile"):
        Settings(store_profile="fuseki")


def test_an_unknown_server_gets_the_standard_profile() -> None:
    assert profile_for_server("Stardog/9").name == "standard"
    assert profile_for_server("virtuoso").name == "virtuoso"  # the product, case aside


# --- what is asked for ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "profile, timeout", [("standard", None), ("oxigraph", "3"), ("virtuoso", "3000")]
)
def test_results_are_asked_for_in_json_then_xml_and_the_timeout_in_the_store_unit(
    profile: str, timeout: str | None
) -> None:
    """Never TSV first: Virtuoso's TSV header is `"s"`, not `?s` (the issue's first defect)."""
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            200, content=json_rows(["s"], []), headers={"content-type": SPARQL_JSON}
        )

    store = client(handle, profile=profile)
    store.query("SELECT ?s {}", form="SELECT", timeout=3.0)
    store.close()
    accept = seen[0].headers["accept"]
    assert accept.startswith(SPARQL_JSON) and SPARQL_XML in accept and TSV not in accept
    form = httpx.QueryParams(seen[0].content.decode())
    assert form.get("timeout") == timeout and form["query"] == "SELECT ?s {}"


def test_a_store_answering_virtuoso_tsv_anyway_is_a_store_error_naming_it() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        body = b'"s"\t"o"\n"http://ex/a"\t1\n'
        return httpx.Response(200, content=body, headers={"content-type": TSV})

    store = client(handle)
    response = store.query("SELECT ?s ?o {}", form="SELECT", timeout=3.0)
    with pytest.raises(StoreError) as caught:
        list(response.each(response.solutions()))
    store.close()
    assert caught.value.url == URL and "SELECT ?s ?o {}" in (caught.value.request or "")
    assert "unreadable text/tab-separated-values results" in caught.value.reason


# --- reading answers -----------------------------------------------------------------------------


def streamed(body: bytes, size: int, read: list[int]) -> Iterator[bytes]:
    """`body` in chunks of `size` bytes, counting the chunks taken."""
    for start in range(0, len(body), size):
        read[0] += 1
        yield body[start : start + size]


@pytest.mark.parametrize("media_type", [SPARQL_JSON, SPARQL_XML])
def test_past_the_row_cap_nothing_more_is_read(media_type: str) -> None:
    rows = [{"s": uri(f"http://ex/s{i}")} for i in range(20_000)]
    if media_type == SPARQL_JSON:
        body = json_rows(["s"], rows)
    else:
        results = "".join(
            f'<result><binding name="s"><uri>{r["s"]["value"]}</uri></binding></result>'
            for r in rows
        )
        body = (
            '<?xml version="1.0"?><sparql xmlns="http://www.w3.org/2005/sparql-results#">'
            f'<head><variable name="s"/></head><results>{results}</results></sparql>'
        ).encode()
    read = [0]
    chunks = len(body) // 1024 + 1

    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, content=streamed(body, 1024, read), headers={"content-type": media_type}
        )

    store = client(handle)
    response = store.query("SELECT ?s {}", form="SELECT", timeout=3.0, max_rows=10)
    store.close()
    assert response.truncated and response.media_type == TSV
    assert [row["s"] for row in response.each(response.solutions())] == [
        NamedNode(f"http://ex/s{i}") for i in range(10)
    ]
    assert read[0] < chunks // 10  # the body was not read to its end


def virtuoso_json() -> bytes:
    """Virtuoso's own layout (spaces, "typed-literal", `nodeID://` blank nodes)."""
    return (
        b'\n{ "head": { "link": [], "vars": ["s", "o"] },\n'
        b'  "results": { "distinct": false, "ordered": true, "bindings": [\n'
        b'    { "s": { "type": "bnode", "value": "nodeID://b10003" }\t, '
        b'"o": { "type": "uri", "value": "http://ex/a" }},\n'
        b'    { "s": { "type" : "bnode" , "value" : "nodeID://b10004" }\t, "o": { "type": '
        b'"typed-literal", "datatype": "http://www.w3.org/2001/XMLSchema#integer", '
        b'"value": "1" }},\n'
        b'    { "s": { "type": "uri", "value": "http://ex/a" }\t, "o": { "type": "literal", '
        b'"value": "nodeID://not a blank node" }} ] } }'
    )


@pytest.mark.parametrize("chunk", [1, 7, 4096])
@pytest.mark.parametrize("max_rows", [None, 100])
def test_virtuoso_blank_nodes_are_read_as_blank_nodes(chunk: int, max_rows: int | None) -> None:
    """`nodeID://b10003` is not a blank node label; a literal that starts so keeps its text, and
    the fix holds wherever the chunks of the answer break."""

    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            content=streamed(virtuoso_json(), chunk, [0]),
            headers={"content-type": SPARQL_JSON},
        )

    store = client(handle, profile="virtuoso")
    response = store.query("SELECT ?s ?o {}", form="SELECT", timeout=3.0, max_rows=max_rows)
    rows = [(row["s"], row["o"]) for row in response.each(response.solutions())]
    store.close()
    integer = NamedNode("http://www.w3.org/2001/XMLSchema#integer")
    assert rows == [
        (BlankNode("b10003"), NamedNode("http://ex/a")),
        (BlankNode("b10004"), Literal("1", datatype=integer)),
        (NamedNode("http://ex/a"), Literal("nodeID://not a blank node")),
    ]


def test_the_standard_profile_names_virtuoso_blank_nodes_as_unreadable() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=virtuoso_json(), headers={"content-type": SPARQL_JSON})

    store = client(handle, profile="standard")
    with pytest.raises(StoreError, match="unreadable application/sparql-results\\+json results"):
        store.query("SELECT ?s ?o {}", form="SELECT", timeout=3.0, max_rows=5)
    store.close()


@pytest.mark.parametrize("max_rows", [None, 5])
def test_an_answer_cut_at_the_store_deadline_is_a_timeout_not_an_answer(
    max_rows: int | None,
) -> None:
    """Virtuoso answers 200 with the rows found so far (here: none, for a COUNT) when its own
    deadline passes; that is not the answer."""

    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            content=json_rows(["n"], []),
            headers={
                "content-type": SPARQL_JSON,
                "x-sql-state": "S1TAT",
                "x-sql-message": "RC...: Returning incomplete results, query interrupted",
            },
        )

    store = client(handle, profile="virtuoso")
    with pytest.raises(QueryTimeout):
        store.query("SELECT (COUNT(*) AS ?n) {}", form="SELECT", timeout=2.0, max_rows=max_rows)
    store.close()


def test_an_answer_cut_at_the_store_row_limit_is_never_taken_for_whole() -> None:
    rows = [{"s": uri(f"http://ex/s{i}")} for i in range(50)]

    def handle(request: httpx.Request) -> httpx.Response:
        headers = {"content-type": SPARQL_JSON, "x-sparql-maxrows": "50"}
        return httpx.Response(200, content=json_rows(["s"], rows), headers=headers)

    store = client(handle, profile="virtuoso")
    cut = store.query("SELECT ?s {}", form="SELECT", timeout=3.0, max_rows=10)
    assert cut.truncated  # cakg shows 10 rows and says there are more
    for max_rows in (None, 50, 80):
        with pytest.raises(StoreError, match=r"cut its answer at 50 rows .* ResultSetMaxRows"):
            store.query("SELECT ?s {}", form="SELECT", timeout=3.0, max_rows=max_rows)
    store.close()


# --- uploads -------------------------------------------------------------------------------------

QUADS = [
    (b"<urn:s> <urn:p> <urn:o>", b"<urn:g1>"),
    (b"<urn:s> <urn:p> <urn:o>", b"<urn:g2>"),
    (b'<urn:s> <urn:q> "x"', b"<urn:g1>"),
]


def test_the_standard_path_uploads_one_graph_store_post_per_graph() -> None:
    """Not an N-Quads POST to the dataset (an Oxigraph extension; the issue's second defect)."""
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(201)

    for profile in ("standard", "virtuoso"):
        seen.clear()
        store = StoreClient(
            Endpoints(URL, URL, "http://store.invalid/gsp"), profile=profile,
            transport=httpx.MockTransport(handle),
        )  # fmt: skip
        store.add_quads(QUADS)
        store.close()
        sent = [
            (r.url.params.get("graph"), r.headers["content-type"], r.content.count(b"\n"))
            for r in seen
        ]
        assert sent == [("urn:g1", NTRIPLES, 2), ("urn:g2", NTRIPLES, 1)]


def test_the_oxigraph_profile_posts_the_dataset_in_one_request() -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    store = StoreClient(
        Endpoints(URL, URL, "http://store.invalid/store"), profile="oxigraph",
        transport=httpx.MockTransport(handle),
    )  # fmt: skip
    store.add_quads(QUADS)
    store.close()
    assert [(r.url.params.get("graph"), r.headers["content-type"]) for r in seen] == [
        (None, NQUADS)
    ]


# --- credentials ---------------------------------------------------------------------------------


def digest_store(seen: list[str]) -> httpx.MockTransport:
    """A store asking for Digest credentials (as Virtuoso's /sparql-auth does); `seen` gets the
    Authorization header of each request."""

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("authorization", ""))
        if seen[-1].startswith('Digest username="ann"'):
            return httpx.Response(200, content=json_rows(["s"], []), headers=JSON_TYPE)
        challenge = 'Digest realm="SPARQL", nonce="abc", qop="auth", algorithm="MD5"'
        return httpx.Response(401, headers={"www-authenticate": challenge})

    return httpx.MockTransport(handle)


def test_digest_credentials_come_from_the_environment() -> None:
    seen: list[str] = []
    env = {"CAKG_STORE_USER": "ann", "CAKG_STORE_PASSWORD": "pw", "CAKG_STORE_AUTH": "digest"}
    store = StoreClient(
        Endpoints(URL), profile="virtuoso", auth=store_auth(env), transport=digest_store(seen)
    )
    store.query("SELECT ?s {}", form="SELECT", timeout=3.0)
    store.close()
    assert [header[:6] for header in seen] == ["", "Digest"]


def test_basic_credentials_for_a_digest_store_say_which_setting_to_change() -> None:
    env = {"CAKG_STORE_USER": "ann", "CAKG_STORE_PASSWORD": "pw"}
    store = StoreClient(
        Endpoints(URL), profile="virtuoso", auth=store_auth(env), transport=digest_store([])
    )
    with pytest.raises(StoreError) as caught:
        store.query("SELECT ?s {}", form="SELECT", timeout=3.0)
    store.close()
    assert caught.value.status == 401 and "CAKG_STORE_AUTH=digest" in str(caught.value)


def test_an_unknown_auth_scheme_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="CAKG_STORE_AUTH: 'ntlm' is not one of basic, digest"):
        store_auth({"CAKG_STORE_USER": "ann", "CAKG_STORE_AUTH": "ntlm"})


# --- a store whose updates are not isolated: readers check the release (the switch mark) ---------


def release_rows(version: str, switching: str | None = None) -> bytes:
    rows = [
        {"g": uri(RELEASE_GRAPH), "s": uri(RELEASE_GRAPH), "p": uri(OWL_VERSION_INFO),
         "o": {"type": "literal", "value": version}},
        {"g": uri(RELEASE_GRAPH), "s": uri(RELEASE_GRAPH), "p": uri(UNION_GRAPH),
         "o": uri(f"urn:x-cakg:asserted?release={version}")},
    ]  # fmt: skip
    if switching is not None:
        rows.append({"g": uri(SWITCH_GRAPH), "s": uri(RELEASE_GRAPH), "p": uri(SWITCHING_TO),
                     "o": {"type": "literal", "value": switching}})  # fmt: skip
    return json_rows(["g", "s", "p", "o"], rows)


class SwitchingStore:
    """A stand-in store whose release readings follow `releases` (one per reading, the last kept)
    and whose answers to other queries count up (1, 2, ...)."""

    def __init__(self, releases: list[tuple[str, str | None]]) -> None:
        self.releases = releases
        self.asked = 0
        self.readings = 0

    def handle(self, request: httpx.Request) -> httpx.Response:
        query = httpx.QueryParams(request.content.decode()).get("query", "")
        if RELEASE_GRAPH in query:
            version, switching = self.releases[min(self.readings, len(self.releases) - 1)]
            self.readings += 1
            body = release_rows(version, switching)
        else:
            self.asked += 1
            body = json_rows(["n"], [{"n": {"type": "literal", "value": str(self.asked)}}])
        return httpx.Response(200, content=body, headers={"content-type": SPARQL_JSON})


def remote(store: SwitchingStore, profile: str, timeout: float = 5.0) -> RemoteEngine:
    return RemoteEngine(
        URL, timeout=timeout, profile=profile, transport=httpx.MockTransport(store.handle)
    )


def test_an_answer_that_overlapped_a_switch_is_asked_for_again() -> None:
    """Read v1, ask; the release read after the answer shows a switch under way: that answer
    may mix two releases, so the query is asked again once the switch is over."""
    store = SwitchingStore([("v1", None), ("v1", "v2"), ("v2", None), ("v2", None)])
    engine = remote(store, "virtuoso")
    result = engine.query("SELECT ?n {}")
    engine.close()
    assert [str(v) for (v,) in result.rows] == ["2"]
    assert store.asked == 2 and engine.version == "v2"


def test_a_release_that_changed_during_the_query_is_asked_for_again() -> None:
    store = SwitchingStore([("v1", None), ("v2", None), ("v2", None)])
    engine = remote(store, "standard")
    assert [str(v) for (v,) in engine.query("SELECT ?n {}").rows] == ["2"]
    engine.close()
    assert store.asked == 2


def test_an_isolated_store_is_not_checked_after_each_query() -> None:
    store = SwitchingStore([("v1", None), ("v1", "v2")])
    engine = remote(store, "oxigraph")
    assert [str(v) for (v,) in engine.query("SELECT ?n {}").rows] == ["1"]
    engine.close()
    assert (store.asked, store.readings) == (1, 1)


def test_a_switch_that_does_not_end_is_a_timeout() -> None:
    store = SwitchingStore([("v1", "v2")])
    engine = remote(store, "virtuoso", timeout=0.5)
    with pytest.raises(QueryTimeout):
        engine.query("SELECT ?n {}")
    engine.close()
    assert store.asked == 0  # nothing is asked while the switch is under way


# --- Virtuoso's geometries: geo:wktLiteral comes back as virtrdf:Geometry ------------------------

GEOMETRY = "http://www.openlinksw.com/schemas/virtrdf#Geometry"
WKT = "http://www.opengis.net/ont/geosparql#wktLiteral"
POINT = "POINT(51.150001525879 43.650001525879)"
ANSWERS = {
    SPARQL_JSON: (
        '{ "head": { "link": [], "vars": ["o", "t"] }, "results": { "bindings": [ { "o": { "type": '
        f'"typed-literal", "datatype": "{GEOMETRY}", "value": "{POINT}" }}, "t": {{ "type": '
        f'"literal", "value": "\\"datatype\\": \\"{GEOMETRY}\\"" }} }} ] }} }}'
    ),
    SPARQL_XML: (
        '<sparql xmlns="http://www.w3.org/2005/sparql-results#"><head><variable name="o"/>'
        '<variable name="t"/></head><results><result><binding name="o"><literal datatype="'
        f'{GEOMETRY}">{POINT}</literal></binding><binding name="t"><literal>&lt;literal '
        f'datatype="{GEOMETRY}"</literal></binding></result></results></sparql>'
    ),
}


@pytest.mark.parametrize("media_type", [SPARQL_JSON, SPARQL_XML])
@pytest.mark.parametrize("chunk", [1, 5, 4096])
def test_virtuoso_geometries_are_read_as_wkt_literals(media_type: str, chunk: int) -> None:
    """The datatype the source gave (maps draw geo:wktLiteral); a value holding the same text
    is left as it is."""
    body = ANSWERS[media_type].encode()

    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, content=streamed(body, chunk, [0]), headers={"content-type": media_type}
        )

    for profile, datatype in (("virtuoso", WKT), ("standard", GEOMETRY)):
        store = client(handle, profile=profile)
        response = store.query("SELECT ?o ?t {}", form="SELECT", timeout=3.0, max_rows=10)
        [row] = list(response.each(response.solutions()))
        store.close()
        assert row["o"] == Literal(POINT, datatype=NamedNode(datatype))
        assert GEOMETRY in row["t"].value  # type: ignore[union-attr]


def test_virtuoso_geometries_in_a_graph_answer_are_wkt_literals() -> None:
    lines = (
        f'<urn:g> <urn:wkt> "{POINT}"^^<{GEOMETRY}> .\n'
        f'<urn:g> <urn:note> "a \\"^^<{GEOMETRY}> in a value" .\n'
    ).encode()

    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, content=streamed(lines, 3, [0]), headers={"content-type": NTRIPLES}
        )

    store = client(handle, profile="virtuoso")
    triples = store.query("CONSTRUCT WHERE { ?s ?p ?o }", form="CONSTRUCT", timeout=3.0).triples()
    store.close()
    assert triples[0].object == Literal(POINT, datatype=NamedNode(WKT))
    assert triples[1].object == Literal(f'a "^^<{GEOMETRY}> in a value')
