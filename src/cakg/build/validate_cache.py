"""The per-file validation cache: each data file's index and each unit's findings, on disk.

Under <build>/validate-cache/: `index-<key>.pickle` (a data file's FileIndex) and
`unit-<key>.json` (a unit's findings, with their result triples). The keys are the sha256 of
what decides the content: the validator's code (these modules, the parser's: load.py, terms.py)
and the versions of pyshacl, rdflib, owlrl and pyoxigraph (code_key); then, for an index, the
file and the names of the data graphs; for a unit, its files, its home IRIs, the files it pulls
triples from and the context it imports (unit_key). Files are written by one atomic rename of a
`.<name>.<pid>.tmp` (which the build sweeps when its writer is gone); entries no key names any
more are pruned after each run.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path
from typing import Any

from rdflib import URIRef
from rdflib.term import Node

from cakg.build.sources import Kind, SourceFile
from cakg.build.validate import Finding

CACHE = "validate-cache"
# The modules whose code decides the findings (relative to the cakg package).
CODE = (
    "build/validate.py",
    "build/pyshacl_patches.py",
    "build/validate_units.py",
    "build/validate_parallel.py",
    "build/validate_cache.py",
    "build/load.py",
    "terms.py",
)
Outcome = list[tuple[Finding, Node | None, list[str]]]  # finding, focus IRI (for files), result


def digest(*parts: str) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode("utf-8") + b"\n")
    return h.hexdigest()


def code_key(files: Iterable[SourceFile]) -> str:
    """The validator's code and versions, and the ontology, shapes and reference files."""
    package = Path(__file__).parents[1]
    parts = [(package / name).read_text(encoding="utf-8") for name in CODE]
    libraries = ("pyshacl", "rdflib", "owlrl", "pyoxigraph")  # pyoxigraph parses the files
    parts += [f"{lib} {metadata.version(lib)}" for lib in libraries]
    parts += [f"{f.rel}\0{f.sha256}" for f in files if f.kind is not Kind.SOURCE]
    return digest(*parts)


def unit_key(
    code: str,
    files: Iterable[SourceFile],
    home: Iterable[str],
    pulls: Iterable[tuple[SourceFile, frozenset[str]]],
    context: Iterable[str],
) -> str:
    """A unit's key: its files, home IRIs, the files it pulls from (with the subjects it pulls)
    and its context triples (as text, blank nodes unlabelled)."""
    return digest(
        code,
        "unit",
        *(f"{f.rel}\0{f.sha256}" for f in files),
        *sorted(home),
        *(f"{f.rel}\0{f.sha256}\0{' '.join(sorted(ss))}" for f, ss in pulls),
        *sorted(context),
    )


# --- the index of each data file ------------------------------------------------------------


def index_names(code: str, files: Iterable[SourceFile], graphs: Iterable[str]) -> dict[str, str]:
    """The index cache file name of each file (by its `rel`): they depend on the set of data
    graphs, digested once (hashing every graph name per file is quadratic)."""
    names = digest(*sorted(graphs))
    return {f.rel: f"index-{digest(code, 'index', f.rel, f.sha256, names)}.pickle" for f in files}


def read_index(path: Path) -> Any | None:
    """A cached index (None when there is none)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    return pickle.loads(data)  # noqa: S301 (the build's own cache)


def write_index(path: Path, index: object) -> None:
    write_atomic(path, pickle.dumps(index))


def prune_indexes(cache_dir: Path, keep: set[str]) -> None:
    """Remove the indexes of files that changed or are gone."""
    if cache_dir.is_dir():
        for old in cache_dir.glob("index-*.pickle"):
            if old.name not in keep:
                old.unlink(missing_ok=True)


# --- the findings of each unit --------------------------------------------------------------


def outcome_name(key: str) -> str:
    return f"unit-{key}.json"


def read_outcome(cache_dir: Path | None, key: str) -> Outcome | None:
    if cache_dir is None:
        return None
    path = cache_dir / outcome_name(key)
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None
    return [
        (
            Finding(**{**f["finding"], "files": tuple(f["finding"]["files"])}),
            URIRef(f["focus"]) if f["focus"] else None,
            f["result"],
        )
        for f in body
    ]


def write_outcome(cache_dir: Path, key: str, outcome: Outcome) -> None:
    body = [
        {
            "finding": f.__dict__ | {"files": list(f.files)},
            "focus": str(focus) if focus else None,
            "result": lines,
        }
        for f, focus, lines in outcome
    ]
    write_atomic(cache_dir / outcome_name(key), json.dumps(body, ensure_ascii=False).encode())


def prune_outcomes(cache_dir: Path, keep: set[str]) -> None:
    """Remove the findings of units that no longer exist (their key changed)."""
    for path in cache_dir.glob("unit-*.json"):
        if path.name not in keep:
            path.unlink(missing_ok=True)


def write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
