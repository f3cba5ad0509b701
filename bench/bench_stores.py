"""Publish time and saved-query latency over Virtuoso beside Oxigraph server (issue 23).

    PYTHONPATH=src .venv/bin/python -m bench.bench_stores [--sizes 1e5 1e6] [--repeat 20]

For each size, the synthetic build (bench.synthetic) goes into each store in turn, each started
empty in a folder of its own under bench/results/ and alone on the machine while measured:
`oxigraph serve` (the venv's binary, on-disk) and Virtuoso 7.2 (`virtuoso-t`, through
tests/virtuoso_server.py, with NUMBER_OF_BUFFERS by size). For each store:

- first publish: `publish_dataset` into the empty store (the store's profile detected), in this
  process: wall seconds and the build's quads per second;
- the triples the store holds per graph (one COUNT per graph, asked of the store directly),
  compared between the stores and with the build's manifest;
- saved queries: `cakg serve --store URL` (result cache off) and every saved query of the
  project, GET /queries/<name>.json with its default parameters: one cold request, then up to
  --repeat timed ones (fewer when a query is slow: --budget seconds each), p50 and p99 (of 20
  runs, p99 is the slowest). That is end to end, what a user sees. Then the same query through
  the remote engine in this process (`run_saved`, no web layer: the store plus cakg's client),
  whose rows are compared between the stores (their number, and their values as N-Triples terms);
- second publish: a changed release (a copy of the build's N-Quads with one literal of one
  source graph edited, under a new version) published over the first: its time to the end of
  the switch, and the switch itself (its update requests, the switch marks included where the
  store's updates are not isolated). It uploads the edited graph and the new union graph.

Then the Virtuoso/Oxigraph ratio of each figure (above 1: Virtuoso slower). The table goes to
stdout and to bench/results/stores-<date>.md, with the commit and the load average.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.servers import free_port, memory_mb, stop, wait_ready
from bench.synthetic import RESULTS, SyntheticBuild, synthetic_build, synthetic_env

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
STORES = ("oxigraph", "virtuoso")
# an @en literal of a source graph: the line the changed release edits
EDITABLE = re.compile(
    rb'^(<[^>]*> <[^>]*> ")((?:[^"\\]|\\.)*)("@en <[^>]*/graph/sources/[^>]*> \.)$'
)


@dataclass
class Store:
    name: str
    query_url: str  # what publish and `cakg serve --store` are given
    pid: int
    folder: Path
    stop: Callable[[], None]


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def commit() -> str:
    out = subprocess.run(
        ["git", "-C", str(REPO), "describe", "--always", "--dirty"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    return out.stdout.strip() or "?"


@contextlib.contextmanager
def start_store(name: str, folder: Path, size: float, logs: Path) -> Iterator[Store]:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    if name == "virtuoso":
        from tests.virtuoso_server import start_virtuoso

        buffers = 200_000 if size >= 1e6 else 50_000  # 8 KB pages: 1.6 GB, 400 MB
        server = start_virtuoso(folder, buffers=buffers)
        try:
            yield Store(name, server.sparql, server.process.pid, folder, server.stop)
        finally:
            server.stop()
            (logs / f"virtuoso-{size:.0e}.log").write_text("".join(server.log))
        return
    binary = BIN / "oxigraph" if (BIN / "oxigraph").is_file() else shutil.which("oxigraph")
    if not binary:
        raise RuntimeError("no oxigraph binary (pip install oxigraph)")
    port = free_port()
    with (logs / f"oxigraph-{size:.0e}.log").open("wb") as log:
        proc = subprocess.Popen(
            [str(binary), "serve", "--location", str(folder / "data"),
             "--bind", f"127.0.0.1:{port}"],
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"

    def stop_oxigraph() -> None:
        if proc.poll() is None:
            stop(proc, 30)

    try:
        wait_ready(f"{url}/query?query=ASK%7B%7D", proc, 60)
        yield Store(name, f"{url}/query", proc.pid, folder, stop_oxigraph)
    finally:
        stop_oxigraph()


# ---- publishing --------------------------------------------------------------------------


@contextlib.contextmanager
def switch_timer() -> Iterator[list[tuple[float, float]]]:
    """The (start, end) of each update request of publish's switch: the switch marks and the
    one request that moves the staged graphs and rewrites the release graph."""
    import cakg.publish as publish
    from cakg.store.client import StoreClient

    spans: list[tuple[float, float]] = []
    texts = {publish.SWITCH_DONE}
    real_switch, real_mark, real_update = publish._switch, publish.switch_mark, StoreClient.update

    def switch(*args: Any, **kwargs: Any) -> list[str]:
        parts: list[str] = real_switch(*args, **kwargs)
        texts.update(parts)
        return parts

    def mark(version: str) -> str:
        text = real_mark(version)
        texts.add(text)
        return text

    def update(self: StoreClient, text: str) -> None:
        t0 = time.perf_counter()
        try:
            real_update(self, text)
        finally:
            if text in texts:
                spans.append((t0, time.perf_counter()))

    publish._switch, publish.switch_mark = switch, mark  # type: ignore[assignment]
    StoreClient.update = update  # type: ignore[method-assign]
    try:
        yield spans
    finally:
        publish._switch, publish.switch_mark = real_switch, real_mark  # type: ignore[assignment]
        StoreClient.update = real_update  # type: ignore[method-assign]


def counts_of(client: Any, timeout: float) -> dict[str, int]:
    """Triples per named graph of the store's own dataset, through the store's client."""
    sparql = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
    response = client.query(sparql, form="SELECT", timeout=timeout)
    rows = response.each(response.solutions())
    return {row["g"].value: int(row["n"].value) for row in rows if row["g"] and row["n"]}


def publish_to(build_dir: Path, root: Path, url: str) -> dict[str, Any]:
    """publish_dataset of the release under `build_dir` into `url`: wall seconds, the seconds to
    the end of the switch, the switch's, and the result."""
    from cakg.config import Settings
    from cakg.publish import publish_dataset
    from cakg.store.endpoints import store_endpoints

    settings = Settings.from_env(synthetic_env(), root=root, build_dir=build_dir)
    with switch_timer() as spans:
        t0 = time.perf_counter()
        result = publish_dataset(settings, store_endpoints(url))
        seconds = time.perf_counter() - t0
    return {
        "seconds": seconds,
        "to_switch_s": (spans[-1][1] - t0) if spans else None,
        "switch_s": (spans[-1][1] - spans[0][0]) if spans else None,
        "switch_requests": len(spans),
        "profile": result.profile,
        "uploaded": len(result.uploaded),
        "unchanged": len(result.unchanged),
        "warnings": result.warnings,
    }


