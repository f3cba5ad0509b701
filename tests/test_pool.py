"""The web process's side of isolation (engine/pool.py, pooled.py) and the zygote's
(engine/zygote.py, zygote_process.py).

No client text is evaluated in the calling process; short queries never wait behind long ones;
deadlines count from the request's arrival and hold whoever dies; a client has a bounded number
of long queries; a worker's death says what happened.
"""

from __future__ import annotations

import contextlib
import json
import logging
import multiprocessing
import os
import signal
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cakg.build import BuildResult
from cakg.config import Settings
from cakg.engine import load_engine, open_engine, start_zygote
from cakg.engine.base import Formats, QueryDataset
from cakg.engine.client_slots import ClientSlots
from cakg.engine.guard import parse_point_lookup
from cakg.engine.oxigraph_store import OxigraphEngine
from cakg.engine.pool import GENERAL, SHORT
from cakg.engine.pooled import PooledEngine
from cakg.engine.zygote import Zygote
from cakg.errors import (
    ConfigError,
    QueryResourceError,
    QueryTimeout,
    TooManyQueries,
    WorkersBusy,
)
from cakg.release import dataset_dir
from cakg.request_context import entered
from tests.conftest import still_running

JSON = Formats()
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o }"
AGGREGATE = "SELECT ?t (COUNT(*) AS ?n) WHERE { ?s a ?t } GROUP BY ?t ORDER BY ?t"
KZ = "https://w3id.org/cakg/id/state/kazakhstan"
DOUBLING = (
    'SELECT (STRLEN(?v40) AS ?n) WHERE { BIND("aaaaaaaa" AS ?v0) '
    + " ".join(f"BIND(CONCAT(?v{i}, ?v{i}) AS ?v{i + 1})" for i in range(40))
    + " }"
)


