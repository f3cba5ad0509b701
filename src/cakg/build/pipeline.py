"""load -> validate -> reason -> write a release, atomically and only when stale.

The steps' order, the staleness fingerprint (every input file, the build's code, the docs'
templates and stylesheet, the settings), one build at a time per build directory (a lock), and
the record of a failed build beside `current` (cakg.release.failed_build). The release itself
is written by cakg.build.write. Each build works in a folder build/.staging-*; the next build
removes what a killed build left there, under the lock that only a live build holds.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib.compare import to_canonical_graph

import cakg
from cakg.build.docs import inputs as docs_inputs
from cakg.build.load import Loaded, load_sources
from cakg.build.reason import Triple, reason
from cakg.build.rules import materialise_store
from cakg.build.sources import Kind, SourceFile, find_sources, query_files, sha256_of
from cakg.build.validate import Report, literals_read_alike, validate_graph
from cakg.build.validate_cache import CACHE as VALIDATE_CACHE
from cakg.build.validate_parallel import validate_units
from cakg.build.write import SWITCH_LINK, sort_lines, write_release
from cakg.config import Settings
from cakg.errors import BuildMissingError, CakgError, NonConformingData
from cakg.namespaces import INFERRED_GRAPH, QUERIES_GRAPH
from cakg.queries import catalogue_graph
from cakg.release import FAILED_BUILD, dataset_dir, load_manifest
from cakg.terms import Terms

STAGING = ".staging-"  # the prefix of every working file and folder of a build
# The code that decides the build's output: every module of this package and of the saved-query
# package (cakg.queries, which the build describes as RDF), and these core modules. A change to
# them makes the build
# stale, as does one to the files the docs are made from (docs.inputs(): the stylesheet the pages
# inline, which the app's Content-Security-Policy allows by its hash, and the docs' templates).
CORE_MODULES = (
    "terms.py",
    "hrefs.py",  # what the docs may link to
    "release.py",  # the layout the build writes
    "namespaces.py",
    "sparql_text.py",  # read by the saved-query package
    "sparql_terms.py",
    "search_keys.py",  # the keys of the search index
)

Progress = Callable[[str], None]


@dataclass
class BuildResult:
    built: bool  # False when the build was already up to date
    directory: Path
    manifest: dict[str, Any]
    report: Report | None = None


def _code_files() -> list[Path]:
    """The modules whose code decides the build's output (see CORE_MODULES)."""
    package = Path(__file__).parent
    core = package.parent
    return [
        *sorted(package.glob("*.py")),
        *sorted((core / "queries").glob("*.py")),
        *(core / name for name in CORE_MODULES),
    ]


def _settings_key(settings: Settings) -> str:
    """The settings that change what the build writes."""
    return (
        f"reasoner={settings.reasoner} validate={settings.validate} "
        f"storage={settings.oxigraph_storage}"  # the engine's on-disk store, or none
    )


def fingerprint(files: list[SourceFile], settings_key: str, queries: list[Path]) -> str:
    """A hash of every input file and of the pipeline code, docs templates, stylesheet and
    settings that build them."""
    h = hashlib.sha256(f"cakg {cakg.__version__} {settings_key}\n".encode())
    package = Path(cakg.__file__).parent
    for path in _code_files():
        name = path.relative_to(package).as_posix()
        h.update(name.encode() + b"\0" + path.read_bytes())
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
    with literals_read_alike():
        return _validate_loaded(loaded, settings)


def _validate_loaded(loaded: Loaded, settings: Settings | None) -> Report:
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
        catalogue = catalogue_graph(settings.root)
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
        directory, manifest = write_release(
            settings, loaded, report, dropped, print_, timings, work
        )
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
        sort_lines(inferred, inferred, tmp)
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
    (out / SWITCH_LINK).unlink(missing_ok=True)
    # .<name>.<pid>.tmp, written by validate_cache (also for `cakg validate`, which does
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
