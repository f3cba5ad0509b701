"""Find the project's RDF source files (and name the graph each one lands in) and its saved
queries."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from rdflib import URIRef

from cakg.errors import InputError
from cakg.namespaces import GRAPH, ONTOLOGY_GRAPH, REFERENCE_GRAPH, SHAPES_GRAPH

RDF_SUFFIXES = {".ttl": "turtle", ".trig": "trig"}


class Kind(StrEnum):
    ONTOLOGY = "ontology"
    SHAPES = "shapes"
    REFERENCE = "reference"
    SOURCE = "source"


@dataclass(frozen=True)
class SourceFile:
    """One RDF file of the project, the graph it lands in and its fingerprint."""

    path: Path
    rel: str  # path relative to the project root, with forward slashes
    kind: Kind
    graph: URIRef
    format: str  # rdflib parser name
    sha256: str

    @property
    def is_data(self) -> bool:
        """True for the files that are validated against the shapes."""
        return self.kind in (Kind.REFERENCE, Kind.SOURCE)


def graph_for(rel: str) -> tuple[Kind, URIRef]:
    """The kind and named graph of a file, from its path relative to the project root.

    ontology/** -> graph/ontology; shapes/** -> graph/shapes; graph/reference/** ->
    graph/reference; graph/sources/<slug>.ttl -> graph/sources/<slug>; any other file under
    graph/ -> graph/<path without extension>.
    """
    parts = rel.split("/")
    stem = rel.rsplit(".", 1)[0]
    if parts[0] == "ontology":
        return Kind.ONTOLOGY, ONTOLOGY_GRAPH
    if parts[0] == "shapes":
        return Kind.SHAPES, SHAPES_GRAPH
    if parts[0] == "graph" and len(parts) > 2 and parts[1] == "reference":
        return Kind.REFERENCE, REFERENCE_GRAPH
    if parts[0] == "graph":
        return Kind.SOURCE, GRAPH[stem.removeprefix("graph/")]
    raise InputError(f"{rel}: not under ontology/, shapes/ or graph/")


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def find_sources(root: Path) -> list[SourceFile]:
    """Every Turtle and TriG file under ontology/, shapes/ and graph/, in a stable order."""
    root = Path(root)
    found: list[SourceFile] = []
    for top in ("ontology", "shapes", "graph"):
        base = root / top
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*")):
            fmt = RDF_SUFFIXES.get(path.suffix.lower())
            if fmt is None or not path.is_file():
                continue
            rel = path.relative_to(root).as_posix()
            kind, graph = graph_for(rel)
            found.append(SourceFile(path, rel, kind, graph, fmt, sha256_of(path)))
    if not any(f.kind is Kind.ONTOLOGY for f in found):
        raise InputError(f"{root}: no ontology found (expected Turtle files under ontology/)")
    return found


def from_paths(paths: list[Path], root: Path) -> list[SourceFile]:
    """SourceFiles for files given on the command line (data files, validated as sources)."""
    result = []
    for p in paths:
        path = Path(p).resolve()
        if not path.is_file():
            raise InputError(f"{p}: no such file")
        fmt = RDF_SUFFIXES.get(path.suffix.lower())
        if fmt is None:
            raise InputError(f"{p}: not a Turtle (.ttl) or TriG (.trig) file")
        try:
            rel = path.relative_to(Path(root).resolve()).as_posix()
            kind, graph = graph_for(rel)
        except (ValueError, InputError):
            rel, kind, graph = str(p), Kind.SOURCE, GRAPH["files/" + path.stem]
        if kind not in (Kind.REFERENCE, Kind.SOURCE):
            kind = Kind.SOURCE
        result.append(SourceFile(path, rel, kind, graph, fmt, sha256_of(path)))
    return result


def query_files(root: Path) -> list[Path]:
    """The saved queries (queries/*.rq), described as RDF in their own named graph."""
    folder = Path(root) / "queries"
    return sorted(folder.glob("*.rq")) if folder.is_dir() else []
