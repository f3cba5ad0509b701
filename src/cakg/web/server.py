"""`serve(settings)`: the app under granian in several processes, an access log, a clean shutdown.

granian does the HTTP/1.1 work (parsing, keep-alive, writing) in Rust and calls the Flask app
through WSGI from `threads` Python threads per process: several times the throughput of
waitress, whose pure-Python HTTP handling cost more than the query itself.
One Python process tops out at about one core (the GIL), so `cakg serve` runs `web_processes`
(default: one per CPU, at most 4) web processes that accept on one listening socket. The
release is loaded once, by the query engine's zygote, which forks every web process's query
workers: they share the store copy-on-write, and keep the timeout and memory limit of
`cakg.engine.zygote_process`. Ctrl+C or SIGTERM stops the web processes, their workers and the
zygote. The release's search index is read here too, before the fork (state.adopt_search
gives it to each web process's app), so that no search waits for it and the web processes
share its pages.

Only granian's public interface is used (MPServer, its `on_startup` hook, `serve` with a
`target_loader`, `signal_handler_interrupt`): the supervisor starts no thread (granian forks
it), so the zygote's death reaches granian's loop through a SIGCHLD handler installed by
`on_startup`, and the "serving" line comes from the first web process that listens.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import multiprocessing.util
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from granian.constants import HTTPModes, Interfaces
from granian.server import MPServer

from cakg.config import Settings
from cakg.engine import is_local, open_engine, start_zygote
from cakg.engine.base import Engine
from cakg.engine.client_slots import ClientSlots
from cakg.engine.zygote import Zygote
from cakg.engine.zygote_process import die_with_parent
from cakg.errors import ConfigError
from cakg.release import Release
from cakg.web import create_app
from cakg.web.access_log import AccessLines, AccessLog, access_log, buffer_log_streams
from cakg.web.state import adopt_search, read_search_index

server_log = logging.getLogger("cakg.server")

BACKLOG = 1024
STOP_GRACE = 5  # seconds the web processes get to finish before SIGKILL
DEFAULT_MAX_PROCESSES = 4
LOG_FORMAT = "%(asctime)s %(name)s %(message)s"


def _free_address(host: str, port: int) -> tuple[str, int]:
    """Check that host:port can be bound (port 0: pick a free port); the address to serve on.

    granian binds its own SO_REUSEPORT socket in each web process (one shared listening socket
    made its Rust runtime about forty times slower), so this probe socket is closed again; a
    socket bound without SO_REUSEPORT, as here, fails on a port any other server holds.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))
        bound: tuple[str, int] = probe.getsockname()[:2]
    return bound


