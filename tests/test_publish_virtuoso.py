"""`cakg publish` into a real Virtuoso Open Source (Debian's virtuoso-opensource) and `cakg serve
--store` over it: the issue's command, the standards-only path, per-graph counts, a switch no
reader sees half done, digest credentials, deadlines and no network reached.

The endpoint, saved-query and linked-data suites also run on Virtuoso (the "virtuoso" engine kind
of conftest.py); these are the publishing tests.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable

import pytest

from cakg.build import BuildResult, build_dataset
from cakg.config import Settings
from cakg.engine import open_engine
from cakg.engine.base import QueryDataset
from cakg.engine.remote import RemoteEngine
from cakg.errors import BadQuery, QueryTimeout, UpdateRefused
from cakg.namespaces import GRAPH
from cakg.publish import publish_dataset
from cakg.release import load_manifest
from cakg.store.endpoints import store_auth, store_endpoints
from cakg.store.response import StoreError
from tests.conftest import CliRun
from tests.virtuoso_server import PASSWORD, USER, VirtuosoServer

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
PER_GRAPH = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
BULK = str(GRAPH["sources/bulk"])
BULK_TRIPLES = 60_000  # MOVE takes about a second in Virtuoso: long enough to be caught in it


@pytest.fixture(scope="module")
def virtuoso_with_tiny(
    virtuoso_servers: Callable[[], VirtuosoServer], tiny_settings: Settings, built: BuildResult
) -> VirtuosoServer:
    """A Virtuoso server holding the tiny build, published by the issue's own command."""
    server = virtuoso_servers()
    publish_dataset(tiny_settings, store_endpoints(server.sparql))
    return server


def per_graph(engine: RemoteEngine) -> dict[str, int]:
    rows = engine.query(PER_GRAPH).rows
    return {str(g): int(n) for g, n in rows}  # type: ignore[arg-type]


def count(engine: object, dataset: QueryDataset | None = None) -> int:
    return int(engine.query(COUNT, dataset=dataset).rows[0][0])  # type: ignore[attr-defined]


def test_the_issue_command_publishes_every_graph_and_serves_it(
    virtuoso_servers: Callable[[], VirtuosoServer],
    tiny_settings: Settings,
    built: BuildResult,
    run_cli: Callable[..., CliRun],
) -> None:
    """It stopped with a traceback (Virtuoso's TSV header `"s"`), then refused to switch (an
    N-Quads POST to the dataset, which Virtuoso's Graph Store does not take)."""
    server = virtuoso_servers()
    sparql, gsp = server.sparql, f"{server.url}/sparql-graph-crud"
    root = ["--root", str(tiny_settings.root)]
    result = run_cli(*root, "publish", "--to", sparql, "--update", sparql, "--gsp", gsp)
    assert result.code == 0, result.err
    assert "Traceback" not in result.err
    assert f"published version {built.manifest['version']} to {sparql} (virtuoso profile)" in (
        result.out
    )
    remote = open_engine(tiny_settings.replace(store_url=sparql))
    local = open_engine(tiny_settings)
    try:
        assert isinstance(remote, RemoteEngine) and remote.profile == "virtuoso"
        assert per_graph(remote) == {g: int(n) for g, n in built.manifest["graphs"].items()}
        for dataset in (QueryDataset(), QueryDataset(inference=False)):
            assert count(remote, dataset) == count(local, dataset)
    finally:
        remote.close()
        local.close()


def test_the_standards_only_path_publishes_and_serves_virtuoso_too(
    virtuoso_servers: Callable[[], VirtuosoServer], tiny_settings: Settings, built: BuildResult
) -> None:
    """--store-profile standard: only SPARQL 1.1 Protocol, Update and Graph Store requests
    (the Graph Store endpoint given, as a user of an unknown store would)."""
    server = virtuoso_servers()
    standard = tiny_settings.replace(store_profile="standard")
    endpoints = store_endpoints(server.sparql, server.sparql, f"{server.url}/sparql-graph-crud")
    done = publish_dataset(standard, endpoints)
    assert done.published and done.profile == "standard"
    remote = open_engine(standard.replace(store_url=server.sparql))
    try:
        assert isinstance(remote, RemoteEngine) and remote.profile == "standard"
        assert per_graph(remote) == {g: int(n) for g, n in built.manifest["graphs"].items()}
        # Virtuoso's blank nodes (`nodeID://b1`) are not SPARQL JSON: on the standard path a
        # clear error naming the store, not a wrong answer or a traceback
        with pytest.raises(StoreError) as caught:
            remote.query("SELECT ?b WHERE { ?b ?p ?o FILTER(isBlank(?b)) } LIMIT 1")
        assert caught.value.url == server.sparql and "Invalid bnode" in caught.value.reason
    finally:
        remote.close()


