"""Benchmark the build pipeline and the server on synthetic projects of 10^4 .. 10^7 triples.

    .venv/bin/python -m bench.bench_build                      # 1e4 1e5 1e6
    .venv/bin/python -m bench.bench_build --sizes 1e4 --skip-serve
    .venv/bin/python -m bench.bench_build --sizes 1e7 --reuse --steps --no-build --servers remote

For each size: bench/generate.py writes a project; then each step runs in a subprocess of its
own, so that its peak RSS (ru_maxrss, which includes the data the step needs loaded) and its
time are its own:

    parse          load_sources: pyoxigraph parse of every file (exact quads to an N-Quads
                   file, data graphs into a pyoxigraph Store)
    validate       pyshacl over reference + sources with the ontology (validate_loaded)
    reason-owlrl   owlrl closure (reason.reason) on rdflib copies; at 1e4 and 1e5 the rules
                   result is compared with it (numeric literals by value): the equality proof
    reason-rules   the rule materialiser as the build runs it (rules.materialise_store, in the
                   loaded store)
    build          `cakg build --no-validate` with the rules reasoner: load, reason, write
                   (sorted N-Quads, TriG, Turtle, gzip, docs, manifest, and the on-disk
                   Oxigraph store `serve` opens: build/store.py), times from its manifest;
                   "start-up" is the rest of its wall time
    serve          `cakg serve` (CAKG_ENGINE=oxigraph, CAKG_OXIGRAPH_STORAGE=disk) on that
                   build: time to /healthz 200, peak RSS and PSS (server + web processes + query
                   workers), latency of three saved queries (GET /queries/<name>.json)
    remote         the same served over an `oxigraph serve` store the build is published into
                   (`cakg publish`, `cakg serve --store`), when the oxigraph binary is there

Steps that would take hours are skipped and an extrapolation, labelled as such, is shown
instead (--max-owlrl, --max-validate). The table goes to stdout and to bench/results/.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from decimal import Decimal
from pathlib import Path
from typing import Any

from bench.generate import generate, stale_shared
from bench.servers import free_port, stop, wait_ready

REPO = Path(__file__).resolve().parents[1]

RESULTS = REPO / "bench" / "results"
BIN = Path(sys.executable).parent
SAVED = ("sources", "office-holders", "trade-turnover-by-year")
STEPS = ("parse", "validate", "reason-owlrl", "reason-rules")
NUMERIC = ("integer", "decimal", "double", "float", "nonNegativeInteger", "positiveInteger", "int")


# ---- one step, inside its own process ------------------------------------------------------


def canonical(graph: Any) -> set[tuple[Any, ...]]:
    """Triples with numeric literals by value (owlrl writes "62.0", Oxigraph "62")."""
    from rdflib import Literal
    from rdflib.namespace import XSD

    numeric = {str(XSD[t]) for t in NUMERIC}

    def term(t: Any) -> Any:
        if isinstance(t, Literal) and t.datatype is not None and str(t.datatype) in numeric:
            return ("number", Decimal(str(t)).normalize())
        return t

    return {tuple(term(x) for x in triple) for triple in graph}


def run_step(step: str, root: Path, compare: bool) -> dict[str, Any]:
    import pyoxigraph as ox

    from cakg.build import validate_loaded
    from cakg.build.load import load_sources
    from cakg.build.pipeline import reason_into
    from cakg.build.reason import reason
    from cakg.build.rules import materialise_store
    from cakg.build.sources import Kind, find_sources
    from cakg.namespaces import INFERRED_GRAPH
    from cakg.terms import Terms

    t0 = time.perf_counter()
    loaded = load_sources(find_sources(root))
    out: dict[str, Any] = {"load_s": time.perf_counter() - t0}
    if step == "parse":
        out["seconds"] = out["load_s"]
        out["triples"] = loaded.size
    elif step == "reason-rules":
        ontology = loaded.graph_of_kind(Kind.ONTOLOGY)
        t0 = time.perf_counter()
        target = ox.NamedNode(str(INFERRED_GRAPH))
        kept, _dropped = materialise_store(loaded.store, ontology, target)
        out["seconds"] = time.perf_counter() - t0
        out["note"] = f"{kept} inferred"
    elif step == "validate":
        t0 = time.perf_counter()
        report = validate_loaded(loaded)
        out["seconds"] = time.perf_counter() - t0
        out["note"] = report.summary()
    else:
        ontology = loaded.graph_of_kind(Kind.ONTOLOGY)
        data = loaded.graph_of_kind(Kind.REFERENCE, Kind.SOURCE)
        t0 = time.perf_counter()
        closure = reason([ontology, data])
        out["seconds"] = time.perf_counter() - t0
        out["note"] = f"{len(closure.inferred)} inferred"
        if step == "reason-owlrl" and compare:
            t0 = time.perf_counter()
            with tempfile.TemporaryDirectory() as tmp:
                reason_into(loaded, "rules", Path(tmp))  # as the build runs it
            out["rules_s"] = time.perf_counter() - t0
            inferred = ox.NamedNode(str(INFERRED_GRAPH))
            by_rules = Terms().graph(q for q in loaded.quads() if q.graph_name == inferred)
            same = canonical(by_rules) == canonical(closure.inferred)
            out["equal"] = same
            out["note"] += f"; rules result {'EQUAL' if same else 'DIFFERENT'}"
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def in_subprocess(
    args: list[str],
    env: dict[str, str] | None = None,
    log: Path | None = None,
    cwd: Path | None = None,
) -> tuple[int, float, float]:
    """Run a command, its output to `log`; its exit status, wall time and peak RSS in MB."""
    t0 = time.perf_counter()
    with open(log or os.devnull, "wb") as out:
        proc = subprocess.Popen(args, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        _pid, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, seconds, usage.ru_maxrss / 1024


def step(name: str, root: Path, compare: bool) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile(suffix=".json") as tmp:
        command = [sys.executable, "-m", "bench.bench_build", "--step", name, "--root", str(root)]
        command += ["--json", tmp.name] + (["--compare"] if compare else [])
        code, _, _ = in_subprocess(command, cwd=REPO)
        if code != 0:
            return {"error": f"exit {code}"}
        result: dict[str, Any] = json.loads(Path(tmp.name).read_text())
        return result


# ---- build and servers ------------------------------------------------------------------


def build(root: Path) -> dict[str, Any]:
    env = {**os.environ, "CAKG_REASONER": "rules", "CAKG_OXIGRAPH_STORAGE": "disk"}
    args = [str(BIN / "cakg"), "--root", str(root), "build", "--force", "--no-validate", "-q"]
    code, seconds, rss = in_subprocess(args, env)
    if code != 0:
        return {"error": f"cakg build exited {code}"}
    manifest = json.loads((root / "build" / "current" / "manifest.json").read_text())
    timings = manifest["timings"]
    timings["start-up"] = seconds - sum(timings.values())
    inferred = manifest["reasoning"]["inferred"]
    return {"seconds": seconds, "peak_rss_mb": rss, "timings": timings,
            "quads": manifest["triples"], "inferred": inferred}  # fmt: skip


def peak_rss_mb(pid: int) -> float:
    """VmHWM of a process and of all its descendants."""
    total = 0.0
    pids = [pid]
    while pids:
        p = pids.pop()
        try:
            status = Path(f"/proc/{p}/status").read_text()
            kids = Path(f"/proc/{p}/task/{p}/children").read_text().split()
        except OSError:
            continue
        total += next((int(x.split()[1]) / 1024 for x in status.splitlines()
                       if x.startswith("VmHWM:")), 0.0)  # fmt: skip
        pids += [int(k) for k in kids]
    return total


def pss_mb(pid: int) -> float:
    """Proportional set size of a process and of all its descendants (shared pages split)."""
    total = 0.0
    pids = [pid]
    while pids:
        p = pids.pop()
        try:
            rollup = Path(f"/proc/{p}/smaps_rollup").read_text()
            kids = Path(f"/proc/{p}/task/{p}/children").read_text().split()
        except OSError:
            continue
        total += next((int(x.split()[1]) / 1024 for x in rollup.splitlines()
                       if x.startswith("Pss:")), 0.0)  # fmt: skip
        pids += [int(k) for k in kids]
    return total


def latency(base: str) -> dict[str, Any]:
    """Per saved query: the first answer (cold) and the median of the next 10, in ms."""
    out = {}
    for name in SAVED:
        times = []
        try:
            for _ in range(11):
                t0 = time.perf_counter()
                with urllib.request.urlopen(f"{base}/queries/{name}.json", timeout=120) as r:
                    rows = len(json.loads(r.read())["results"]["bindings"])
                times.append((time.perf_counter() - t0) * 1000)
        except urllib.error.HTTPError as e:  # e.g. past the query time limit: report, go on
            out[name] = {"error": f"HTTP {e.code} after {(time.perf_counter() - t0):.1f} s"}
            continue
        out[name] = {"first_ms": times[0], "median_ms": statistics.median(times[1:]), "rows": rows}
    return out


def serve(root: Path, logs: Path, store: str | None = None) -> dict[str, Any]:
    port = free_port()
    args = [str(BIN / "cakg"), "--root", str(root), "serve", "--port", str(port)]
    if store:
        args += ["--store", store]
    env = {**os.environ, "CAKG_REASONER": "rules", "CAKG_VALIDATE": "0",
           "CAKG_ENGINE": "oxigraph", "CAKG_OXIGRAPH_STORAGE": "disk"}  # fmt: skip
    log_path = logs / f"serve-{root.name}{'-remote' if store else ''}.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        ready = wait_ready(f"{base}/healthz", proc, 900)
        rss_ready = peak_rss_mb(proc.pid)
        pss_ready = pss_mb(proc.pid)
        lat = latency(base)
        # a rebuild (the pipeline's code changed since `build`) is not start-up: flag it
        rebuilt = "reasoned:" in log_path.read_text(errors="replace")
        return {"ready_s": ready, "rss_ready_mb": rss_ready, "rss_mb": peak_rss_mb(proc.pid),
                "pss_ready_mb": pss_ready, "pss_mb": pss_mb(proc.pid),
                "latency": lat, "rebuilt": rebuilt}  # fmt: skip
    except (RuntimeError, TimeoutError, urllib.error.URLError) as e:
        return {"error": str(e)}
    finally:
        stop(proc)


def remote(root: Path, logs: Path) -> dict[str, Any]:
    binary = BIN / "oxigraph" if (BIN / "oxigraph").is_file() else shutil.which("oxigraph")
    if not binary:
        return {"error": "no oxigraph binary (pip install oxigraph)"}
    port = free_port()
    with (
        tempfile.TemporaryDirectory() as location,
        (logs / f"oxigraph-{root.name}.log").open("wb") as log,
    ):
        ox = subprocess.Popen(
            [str(binary), "serve", "--location", location, "--bind", f"127.0.0.1:{port}"],
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        try:
            wait_ready(f"{url}/query?query=ASK%7B%7D", ox, 60)
            env = {**os.environ, "CAKG_REASONER": "rules", "CAKG_VALIDATE": "0"}
            publish_log = logs / f"publish-{root.name}.log"
            code, seconds, rss = in_subprocess(
                [str(BIN / "cakg"), "--root", str(root), "publish", "--to", f"{url}/query", "-q"],
                env,
                publish_log,
            )
            published_at = load_average()
            if code != 0:
                last = publish_log.read_text(errors="replace").strip().splitlines()[-1:]
                return {"error": f"cakg publish exited {code}: {' '.join(last)}"}
            print(f"published in {seconds:.0f} s (load {published_at})", file=sys.stderr)
            out = serve(root, logs, store=f"{url}/query")
            out.update(publish_s=seconds, publish_rss_mb=rss, publish_load=published_at)
            out["store_rss_mb"] = peak_rss_mb(ox.pid)
            out["store_pss_mb"] = pss_mb(ox.pid)
            return out
        finally:
            ox.terminate()
            ox.wait(30)


# ---- the table ------------------------------------------------------------------------------


def fmt(r: dict[str, Any] | None, key: str = "seconds") -> str:
    if not r:
        return "-"
    if "skipped" in r:
        return r["skipped"]
    if "error" in r:
        return f"error: {r['error']}"
    return f"{r[key]:.1f} s / {r['peak_rss_mb']:.0f} MB"


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| size | files | generate | parse | validate (pyshacl) | reason owlrl | reason rules "
        "| rules speed-up | build --no-validate (load/reason/write/store) | quads |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        owl, rules = r["steps"].get("reason-owlrl", {}), r["steps"].get("reason-rules", {})
        if "seconds" in owl and "seconds" in rules:
            speed = f"{owl['seconds'] / rules['seconds']:.0f}x"
        elif "extrapolated_s" in owl and "seconds" in rules:
            speed = f"~{owl['extrapolated_s'] / rules['seconds']:.0f}x (extrapolated)"
        else:
            speed = "-"
        b = r.get("build") or {}
        if "timings" in b:
            t = b["timings"]
            steps = "/".join(f"{t.get(k, 0):.0f}" for k in ("load", "reason", "write", "store"))
            built = f"{b['seconds']:.0f} s / {b['peak_rss_mb']:.0f} MB ({steps})"
        else:
            built = fmt(b)
        lines.append(
            f"| {r['size']:.0e} | {r['files']} | {r['generate_s']:.1f} s | "
            f"{fmt(r['steps'].get('parse'))} | {fmt(r['steps'].get('validate'))} | "
            f"{fmt(owl)} | {fmt(rules)} | {speed} | {built} | {b.get('quads', '-')} |"
        )
    lines += ["", "Notes per size (reasoning results, validation report, equality checks):", ""]
    for r in rows:
        notes = [f"{k}: {v['note']}" for k, v in r["steps"].items() if v.get("note")]
        lines.append(f"- {r['size']:.0e}: " + "; ".join(notes))
    lines += ["", "| size | server | ready | RSS at ready / after queries | PSS at ready / after | "
              + " | ".join(f"{q} first/median ms (rows)" for q in SAVED) + " |",
              "|---|---|---|---|---|" + "---|" * len(SAVED)]  # fmt: skip
    for r in rows:
        for kind in ("serve", "remote"):
            s = r.get(kind)
            if not s:
                continue
            if "error" in s or "skipped" in s:
                lines.append(f"| {r['size']:.0e} | {kind} | {s.get('error') or s['skipped']} |")
                continue
            lat = " | ".join(
                s["latency"][q].get("error")
                or f"{s['latency'][q]['first_ms']:.0f} / {s['latency'][q]['median_ms']:.0f} "
                f"({s['latency'][q]['rows']})"
                for q in SAVED
            )
            extra = ""
            if "publish_s" in s:
                extra = f" (publish {s['publish_s']:.0f} s, load {s.get('publish_load', '?')})"
            if s.get("rebuilt"):
                extra += " (REBUILT first: code changed mid-run; not a start-up time)"
            lines.append(
                f"| {r['size']:.0e} | {kind}{extra} | {s['ready_s']:.1f} s | "
                f"{s['rss_ready_mb']:.0f} / {s['rss_mb']:.0f} MB | "
                f"{s.get('pss_ready_mb', 0):.0f} / {s.get('pss_mb', 0):.0f} MB | {lat} |"
            )
    return "\n".join(lines) + "\n"


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", nargs="+", type=float, default=[1e4, 1e5, 1e6])
    p.add_argument("--max-owlrl", type=float, default=1e5, help="larger sizes: extrapolated")
    p.add_argument("--max-validate", type=float, default=1e5, help="larger: extrapolated")
    p.add_argument(
        "--steps",
        nargs="*",
        choices=STEPS,
        default=list(STEPS),
        help="which in-process steps to run (default all; none: build and serve only)",
    )
    p.add_argument("--skip-serve", action="store_true")
    p.add_argument(
        "--servers",
        nargs="+",
        choices=("serve", "remote"),
        default=["serve", "remote"],
        help="which servers to measure (remote: publish into oxigraph serve, serve --store)",
    )
    p.add_argument(
        "--no-build",
        action="store_true",
        help="use the project's existing build (of an earlier --reuse run) instead of building",
    )
    p.add_argument("--max-remote", type=float, default=1e7, help="larger: remote not run")
    p.add_argument("--keep", action="store_true", help="keep the generated projects")
    p.add_argument(
        "--reuse", action="store_true", help="reuse (and keep) projects generated earlier"
    )
    p.add_argument("--step", choices=STEPS, help=argparse.SUPPRESS)
    p.add_argument("--root", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--json", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--compare", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.step:
        args.json.write_text(json.dumps(run_step(args.step, args.root, args.compare)))
        return 0

    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y-%m-%d-%H%M")
    logs = RESULTS / f"build-{stamp}-logs"
    logs.mkdir(exist_ok=True)
    started = load_average()
    rows: list[dict[str, Any]] = []
    per_triple: dict[str, float] = {}  # seconds per triple at the largest measured size
    for size in args.sizes:
        root = RESULTS / f"synthetic-{size:.0e}".replace("e+0", "e")
        t0 = time.perf_counter()
        # a reused project gets the repository's current shapes and saved queries, except with
        # --no-build, where its build must stay the one measured (stale copies are reported)
        files, written = generate(
            int(size), root, reuse=args.reuse, refresh=args.reuse and not args.no_build
        )
        if args.reuse and args.no_build:
            stale = stale_shared(root)
            if stale:
                print(f"{root}: older than the repository: {', '.join(stale)}", file=sys.stderr)
        row: dict[str, Any] = {"size": size, "files": files, "triples": written,
                               "generate_s": time.perf_counter() - t0, "steps": {}}  # fmt: skip
        for name in args.steps:
            limit = {"validate": args.max_validate, "reason-owlrl": args.max_owlrl}.get(name)
            if limit is not None and size > limit:
                if name == "validate":
                    row["steps"][name] = {"skipped": "not run (validation at scale: separate work)"}
                elif name in per_triple:
                    guess = per_triple[name] * written
                    row["steps"][name] = {
                        "skipped": f"skipped; ~{guess / 60:.0f} min extrapolated (linear)",
                        "extrapolated_s": guess,
                    }
                else:
                    row["steps"][name] = {"skipped": "skipped"}
                continue
            print(f"{size:.0e} {name} (load {load_average()})", file=sys.stderr, flush=True)
            r = step(name, root, compare=size <= 1e5)
            row["steps"][name] = r
            if "seconds" in r:
                per_triple[name] = r["seconds"] / written
        if args.no_build and (root / "build" / "current" / "manifest.json").is_file():
            row["build"] = {"skipped": "built by an earlier run (--no-build)"}
        else:
            print(f"{size:.0e} build", file=sys.stderr, flush=True)
            row["build"] = build(root)
        if not args.skip_serve and "error" not in row["build"]:
            if "serve" in args.servers:
                print(f"{size:.0e} serve (load {load_average()})", file=sys.stderr, flush=True)
                row["serve"] = serve(root, logs)
            if "remote" not in args.servers:
                pass
            elif size > args.max_remote:
                row["remote"] = {"skipped": f"not run above {args.max_remote:.0e} (publish time)"}
            else:
                print(f"{size:.0e} remote (load {load_average()})", file=sys.stderr, flush=True)
                row["remote"] = remote(root, logs)
        row["load_average_after"] = load_average()
        rows.append(row)
        if not (args.keep or args.reuse):
            shutil.rmtree(root, ignore_errors=True)
        (RESULTS / f"build-{stamp}.json").write_text(json.dumps(rows, indent=2, default=str))
    text = (
        f"# cakg build benchmark, {stamp}\n\n{os.cpu_count()} CPUs; load average before "
        f"{started}, after {load_average()} (1, 5, 15 min).\n\n" + table(rows)
    )
    for r in rows:
        text += f"\nload average after {r['size']:.0e}: {r['load_average_after']}"
    (RESULTS / f"build-{stamp}.md").write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
