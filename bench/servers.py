"""Helpers the benchmarks share: start servers on 127.0.0.1, wait until they answer, measure
their memory."""

from __future__ import annotations

import json
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(url: str, proc: subprocess.Popen[bytes], deadline: float) -> float:
    """Poll `url` until it answers 200; the seconds it took. Raises if `proc` dies first."""
    started = time.perf_counter()
    while time.perf_counter() - started < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args!r} exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return time.perf_counter() - started
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.02)
    raise TimeoutError(f"{url} not ready after {deadline} s")


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo += children.get(p, [])
    return found


def memory_mb(pid: int) -> tuple[float, float]:
    """Summed PSS and summed RSS (MB) of `pid` and its descendants."""
    pss = rss = 0
    for p in descendants(pid):
        try:
            for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    pss += int(line.split()[1])
                elif line.startswith("Rss:"):
                    rss += int(line.split()[1])
        except OSError:
            continue
    return pss / 1024, rss / 1024


class MemorySampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = (0.0, 0.0)
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            pss, rss = memory_mb(self.pid)
            self.peak = (max(self.peak[0], pss), max(self.peak[1], rss))
            time.sleep(0.05)


# wrk script: the queries POSTed in turn (application/sparql-query), then one RESULT line of JSON
WRK_SCRIPT = """
local bodies = {%(bodies)s}
local accepts = {%(accepts)s}
local i = 0
request = function()
  i = i %% #bodies + 1
  return wrk.format("POST", nil, {["Content-Type"] = "application/sparql-query",
                                 ["Accept"] = accepts[i]}, bodies[i])
end
%(done)s"""
# wrk's done(): one RESULT line of JSON (shared with bench_fairness.py's script)
WRK_DONE = """done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {"p50": %d, "p99": %d, "requests": %d, "seconds": %f, "non2xx": %d, ' ..
    '"errors": %d}\\n',
    latency:percentile(50), latency:percentile(99), summary.requests,
    summary.duration / 1e6, e.status, e.connect + e.read + e.write + e.timeout))
end
"""


def run_wrk(
    url: str, queries: list[tuple[str, str]], connections: int, duration: float
) -> dict[str, float]:
    """wrk POSTing the (query, Accept) pairs in turn to `url`: p50 and p99 (microseconds),
    requests, seconds, non2xx, errors and rps."""
    script = WRK_SCRIPT % {
        "bodies": ", ".join(f"[==[{q}]==]" for q, _ in queries),
        "accepts": ", ".join(f'"{a}"' for _, a in queries),
        "done": WRK_DONE,
    }
    return run_wrk_script(script, url, connections, duration)


def run_wrk_script(script: str, url: str, connections: int, duration: float) -> dict[str, float]:
    """wrk running the Lua `script` (ending in WRK_DONE) against `url`: its RESULT line as a
    dict, with rps added."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as f:
        f.write(script)
        f.flush()
        out = subprocess.run(
            [
                *("wrk", f"-t{min(connections, 2)}", f"-c{connections}", f"-d{round(duration)}s"),
                *("--timeout", "60s", "-s", f.name, url),
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    line = next(x for x in out.splitlines() if x.startswith("RESULT "))
    result: dict[str, float] = json.loads(line.removeprefix("RESULT "))
    result["rps"] = result["requests"] / result["seconds"]
    return result


def stop(proc: subprocess.Popen[bytes], seconds: float = 20) -> None:
    """Terminate `proc`, and kill it if it is still there after `seconds`."""
    proc.terminate()
    try:
        proc.wait(seconds)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
