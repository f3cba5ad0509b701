"""The web process's side of query isolation: worker lanes, deadlines, fairness, honest errors.

Every client query is evaluated in a worker process forked by the zygote (engine/zygote.py):
killable, in an empty network namespace, under memory and CPU limits. A web process never
hands client SPARQL text to pyoxigraph; the one thing it answers itself is a *point lookup*
(`QueryShape.lookup`, see guard.parse_point_lookup: one triple pattern about one named node),
read through pyoxigraph's pattern API (`OxigraphEngine.answer_lookup`), whose work is bounded
by that node's degree.

- **Two lanes.** A pool has `size` general workers and `short` short-lane workers. A request
  that already ran within the short budget (cost.ShortQueries) goes to the short lane, or to
  any idle general worker; every other request waits for a general worker only. So a short
  query never waits behind long ones, however many there are.
- **Deadlines.** A query's limit counts from the arrival of its request (request_context),
  queueing included. At the deadline the pool SIGKILLs the worker and forks a fresh one; the
  worker's own CPU limit would stop it anyway, and it dies with its web process.
- **Fairness.** A client (by address) may have `client_limit` general-lane queries at once,
  across all web processes (ClientSlots): one more is 429, not a queue slot taken from others.
- **Errors.** A request that found every worker busy until its deadline is WorkersBusy; one
  whose worker died says why (deadline, CPU limit, memory limit, stack overflow, crash), and
  the death is logged with the request id.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import pickle
import signal
import socket
import struct
import tempfile
import threading
import time
import weakref
import zlib
from collections.abc import Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from cakg.engine.base import Answer, Dataset, Engine, Formats, QueryResult, binding_key
from cakg.engine.cache import ResultCache
from cakg.engine.cost import Cost, ShortQueries
from cakg.engine.guard import PointLookup, QueryShape, inspect_query
from cakg.engine.oxigraph_store import OxigraphEngine
from cakg.engine.spec import EngineSpec
from cakg.engine.zygote import (
    Death,
    WorkerError,
    Zygote,
    ZygoteLink,
    rebuild_error,
)
from cakg.errors import (
    NotAcceptable,
    QueryResourceError,
    QueryTimeout,
    TooManyQueries,
    WorkersBusy,
)
from cakg.request_context import current, current_id

log = logging.getLogger(__name__)

GENERAL, SHORT = "general", "short"
CLIENT_BUCKETS = 4096  # clients are hashed into this many counters (a clash shares one)


@dataclass
class _Worker:
    pid: int
    conn: Connection
    lane: str


class WorkerPool:
    """Forked query workers in two lanes, each worker running one query at a time."""

    def __init__(
        self,
        link: ZygoteLink,
        spec: EngineSpec,
        size: int,
        short: int = 0,
        owner: Zygote | None = None,
    ) -> None:
        """Workers over the engine of `spec`, forked by the zygote behind `link`. The pool
        stops `owner` when it closes; a link it does not own stays open (several pools, one
        per release, may share it)."""
        self._link = link
        self._spec = spec
        self._owner = owner  # the zygote this pool started, stopped with it
        self._lock = threading.Lock()
        self._ready = threading.Condition(self._lock)
        self._closed = False
        self._all: dict[int, _Worker] = {}
        self._idle: dict[str, list[_Worker]] = {GENERAL: [], SHORT: []}
        self._finalizer = weakref.finalize(self, _shutdown, self._all, link, owner)
        self.graphs = link.graphs
        self.isolated = link.isolated
        self.size = size
        self.short = short
        self.restarts = 0
        try:
            for lane, count in ((GENERAL, size), (SHORT, short)):
                for _ in range(count):
                    self._release(self._spawn(lane))
        except QueryResourceError:
            self._finalizer()
            raise

    def _spawn(self, lane: str) -> _Worker:
        ours, theirs = socket.socketpair()
        with self._lock:
            if self._closed:
                ours.close()
                theirs.close()
                raise QueryResourceError("the query pool is shut down")
        try:
            pid = self._link.spawn(theirs.fileno(), self._spec)
        except (EOFError, OSError) as e:
            ours.close()
            raise QueryResourceError("the query engine process is gone") from e
        finally:
            theirs.close()
        worker = _Worker(pid, Connection(ours.detach()), lane)
        with self._lock:
            self._all[pid] = worker
        return worker

    def _acquire(self, lane: str, deadline: float) -> _Worker | None:
        """An idle worker for `lane` (the short lane also takes an idle general one), or None
        if none became idle before `deadline`."""
        with self._ready:
            while True:
                for source in (SHORT, GENERAL) if lane == SHORT else (GENERAL,):
                    if self._idle[source]:
                        self._ready.notify_all()
                        return self._idle[source].pop()
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._closed:
                    return None
                self._ready.wait(remaining)

    def _release(self, worker: _Worker) -> None:
        with self._ready:
            self._idle[worker.lane].append(worker)
            self._ready.notify_all()

    def _replace(self, worker: _Worker) -> Death | None:
        """Kill `worker`, learn how it ended, and put a fresh one in its place."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(worker.pid, signal.SIGKILL)
        worker.conn.close()
        death = self._link.reap(worker.pid)
        with self._lock:
            self._all.pop(worker.pid, None)
        self.restarts += 1
        try:
            self._release(self._spawn(worker.lane))
        except QueryResourceError:
            log.error("could not replace query worker %d: the pool is now smaller", worker.pid)
        return death

    def call(
        self, request: tuple[Any, ...], limit: float, deadline: float, lane: str = GENERAL
    ) -> tuple[Any, Cost | None]:
        """Send one request to an idle worker of `lane`; its reply and what it cost, or its
        error. `limit` is the query's time limit (for messages), `deadline` when it ends."""
        worker = self._acquire(lane, deadline)
        if worker is None:
            busy = self.size + (self.short if lane == SHORT else 0)
            raise WorkersBusy(
                f"all {busy} query workers of this web process were busy with other queries "
                f"for the whole time limit of {limit:g} s: this query did not run; try again"
            )
        remaining = deadline - time.monotonic()
        reply: Any = None
        try:
            worker.conn.send_bytes(
                pickle.dumps((*request, remaining), protocol=pickle.HIGHEST_PROTOCOL)
            )
            if worker.conn.poll(max(remaining, 0.0)):
                reply = pickle.loads(worker.conn.recv_bytes())  # noqa: S301 (our worker)
        except (EOFError, OSError):
            reply = None
        if reply is None:
            timed_out = time.monotonic() >= deadline
            death = self._replace(worker)
            raise _death_error(worker.pid, death, limit, timed_out)
        self._release(worker)
        if reply[0] == "ok":
            return reply[1], reply[2]
        if reply[0] == "error":
            raise rebuild_error(reply[1], reply[2], reply[3])
        raise WorkerError(reply[1])

    def alive(self) -> int:
        with self._lock:
            return len(self._all)

    def wait_for_idle(self, lane: str, count: int, timeout: float) -> bool:
        """Wait until exactly `count` workers of `lane` are idle; False if not by `timeout`."""
        with self._ready:
            return self._ready.wait_for(lambda: len(self._idle[lane]) == count, timeout)

    def close(self) -> None:
        """Kill the workers and stop the zygote (also done when the pool is garbage collected)."""
        with self._ready:
            self._closed = True
            self._ready.notify_all()
        self._finalizer()


