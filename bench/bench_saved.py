"""Time every saved query on an N-Quads file with pyoxigraph, each in its own process.

    .venv/bin/python -m bench.bench_saved /tmp/hp1e5/build/current/cakg.nq --limit 40

The file is loaded once into an in-memory store (as the endpoint does); each query then runs in
a forked child over the union default graph, so a runaway query is killed at --limit seconds
without reloading the store for the next one. Two columns: parameters unbound (the query text
as it is) and bound as the API binds them (a VALUES block with the defaults, else the examples).
Prints a markdown table: query, rows and seconds for each column.
"""

from __future__ import annotations

import argparse
import os
import signal
import time
from pathlib import Path

from pyoxigraph import RdfFormat, Store

from cakg.queries import load_catalogue
from cakg.queries.bind import bound_sparql, parse_params

REPO = Path(__file__).resolve().parents[1]


def run_child(store: Store, sparql: str, write_fd: int) -> None:
    started = time.perf_counter()
    rows = sum(1 for _ in store.query(sparql, use_default_graph_as_union=True))
    os.write(write_fd, f"{rows} {time.perf_counter() - started:.3f}".encode())


def timed(store: Store, sparql: str, limit: float) -> str:
    """'rows / seconds' of SPARQL over STORE, or '> LIMIT s' when the child runs out of time."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: run, report, exit without Python clean-up
        os.close(read_fd)
        try:
            run_child(store, sparql, write_fd)
        finally:
            os._exit(0)
    os.close(write_fd)
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        time.sleep(0.01)
    else:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(read_fd)
        return f"> {limit:g} s | -"
    answer = os.read(read_fd, 100).decode().split()
    os.close(read_fd)
    if len(answer) != 2:
        return "error | -"
    return f"{float(answer[1]):.3f} s | {answer[0]}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("nquads", type=Path)
    parser.add_argument("--limit", type=float, default=40.0, help="seconds per query")
    parser.add_argument("--root", type=Path, default=REPO, help="project with queries/")
    parser.add_argument("--only", action="append", default=[], help="only this query (repeat)")
    args = parser.parse_args()

    catalogue = load_catalogue(args.root)
    store = Store()
    started = time.perf_counter()
    store.bulk_load(path=str(args.nquads), format=RdfFormat.N_QUADS)
    loaded = time.perf_counter() - started
    print(f"{args.nquads}: {len(store)} quads, loaded in {loaded:.1f} s")
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}\n")
    print("| query | unbound | rows | bound (defaults/examples) | rows |")
    print("|---|---:|---:|---:|---:|")
    for name, q in sorted(catalogue.items()):
        if args.only and name not in args.only:
            continue
        raw = {p.name: [p.example] for p in q.params if p.example and not p.default}
        values, _ = parse_params(q, raw)
        unbound = timed(store, q.text, args.limit)
        bound = timed(store, bound_sparql(q, values), args.limit) if values else "- | -"
        print(f"| {name} | {unbound} | {bound} |", flush=True)


if __name__ == "__main__":
    main()
