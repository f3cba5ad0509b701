"""load -> validate -> reason -> write the compiled dataset, atomically and only when stale.

Layout of the build directory:
    build/releases/<version>/cakg.nq, cakg.trig, manifest.json
    build/current -> releases/<version>      (switched atomically by a symlink rename)
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
from rdflib import URIRef

import cakg
from cakg.catalogue import describe_catalogue
from cakg.config import Settings
from cakg.errors import BuildMissingError, NonConformingData
from cakg.load import Loaded, load_sources
from cakg.namespaces import INFERRED_GRAPH, PREFIXES, QUERIES_GRAPH
from cakg.ontology_docs import render_ontology_docs, render_shapes_docs
from cakg.reason import DROPPED_RULES, Triple, reason
from cakg.rules import materialise_store
from cakg.sources import Kind, SourceFile, find_sources, sha256_of
from cakg.terms import Terms
from cakg.validate import Report, validate_graph
from cakg.validate_parallel import CACHE as VALIDATE_CACHE
from cakg.validate_parallel import validate_units

CURRENT = "current"
RELEASES = "releases"
MANIFEST = "manifest.json"
NQUADS = "cakg.nq"
TRIG = "cakg.trig"
TURTLE = "cakg.ttl"  # the union of every named graph, inferred included
DUMPS = (NQUADS, TRIG, TURTLE)
ONTOLOGY_DOCS = "ontology.html"
SHAPES_DOCS = "shapes.html"
# The modules whose code decides the build's output: a change to them makes the build stale.
PIPELINE_MODULES = (
    "sources.py",
    "load.py",
    "validate.py",
    "validate_parallel.py",
    "reason.py",
    "rules.py",
    "catalogue.py",
    "ontology_docs.py",
    "build.py",
    "terms.py",
)

_BLANK = re.compile(r"_:[A-Za-z0-9_.-]+")

Progress = Callable[[str], None]


@dataclass
class BuildResult:
    built: bool  # False when the build was already up to date
    directory: Path
    manifest: dict[str, Any]
    report: Report | None = None


def dataset_dir(settings: Settings) -> Path:
    """The directory of the current compiled dataset (a symlink into releases/)."""
    return settings.out / CURRENT


def load_manifest(settings: Settings) -> dict[str, Any]:
    """The manifest of the current build; BuildMissingError when there is none."""
    path = dataset_dir(settings) / MANIFEST
    try:
        manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BuildMissingError(
            f"no compiled dataset in {settings.out}: run `cakg build` first"
        ) from None
    return manifest


def content_version(nq_lines: list[str]) -> str:
    """A hash of the dataset's content that blank-node labels (random per parse) do not change."""
    canonical = sorted(_BLANK.sub("_:b", line) for line in nq_lines)
    return hashlib.sha256("\n".join(canonical).encode("utf-8")).hexdigest()[:16]


def query_files(root: Path) -> list[Path]:
    """The saved queries (queries/*.rq), described as RDF in their own named graph."""
    folder = Path(root) / "queries"
    return sorted(folder.glob("*.rq")) if folder.is_dir() else []


def _settings_key(settings: Settings) -> str:
    """The settings that change what the build writes."""
    return f"reasoner={settings.reasoner} validate={settings.validate}"


def fingerprint(files: list[SourceFile], settings_key: str, queries: list[Path]) -> str:
    """A hash of every input file and of the pipeline code and settings that build them."""
    h = hashlib.sha256(f"cakg {cakg.__version__} {settings_key}\n".encode())
    package = Path(__file__).parent
    for name in PIPELINE_MODULES:
        h.update(name.encode() + b"\0" + (package / name).read_bytes())
    for f in files:
        h.update(f"{f.rel}\0{f.sha256}\n".encode())
    for q in queries:
        h.update(f"{q.name}\0{sha256_of(q)}\n".encode())
    return h.hexdigest()


