"""SHACL validation at scale: whole-graph pyshacl against per-source-file units (parallel, cached).

    .venv/bin/python -m bench.bench_validate --sizes 1e4,1e5,1e6 --whole-limit 1e5

For each size, a synthetic project (bench/generate.py) is made under --projects (kept and
reused when present), then each measurement runs in its own process: whole-graph pyshacl
(skipped above --whole-limit), per-file units with a cold cache, and again after one source
file changed (incremental). Times are for validation only (the small schema graphs are parsed
first; whole-graph also parses the data beforehand). Peak memory is the largest sum of the RSS
of the measuring process and all its children (the workers), sampled from /proc every 0.1 s.
Prints a markdown table with the load average.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bench.generate import generate

REPO = Path(__file__).resolve().parents[1]

TOUCH = (
    "<https://w3id.org/cakg/id/bench/touched> "
    '<http://www.w3.org/2000/01/rdf-schema#comment> "{n}" .\n'
)

CHILD = r"""
import json, sys, time
from pathlib import Path
from rdflib import Graph
from cakg.build.sources import Kind, find_sources
from cakg.build.validate import validate_graph
from cakg.build.validate_cache import CACHE
from cakg.build.validate_parallel import validate_units

mode, root, out, workers = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4])
files = find_sources(root)
def graph(*kinds):
    g = Graph()
    for f in files:
        if f.kind in kinds:
            g.parse(f.path, format=f.format)
    return g
shapes, ontology, reference = graph(Kind.SHAPES), graph(Kind.ONTOLOGY), graph(Kind.REFERENCE)
if mode == "whole":
    data = graph(Kind.REFERENCE, Kind.SOURCE)
    t0 = time.perf_counter()
    report = validate_graph(data, shapes, ontology)
else:
    before = set((out / CACHE).glob("unit-*.json")) if (out / CACHE).is_dir() else set()
    t0 = time.perf_counter()
    cache = out / CACHE
    report = validate_units(files, shapes, ontology, reference, cache_dir=cache, workers=workers)
seconds = time.perf_counter() - t0
ran = len(set((out / CACHE).glob("unit-*.json")) - before) if mode != "whole" else None
print(json.dumps({"seconds": seconds, "summary": report.summary(), "ran": ran}))
"""


def _tree_rss(pid: int) -> int:
    """The summed resident memory (bytes) of `pid` and its descendants."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        p = int(entry.name)
        children.setdefault(int(fields[1]), []).append(p)
        rss[p] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        todo.extend(children.get(p, []))
    return total


def measure(mode: str, root: Path, out: Path, workers: int) -> dict[str, object]:
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, mode, str(root), str(out), str(workers)],
        stdout=subprocess.PIPE,
        text=True,
    )
    peak = 0
    while proc.poll() is None:
        peak = max(peak, _tree_rss(proc.pid))
        time.sleep(0.1)
    stdout = proc.stdout.read() if proc.stdout else ""
    if proc.returncode != 0:
        raise SystemExit(f"{mode} on {root} failed with exit code {proc.returncode}")
    result: dict[str, object] = json.loads(stdout.strip().splitlines()[-1])
    result["peak_mb"] = peak / 2**20
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1e4,1e5,1e6")
    parser.add_argument("--whole-limit", type=float, default=1e5)
    parser.add_argument("--workers", type=int, default=0, help="0: one per CPU")
    parser.add_argument("--projects", type=Path, default=REPO / "bench" / "results")
    args = parser.parse_args(argv)
    rows = []
    for size in [float(s) for s in args.sizes.split(",")]:
        root = args.projects / f"synthetic-{size:.0e}"
        print(f"generating (or reusing) {root}", file=sys.stderr)
        generate(int(size), root, reuse=True, refresh=True)
        sources = sorted((root / "graph" / "sources").glob("*.ttl"))
        out = root / "build-validate"
        shutil.rmtree(out, ignore_errors=True)
        row: dict[str, object] = {"size": size, "files": len(sources)}
        if size <= args.whole_limit:
            row["whole"] = measure("whole", root, out, args.workers)
        row["cold"] = measure("units", root, out, args.workers)
        original = sources[0].read_bytes()
        try:
            with sources[0].open("a", encoding="utf-8") as f:
                f.write(TOUCH.format(n=time.time()))
            row["incremental"] = measure("units", root, out, args.workers)
        finally:
            sources[0].write_bytes(original)
        rows.append(row)
        print(json.dumps(row), file=sys.stderr)
    print(_table(rows, args))
    return 0


def _cell(m: object) -> str:
    if not isinstance(m, dict):
        return "skipped (above --whole-limit)"
    ran = f", {m['ran']} unit(s) run" if m.get("ran") is not None else ""
    return f"{m['seconds']:.1f} s, {m['peak_mb']:.0f} MB{ran}"


def _table(rows: list[dict[str, object]], args: argparse.Namespace) -> str:
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    workers = args.workers or os.cpu_count()
    lines = [
        f"{dt.date.today().isoformat()}, {os.cpu_count()} CPUs, {workers} workers, "
        f"load average after the run: {load}",
        "",
        "| triples | source files | whole graph (pyshacl) | per file, cold cache "
        "| one file changed |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['size']:.0e} | {r['files']} | {_cell(r.get('whole'))} | {_cell(r['cold'])} "
            f"| {_cell(r['incremental'])} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
