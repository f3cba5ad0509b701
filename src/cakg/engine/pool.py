"""Run queries in worker processes that can be killed: the timeout and memory limit, for real.

Neither pyoxigraph nor rdflib can cancel a running query, and a thread cannot be killed, so every
query of the web server runs in a worker process (except, with a `local` engine, point lookups
and requests already seen to be cheap in a worker: see PooledEngine and cost.py):

- a *zygote* process (a fresh interpreter, so it never inherits the web server's threads) loads
  the engine once, then forks a worker whenever a pool asks for one: workers share the loaded
  store copy-on-write and start in milliseconds. One zygote can serve the pools of several web
  processes (`Zygote.attach()` gives each its own control connection), so `cakg serve` loads
  the build once however many web processes it runs;
- each worker talks to the web process over its own socket pair, runs one query at a time under
  an address-space limit (RLIMIT_AS: the loaded store plus `memory_mb`), and sends back the
  result already serialised (a few bytes of pickle around the body: no terms cross over);
- at the deadline the pool SIGKILLs the worker, forks a fresh one and raises QueryTimeout; a
  worker that dies (a segfault from deep nesting, an abort when memory runs out) becomes
  QueryResourceError and is replaced the same way;
- the zygote also drops out of the network namespace when the system allows it, so a worker
  could not open an outbound connection even if a query got past the guard.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import logging
import os
import pickle
import queue
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
import weakref
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from multiprocessing import reduction
from multiprocessing.connection import Connection, wait
from typing import Any

import cakg.errors
from cakg.engine.base import Answer, Dataset, Engine, Formats, QueryResult, binding_key
from cakg.engine.cache import ResultCache
from cakg.engine.cost import CheapQueries, Cost, measure
from cakg.engine.guard import inspect_query
from cakg.errors import CakgError, NotAcceptable, QueryResourceError, QueryTimeout

log = logging.getLogger(__name__)

# engine name, N-Quads path, dataset version[, storage]: the arguments of load_engine
EngineSpec = tuple[str, ...]
START_TIMEOUT = 120.0  # seconds for the zygote to load the dataset
ZYGOTE_COMMAND = (
    "import sys; from cakg.engine.pool import zygote_main; zygote_main(int(sys.argv[1]))"
)
RUST_BACKTRACE = "0"  # in the zygote and its workers: a worker past its memory limit, one line
CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000


class WorkerError(Exception):
    """A worker failed in a way that is a bug, not the query's fault (its traceback is logged)."""


@dataclass
class _Worker:
    pid: int
    conn: Connection


class Zygote:
    """The process that loads the engine once and forks query workers for every pool linked to it.

    One zygote serves every web process of `cakg serve`: each gets its own control connection
    (`attach()`), so the store is loaded once and shared copy-on-write by all the workers.
    """

    def __init__(self, spec: EngineSpec, memory_mb: int, engine: Engine | None = None) -> None:
        """A zygote that loads `spec` in a fresh interpreter; or, given the `engine` this
        process has loaded already (and no thread running), a fork of this process that
        shares that engine's memory with this one and with every process it forks."""
        ours, theirs = socket.socketpair()
        self.engine = engine
        self._process: subprocess.Popen[bytes] | _Forked
        if engine is not None:
            pid = os.fork()
            if pid == 0:
                ours.close()
                _zygote_child(Connection(theirs.detach()), engine)
            self._process = _Forked(pid)
        else:
            # A fresh interpreter (not a fork of a threaded process, and unlike
            # multiprocessing's spawn, without re-importing the caller's __main__) that
            # imports only the engine.
            env = {
                **os.environ,
                "PYTHONPATH": os.pathsep.join(p for p in sys.path if p),
                "RUST_BACKTRACE": RUST_BACKTRACE,
            }
            self._process = subprocess.Popen(
                [sys.executable, "-c", ZYGOTE_COMMAND, str(theirs.fileno())],
                pass_fds=[theirs.fileno()],
                env=env,
                stdin=subprocess.DEVNULL,
            )
        theirs.close()
        self.pid = self._process.pid
        self._conn = Connection(ours.detach())
        self._lock = threading.Lock()
        self._finalizer = weakref.finalize(self, _stop_zygote, self._conn, self._process)
        self._conn.send((spec, memory_mb))
        if not self._conn.poll(START_TIMEOUT):
            self._finalizer()
            raise QueryResourceError(f"the query engine did not load within {START_TIMEOUT:g} s")
        try:
            reply = self._conn.recv()
        except (EOFError, OSError):
            self._finalizer()
            raise QueryResourceError("the query engine process died while loading") from None
        if reply[0] == "error":
            self._finalizer()
            raise _rebuild(reply[1], reply[2], reply[3])
        _, graphs, isolated = reply
        self.graphs: list[str] = graphs
        self.isolated: bool = isolated

    def link(self) -> ZygoteLink:
        """This process's own control connection (a pool in the same process as the zygote's
        owner)."""
        return ZygoteLink(self._conn, self.pid, self.graphs, self.isolated, self._lock)

    def attach(self) -> ZygoteLink:
        """A new control connection, for a pool in another process (pass it on by fork)."""
        ours, theirs = socket.socketpair()
        with self._lock:
            try:
                self._conn.send("attach")
                reduction.send_handle(self._conn, theirs.fileno(), self.pid)
            except OSError as e:
                ours.close()
                raise QueryResourceError("the query engine process is gone") from e
            finally:
                theirs.close()
        return ZygoteLink(Connection(ours.detach()), self.pid, self.graphs, self.isolated)

    def alive(self) -> bool:
        return self._process.poll() is None

    def wait(self) -> int:
        """Block until the zygote exits; its exit status."""
        return self._process.wait()

    def forget(self) -> None:
        """In a forked child: drop the parent's connection without stopping the zygote."""
        self._finalizer.detach()
        self._conn.close()

    def close(self) -> None:
        self._finalizer()