def _death_error(pid: int, death: Death | None, limit: float, timed_out: bool) -> Exception:
    """The error for a request whose worker died (or was killed at the deadline); logged."""
    if timed_out and (death is None or death.exit_code == -signal.SIGKILL):
        return QueryTimeout(limit)
    rid = current_id()
    if death is None:
        log.error("request %s: query worker %d died; the zygote could not say how", rid, pid)
        return QueryResourceError(
            f"the query's worker process died and was replaced; logged as request {rid}"
        )
    log.warning("request %s: query worker %d died: %s", rid, pid, death.describe())
    cause = death.cause
    if cause == "cpu":
        return QueryTimeout(
            limit,
            f"the query used more CPU time than its limit of {limit:g} s allows and was "
            "stopped by the system",
        )
    if cause == "memory":
        return QueryResourceError(
            "the query needed more memory than a query worker may use and was stopped; "
            "narrow it down (fewer rows, smaller strings)"
        )
    if cause == "stack":
        return QueryResourceError(
            "the query nests or chains operators too deeply for the engine (its worker "
            "overflowed its stack and was stopped); flatten it"
        )
    return QueryResourceError(
        f"the query crashed its worker process ({death.signal_name or death.exit_code}); "
        f"it was logged as request {rid}"
    )


def _shutdown(workers: dict[int, _Worker], link: ZygoteLink, owner: Zygote | None) -> None:
    for worker in list(workers.values()):
        with contextlib.suppress(ProcessLookupError):
            os.kill(worker.pid, signal.SIGKILL)
        worker.conn.close()
        if owner is None:  # a shared zygote: it forgets the worker (and maybe its engine)
            link.reap(worker.pid)
    workers.clear()
    if owner is not None:
        owner.close()


