"""A store server the tests (and benchmarks) start as a child process on 127.0.0.1: wait until its
log says it is ready (reading its stderr, with a deadline), keep its log, stop it.

Used by conftest.py's Oxigraph server and tests/virtuoso_server.py's Virtuoso.
"""

from __future__ import annotations

import selectors
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field


def free_port() -> int:
    return free_ports(1)[0]


def free_ports(count: int) -> list[int]:
    """`count` distinct free ports of 127.0.0.1 (all held open while they are picked, so that
    the system cannot hand out one twice)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


@dataclass
class ServerProcess:
    """A server process whose stderr is its log; `url` is where it answers HTTP."""

    url: str
    process: subprocess.Popen[bytes]
    log: list[str] = field(default_factory=list)
    drain: threading.Thread | None = None

    def wait_for(self, ready: str, seconds: float) -> bool:
        """Read the log until a line holds `ready` (True), or the process exits or `seconds`
        pass (False, the process stopped); then keep reading it in a thread."""
        stderr = self.process.stderr
        assert stderr is not None
        deadline = time.monotonic() + seconds
        with selectors.DefaultSelector() as selector:
            selector.register(stderr, selectors.EVENT_READ)
            while not any(ready in line for line in self.log):
                left = deadline - time.monotonic()
                if left <= 0 or self.process.poll() is not None or not selector.select(left):
                    self.stop()
                    return False
                self.log.append(stderr.readline().decode("utf-8", "replace"))
        self.drain = threading.Thread(target=self._drain, daemon=True)
        self.drain.start()
        return True

    def stop(self, seconds: float = 10.0) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(seconds)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        if self.drain is not None:
            self.drain.join(10)
        if self.process.stderr is not None:
            self.process.stderr.close()

    def _drain(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.log.append(line.decode("utf-8", "replace"))


def start_process(command: list[str], **options: object) -> subprocess.Popen[bytes]:
    """`command` with its stderr piped unbuffered (a readline after select() must not buffer
    lines that select() cannot see), stdin and stdout closed."""
    return subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        bufsize=0, **options,  # type: ignore[call-overload]
    )  # fmt: skip