class _Forked:
    """The part of subprocess.Popen's interface the zygote needs, for a child made by fork."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self._lock = threading.Lock()

    def poll(self) -> int | None:
        return self._reap(os.WNOHANG)

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:  # polled, so that no thread sits in waitpid holding the lock
            status = self._reap(os.WNOHANG)
            if status is not None:
                return status
            if deadline is not None and time.monotonic() >= deadline:
                raise subprocess.TimeoutExpired(f"pid {self.pid}", timeout or 0.0)
            time.sleep(0.02)

    def _reap(self, flags: int) -> int | None:
        with self._lock:
            if self.returncode is None:
                try:
                    pid, status = os.waitpid(self.pid, flags)
                except ChildProcessError:  # reaped elsewhere
                    self.returncode = -1
                else:
                    if pid:
                        self.returncode = os.waitstatus_to_exitcode(status)
            return self.returncode

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)


def _stop_zygote(conn: Connection, process: subprocess.Popen[bytes] | _Forked) -> None:
    with contextlib.suppress(OSError):
        conn.send("stop")
    conn.close()
    try:
        process.wait(2)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(2)


@dataclass
class ZygoteLink:
    """One control connection to a zygote: ask it for a worker connected to a socket."""

    conn: Connection
    pid: int
    graphs: list[str]
    isolated: bool
    lock: threading.Lock = field(default_factory=threading.Lock)

    def spawn(self, fd: int) -> int:
        """Fork a worker that talks over `fd`; its pid. OSError or EOFError if the zygote is
        gone."""
        with self.lock:
            self.conn.send("spawn")
            reduction.send_handle(self.conn, fd, self.pid)
            pid: int = self.conn.recv()
            return pid


class WorkerPool:
    """A fixed number of forked query workers behind a queue."""

    def __init__(self, link: ZygoteLink, size: int, owner: Zygote | None = None) -> None:
        self._link = link
        self._owner = owner  # the zygote this pool started, stopped with it
        self._lock = threading.Lock()
        self._closed = False
        self._all: dict[int, _Worker] = {}
        self._finalizer = weakref.finalize(self, _shutdown, self._all, link, owner)
        self.graphs = link.graphs
        self.isolated = link.isolated
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self.size = size
        self.restarts = 0
        try:
            for _ in range(size):
                self._idle.put(self._spawn())
        except QueryResourceError:
            self._finalizer()
            raise

    def _spawn(self) -> _Worker:
        ours, theirs = socket.socketpair()
        with self._lock:
            if self._closed:
                ours.close()
                theirs.close()
                raise QueryResourceError("the query pool is shut down")
            try:
                pid = self._link.spawn(theirs.fileno())
            except (EOFError, OSError) as e:
                ours.close()
                raise QueryResourceError("the query engine process is gone") from e
            finally:
                theirs.close()
            worker = _Worker(pid, Connection(ours.detach()))
            self._all[pid] = worker
        return worker

    def _discard(self, worker: _Worker) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(worker.pid, signal.SIGKILL)
        worker.conn.close()
        with self._lock:
            self._all.pop(worker.pid, None)

    def _replace(self, worker: _Worker) -> None:
        self._discard(worker)
        self.restarts += 1
        try:
            self._idle.put(self._spawn())
        except QueryResourceError:
            log.error("could not replace query worker %d: the pool is now smaller", worker.pid)

    def call(self, request: tuple[Any, ...], timeout: float) -> tuple[Any, Cost | None]:
        """Send one request to an idle worker; its reply and what it cost, or its error."""
        deadline = time.monotonic() + timeout
        try:
            worker = self._idle.get(timeout=timeout)
        except queue.Empty:
            raise QueryTimeout(timeout) from None
        healthy = False
        try:
            worker.conn.send_bytes(pickle.dumps(request, protocol=pickle.HIGHEST_PROTOCOL))
            if not worker.conn.poll(max(deadline - time.monotonic(), 0.0)):
                raise QueryTimeout(timeout)
            reply = pickle.loads(worker.conn.recv_bytes())
            healthy = True
        except (EOFError, OSError) as e:
            raise QueryResourceError(
                "the query stopped its worker process: it needed more memory than the limit "
                "allows or nested deeper than the parser can go; simplify it"
            ) from e
        finally:
            if healthy:
                self._idle.put(worker)
            else:
                self._replace(worker)
        if reply[0] == "ok":
            return reply[1], reply[2]
        if reply[0] == "error":
            raise _rebuild(reply[1], reply[2], reply[3])
        raise WorkerError(reply[1])

    def alive(self) -> int:
        with self._lock:
            return len(self._all)

    def close(self) -> None:
        """Kill the workers and stop the zygote (also done when the pool is garbage collected)."""
        with self._lock:
            self._closed = True
        self._finalizer()


def _shutdown(workers: dict[int, _Worker], link: ZygoteLink, owner: Zygote | None) -> None:
    for worker in list(workers.values()):
        with contextlib.suppress(ProcessLookupError):
            os.kill(worker.pid, signal.SIGKILL)
        worker.conn.close()
    workers.clear()
    if owner is not None:
        owner.close()
    else:
        link.conn.close()


class PooledEngine:
    """The Engine interface over a WorkerPool, with the timeout and an optional result cache."""

    def __init__(
        self,
        spec: EngineSpec,
        *,
        workers: int,
        timeout: float,
        memory_mb: int,
        cache_bytes: int = 0,
        link: ZygoteLink | None = None,
        local: Engine | None = None,
        local_budget: float = 0.0,
    ) -> None:
        """Workers forked by a zygote of its own, or by the shared one behind `link`.

        With `local` (the engine loaded in this process, a pyoxigraph one), two kinds of query
        run here, in the calling thread, because a round trip to a worker costs more than they
        do: point lookups, whose work is bounded by one node's degree (guard.is_point_lookup),
        and requests that already ran in a worker within `local_budget` seconds (cost.py).
        """
        self.name, self.version = spec[0], spec[2]
        self.timeout = timeout
        self.local = local
        self.cheap = CheapQueries(local_budget if local is not None else 0.0)
        if link is None:
            owner = Zygote(spec, memory_mb)
            self.pool = WorkerPool(owner.link(), workers, owner)
        else:
            self.pool = WorkerPool(link, workers)
        self.cache = ResultCache(cache_bytes) if cache_bytes > 0 else None

    def _timeout(self, requested: float | None) -> float:
        return self.timeout if requested is None else min(requested, self.timeout)

    def _route(
        self, point_lookup: bool, sparql: str, request: Hashable, limit: float
    ) -> tuple[bool, Hashable | None]:
        """Whether to run `request` in this process; and the key its cost in a worker is
        recorded under (None: never run here, not recorded)."""
        if self.local is None:
            return False, None
        seen = request if self.cheap.eligible(sparql) else None
        return point_lookup or (seen is not None and self.cheap.allows(seen, limit)), seen

    def _in_worker(
        self, call: tuple[Any, ...], limit: float, seen: Hashable | None, sparql: str
    ) -> Any:
        """`call` answered by a worker; what it cost recorded under `seen`."""
        result, cost = self.pool.call(call, limit)
        if seen is not None:
            self.cheap.record(seen, sparql, cost)
        return result

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
        options = {"formats": formats, "dataset": dataset, "bindings": bindings}
        answer: Answer
        limit = self._timeout(timeout)
        request = ("answer", sparql, formats, dataset, bound, max_rows)
        here, seen = self._route(shape.point_lookup, sparql, request, limit)
        if here:
            assert self.local is not None
            answer = self.local.answer(
                sparql, formats=formats, dataset=dataset, bindings=bindings, max_rows=max_rows
            )
        else:
            answer = self._in_worker(
                ("answer", sparql, {**options, "max_rows": max_rows}), limit, seen, sparql
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
        shape = inspect_query(sparql)
        options = {"dataset": dataset, "bindings": bindings, "max_rows": max_rows}
        limit = self._timeout(timeout)
        bound = binding_key(bindings)
        request = ("query", sparql, dataset, bound, max_rows)
        here, seen = self._route(shape.point_lookup, sparql, request, limit)
        if here:
            assert self.local is not None
            return self.local.query(sparql, dataset=dataset, bindings=bindings, max_rows=max_rows)
        result: QueryResult = self._in_worker(("query", sparql, options), limit, seen, sparql)
        return result

    def graph_names(self) -> Sequence[str]:
        return list(self.pool.graphs)

    def close(self) -> None:
        self.pool.close()


def _rebuild(class_name: str, message: str, attributes: dict[str, Any]) -> Exception:
    """A CakgError raised in a worker, rebuilt here without calling its __init__."""
    cls = getattr(cakg.errors, class_name, None)
    if not (isinstance(cls, type) and issubclass(cls, CakgError)):
        return WorkerError(f"{class_name}: {message}")
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.__dict__.update(attributes)
    return error


def _error_reply(e: CakgError) -> tuple[str, str, str, dict[str, Any]]:
    attributes = {k: v for k, v in vars(e).items() if isinstance(v, str | int | float | None)}
    return ("error", type(e).__name__, str(e), attributes)


def zygote_main(fd: int) -> None:
    """Load the engine once, then fork a worker for each 'spawn' request."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the web process's to handle
    from cakg.engine import load_engine

    conn = Connection(fd)
    try:
        spec, memory_mb = conn.recv()
    except (EOFError, OSError):
        os._exit(0)

    try:
        engine = load_engine(*spec)
    except CakgError as e:
        conn.send(_error_reply(e))
        os._exit(1)
    _zygote_loop(conn, engine, memory_mb)


