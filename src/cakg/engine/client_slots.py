"""How many general-lane queries each client runs at once, counted across web processes."""

from __future__ import annotations

import contextlib
import fcntl
import os
import struct
import tempfile
import zlib
from collections.abc import Iterator

from cakg.errors import TooManyQueries

CLIENT_BUCKETS = 4096  # clients are hashed into this many counters (a clash shares one)


class ClientSlots:
    """How many general-lane queries each client runs at once, counted across processes.

    Each client address hashes to one of CLIENT_BUCKETS rows of `limit` one-byte slots in an
    unlinked temporary file shared by every web process (made before they fork). Taking a
    slot is an open file description lock (F_OFD_SETLK) on one byte: the kernel releases it
    when its holder closes it, or dies, so a web process killed mid-query leaks nothing.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._file = tempfile.TemporaryFile() if limit > 0 else None  # noqa: SIM115

    @contextlib.contextmanager
    def held(self, client: str | None) -> Iterator[None]:
        """Hold one of `client`'s slots for the duration; TooManyQueries if all are taken."""
        if self._file is None or client is None:
            yield
            return
        row = zlib.crc32(client.encode("utf-8", "replace")) % CLIENT_BUCKETS
        fd = os.open(f"/proc/self/fd/{self._file.fileno()}", os.O_RDWR)  # its own description
        try:
            if not any(_try_lock(fd, row * self.limit + k) for k in range(self.limit)):
                raise TooManyQueries(
                    f"this client already runs {self.limit} queries that are not known to be "
                    "short; wait for one to finish (the limit is per client address)"
                )
            yield
        finally:
            os.close(fd)  # releases the lock

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


_FLOCK = "hhqqi4x"  # struct flock on Linux (64-bit off_t): type, whence, start, len, pid


def _try_lock(fd: int, offset: int) -> bool:
    request = struct.pack(_FLOCK, fcntl.F_WRLCK, os.SEEK_SET, offset, 1, 0)
    try:
        fcntl.fcntl(fd, fcntl.F_OFD_SETLK, request)
    except (BlockingIOError, PermissionError):
        return False
    return True
