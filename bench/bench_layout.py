"""The engine's dataset layouts, in-process: cakg's `engine.answer` with and without its plain
store, against the floor app's bare pyoxigraph call, on the hot-path queries.

    .venv/bin/python bench/bench_layout.py [--nquads build/current/cakg.nq] [--n 300] [--runs 7]

Microseconds per call (CPU time, best of the interleaved runs), one table in Markdown. "before"
is the same engine with `plain` set to None: the default dataset is then the store's default
graph (the asserted copy) and the inferred graph, a list. The floor is pyoxigraph's union of the
named graphs (a bag), serialised to JSON (Turtle for the construct), with no row cap.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

from pyoxigraph import QueryResultsFormat, RdfFormat, Store

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from bench_hotpath import QUERIES  # noqa: E402

from cakg.engine.oxigraph_store import OxigraphEngine  # noqa: E402
from cakg.results import negotiate  # noqa: E402


def floor_call(store: Store, sparql: str) -> Callable[[], object]:
    def call() -> object:
        result = store.query(sparql, use_default_graph_as_union=True)
        if "CONSTRUCT" in sparql:
            return result.serialize(format=RdfFormat.TURTLE)
        return result.serialize(format=QueryResultsFormat.JSON)

    return call


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nquads", type=Path, default=BENCH.parent / "build/current/cakg.nq")
    parser.add_argument("--n", type=int, default=300, help="calls per timing")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    now = OxigraphEngine(args.nquads, "v")
    before = OxigraphEngine(args.nquads, "v")
    before.plain = None
    floor = Store()
    floor.bulk_load(path=str(args.nquads), format=RdfFormat.N_QUADS)
    best: dict[tuple[str, str], float] = {}
    for _ in range(args.runs):
        for name, (sparql, accept) in QUERIES.items():
            formats = negotiate(accept)
            calls: dict[str, Callable[[], object]] = {
                "before": lambda e=before, q=sparql, f=formats: e.answer(q, formats=f),
                "now": lambda e=now, q=sparql, f=formats: e.answer(q, formats=f),
                "floor": floor_call(floor, sparql),
            }
            for label, call in calls.items():
                started = time.process_time()
                for _ in range(args.n):
                    call()
                took = (time.process_time() - started) / args.n * 1e6
                best[(name, label)] = min(best.get((name, label), took), took)
    print(f"{args.nquads} ({len(floor)} quads); plain store: {now.plain is not None}")
    print("| us per call | " + " | ".join(QUERIES) + " |")
    print("|---|" + "---|" * len(QUERIES))
    for label in ("before", "now", "floor"):
        print(f"| {label} | " + " | ".join(f"{best[(q, label)]:.0f}" for q in QUERIES) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
