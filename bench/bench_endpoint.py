"""Benchmark cakg's SPARQL endpoint against Oxigraph server and rdflib-endpoint, side by side.

    make bench            # or: .venv/bin/python -m bench.bench_endpoint [--duration 5]
    .venv/bin/python -m bench.bench_endpoint --synthetic 0 --startup 0 --floor   # real graph

Needs the bench extra (`pip install -e '.[bench]'`: oxigraph, rdflib-endpoint, py-spy) and
Debian's wrk (`apt-get install -y wrk`; the bench installs it when it runs as root).

For each dataset (the real graph, and a synthetic one of about 10^5 triples made by
bench/generate.py and built by `cakg build`), it starts, on free 127.0.0.1 ports:
- cakg: `cakg serve` (embedded Oxigraph engine in its worker pool), result cache OFF
  (CAKG_RESULT_CACHE=0); a second cakg with the cache ON is measured and reported separately;
- Oxigraph server: `oxigraph serve --union-default-graph`, in memory, the same N-Quads POSTed;
- rdflib-endpoint: `rdflib-endpoint serve cakg.nq` (one uvicorn worker, default-union Dataset).
Each query (point lookup, join, aggregate, CONSTRUCT) runs under wrk at concurrency 1 and 16
for --duration seconds: p50 and p99 latency and throughput. Then a mixed load (the four queries
in turn, 16 connections) counts non-2xx responses and socket errors. Finally, at about 10^6
triples: `cakg serve`'s time to ready (spawn to /healthz 200) and peak RSS (VmHWM of the
server and its query workers).

With `--floor`, each dataset also gets a floor section: the reference apps of
bench/floor_apps.py under granian (a bare WSGI callable over pyoxigraph, the least a Python layer
can cost, and a minimal Flask view over it), with as many processes as cakg's web processes,
beside cakg and Oxigraph server, at 16 connections, `--rounds` times with the servers in turn:
requests/s and the ratio to Oxigraph server in the same round, which shows the run-to-run spread.

The table is printed and written to bench/results/endpoint-<date>.md (git-ignored).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph

from bench.generate import generate
from bench.servers import MemorySampler, descendants, free_port, run_wrk, wait_ready

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
RESULTS = BENCH / "results"
BIN = Path(sys.executable).parent

PREFIXES = """PREFIX cakg: <https://w3id.org/cakg/ontology#>
PREFIX id: <https://w3id.org/cakg/id/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
"""
JSON = "application/sparql-results+json"
TURTLE = "text/turtle"
QUERIES = {
    "point": (
        PREFIXES + "SELECT ?p ?o WHERE { <https://w3id.org/cakg/id/state/kazakhstan> ?p ?o }",
        JSON,
    ),
    "join": (
        PREFIXES
        + """SELECT ?figure ?measure ?a ?b ?value WHERE {
  ?figure cakg:measure ?m ; cakg:firstParty ?fa ; cakg:secondParty ?fb ; cakg:value ?value .
  ?m rdfs:label ?measure . ?fa rdfs:label ?a . ?fb rdfs:label ?b .
  FILTER (lang(?measure) = "en" && lang(?a) = "en" && lang(?b) = "en")
} LIMIT 1000""",
        JSON,
    ),
    "aggregate": (
        PREFIXES
        + "SELECT ?type (COUNT(?s) AS ?n) WHERE { ?s a ?type } GROUP BY ?type ORDER BY DESC(?n)",
        JSON,
    ),
    "construct": (
        PREFIXES
        + """CONSTRUCT { ?v cakg:guest ?g ; rdfs:label ?l } WHERE {
  ?v a cakg:StateVisit ; cakg:guest ?g ; rdfs:label ?l } LIMIT 2000""",
        TURTLE,
    ),
}


@dataclass
class Server:
    name: str
    endpoint: str
    proc: subprocess.Popen[bytes]
    ready_s: float = 0.0
    log: Path | None = None

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def start_cakg(
    root: Path,
    cache: bool,
    logs: Path,
    deadline: float = 120,
    sampler: list[MemorySampler] | None = None,
    extra_env: dict[str, str] | None = None,
) -> Server:
    """`cakg serve` on a free port, ready, with `extra_env` in its environment; with `sampler`
    (a list), its memory is sampled from the spawn on by a MemorySampler appended to that list."""
    port = free_port()
    env = {**os.environ, "CAKG_RESULT_CACHE": "1" if cache else "0", **(extra_env or {})}
    log = logs / f"cakg-{root.name}-{'cache' if cache else 'nocache'}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [BIN / "cakg", "--root", root, "serve", "--host", "127.0.0.1", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    if sampler is not None:
        sampler.append(MemorySampler(proc.pid))
        sampler[-1].start()
    base = f"http://127.0.0.1:{port}"
    server = Server("cakg+cache" if cache else "cakg", f"{base}/sparql", proc, log=log)
    server.ready_s = wait_ready(f"{base}/healthz", proc, deadline)
    return server


def start_oxigraph(nquads: Path, logs: Path) -> Server:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with (logs / "oxigraph.log").open("wb") as out:
        proc = subprocess.Popen(
            [BIN / "oxigraph", "serve", "--bind", f"127.0.0.1:{port}", "--union-default-graph"],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    ready = wait_ready(f"{base}/query?query=ASK%7B%7D", proc, 60)
    request = urllib.request.Request(
        f"{base}/store",
        data=nquads.read_bytes(),
        headers={"Content-Type": "application/n-quads"},
        method="POST",
    )
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=600) as r:
        assert r.status in (200, 201, 204), r.status
    return Server("oxigraph", f"{base}/query", proc, ready + time.perf_counter() - started)


def start_rdflib_endpoint(nquads: Path, logs: Path) -> Server:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with (logs / "rdflib-endpoint.log").open("wb") as out:
        proc = subprocess.Popen(
            [BIN / "rdflib-endpoint", "serve", nquads, "--host", "127.0.0.1", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    ask = f"{base}/?query=ASK%7B%7D"
    return Server("rdflib-endpoint", f"{base}/", proc, wait_ready(ask, proc, 600))


FLOOR_APPS = ("wsgi_app", "flask_app", "rsgi_app")  # bench/floor_apps.py


def start_floor(kind: str, nquads: Path, workers: int, logs: Path) -> Server:
    """A reference app of bench/floor_apps.py (`wsgi_app`, `flask_app` or `rsgi_app`) under
    granian with `workers` processes of one thread, on the interface its name says."""
    port = free_port()
    interface = "rsgi" if kind.startswith("rsgi") else "wsgi"
    with (logs / f"{kind}.log").open("wb") as out:
        proc = subprocess.Popen(
            [BIN / "granian", "--interface", interface, "--factory", "--host", "127.0.0.1",
             "--port", str(port), "--workers", str(workers), "--blocking-threads", "1",
             "--working-dir", REPO, f"bench.floor_apps:{kind}"],
            cwd=REPO,
            env={**os.environ, "NQ": str(nquads)},
            stdout=out,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    endpoint = f"http://127.0.0.1:{port}/sparql"
    return Server(kind.replace("_app", "-floor"), endpoint, proc, wait_ready(
        f"{endpoint}?query=ASK%7B%7D", proc, 120))  # fmt: skip


def count(server: Server, query: str, accept: str) -> int:
    """Rows or triples of one answer, to check every server does the same work."""
    request = urllib.request.Request(
        server.endpoint,
        data=query.encode(),
        headers={"Content-Type": "application/sparql-query", "Accept": accept},
    )
    with urllib.request.urlopen(request, timeout=600) as r:
        body = r.read()
    if accept == JSON:
        return len(json.loads(body)["results"]["bindings"])
    return len(Graph().parse(data=body, format="turtle"))


MIN_COMPLETED = 3  # a run that completes fewer requests is done again, LONGER times as long
LONGER = 4


@dataclass
class Run:
    p50_ms: float
    p99_ms: float
    rps: float
    non2xx: int
    errors: int


def wrk(server: Server, names: list[str], connections: int, duration: float) -> Run:
    r = run_wrk(server.endpoint, [QUERIES[n] for n in names], connections, duration)
    return Run(r["p50"] / 1000, r["p99"] / 1000, r["rps"], int(r["non2xx"]), int(r["errors"]))


@dataclass
class Table:
    lines: list[str] = field(default_factory=list)

    def add(self, text: str = "") -> None:
        print(text, flush=True)
        self.lines.append(text)


def bench_dataset(
    label: str, root: Path, nquads: Path, args: argparse.Namespace, table: Table
) -> None:
    logs = RESULTS / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    servers = {
        "cakg": start_cakg(root, cache=False, logs=logs, extra_env=args.env),
        "oxigraph": start_oxigraph(nquads, logs),
        "rdflib-endpoint": start_rdflib_endpoint(nquads, logs),
    }
    results: dict[tuple[str, str, int], Run] = {}
    try:
        table.add(f"\n### {label} ({sum(1 for _ in nquads.open('rb'))} quads)\n")
        counts = {q: {n: count(s, *QUERIES[q]) for n, s in servers.items()} for q in QUERIES}
        table.add("rows/triples per answer: " + json.dumps(counts))
        table.add(
            "\n| query | c | cakg p50/p99 ms | cakg req/s | oxigraph p50/p99 | oxigraph req/s "
            "| rdflib-ep p50/p99 | rdflib-ep req/s | cakg/oxigraph | cakg/rdflib-ep |"
        )
        table.add("|---|---|---|---|---|---|---|---|---|---|")
        for q in QUERIES:
            for c in (1, 16):
                for name, server in servers.items():
                    run = wrk(server, [q], c, args.duration)
                    if run.rps * args.duration < MIN_COMPLETED:  # too slow for the run: longer
                        run = wrk(server, [q], c, args.duration * LONGER)
                    results[(name, q, c)] = run
                ck, ox, rl = (results[(n, q, c)] for n in servers)
                table.add(
                    f"| {q} | {c} | {ck.p50_ms:.2f}/{ck.p99_ms:.2f} | {ck.rps:.0f} "
                    f"| {ox.p50_ms:.2f}/{ox.p99_ms:.2f} | {ox.rps:.0f} "
                    f"| {rl.p50_ms:.1f}/{rl.p99_ms:.1f} | {rl.rps:.1f} "
                    f"| {ratio_text(ck, ox, args.duration * LONGER, 2)} "
                    f"| {ratio_text(ck, rl, args.duration * LONGER, 0)} |"
                )
        mixed = {n: wrk(s, list(QUERIES), 16, args.duration) for n, s in servers.items()}
        table.add(
            "\nmixed load (4 queries in turn, c=16): "
            + ", ".join(
                f"{n}: {m.rps:.0f} req/s, non-2xx {m.non2xx}, socket errors {m.errors}"
                for n, m in mixed.items()
            )
        )
        if args.floor:
            floor(servers, nquads, args, table, logs)
        servers["cakg"].stop()
        cached = start_cakg(root, cache=True, logs=logs, extra_env=args.env)
        try:
            table.add("\ncakg with its result cache ON (same queries, repeated):\n")
            table.add("| query | c | p50/p99 ms | req/s | gain vs cache off |")
            table.add("|---|---|---|---|---|")
            for q in QUERIES:
                for c in (1, 16):
                    r = wrk(cached, [q], c, args.duration)
                    off = results[("cakg", q, c)]
                    table.add(
                        f"| {q} | {c} | {r.p50_ms:.2f}/{r.p99_ms:.2f} | {r.rps:.0f} "
                        f"| {r.rps / off.rps:.2f}x |"
                    )
        finally:
            cached.stop()
    finally:
        for server in servers.values():
            server.stop()
    targets(results, table, args.duration * LONGER)


def floor(
    servers: dict[str, Server], nquads: Path, args: argparse.Namespace, table: Table, logs: Path
) -> None:
    """--floor: the reference apps beside cakg and Oxigraph server, c=16, `args.rounds` rounds
    of the servers in turn; requests/s and the ratio to Oxigraph server in the same round."""
    apps = [start_floor(kind, nquads, args.floor_workers, logs) for kind in args.floor_apps]
    ring = [servers["oxigraph"], *apps, servers["cakg"]]
    try:
        table.add(
            f"\nfloor (bench/floor_apps.py, {args.floor_workers} granian processes of one "
            "thread each), c=16, req/s (ratio to Oxigraph server in the same round):\n"
        )
        rows = {q: {s.name: count(s, *QUERIES[q]) for s in ring} for q in args.floor_queries}
        table.add("rows per answer: " + json.dumps(rows) + "\n")
        table.add("| query | round | " + " | ".join(s.name for s in ring) + " |")
        table.add("|---|---|" + "---|" * len(ring))
        for q in args.floor_queries:
            for n in range(1, args.rounds + 1):
                runs = [wrk(s, [q], 16, args.duration) for s in ring]
                cells = [f"{r.rps:.0f} ({r.rps / runs[0].rps:.2f})" for r in runs[1:]]
                table.add(f"| {q} | {n} | {runs[0].rps:.0f} | " + " | ".join(cells) + " |")
    finally:
        for app in apps:
            app.stop()


def throughput_ratio(ours: Run, peer: Run, duration: float) -> tuple[float, bool]:
    """ours / peer requests per second; (a lower bound, True) when the peer completed no
    request in its `duration` s run (its throughput was then under 1 / duration)."""
    if peer.rps > 0:
        return ours.rps / peer.rps, False
    return ours.rps * duration, True


def ratio_text(ours: Run, peer: Run, duration: float, digits: int) -> str:
    value, bound = throughput_ratio(ours, peer, duration)
    return f"{'>' if bound else ''}{value:.{digits}f}x"


def targets(results: dict[tuple[str, str, int], Run], table: Table, duration: float) -> None:
    """The issue's targets, with the result cache off (a peer that completed no request in
    its longest run counts at its bound: under one request per run)."""

    def ratio(peer: str, q: str, c: int, ours: str = "cakg") -> float:
        return throughput_ratio(results[(ours, q, c)], results[(peer, q, c)], duration)[0]

    checks = [
        (
            "point lookup >= 0.4x oxigraph (c=1, c=16)",
            min(ratio("oxigraph", "point", c) for c in (1, 16)),
            0.4,
        ),
        ("aggregate >= 1.0x oxigraph at c=16", ratio("oxigraph", "aggregate", 16), 1.0),
        (
            "every query >= 50x rdflib-endpoint",
            min(ratio("rdflib-endpoint", q, c) for q in QUERIES for c in (1, 16)),
            50.0,
        ),
    ]
    table.add("")
    for text, value, goal in checks:
        table.add(f"- {text}: {value:.2f} -> {'met' if value >= goal else 'MISSED'}")
    # what the 50x target asks of any server here: Oxigraph server's own ratio to rdflib-endpoint
    peers = {
        (q, c): ratio("rdflib-endpoint", q, c, ours="oxigraph") for q in QUERIES for c in (1, 16)
    }
    below = [f"{q} c={c} {v:.0f}x" for (q, c), v in peers.items() if v < 50.0]
    table.add(
        "- for scale, Oxigraph server / rdflib-endpoint: "
        + ", ".join(f"{q} c={c} {v:.0f}x" for (q, c), v in peers.items())
        + (f" (under 50x: {len(below)} of {len(peers)})" if below else "")
    )


def built_nquads(root: Path, env: dict[str, str] | None = None) -> Path:
    """Build the project under `root` (cakg build; cached by its fingerprint); its N-Quads."""
    subprocess.run([BIN / "cakg", "--root", root, "build", "-q"], check=True, env=env)
    current = root / "build" / "current" / "cakg.nq"
    return current.resolve()


def startup(root: Path, table: Table, extra_env: dict[str, str]) -> None:
    """Time to ready and memory: PSS (shared pages split between the processes that map them)
    summed over `cakg serve` and every process under it, sampled from the spawn to a second
    after ready; RSS summed the same way, which counts the shared store once per process."""
    logs = RESULTS / "logs"
    samplers: list[MemorySampler] = []
    server = start_cakg(
        root, cache=False, logs=logs, deadline=300, sampler=samplers, extra_env=extra_env
    )
    try:
        time.sleep(1.0)
        samplers[0].stop.set()
        peak_pss, peak_rss = samplers[0].peak
        processes = len(descendants(server.proc.pid))
    finally:
        server.stop()
    nq = root / "build" / "current" / "cakg.nq"
    quads = sum(1 for _ in nq.open("rb"))
    table.add(
        f"\n`cakg serve` at {quads} quads: ready in {server.ready_s:.2f} s (target <= 5 s), "
        f"peak PSS {peak_pss:.0f} MB over {processes} processes (target <= 600 MB; summed RSS "
        f"{peak_rss:.0f} MB)"
    )


def env_pair(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"{text!r}: NAME=VALUE expected")
    return name, value


def names(allowed: tuple[str, ...]) -> Callable[[str], list[str]]:
    """An argparse type: a comma-separated list of some of `allowed`."""

    def parse(text: str) -> list[str]:
        chosen = [x for x in text.split(",") if x]
        unknown = [x for x in chosen if x not in allowed]
        if unknown or not chosen:
            raise argparse.ArgumentTypeError(f"{text!r}: one or more of {','.join(allowed)}")
        return chosen

    return parse


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per wrk run")
    parser.add_argument(
        "--synthetic", type=float, default=1e5, help="triples of the synthetic graph"
    )
    parser.add_argument(
        "--startup", type=float, default=1e6, help="triples for the start-up check (0: skip)"
    )
    parser.add_argument("--skip-real", action="store_true")
    parser.add_argument(
        "--env",
        type=env_pair,
        action="append",
        default=[],
        help="NAME=VALUE in cakg serve's environment (repeat), e.g. CAKG_WEB_PROCESSES=1",
    )
    parser.add_argument(
        "--floor", action="store_true", help="add the reference apps (bench/floor_apps.py)"
    )
    parser.add_argument(
        "--floor-apps",
        type=names(FLOOR_APPS),
        default=["wsgi_app", "flask_app"],
        help=f"comma-separated, of {','.join(FLOOR_APPS)} (default: wsgi_app,flask_app)",
    )
    parser.add_argument(
        "--floor-queries",
        type=names(tuple(q for q, (_, accept) in QUERIES.items() if accept == JSON)),
        default=["point", "aggregate"],
        help="comma-separated SELECT queries for the floor section (default: point,aggregate)",
    )
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the floor section")
    parser.add_argument(
        "--floor-workers",
        type=int,
        # cakg serve's own default (Settings.web_processes 0: one per CPU, at most 4)
        default=int(os.environ.get("CAKG_WEB_PROCESSES", "0")) or min(os.cpu_count() or 1, 4),
        help="granian processes of each reference app (default: as many as cakg's web processes)",
    )
    args = parser.parse_args(argv)
    args.env = dict(args.env)
    if args.floor and "CAKG_WEB_PROCESSES" in args.env:
        args.floor_workers = int(args.env["CAKG_WEB_PROCESSES"])
    if shutil.which("wrk") is None:
        if os.geteuid() == 0:
            subprocess.run(["apt-get", "install", "-y", "wrk"], check=True)
        else:
            sys.exit("bench: wrk is missing: apt-get install -y wrk")
    RESULTS.mkdir(exist_ok=True)
    table = Table()
    stamp = datetime.datetime.now().astimezone()
    table.add(f"## cakg endpoint benchmark, {stamp:%Y-%m-%d %H:%M %Z}")
    table.add(f"\nmachine: {os.cpu_count()} cores; before: {load()}")
    # the fast materialiser (equal to owlrl's closure, see tests/test_rules.py) for every build;
    # `cakg serve` sees the same setting, so it finds its build fresh and does not rebuild
    os.environ["CAKG_REASONER"] = "rules"
    env = dict(os.environ)
    if not args.skip_real:
        real = RESULTS / "real"
        if not real.exists():
            for folder in ("ontology", "shapes", "graph", "queries"):
                shutil.copytree(REPO / folder, real / folder)
        bench_dataset("real graph", real, built_nquads(real), args, table)
    if args.synthetic:
        synthetic = RESULTS / f"synthetic-{args.synthetic:.0e}".replace("+0", "")
        if not (synthetic / "build" / "current").exists():
            generate(int(args.synthetic), synthetic)
        bench_dataset("synthetic graph", synthetic, built_nquads(synthetic, env), args, table)
    if args.startup:
        big = RESULTS / f"synthetic-{args.startup:.0e}".replace("+0", "")
        if not (big / "build" / "current").exists():
            generate(int(args.startup), big)
        built_nquads(big, env)
        startup(big, table, args.env)
    table.add(f"\nafter: {load()}")
    out = RESULTS / f"endpoint-{stamp:%Y%m%d-%H%M}.md"
    out.write_text("\n".join(table.lines) + "\n", encoding="utf-8")
    print(f"\nwritten to {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
