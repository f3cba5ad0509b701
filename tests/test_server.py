"""`cakg serve` as deployed: a supervisor, two web processes on one socket, one shared zygote.

The limits of test_limits.py (timeout, crash, next request answered) must hold here too, where a
query worker is forked by the zygote for a web process that is itself a fork of the supervisor.
"""

from __future__ import annotations

import json
import os
import re
import selectors
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path

import pytest

from cakg.build import BuildResult
from cakg.config import Settings
from tests.conftest import still_running

SERVE = (
    "import sys; from cakg.config import Settings; from cakg.web.server import serve; "
    "serve(Settings.from_env(root=sys.argv[1]))"
)
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o }"
CHEAP = "ASK { ?s ?p ?o }"
CRASH = "SELECT (" + "+".join(["1"] * 20000) + " AS ?x) WHERE {}"  # pyoxigraph's parser segfaults
pytestmark = pytest.mark.server  # every test talks to a real `cakg serve`

TIMEOUT = 2.0
URL = re.compile(rb"serving cakg at (http://\S+)/")
SPAWNED = re.compile(rb"Spawning worker-\d+ with")  # granian's line once it forked a web process


@dataclass
class Served:
    url: str
    proc: subprocess.Popen[bytes]
    log: bytearray  # everything the server wrote to stderr so far
    grew: threading.Condition = field(default_factory=threading.Condition)  # notified per line


ACCESS_LINE = re.compile(
    rb"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} cakg\.access 127\.0\.0\.1 "
    rb'"(GET|POST) (/\S*)" (\d{3}) (\d+|-) \d+\.\dms id=(\S+)$',
    re.MULTILINE,
)


@pytest.fixture(scope="module")
def served(built: BuildResult, tiny_settings: Settings) -> Iterator[Served]:
    yield from serve_process(
        tiny_settings.root,
        CAKG_WEB_PROCESSES="2",
        CAKG_THREADS="4",
        CAKG_QUERY_TIMEOUT=str(TIMEOUT),
        CAKG_QUERY_MEMORY_MB="256",
        CAKG_RESULT_CACHE="0",
        CAKG_MAX_QUERY_LENGTH="200000",
        CAKG_MAX_REQUEST_BYTES="300000",
    )


def serve_process(root: Path, **env: str) -> Iterator[Served]:
    """`cakg serve` of the project at `root` on a free port, with these CAKG_* settings; its
    stderr kept in `Served.log`; stopped after."""
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVE, str(root)],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        bufsize=0,  # a readline after select() must not buffer lines that select() cannot see
        env={**os.environ, "CAKG_PORT": "0", **env},
    )
    assert proc.stderr is not None
    try:
        url = _read_url(proc, deadline=time.monotonic() + 60)
    except AssertionError:
        proc.kill()  # not left running after the session
        proc.wait(15)
        proc.stderr.close()
        raise
    served = Served(url, proc, bytearray())

    def drain() -> None:  # keep the pipe flowing
        assert proc.stderr is not None
        for line in proc.stderr:
            with served.grew:
                served.log.extend(line)
                served.grew.notify_all()

    thread = threading.Thread(target=drain, daemon=True)
    thread.start()
    yield served
    if proc.poll() is None:
        proc.terminate()
        proc.wait(15)
    thread.join(15)
    proc.stderr.close()


def _read_url(proc: subprocess.Popen[bytes], deadline: float) -> str:
    assert proc.stderr is not None
    selector = selectors.DefaultSelector()
    selector.register(proc.stderr, selectors.EVENT_READ)
    seen = b""
    while time.monotonic() < deadline:
        if not selector.select(timeout=deadline - time.monotonic()):
            break
        line = proc.stderr.readline()
        if not line:
            break
        seen += line
        if found := URL.search(line):
            return found.group(1).decode()
    raise AssertionError(f"cakg serve did not start: {seen.decode(errors='replace')}")


def send(url: str, query: str, **params: str) -> tuple[int, Message, bytes, float]:
    """POST a query; the status, the headers (case-insensitive: granian sends them lower-case),
    the body and the seconds it took."""
    data = urllib.parse.urlencode({"query": query, **params}).encode()
    request = urllib.request.Request(
        f"{url}/sparql", data=data, headers={"Accept": "application/sparql-results+json"}
    )
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status, r.headers, r.read(), time.monotonic() - started
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read(), time.monotonic() - started


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def test_two_web_processes_and_one_zygote(served: Served) -> None:
    assert len(children(served.proc.pid)) == 3
    with urllib.request.urlopen(f"{served.url}/healthz", timeout=10) as r:
        health = json.loads(r.read())
    assert health["status"] == "ok" and health["workers"] == 3  # 2 general, 1 short lane


def test_timeout_stops_the_query_while_others_answer(served: Served) -> None:
    slow: list[tuple[int, Message, bytes, float]] = []
    thread = threading.Thread(target=lambda: slow.append(send(served.url, SLOW)))
    thread.start()
    cheap = [send(served.url, CHEAP) for _ in range(4)]
    still_running = thread.is_alive()
    thread.join()
    assert all(status == 200 for status, *_ in cheap)
    assert still_running
    status, headers, body, seconds = slow[0]
    assert status == 503 and seconds <= TIMEOUT + 1
    assert headers["Retry-After"].isdigit()
    assert f"time limit of {TIMEOUT:g} s" in body.decode()


def test_a_crashing_query_is_503_and_the_next_one_answers(served: Served) -> None:
    status, _, body, _ = send(served.url, CRASH)
    assert status in (400, 503), body
    assert b"Traceback" not in body
    for _ in range(4):  # whichever web process takes it
        assert send(served.url, CHEAP)[0] == 200