# --- the switch: a reader sees the old release or the new one, never a mix -----------------------


def bulk_version(settings: Settings, letter: str) -> Settings:
    """The project with a large source graph whose objects all start with `letter`, built into
    its own folder (validation off: generated data; the fast rules reasoner)."""
    lines = "".join(
        f'<https://w3id.org/cakg/id/x/{i}> <urn:x-test:value> "{letter}{i}" .\n'
        for i in range(BULK_TRIPLES)
    )
    (settings.root / "graph" / "sources" / "bulk.ttl").write_text(lines, encoding="utf-8")
    version = settings.replace(build_dir=settings.root / f"build-{letter}")
    build_dataset(version)
    return version


MIX = (
    f"SELECT ?kind (COUNT(*) AS ?n) WHERE {{ GRAPH <{BULK}> {{ ?s <urn:x-test:value> ?o }} "
    "BIND(SUBSTR(STR(?o), 1, 1) AS ?kind) } GROUP BY ?kind ORDER BY ?kind"
)


@pytest.mark.slow
def test_a_reader_never_sees_half_a_switch(
    virtuoso_servers: Callable[[], VirtuosoServer], settings: Settings
) -> None:
    """Virtuoso's MOVE is not isolated (a reader was seen to count 238,727 + 61,274 triples in
    two graphs during one). The switch mark makes every answer come from one release."""
    base = settings.replace(validate=False, reasoner="rules")
    v1, v2 = bulk_version(base, "a"), bulk_version(base, "b")
    server = virtuoso_servers()
    endpoints = store_endpoints(server.sparql)
    publish_dataset(v1, endpoints)
    reader = RemoteEngine(server.sparql, timeout=60.0)
    answers: list[tuple[tuple[str, int], ...]] = []
    failures: list[BaseException] = []
    publishing = threading.Event()
    publishing.set()

    def read() -> None:
        try:
            while publishing.is_set():
                rows = reader.query(MIX).rows
                answers.append(tuple((str(k), int(n)) for k, n in rows))  # type: ignore[arg-type]
        except (StoreError, QueryTimeout) as e:
            failures.append(e)

    thread = threading.Thread(target=read)
    thread.start()
    try:
        done = publish_dataset(v2, endpoints)
    finally:
        publishing.clear()
        thread.join()
    last = tuple((str(k), int(n)) for k, n in reader.query(MIX).rows)  # type: ignore[arg-type]
    reader.close()
    assert done.published and failures == []
    whole = {(("a", BULK_TRIPLES),), (("b", BULK_TRIPLES),)}
    assert answers and set(answers) <= whole, [a for a in answers if a not in whole][:3]
    assert answers[0] == (("a", BULK_TRIPLES),) and last == (("b", BULK_TRIPLES),)


# --- credentials, deadlines, network -------------------------------------------------------------