def serve(settings: Settings) -> None:
    """Serve until Ctrl+C or SIGTERM.

    This process checks the address, starts the zygote that loads the release once, then lets
    granian fork `web_processes` web processes, which accept on one listening socket, each
    attaching its own query worker pool to the shared zygote. The first web process to be
    ready logs "serving cakg at URL". Granian replaces a web process that dies; Ctrl+C or
    SIGTERM stops them all, then the zygote; so does the zygote's death (nothing could answer
    a query). This process runs no thread of its own: granian forks it.
    """
    own_logging = not logging.getLogger().handlers
    if own_logging:
        logging.basicConfig(level=logging.INFO, stream=sys.stderr, format=LOG_FORMAT)
    logging.getLogger("_granian").addFilter(_QuietGranian())
    try:
        host, port = _free_address(settings.host, settings.port)
    except OSError as e:
        raise ConfigError(
            f"cannot listen on {settings.host}:{settings.port}: {e.strerror or e}"
            " (is another server running there? choose another --port)"
        ) from e
    url = f"http://{'[' + host + ']' if ':' in host else host}:{port}/"
    # the release is loaded here, before any fork: the web processes, the zygote and its
    # workers all share it (the web processes answer point lookups from it). A later release
    # (`cakg build` while serving) is loaded by the zygote when a web process first asks.
    first = Release.open_current(settings)
    zygote = start_zygote(settings, first, in_process=True) if is_local(settings) else None
    index = read_search_index(first)
    slots = ClientSlots(settings.client_limit)  # one count per client across web processes
    supervisor = os.getpid()
    size = settings.web_processes or min(os.cpu_count() or 1, DEFAULT_MAX_PROCESSES)
    server = _granian(settings, host, port, size)
    attach_lock = _FORK.Lock()  # the web processes attach to the zygote one at a time
    announced = _FORK.Value("b", 0)  # set by the first web process ready

    def load_app() -> Callable[..., Iterable[bytes]]:
        """Run by granian in each web process, after the fork."""
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the supervisor's watch on the zygote
        die_with_parent(supervisor)  # never an orphan holding the port after a kill -9
        link = None
        if zygote is not None:
            with attach_lock:
                link = zygote.attach()
            zygote.forget()  # the supervisor's connection: this process must not stop the zygote

        def release_engine(release: Release) -> Engine:
            """The pool over `release` whose workers the shared zygote forks; point lookups
            answered here from the engine loaded before the fork, while it is that release's."""
            local = zygote.engine if zygote is not None and release.path == first.path else None
            return open_engine(
                settings, release, isolated=True, link=link, local=local, slots=slots
            )

        app = create_app(settings, release_engine=release_engine)
        threading.Thread(target=announce, daemon=True).start()
        adopt_search(app, first, index)
        buffer_log_streams()
        lines = None
        if own_logging and access_log.isEnabledFor(logging.INFO):
            lines = AccessLines(sys.stderr.fileno())
            lines.start()
        return AccessLog(app, lines)

    def announce() -> None:
        """In a web process, once something accepts on the port: the first to get there
        says the server is ready."""
        if not _wait_listening(host, port):
            return
        with announced.get_lock():
            if announced.value:
                return
            announced.value = 1
        server_log.info(
            "serving cakg at %s (engine %s; %d web processes, each %d threads, %d query workers)",
            url,
            settings.engine,
            size,
            settings.threads,
            settings.query_workers,
        )

    if zygote is not None:
        # granian's public hook, run once its socket listens and before it forks: a SIGCHLD
        # handler (no thread: this process is forked afterwards) that stops the server when
        # the zygote dies
        server.on_startup(lambda: _stop_when_gone(zygote, server))
    try:
        server.serve(target_loader=load_app, wrap_loader=False)
    except SystemExit as e:  # granian gives up on web processes that keep dying at start-up
        server_log.error("the web processes keep failing (status %s): stopping", e.code)
    finally:
        if zygote is not None:
            # the handler polls the zygote under the lock that close()'s wait holds
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            zygote.close()
        first.close()
    server_log.info("stopped")


_FORK = multiprocessing.get_context("fork")
READY_TIMEOUT = 120.0  # seconds for a web process to listen


def _wait_listening(host: str, port: int) -> bool:
    """True once something accepts on host:port; False if nothing does by READY_TIMEOUT."""
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=1):
            return True
        time.sleep(0.02)  # polling the port: granian tells nobody when it listens
    return False


def _granian(settings: Settings, host: str, port: int, size: int) -> MPServer:
    """granian's multi-process WSGI server (HTTP/1.1; the Python app runs in its threads)."""
    return MPServer(
        "cakg.web:create_app",  # a label only: the app comes from serve()'s loader
        address=host,
        port=port,
        interface=Interfaces.WSGI,
        workers=size,
        blocking_threads=settings.threads,
        backlog=BACKLOG,
        http=HTTPModes.http1,
        websockets=False,
        log_dictconfig={"loggers": {"_granian": {"handlers": [], "propagate": True}}},
        respawn_failed_workers=True,
        workers_kill_timeout=STOP_GRACE,
    )


class _QuietGranian(logging.Filter):
    """Drop granian's advice against more Python threads than cores: cakg's request threads
    spend their time waiting for a query worker, not holding the GIL."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Configuration allows spawning up to")


def _stop_when_gone(zygote: Zygote, server: MPServer) -> None:
    """Stop serving when the query engine's zygote dies (nothing could answer a query): told
    by SIGCHLD, in this process's main thread, which granian's loop then sees."""

    def on_child(signum: int, frame: Any) -> None:
        if zygote.alive():  # another child (a web process granian will replace)
            return
        server_log.error("the query engine process died (status %s): stopping", zygote.wait())
        server.signal_handler_interrupt()  # type: ignore[no-untyped-call]

    signal.signal(signal.SIGCHLD, on_child)
