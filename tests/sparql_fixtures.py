"""Fixtures of the SPARQL endpoint tests, to be merged into conftest.py by the lead.

`app` / `client` / `live_server` run the real app (worker pool included) on the tiny build;
`limited_app` / `limited_server` run it with small limits (timeout, rows, lengths);
`engine` is an engine of each kind on the tiny build: in-process ones, and `remote` over a real
Oxigraph server (`oxigraph serve` on a free 127.0.0.1 port) that the tiny build is published into;
`oxigraph_servers` starts more such servers and stops them all at the end of the session.
"""

from __future__ import annotations

import selectors
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from cakg.build import BuildResult
from cakg.config import Settings
from cakg.engine import Engine, open_engine
from cakg.publish import publish_dataset
from cakg.store.endpoints import store_endpoints
from cakg.web import close_app, create_app

LIMITS = {
    "query_timeout": 2.0,
    "max_rows": 3,
    "max_query_length": 200_000,
    "max_request_bytes": 300_000,
    "query_memory_mb": 256,
    "result_cache": False,
}


@pytest.fixture(scope="session")
def app(built: BuildResult, tiny_settings: Settings) -> Iterator[Flask]:
    """The real app on the tiny build, its query workers included."""
    app = create_app(tiny_settings, {"TESTING": True})
    yield app
    close_app(app)


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
    """The app on 127.0.0.1 at a free port, for real clients (SPARQLWrapper, urllib)."""
    yield from serve_in_thread(app)


@pytest.fixture(scope="session", params=["oxigraph", "rdflib"])
def limited_settings(request: pytest.FixtureRequest, tiny_settings: Settings) -> Settings:
    return tiny_settings.replace(engine=request.param, **LIMITS)


@pytest.fixture(scope="session")
def limited_app(built: BuildResult, limited_settings: Settings) -> Iterator[Flask]:
    """The app with a 2 s timeout, 3 rows, 256 MB per worker, no result cache."""
    app = create_app(limited_settings, {"TESTING": True})
    yield app
    close_app(app)


@pytest.fixture(scope="session")
def limited_server(limited_app: Flask) -> Iterator[str]:
    yield from serve_in_thread(limited_app)


@pytest.fixture(scope="session", params=["oxigraph", "rdflib", "remote"])
def engine(
    request: pytest.FixtureRequest, built: BuildResult, tiny_settings: Settings
) -> Iterator[Engine]:
    """An engine of each kind on the tiny build (remote: over an Oxigraph server)."""
    if request.param == "remote":
        settings: Settings = request.getfixturevalue("remote_settings")
    else:
        settings = tiny_settings.replace(engine=request.param)
    engine = open_engine(settings)
    yield engine
    engine.close()


# --- a real Oxigraph server ------------------------------------------------------------------

SERVER_START = 30.0  # seconds for `oxigraph serve` to listen
SERVER_QUERY_TIMEOUT = 5  # the server's own --timeout-s: a query abandoned by cakg stops there


@dataclass
class OxigraphServer:
    """An `oxigraph serve` process on 127.0.0.1; `url` is its base (/query, /update, /store)."""

    url: str
    process: subprocess.Popen[bytes]
    log: list[str] = field(default_factory=list)
    drain: threading.Thread | None = None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        if self.drain is not None:
            self.drain.join(10)
        if self.process.stderr is not None:
            self.process.stderr.close()


def oxigraph_binary() -> str | None:
    beside = Path(sys.executable).parent / "oxigraph"
    return str(beside) if beside.is_file() else shutil.which("oxigraph")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start_oxigraph(location: Path) -> OxigraphServer:
    """Start `oxigraph serve` and wait (reading its log, with a deadline) until it listens."""
    binary = oxigraph_binary()
    if binary is None:
        pytest.skip("the oxigraph server is not installed: pip install oxigraph (the test extra)")
    port = free_port()
    process = subprocess.Popen(
        [binary, "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}",
         "--timeout-s", str(SERVER_QUERY_TIMEOUT)],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        bufsize=0,  # a readline after select() must not buffer lines that select() cannot see
    )  # fmt: skip
    assert process.stderr is not None
    server = OxigraphServer(f"http://127.0.0.1:{port}", process)
    deadline = time.monotonic() + SERVER_START
    with selectors.DefaultSelector() as selector:
        selector.register(process.stderr, selectors.EVENT_READ)
        while not any("Listening for requests" in line for line in server.log):
            left = deadline - time.monotonic()
            if left <= 0 or process.poll() is not None or not selector.select(left):
                server.stop()
                pytest.fail(f"oxigraph serve did not start on port {port}: {server.log}")
            server.log.append(process.stderr.readline().decode("utf-8", "replace"))
    server.drain = threading.Thread(target=_drain, args=(process, server.log), daemon=True)
    server.drain.start()
    return server


def _drain(process: subprocess.Popen[bytes], log: list[str]) -> None:
    assert process.stderr is not None
    for line in process.stderr:
        log.append(line.decode("utf-8", "replace"))


@pytest.fixture(scope="session")
def oxigraph_servers(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[[], OxigraphServer]]:
    """Start a fresh Oxigraph server (its data in a temporary folder); all stop at the end."""
    started: list[OxigraphServer] = []

    def start() -> OxigraphServer:
        server = start_oxigraph(tmp_path_factory.mktemp("oxigraph"))
        started.append(server)
        return server

    yield start
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