class ClientSlots:
    """How many general-lane queries each client runs at once, counted across processes.

    Each client address hashes to one of CLIENT_BUCKETS rows of `limit` one-byte slots in an
    unlinked temporary file shared by every web process (made before they fork). Taking a
    slot is an open file description lock (F_OFD_SETLK) on one byte: the kernel releases it
    when its holder closes it, or dies, so a web process killed mid-query leaks nothing.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._file = tempfile.TemporaryFile() if limit > 0 else None  # noqa: SIM115

    @contextlib.contextmanager
    def held(self, client: str | None) -> Iterator[None]:
        """Hold one of `client`'s slots for the duration; TooManyQueries if all are taken."""
        if self._file is None or client is None:
            yield
            return
        row = zlib.crc32(client.encode("utf-8", "replace")) % CLIENT_BUCKETS
        fd = os.open(f"/proc/self/fd/{self._file.fileno()}", os.O_RDWR)  # its own description
        try:
            if not any(_try_lock(fd, row * self.limit + k) for k in range(self.limit)):
                raise TooManyQueries(
                    f"this client already runs {self.limit} queries that are not known to be "
                    "short; wait for one to finish (the limit is per client address)"
                )
            yield
        finally:
            os.close(fd)  # releases the lock

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


_FLOCK = "hhqqi4x"  # struct flock on Linux (64-bit off_t): type, whence, start, len, pid


def _try_lock(fd: int, offset: int) -> bool:
    request = struct.pack(_FLOCK, fcntl.F_WRLCK, os.SEEK_SET, offset, 1, 0)
    try:
        fcntl.fcntl(fd, fcntl.F_OFD_SETLK, request)
    except (BlockingIOError, PermissionError):
        return False
    return True