class NoTextHere(OxigraphEngine):
    """The web process's engine: it must never be handed query text."""

    def answer(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError("client query text evaluated in the web process")

    def query(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError("client query text evaluated in the web process")

    def count(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError("client query text evaluated in the web process")


def _nquads(settings: Settings) -> Path:
    return dataset_dir(settings) / "cakg.nq"


def _pooled(settings: Settings, workers: int, **options: Any) -> PooledEngine:
    """A pool over the tiny build, 256 MB per worker, a 1.5 s limit unless `options` say."""
    spec = ("oxigraph", str(_nquads(settings)), "v", "memory")
    return PooledEngine(spec, workers=workers, **{"timeout": 1.5, "memory_mb": 256, **options})


@pytest.fixture(scope="module")
def reference_engine(built: BuildResult, tiny_settings: Settings) -> OxigraphEngine:
    """The engine in this process, for expected answers (the tests' own, not the pool's)."""
    engine = load_engine("oxigraph", _nquads(tiny_settings), "v")
    assert isinstance(engine, OxigraphEngine)
    return engine


@pytest.fixture(scope="module")
def lanes(built: BuildResult, tiny_settings: Settings) -> Iterator[PooledEngine]:
    """One general worker, one short-lane worker, point lookups through the pattern API."""
    local = NoTextHere(_nquads(tiny_settings), "v")
    engine = _pooled(tiny_settings, 1, short_workers=1, short_budget=0.5, local=local)
    yield engine
    engine.close()


def _occupy_general(engine: PooledEngine, timeout: float = 1.5) -> threading.Thread:
    """Run SLOW on the one general worker (stopped at its deadline) and return once it runs."""

    def slow() -> None:
        with contextlib.suppress(QueryTimeout):
            engine.answer(SLOW, formats=JSON, timeout=timeout)

    thread = threading.Thread(target=slow)
    thread.start()
    assert engine.pool.wait_for_idle(GENERAL, 0, timeout=5)
    return thread


def _bindings(body: bytes) -> list[str]:
    data = json.loads(body)
    if "boolean" in data:
        return [str(data["boolean"])]
    return sorted(json.dumps(b, sort_keys=True) for b in data["results"]["bindings"])


# --- nothing but point lookups in the calling process, and those through the pattern API -------

LOOKUPS = [
    f"SELECT ?p ?o WHERE {{ <{KZ}> ?p ?o }}",
    f"SELECT * WHERE {{ <{KZ}> ?p ?o . }}",
    f"SELECT DISTINCT ?p WHERE {{ <{KZ}> ?p ?o }}",
    f"SELECT ?o WHERE {{ <{KZ}> a ?o }}",
    f"PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> SELECT ?l {{ <{KZ}> rdfs:label ?l }}",
    f"SELECT ?p WHERE {{ <{KZ}> ?p <https://w3id.org/cakg/ontology#State> }}",
    f"ASK {{ <{KZ}> ?p ?o }}",
    "ASK { <https://w3id.org/cakg/id/nothing> ?p ?o }",
    f"SELECT ?p ?o WHERE {{ <{KZ}> ?p ?o }} LIMIT 2 OFFSET 1",
]


@pytest.mark.parametrize("sparql", LOOKUPS)
@pytest.mark.parametrize("inference", [True, False])
def test_point_lookups_through_the_pattern_api_answer_as_the_engine(
    reference_engine: OxigraphEngine, sparql: str, inference: bool
) -> None:
    lookup = parse_point_lookup(sparql)
    assert lookup is not None, sparql
    dataset = QueryDataset(inference=inference)
    expected = reference_engine.answer(sparql, formats=JSON, dataset=dataset)
    got = reference_engine.answer_lookup(lookup, formats=JSON, dataset=dataset)
    if "LIMIT" in sparql:  # which rows a LIMIT keeps is the engine's choice: count them
        assert len(_bindings(got.body)) == len(_bindings(expected.body)) == 2
    else:
        assert _bindings(got.body) == _bindings(expected.body)
    rows = reference_engine.query_lookup(lookup, dataset=dataset)
    plain = reference_engine.query(sparql, dataset=dataset)
    assert rows.boolean == plain.boolean and len(rows.rows) == len(plain.rows)


@pytest.mark.parametrize(
    "media_type", ["application/sparql-results+xml", "text/csv", "text/tab-separated-values"]
)
def test_a_point_lookup_in_every_results_format(
    reference_engine: OxigraphEngine, media_type: str
) -> None:
    sparql = LOOKUPS[0]
    lookup = parse_point_lookup(sparql)
    assert lookup is not None
    formats = Formats(results=media_type)
    got = reference_engine.answer_lookup(lookup, formats=formats, max_rows=3)
    expected = reference_engine.answer(sparql, formats=formats, max_rows=3)
    assert got.media_type == expected.media_type == media_type
    assert got.truncated and expected.truncated and got.count == 3
    rows = got.body.count(b"<result>") if "xml" in media_type else got.body.count(b"\n") - 1
    assert rows == 3 and got.body.count(b"w3id.org/cakg/id/state/") >= 1


def test_no_client_text_is_evaluated_in_the_calling_process(
    lanes: PooledEngine, reference_engine: OxigraphEngine
) -> None:
    for _ in range(3):  # the same request again and again: it stays in the workers
        assert (
            lanes.answer(AGGREGATE, formats=JSON).body
            == reference_engine.answer(AGGREGATE, formats=JSON).body
        )
        assert lanes.query(AGGREGATE).rows == reference_engine.query(AGGREGATE).rows
    point = lanes.answer(LOOKUPS[0], formats=JSON)  # through the pattern API
    assert _bindings(point.body) == _bindings(
        reference_engine.answer(LOOKUPS[0], formats=JSON).body
    )


def test_a_count_is_made_in_a_worker_under_the_deadline(
    lanes: PooledEngine, reference_engine: OxigraphEngine
) -> None:
    """Engine.count (the results panel's exact total) never evaluates client text here, point
    lookups included, and is stopped at its deadline like any query."""
    for query in (AGGREGATE, LOOKUPS[0], "SELECT * WHERE { ?s ?p ?o }"):
        assert lanes.count(query) == reference_engine.count(query) > 0
    started = time.monotonic()
    with pytest.raises(QueryTimeout):
        lanes.count(SLOW, timeout=0.5)
    assert time.monotonic() - started < 3.0


@pytest.mark.slow
def test_a_point_lookup_answers_while_every_worker_is_busy(lanes: PooledEngine) -> None:
    thread = _occupy_general(lanes)
    held = lanes.pool._acquire(SHORT, time.monotonic() + 5)  # as by a short query
    try:
        assert held is not None and lanes.pool._idle == {GENERAL: [], SHORT: []}
        answer = lanes.answer(LOOKUPS[0], formats=JSON)
        assert b"Kazakhstan" in answer.body
    finally:
        if held is not None:
            lanes.pool._release(held)
        thread.join()


# --- lanes and deadlines ------------------------------------------------------------------------


@pytest.mark.slow
def test_a_short_query_never_waits_behind_a_long_one(lanes: PooledEngine) -> None:
    first = lanes.answer(AGGREGATE, formats=JSON)  # measured in a worker: short
    thread = _occupy_general(lanes)
    started = time.monotonic()
    again = lanes.answer(AGGREGATE, formats=JSON)
    took = time.monotonic() - started
    busy = thread.is_alive()
    with pytest.raises(WorkersBusy, match="busy with other queries"):  # never seen: waits
        lanes.answer(AGGREGATE + " LIMIT 5", formats=JSON, timeout=0.3)
    thread.join()
    assert busy and took < 1.0 and again.body == first.body


@pytest.mark.slow
def test_queueing_counts_against_the_deadline(lanes: PooledEngine) -> None:
    thread = _occupy_general(lanes)
    try:
        with entered("queued", "192.0.2.1", started=time.monotonic() - 1.0):
            started = time.monotonic()
            with pytest.raises(WorkersBusy):
                lanes.answer("ASK { ?s ?p ?o . ?o ?q ?r }", formats=JSON)
            waited = time.monotonic() - started
    finally:
        thread.join()
    assert waited < 1.0  # 1.5 s from the request's arrival, 1 s of which had passed


def test_a_query_is_killed_at_its_deadline_and_its_worker_replaced(lanes: PooledEngine) -> None:
    restarts = lanes.pool.restarts
    with pytest.raises(QueryTimeout, match=r"time limit of 0\.5 s"):
        lanes.answer(SLOW, formats=JSON, timeout=0.5)
    assert lanes.pool.restarts == restarts + 1
    assert lanes.pool.alive() == 2
    assert lanes.query("ASK { ?s ?p ?o }").boolean is True


# --- honest errors ------------------------------------------------------------------------------


def test_a_worker_past_its_memory_limit_says_so(lanes: PooledEngine) -> None:
    with pytest.raises(QueryResourceError, match="more memory than a query worker may use"):
        lanes.answer(DOUBLING, formats=JSON)  # about 0.3 s to reach the limit; 1.5 s allowed
    assert lanes.query("ASK { ?s ?p ?o }").boolean is True


def test_a_crashed_worker_says_so_and_is_logged_with_the_request_id(
    lanes: PooledEngine, caplog: pytest.LogCaptureFixture
) -> None:
    errors: list[Exception] = []

    def run() -> None:
        with entered("crash-test-7", "192.0.2.2"):
            try:
                lanes.answer(SLOW, formats=JSON, timeout=1.5)
            except QueryResourceError as e:
                errors.append(e)

    thread = threading.Thread(target=run)
    with caplog.at_level(logging.WARNING, logger="cakg.engine.pool"):
        thread.start()
        assert lanes.pool.wait_for_idle(GENERAL, 0, timeout=5)
        busy = [w for w in lanes.pool._all.values() if w.lane == GENERAL]
        os.kill(busy[0].pid, signal.SIGSEGV)
        thread.join()
    assert len(errors) == 1 and "crashed" in str(errors[0]) and "SIGSEGV" in str(errors[0])
    assert "crash-test-7" in str(errors[0])
    assert any(
        "crash-test-7" in r.getMessage() and "SIGSEGV" in r.getMessage() for r in caplog.records
    )
    assert lanes.query("ASK { ?s ?p ?o }").boolean is True


# --- the worker's own limits, and dying with its owners -----------------------------------------


@pytest.fixture
def zygote(built: BuildResult, tiny_settings: Settings) -> Iterator[Zygote]:
    owner = Zygote(("oxigraph", str(_nquads(tiny_settings)), "v", "memory"), 256)
    yield owner
    owner.close()


def _gone(pid: int) -> bool:
    """True when `pid` no longer runs (gone, or a zombie nobody has reaped yet)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


def _wait_gone(pids: list[int], seconds: float) -> bool:
    return not still_running(pids, seconds)


@pytest.mark.slow
def test_the_kernel_stops_a_worker_past_its_cpu_limit(zygote: Zygote) -> None:
    """Nobody kills this worker at the deadline: its own CPU limit stops it."""
    import pickle
    import socket
    from multiprocessing.connection import Connection

    link = zygote.link()
    ours, theirs = socket.socketpair()
    pid = link.spawn(theirs.fileno(), zygote.spec)
    theirs.close()
    conn = Connection(ours.detach())
    started = time.monotonic()
    conn.send_bytes(pickle.dumps(("answer", SLOW, {"formats": JSON}, 0.5)))
    assert conn.poll(10), "the worker outlived its CPU limit"
    with pytest.raises(EOFError):
        conn.recv_bytes()
    took = time.monotonic() - started
    death = link.reap(pid)
    conn.close()
    assert death is not None and death.cause == "cpu", death
    assert took < 4.0


def test_workers_die_with_their_zygote(zygote: Zygote, tiny_settings: Settings) -> None:
    engine = _pooled(tiny_settings, 2, timeout=30, link=zygote.attach())
    pids = list(engine.pool._all)
    os.kill(zygote.pid, signal.SIGKILL)
    assert _wait_gone(pids, 2.0), "workers outlived their zygote"
    engine.close()


def test_workers_die_with_the_web_process_they_serve(
    built: BuildResult, tiny_settings: Settings
) -> None:
    """A web process killed mid-query (kill -9): the zygote kills its busy workers."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        owner = start_zygote(tiny_settings.replace(query_memory_mb=256))
    try:
        link = owner.attach()
        ready = multiprocessing.get_context("fork").Pipe()
        with warnings.catch_warnings():  # a fork beside pytest's threads: the child only queries
            warnings.simplefilter("ignore", DeprecationWarning)
            web = multiprocessing.get_context("fork").Process(
                target=_web_process, args=(tiny_settings, link, ready[1])
            )
            web.start()
        link.conn.close()  # the web process's link is its own, as in `cakg serve`
        assert ready[0].poll(30)
        pids: list[int] = ready[0].recv()
        assert all(not _gone(pid) for pid in pids)
        os.kill(web.pid, signal.SIGKILL)  # type: ignore[arg-type]
        web.join()
        assert _wait_gone(pids, 2.0), "the workers of a dead web process kept running"
    finally:
        owner.close()


def _web_process(settings: Settings, link: Any, ready: Any) -> None:
    engine = open_engine(settings.replace(query_timeout=600), isolated=True, link=link)
    assert isinstance(engine, PooledEngine)
    pids = [w.pid for w in engine.pool._all.values() if w.lane == GENERAL]
    threads = [
        threading.Thread(target=engine.answer, args=(SLOW,), kwargs={"formats": JSON}, daemon=True)
        for _ in pids
    ]
    for thread in threads:
        thread.start()
    engine.pool.wait_for_idle(GENERAL, 0, timeout=10)
    ready.send(pids)
    for thread in threads:
        thread.join()


def test_no_isolation_refuses_to_start_unless_allowed(
    built: BuildResult, tiny_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import cakg.engine.zygote_process as zygote_module

    monkeypatch.setattr(zygote_module, "_isolate_network", lambda: False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with pytest.raises(ConfigError, match="CAKG_ALLOW_WORKER_NETWORK"):
            start_zygote(tiny_settings, in_process=True)
        allowed = start_zygote(tiny_settings.replace(allow_worker_network=True), in_process=True)
    try:
        assert allowed.isolated is False
    finally:
        allowed.close()


def test_workers_cannot_reach_the_network(
    zygote: Zygote, built: BuildResult, tiny_settings: Settings
) -> None:
    """The barrier under the guard: a SERVICE that reached a worker connects nowhere."""
    import socket

    assert zygote.isolated
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    listener.setblocking(False)
    port = listener.getsockname()[1]
    engine = _pooled(tiny_settings, 1, timeout=10, link=zygote.attach())
    try:
        service = f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}"
        with pytest.raises(Exception):  # noqa: B017 (the engine's own error: not connected)
            engine.pool.call(("answer", service, {"formats": JSON}), 10, time.monotonic() + 10)
        with pytest.raises(BlockingIOError):
            listener.accept()
    finally:
        engine.close()
        listener.close()


# --- fairness -----------------------------------------------------------------------------------


def test_a_client_past_its_limit_gets_too_many_queries() -> None:
    slots = ClientSlots(2)
    with slots.held("192.0.2.10"), slots.held("192.0.2.10"):
        with pytest.raises(TooManyQueries), slots.held("192.0.2.10"):
            pass
        with slots.held("192.0.2.11"):  # another client is not affected
            pass
    with slots.held("192.0.2.10"):  # released
        pass
    slots.close()


def test_a_dead_holder_releases_its_slot() -> None:
    slots = ClientSlots(1)
    context = multiprocessing.get_context("fork")
    ready = context.Pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        holder = context.Process(target=_hold_forever, args=(slots, ready[1]))
        holder.start()
    assert ready[0].poll(10) and ready[0].recv() == "held"
    with pytest.raises(TooManyQueries), slots.held("192.0.2.20"):
        pass
    os.kill(holder.pid, signal.SIGKILL)  # type: ignore[arg-type]
    holder.join()
    with slots.held("192.0.2.20"):
        pass
    slots.close()


def _hold_forever(slots: ClientSlots, ready: Any) -> None:
    with slots.held("192.0.2.20"):
        ready.send("held")
        threading.Event().wait(60)


@pytest.mark.slow
def test_the_client_limit_applies_to_long_queries_only(
    built: BuildResult, tiny_settings: Settings
) -> None:
    engine = _pooled(tiny_settings, 2, short_workers=1, short_budget=0.5, client_limit=1)
    try:
        engine.answer(AGGREGATE, formats=JSON)  # short from now on
        thread = _occupy_general_as(engine, "192.0.2.30")
        with entered("r", "192.0.2.30"):
            with pytest.raises(TooManyQueries):
                engine.answer("ASK { ?s ?p ?o . ?o ?q ?r }", formats=JSON)
            assert engine.answer(AGGREGATE, formats=JSON).body  # short: not counted
        with entered("r", "192.0.2.31"):
            assert engine.answer("ASK { ?s ?p ?o . ?o ?q ?r }", formats=JSON).body
        thread.join()
    finally:
        engine.close()  # and its client slots


def _occupy_general_as(engine: PooledEngine, client: str) -> threading.Thread:
    def slow() -> None:
        with entered("slow", client), contextlib.suppress(QueryTimeout):
            engine.answer(SLOW, formats=JSON)

    thread = threading.Thread(target=slow)
    thread.start()
    assert engine.pool.wait_for_idle(GENERAL, 1, timeout=5)
    return thread


def test_settings_of_the_lanes_and_limits() -> None:
    settings = Settings.from_env(
        {"CAKG_SHORT_WORKERS": "2", "CAKG_CLIENT_LIMIT": "0", "CAKG_ALLOW_WORKER_NETWORK": "1"}
    )
    assert (settings.short_workers, settings.client_limit, settings.allow_worker_network) == (
        2,
        0,
        True,
    )
    with pytest.raises(ConfigError, match="client_limit: must be at least 0"):
        Settings(client_limit=-1)
    with pytest.raises(ConfigError, match="query_workers: must be at least 1"):
        Settings(query_workers=0)
    with pytest.raises(ConfigError, match="short_budget"):
        Settings(short_budget=20.0, query_timeout=10.0)


@pytest.mark.slow
def test_only_the_same_request_is_taken_for_a_short_one(lanes: PooledEngine) -> None:
    from rdflib import URIRef

    lanes.answer(AGGREGATE, formats=JSON)
    rand = "SELECT (COUNT(*) AS ?n) WHERE { ?s a ?t FILTER(RAND() <= 1) }"
    lanes.answer(rand, formats=JSON)
    xml = Formats("application/sparql-results+xml", "text/turtle")
    thread = _occupy_general(lanes)
    waited = 0
    try:
        for sparql, options in (
            (AGGREGATE, {"formats": xml}),  # another serialisation: measured on its own
            (AGGREGATE, {"formats": JSON, "bindings": {"t": URIRef(KZ)}}),
            (AGGREGATE, {"formats": JSON, "max_rows": 3}),
            (AGGREGATE, {"formats": JSON, "dataset": QueryDataset(inference=False)}),
            (rand, {"formats": JSON}),  # RAND(): never counted as short
        ):
            with pytest.raises(WorkersBusy):  # so it waited for the busy general worker
                lanes.answer(sparql, timeout=0.2, **options)  # type: ignore[arg-type]
            waited += 1
        assert lanes.answer(AGGREGATE, formats=JSON, timeout=1.0).body  # the short lane
    finally:
        thread.join()
    assert waited == 5
