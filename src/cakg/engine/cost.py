"""What a query cost in a worker, and which requests have shown they are short.

A query sent to a killable worker (see pool.py) comes back with its cost: wall-clock seconds and
how far it raised the worker's resident set. The dataset is immutable between builds, so the same
request (text, dataset, bindings, formats, row cap) does the same work every time it runs: one
that took at most `budget` seconds of CPU, `WALL_FACTOR` times that in wall-clock time, and
`PEAK_BYTES` of memory once will do so again. CPU time is the measure of the work (wall-clock
time also counts the other processes of a loaded machine); the wall-clock bound keeps out
queries that mostly wait (reads of an on-disk store). Such requests go to the pool's short lane,
workers that never run anything else, so that they never wait behind a long query. They are
still evaluated in a worker, every time, under the same limits: only the verdict is remembered.

Excluded, whatever they cost once: text longer than `MAX_TEXT` (not worth remembering) and
queries calling RAND(), whose work may differ from one run to the next. A request whose own
`timeout` is shorter than `HEADROOM` times the measured cost is not counted as short.
"""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

PEAK_BYTES = 64 * 1024 * 1024  # a query that raised the worker's RSS more than this is not short
MAX_TEXT = 8192  # characters
ENTRIES = 1024  # remembered requests per web process (least recently used dropped)
HEADROOM = 4.0  # the request's timeout must be at least this many times the measured wall time
WALL_FACTOR = 20.0  # wall-clock limit, in budgets
_RANDOM = re.compile(r"\bRAND\s*\(", re.IGNORECASE)
_STATUS = "/proc/self/status"
_CLEAR_REFS = "/proc/self/clear_refs"


@dataclass(frozen=True)
class Cost:
    """What one query took in a worker: wall-clock and CPU seconds, and the growth of the
    resident set's high-water mark in bytes (None where the system cannot tell)."""

    seconds: float
    cpu_seconds: float
    peak_bytes: int | None


def _memory() -> tuple[int, int] | None:
    """(VmRSS, VmHWM) of this process in bytes, or None without /proc."""
    try:
        with open(_STATUS, "rb") as f:
            text = f.read()
    except OSError:
        return None
    values: dict[bytes, int] = {}
    for line in text.split(b"\n"):
        if line.startswith((b"VmRSS:", b"VmHWM:")):
            name, value = line.split(b":", 1)
            values[name] = int(value.split()[0]) * 1024
    if len(values) != 2:
        return None
    return values[b"VmRSS"], values[b"VmHWM"]


def _reset_peak() -> int | None:
    """Reset this process's RSS high-water mark to its current RSS; that RSS, or None."""
    try:
        with open(_CLEAR_REFS, "w", encoding="ascii") as f:
            f.write("5")
    except OSError:
        return None
    memory = _memory()
    return None if memory is None else memory[0]


def measure(call: Callable[[], Any]) -> tuple[Any, Cost]:
    """Run `call()`; its result and what it cost (exceptions pass through, unmeasured)."""
    before = _reset_peak()
    start, cpu_start = time.perf_counter(), time.thread_time()
    result = call()
    cpu_seconds = time.thread_time() - cpu_start
    seconds = time.perf_counter() - start
    after = _memory() if before is not None else None
    peak = None if before is None or after is None else max(after[1] - before, 0)
    return result, Cost(seconds, cpu_seconds, peak)


class ShortQueries:
    """The requests seen to finish in a worker within `budget` CPU seconds (WALL_FACTOR times
    that in wall-clock time) and PEAK_BYTES: the short lane's."""

    def __init__(self, budget: float, entries: int = ENTRIES) -> None:
        self.budget = budget
        self.entries = entries
        self._seen: OrderedDict[Hashable, float] = OrderedDict()
        self._lock = threading.Lock()

    def eligible(self, sparql: str) -> bool:
        """Whether this text may ever be counted as short."""
        return self.budget > 0 and len(sparql) <= MAX_TEXT and _RANDOM.search(sparql) is None

    def record(self, key: Hashable, sparql: str, cost: Cost | None) -> None:
        """Remember `key` as short when `cost` shows it (forget it when it does not)."""
        short = (
            cost is not None
            and cost.peak_bytes is not None
            and cost.peak_bytes <= PEAK_BYTES
            and cost.cpu_seconds <= self.budget
            and cost.seconds <= self.budget * WALL_FACTOR
            and self.eligible(sparql)
        )
        with self._lock:
            if not short:
                self._seen.pop(key, None)
                return
            assert cost is not None
            self._seen[key] = cost.seconds
            self._seen.move_to_end(key)
            while len(self._seen) > self.entries:
                self._seen.popitem(last=False)

    def allows(self, key: Hashable, timeout: float) -> bool:
        """True when `key` was seen short and `timeout` leaves HEADROOM over its cost."""
        with self._lock:
            seconds = self._seen.get(key)
            if seconds is None:
                return False
            self._seen.move_to_end(key)
        return seconds * HEADROOM <= timeout

    def __len__(self) -> int:
        return len(self._seen)
