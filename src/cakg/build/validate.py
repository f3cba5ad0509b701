"""SHACL validation of the asserted data (pyshacl), with a report people can read.

The shapes see the asserted data and the ontology's own triples (its class hierarchy, its term
declarations, the concepts of ontology/concepts.ttl), and nothing inferred: no RDFS inference.
Under RDFS inference a property's rdfs:range typed whatever it pointed at, so `sh:class` on
cakg:ratifies, cakg:signedAt or cakg:announcedAt could never fail; without it `sh:class` checks
the types a file asserts (through rdfs:subClassOf, which SHACL follows in the data graph).

pyshacl runs with the patches of cakg.build.pyshacl_patches applied for the run: the same
results, faster (memoised), and, for per-file units, only the targets a unit is home to.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from pyshacl import validate as shacl_validate
from pyshacl.errors import ReportableRuntimeError, ValidationFailure
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, SH
from rdflib.term import Node

from cakg.build.pyshacl_patches import (
    memoised,
    rdflib_literal_conversions,
    targets_within,
    use_rdflib_literal_conversions,
)
from cakg.errors import InputError
from cakg.namespaces import shorten

SEVERITY_NAMES = {SH.Violation: "Violation", SH.Warning: "Warning", SH.Info: "Info"}


@dataclass(frozen=True)
class Finding:
    """One validation result: what is wrong, where, and which file said it."""

    severity: str
    focus: str
    path: str | None
    value: str | None
    message: str
    shape: str | None
    constraint: str | None
    files: tuple[str, ...] = ()


@dataclass
class Report:
    """The outcome of a validation run."""

    conforms: bool
    findings: list[Finding] = field(default_factory=list)
    results_graph: Graph = field(default_factory=Graph)
    skipped: bool = False  # True when the build was told not to validate

    @property
    def violations(self) -> int:
        return sum(1 for f in self.findings if f.severity == "Violation")

    def counts(self) -> dict[str, int]:
        counts = {"Violation": 0, "Warning": 0, "Info": 0}
        for f in self.findings:
            counts[f.severity] = counts.get(f.severity, 0) + 1
        return counts

    def summary(self) -> str:
        c = self.counts()
        state = "conforms" if self.conforms else "does not conform"
        return f"{state}: {c['Violation']} violations, {c['Warning']} warnings, {c['Info']} infos"

    def to_text(self) -> str:
        lines = [f"SHACL validation: {self.summary()}"]
        for i, f in enumerate(self.findings, 1):
            lines.append("")
            lines.append(f"{i}. {f.severity}: {f.message}")
            lines.append(f"   focus node: {f.focus}")
            if f.path:
                lines.append(f"   path:       {f.path}")
            if f.value:
                lines.append(f"   value:      {f.value}")
            if f.shape:
                lines.append(f"   shape:      {f.shape}")
            if f.constraint:
                lines.append(f"   constraint: {f.constraint}")
            lines.append(f"   asserted in: {', '.join(f.files) if f.files else '(unknown)'}")
        return "\n".join(lines) + "\n"

    def to_json(self) -> str:
        body = {
            "conforms": self.conforms,
            "counts": self.counts(),
            "results": [f.__dict__ | {"files": list(f.files)} for f in self.findings],
        }
        return json.dumps(body, indent=2, ensure_ascii=False) + "\n"

    def to_turtle(self) -> str:
        return self.results_graph.serialize(format="turtle")


def validate_graph(
    data: Graph,
    shapes: Graph,
    ontology: Graph | None = None,
    asserted_by: Mapping[Node, set[str]] | None = None,
) -> Report:
    """Validate `data` against `shapes`; the `ontology`'s triples are there for the shapes to
    read (classes, term declarations, concepts), not inferred from."""
    with memoised():
        conforms, results = _pyshacl(data, shapes, ontology)
    files_of = asserted_by or {}
    findings = findings_of(results, lambda focus: tuple(sorted(files_of.get(focus, set()))))
    return Report(conforms, sort_findings(f for f, _ in findings), results)


def _pyshacl(data: Graph, shapes: Graph, ontology: Graph | None) -> tuple[bool, Graph]:
    """pyshacl as cakg runs it: the data plus the ontology, no inference, SHACL-AF, warnings
    allowed. The caller's graphs are not changed (the two are copied into one graph)."""
    graph = Graph()
    graph += data
    if ontology is not None:
        graph += ontology
    try:
        conforms, results, _text = shacl_validate(
            graph,
            shacl_graph=shapes,
            inference="none",
            advanced=True,
            allow_warnings=True,
            inplace=True,
        )
    except ReportableRuntimeError as e:  # a shape pyshacl cannot load (ShapeLoadError...)
        raise _unusable_shapes(e) from None
    if isinstance(results, ValidationFailure):  # one it loaded but cannot run
        raise _unusable_shapes(results)
    assert isinstance(results, Graph)
    return bool(conforms), results


