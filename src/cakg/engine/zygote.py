"""Isolated query workers: a zygote process loads the engine once and forks one per request.

Client SPARQL text is evaluated only here, never in a process that serves HTTP:

- the *zygote* (a fresh interpreter, or a fork of the process that loaded the engine before
  any thread started) drops into an empty network namespace. Where the system gives none it
  refuses to start, unless `allow_network` (CAKG_ALLOW_WORKER_NETWORK) says to run without;
- it forks a *worker* whenever a web process asks (`ZygoteLink.spawn`). Workers share the
  loaded store copy-on-write, run one query at a time under an address-space limit (the
  loaded store plus `memory_mb`) and a CPU-time limit set afresh for each query (the time
  left to its deadline, rounded up, plus one second: the kernel stops it even if nobody
  else does), and send back the answer already serialised;
- the zygote knows which web process each worker belongs to. When a web process goes away
  (even by `kill -9`: its end of the control connection closes), the zygote kills its
  workers; when the zygote dies, the kernel kills every worker (PR_SET_PDEATHSIG), and the
  zygote itself dies with the process that started it;
- a worker's stderr is a memory file the zygote keeps: when a worker dies, `ZygoteLink.reap`
  returns how (`Death`: its wait status, peak memory and last words), so the web process can
  say whether it was the deadline, the CPU limit, the memory limit or a crash.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import math
import os
import pickle
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing import reduction
from multiprocessing.connection import Connection, wait
from typing import Any

import cakg.errors
from cakg.engine.base import Engine
from cakg.engine.cost import measure
from cakg.engine.spec import EngineSpec, load_engine
from cakg.errors import CakgError, ConfigError, QueryResourceError

START_TIMEOUT = 120.0  # seconds for the zygote to load the dataset
ZYGOTE_COMMAND = (
    "import sys; from cakg.engine.zygote import zygote_main; zygote_main(int(sys.argv[1]))"
)
RUST_BACKTRACE = "0"  # in the zygote and its workers: a worker past its memory limit, one line
CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000
PR_SET_PDEATHSIG = 1
STDERR_TAIL = 2048  # bytes of a dead worker's stderr kept for the log
CPU_GRACE = 1  # seconds of CPU a worker may use past its query's time limit
NO_ISOLATION = (
    "the query workers cannot be isolated from the network: this system allows no new network "
    "namespace (unshare(CLONE_NEWNET) failed, also inside a new user namespace). Client queries "
    "must not run where they could open connections. Run cakg where unprivileged user "
    "namespaces are allowed (or as root), or set CAKG_ALLOW_WORKER_NETWORK=1 to serve without "
    "this barrier (the guard then stands alone; /healthz reports network_isolated: false)"
)


class WorkerError(Exception):
    """A worker failed in a way that is a bug, not the query's fault (its traceback is logged)."""


@dataclass(frozen=True)
class Death:
    """How a worker process ended."""

    exit_code: int | None  # os.waitstatus_to_exitcode: -N for signal N; None if unknown
    max_rss: int  # bytes, the most it ever held resident
    stderr: str  # the last STDERR_TAIL bytes it wrote

    @property
    def signal_name(self) -> str | None:
        if self.exit_code is None or self.exit_code >= 0:
            return None
        try:
            return signal.Signals(-self.exit_code).name
        except ValueError:
            return f"signal {-self.exit_code}"

    @property
    def cause(self) -> str:
        """ "cpu", "memory", "stack" or "crash"."""
        if self.exit_code == -signal.SIGXCPU:
            return "cpu"
        text = self.stderr
        if "memory allocation of" in text or "MemoryError" in text or "out of memory" in text:
            return "memory"
        if "overflowed its stack" in text or "stack overflow" in text:
            return "stack"
        return "crash"

    def describe(self) -> str:
        how = self.signal_name or f"exit status {self.exit_code}"
        words = self.stderr.strip().splitlines()  # the first says what (a panic, an abort)
        said = f"; it said: {words[0][:200]!r}" if words else ""
        return f"{self.cause} ({how}, peak RSS {self.max_rss // 2**20} MB{said})"


