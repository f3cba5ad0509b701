"""`cakg serve` under attack: no outbound connection, no crashed web process, no orphan worker.

The server runs as deployed (a supervisor, one web process, the zygote and its workers), with a
2 s limit and the result cache off, so that every request is evaluated again.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from cakg.build import BuildResult
from cakg.config import Settings
from tests.conftest import still_running
from tests.test_server import SLOW, Served, children, serve_process

pytestmark = pytest.mark.server  # every test talks to a real `cakg serve`

TIMEOUT = 2.0
CHEAP = "ASK { ?s ?p ?o }"


@pytest.fixture(scope="module")
def served(built: BuildResult, tiny_settings: Settings) -> Iterator[Served]:
    yield from serve_process(
        tiny_settings.root,
        CAKG_WEB_PROCESSES="1",
        CAKG_THREADS="8",
        CAKG_QUERY_WORKERS="2",
        CAKG_QUERY_TIMEOUT=str(TIMEOUT),
        CAKG_QUERY_MEMORY_MB="256",
        CAKG_RESULT_CACHE="0",
        CAKG_CLIENT_LIMIT="0",
    )


def request(
    url: str, query: str, channel: str, timeout: float = 30
) -> tuple[int, dict[str, str], bytes]:
    """The query sent over one of the protocol's three channels."""
    headers = {"Accept": "application/sparql-results+json, text/turtle;q=0.5"}
    if channel == "get":
        req = urllib.request.Request(
            f"{url}/sparql?{urllib.parse.urlencode({'query': query})}", headers=headers
        )
    elif channel == "form":
        data = urllib.parse.urlencode({"query": query}).encode()
        req = urllib.request.Request(f"{url}/sparql", data=data, headers=headers)
    else:
        headers["Content-Type"] = "application/sparql-query"
        req = urllib.request.Request(f"{url}/sparql", data=query.encode(), headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def payloads(remote: str) -> list[str]:
    """Every way found to make an engine fetch `remote`, the guard's old blind spots first."""
    return [
        'SELECT * { BIND("\\u0022" AS ?a) SERVICE SILENT <' + remote + "/x> { ?s ?p ?o } "
        'BIND("\\u0022" AS ?b) }',
        f"SELECT * {{ ?s ?p 1e1SERVICE SILENT <{remote}/x> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ SERVICE <{remote}/sparql> {{ ?s ?p ?o }} }}",
        f"select * where {{ service silent <{remote}/sparql> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ \\u0053ERVICE SILENT <{remote}/sparql> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ # }}\n SERVICE SILENT <{remote}/c> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ OPTIONAL {{ SERVICE SILENT <{remote}/o> {{ ?s ?p ?o }} }} }}",
        f"LOAD <{remote}/data.ttl>",
        f"SELECT * FROM <{remote}/data.ttl> WHERE {{ ?s ?p ?o }}",
        f"SELECT * FROM NAMED <{remote}/data.ttl> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
        f"DESCRIBE <{remote}/thing>",
        f"SELECT * WHERE {{ GRAPH <{remote}/g> {{ ?s ?p ?o }} }}",
    ]


@pytest.mark.parametrize("channel", ["get", "form", "body"])
def test_no_payload_makes_the_server_connect_anywhere(
    served: Served, listener: tuple[socket.socket, str], channel: str
) -> None:
    sock, remote = listener
    for query in payloads(remote):
        for _ in range(3):  # again and again: the old code ran a repeat in the web process
            status, _, body = request(served.url, query, channel)
            assert status in (200, 400), (query, status, body)
            assert b"Traceback" not in body
    with pytest.raises(BlockingIOError):
        sock.accept()
    assert request(served.url, CHEAP, channel)[0] == 200


def test_the_guards_old_blind_spots_are_refused(
    served: Served, listener: tuple[socket.socket, str]
) -> None:
    _, remote = listener
    for query in payloads(remote)[:2]:
        status, _, body = request(served.url, query, "form")
        assert status == 400 and b"SERVICE" in body, body


def test_a_hostile_chain_never_crashes_the_web_process(served: Served) -> None:
    web = _web_process(served)
    chain = "SELECT * {" + " MINUS{}" * 1000 + " }"
    for _ in range(4):
        status, _, body = request(served.url, chain, "form")
        assert status in (400, 503) and b"Traceback" not in body
    assert _web_process(served) == web  # the same process: it never died
    assert request(served.url, CHEAP, "get")[0] == 200


def _dropped(url: str, query: str) -> None:
    """Send `query`; its connection is expected to drop with the web process."""
    with contextlib.suppress(OSError):
        request(url, query, "form", 60)


def _answers(url: str) -> bool:
    try:
        return request(url, CHEAP, "get", timeout=5)[0] == 200
    except OSError:  # not listening yet
        return False


def _web_process(served: Served) -> int:
    """The pid of the web process (the supervisor's child that has no children)."""
    web = [pid for pid in children(served.proc.pid) if not children(pid)]
    assert len(web) == 1
    return web[0]


def _zygote(served: Served) -> int:
    zygote = [pid for pid in children(served.proc.pid) if children(pid)]
    assert len(zygote) == 1
    return zygote[0]


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state == "R"


def _poll(condition: object, seconds: float) -> bool:
    """Whether `condition()` holds within `seconds`: polled, for the states no event announces (a
    process's run state, a web process's new workers, a server that answers)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.02)  # polling: see the docstring
    return bool(condition())  # type: ignore[operator]


def test_workers_stop_within_the_limit_after_their_web_process_is_killed(
    served: Served,
) -> None:
    web, zygote = _web_process(served), _zygote(served)
    before = set(children(zygote))
    threads = [
        threading.Thread(target=_dropped, args=(served.url, SLOW), daemon=True) for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    assert _poll(lambda: sum(_running(pid) for pid in before) >= 2, 10)
    busy = [pid for pid in before if _running(pid)]
    os.kill(web, signal.SIGKILL)
    assert still_running(busy, TIMEOUT + 2) == [], "the workers of a killed web process still run"
    # granian starts a new web process, which gets workers of its own (the zygote is childless
    # until then) and answers
    assert _poll(lambda: len([p for p in children(served.proc.pid) if not children(p)]) == 1, 30)
    assert _poll(lambda: _answers(served.url), 30)
    for thread in threads:
        thread.join(5)


def test_healthz_reports_the_isolation(served: Served) -> None:
    with urllib.request.urlopen(f"{served.url}/healthz", timeout=10) as r:
        health = json.loads(r.read())
    assert health["network_isolated"] is True


def _raw(url: str, request_bytes: bytes) -> bytes:
    host, port = urllib.parse.urlsplit(url).netloc.split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request_bytes)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return data


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"GET /nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", b"404"),
        (b"DELETE /sparql HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", b"405"),
        (b"GET /sparql?query=ASK%7B HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", b"400"),
        (b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", b"200"),
    ],
)
def test_every_answer_of_the_app_has_a_request_id(
    served: Served, request_bytes: bytes, status: bytes
) -> None:
    reply = _raw(served.url, request_bytes)
    assert reply.split(b" ", 2)[1] == status
    assert b"\r\nx-request-id: " in reply.lower()


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"GET /healthz?x=" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", b"414"),
        (b"GET /\xff HTTP/1.1\r\nHost: x\r\n\r\n", b"400"),
        (b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Bad: \x01\r\n\r\n", b"400"),
    ],
)
def test_the_answers_granian_writes_itself_are_the_ones_the_readme_names(
    served: Served, request_bytes: bytes, status: bytes
) -> None:
    """The README's list of answers without a request id: if granian starts sending one, or
    more cases appear, this says so."""
    reply = _raw(served.url, request_bytes)
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.split(b" ", 2)[1] == status
    assert b"x-request-id" not in head.lower() and body == b""


def test_nothing_outlives_a_killed_supervisor(built: BuildResult, tiny_settings: Settings) -> None:
    """kill -9 of `cakg serve` itself: its web processes, zygote and workers all end, and no
    orphan keeps the port."""
    server = serve_process(tiny_settings.root, CAKG_WEB_PROCESSES="2")
    served = next(server)
    family = [pid for child in children(served.proc.pid) for pid in (child, *children(child))]
    assert len(family) >= 2 + 1 + 2 * 3  # two web processes, the zygote, their workers
    os.kill(served.proc.pid, signal.SIGKILL)
    served.proc.wait(10)
    assert still_running(family, seconds=5) == []
    with contextlib.suppress(StopIteration):
        next(server)
