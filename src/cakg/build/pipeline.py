"""load -> validate -> reason -> write the compiled dataset, atomically and only when stale.

Layout of the build directory:
    build/releases/<version>/cakg.nq, cakg.trig, manifest.json
    build/current -> releases/<version>      (switched atomically by a symlink rename)
    build/failed-build.json                  (the last build's error, until a build succeeds)
    build/.staging-*                         (a running build's working folder)

The served release is never removed or rewritten before the switch: a release is written in a
working folder and renamed into releases/ under a name no other release has (`<version>`, or
`<version>-2`... when a release of that version with other bytes is there), except that a
release of the same version with byte-identical dumps is kept, its manifest and docs replaced
file by file (each by one atomic rename). Older releases are pruned after the switch. The next
build removes what a killed build left (its working folder), under the lock that only a live
build holds.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import gzip
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib.compare import to_canonical_graph

import cakg
from cakg.build.docs import inputs as docs_inputs
from cakg.build.docs import render_ontology_docs, render_shapes_docs
from cakg.build.load import Loaded, load_sources
from cakg.build.reason import DROPPED_RULES, Triple, reason
from cakg.build.rules import materialise_store
from cakg.build.sources import Kind, SourceFile, find_sources, sha256_of
from cakg.build.validate import Report, validate_graph
from cakg.build.validate_parallel import CACHE as VALIDATE_CACHE
from cakg.build.validate_parallel import validate_units
from cakg.catalogue import describe_catalogue
from cakg.config import Settings
from cakg.errors import BuildMissingError, CakgError, NonConformingData
from cakg.namespaces import INFERRED_GRAPH, PREFIXES, QUERIES_GRAPH
from cakg.release import (
    CURRENT,
    DUMPS,
    FAILED_BUILD,
    MANIFEST,
    NQUADS,
    ONTOLOGY_DOCS,
    RELEASES,
    SHAPES_DOCS,
    TRIG,
    TURTLE,
    dataset_dir,
    load_manifest,
)
from cakg.terms import Terms

STAGING = ".staging-"  # the prefix of every working file and folder of a build
# The modules whose code decides the build's output: a change to them makes the build stale, as
# does one to the files the docs are made from (ontology_docs.inputs(): the stylesheet the pages
# inline, which the app's Content-Security-Policy allows by its hash, and the docs' templates).
PIPELINE_MODULES = (  # relative to the cakg package
    "build/sources.py",
    "build/load.py",
    "build/validate.py",
    "build/pyshacl_patches.py",
    "build/validate_parallel.py",
    "build/reason.py",
    "build/rules.py",
    "catalogue.py",
    "build/docs.py",
    "build/pipeline.py",
    "terms.py",
    "hrefs.py",  # what the docs may link to
    "release.py",  # the layout the build writes
)

_BLANK = re.compile(r"_:[A-Za-z0-9_.-]+")

Progress = Callable[[str], None]


@dataclass
class BuildResult:
    built: bool  # False when the build was already up to date
    directory: Path
    manifest: dict[str, Any]
    report: Report | None = None


def query_files(root: Path) -> list[Path]:
    """The saved queries (queries/*.rq), described as RDF in their own named graph."""
    folder = Path(root) / "queries"
    return sorted(folder.glob("*.rq")) if folder.is_dir() else []


def _settings_key(settings: Settings) -> str:
    """The settings that change what the build writes."""
    return f"reasoner={settings.reasoner} validate={settings.validate}"


def fingerprint(files: list[SourceFile], settings_key: str, queries: list[Path]) -> str:
    """A hash of every input file and of the pipeline code, docs templates, stylesheet and
    settings that build them."""
    h = hashlib.sha256(f"cakg {cakg.__version__} {settings_key}\n".encode())
    package = Path(__file__).parents[1]
    for name in PIPELINE_MODULES:
        h.update(name.encode() + b"\0" + (package / name).read_bytes())
    for path in docs_inputs():
        content = path.read_bytes() if path.is_file() else b"\0missing"
        h.update(b"docs/" + path.name.encode() + b"\0" + content)
    for f in files:
        h.update(f"{f.rel}\0{f.sha256}\n".encode())
    for q in queries:
        h.update(f"{q.name}\0{sha256_of(q)}\n".encode())
    return h.hexdigest()


def is_stale(settings: Settings) -> bool:
    """True when the sources or the pipeline (its code, the docs' templates and stylesheet)
    changed since the current build, or none exists."""
    try:
        manifest = load_manifest(settings)
    except BuildMissingError:
        return True
    current = fingerprint(
        find_sources(settings.root), _settings_key(settings), query_files(settings.root)
    )
    return manifest.get("fingerprint") != current


def validate_loaded(loaded: Loaded, settings: Settings | None = None) -> Report:
    """Validate the reference and source graphs against the shapes, with the ontology.

    With settings: one unit per source file, in parallel, cached under the build directory
    (cakg.build.validate_parallel; the same report). Without: one pyshacl run over the whole graph.
    """
    if settings is not None:
        return validate_units(
            loaded.files,
            loaded.graph_of_kind(Kind.SHAPES),
            loaded.graph_of_kind(Kind.ONTOLOGY),
            loaded.graph_of_kind(Kind.REFERENCE),
            cache_dir=settings.out / VALIDATE_CACHE,
            workers=settings.validate_workers,
        )
    return validate_graph(
        loaded.graph_of_kind(Kind.REFERENCE, Kind.SOURCE),
        loaded.graph_of_kind(Kind.SHAPES),
        loaded.graph_of_kind(Kind.ONTOLOGY),
        loaded.asserted_by,
    )


def build_dataset(
    settings: Settings, *, force: bool = False, progress: Progress | None = None
) -> BuildResult:
    """Build the compiled dataset; on ParseError or NonConformingData no release is written.

    A build that fails on a CakgError says why in FAILED_BUILD (see failed_build()); a build
    that succeeds, or finds nothing to do, removes that record.
    """
    say = progress or (lambda _msg: None)
    settings.out.mkdir(parents=True, exist_ok=True)
    with _lock(settings.out):
        _sweep(settings.out)
        try:
            result = _build_locked(settings, force, say)
        except CakgError as e:
            _record_failure(settings, e)
            raise
        with contextlib.suppress(FileNotFoundError):
            (settings.out / FAILED_BUILD).unlink()
        return result


def _build_locked(settings: Settings, force: bool, say: Progress) -> BuildResult:
    files = find_sources(settings.root)
    queries = query_files(settings.root)
    print_ = fingerprint(files, _settings_key(settings), queries)
    if not force:
        with contextlib.suppress(BuildMissingError):
            manifest = load_manifest(settings)
            if manifest.get("fingerprint") == print_:
                say(f"up to date: nothing changed since build {manifest['version']}")
                return BuildResult(False, dataset_dir(settings).resolve(), manifest)
    work = Path(tempfile.mkdtemp(prefix=STAGING, dir=settings.out))
    try:
        return _build_in(settings, files, print_, work, say)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _build_in(
    settings: Settings, files: list[SourceFile], print_: str, work: Path, say: Progress
) -> BuildResult:
    """load -> validate -> reason -> write, every working file under `work`."""
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    with contextlib.closing(load_sources(files, tmp_dir=work)) as loaded:
        catalogue = describe_catalogue(settings.root)
        timings["load"] = time.perf_counter() - t0
        say(f"loaded {len(files)} files, {loaded.size} triples")

        t0 = time.perf_counter()
        if settings.validate:
            report = validate_loaded(loaded, settings)
            say(f"validated: {report.summary()}")
        else:
            report = Report(conforms=True, skipped=True)
            say("validation skipped (--no-validate)")
        timings["validate"] = time.perf_counter() - t0
        if not report.conforms:
            raise NonConformingData(report)

        t0 = time.perf_counter()
        inferred, dropped = reason_into(loaded, settings.reasoner, work)
        timings["reason"] = time.perf_counter() - t0
        say(f"reasoned: {inferred} inferred triples ({dropped} trivial dropped)")

        add_triples(loaded, canonical_blank_nodes(catalogue), QUERIES_GRAPH)
        directory, manifest = _write(settings, loaded, report, dropped, print_, timings, work)
        say(f"wrote {directory} (version {manifest['version']})")
        return BuildResult(True, directory, manifest, report)


def reason_into(loaded: Loaded, reasoner: str, tmp: Path) -> tuple[int, int]:
    """Add the closure's new triples to the dataset, in the inferred graph; (kept, dropped).

    The rule materialiser works inside the store; owlrl gets rdflib copies of the data (the
    curated graph is small) and its result is added back. Either way they are added in one
    order (sorted), the same in every build: the TriG dump keeps that order.
    """
    ontology = loaded.graph_of_kind(Kind.ONTOLOGY)
    target = ox.NamedNode(str(INFERRED_GRAPH))
    if reasoner == "rules":
        counts = materialise_store(loaded.store, ontology, target)
        inferred = tmp / "inferred.nq"  # the store's order varies from one build to the next
        ox.serialize(
            loaded.store.quads_for_pattern(None, None, None, target),
            inferred,
            format=ox.RdfFormat.N_QUADS,
        )
        _sort_lines(inferred, inferred, tmp)
        loaded.append(ox.parse(path=inferred, format=ox.RdfFormat.N_QUADS))
        inferred.unlink()
        return counts
    closure = reason([ontology, loaded.graph_of_kind(Kind.REFERENCE, Kind.SOURCE)])
    add_triples(loaded, closure.inferred, INFERRED_GRAPH)
    return len(closure.inferred), closure.dropped


def canonical_blank_nodes(graph: Graph) -> Iterable[Triple]:
    """The graph's triples with blank-node labels made from the content around them (rdflib's
    canonical labelling), the same in every build: an rdflib BNode() is random."""
    triples: Iterable[Triple] = to_canonical_graph(graph)
    return triples


def add_triples(loaded: Loaded, triples: Iterable[Triple], graph: URIRef) -> None:
    """Add rdflib triples to one named graph of the dataset, in the order of their N-Triples
    text: an rdflib Graph's order varies from one process to the next (string hashes), and the
    TriG dump keeps the order of the quads as they were added."""
    conv: Any = Terms().to_ox
    name = ox.NamedNode(str(graph))
    ordered = sorted(triples, key=lambda t: (t[0].n3(), t[1].n3(), t[2].n3()))
    loaded.append(ox.Quad(conv(s), conv(p), conv(o), name) for s, p, o in ordered)


def _write(
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
    _sort_lines(loaded.quads_path, staging / NQUADS, work)
    union = work / "union.nt"
    version, graphs = _scan_nquads(staging / NQUADS, union, work)
    _sort_lines(union, union, work)
    ox.serialize(
        ox.parse(path=union, format=ox.RdfFormat.N_TRIPLES),
        staging / TURTLE,
        format=ox.RdfFormat.TURTLE,
        prefixes=prefixes,
    )
    union.unlink()
    ox.serialize(loaded.quads(), staging / TRIG, format=ox.RdfFormat.TRIG, prefixes=prefixes)
    _write_docs(loaded, staging)
    for name in DUMPS:
        _gzip(staging / name)
    timings["write"] = time.perf_counter() - t0
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
        if _same_dumps(kept, manifest):
            for file in (ONTOLOGY_DOCS, SHAPES_DOCS, MANIFEST):
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


def _write_docs(loaded: Loaded, staging: Path) -> None:
    """The ontology's and the shapes' HTML documentation, served at their IRIs."""
    ontology = loaded.graph_of_kind(Kind.ONTOLOGY)
    shapes = loaded.graph_of_kind(Kind.SHAPES)
    (staging / ONTOLOGY_DOCS).write_text(render_ontology_docs(ontology), encoding="utf-8")
    (staging / SHAPES_DOCS).write_text(render_shapes_docs(shapes, ontology), encoding="utf-8")


def _sort_lines(unsorted: Path, out: Path, tmp: Path, unique: bool = True) -> None:
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
        _sort_lines(canonical, canonical, tmp, unique=False)
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
    link = out / f".{CURRENT}.tmp"
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
    """Keep the new release and the one it replaced; remove older ones."""
    for p in releases.iterdir():
        if p.is_dir() and p.name not in keep:
            shutil.rmtree(p, ignore_errors=True)


def _sweep(out: Path) -> None:
    """Remove what a build that was killed left behind: its working folder (the parsed quads,
    the sort's spill, the release being written: all under .staging-*), the symlink it was
    about to rename and the half-written files of the validation cache whose writer is gone.

    Called under the lock: no live build owns a .staging-* folder then (a build holds the lock
    from before it makes its folder until after it removes it).
    """
    for path in out.glob(f"{STAGING}*"):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    (out / f".{CURRENT}.tmp").unlink(missing_ok=True)
    # .<name>.<pid>.tmp, written by validate_parallel (also for `cakg validate`, which does
    # not take the lock): removed only when that process is gone
    cache = out / VALIDATE_CACHE
    for tmp in cache.glob(".*.tmp") if cache.is_dir() else ():
        pid = tmp.name.rsplit(".", 2)[-2]
        if pid.isdigit() and not _alive(int(pid)):
            tmp.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def _record_failure(settings: Settings, error: CakgError) -> None:
    """Write FAILED_BUILD (see failed_build()) for the serving side, by one atomic rename."""
    path, line, column = _where(error)
    if path is not None and Path(path).is_absolute():
        with contextlib.suppress(ValueError):
            path = Path(path).relative_to(settings.root.resolve()).as_posix()
    serving = None
    with contextlib.suppress(BuildMissingError):
        serving = load_manifest(settings).get("version")
    record = {
        "error": error.code,
        "message": str(error),
        "file": path,
        "line": line,
        "column": column,
        "failed": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "serving": serving,
    }
    tmp = settings.out / f"{STAGING}{FAILED_BUILD}"
    with contextlib.suppress(OSError):  # the build's own error is the one to report
        tmp.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, settings.out / FAILED_BUILD)


def _where(error: CakgError) -> tuple[str | None, int | None, int | None]:
    """The file, line and column a build error names (None when it names none)."""
    if isinstance(error, NonConformingData):
        files = [f for finding in error.report.findings for f in finding.files]
        return (files[0] if files else None), None, None
    path = getattr(error, "path", None)
    return (
        None if path is None else str(path),
        getattr(error, "line", None),
        getattr(error, "column", None),
    )


@contextlib.contextmanager
def _lock(out: Path) -> Iterator[None]:
    """One build at a time per build directory."""
    with open(out / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
