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
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing import reduction
from multiprocessing.connection import Connection, wait
from typing import Any

import cakg.errors
from cakg.engine.base import Engine
from cakg.engine.cost import measure
from cakg.engine.spec import EngineSpec, load_engine
from cakg.errors import CakgError, ConfigError, QueryResourceError

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


def run_forked_zygote(conn: Connection, engine: Engine, parent: int) -> None:
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
    handlers: dict[str, Callable[..., Any]] = {
        "answer": engine.answer,
        "query": engine.query,
        "count": engine.count,
    }
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