def _zygote_child(conn: Connection, engine: Engine) -> None:
    """A zygote forked from the process that loaded `engine`; never returns."""
    code = 0
    os.environ["RUST_BACKTRACE"] = RUST_BACKTRACE
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        try:
            _spec, memory_mb = conn.recv()
        except (EOFError, OSError):
            os._exit(0)
        _zygote_loop(conn, engine, memory_mb)
    except BaseException:  # a forked child must never return into its parent's code
        traceback.print_exc()
        code = 70
    os._exit(code)


def _zygote_loop(conn: Connection, engine: Engine, memory_mb: int) -> None:
    """Report ready, then fork a worker for each 'spawn' request until the owner goes away."""
    isolated = _isolate_network()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps dead workers
    conn.send(("ready", list(engine.graph_names()), isolated))
    links = [conn]  # the owner's connection first: when it closes, the zygote stops
    while True:
        for ready in wait(links):
            assert isinstance(ready, Connection)
            try:
                message = ready.recv()
            except (EOFError, OSError):
                message = "closed"
            if message == "attach" and ready is conn:
                links.append(Connection(reduction.recv_handle(conn)))
            elif message == "spawn":
                _fork_worker(engine, ready, links, memory_mb)
            elif ready is conn:
                os._exit(0)
            else:  # a web process went away, or spoke out of turn
                links.remove(ready)
                ready.close()