def changed_release(built: SyntheticBuild, into: Path) -> tuple[Path, str]:
    """A build folder whose current release is the synthetic build's with one @en literal of a
    source graph edited (a new version): what publish reads (manifest and N-Quads) only."""
    from cakg.release import CURRENT, MANIFEST, NQUADS, RELEASES

    shutil.rmtree(into, ignore_errors=True)
    manifest = dict(built.manifest)
    manifest["version"] = f"{manifest['version']}-edited"
    release = into / RELEASES / manifest["version"]
    release.mkdir(parents=True)
    edited = ""
    with (built.release / NQUADS).open("rb") as src, (release / NQUADS).open("wb") as out:
        for line in src:
            if not edited:
                m = EDITABLE.match(line.rstrip(b"\n"))
                if m:
                    line = m[1] + m[2] + b" (edited)" + m[3] + b"\n"
                    edited = m[3].split(b"<")[1].split(b">")[0].decode()
            out.write(line)
    (release / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    (into / CURRENT).symlink_to(release.relative_to(into))
    return into, edited


def graph_counts(url: str) -> dict[str, int]:
    """Triples per named graph, asked of the store directly."""
    sparql = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
    r = httpx.post(
        url, data={"query": sparql}, timeout=600,
        headers={"Accept": "application/sparql-results+json"},
    )  # fmt: skip
    r.raise_for_status()
    rows = r.json()["results"]["bindings"]
    return {row["g"]["value"]: int(row["n"]["value"]) for row in rows}


# ---- saved queries --------------------------------------------------------------------------


def percentile(times: list[float], p: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1)]