def is_stale(settings: Settings) -> bool:
    """True when the sources or the pipeline changed since the current build, or none exists."""
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
    (cakg.validate_parallel; the same report). Without: one pyshacl run over the whole graph.
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
    """Build the compiled dataset; on ParseError or NonConformingData nothing is written."""
    say = progress or (lambda _msg: None)
    settings.out.mkdir(parents=True, exist_ok=True)
    with _lock(settings.out):
        files = find_sources(settings.root)
        queries = query_files(settings.root)
        print_ = fingerprint(files, _settings_key(settings), queries)
        if not force:
            with contextlib.suppress(BuildMissingError):
                manifest = load_manifest(settings)
                if manifest.get("fingerprint") == print_:
                    say(f"up to date: nothing changed since build {manifest['version']}")
                    return BuildResult(False, dataset_dir(settings).resolve(), manifest)
        timings: dict[str, float] = {}

        t0 = time.perf_counter()
        with contextlib.closing(load_sources(files)) as loaded:
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
            inferred, dropped = reason_into(loaded, settings.reasoner)
            timings["reason"] = time.perf_counter() - t0
            say(f"reasoned: {inferred} inferred triples ({dropped} trivial dropped)")

            add_triples(loaded, catalogue, QUERIES_GRAPH)
            t0 = time.perf_counter()
            directory, manifest = _write(settings, loaded, report, dropped, print_, timings)
            say(f"wrote {directory} (version {manifest['version']})")
            return BuildResult(True, directory, manifest, report)


def reason_into(loaded: Loaded, reasoner: str) -> tuple[int, int]:
    """Add the closure's new triples to the dataset, in the inferred graph; (kept, dropped).

    The rule materialiser works inside the store; owlrl gets rdflib copies of the data (the
    curated graph is small) and its result is added back.
    """
    ontology = loaded.graph_of_kind(Kind.ONTOLOGY)
    target = ox.NamedNode(str(INFERRED_GRAPH))
    if reasoner == "rules":
        counts = materialise_store(loaded.store, ontology, target)
        loaded.append(loaded.store.quads_for_pattern(None, None, None, target))
        return counts
    closure = reason([ontology, loaded.graph_of_kind(Kind.REFERENCE, Kind.SOURCE)])
    add_triples(loaded, closure.inferred, INFERRED_GRAPH)
    return len(closure.inferred), closure.dropped


def add_triples(loaded: Loaded, triples: Iterable[Triple], graph: URIRef) -> None:
    """Add rdflib triples to one named graph of the dataset."""
    conv: Any = Terms().to_ox
    name = ox.NamedNode(str(graph))
    loaded.append(ox.Quad(conv(s), conv(p), conv(o), name) for s, p, o in triples)


def _write(
    settings: Settings,
    loaded: Loaded,
    report: Report,
    dropped: int,
    print_: str,
    timings: dict[str, float],
) -> tuple[Path, dict[str, Any]]:
    t0 = time.perf_counter()
    prefixes = {**loaded.prefixes, **{p: str(ns) for p, ns in PREFIXES.items()}}
    releases = settings.out / RELEASES
    releases.mkdir(exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=settings.out))
    try:
        _sort_lines(loaded.quads_path, staging / NQUADS, staging)
        union = staging / ".union.nt"
        version, graphs = _scan_nquads(staging / NQUADS, union, staging)
        _sort_lines(union, union, staging)
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
        final = releases / version
        if final.exists():
            shutil.rmtree(final)
        os.replace(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    previous = _current_release(settings.out)
    _switch(settings.out, final)
    _prune(releases, keep={final.name, previous})
    return final, manifest


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
    subprocess.run(
        args[:1] + ["-u"] * unique + args[1:],
        env={**os.environ, "LC_ALL": "C"},
        check=True,
    )


def _scan_nquads(nquads: Path, union: Path, tmp: Path) -> tuple[str, dict[str, int]]:
    """One pass over the sorted N-Quads: content_version(), the triples per named graph, and
    every line without its graph into `union` (N-Triples, unsorted, with repeats).

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


@contextlib.contextmanager
def _lock(out: Path) -> Iterator[None]:
    """One build at a time per build directory."""
    with open(out / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
