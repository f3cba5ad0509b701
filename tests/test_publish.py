"""`cakg publish` into a real Oxigraph server: the switch, idempotence, resume, errors."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
from flask import Flask, Response, request

from cakg.build import BuildResult, build_dataset
from cakg.config import Settings
from cakg.engine import Engine, open_engine
from cakg.engine.base import QueryDataset
from cakg.engine.remote import RemoteEngine
from cakg.namespaces import GRAPH
from cakg.publish import STATE_FILE, publish_dataset
from cakg.store.endpoints import store_endpoints
from cakg.store.release_graph import ASSERTED_GRAPH, RELEASE_GRAPH, staged_name
from cakg.store.response import StoreError

if TYPE_CHECKING:
    from tests.conftest import CliRun, OxigraphServer


DOC_1 = str(GRAPH["sources/doc-1"])
DOC_2 = str(GRAPH["sources/doc-2"])
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


class FaultyTransport(httpx.HTTPTransport):
    """The real transport, but a request that `fails` picks is lost on the way."""

    def __init__(self, fails: Callable[[httpx.Request], bool]) -> None:
        super().__init__()
        self.fails = fails
        self.sent: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.fails(request):
            raise httpx.ConnectError("fault injected by the test", request=request)
        self.sent.append(request)
        return super().handle_request(request)


def is_upload(request: httpx.Request) -> bool:
    """A chunk of the build sent to the Graph Store endpoint."""
    return request.url.path == "/store" and request.method == "POST"


def after_uploads(n: int) -> Callable[[httpx.Request], bool]:
    """Fail every upload after the first `n`."""
    seen = [0]

    def fails(request: httpx.Request) -> bool:
        if not is_upload(request):
            return False
        seen[0] += 1
        return seen[0] > n

    return fails


class RefusingTransport(FaultyTransport):
    """A store whose Graph Store endpoint takes graphs only: N-Quads to the dataset get 415."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if is_upload(request) and "graph" not in request.url.params:
            self.sent.append(request)
            return httpx.Response(415, text="only graphs here", request=request)
        return super().handle_request(request)


def count(engine: Engine, dataset: QueryDataset | None = None) -> int:
    return int(engine.query(COUNT, dataset=dataset).rows[0][0])  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def no_cleanup_delay(monkeypatch: pytest.MonkeyPatch) -> None:
    """The previous union graph is dropped right after the switch (no engine is that slow)."""
    monkeypatch.setattr("cakg.publish.CLEANUP_DELAY", 0.0)


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> int:
    """Chunks of 10 lines: the tiny build (about 140 quads) goes up in about 15 requests."""
    monkeypatch.setattr("cakg.publish.CHUNK_LINES", 10)
    return 10


@pytest.fixture
def oxigraph_server(oxigraph_servers: Callable[[], OxigraphServer]) -> OxigraphServer:
    """A fresh, empty Oxigraph server for one test."""
    return oxigraph_servers()


@pytest.fixture
def two_versions(settings: Settings) -> tuple[Settings, Settings]:
    """Two builds of the tiny project: v1 has a second source document, v2 does not."""
    doc = settings.root / "graph" / "sources"
    shutil.copy(doc / "doc-1.ttl", doc / "doc-2.ttl")
    v1 = settings.replace(build_dir=settings.root / "build-v1")
    build_dataset(v1)
    (doc / "doc-2.ttl").unlink()
    v2 = settings.replace(build_dir=settings.root / "build-v2")
    build_dataset(v2)
    return v1, v2


def version_of(settings: Settings) -> str:
    manifest = json.loads((settings.out / "current" / "manifest.json").read_text())
    return str(manifest["version"])


def test_publish_then_serve_remotely(
    oxigraph_server: OxigraphServer,
    tiny_settings: Settings,
    built: BuildResult,
    run_cli: Callable[..., CliRun],
) -> None:
    root = ["--root", str(tiny_settings.root)]
    first = run_cli(*root, "publish", "--to", oxigraph_server.url)
    assert first.code == 0, first.err
    assert f"published version {built.manifest['version']}" in first.out
    assert f"{len(built.manifest['graphs'])} graphs uploaded" in first.out
    assert "uploading chunks" in first.err  # the progress bar (its label only, off a terminal)
    remote = open_engine(tiny_settings.replace(store_url=oxigraph_server.url))
    local = open_engine(tiny_settings)
    try:
        assert remote.version == built.manifest["version"]
        assert count(remote) == count(local)
        assert count(remote, QueryDataset(inference=False)) == count(
            local, QueryDataset(inference=False)
        )
    finally:
        remote.close()
        local.close()
    assert not (tiny_settings.out / STATE_FILE).exists()


