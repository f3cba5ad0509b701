"""A web process's query workers: forked by the zygote, in two lanes, killed at the deadline.

`WorkerPool.call` sends one request to an idle worker of a lane (the short lane also takes an
idle general worker) and waits for its answer until the deadline; then it SIGKILLs the worker,
asks the zygote how it died (`Death`) and forks a fresh one. A request that found every worker
busy until its deadline is WorkersBusy; one whose worker died says why (deadline, CPU limit,
memory limit, stack overflow, crash), and the death is logged with the request id. Routing,
the result cache and the point lookups are the pooled engine's (engine/pooled.py).
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import signal
import socket
import threading
import time
import weakref
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from cakg.engine.cost import Cost
from cakg.engine.spec import EngineSpec
from cakg.engine.zygote import WorkerError, Zygote, ZygoteLink, rebuild_error
from cakg.engine.zygote_process import Death
from cakg.errors import QueryResourceError, QueryTimeout, WorkersBusy
from cakg.request_context import current_id

log = logging.getLogger(__name__)

GENERAL, SHORT = "general", "short"


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
