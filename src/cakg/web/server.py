"""`serve(settings)`: the app under waitress, with an access log and a clean shutdown.

waitress is a pure-Python production WSGI server with a thread pool; the heavy work (queries)
runs in the engine's worker processes, so its threads mostly wait on sockets. Ctrl+C or SIGTERM
stops accepting, closes the server and terminates the query workers.
"""

from __future__ import annotations

import logging
import signal
import socket
import sys
import time
from collections.abc import Callable, Iterable
from types import FrameType
from typing import Any

from waitress.server import create_server

from cakg.config import Settings
from cakg.errors import ConfigError
from cakg.web import REQUEST_ID, create_app

log = logging.getLogger("cakg.access")

StartResponse = Callable[..., Any]


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
    """Serve until Ctrl+C or SIGTERM; `ready(url)` is called once the socket listens."""
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s"
        )
    app = create_app(settings)
    engine = app.extensions["cakg.engine"]
    try:
        listener = _listen(settings.host, settings.port)
    except OSError as e:
        engine.close()
        raise ConfigError(
            f"cannot listen on {settings.host}:{settings.port}: {e.strerror or e}"
            " (is another server running there? choose another --port)"
        ) from e
    server = create_server(
        AccessLog(app),
        sockets=[listener],
        threads=settings.threads,
        max_request_body_size=settings.max_request_bytes,
        connection_limit=max(100, settings.threads * 16),
        ident="cakg",
    )
    url = f"http://{server.effective_host}:{server.effective_port}/"  # type: ignore[union-attr]

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    # Both stop the server cleanly; SIGINT explicitly, since a shell starting the server in the
    # background leaves SIGINT ignored.
    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    log.info("serving %s (engine %s, dataset %s) at %s", "cakg", engine.name, engine.version, url)
    if ready is not None:
        ready(url)
    try:
        server.run()
    except KeyboardInterrupt:
        log.info("shutting down")
    finally:
        server.close()
        engine.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
