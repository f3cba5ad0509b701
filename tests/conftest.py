"""The tests' fixtures, one chain with one meaning per name, and the markers set from them.

    settings (a private copy of tests/data/tiny), tiny_settings (a shared one) -> built (once)
      -> engine_kind ("embedded" | "remote" | "virtuoso") -> engine_settings -> engine -> app
         -> client,
         live_server
    limited_settings ("oxigraph" | "rdflib" | "remote") -> limited_app -> limited_server
    in_process_engine, any_engine ("oxigraph" | "rdflib" | "remote"), remote_settings
    project_settings -> project_build -> project_dataset, project_client (each engine kind),
      project_virtuoso_settings
    run_cli (the CLI's runner), oxigraph_servers, listener (must receive no connection)
    ontology, shapes, reference, sources, data: the project's files as graphs (project_graphs)

`engine` is the tiny build's engine as `cakg serve` runs it, once per kind: embedded (the worker
pool in this process's children), remote (a RemoteEngine over a real `oxigraph serve` on
127.0.0.1 that the build is published into) and virtuoso (a RemoteEngine over a real Virtuoso on
127.0.0.1, likewise). Every test that uses it, or `app`, `client`, `live_server` or
`project_client` after it, runs on each kind; the virtuoso kind only in VIRTUOSO_MODULES (the
other modules' virtuoso items are deselected at collection). A test that holds for one kind
only narrows the parameter: `@pytest.mark.parametrize("engine_kind", ["embedded"],
indirect=True)`, with its reason beside it. Where Virtuoso departs from the standards, the test
stays as it is and `virtuoso_deviates(request, id)` marks its virtuoso item a strict xfail, `id`
naming an entry of tests/virtuoso_deviations.py.

About 400 lines, over the usual 300: the Oxigraph server the remote fixtures need (start it, wait
for its ready line, stop it) belongs with them, and `still_running` (waiting for processes to exit)
with the other helpers that tests of real servers import from here.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import shutil
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pytest
from flask import Flask
from flask.testing import FlaskClient
from rdflib import Dataset
from werkzeug.serving import make_server

from cakg.build import BuildResult, build_dataset
from cakg.cli import main
from cakg.config import Settings
from cakg.engine import Engine, open_engine
from cakg.publish import publish_dataset
from cakg.release import dataset_dir
from cakg.store.endpoints import store_endpoints
from cakg.web import close_app, create_app
from tests.server_process import ServerProcess, free_port, start_process
from tests.virtuoso_deviations import DEVIATIONS
from tests.virtuoso_server import (
    VirtuosoServer,
    VirtuosoStartError,
    start_virtuoso,
    virtuoso_binaries,
)

# The project's Turtle files as graphs: ontology, shapes, reference, sources, data.
pytest_plugins = ["tests.project_graphs", "tests.browser_support"]

TESTS = Path(__file__).parent
REPO = TESTS.parent
TINY = TESTS / "data" / "tiny"
INVALID = TESTS / "data" / "invalid"

ENGINE_KINDS = ("embedded", "remote", "virtuoso")
# The suites that also run on the virtuoso kind: the SPARQL endpoint, the saved-query API and the
# linked-data pages (issue 23). The virtuoso items of every other module are deselected.
VIRTUOSO_MODULES = {
    "test_sparql_protocol.py", "test_saved_api.py", "test_linked.py", "test_resource_pages.py",
}  # fmt: skip
LIMITS = {
    "query_timeout": 2.0,
    "max_rows": 3,
    "max_query_length": 200_000,
    "max_request_bytes": 300_000,
    "query_memory_mb": 256,
    "result_cache": False,
}

# A test that uses one of these fixtures, directly or through another one, starts a server (a live
# HTTP server thread, an Oxigraph server or a real `cakg serve`): it is marked `server`, as is every
# test on a remote engine (the value "remote" or "virtuoso" of one of REMOTE_PARAMETERS, over an
# Oxigraph or a Virtuoso server). The markers are declared in pyproject.toml; `make test-fast`
# leaves out slow, server, browser and w3c.
SERVER_FIXTURES = {
    "live_server", "limited_server", "oxigraph_servers", "remote_settings", "served",
    "failing_store", "virtuoso_servers", "project_virtuoso_settings",
}  # fmt: skip
REMOTE_PARAMETERS = ("engine_kind", "limited_settings", "any_engine")
REMOTE_KINDS = {"remote", "virtuoso"}


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    kept, deselected = [], []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if params.get("engine_kind") == "virtuoso" and item.path.name not in VIRTUOSO_MODULES:
            deselected.append(item)
            continue
        kept.append(item)
        remote = any(params.get(name) in REMOTE_KINDS for name in REMOTE_PARAMETERS)
        if remote or SERVER_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.server)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept


def virtuoso_deviates(request: pytest.FixtureRequest, deviation: str) -> None:
    """On the virtuoso kind, expect the test to fail (strictly) for the reason DEVIATIONS
    gives under `deviation`; on the other kinds, nothing."""
    if request.getfixturevalue("engine_kind") == "virtuoso":
        request.applymarker(deviation_xfail(deviation))


def deviation_xfail(deviation: str) -> pytest.MarkDecorator:
    """A strict xfail whose reason is the entry `deviation` of tests/virtuoso_deviations.py."""
    what, _consequence, _workaround = DEVIATIONS[deviation]
    return pytest.mark.xfail(strict=True, reason=f"Virtuoso deviation {deviation}: {what}")


# --- settings and builds ----------------------------------------------------------------------


def copy_project(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("build", ".venv", "__pycache__"))
    return target


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings on a fresh, private copy of the tiny project (safe to modify)."""
    return Settings(root=copy_project(TINY, tmp_path / "tiny"))