class PooledEngine:
    """The Engine interface over a WorkerPool, with the timeout and an optional result cache."""

    def __init__(
        self,
        spec: EngineSpec,
        *,
        workers: int,
        timeout: float,
        memory_mb: int,
        short_workers: int = 0,
        short_budget: float = 0.0,
        cache_bytes: int = 0,
        link: ZygoteLink | None = None,
        local: Engine | None = None,
        slots: ClientSlots | None = None,
        client_limit: int = 0,
        allow_network: bool = False,
    ) -> None:
        """Workers forked by a zygote of its own, or by the shared one behind `link`.

        With `local` (the engine loaded in this process, a pyoxigraph one), point lookups are
        answered here through its pattern API, never as query text (see the module's doc).
        """
        self.name, self.version = spec[0], spec[2]
        self.timeout = timeout
        # only a pyoxigraph engine has the pattern API; the others answer nothing here
        self.local = local if isinstance(local, OxigraphEngine) else None
        self.short = ShortQueries(short_budget if short_workers > 0 else 0.0)
        # shared `slots` (made before the web processes fork) outlive this engine
        self._own_slots = slots is None
        self.slots = slots or ClientSlots(client_limit)
        if link is None:
            owner = Zygote(spec, memory_mb, allow_network=allow_network)
            self.pool = WorkerPool(owner.link(), spec, workers, short_workers, owner)
        else:
            self.pool = WorkerPool(link, spec, workers, short_workers)
        self.cache = ResultCache(cache_bytes) if cache_bytes > 0 else None

    def _timeout(self, requested: float | None) -> float:
        return self.timeout if requested is None else min(requested, self.timeout)

    def _in_worker(self, call: tuple[Any, ...], limit: float, key: Hashable, sparql: str) -> Any:
        """`call` answered by a worker of the right lane; what it cost recorded under `key`."""
        context = current()
        started = context.started if context is not None else time.monotonic()
        deadline = started + limit
        if self.short.allows(key, limit):
            result, cost = self.pool.call(call, limit, deadline, SHORT)
        else:
            with self.slots.held(context.client if context is not None else None):
                result, cost = self.pool.call(call, limit, deadline, GENERAL)
        self.short.record(key, sparql, cost)
        return result

    def _lookup(
        self, shape: QueryShape, dataset: Dataset | None, bindings: Any
    ) -> PointLookup | None:
        """The query's point lookup, when the local engine may answer it."""
        if bindings or (dataset is not None and dataset.explicit):
            return None
        return shape.lookup

    def answer(
        self,
        sparql: str,
        *,
        formats: Formats,
        dataset: Dataset | None = None,
        bindings: Mapping[str, Any] | None = None,
        max_rows: int | None = None,
        timeout: float | None = None,
    ) -> Answer:
        shape = inspect_query(sparql)  # refuse updates, SERVICE and deep nesting right here
        if shape.form is not None and formats.for_form(shape.form) is None:
            raise NotAcceptable(f"no acceptable media type for the results of a {shape.form} query")
        key = None
        bound = binding_key(bindings)
        if self.cache is not None:
            key = (self.version, sparql, formats, dataset, bound, max_rows)
            cached: Answer | None = self.cache.get(key)
            if cached is not None:
                return cached
        answer: Answer
        lookup = self._lookup(shape, dataset, bindings)
        if self.local is not None and lookup is not None:
            answer = self.local.answer_lookup(
                lookup, formats=formats, dataset=dataset, max_rows=max_rows
            )
        else:
            options = {
                "formats": formats,
                "dataset": dataset,
                "bindings": bindings,
                "max_rows": max_rows,
            }
            request = ("answer", sparql, formats, dataset, bound, max_rows)
            answer = self._in_worker(
                ("answer", sparql, options), self._timeout(timeout), request, sparql
            )
        if key is not None and self.cache is not None:
            self.cache.put(key, answer, len(answer.body))
        return answer

    def query(
        self,
        sparql: str,
        *,
        dataset: Dataset | None = None,
        bindings: Mapping[str, Any] | None = None,
        max_rows: int | None = None,
        timeout: float | None = None,
    ) -> QueryResult:
        lookup = self._lookup(inspect_query(sparql), dataset, bindings)
        if self.local is not None and lookup is not None:
            result: QueryResult = self.local.query_lookup(
                lookup, dataset=dataset, max_rows=max_rows
            )
            return result
        options = {"dataset": dataset, "bindings": bindings, "max_rows": max_rows}
        request = ("query", sparql, dataset, binding_key(bindings), max_rows)
        result = self._in_worker(
            ("query", sparql, options), self._timeout(timeout), request, sparql
        )
        return result

    def graph_names(self) -> Sequence[str]:
        return list(self.pool.graphs)

    def close(self) -> None:
        self.pool.close()
        if self._own_slots:
            self.slots.close()
