"""The web process's handle on the zygote, the process that loads the engine once and forks
the query workers (its side of the story: engine/zygote_process.py).

`Zygote(spec, ...)` starts one (a fresh interpreter, or a fork of the process that loaded the
engine before any thread started) and waits until it has loaded `spec`; `attach()` gives each
web process its own control connection (`ZygoteLink`): `spawn(fd, spec)` forks a worker over a
release's engine (loaded on first use), `reap(pid)` kills one and tells how it died (`Death`).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import weakref
from dataclasses import dataclass, field
from multiprocessing import reduction
from multiprocessing.connection import Connection
from typing import Any

import cakg.errors
from cakg.engine.base import Engine
from cakg.engine.spec import EngineSpec
from cakg.engine.zygote_process import RUST_BACKTRACE, Death, run_forked_zygote
from cakg.errors import CakgError, QueryResourceError

START_TIMEOUT = 120.0  # seconds for the zygote to load the dataset
ZYGOTE_COMMAND = (
    "import sys; from cakg.engine.zygote_process import zygote_main; zygote_main(int(sys.argv[1]))"
)


class WorkerError(Exception):
    """A worker failed in a way that is a bug, not the query's fault (its traceback is logged)."""


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
                run_forked_zygote(Connection(theirs.detach()), engine, parent)
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