def test_digest_credentials_on_sparql_auth(
    virtuoso_servers: Callable[[], VirtuosoServer],
    tiny_settings: Settings,
    built: BuildResult,
    run_cli: Callable[..., CliRun],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Virtuoso's authenticated endpoints (/sparql-auth, /sparql-graph-crud-auth) take HTTP
    Digest only: CAKG_STORE_AUTH=digest; with Basic the error says which variable to set."""
    server = virtuoso_servers()
    url = f"{server.url}/sparql-auth"
    root = ["--root", str(tiny_settings.root)]
    monkeypatch.setenv("CAKG_STORE_USER", USER)
    monkeypatch.setenv("CAKG_STORE_PASSWORD", PASSWORD)
    refused = run_cli(*root, "publish", "--to", url)
    assert refused.code == 2 and "Traceback" not in refused.err
    assert f"{url} answered 401" in refused.err and "CAKG_STORE_AUTH=digest" in refused.err
    monkeypatch.setenv("CAKG_STORE_AUTH", "digest")
    result = run_cli(*root, "publish", "--to", url)
    assert result.code == 0, result.err
    assert "(virtuoso profile)" in result.out
    remote = RemoteEngine(url, auth=store_auth())
    try:
        assert per_graph(remote) == {g: int(n) for g, n in built.manifest["graphs"].items()}
    finally:
        remote.close()
    monkeypatch.setenv("CAKG_STORE_PASSWORD", "wrong")
    with pytest.raises(StoreError) as caught:
        open_engine(tiny_settings.replace(store_url=url))
    assert caught.value.status == 401 and caught.value.url == url


def test_a_query_past_the_deadline_is_a_timeout_not_a_partial_answer(
    virtuoso_with_tiny: VirtuosoServer, tiny_settings: Settings
) -> None:
    """Past its deadline Virtuoso answers 200 with the rows found so far (`X-SQL-State:
    S1TAT`); cakg gives a timeout, whichever deadline passes first."""
    engine = RemoteEngine(virtuoso_with_tiny.sparql, timeout=1.0)
    cross = (
        "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o }"
    )
    try:
        with pytest.raises(QueryTimeout):
            engine.query(cross)
    finally:
        engine.close()


def test_a_hostile_query_makes_virtuoso_reach_no_network(
    virtuoso_with_tiny: VirtuosoServer, listener: tuple[socket.socket, str]
) -> None:
    """Virtuoso can fetch IRIs (its "sponger", `sd:DereferencesURIs`): FROM names local graphs
    only, SERVICE and Virtuoso's DEFINE pragmas are refused before anything is sent."""
    sock, url = listener
    engine = RemoteEngine(virtuoso_with_tiny.sparql, timeout=5.0)
    try:
        assert engine.query(f"SELECT * FROM <{url}/x> WHERE {{ ?s ?p ?o }}").rows == []
        assert engine.query(f"SELECT * WHERE {{ GRAPH <{url}/x> {{ ?s ?p ?o }} }}").rows == []
        for refused in (
            f"SELECT * WHERE {{ SERVICE <{url}/sparql> {{ ?s ?p ?o }} }}",
            f'DEFINE get:soft "replace" SELECT * FROM <{url}/x> WHERE {{ ?s ?p ?o }}',
            f"LOAD <{url}/x>",
        ):
            with pytest.raises((BadQuery, UpdateRefused)):
                engine.query(refused)
    finally:
        engine.close()
    with pytest.raises(BlockingIOError):
        sock.accept()  # no connection came


def test_a_refused_query_names_its_line_and_column_and_no_internal_graph(
    virtuoso_with_tiny: VirtuosoServer,
) -> None:
    """Virtuoso gives a line only, and repeats the query with the release's internal graph
    names (`define input:default-graph-uri <urn:x-cakg:asserted?release=...>`)."""
    engine = RemoteEngine(virtuoso_with_tiny.sparql)
    try:
        with pytest.raises(BadQuery) as caught:
            engine.query("SELECT ?s WHERE {\n  ?s ?p ?o .\n  FILTER(?s = ) }")
    finally:
        engine.close()
    assert (caught.value.line, caught.value.column) == (3, 15)  # the `)`
    assert "urn:x-cakg" not in str(caught.value) and "define" not in str(caught.value)


def test_the_build_graphs_match_the_manifest_after_a_republish(
    virtuoso_with_tiny: VirtuosoServer, tiny_settings: Settings, built: BuildResult
) -> None:
    """Publishing the version the store holds does nothing and leaves every graph as it was."""
    again = publish_dataset(tiny_settings, store_endpoints(virtuoso_with_tiny.sparql))
    assert not again.published and again.profile == "virtuoso"
    remote = RemoteEngine(virtuoso_with_tiny.sparql)
    try:
        manifest = load_manifest(tiny_settings)
        assert per_graph(remote) == {g: int(n) for g, n in manifest["graphs"].items()}
    finally:
        remote.close()
