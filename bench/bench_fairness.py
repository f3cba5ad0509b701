"""Fair under load: cheap and saved queries beside clients looping an expensive query.

    .venv/bin/python -m bench.bench_fairness [--duration 20] [--connections 64] [--expensive 4]

Needs Debian's wrk (installed when run as root). It builds the real graph (a copy under
bench/results/real), starts `cakg serve` with the result cache OFF and its default settings
otherwise, and warms the cheap and saved requests up (each a few times, so that every web
process has measured them once). Then wrk sends the mix of cheap SPARQL queries and saved-query
GETs over `--connections` connections for `--duration` seconds, twice:

1. alone;
2. while `--expensive` clients each loop an expensive query (a four-way cross product that
   never finishes: every one is stopped at the time limit, 503).

It prints the non-2xx count and the p50/p99 latency of the mix in both runs, the ratio of the
p99s (target: at most 3x) and what the expensive clients got. The table is also written to
bench/results/fairness-<date>.md (git-ignored).
"""

from __future__ import annotations

import argparse
import datetime
import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

from bench.bench_endpoint import built_nquads, start_cakg
from bench.servers import WRK_DONE, run_wrk_script

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
RESULTS = BENCH / "results"

PREFIXES = "PREFIX cakg: <https://w3id.org/cakg/ontology#>\n"
JSON = "application/sparql-results+json"
# (method, path, body): cheap SPARQL queries and saved queries, sent in turn
MIX = [
    (
        "POST",
        "/sparql",
        "SELECT ?p ?o WHERE { <https://w3id.org/cakg/id/state/kazakhstan> ?p ?o }",
    ),
    ("POST", "/sparql", "ASK { ?s a <https://w3id.org/cakg/ontology#State> }"),
    (
        "POST",
        "/sparql",
        PREFIXES + "SELECT ?type (COUNT(?s) AS ?n) WHERE { ?s a ?type } GROUP BY ?type",
    ),
    ("GET", "/queries/trade-turnover-by-year.json?partner=id:state/uzbekistan", None),
    ("GET", "/queries/relation-levels.json", None),
    ("GET", "/queries/sources.json", None),
    ("GET", "/queries/visits.json", None),
]
EXPENSIVE = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
WARM_UP = 16  # times each request of the mix is sent before measuring
TARGET_P99_RATIO = 3.0

WRK_SCRIPT = """
local reqs = {%(requests)s}
local i = 0
request = function()
  i = i %% #reqs + 1
  local r = reqs[i]
  local headers = {["Accept"] = "%(accept)s"}
  if r[3] ~= nil then headers["Content-Type"] = "application/sparql-query" end
  return wrk.format(r[1], r[2], headers, r[3])
end
%(done)s"""


def lua_request(method: str, path: str, body: str | None) -> str:
    text = "nil" if body is None else f"[==[{body}]==]"
    return f'{{"{method}", [==[{path}]==], {text}}}'


def run_mix(base: str, connections: int, duration: float) -> dict[str, float]:
    script = WRK_SCRIPT % {
        "requests": ", ".join(lua_request(*r) for r in MIX),
        "accept": JSON,
        "done": WRK_DONE,
    }
    return run_wrk_script(script, base, connections, duration)


def send(base: str, method: str, path: str, body: str | None, timeout: float = 60) -> int:
    headers = {"Accept": JSON}
    data = None
    if body is not None:
        headers["Content-Type"] = "application/sparql-query"
        data = body.encode()
    request = urllib.request.Request(base + path, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as r:
            r.read()
            return int(r.status)
    except urllib.error.HTTPError as e:
        e.read()
        return int(e.code)


class Looper(threading.Thread):
    """One client sending the expensive query again and again until told to stop."""

    def __init__(self, base: str) -> None:
        super().__init__(daemon=True)
        self.base = base
        self.statuses: Counter[int] = Counter()
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.statuses[send(self.base, "POST", "/sparql", EXPENSIVE)] += 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--expensive", type=int, default=4, help="clients looping EXPENSIVE")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        if os.geteuid() != 0:
            sys.exit("bench: wrk is missing: apt-get install -y wrk")
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)
    os.environ["CAKG_REASONER"] = "rules"  # as bench_endpoint: the same build, fast
    real = RESULTS / "real"
    if not real.exists():
        for folder in ("ontology", "shapes", "graph", "queries"):
            shutil.copytree(REPO / folder, real / folder)
    built_nquads(real)
    logs = RESULTS / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    server = start_cakg(real, cache=False, logs=logs)
    base = server.endpoint.removesuffix("/sparql")
    lines: list[str] = []

    def add(text: str = "") -> None:
        print(text, flush=True)
        lines.append(text)

    try:
        stamp = datetime.datetime.now().astimezone()
        add(f"## cakg fairness benchmark, {stamp:%Y-%m-%d %H:%M %Z}")
        add(
            f"\nmachine: {os.cpu_count()} cores; {args.connections} connections of the mix "
            f"({len(MIX)} requests in turn), {args.duration:g} s per run, cache off"
        )
        for method, path, body in MIX * WARM_UP:
            status = send(base, method, path, body)
            if status != 200:
                sys.exit(f"bench: warm-up {method} {path} answered {status}")
        alone = run_mix(base, args.connections, args.duration)
        loopers = [Looper(base) for _ in range(args.expensive)]
        for looper in loopers:
            looper.start()
        time.sleep(1.0)  # the expensive queries are running when the measurement starts
        loaded = run_mix(base, args.connections, args.duration)
        for looper in loopers:
            looper.stop.set()
        for looper in loopers:
            looper.join(30)
        expensive: Counter[int] = sum((lp.statuses for lp in loopers), Counter())
        add("\n| run | requests/s | p50 ms | p99 ms | non-2xx | socket errors |")
        add("|---|---:|---:|---:|---:|---:|")
        for name, r in (("alone", alone), (f"beside {args.expensive} expensive", loaded)):
            add(
                f"| {name} | {r['rps']:.0f} | {r['p50'] / 1000:.1f} | {r['p99'] / 1000:.1f} "
                f"| {r['non2xx']:.0f} | {r['errors']:.0f} |"
            )
        ratio = loaded["p99"] / max(alone["p99"], 1)
        ok = ratio <= TARGET_P99_RATIO and loaded["non2xx"] == 0 and alone["non2xx"] == 0
        add(
            f"\np99 beside the expensive clients / alone: {ratio:.2f}x "
            f"(target <= {TARGET_P99_RATIO:g}x, and 0 non-2xx): {'met' if ok else 'NOT met'}"
        )
        add(f"expensive clients' answers: {dict(sorted(expensive.items()))}")
    finally:
        server.stop()
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"fairness-{datetime.datetime.now():%Y%m%d-%H%M}.md"
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"\nwritten to {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