def test_publishing_the_same_version_again_does_nothing(
    oxigraph_server: OxigraphServer,
    tiny_settings: Settings,
    built: BuildResult,
    run_cli: Callable[..., CliRun],
) -> None:
    endpoints = store_endpoints(oxigraph_server.url)
    assert publish_dataset(tiny_settings, endpoints).published
    watch = FaultyTransport(lambda r: False)
    again = publish_dataset(tiny_settings, endpoints, transport=watch)
    assert not again.published and again.uploaded == []
    # the service description (the profile: oxigraph), then one query: the release graph
    assert [r.method for r in watch.sent] == ["GET", "POST"]
    result = run_cli("--root", str(tiny_settings.root), "publish", "--to", oxigraph_server.url)
    assert result.code == 0 and "already published" in result.out and "nothing to do" in result.out


def test_a_new_release_replaces_the_old_one_at_once(
    oxigraph_server: OxigraphServer,
    two_versions: tuple[Settings, Settings],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("cakg.store.release_graph.RELEASE_TTL", 0.0)  # read the release every time
    v1, v2 = two_versions
    endpoints = store_endpoints(oxigraph_server.url)
    publish_dataset(v1, endpoints)
    reader = RemoteEngine(endpoints.query)
    try:
        assert reader.version == version_of(v1) and DOC_2 in reader.graph_names()
        v1_count = count(reader)
        # the switch is lost: everything is uploaded, yet readers still see all of v1
        lost_switch = FaultyTransport(lambda r: b"MOVE <" in r.content)
        with pytest.raises(StoreError) as caught:
            publish_dataset(v2, endpoints, transport=lost_switch)
        assert "fault injected" in str(caught.value)
        staged = reader.store_graphs()
        assert staged_name(str(GRAPH["reference"]), version_of(v2)) in staged  # a new blank node
        assert staged_name(DOC_1, version_of(v2)) not in staged  # the same lines: not sent
        assert staged_name(ASSERTED_GRAPH, version_of(v2)) in staged
        fresh = RemoteEngine(endpoints.query)
        assert fresh.version == version_of(v1) and count(fresh) == v1_count
        fresh.close()
        # the retry switches: v2 only, doc-2's graph gone, nothing staged left behind
        done = publish_dataset(v2, endpoints)
        assert done.published and done.removed == [DOC_2]
        assert DOC_1 in done.unchanged and str(GRAPH["reference"]) not in done.unchanged
        assert done.resumed and not done.uploaded  # every graph was uploaded by the failed run
        reader.release()
        assert reader.version == version_of(v2)  # a running engine follows the switch
        after = RemoteEngine(endpoints.query)
        assert after.version == version_of(v2) and DOC_2 not in after.graph_names()
        graphs = after.store_graphs()
        union = staged_name(ASSERTED_GRAPH, version_of(v2))
        assert DOC_2 not in graphs and [g for g in graphs if "?release=" in g] == [union]
        assert after.release().union == union and RELEASE_GRAPH in graphs
        assert staged_name(ASSERTED_GRAPH, version_of(v1)) not in graphs  # dropped after
        after.close()
    finally:
        reader.close()


@pytest.mark.parametrize("workers", [1, 3])
def test_a_failed_upload_resumes_where_it_stopped(
    oxigraph_server: OxigraphServer, settings: Settings, small_chunks: int, workers: int
) -> None:
    build_dataset(settings)
    endpoints = store_endpoints(oxigraph_server.url)
    faulty = FaultyTransport(after_uploads(4))
    with pytest.raises(StoreError) as caught:
        publish_dataset(settings, endpoints, transport=faulty, workers=workers)
    message = str(caught.value)
    assert f"{oxigraph_server.url}/store" in message and "run publish again" in message
    state = json.loads((settings.out / STATE_FILE).read_text())
    assert state["version"] == version_of(settings) and len(state["done"]) == 4
    # a first publish: readers see an empty store meanwhile, not the graphs uploaded so far
    reader = open_engine(settings.replace(store_url=oxigraph_server.url))
    try:
        assert reader.version == "" and count(reader) == 0 and not reader.graph_names()
    finally:
        reader.close()
    seen: list[int] = []
    watch = FaultyTransport(lambda r: False)
    done = publish_dataset(
        settings, endpoints, transport=watch, workers=workers,
        progress=lambda what, n, total: seen.append(n),
    )  # fmt: skip
    assert done.published and done.uploaded and done.resumed
    chunks = len(seen)
    assert sorted(seen) == seen and seen[-1] == chunks and chunks > 4
    first = {r.content for r in faulty.sent if is_upload(r)}
    again = [r.content for r in watch.sent if is_upload(r)]
    assert len(first) == 4 and again and not first & set(again)  # only what was missing
    assert not (settings.out / STATE_FILE).exists()
    remote = open_engine(settings.replace(store_url=oxigraph_server.url))
    local = open_engine(settings)
    graphs = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"
    try:
        assert remote.version == version_of(settings) and count(remote) == count(local)
        assert remote.query(graphs).rows == local.query(graphs).rows
    finally:
        remote.close()
        local.close()


def test_a_wrong_upload_is_found_dropped_and_sent_again(
    oxigraph_server: OxigraphServer, settings: Settings, small_chunks: int
) -> None:
    build_dataset(settings)
    endpoints = store_endpoints(oxigraph_server.url)
    with pytest.raises(StoreError):  # everything is uploaded, the switch is lost
        publish_dataset(settings, endpoints, transport=FaultyTransport(
            lambda r: b"unionGraph" in r.content))  # fmt: skip
    reference = str(GRAPH["reference"])
    damage = f"DELETE WHERE {{ GRAPH <{reference}> {{ ?s a ?type }} }}"
    headers = {"Content-Type": "application/sparql-update"}
    httpx.post(f"{oxigraph_server.url}/update", content=damage, headers=headers).raise_for_status()
    with pytest.raises(StoreError) as caught:
        publish_dataset(settings, endpoints)
    assert reference in str(caught.value) and "run publish again" in str(caught.value)
    assert json.loads((settings.out / STATE_FILE).read_text())["only"] == [reference]
    watch = FaultyTransport(lambda r: False)
    done = publish_dataset(settings, endpoints, transport=watch)
    assert done.published and done.uploaded == [reference]
    remote = open_engine(settings.replace(store_url=oxigraph_server.url))
    local = open_engine(settings)
    try:
        assert count(remote) == count(local)
    finally:
        remote.close()
        local.close()


def assert_counts_match(settings: Settings, url: str) -> None:
    """The store at `url` holds as many triples as the local build, with and without inference."""
    remote = open_engine(settings.replace(store_url=url))
    local = open_engine(settings)
    try:
        assert count(remote) == count(local)
        assert count(remote, QueryDataset(inference=False)) == count(
            local, QueryDataset(inference=False)
        )
    finally:
        remote.close()
        local.close()


def test_a_store_taking_graphs_only_gets_one_post_per_graph(
    oxigraph_server: OxigraphServer, settings: Settings, small_chunks: int
) -> None:
    build_dataset(settings)
    refusing = RefusingTransport(lambda r: False)
    done = publish_dataset(
        settings, store_endpoints(oxigraph_server.url), transport=refusing, workers=2
    )
    assert done.published
    per_graph = [r for r in refusing.sent if is_upload(r) and "graph" in r.url.params]
    assert len(per_graph) > len(done.uploaded)  # every graph, and the union, chunk by chunk
    assert_counts_match(settings, oxigraph_server.url)


def test_a_store_with_sparql_update_only(
    oxigraph_server: OxigraphServer, settings: Settings, small_chunks: int
) -> None:
    build_dataset(settings)
    endpoints = store_endpoints(oxigraph_server.url)
    update_only = type(endpoints)(endpoints.query, endpoints.update, None)
    done = publish_dataset(settings, update_only)
    assert done.published
    assert_counts_match(settings, oxigraph_server.url)


def test_the_project_build_publishes_and_answers_like_the_embedded_engine(
    oxigraph_server: OxigraphServer, project_build: BuildResult, project_settings: Settings
) -> None:
    done = publish_dataset(project_settings, store_endpoints(oxigraph_server.url))
    assert done.published and not done.warnings
    remote = open_engine(project_settings.replace(store_url=oxigraph_server.url))
    local = open_engine(project_settings)
    graphs = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"
    try:
        for dataset in (QueryDataset(), QueryDataset(inference=False)):
            assert count(remote, dataset) == count(local, dataset)
            assert (
                remote.query(graphs, dataset=dataset).rows
                == local.query(graphs, dataset=dataset).rows
            )
    finally:
        remote.close()
        local.close()


# --- errors: a clear message naming the URL and the status, exit 2, no traceback ---------------


@pytest.fixture
def failing_store() -> Iterator[tuple[str, list[int]]]:
    """A stand-in store on 127.0.0.1 answering every request with the status in the list."""
    from tests.conftest import serve_in_thread

    status = [500]
    app = Flask("failing-store")

    @app.route("/<path:anything>", methods=["GET", "POST", "PUT"])
    def fail(anything: str) -> Response:
        request.get_data()
        return Response("store says no", status[0], content_type="text/plain")

    yield from ((url, status) for url in serve_in_thread(app))


@pytest.mark.parametrize("status", [401, 403, 500, 503])
def test_store_errors_exit_2_with_url_and_status(
    failing_store: tuple[str, list[int]],
    status: int,
    tiny_settings: Settings,
    built: BuildResult,
    run_cli: Callable[..., CliRun],
) -> None:
    url, answer = failing_store
    answer[0] = status
    result = run_cli("--root", str(tiny_settings.root), "publish", "--to", f"{url}/query")
    assert result.code == 2
    assert f"{url}/query answered {status}" in result.err
    assert "Traceback" not in result.err and result.err.startswith("cakg: error: ")
    if status in (401, 403):
        assert "CAKG_STORE_USER" in result.err


def test_a_store_answering_no_sparql_results_exits_2_naming_the_request(
    failing_store: tuple[str, list[int]],
    tiny_settings: Settings,
    built: BuildResult,
    run_cli: Callable[..., CliRun],
) -> None:
    url, answer = failing_store
    answer[0] = 200  # "store says no" as text/plain: not the SPARQL results asked for
    result = run_cli("--root", str(tiny_settings.root), "publish", "--to", f"{url}/query")
    assert result.code == 2 and "Traceback" not in result.err
    release_query = "the SELECT query `SELECT ?p ?o WHERE { { GRAPH <urn:x-cakg:release> {"
    assert result.err.startswith(f"cakg: error: the SPARQL store at {url}/query ({release_query}")
    assert "the answer is text/plain ('store says no'), not SPARQL results" in result.err


def test_unreachable_store_exits_2(
    tiny_settings: Settings, built: BuildResult, run_cli: Callable[..., CliRun]
) -> None:
    from tests.conftest import free_port

    url = f"http://127.0.0.1:{free_port()}"
    result = run_cli("--root", str(tiny_settings.root), "publish", "--to", url)
    assert result.code == 2 and "Traceback" not in result.err
    assert f"{url}/query" in result.err and "unreachable" in result.err


def test_publish_needs_an_update_endpoint(
    tiny_settings: Settings, built: BuildResult, run_cli: Callable[..., CliRun]
) -> None:
    """A store whose profile knows no update endpoint beside `.../x` (none is asked: the profile
    is given)."""
    result = run_cli(
        "--root", str(tiny_settings.root), "publish", "--to", "http://127.0.0.1:9/x",
        "--store-profile", "standard",
    )  # fmt: skip
    assert result.code == 2 and "--update URL" in result.err


def test_state_file_of_another_store_version_or_chunk_size_is_ignored(tmp_path: Path) -> None:
    from cakg.publish import CHUNK_LINES, _load_state

    path = tmp_path / STATE_FILE
    endpoints = store_endpoints("http://127.0.0.1:1")
    saved = {"store": endpoints.query, "version": "v1", "chunk_lines": CHUNK_LINES, "done": [3]}
    path.write_text(json.dumps(saved))
    assert _load_state(path, endpoints, "v1")["done"] == [3]
    assert _load_state(path, endpoints, "v2")["done"] == []
    assert _load_state(path, store_endpoints("http://127.0.0.1:2"), "v1")["done"] == []
    path.write_text(json.dumps({**saved, "chunk_lines": CHUNK_LINES + 1}))
    assert _load_state(path, endpoints, "v1")["done"] == []


def test_a_switch_on_a_store_not_isolated_goes_in_requests_of_bounded_size() -> None:
    """Virtuoso's compiler ran out of memory on the one-request switch of a 10^6 release (2,600
    graphs, 8,000 release lines); where readers wait on the switch mark, it goes in parts."""
    from cakg.publish import SWITCH_OPS, _switch
    from cakg.store.release_graph import release_update

    graphs = {f"urn:g{i:04}": i + 1 for i in range(1_200)}
    targets = {g: staged_name(g, "v2") for g in graphs}
    digests = {g: f"{i:064x}" for i, g in enumerate(graphs)}
    args = (graphs, targets, "urn:u?release=v2", "v2", ["urn:old"], digests)
    [whole] = _switch(*args, isolated=True)
    parts = _switch(*args, isolated=False)
    moves = [p for p in parts if "MOVE" in p or "DROP SILENT GRAPH <urn:old>" in p]
    inserts = [p for p in parts if "INSERT DATA" in p]
    assert len(moves) == 3 and len(inserts) == len(parts) - 3 > 1
    assert all(p.count(" ;\n") < SWITCH_OPS for p in moves)
    assert sum(p.count("MOVE <") for p in moves) == whole.count("MOVE <") == 1_200
    release = release_update("v2", graphs, "urn:u?release=v2", digests)

    def triples(texts: list[str]) -> list[str]:  # but the time of writing, which may tick
        return sorted(
            line for text in texts for line in text.splitlines()
            if line.startswith("<") and "/modified>" not in line
        )  # fmt: skip

    assert triples(inserts) == triples([release])
    assert parts[len(moves)].startswith("DROP SILENT GRAPH <urn:x-cakg:release>")
    assert all(p.count("\n") <= SWITCH_OPS + 2 for p in inserts)
