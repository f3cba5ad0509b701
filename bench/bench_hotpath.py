"""The endpoint's hot path: cakg serve vs Oxigraph server, point lookup and aggregate, side by side.

    .venv/bin/python bench/bench_hotpath.py --root DIR [--duration 5] [--queries point,aggregate]
    .venv/bin/python bench/bench_hotpath.py --generate 1e5 --root DIR   # make DIR first
    .venv/bin/python bench/bench_hotpath.py --root DIR --startup-only   # time to ready, memory
    .venv/bin/python bench/bench_hotpath.py --root DIR --floor --rounds 3 --queries aggregate

A narrower companion of bench_endpoint.py for working on the serving path: one cakg (result
cache off) and one Oxigraph server (in memory, `--union-default-graph`) on the same N-Quads,
wrk at concurrency 1 and 16, p50/p99 and requests/s, the load average with every line.

`--floor` adds two reference apps (bench/floor_apps.py) under granian, with as many processes
as cakg's web processes: a bare WSGI callable over pyoxigraph (the least a Python layer can
cost) and a minimal Flask view over it (the issue's "minimal Flask app"). `--rounds N` repeats
each (query, concurrency) cell N times, the servers in turn, to show the run-to-run spread.
`--floor-apps wsgi_app,flask_app,rsgi_app` picks the reference apps (default: the first two;
`rsgi_app` is the bare app on granian's RSGI interface instead of WSGI).

`--generate N` writes a synthetic project with bench/generate.py and builds it *without SHACL
validation* (the generator's output conforms by construction; pyshacl takes many minutes at
10^5): load, the rules materialiser and the usual write, with the real build's fingerprint so
that `cakg serve` finds it fresh. Say so when quoting figures made that way.

Memory is the sum of the PSS (proportional set size: shared pages split between the processes
that map them) of `cakg serve` and all its descendants, sampled every 50 ms; RSS summed the
same way is printed too (it counts a shared page once per process).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from servers import (  # noqa: E402
    MemorySampler,
    descendants,
    free_port,
    memory_mb,
    run_wrk,
    wait_ready,
)

BIN = Path(sys.executable).parent

QUERIES = {
    "lookup": (
        "SELECT ?p ?o WHERE { <https://w3id.org/cakg/id/person/akramjon-nematov> ?p ?o }",
        "application/sparql-results+json",
    ),
    "point": (
        "SELECT ?p ?o WHERE { <https://w3id.org/cakg/id/state/kazakhstan> ?p ?o }",
        "application/sparql-results+json",
    ),
    "aggregate": (
        "SELECT ?type (COUNT(?s) AS ?n) WHERE { ?s a ?type } GROUP BY ?type ORDER BY DESC(?n)",
        "application/sparql-results+json",
    ),
    "join": (
        "PREFIX cakg: <https://w3id.org/cakg/ontology#>\n"
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
        "SELECT ?figure ?measure ?a ?b ?value WHERE {\n"
        "  ?figure cakg:measure ?m ; cakg:firstParty ?fa ; cakg:secondParty ?fb ;"
        " cakg:value ?value .\n"
        "  ?m rdfs:label ?measure . ?fa rdfs:label ?a . ?fb rdfs:label ?b .\n"
        '  FILTER (lang(?measure) = "en" && lang(?a) = "en" && lang(?b) = "en")\n'
        "} LIMIT 1000",
        "application/sparql-results+json",
    ),
    "construct": (
        "PREFIX cakg: <https://w3id.org/cakg/ontology#>\n"
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
        "CONSTRUCT { ?v cakg:guest ?g ; rdfs:label ?l } WHERE {\n"
        "  ?v a cakg:StateVisit ; cakg:guest ?g ; rdfs:label ?l } LIMIT 2000",
        "text/turtle",
    ),
}
# `cakg serve` without its is-the-build-stale check (the build here may be a fast one)
SERVE = (
    "import sys; from cakg.config import Settings; from cakg.web.server import serve; "
    "serve(Settings.from_env(root=sys.argv[1], port=int(sys.argv[2])))"
)


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


@dataclass
class Server:
    name: str
    endpoint: str
    proc: subprocess.Popen[bytes]
    ready_s: float = 0.0

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def start_cakg(root: Path, env_extra: dict[str, str], log: Path) -> tuple[Server, MemorySampler]:
    port = free_port()
    env = {**os.environ, "CAKG_RESULT_CACHE": "0", "CAKG_REASONER": "rules", **env_extra}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", SERVE, str(root), str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    sampler = MemorySampler(proc.pid)
    sampler.start()
    base = f"http://127.0.0.1:{port}"
    ready = wait_ready(f"{base}/healthz", proc, 600)
    return Server("cakg", f"{base}/sparql", proc, ready), sampler


def start_oxigraph(nquads: Path, log: Path) -> Server:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [BIN / "oxigraph", "serve", "--bind", f"127.0.0.1:{port}", "--union-default-graph"],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    wait_ready(f"{base}/query?query=ASK%7B%7D", proc, 60)
    request = urllib.request.Request(
        f"{base}/store",
        data=nquads.read_bytes(),
        headers={"Content-Type": "application/n-quads"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=600) as r:
        assert r.status in (200, 201, 204), r.status
    return Server("oxigraph", f"{base}/query", proc)


FLOOR_APPS = ("wsgi_app", "flask_app", "rsgi_app")  # bench/floor_apps.py


def start_floor(kind: str, nquads: Path, workers: int, log: Path) -> Server:
    """A reference app of bench/floor_apps.py (`wsgi_app`, `flask_app` or `rsgi_app`) under
    granian, on the interface its name says."""
    port = free_port()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                BIN / "granian",
                "--interface",
                "rsgi" if kind.startswith("rsgi") else "wsgi",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(workers),
                "--blocking-threads",
                "1",
                f"floor_apps:{kind}",
            ],
            cwd=BENCH,
            env={**os.environ, "NQ": str(nquads)},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    endpoint = f"http://127.0.0.1:{port}/sparql"
    wait_ready(f"{endpoint}?query=ASK%7B%7D", proc, 120)
    return Server(kind.replace("_app", "-floor"), endpoint, proc)


def rows(server: Server, name: str) -> int:
    query, accept = QUERIES[name]
    request = urllib.request.Request(
        server.endpoint,
        data=query.encode(),
        headers={"Content-Type": "application/sparql-query", "Accept": accept},
    )
    with urllib.request.urlopen(request, timeout=120) as r:
        body = r.read()
    if accept.endswith("json"):
        return len(json.loads(body)["results"]["bindings"])
    return body.count(b"\n")


def wrk(server: Server, name: str, connections: int, duration: float) -> dict[str, Any]:
    return run_wrk(server.endpoint, [QUERIES[name]], connections, duration)


def fast_build(root: Path, triples: int) -> None:
    """Generate and build without SHACL validation (see the module docstring)."""
    sys.path.insert(0, str(BENCH))
    from generate import generate  # type: ignore[import-not-found]

    import cakg.build as build
    from cakg.config import Settings
    from cakg.validate import Report

    generate(triples, root)
    build.validate_loaded = lambda loaded: Report(conforms=True)  # type: ignore[assignment]
    settings = Settings.from_env(root=root, reasoner="rules")
    started = time.perf_counter()
    result = build.build_dataset(settings, force=True, progress=print)
    print(
        f"fast build (no validation): {time.perf_counter() - started:.1f} s, "
        f"{result.manifest['triples']} triples",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, required=True, help="a cakg project (built)")
    parser.add_argument("--generate", type=float, default=0, help="first generate N triples")
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--queries", default="lookup,point,aggregate")
    parser.add_argument("--connections", default="1,16")
    parser.add_argument("--no-oxigraph", action="store_true")
    parser.add_argument("--floor", action="store_true", help="add the reference apps")
    parser.add_argument(
        "--floor-apps",
        default="wsgi_app,flask_app",
        help=f"the reference apps --floor runs, of {', '.join(FLOOR_APPS)}",
    )
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--startup-only", action="store_true")
    parser.add_argument("--env", action="append", default=[], help="NAME=VALUE for cakg serve")
    args = parser.parse_args(argv)
    for kind in args.floor_apps.split(","):
        if kind not in FLOOR_APPS:
            parser.error(f"--floor-apps: unknown app {kind!r} (one of {', '.join(FLOOR_APPS)})")
    root = args.root.resolve()
    if args.generate:
        fast_build(root, int(args.generate))
    nquads = (root / "build" / "current" / "cakg.nq").resolve()
    logs = Path(tempfile.mkdtemp(prefix="bench-hotpath-"))
    env = dict(item.split("=", 1) for item in args.env)
    print(
        f"dataset: {nquads} ({sum(1 for _ in nquads.open('rb'))} quads); cores "
        f"{os.cpu_count()}; env {env}; logs {logs}",
        flush=True,
    )
    print(f"load average before start: {loadavg()}", flush=True)
    cakg, sampler = start_cakg(root, env, logs / "cakg.log")
    servers = [cakg]
    try:
        time.sleep(0.5)
        pss, rss = memory_mb(cakg.proc.pid)
        print(
            f"cakg ready in {cakg.ready_s:.2f} s; peak during start-up: PSS "
            f"{sampler.peak[0]:.0f} MB, RSS {sampler.peak[1]:.0f} MB (summed over "
            f"{len(descendants(cakg.proc.pid))} processes); now PSS {pss:.0f} MB; "
            f"load {loadavg()}",
            flush=True,
        )
        # The sampler reads every process's smaps_rollup, which takes the kernel's memory-map
        # lock of the process it reads: left running, it slows the server under test. It
        # stops here; during the runs memory is read once between two wrk runs.
        sampler.stop.set()
        peak_pss = sampler.peak[0]
        if args.startup_only:
            return 0
        if not args.no_oxigraph:
            servers.append(start_oxigraph(nquads, logs / "oxigraph.log"))
        if args.floor:
            from cakg.web.server import DEFAULT_MAX_PROCESSES  # serve's own default

            workers = int(env.get("CAKG_WEB_PROCESSES", "0")) or min(
                os.cpu_count() or 1, DEFAULT_MAX_PROCESSES
            )
            for kind in args.floor_apps.split(","):
                servers.append(start_floor(kind, nquads, workers, logs / f"{kind}.log"))
        oxigraph = next((s for s in servers if s.name == "oxigraph"), None)
        names = args.queries.split(",")
        print(
            "rows ("
            + "/".join(s.name for s in servers)
            + "): "
            + ", ".join(f"{q} " + "/".join(str(rows(s, q)) for s in servers) for q in names)
        )
        print("\n| query | c | server | p50/p99 ms | req/s | ÷ oxigraph | non-2xx | load avg |")
        print("|---|---|---|---|---|---|---|---|")
        for q in names:
            for c in (int(x) for x in args.connections.split(",")):
                for _ in range(args.rounds):
                    results = {s.name: wrk(s, q, c, args.duration) for s in servers}
                    peak_pss = max(peak_pss, memory_mb(cakg.proc.pid)[0])
                    for name, r in results.items():
                        ratio = (
                            f"{r['rps'] / results['oxigraph']['rps']:.2f}x"
                            if oxigraph is not None and name != "oxigraph"
                            else "-"
                        )
                        print(
                            f"| {q} | {c} | {name} | {r['p50'] / 1000:.2f}/{r['p99'] / 1000:.2f}"
                            f" | {r['rps']:.0f} | {ratio} | {r['non2xx'] + r['errors']:.0f}"
                            f" | {loadavg()} |",
                            flush=True,
                        )
        pss, rss = memory_mb(cakg.proc.pid)
        print(
            f"\ncakg after the runs: PSS {pss:.0f} MB, RSS {rss:.0f} MB; peak PSS "
            f"{peak_pss:.0f} MB (read between runs); load {loadavg()}"
        )
    finally:
        sampler.stop.set()
        for s in servers:
            s.stop()
        if os.environ.get("BENCH_KEEP_LOGS") is None:
            shutil.rmtree(logs, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
