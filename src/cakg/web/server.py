"""`serve(settings)`: the app under waitress in several processes, an access log, a clean shutdown.

One Python process tops out at about one core (the GIL), so `cakg serve` runs `web_processes`
(default: one per CPU, at most 4) web processes that accept on one listening socket. The build
is loaded once, by the query engine's zygote, which forks every web process's query workers:
they share the store copy-on-write, and keep the timeout and memory limit of
`cakg.engine.pool`. Ctrl+C or SIGTERM stops the web processes, their workers and the zygote.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable
from types import FrameType
from typing import Any, TextIO

from waitress.server import create_server

from cakg.config import Settings
from cakg.engine import is_local, open_engine, start_zygote
from cakg.engine.pool import Zygote, ZygoteLink
from cakg.errors import ConfigError
from cakg.web import REQUEST_ID, create_app

log = logging.getLogger("cakg.access")
server_log = logging.getLogger("cakg.server")

StartResponse = Callable[..., Any]
BACKLOG = 1024
RESTART_PAUSE = 0.5  # seconds before a web process that died is replaced
STOP_GRACE = 5.0  # seconds the web processes get to finish before SIGKILL
DEFAULT_MAX_PROCESSES = 4
LOG_BUFFER = 64 * 1024
LOG_FLUSH = 0.2  # seconds


class AccessLog:
    """WSGI middleware writing one line per request: client, method, path, status, size, time."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        seen: dict[str, Any] = {}

        def recording_start_response(
            status: str, headers: list[tuple[str, str]], *rest: Any
        ) -> Any:
            seen["status"] = status.split(" ", 1)[0]
            for name, value in headers:
                lowered = name.lower()
                if lowered == "content-length":
                    seen["size"] = value
                elif lowered == REQUEST_ID.lower():
                    seen["id"] = value
            return start_response(status, headers, *rest)

        try:
            return self.app(environ, recording_start_response)
        finally:
            path = environ.get("PATH_INFO", "")
            if environ.get("QUERY_STRING"):
                path += "?" + environ["QUERY_STRING"][:200]
            log.info(
                '%s "%s %s" %s %s %.1fms id=%s',
                environ.get("REMOTE_ADDR", "-"),
                environ.get("REQUEST_METHOD", "-"),
                path,
                seen.get("status", "-"),
                seen.get("size", "-"),
                (time.perf_counter() - started) * 1000,
                seen.get("id", "-"),
            )


