"""Reconciling a column of names against `cakg serve` on the synthetic build, as OpenRefine does.

    .venv/bin/python -m bench.bench_reconcile [--triples 1e6] [--names 1000] [--batch 10]

The synthetic project (bench.synthetic, shared with bench_search) is built by `cakg build`, then
served by `cakg serve` on 127.0.0.1. NAMES names are drawn (seeded) from the entities of its
search index: most written as the graph has them, some misspelt (one letter dropped or two
swapped), some in lower case, a quarter sent with the entity's type (`type_strict: "should"`,
as OpenRefine sends a chosen type), a fifth with a property constraint (rdf:type, the values read
through the query workers). As OpenRefine does, the manifest is asked first, then the
names are POSTed form-encoded as `queries=` batches of BATCH (OpenRefine's batch size), one
after the other. It prints the total time, requests per second, per-request p50/p90/p99/max
with the first (cold) request apart, and how often the first candidate has the label the name
was drawn from and was matched (a label the synthetic copies share is rightly never an
automatic match); then checks the target, 1,000 names in under TARGET_SECONDS. The table goes
to stdout and to bench/results/reconcile-<date>.md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.servers import free_port, wait_ready
from bench.synthetic import RESULTS, synthetic_build, synthetic_env
from cakg.search import SearchIndex

LISTEN = ("--host", "127.0.0.1", "--port")
TARGET_SECONDS = 10.0  # for 1,000 names in batches of 10, at 10^6 triples
ID = "https://w3id.org/cakg/id/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


@dataclass(frozen=True)
class Name:
    text: str
    iri: str  # the entity it was drawn from
    label: str  # its label, as the graph writes it
    unique: bool  # no other entity has that label (the synthetic copies share most)
    kind: str  # "exact", "misspelt" or "lower case"
    type: str | None  # sent as the query's type, or None
    constrained: bool  # sent with a property constraint (rdf:type, the entity's class)
    class_iri: str = ""


def draw_names(index_file: Path, count: int, seed: int) -> list[Name]:
    """COUNT names of `id/` entities with an English label, some of them altered (read through
    cakg.search; only the IRIs are taken from the file)."""
    index = SearchIndex.load(index_file)
    iris = [e["iri"] for e in json.loads(index_file.read_bytes())["entities"]]
    entries = [index.entry(iri) for iri in iris if iri.startswith(ID)]
    entities = [e for e in entries if e is not None and e.label.lang in ("en", "")]
    sharing = Counter(e.label.text for e in entities)
    rng = random.Random(seed)
    names = []
    for entity in rng.sample(entities, min(count, len(entities))):
        text = label = entity.label.text
        roll = rng.random()
        kind = "exact"
        if roll < 0.15 and len(text) > 5:
            kind, text = "misspelt", misspell(text, rng)
        elif roll < 0.25:
            kind, text = "lower case", text.lower()
        typed = entity.types[0] if entity.types and rng.random() < 0.25 else None
        constrained = bool(entity.types) and rng.random() < 0.2
        names.append(
            Name(
                text,
                entity.iri,
                label,
                sharing[label] == 1,
                kind,
                typed,
                constrained,
                entity.types[0] if entity.types else "",
            )
        )
    return names


def misspell(text: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(text) - 2)
    if rng.random() < 0.5:
        return text[:i] + text[i + 1 :]
    return text[:i] + text[i + 1] + text[i] + text[i + 2 :]


def post(url: str, queries: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    body = urllib.parse.urlencode({"queries": json.dumps(queries)}).encode()
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=60) as response:
        answer: dict[str, Any] = json.loads(response.read())
    return time.perf_counter() - started, answer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--triples", type=float, default=1e6)
    parser.add_argument("--names", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=10, help="queries per request")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    built = synthetic_build(args.triples)
    names = draw_names(built.release / "search-index.json", args.names, args.seed)
    logs = RESULTS / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = logs / "cakg-reconcile.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "cakg", "--root", str(built.root), "serve", *LISTEN, str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=synthetic_env(),
        )
    lines: list[str] = []

    def add(text: str = "") -> None:
        print(text, flush=True)
        lines.append(text)

    try:
        ready = wait_ready(f"{base}/healthz", server, 300)
        manifest_started = time.perf_counter()
        with urllib.request.urlopen(f"{base}/reconcile", timeout=60) as response:
            json.loads(response.read())
        manifest_s = time.perf_counter() - manifest_started
        batches = [names[i : i + args.batch] for i in range(0, len(names), args.batch)]
        times: list[float] = []
        answers: list[dict[str, Any]] = []
        started = time.perf_counter()
        for group in batches:
            queries: dict[str, Any] = {}
            for n, name in enumerate(group):
                query: dict[str, Any] = {"query": name.text}
                if name.type:
                    query.update(type=name.type, type_strict="should")
                if name.constrained:  # read through the engine's query workers
                    query["properties"] = [{"pid": RDF_TYPE, "v": {"id": name.class_iri}}]
                queries[f"q{n}"] = query
            seconds, answer = post(f"{base}/reconcile", queries)
            times.append(seconds)
            answers.append(answer)
        total = time.perf_counter() - started
        stamp = datetime.datetime.now().astimezone()
        add(f"## cakg reconciliation benchmark, {stamp:%Y-%m-%d %H:%M %Z}")
        add(
            f"\nmachine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}; synthetic build "
            f"of {built.manifest.get('triples', '?')} triples ({built.release.name}); "
            f"`cakg serve` ready in {ready:.1f} s; the manifest (first request) in "
            f"{manifest_s * 1000:.0f} ms"
        )
        add(f"{len(names)} names in {len(batches)} requests of {args.batch} (one at a time)\n")
        ordered = sorted(times)
        add("| total s | requests/s | first ms | p50 ms | p90 ms | p99 ms | max ms |")
        add("|---:|---:|---:|---:|---:|---:|---:|")
        add(
            f"| {total:.2f} | {len(times) / total:.1f} | {times[0] * 1000:.0f} "
            f"| {statistics.median(times) * 1000:.1f} | {pct(ordered, 90) * 1000:.1f} "
            f"| {pct(ordered, 99) * 1000:.1f} | {ordered[-1] * 1000:.1f} |"
        )
        add(f"\nper name: {total / len(names) * 1000:.2f} ms\n")
        add("| names | label | count | first has the label | matched | matched the drawn one |")
        add("|---|---|---:|---:|---:|---:|")
        flat = [
            (name, answer[f"q{n}"]["result"])
            for group, answer in zip(batches, answers, strict=True)
            for n, name in enumerate(group)
        ]
        for kind in ("exact", "misspelt", "lower case"):
            for unique in (True, False):
                picked = [(m, f) for m, f in flat if m.kind == kind and m.unique == unique]
                first = sum(1 for m, f in picked if f and f[0]["name"] == m.label)
                matched = sum(1 for _, f in picked if f and f[0]["match"])
                drawn = sum(1 for m, f in picked if f and f[0]["match"] and f[0]["id"] == m.iri)
                add(
                    f"| {kind} | {'its own' if unique else 'shared'} | {len(picked)} | {first} "
                    f"| {matched} | {drawn} |"
                )
        wrong = sum(1 for _, found in flat for c in found if c["match"] and c is not found[0])
        ok = total < TARGET_SECONDS or len(names) != 1000
        add(f"\nmatches that were not the first candidate: {wrong}")
        add(
            f"target: 1,000 names in under {TARGET_SECONDS:g} s: "
            f"{'met' if ok else 'NOT met'} ({total:.2f} s)"
        )
    finally:
        server.terminate()
        server.wait(30)
    out_file = RESULTS / f"reconcile-{datetime.datetime.now():%Y%m%d-%H%M}.md"
    out_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"\nwritten to {out_file}", file=sys.stderr)
    return 0


def pct(ordered: list[float], p: float) -> float:
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]


if __name__ == "__main__":
    sys.exit(main())