def timed(call: Callable[[], int], repeat: int, budget: float) -> dict[str, Any]:
    """One cold call, then up to `repeat` (at least 3, fewer past `budget` seconds): ms."""
    t0 = time.perf_counter()
    try:
        rows = call()
    except Exception as e:  # a timeout, a 503: reported, and the query not repeated
        return {"error": describe(e), "cold_ms": (time.perf_counter() - t0) * 1000}
    cold = time.perf_counter() - t0
    times = []
    n = max(3, min(repeat, int(budget / max(cold, 1e-3))))
    for _ in range(n):
        t0 = time.perf_counter()
        try:
            call()
        except Exception as e:
            return {"error": f"{describe(e)} (after {len(times)} runs)", "cold_ms": cold * 1000}
        times.append((time.perf_counter() - t0) * 1000)
    return {"cold_ms": cold * 1000, "p50_ms": statistics.median(times),
            "p99_ms": percentile(times, 99), "runs": n, "rows": rows}  # fmt: skip


def describe(e: Exception) -> str:
    if isinstance(e, urllib.error.HTTPError):
        body = e.read()[:300].decode("utf-8", "replace")
        with contextlib.suppress(ValueError, KeyError, TypeError):
            body = json.loads(body)["error"]["message"]
        return f"HTTP {e.code}: {body}"
    return f"{type(e).__name__}: {str(e)[:200]}"


def get_rows(url: str) -> int:
    with urllib.request.urlopen(url, timeout=120) as r:
        return len(json.loads(r.read())["results"]["bindings"])


def over_http(root: Path, url: str, names: list[str], repeat: int, budget: float,
              logs: Path, label: str) -> dict[str, Any]:  # fmt: skip
    """`cakg serve --store url`: ready time, then each saved query timed."""
    port = free_port()
    env = {**synthetic_env(), "CAKG_RESULT_CACHE": "0"}
    args = [str(BIN / "cakg"), "--root", str(root), "serve", "--store", url, "--port", str(port)]
    with (logs / f"serve-{label}.log").open("wb") as log:
        proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        ready = wait_ready(f"{base}/healthz", proc, 120)
        queries = {}
        for name in names:
            print(f"  http {name}", file=sys.stderr, flush=True)
            queries[name] = timed(
                lambda n=name: get_rows(f"{base}/queries/{n}.json"), repeat, budget
            )
        return {"ready_s": ready, "queries": queries}
    finally:
        stop(proc)