def _unusable_shapes(error: ReportableRuntimeError) -> InputError:
    """A user's error in shapes/ (pyshacl's message says which shape or query), not a bug."""
    # pyshacl's message may repeat itself after the error's class name, and end with a link
    first = re.split(r"[A-Za-z]+Error: ", str(error.message).splitlines()[0])[0]
    message = first.strip() or str(error.message)
    return InputError(f"shapes/: pyshacl cannot run the shapes: {message}")


class _IllTypedLiterals(logging.Filter):
    """rdflib's log record (with a traceback) for a literal its datatype cannot read."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Failed to convert Literal lexical form")


_ILL_TYPED = _IllTypedLiterals()


@contextlib.contextmanager
def literals_read_alike() -> Iterator[None]:
    """While the data is converted and validated: every literal read with rdflib's own lexical
    conversions (owlrl, once it has reasoned in a process, reads gYears and gYearMonths, and a
    second build's validation in that process found more literals ill-typed than the first:
    pyshacl_patches.rdflib_literal_conversions), and rdflib's logged traceback for a literal its
    datatype cannot read ("2024-02-30"^^xsd:date) dropped: the shapes report each one as a
    violation naming its node and file, which is the message people need. (A validation worker
    process does both for its whole life: cakg.build.validate_parallel.)"""
    logger = logging.getLogger("rdflib.term")
    logger.addFilter(_ILL_TYPED)
    try:
        with rdflib_literal_conversions():
            yield
    finally:
        logger.removeFilter(_ILL_TYPED)


def read_literals_alike_for_good() -> None:
    """As literals_read_alike, for the rest of the process: in a validation worker."""
    logging.getLogger("rdflib.term").addFilter(_ILL_TYPED)
    use_rdflib_literal_conversions()


def findings_of(
    results: Graph, files_of: Callable[[Node], tuple[str, ...]]
) -> list[tuple[Finding, Node]]:
    """Each sh:ValidationResult of a pyshacl results graph as a Finding, with its result node."""
    findings = []
    for result in results.subjects(RDF.type, SH.ValidationResult):
        focus = results.value(result, SH.focusNode)
        files = files_of(focus) if focus is not None else ()
        finding = Finding(
            severity=_severity(results.value(result, SH.resultSeverity)),
            focus=_show(focus) or "(none)",
            path=_show(results.value(result, SH.resultPath)),
            value=_show(results.value(result, SH.value)),
            message=_message(results, result),
            shape=_show(results.value(result, SH.sourceShape)),
            constraint=_show(results.value(result, SH.sourceConstraintComponent)),
            files=files,
        )
        findings.append((finding, result))
    return findings


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Distinct findings in report order: by file, focus node, path, message, then the rest."""
    return sorted(set(findings), key=_order)


def _order(f: Finding) -> tuple[Any, ...]:
    return (
        f.files,
        f.focus,
        f.path or "",
        f.message,
        f.value or "",
        f.shape or "",
        f.constraint or "",
        f.severity,
    )


def validate_focus(
    data: Graph, shapes: Graph, ontology: Graph | None, focus: Collection[Node]
) -> tuple[bool, Graph]:
    """Validate as validate_graph does, but only the targets in `focus`; the rest is context.

    Every node in `focus` is validated exactly as in a whole-graph run provided `data` holds all
    the triples its result depends on; the nodes outside `focus` are not validated at all.
    """
    with memoised(), targets_within(focus):
        return _pyshacl(data, shapes, ontology)


def _severity(term: Node | None) -> str:
    return SEVERITY_NAMES.get(term, "Violation") if isinstance(term, URIRef) else "Violation"


def _message(results: Graph, result: Node) -> str:
    messages = [str(m) for m in results.objects(result, SH.resultMessage)]
    english = [
        str(m)
        for m in results.objects(result, SH.resultMessage)
        if isinstance(m, Literal) and m.language in (None, "en")
    ]
    return (english or messages or ["(no message)"])[0]


def _show(term: Node | None) -> str | None:
    if term is None:
        return None
    if isinstance(term, URIRef):
        return shorten(str(term))
    if isinstance(term, Literal):
        return term.n3()
    return f"_:{term}"
