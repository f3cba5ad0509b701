"""The access log of `cakg serve`: one line per request, written in batches.

`AccessLog` (WSGI middleware) makes the line; `AccessLines` gathers lines and a thread writes
them every LOG_FLUSH seconds; `buffer_log_streams` does the same for the logging handlers
that write to stderr or stdout (AccessLines says why).
"""

from __future__ import annotations

import collections
import contextlib
import logging
import multiprocessing
import multiprocessing.util
import os
import select
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TextIO

from cakg.web.request_ids import REQUEST_ID

access_log = logging.getLogger("cakg.access")
StartResponse = Callable[..., Any]
LOG_BUFFER = 64 * 1024


LOG_FLUSH = 0.2  # seconds


class AccessLines:
    """Access log lines written in batches, as `logging.basicConfig`'s format writes them.

    Used when `serve` configured logging itself (nothing else had): the logging module's
    per-record work (a LogRecord, the caller's frame, a handler lock, a flush) was a large
    share of a web process's time on a point lookup. A line is formatted once and appended
    to a deque (thread-safe); a thread writes what has gathered every LOG_FLUSH seconds, in
    writes of at most PIPE_BUF bytes that end on a line, so the web processes sharing stderr
    never cut into each other's lines. What is left is written when the process ends.
    """

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self._lines: collections.deque[str] = collections.deque()
        self._second = -1
        self._stamp = ""
        self._lock = threading.Lock()  # one writer at a time: the thread, or the final flush

    def write(self, message: str) -> None:
        now = time.time()
        second = int(now)
        if second != self._second:  # logging's asctime, computed once a second
            self._stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now))
            self._second = second
        millis = int((now - second) * 1000)
        self._lines.append(f"{self._stamp},{millis:03d} {access_log.name} {message}\n")

    def flush(self) -> None:
        with self._lock:
            chunk: list[bytes] = []
            size = 0
            while True:
                try:
                    line = self._lines.popleft().encode("utf-8", "replace")
                except IndexError:
                    break
                if chunk and size + len(line) > select.PIPE_BUF:
                    self._write(b"".join(chunk))
                    chunk, size = [], 0
                chunk.append(line)
                size += len(line)
            if chunk:
                self._write(b"".join(chunk))

    def _write(self, data: bytes) -> None:
        with contextlib.suppress(OSError):
            while data:
                data = data[os.write(self.fd, data) :]

    def start(self) -> None:
        """Write every LOG_FLUSH seconds from a thread, and once more when the process ends."""
        _flush_periodically([self])


class AccessLog:
    """WSGI middleware writing one line per request: client, method, path, status, size, time.

    Into `lines` when given, else through the `cakg.access` logger (whatever handlers the
    embedding program configured)."""

    def __init__(
        self, app: Callable[..., Iterable[bytes]], lines: AccessLines | None = None
    ) -> None:
        self.app = app
        self.lines = lines

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
            line = '%s "%s %s" %s %s %.1fms id=%s' % (  # noqa: UP031 (the logger's format)
                environ.get("REMOTE_ADDR", "-"),
                environ.get("REQUEST_METHOD", "-"),
                path,
                seen.get("status", "-"),
                seen.get("size", "-"),
                (time.perf_counter() - started) * 1000,
                seen.get("id", "-"),
            )
            if self.lines is not None:
                self.lines.write(line)
            else:
                access_log.info("%s", line)


def buffer_log_streams() -> None:
    """Log handlers writing to stderr or stdout write into a buffer flushed every LOG_FLUSH s.

    One write(2) per access log line was a visible share of a web process's time under load.
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
        _flush_periodically(streams)


def _flush_periodically(targets: Sequence[TextIO | AccessLines]) -> None:
    """Flush `targets` every LOG_FLUSH seconds from a thread, and once more at exit."""
    threading.Thread(target=_flush_every, args=(targets,), daemon=True).start()
    # a web process ends through multiprocessing, which runs its finalizers but not atexit
    multiprocessing.util.Finalize(None, _flush, args=(targets,), exitpriority=0)


def _flush(targets: Sequence[TextIO | AccessLines]) -> None:
    for stream in targets:
        with contextlib.suppress(OSError, ValueError):
            stream.flush()


def _flush_every(targets: Sequence[TextIO | AccessLines]) -> None:
    while True:
        time.sleep(LOG_FLUSH)
        _flush(targets)