def _listen(host: str, port: int) -> socket.socket:
    """The listening socket, bound here so that a busy port is a clean error."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
    except OSError:
        listener.close()
        raise
    return listener


def serve(settings: Settings, *, ready: Callable[[str], None] | None = None) -> None:
    """Serve until Ctrl+C or SIGTERM; `ready(url)` is called once the socket listens.

    The supervisor (this process) binds the socket, starts the zygote that loads the build once,
    then forks `web_processes` web processes that accept on the same socket, each with its own
    waitress threads and query worker pool (forked by the shared zygote). A web process that
    dies is replaced; Ctrl+C or SIGTERM stops them all, then the zygote.
    """
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s"
        )
    # waitress warns once per queued request when every thread is busy: a log line per request
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    try:
        listener = _listen(settings.host, settings.port)
    except OSError as e:
        raise ConfigError(
            f"cannot listen on {settings.host}:{settings.port}: {e.strerror or e}"
            " (is another server running there? choose another --port)"
        ) from e
    listener.listen(BACKLOG)  # connections wait in the backlog while the web processes start
    host, port = listener.getsockname()[:2]
    url = f"http://{'[' + host + ']' if ':' in host else host}:{port}/"
    zygote = start_zygote(settings) if is_local(settings) else None
    supervisor = _Supervisor(settings, listener, zygote)

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    # Both stop the server cleanly; SIGINT explicitly, since a shell starting the server in the
    # background leaves SIGINT ignored.
    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        supervisor.start_all()
        server_log.info(
            "serving cakg at %s (engine %s; %d web processes, each %d threads, %d query workers)",
            url,
            settings.engine,
            supervisor.size,
            settings.threads,
            settings.query_workers,
        )
        if ready is not None:
            ready(url)
        supervisor.watch()
    except KeyboardInterrupt:
        server_log.info("shutting down")
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        supervisor.stop()
        listener.close()
        if zygote is not None:
            zygote.close()


class _Supervisor:
    """Forks the web processes, replaces one that dies, stops them all."""

    def __init__(self, settings: Settings, listener: socket.socket, zygote: Zygote | None) -> None:
        self.settings = settings
        self.listener = listener
        self.zygote = zygote
        # by default one per CPU, at most DEFAULT_MAX_PROCESSES: each brings `query_workers`
        # workers, and each of those may use `query_memory_mb` under a hostile query
        self.size = settings.web_processes or min(os.cpu_count() or 1, DEFAULT_MAX_PROCESSES)
        self.children: set[int] = set()

    def start_all(self) -> None:
        for _ in range(self.size):
            self._start()

    def _start(self) -> None:
        link = self.zygote.attach() if self.zygote is not None else None
        pid = os.fork()
        if pid == 0:  # the web process: never returns
            code = 0
            try:
                _web_process(self.settings, self.listener, self.zygote, link)
            except BaseException:
                server_log.exception("web process %d failed", os.getpid())
                code = 70
            finally:
                logging.shutdown()
                os._exit(code)
        if link is not None:
            link.conn.close()
        self.children.add(pid)

    def watch(self) -> None:
        """Wait for the children; replace a web process that died; stop if the zygote died."""
        while True:
            pid, status = os.wait()
            if self.zygote is not None and pid == self.zygote.pid:
                server_log.error("the query engine process died (status %d): stopping", status)
                return
            if pid in self.children:
                self.children.discard(pid)
                server_log.error("web process %d died (status %d): starting another", pid, status)
                time.sleep(RESTART_PAUSE)  # a process that dies at start-up must not spin
                self._start()

    def stop(self) -> None:
        for pid in self.children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE
        while self.children and time.monotonic() < deadline:
            for pid in list(self.children):
                with contextlib.suppress(ChildProcessError):
                    if os.waitpid(pid, os.WNOHANG)[0] == 0:
                        continue
                self.children.discard(pid)
            if self.children:
                time.sleep(0.05)
        for pid in self.children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
        self.children.clear()


def _buffer_log_streams() -> None:
    """Log handlers writing to stderr or stdout write into a buffer flushed every LOG_FLUSH s.

    One write(2) per access log line was a tenth of a web process's time under load.
    """
    streams: list[TextIO] = []
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler) and handler.stream in (
            sys.stderr,
            sys.stdout,
        ):
            buffered = open(  # noqa: SIM115 (lives as long as the process)
                os.dup(handler.stream.fileno()), "w", buffering=LOG_BUFFER, encoding="utf-8"
            )
            handler.setStream(buffered)
            streams.append(buffered)
    if streams:
        # and logging.shutdown() flushes them when the process ends
        threading.Thread(target=_flush_every, args=(streams,), daemon=True).start()


def _flush_every(streams: list[TextIO]) -> None:
    while True:
        time.sleep(LOG_FLUSH)
        for stream in streams:
            with contextlib.suppress(OSError, ValueError):
                stream.flush()


def _web_process(
    settings: Settings,
    listener: socket.socket,
    zygote: Zygote | None,
    link: ZygoteLink | None,
) -> None:
    """One web process: the app (its pool linked to the shared zygote) under waitress."""

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, stop)
    if zygote is not None:
        zygote.forget()  # the supervisor's connection: this process must not stop the zygote
    _buffer_log_streams()
    engine = open_engine(settings, isolated=True, link=link) if link is not None else None
    app = create_app(settings, {"CAKG_ENGINE": engine} if engine is not None else None)
    engine = app.extensions["cakg.engine"]
    server = create_server(
        AccessLog(app),
        sockets=[listener],
        threads=settings.threads,
        max_request_body_size=settings.max_request_bytes,
        connection_limit=max(100, settings.threads * 16),
        ident="cakg",
    )
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        engine.close()
