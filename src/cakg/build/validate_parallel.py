"""SHACL validation per source file, in parallel and incremental, with the whole-graph report.

Every data file is a unit (cakg.build.validate_units says what a unit holds and why its home
nodes' results are the whole-graph results); every target is home in some unit, and the
findings are merged, deduplicated and sorted as validate_graph sorts them. Two phases, each in
worker processes that load the schema graphs once: every data file is indexed (what it says that
other units need), then the units are validated, several per pyshacl run. Indexes and findings
are cached per file and per unit (cakg.build.validate_cache): after one file changes, only its
unit (and units whose imported context it changes) run again.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rdflib import BNode, Graph, Literal
from rdflib.namespace import RDF, SH
from rdflib.term import Node

from cakg.build import validate_cache
from cakg.build.sources import SourceFile
from cakg.build.validate import Finding, Report, read_literals_alike_for_good, sort_findings
from cakg.build.validate_cache import Outcome
from cakg.build.validate_units import (
    FileIndex,
    Schema,
    Triple,
    Unit,
    index_file,
    make_units,
    run_units,
    subject_files,
)
from cakg.errors import ParseError, ValidationWorkerError

UNITS_PER_RUN = 40  # units validated together by one pyshacl run (the shapes loaded once)


def validate_units(
    files: Sequence[SourceFile],
    shapes: Graph,
    ontology: Graph,
    reference: Graph,
    *,
    cache_dir: Path | None,
    workers: int = 0,
) -> Report:
    """Validate every data file as its own unit; the report equals validate_graph's."""
    data_files = [f for f in files if f.is_data]
    graphs = frozenset(str(f.graph) for f in data_files)
    workers = workers or os.cpu_count() or 1
    code = validate_cache.code_key(files)
    with _Pool(workers, shapes, ontology, reference, graphs) as pool:
        indexes = _indexes(pool, data_files, graphs, cache_dir, code)
        asserted_in = subject_files(files, indexes)
        units = make_units(data_files, indexes, code)
        outcomes = _run(pool, units, cache_dir)
    if cache_dir is not None:
        validate_cache.prune_outcomes(
            cache_dir, {validate_cache.outcome_name(u.key) for u in units}
        )
    findings: list[Finding] = []
    results = Graph()
    for unit in units:
        for finding, focus, _lines in outcomes[unit.key]:
            if focus is not None:
                finding = Finding(**{**finding.__dict__, "files": asserted_in.get(focus, ())})
            findings.append(finding)
    report_findings = sort_findings(findings)
    _results_graph(results, outcomes, units, report_findings, asserted_in)
    conforms = not any(f.severity == "Violation" for f in report_findings)
    return Report(conforms, report_findings, results)


def _indexes(
    pool: _Pool,
    files: list[SourceFile],
    graphs: frozenset[str],
    cache_dir: Path | None,
    code: str,
) -> dict[str, FileIndex]:
    """Every data file's index: from the cache, else made by the workers (and cached)."""
    found: dict[str, FileIndex] = {}
    missing: list[tuple[SourceFile, Path | None]] = []
    names = validate_cache.index_names(code, files, graphs)
    for f in files:
        path = cache_dir / names[f.rel] if cache_dir else None
        cached = validate_cache.read_index(path) if path is not None else None
        if cached is not None:
            found[f.rel] = cached
        else:
            missing.append((f, path))

    def store(i: int, index: FileIndex) -> None:
        f, path = missing[i]
        found[f.rel] = index
        if path is not None:
            validate_cache.write_index(path, index)

    pool.map(_index_task, [f for f, _ in missing], [f.rel for f, _ in missing], each=store)
    if cache_dir is not None:
        validate_cache.prune_indexes(cache_dir, set(names.values()))
    return found