@pytest.fixture(scope="session")
def tiny_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings on a shared copy of the tiny project (do not modify)."""
    return Settings(root=copy_project(TINY, tmp_path_factory.mktemp("shared") / "tiny"))


@pytest.fixture(scope="session")
def built(tiny_settings: Settings) -> BuildResult:
    """The tiny project, built once for the session."""
    return build_dataset(tiny_settings)


@pytest.fixture(scope="session")
def project_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings on the repository's own sources, building into a temporary folder."""
    return Settings(root=REPO, build_dir=tmp_path_factory.mktemp("project-build"))


@pytest.fixture(scope="session")
def project_build(project_settings: Settings) -> BuildResult:
    """The repository's graph, built once for the session by the real pipeline."""
    return build_dataset(project_settings, force=True)


@pytest.fixture(scope="session")
def project_dataset(project_build: BuildResult, project_settings: Settings) -> Dataset:
    """The compiled project (asserted and inferred named graphs), union as default graph."""
    ds = Dataset(default_union=True)
    ds.parse(dataset_dir(project_settings) / "cakg.nq", format="nquads")
    return ds


# --- the engine and the app, embedded and remote ------------------------------------------------


@pytest.fixture(scope="session", params=ENGINE_KINDS)
def engine_kind(request: pytest.FixtureRequest) -> str:
    """Where the queries run: "embedded" (cakg's own store), "remote" (an Oxigraph server) or
    "virtuoso" (a Virtuoso server)."""
    kind: str = request.param
    return kind


@pytest.fixture(scope="session")
def engine_settings(
    request: pytest.FixtureRequest, engine_kind: str, built: BuildResult, tiny_settings: Settings
) -> Settings:
    """The tiny build's settings for the engine kind (remote, virtuoso: `store_url` set)."""
    if engine_kind == "remote":
        remote: Settings = request.getfixturevalue("remote_settings")
        return remote
    if engine_kind == "virtuoso":
        server = request.getfixturevalue("virtuoso_servers")()
        publish_dataset(tiny_settings, store_endpoints(server.sparql))
        return tiny_settings.replace(store_url=server.sparql)
    return tiny_settings


@pytest.fixture(scope="session")
def engine(engine_settings: Settings) -> Iterator[Engine]:
    """The tiny build's engine as `cakg serve` opens it: the worker pool, or the RemoteEngine."""
    engine = open_engine(engine_settings, isolated=True)
    yield engine
    engine.close()


