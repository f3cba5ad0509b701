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
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rdflib import Dataset, Graph

import cakg
from cakg.catalogue import describe_catalogue
from cakg.config import Settings
from cakg.errors import BuildMissingError, NonConformingData
from cakg.load import Loaded, load_sources
from cakg.namespaces import INFERRED_GRAPH, PREFIXES, QUERIES_GRAPH
from cakg.ontology_docs import render_ontology_docs, render_shapes_docs
from cakg.reason import DROPPED_RULES, reason
from cakg.rules import materialise
from cakg.sources import Kind, SourceFile, find_sources, sha256_of
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
    "reason.py",
    "rules.py",
    "catalogue.py",
    "ontology_docs.py",
    "build.py",
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
        loaded = load_sources(files)
        catalogue = describe_catalogue(settings.root)
        timings["load"] = time.perf_counter() - t0
        say(f"loaded {len(files)} files, {_count(loaded.dataset)} triples")

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
        ontology = loaded.graph_of_kind(Kind.ONTOLOGY)
        data = loaded.graph_of_kind(Kind.REFERENCE, Kind.SOURCE)
        if settings.reasoner == "rules":
            closure = materialise([data], ontology)
        else:
            closure = reason([ontology, data])
        target = loaded.dataset.graph(INFERRED_GRAPH)
        for t in closure.inferred:
            target.add(t)
        timings["reason"] = time.perf_counter() - t0
        n = len(closure.inferred)
        say(f"reasoned: {n} inferred triples ({closure.dropped} trivial dropped)")

        target = loaded.dataset.graph(QUERIES_GRAPH)
        for t in catalogue:
            target.add(t)
        t0 = time.perf_counter()
        directory, manifest = _write(settings, loaded, report, closure.dropped, print_, timings)
        say(f"wrote {directory} (version {manifest['version']})")
        return BuildResult(True, directory, manifest, report)


def _count(ds: Dataset) -> int:
    return sum(len(g) for g in ds.graphs())


def _write(
    settings: Settings,
    loaded: Loaded,
    report: Report,
    dropped: int,
    print_: str,
    timings: dict[str, float],
) -> tuple[Path, dict[str, Any]]:
    t0 = time.perf_counter()
    ds = loaded.dataset
    for prefix, ns in PREFIXES.items():
        ds.bind(prefix, ns, override=True)
    releases = settings.out / RELEASES
    releases.mkdir(exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=settings.out))
    try:
        nq_lines = sorted(
            line for line in ds.serialize(format="nquads").splitlines() if line.strip()
        )
        nq_bytes = ("\n".join(nq_lines) + "\n").encode("utf-8")
        version = content_version(nq_lines)
        (staging / NQUADS).write_bytes(nq_bytes)
        (staging / TRIG).write_text(ds.serialize(format="trig"), encoding="utf-8")
        _write_union_turtle(ds, staging / TURTLE)
        _write_docs(loaded, staging)
        for name in DUMPS:
            _gzip(staging / name)
        graphs = {
            str(g.identifier): len(g)
            for g in sorted(ds.graphs(), key=lambda g: str(g.identifier))
            if len(g) and not str(g.identifier).startswith("urn:x-rdflib:")
        }
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


def _write_union_turtle(ds: Dataset, path: Path) -> None:
    union = Graph()
    for prefix, ns in PREFIXES.items():
        union.bind(prefix, ns)
    for s, p, o, _g in ds.quads((None, None, None, None)):
        union.add((s, p, o))
    path.write_text(union.serialize(format="turtle"), encoding="utf-8")


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