def _run(pool: _Pool, units: list[Unit], cache_dir: Path | None) -> dict[str, Outcome]:
    outcomes: dict[str, Outcome] = {}
    todo: list[Unit] = []
    for unit in units:
        cached = validate_cache.read_outcome(cache_dir, unit.key)
        if cached is None:
            todo.append(unit)
        else:
            outcomes[unit.key] = cached
    size = max(1, min(UNITS_PER_RUN, -(-len(todo) // max(1, pool.workers * 2))))
    batches = [todo[i : i + size] for i in range(0, len(todo), size)]

    def keep(i: int, done: list[Outcome]) -> None:
        for unit, outcome in zip(batches[i], done, strict=True):
            outcomes[unit.key] = outcome
            if cache_dir is not None:
                validate_cache.write_outcome(cache_dir, unit.key, outcome)

    pool.map(_unit_task, batches, [b[0].name for b in batches], each=keep)
    return outcomes


# --- the worker processes ------------------------------------------------------------------

_STATE: dict[str, Schema] = {}  # a worker's schema graphs, loaded once (_init_worker)


def _init_worker(
    shapes: list[Triple], ontology: list[Triple], reference: list[Triple], graphs: frozenset[str]
) -> None:
    read_literals_alike_for_good()  # a spawned worker starts without the parent's settings

    def graph(triples: list[Triple]) -> Graph:
        g = Graph()
        for t in triples:
            g.add(t)
        return g

    _STATE["schema"] = Schema(graph(shapes), graph(ontology), graph(reference), graphs)


def _index_task(source: SourceFile) -> FileIndex | ParseFailure:
    try:
        return index_file(source, _STATE["schema"].graphs)
    except ParseError as e:
        return ParseFailure(str(e.path), e.reason, e.line, e.column)


@dataclass(frozen=True)
class ParseFailure:
    """A ParseError carried back from a worker (exceptions with custom arguments do not pickle)."""

    path: str
    reason: str
    line: int | None
    column: int | None


def _unit_task(batch: list[Unit]) -> list[Outcome] | ParseFailure:
    try:
        return run_units(batch, _STATE["schema"])
    except ParseError as e:
        return ParseFailure(str(e.path), e.reason, e.line, e.column)


def _results_graph(
    results: Graph,
    outcomes: dict[str, Outcome],
    units: list[Unit],
    findings: list[Finding],
    asserted_in: dict[Node, tuple[str, ...]],
) -> None:
    """A pyshacl-like results graph with one result per distinct finding."""
    wanted = set(findings)
    report = BNode()
    results.add((report, RDF.type, SH.ValidationReport))
    results.add(
        (report, SH.conforms, Literal(not any(f.severity == "Violation" for f in findings)))
    )
    for unit in units:
        for finding, focus, lines in outcomes[unit.key]:
            if focus is not None:
                finding = Finding(**{**finding.__dict__, "files": asserted_in.get(focus, ())})
            if finding not in wanted or not lines:
                continue
            wanted.discard(finding)
            part = Graph().parse(data="\n".join(lines), format="turtle")
            for t in part:
                results.add(t)
            results.add((report, SH.result, next(part.subjects(RDF.type, SH.ValidationResult))))


# --- the pool ------------------------------------------------------------------------------


class _Pool:
    """Worker processes with the schema graphs loaded once; errors name the file at fault."""

    def __init__(
        self, workers: int, shapes: Graph, ontology: Graph, reference: Graph, graphs: frozenset[str]
    ) -> None:
        self.workers = max(1, workers)
        self._schema = Schema(shapes, ontology, reference, graphs)
        self._executor: ProcessPoolExecutor | None = None

    def __enter__(self) -> _Pool:
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            gc.unfreeze()

    def map(
        self,
        fn: Any,
        items: Sequence[Any],
        names: Sequence[str],
        each: Callable[[int, Any], None] | None = None,
    ) -> list[Any]:
        """fn over items, `each(i, result)` as each one is done (so finished work is kept);
        a ParseFailure raises ParseError, a dead worker ValidationWorkerError."""
        out: list[Any] = []

        def take(result: Any) -> None:
            if isinstance(result, ParseFailure):
                raise ParseError(result.path, result.reason, line=result.line, column=result.column)
            if each is not None:
                each(len(out), result)
            out.append(result)

        if not items:
            return out
        if self.workers == 1 or len(items) == 1:
            _STATE["schema"] = self._schema  # in this process: the graphs as they are
            for item in items:
                take(fn(item))
            return out
        if self._executor is None:
            # Forked workers share the caller's heap (a build holds the loaded data): with
            # its objects frozen, the children's garbage collector does not copy its pages.
            gc.freeze()
            schema = self._schema
            self._executor = ProcessPoolExecutor(
                self.workers,
                mp_context=_context(),
                initializer=_init_worker,
                initargs=(
                    list(schema.shapes),
                    list(schema.ontology),
                    list(schema.reference),
                    schema.graphs,
                ),
            )
        name = names[0]
        try:
            futures = [self._executor.submit(fn, item) for item in items]
            for future, name in zip(futures, names, strict=True):  # noqa: B007
                take(future.result())
        except BrokenProcessPool as e:
            raise ValidationWorkerError(name, str(e) or "the worker process died") from None
        return out


def _context() -> multiprocessing.context.BaseContext:
    """fork when this process has no other thread (fast, nothing re-imported), else spawn."""
    if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")