class Zygote:
    """The process that loads the engine once and forks query workers for every pool linked to it.

    One zygote serves every web process of `cakg serve`: each gets its own control connection
    (`attach()`), so the store is loaded once and shared copy-on-write by all the workers.
    """

    def __init__(
        self,
        spec: EngineSpec,
        memory_mb: int,
        engine: Engine | None = None,
        *,
        allow_network: bool = False,
    ) -> None:
        """A zygote that loads `spec` in a fresh interpreter; or, given the `engine` this
        process has loaded already (and no thread running), a fork of this process that
        shares that engine's memory with this one and with every process it forks."""
        ours, theirs = socket.socketpair()
        self.spec = spec  # the release it loads first
        self.engine = engine
        self._process: subprocess.Popen[bytes] | _Forked
        if engine is not None:
            parent = os.getpid()
            pid = os.fork()
            if pid == 0:
                ours.close()
                _zygote_child(Connection(theirs.detach()), engine, parent)
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
            self._process = subprocess.Popen(  # noqa: S603 (a fixed argv, no shell)
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
        self._conn.send((spec, memory_mb, allow_network))
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
            raise rebuild_error(reply[1], reply[2], reply[3])
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
    """One control connection to a zygote: ask it for workers, and how a worker died."""

    conn: Connection
    pid: int
    graphs: list[str]
    isolated: bool
    lock: threading.Lock = field(default_factory=threading.Lock)

    def spawn(self, fd: int, spec: EngineSpec) -> int:
        """Fork a worker over the engine of `spec` (loaded first if the zygote has not yet)
        that talks over `fd`; its pid. OSError or EOFError if the zygote is gone; the loading
        error (a CakgError) when `spec` cannot be loaded."""
        with self.lock:
            self.conn.send(("spawn", spec))
            reduction.send_handle(self.conn, fd, self.pid)
            reply: int | tuple[str, str, str, dict[str, Any]] = self.conn.recv()
        if isinstance(reply, tuple):
            raise rebuild_error(reply[1], reply[2], reply[3])
        return reply

    def reap(self, pid: int) -> Death | None:
        """Kill worker `pid` if it still runs, and tell how it ended (None if unknown)."""
        try:
            with self.lock:
                self.conn.send(("reap", pid))
                death: Death | None = self.conn.recv()
                return death
        except (EOFError, OSError):
            return None


def rebuild_error(class_name: str, message: str, attributes: dict[str, Any]) -> Exception:
    """A CakgError raised in another process, rebuilt here without calling its __init__."""
    cls = getattr(cakg.errors, class_name, None)
    if not (isinstance(cls, type) and issubclass(cls, CakgError)):
        return WorkerError(f"{class_name}: {message}")
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.__dict__.update(attributes)
    return error


def error_reply(e: CakgError) -> tuple[str, str, str, dict[str, Any]]:
    attributes = {k: v for k, v in vars(e).items() if isinstance(v, str | int | float | None)}
    return ("error", type(e).__name__, str(e), attributes)


def zygote_main(fd: int) -> None:
    """Load the engine once, then fork a worker for each 'spawn' request."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the web process's to handle
    die_with_parent(os.getppid())
    conn = Connection(fd)
    try:
        spec, memory_mb, allow_network = conn.recv()
    except (EOFError, OSError):
        os._exit(0)

    try:
        engine = load_engine(*spec)
    except CakgError as e:
        conn.send(error_reply(e))
        os._exit(1)
    _zygote_loop(conn, _Engines(spec, engine), memory_mb, allow_network)


def _zygote_child(conn: Connection, engine: Engine, parent: int) -> None:
    """A zygote forked from the process that loaded `engine`; never returns."""
    code = 0
    os.environ["RUST_BACKTRACE"] = RUST_BACKTRACE
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        die_with_parent(parent)
        try:
            spec, memory_mb, allow_network = conn.recv()
        except (EOFError, OSError):
            os._exit(0)
        _zygote_loop(conn, _Engines(spec, engine), memory_mb, allow_network)
    except BaseException:  # a forked child must never return into its parent's code
        traceback.print_exc()
        code = 70
    os._exit(code)


class _Engines:
    """The engines a zygote has loaded, one per release (EngineSpec): the first, the latest
    asked for, and any other while a worker of it lives (a pool still draining)."""

    def __init__(self, spec: EngineSpec, engine: Engine) -> None:
        self.first = self.latest = spec
        self.loaded: dict[EngineSpec, Engine] = {spec: engine}
        self.of_worker: dict[int, EngineSpec] = {}

    def get(self, spec: EngineSpec) -> Engine:
        """The engine of `spec`, loaded now if it is new (a CakgError if it cannot be)."""
        engine = self.loaded.get(spec)
        if engine is None:
            engine = self.loaded[spec] = load_engine(*spec)
            self.latest = spec
        return engine

    def forget_worker(self, pid: int) -> None:
        """Worker `pid` is gone: drop its engine if nothing else needs it."""
        spec = self.of_worker.pop(pid, None)
        if spec is None or spec in (self.first, self.latest):
            return
        if spec not in self.of_worker.values():
            engine = self.loaded.pop(spec)
            engine.close()


def _zygote_loop(conn: Connection, engines: _Engines, memory_mb: int, allow_network: bool) -> None:
    """Report ready, then serve the links' requests until the owner goes away."""
    isolated = _isolate_network()
    if not isolated and not allow_network:
        conn.send(error_reply(ConfigError(NO_ISOLATION)))
        os._exit(1)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # dead workers wait to be reaped and told of
    graphs = list(engines.get(engines.first).graph_names())
    conn.send(("ready", graphs, isolated))
    # each link's workers and the memory file holding each one's stderr; the owner's first
    workers: dict[Connection, dict[int, int]] = {conn: {}}
    while True:
        for ready in wait(list(workers)):
            assert isinstance(ready, Connection)
            try:
                message = ready.recv()
            except (EOFError, OSError):
                message = "closed"
            if message == "attach" and ready is conn:
                workers[Connection(reduction.recv_handle(conn))] = {}
            elif isinstance(message, tuple) and message[0] == "spawn":
                _fork_worker(engines, message[1], ready, workers, memory_mb)
            elif isinstance(message, tuple) and message[0] == "reap":
                memfd = workers[ready].pop(message[1], None)
                death = _reap(message[1], memfd) if memfd is not None else None
                engines.forget_worker(message[1])
                with contextlib.suppress(OSError):
                    ready.send(death)
            elif ready is conn:  # the owner stops us, or went away
                for owned in workers.values():
                    for pid, memfd in owned.items():
                        _reap(pid, memfd)
                os._exit(0)
            else:  # a web process went away (or spoke out of turn): its workers go too
                for pid, memfd in workers.pop(ready).items():
                    _reap(pid, memfd)
                    engines.forget_worker(pid)
                ready.close()


def _fork_worker(
    engines: _Engines,
    spec: EngineSpec,
    link: Connection,
    workers: dict[Connection, dict[int, int]],
    memory_mb: int,
) -> None:
    fd = reduction.recv_handle(link)
    try:
        engine = engines.get(spec)
    except CakgError as e:
        os.close(fd)
        with contextlib.suppress(OSError):
            link.send(error_reply(e))
        return
    memfd = os.memfd_create("cakg-worker-stderr", os.MFD_CLOEXEC)
    zygote = os.getpid()
    pid = os.fork()
    if pid == 0:
        try:
            for other in workers:
                other.close()
            for owned in workers.values():
                for other_memfd in owned.values():
                    os.close(other_memfd)
            os.dup2(memfd, 2)  # the copy on fd 2 is inherited by nothing: no exec follows
            os.close(memfd)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            die_with_parent(zygote)
        except BaseException:
            os._exit(70)
        _worker_main(engine, Connection(fd), memory_mb)
    os.close(fd)
    workers[link][pid] = memfd
    engines.of_worker[pid] = spec
    with contextlib.suppress(OSError):
        link.send(pid)


def _reap(pid: int, memfd: int) -> Death:
    """Kill worker `pid` (if it still runs), wait for it, and read what it left on stderr."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    exit_code: int | None = None
    max_rss = 0
    try:
        _, status, usage = os.wait4(pid, 0)
        exit_code = os.waitstatus_to_exitcode(status)
        max_rss = usage.ru_maxrss * 1024
    except ChildProcessError:
        pass
    try:
        size = os.fstat(memfd).st_size
        tail = os.pread(memfd, STDERR_TAIL, max(size - STDERR_TAIL, 0))
    except OSError:
        tail = b""
    finally:
        os.close(memfd)
    return Death(exit_code, max_rss, tail.decode("utf-8", "replace"))


def _worker_main(engine: Engine, conn: Connection, memory_mb: int) -> None:
    """Answer requests until the web process closes the socket; never returns."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # SIGXCPU and aborts dump no core
    _limit_memory(memory_mb)
    handlers: dict[str, Callable[..., Any]] = {"answer": engine.answer, "query": engine.query}
    while True:
        try:
            data = conn.recv_bytes()
        except (EOFError, OSError):
            os._exit(0)
        method, sparql, options, seconds = pickle.loads(data)  # noqa: S301 (from the web process that forked us)
        _limit_cpu(seconds)
        _forget_stderr()
        handler = handlers[method]
        try:
            reply: tuple[Any, ...] = ("ok", *measure(functools.partial(handler, sparql, **options)))
        except CakgError as e:
            reply = error_reply(e)
        except MemoryError:
            reply = error_reply(QueryResourceError("the query needed more memory than allowed"))
        except RecursionError:
            reply = error_reply(
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


def _limit_cpu(seconds: float) -> None:
    """Let the kernel stop this worker (SIGXCPU) once this query has used `seconds` of CPU,
    rounded up, plus CPU_GRACE; the hard limit stays where it was, so the next query can
    raise the soft one again."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    used = usage.ru_utime + usage.ru_stime
    soft = math.ceil(used + max(seconds, 0.0)) + CPU_GRACE
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def _forget_stderr() -> None:
    """Empty the memory file behind stderr: after a death it holds that query's words only."""
    with contextlib.suppress(OSError):
        os.ftruncate(2, 0)
        os.lseek(2, 0, os.SEEK_SET)


def die_with_parent(parent: int) -> None:
    """Have the kernel SIGKILL this process when `parent` (the process that forked it) dies;
    exit now if it already has. (Linux: the signal comes when the forking *thread* ends.)"""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(0)


def _isolate_network() -> bool:
    """Move this process (and the workers it forks) into an empty network namespace."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return False
    return any(libc.unshare(flags) == 0 for flags in (CLONE_NEWNET, CLONE_NEWUSER | CLONE_NEWNET))
