"""Writing a release: the dumps, the docs and the manifest, placed in releases/ and switched to.

Layout (cakg.release): build/releases/<version>/{cakg.nq,cakg.trig,cakg.ttl (and .gz),
manifest.json, ontology.html, shapes.html, search-index.json}, and build/current ->
releases/<version> (switched by one atomic rename of a fresh symlink).

The served release is never removed or rewritten before the switch: a release is written in a
working folder and renamed into releases/ under a name no other release has (`<version>`, or
`<version>-2`... when a release of that version with other bytes is there), except that a
release of the same version with byte-identical dumps is kept, its manifest and docs replaced
file by file (each by one atomic rename). Older releases are pruned after the switch.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gzip
import hashlib
import json
import os
import re
import shutil
import subprocess
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import pyoxigraph as ox

import cakg
from cakg.build.docs import render_ontology_docs, render_shapes_docs, style_source
from cakg.build.load import Loaded
from cakg.build.reason import DROPPED_RULES
from cakg.build.search_index import write_search_index
from cakg.build.sources import Kind, query_files, sha256_of
from cakg.build.store import needs_store, write_store
from cakg.build.validate import Report
from cakg.config import Settings
from cakg.namespaces import INFERRED_GRAPH, PREFIXES, QUERIES_GRAPH
from cakg.release import (
    CURRENT,
    DUMPS,
    MANIFEST,
    NQUADS,
    ONTOLOGY_DOCS,
    QUERIES,
    RELEASES,
    SEARCH_INDEX,
    SHAPES_DOCS,
    STORE,
    TRIG,
    TURTLE,
    remove_unused,
)

SWITCH_LINK = f".{CURRENT}.tmp"  # the fresh symlink renamed over `current`
_BLANK = re.compile(r"_:[A-Za-z0-9_.-]+")


def write_release(
    settings: Settings,
    loaded: Loaded,
    report: Report,
    dropped: int,
    print_: str,
    timings: dict[str, float],
    work: Path,
) -> tuple[Path, dict[str, Any]]:
    """Write the release in `work`, place it in releases/, switch `current` to it, prune."""
    t0 = time.perf_counter()
    prefixes = {**loaded.prefixes, **{p: str(ns) for p, ns in PREFIXES.items()}}
    releases = settings.out / RELEASES
    releases.mkdir(exist_ok=True)
    staging = work / "release"
    staging.mkdir()
    sort_lines(loaded.quads_path, staging / NQUADS, work)
    union = work / "union.nt"
    version, graphs = _scan_nquads(staging / NQUADS, union, work)
    sort_lines(union, union, work)
    ox.serialize(
        ox.parse(path=union, format=ox.RdfFormat.N_TRIPLES),
        staging / TURTLE,
        format=ox.RdfFormat.TURTLE,
        prefixes=prefixes,
    )
    t1 = time.perf_counter()
    search = write_search_index(union, staging / SEARCH_INDEX)
    timings["search_index"] = time.perf_counter() - t1
    union.unlink()
    ox.serialize(loaded.quads(), staging / TRIG, format=ox.RdfFormat.TRIG, prefixes=prefixes)
    _write_docs(loaded, staging)
    (staging / QUERIES).mkdir()
    for query in query_files(settings.root):  # the saved queries are served from the release
        shutil.copyfile(query, staging / QUERIES / query.name)
    for name in DUMPS:
        _gzip(staging / name)
    timings["write"] = time.perf_counter() - t0
    if needs_store(settings, staging / NQUADS):
        t0 = time.perf_counter()
        write_store(staging)  # so that `cakg serve` opens a large release in milliseconds
        timings["store"] = time.perf_counter() - t0
    manifest = {
        "dataset": "cakg",
        "version": version,
        "built": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "cakg": cakg.__version__,
        "fingerprint": print_,
        "inputs": [
            {"path": f.rel, "sha256": f.sha256, "kind": f.kind.value, "graph": str(f.graph)}
            for f in loaded.files
        ]
        + [
            {
                "path": q.relative_to(settings.root).as_posix(),
                "sha256": sha256_of(q),
                "kind": "query",
                "graph": str(QUERIES_GRAPH),
            }
            for q in query_files(settings.root)
        ],
        "graphs": graphs,
        "triples": sum(graphs.values()),
        "validation": {
            "conforms": report.conforms,
            "skipped": report.skipped,
            **report.counts(),
        },
        "reasoning": {
            "profile": "OWL 2 RL",
            "reasoner": settings.reasoner,
            "graph": str(INFERRED_GRAPH),
            "inferred": graphs.get(str(INFERRED_GRAPH), 0),
            "dropped_trivial": dropped,
            "dropped_rules": list(DROPPED_RULES),
        },
        "files": {
            name: {
                "bytes": (staging / name).stat().st_size,
                "sha256": hashlib.sha256((staging / name).read_bytes()).hexdigest(),
            }
            for name in (*DUMPS, *(f"{d}.gz" for d in DUMPS))
        },
        "timings": {k: round(v, 4) for k, v in timings.items()},
        "search_index": search,
        "docs_style": style_source(),  # the web app's CSP allows the docs' inline style by it
    }
    (staging / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    for path in staging.iterdir():
        _fsync(path)
    previous = _current_release(settings.out)
    final = _place(releases, staging, manifest, previous)
    if final.name != previous:  # else the served release was kept as it is
        _switch(settings.out, final)
        _prune(releases, keep={final.name, previous})
    return final, manifest


def _place(releases: Path, staging: Path, manifest: dict[str, Any], current: str) -> Path:
    """Put the release written in `staging` into releases/ without touching one in use.

    A release of the same version whose dumps are byte-identical (the current one first) is
    kept: only its docs and manifest are replaced, each by one atomic rename, the manifest last.
    Otherwise `staging` is renamed to releases/<version>, or to releases/<version>-<n> when
    that name is taken (by a release of the same version with other bytes: other prefixes in
    the Turtle, say), so that no reader of an existing release ever sees it change.
    """
    version = str(manifest["version"])
    for name in dict.fromkeys(n for n in (current, version) if n):
        kept = releases / name
        if _same_dumps(kept, manifest) and _same_queries(kept, staging):
            for folder in (QUERIES, STORE):  # what a release built before may lack
                if (staging / folder).is_dir() and not (kept / folder).exists():
                    os.rename(staging / folder, kept / folder)
            for file in (ONTOLOGY_DOCS, SHAPES_DOCS, SEARCH_INDEX, MANIFEST):
                os.replace(staging / file, kept / file)
            _fsync_dir(kept)
            return kept
    final = releases / version
    n = 1
    while final.exists() or final.is_symlink():
        n += 1
        final = releases / f"{version}-{n}"
    os.replace(staging, final)
    _fsync_dir(releases)
    return final


def _same_dumps(release: Path, manifest: dict[str, Any]) -> bool:
    """True when `release` holds the same version with the same dumps, byte for byte (by their
    SHA-256 in its manifest, which is written last; the sizes checked on disk)."""
    try:
        old = json.loads((release / MANIFEST).read_text(encoding="utf-8"))
        if old.get("version") != manifest["version"] or old.get("files") != manifest["files"]:
            return False
        files: dict[str, dict[str, Any]] = manifest["files"]
        return all((release / n).stat().st_size == f["bytes"] for n, f in files.items())
    except (OSError, ValueError, AttributeError):
        return False


def _same_queries(release: Path, staging: Path) -> bool:
    """True when `release` holds the saved queries of `staging`, byte for byte (or none yet: a
    release built before releases held them gets them). A header's view or columns change no
    triple, yet the release serves them."""
    kept = release / QUERIES
    if not kept.exists():
        return True
    new = {p.name: p.read_bytes() for p in (staging / QUERIES).glob("*.rq")}
    return {p.name: p.read_bytes() for p in kept.glob("*.rq")} == new


def _write_docs(loaded: Loaded, staging: Path) -> None:
    """The ontology's and the shapes' HTML documentation, served at their IRIs."""
    ontology = loaded.graph_of_kind(Kind.ONTOLOGY)
    shapes = loaded.graph_of_kind(Kind.SHAPES)
    (staging / ONTOLOGY_DOCS).write_text(render_ontology_docs(ontology), encoding="utf-8")
    (staging / SHAPES_DOCS).write_text(render_shapes_docs(shapes, ontology), encoding="utf-8")


def sort_lines(unsorted: Path, out: Path, tmp: Path, unique: bool = True) -> None:
    """Sort a file's lines by code point (bytes, in the C locale), into `out`: once each, or
    all of them when not `unique`.

    GNU sort works out of core (it spills to `tmp` beyond its buffer), so 10^7 lines do not
    need their size in memory; `out` may be the input.
    """
    args = ["sort", "-S", "512M", "-T", str(tmp), "-o", str(out), str(unsorted)]
    subprocess.run(  # noqa: S603 (a fixed argv, no shell)
        args[:1] + ["-u"] * unique + args[1:],
        env={**os.environ, "LC_ALL": "C"},
        check=True,
    )


def _scan_nquads(nquads: Path, union: Path, tmp: Path) -> tuple[str, dict[str, int]]:
    """One pass over the sorted N-Quads: the dataset's version (a hash of its content that
    blank-node labels do not change), the triples per named graph, and every line without its
    graph into `union` (N-Triples, unsorted, with repeats).

    Blank-node labels are replaced as the lines are hashed; when there were any, the canonical
    lines may sort differently, so they are sorted again (out of core) and hashed from there.
    """
    canonical = tmp / f".{nquads.name}.canonical"
    changed = False
    h = hashlib.sha256()
    counts: dict[str, int] = defaultdict(int)
    with (
        nquads.open(encoding="utf-8") as src,
        canonical.open("w", encoding="utf-8") as out,
        union.open("w", encoding="utf-8") as triples,
    ):
        for i, line in enumerate(src):
            triple, graph, _dot = line.rsplit(" ", 2)  # an IRI has no space: "<g>" is one field
            counts[graph[1:-1]] += 1
            triples.write(triple + " .\n")
            same = _BLANK.sub("_:b", line)
            if same != line:
                changed = True
            out.write(same)
            h.update((b"\n" if i else b"") + same.rstrip("\n").encode("utf-8"))
    if changed:
        sort_lines(canonical, canonical, tmp, unique=False)
        h = hashlib.sha256()
        with canonical.open(encoding="utf-8") as src:
            for i, line in enumerate(src):
                h.update((b"\n" if i else b"") + line.rstrip("\n").encode("utf-8"))
    canonical.unlink()
    return h.hexdigest()[:16], dict(sorted(counts.items()))


def _gzip(path: Path) -> None:
    """Write PATH.gz beside PATH, byte-identical for the same content (no name or time inside)."""
    with (
        path.open("rb") as src,
        open(f"{path}.gz", "wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as out,
    ):
        shutil.copyfileobj(src, out)


def _fsync_dir(path: Path) -> None:
    """Make the renames inside a folder durable."""
    _fsync(path)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _switch(out: Path, release: Path) -> None:
    """Point out/current at `release` with one atomic rename of a fresh symlink."""
    link = out / SWITCH_LINK
    with contextlib.suppress(FileNotFoundError):
        link.unlink()
    link.symlink_to(Path(RELEASES) / release.name)
    previous = out / CURRENT
    if previous.exists() and not previous.is_symlink():
        shutil.rmtree(previous)
    os.replace(link, previous)


def _current_release(out: Path) -> str:
    link = out / CURRENT
    return Path(os.readlink(link)).name if link.is_symlink() else ""


def _prune(releases: Path, keep: set[str]) -> None:
    """Keep the new release and the one it replaced; remove older ones no server uses."""
    remove_unused(releases, keep)