def test_a_body_over_the_request_limit_is_413_from_the_real_server(served: Served) -> None:
    body = b"query=" + b"x" * 400_000  # CAKG_MAX_REQUEST_BYTES is 300000 here
    request = urllib.request.Request(
        f"{served.url}/sparql",
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=30)
    assert caught.value.code == 413
    assert b"Traceback" not in caught.value.read()
    assert send(served.url, CHEAP)[0] == 200


def test_a_web_process_that_dies_is_replaced(served: Served) -> None:
    zygote_and_web = set(children(served.proc.pid))
    # the zygote is the one with children (every web process's query workers)
    web = [p for p in zygote_and_web if not children(p)]
    assert len(web) == 2
    start = len(served.log)
    os.kill(web[0], signal.SIGKILL)
    with served.grew:  # granian says when it has forked the replacement
        assert served.grew.wait_for(lambda: SPAWNED.search(bytes(served.log[start:])), 30), (
            served.log[start:].decode(errors="replace")
        )
    assert web[0] not in children(served.proc.pid)
    assert len(children(served.proc.pid)) == 3
    assert all(send(served.url, CHEAP)[0] == 200 for _ in range(6))


def test_head_options_and_a_chunked_body_over_the_real_server(served: Served) -> None:
    ask = urllib.parse.quote("ASK { ?s ?p ?o }")
    head = urllib.request.Request(f"{served.url}/sparql?query={ask}", method="HEAD")
    with urllib.request.urlopen(head, timeout=30) as r:
        assert r.status == 200 and r.read() == b""
        assert r.headers["Content-Type"] == "application/sparql-results+json"
    options = urllib.request.Request(
        f"{served.url}/sparql",
        method="OPTIONS",
        headers={"Origin": "https://example.org", "Access-Control-Request-Method": "POST"},
    )
    with urllib.request.urlopen(options, timeout=30) as r:
        assert r.status == 200 and r.headers["Access-Control-Allow-Origin"] == "*"
    chunks = iter([b"ASK { ?s ", b"?p ?o }"])  # no Content-Length: sent chunked
    chunked = urllib.request.Request(
        f"{served.url}/sparql",
        data=chunks,
        headers={"Content-Type": "application/sparql-query", "Accept": "application/json"},
    )
    with urllib.request.urlopen(chunked, timeout=30) as r:
        assert json.loads(r.read())["boolean"] is True


def _logged(served: Served, ids: set[str], seconds: float) -> dict[str, tuple[bytes, ...]]:
    """The access log lines of the requests `ids`, by id, waiting up to `seconds` for them (woken
    by each line the server writes)."""

    def found() -> dict[str, tuple[bytes, ...]]:
        return {m.group(5).decode(): m.groups() for m in ACCESS_LINE.finditer(bytes(served.log))}

    with served.grew:
        served.grew.wait_for(lambda: ids <= found().keys(), timeout=seconds)
        lines = found()
    return {i: lines[i] for i in ids if i in lines}


def test_every_request_gets_one_access_log_line(served: Served) -> None:
    ids = {f"log-test-{i}" for i in range(40)}

    def ask(request_id: str) -> int:
        data = urllib.parse.urlencode({"query": CHEAP}).encode()
        request = urllib.request.Request(
            f"{served.url}/sparql", data=data, headers={"X-Request-Id": request_id}
        )
        with urllib.request.urlopen(request, timeout=30) as r:
            return int(r.status)

    threads = [threading.Thread(target=ask, args=(i,)) for i in sorted(ids)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with pytest.raises(urllib.error.HTTPError):  # an error is logged with its status too
        urllib.request.urlopen(
            urllib.request.Request(
                f"{served.url}/sparql?query=nonsense", headers={"X-Request-Id": "log-test-bad"}
            ),
            timeout=30,
        )
    lines = _logged(served, ids | {"log-test-bad"}, seconds=5)
    assert set(lines) == ids | {"log-test-bad"}
    assert all(lines[i][:3] == (b"POST", b"/sparql", b"200") for i in ids)
    assert lines["log-test-bad"][:3] == (b"GET", b"/sparql?query=nonsense", b"400")
    text = bytes(served.log)
    assert all(text.count(f"id={i}\n".encode()) == 1 for i in ids)  # once each, never cut


def test_sigterm_stops_every_process(served: Served) -> None:
    family = [served.proc.pid, *children(served.proc.pid)]
    request = urllib.request.Request(f"{served.url}/healthz", headers={"X-Request-Id": "last-one"})
    with urllib.request.urlopen(request, timeout=10) as r:
        assert r.status == 200
    served.proc.send_signal(signal.SIGTERM)
    assert served.proc.wait(15) == 0
    assert _logged(served, {"last-one"}, seconds=5)  # written by the time the server stopped
    assert still_running(family, seconds=10) == []


def test_cakg_serve_stops_when_its_zygote_dies(built: BuildResult, tiny_settings: Settings) -> None:
    """kill -9 of the zygote: nothing could answer a query, so the server says why and stops
    (granian's loop told by SIGCHLD in the supervisor, which runs no thread of its own)."""
    served = serve_process(tiny_settings.root, CAKG_WEB_PROCESSES="1", CAKG_QUERY_MEMORY_MB="256")
    server = next(served)
    try:
        assert send(server.url, CHEAP)[0] == 200
        zygote = [p for p in children(server.proc.pid) if children(p)]
        assert len(zygote) == 1  # the one child with children: its query workers
        os.kill(zygote[0], signal.SIGKILL)
        assert server.proc.wait(30) == 0
        with server.grew:
            assert server.grew.wait_for(lambda: b"stopped" in server.log, 10)
        assert b"the query engine process died" in server.log
    finally:
        next(served, None)