def in_engine(root: Path, url: str, names: list[str], repeat: int, budget: float
              ) -> dict[str, Any]:  # fmt: skip
    """Each saved query through the remote engine in this process: timed, and its rows as
    N-Triples terms (sorted) for the comparison between stores."""
    from cakg.config import Settings
    from cakg.engine import open_engine
    from cakg.queries import load_catalogue
    from cakg.queries.bind import run_saved

    settings = Settings.from_env(synthetic_env(), root=root, store_url=url)
    engine = open_engine(settings)
    catalogue = load_catalogue(root)
    out: dict[str, Any] = {}
    try:
        for name in names:
            q = catalogue[name]
            cap = None if q.pagination else settings.max_rows
            answer: list[Any] = []

            def run(q: Any = q, cap: int | None = cap, answer: list[Any] = answer) -> int:
                result = run_saved(engine, q, {}, max_rows=cap).result
                answer[:] = [result]
                return len(result.rows)

            print(f"  engine {name}", file=sys.stderr, flush=True)
            out[name] = timed(run, max(3, repeat // 4), budget / 2)
            if answer:
                result = answer[0]
                out[name]["values"] = sorted(
                    tuple("UNDEF" if t is None else t.n3() for t in row) for row in result.rows
                )
                out[name]["truncated"] = result.truncated
    finally:
        engine.close()
    return out


# ---- one store, one size ----------------------------------------------------------------


def bench_store(name: str, built: SyntheticBuild, size: float, args: argparse.Namespace,
                logs: Path) -> dict[str, Any]:  # fmt: skip
    from cakg.queries import load_catalogue
    from cakg.store.release_graph import ASSERTED_GRAPH, RELEASE_MARK

    names = args.queries or sorted(load_catalogue(built.root))
    folder = RESULTS / f"store-{name}-{size:.0e}"
    out: dict[str, Any] = {"store": name, "load_before": load_average()}
    with start_store(name, folder, size, logs) as store:
        print(f"{size:.0e} {name}: first publish (load {load_average()})", file=sys.stderr)
        out["publish"] = publish_to(built.root / "build", built.root, store.query_url)
        out["publish"]["load"] = load_average()
        counts = graph_counts(store.query_url)
        graphs = built.manifest["graphs"]
        union = [g for g in counts if g.startswith(ASSERTED_GRAPH) and RELEASE_MARK in g]
        out["counts"] = {g: counts.get(g, 0) for g in graphs}
        out["union"] = sum(counts[g] for g in union)
        out["other_graphs"] = {
            g: n for g, n in counts.items() if g not in graphs and g not in union
        }
        print(f"{size:.0e} {name}: saved queries over HTTP", file=sys.stderr)
        try:
            out["http"] = over_http(built.root, store.query_url, names, args.repeat,
                                    args.budget, logs, f"{name}-{size:.0e}")  # fmt: skip
            out["http"]["load"] = load_average()
        except Exception as e:
            out["http_error"] = describe(e)
        print(f"{size:.0e} {name}: saved queries in the engine", file=sys.stderr)
        try:
            out["engine"] = in_engine(built.root, store.query_url, names, args.repeat, args.budget)
        except Exception as e:
            out["engine"], out["engine_error"] = {}, describe(e)
        pss, rss = memory_mb(store.pid)
        out["store_rss_mb"], out["store_pss_mb"] = rss, pss
        if not args.no_second:
            print(f"{size:.0e} {name}: second publish (load {load_average()})", file=sys.stderr)
            build_dir, edited = changed_release(built, RESULTS / f"changed-{size:.0e}" / "build")
            try:
                out["second"] = publish_to(build_dir, built.root, store.query_url)
                out["second"].update(edited=edited, load=load_average())
            except Exception as e:  # reported; the figures above stand
                out["second"] = {"error": describe(e)}
        out["disk_mb"] = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20
    return out


# ---- the table ------------------------------------------------------------------------------


def ratio(o: float | None, v: float | None) -> str:
    return f"{v / o:.2f}x" if o and v is not None else "-"


def ms(r: dict[str, Any], key: str) -> str:
    return f"{r[key]:.1f}" if key in r else "-"


def table(rows: list[dict[str, Any]], repeat: int) -> str:
    lines = [
        "## Publish (first: into an empty store; second: a changed release over it)",
        "",
        "| size | store | quads | first publish | quads/s | second publish, to switch "
        "| switch (requests) | store RSS after queries | store on disk |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        quads = r["quads"]
        for s in r["stores"].values():
            if "error" in s:
                lines.append(f"| {r['size']:.0e} | {s['store']} | error: {s['error']} |")
                continue
            p, second = s["publish"], s.get("second") or {}
            to_switch = f"{second['to_switch_s']:.1f} s" if second.get("to_switch_s") else "-"
            if "error" in second:
                to_switch = f"**{second['error'][:120]}**"
            sw = (f"{second['switch_s']:.2f} s ({second['switch_requests']})"
                  if second.get("switch_s") is not None else "-")  # fmt: skip
            lines.append(
                f"| {r['size']:.0e} | {s['store']} ({p['profile']}) | {quads} | "
                f"{p['seconds']:.1f} s | {quads / p['seconds']:,.0f} | {to_switch} | {sw} | "
                f"{s['store_rss_mb']:.0f} MB | {s['disk_mb']:.0f} MB |"
            )
    lines += ["", "Ratios Virtuoso / Oxigraph (time: above 1 = Virtuoso slower):", ""]
    for r in rows:
        o, v = r["stores"].get("oxigraph"), r["stores"].get("virtuoso")
        if not o or not v or "error" in o or "error" in v:
            continue
        o2, v2 = o.get("second") or {}, v.get("second") or {}
        lines.append(
            f"- {r['size']:.0e}: first publish "
            f"{ratio(o['publish']['seconds'], v['publish']['seconds'])}"
            f", second publish to switch {ratio(o2.get('to_switch_s'), v2.get('to_switch_s'))}"
            f", switch {ratio(o2.get('switch_s'), v2.get('switch_s'))}"
        )
    lines += ["", "## Triples per graph after the first publish (asked of each store)", ""]
    for r in rows:
        lines.append(f"- {r['size']:.0e}: {r['count_check']}")
    lines += [
        "",
        f"## Saved queries (default parameters; ms; {repeat} runs after a cold one, fewer for "
        "slow ones; p99 of 20 runs = the slowest)",
        "",
        "HTTP: GET /queries/<name>.json through `cakg serve --store` (result cache off), end to "
        "end. Engine: `run_saved` over the remote engine in the bench process (store + cakg's "
        "client, no web layer).",
        "",
        "| size | query | rows O / V | HTTP Oxigraph p50 / p99 | HTTP Virtuoso p50 / p99 "
        "| V/O p50 / p99 | engine O / V p50 | V/O engine | same rows? |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        o, v = r["stores"].get("oxigraph", {}), r["stores"].get("virtuoso", {})
        if "http" not in o or "http" not in v:
            continue
        for name in o["http"]["queries"]:
            ho, hv = o["http"]["queries"][name], v["http"]["queries"].get(name, {})
            eo, ev = o["engine"].get(name, {}), v["engine"].get(name, {})

            def cell(h: dict[str, Any]) -> str:
                if "error" in h:
                    return f"**{h['error'][:120]}**"
                return f"{h['p50_ms']:.1f} / {h['p99_ms']:.1f}"

            lines.append(
                f"| {r['size']:.0e} | {name} | {ho.get('rows', '-')} / {hv.get('rows', '-')} | "
                f"{cell(ho)} | {cell(hv)} | {ratio(ho.get('p50_ms'), hv.get('p50_ms'))} / "
                f"{ratio(ho.get('p99_ms'), hv.get('p99_ms'))} | {ms(eo, 'p50_ms')} / "
                f"{ms(ev, 'p50_ms')} | {ratio(eo.get('p50_ms'), ev.get('p50_ms'))} | "
                f"{r['same'].get(name, '-')} |"
            )
    lines += ["", "Geometric mean of the V/O p50 ratios (HTTP, queries both answered):", ""]
    for r in rows:
        o, v = r["stores"].get("oxigraph", {}), r["stores"].get("virtuoso", {})
        if "http" not in o or "http" not in v:
            continue
        pairs = [(o["http"]["queries"][n].get("p50_ms"), v["http"]["queries"][n].get("p50_ms"))
                 for n in o["http"]["queries"]]  # fmt: skip
        logs = [math.log(b / a) for a, b in pairs if a and b]
        if logs:
            lines.append(f"- {r['size']:.0e}: {math.exp(sum(logs) / len(logs)):.2f}x over "
                         f"{len(logs)} queries")  # fmt: skip
    lines += ["", "## Differences between the stores' answers", ""]
    for r in rows:
        for s in r["stores"].values():
            for key in ("http_error", "engine_error"):
                if key in s:
                    lines.append(f"- {r['size']:.0e} {s['store']}: {key}: {s[key]}")
        for note in r["differences"] or ["none"]:
            lines.append(f"- {r['size']:.0e}: {note}")
    return "\n".join(lines) + "\n"


def compare(row: dict[str, Any]) -> None:
    """Counts per graph and rows per query, Oxigraph's against Virtuoso's."""
    o, v = row["stores"].get("oxigraph"), row["stores"].get("virtuoso")
    row["same"], row["differences"] = {}, []
    if not o or not v or "counts" not in o or "counts" not in v:
        row["count_check"] = "not compared (a store failed)"
        return
    manifest = row["graphs"]
    differ = [g for g in manifest if o["counts"][g] != v["counts"][g]]
    off = [g for g in manifest if o["counts"][g] != manifest[g]]
    row["count_check"] = (
        f"{len(manifest)} graphs, {sum(o['counts'].values())} triples in Oxigraph, "
        f"{sum(v['counts'].values())} in Virtuoso, {sum(manifest.values())} in the manifest; "
        f"union graph {o['union']} / {v['union']}; "
        + (
            f"**{len(differ)} graphs differ** ({', '.join(differ[:3])})"
            if differ
            else "every graph equal"
        )
        + (f"; Oxigraph differs from the manifest in {len(off)}" if off else "")
        + f"; other graphs: Oxigraph {len(o['other_graphs'])} "
        f"({sum(o['other_graphs'].values())} triples), Virtuoso {len(v['other_graphs'])} "
        f"({sum(v['other_graphs'].values())} triples, its own)"
    )
    for name, eo in o["engine"].items():
        ev = v["engine"].get(name, {})
        if "values" not in eo or "values" not in ev:
            errs = [f"{s}: {e['error'][:150]}" for s, e in (("O", eo), ("V", ev)) if "error" in e]
            row["same"][name] = "n/a"
            row["differences"].append(f"{name}: not compared ({'; '.join(errs)})")
            continue
        a, b = Counter(eo["values"]), Counter(ev["values"])
        if a == b:
            row["same"][name] = "yes"
            continue
        only_o, only_v = a - b, b - a
        row["same"][name] = f"**no** ({len(eo['values'])} / {len(ev['values'])} rows)"
        example_o = next(iter(only_o), None)
        example_v = next(iter(only_v), None)
        row["differences"].append(
            f"{name}: {sum(only_o.values())} rows only from Oxigraph, {sum(only_v.values())} "
            f"only from Virtuoso; e.g. O {example_o} / V {example_v}"
        )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", nargs="+", type=float, default=[1e5, 1e6])
    p.add_argument("--stores", nargs="+", choices=STORES, default=list(STORES))
    p.add_argument("--repeat", type=int, default=20, help="timed runs per query (after a cold one)")
    p.add_argument("--budget", type=float, default=10.0,
                   help="seconds of timed runs per query at most (at least 3 runs)")  # fmt: skip
    p.add_argument("--queries", nargs="*", help="these saved queries only (default: all)")
    p.add_argument("--no-second", action="store_true", help="skip the second publish")
    args = p.parse_args(argv)

    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y-%m-%d-%H%M")
    logs = RESULTS / f"stores-{stamp}-logs"
    logs.mkdir(exist_ok=True)
    started, at = load_average(), commit()
    rows: list[dict[str, Any]] = []
    for size in args.sizes:
        built = synthetic_build(size)
        row: dict[str, Any] = {
            "size": size, "quads": int(built.manifest["triples"]),
            "graphs": {g: int(n) for g, n in built.manifest["graphs"].items()}, "stores": {},
        }  # fmt: skip
        for name in args.stores:
            try:
                row["stores"][name] = bench_store(name, built, size, args, logs)
            except Exception as e:  # one store failing: report it, measure the other
                row["stores"][name] = {"store": name, "error": describe(e)}
                print(f"{size:.0e} {name}: {describe(e)}", file=sys.stderr)
            dump = json.dumps([*rows, row], indent=1, default=str)  # kept if a later step fails
            (RESULTS / f"stores-{stamp}.json").write_text(dump)
        compare(row)
        rows.append(row)
        dump = json.dumps(rows, indent=1, default=str)
        (RESULTS / f"stores-{stamp}.json").write_text(dump)
    loads = "; ".join(
        f"{r['size']:.0e} {s['store']}: publish {s['publish']['load']}, queries "
        f"{s['http']['load']}"
        for r in rows for s in r["stores"].values() if "http" in s
    )  # fmt: skip
    text = (
        f"# cakg stores benchmark, {stamp}\n\ncommit {at}; {os.cpu_count()} CPUs; load "
        f"average before {started}, after {load_average()} (1, 5, 15 min); at each step: "
        f"{loads}.\n\n" + table(rows, args.repeat)
    )
    (RESULTS / f"stores-{stamp}.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