@pytest.fixture(scope="session")
def app(engine_settings: Settings, engine: Engine) -> Flask:
    """The real app on the tiny build and `engine`."""
    return create_app(engine_settings, {"TESTING": True, "CAKG_ENGINE": engine})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def serve_in_thread(app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


@pytest.fixture(scope="session")
def live_server(app: Flask) -> Iterator[str]:
    """`app` on 127.0.0.1 at a free port, for real clients (SPARQLWrapper, urllib, rdflib)."""
    yield from serve_in_thread(app)


@pytest.fixture(scope="session")
def in_process_engine(built: BuildResult, tiny_settings: Settings) -> Iterator[Engine]:
    """The tiny build loaded in this process (pyoxigraph; no worker pool, no server)."""
    engine = open_engine(tiny_settings)
    yield engine
    engine.close()


@pytest.fixture(scope="session", params=["oxigraph", "rdflib", "remote"])
def any_engine(
    request: pytest.FixtureRequest, built: BuildResult, tiny_settings: Settings
) -> Iterator[Engine]:
    """An engine of each kind on the tiny build: in-process ones, and remote over Oxigraph."""
    if request.param == "remote":
        settings: Settings = request.getfixturevalue("remote_settings")
    else:
        settings = tiny_settings.replace(engine=request.param)
    engine = open_engine(settings)
    yield engine
    engine.close()


@pytest.fixture(scope="module", params=["oxigraph", "rdflib", "remote"])
def limited_settings(
    request: pytest.FixtureRequest,
    built: BuildResult,
    tiny_settings: Settings,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Settings]:
    """The tiny build's settings with small LIMITS, for each engine. Remote: over an Oxigraph
    server of its own, stopped after the module: the slow queries cakg abandons run on in the
    store (up to its --timeout-s) and would take the CPU from the tests that follow."""
    if request.param != "remote":
        yield tiny_settings.replace(engine=request.param, **LIMITS)
        return
    server = start_oxigraph(tmp_path_factory.mktemp("oxigraph-limited"))
    try:
        publish_dataset(tiny_settings, store_endpoints(server.url))
        yield tiny_settings.replace(store_url=server.url, **LIMITS)
    finally:
        server.stop()


@pytest.fixture(scope="module")
def limited_app(limited_settings: Settings) -> Iterator[Flask]:
    """The app with a 2 s timeout, 3 rows, 256 MB per worker, no result cache."""
    app = create_app(limited_settings, {"TESTING": True})
    yield app
    close_app(app)


@pytest.fixture(scope="module")
def limited_server(limited_app: Flask) -> Iterator[str]:
    yield from serve_in_thread(limited_app)


@pytest.fixture(scope="session")
def project_client(
    request: pytest.FixtureRequest,
    engine_kind: str,
    project_build: BuildResult,
    project_settings: Settings,
) -> Iterator[FlaskClient]:
    """A client of the app on the repository's own build: in-process, or published into its own
    Oxigraph or Virtuoso server and served remotely."""
    settings = project_settings
    if engine_kind == "remote":
        server = request.getfixturevalue("oxigraph_servers")()
        publish_dataset(project_settings, store_endpoints(server.url))
        settings = project_settings.replace(store_url=server.url)
    elif engine_kind == "virtuoso":
        settings = request.getfixturevalue("project_virtuoso_settings")
    engine = open_engine(settings)
    yield create_app(settings, {"TESTING": True, "CAKG_ENGINE": engine}).test_client()
    engine.close()


Server = TypeVar("Server", bound=ServerProcess)

# --- a real Oxigraph server ------------------------------------------------------------------

SERVER_START = 30.0  # seconds for `oxigraph serve` to listen
SERVER_QUERY_TIMEOUT = 5  # the server's own --timeout-s: a query abandoned by cakg stops there


class OxigraphServer(ServerProcess):
    """An `oxigraph serve` process on 127.0.0.1; `url` is its base (/query, /update, /store)."""


def oxigraph_binary() -> str | None:
    beside = Path(sys.executable).parent / "oxigraph"
    return str(beside) if beside.is_file() else shutil.which("oxigraph")


def start_oxigraph(location: Path) -> OxigraphServer:
    """Start `oxigraph serve` and wait (reading its log, with a deadline) until it listens."""
    binary = oxigraph_binary()
    if binary is None:
        pytest.skip("the oxigraph server is not installed: pip install oxigraph (the test extra)")
    port = free_port()
    process = start_process(
        [binary, "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}",
         "--timeout-s", str(SERVER_QUERY_TIMEOUT)]
    )  # fmt: skip
    server = OxigraphServer(f"http://127.0.0.1:{port}", process)
    if not server.wait_for("Listening for requests", SERVER_START):
        pytest.fail(f"oxigraph serve did not start on port {port}: {server.log}")
    return server


@pytest.fixture(scope="session")
def oxigraph_servers(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[[], OxigraphServer]]:
    """Start a fresh Oxigraph server (its data in a temporary folder); all stop at the end."""
    yield from started_servers(lambda: start_oxigraph(tmp_path_factory.mktemp("oxigraph")))


def started_servers(start: Callable[[], Server]) -> Iterator[Callable[[], Server]]:
    """A factory of servers made by `start`, every one of them stopped when it is done."""
    started: list[Server] = []

    def make() -> Server:
        server = start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def remote_settings(
    built: BuildResult, tiny_settings: Settings, oxigraph_servers: Callable[[], OxigraphServer]
) -> Settings:
    """The tiny build published into its own Oxigraph server; settings in remote mode."""
    server = oxigraph_servers()
    publish_dataset(tiny_settings, store_endpoints(server.url))
    return tiny_settings.replace(store_url=server.url)


# --- a real Virtuoso server -------------------------------------------------------------------

VIRTUOSO_MISSING = (
    "Virtuoso is not installed: `make test` installs Debian's virtuoso-opensource when run as "
    "root; otherwise run `sudo apt-get install virtuoso-opensource`"
)


@pytest.fixture(scope="session")
def virtuoso_servers(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[[], VirtuosoServer]]:
    """Start a fresh Virtuoso server (its database in a temporary folder); all stop at the end.
    Skips the test when Virtuoso is not installed."""
    if virtuoso_binaries() is None:
        pytest.skip(VIRTUOSO_MISSING)

    def start() -> VirtuosoServer:
        try:
            return start_virtuoso(tmp_path_factory.mktemp("virtuoso"))
        except VirtuosoStartError as e:
            pytest.fail(str(e))

    yield from started_servers(start)


@pytest.fixture(scope="session")
def project_virtuoso_settings(
    project_build: BuildResult,
    project_settings: Settings,
    virtuoso_servers: Callable[[], VirtuosoServer],
) -> Settings:
    """The repository's build published into its own Virtuoso server; settings in remote mode."""
    server = virtuoso_servers()
    publish_dataset(project_settings, store_endpoints(server.sparql))
    return project_settings.replace(store_url=server.sparql)


@pytest.fixture
def listener() -> Iterator[tuple[socket.socket, str]]:
    """A TCP listener on 127.0.0.1 (non-blocking) that must receive no connection, and its URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    sock.setblocking(False)
    yield sock, f"http://127.0.0.1:{sock.getsockname()[1]}"
    sock.close()


# --- processes ---------------------------------------------------------------------------------


def still_running(pids: list[int], seconds: float) -> list[int]:
    """Those of `pids` that have not exited within `seconds`, each waited on through a pidfd
    (readable once its process has exited; an exited and reaped one cannot be opened)."""
    opened: dict[int, int] = {}
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            opened[pid] = os.pidfd_open(pid)
    try:
        with selectors.DefaultSelector() as selector:
            for pid, fd in opened.items():
                selector.register(fd, selectors.EVENT_READ, pid)
            deadline = time.monotonic() + seconds
            while selector.get_map() and (left := deadline - time.monotonic()) > 0:
                for key, _ in selector.select(left):
                    selector.unregister(key.fileobj)
            return sorted(key.data for key in selector.get_map().values())
    finally:
        for fd in opened.values():
            os.close(fd)


# --- the command line ---------------------------------------------------------------------------


@dataclass
class CliRun:
    code: int
    out: str
    err: str


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliRun]:
    """Run `cakg ARGS...` in-process through its real entry point; returns code, stdout, stderr."""

    def run(*args: str) -> CliRun:
        capsys.readouterr()
        try:
            main(list(args))
            code = 0
        except SystemExit as e:
            code = int(e.code or 0) if not isinstance(e.code, str) else 1
        captured = capsys.readouterr()
        return CliRun(code, captured.out, captured.err)

    return run


@pytest.fixture(scope="session")
def project_engine(project_build: BuildResult, project_settings: Settings) -> Iterator[Engine]:
    """The project's build loaded in this process (pyoxigraph; no worker pool)."""
    engine = open_engine(project_settings)
    yield engine
    engine.close()