def _fork_worker(engine: Engine, link: Connection, links: list[Connection], memory_mb: int) -> None:
    fd = reduction.recv_handle(link)
    pid = os.fork()
    if pid == 0:
        for other in links:
            other.close()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        _worker_main(engine, Connection(fd), memory_mb)
    os.close(fd)
    with contextlib.suppress(OSError):
        link.send(pid)


def _worker_main(engine: Engine, conn: Connection, memory_mb: int) -> None:
    """Answer requests until the web process closes the socket; never returns."""
    _limit_memory(memory_mb)
    handlers: dict[str, Callable[..., Any]] = {"answer": engine.answer, "query": engine.query}
    while True:
        try:
            data = conn.recv_bytes()
        except (EOFError, OSError):
            os._exit(0)
        method, sparql, options = pickle.loads(data)
        handler = handlers[method]
        try:
            reply: tuple[Any, ...] = ("ok", *measure(functools.partial(handler, sparql, **options)))
        except CakgError as e:
            reply = _error_reply(e)
        except MemoryError:
            reply = _error_reply(QueryResourceError("the query needed more memory than allowed"))
        except RecursionError:
            reply = _error_reply(
                cakg.errors.BadQuery("the query is nested too deeply to evaluate: flatten it")
            )
        except Exception:  # a bug: report it to the web process, which logs it as a 500
            reply = ("bug", traceback.format_exc())
        try:
            conn.send_bytes(pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL))
        except (OSError, MemoryError):
            os._exit(1)


def _limit_memory(memory_mb: int) -> None:
    """Cap the address space at what the worker already maps plus `memory_mb`."""
    with open("/proc/self/statm", encoding="ascii") as f:
        mapped = int(f.read().split()[0]) * resource.getpagesize()
    limit = mapped + memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _isolate_network() -> bool:
    """Move this process (and the workers it forks) into an empty network namespace."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return False
    return any(libc.unshare(flags) == 0 for flags in (CLONE_NEWNET, CLONE_NEWUSER | CLONE_NEWNET))
