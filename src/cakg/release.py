"""A release: the compiled dataset the build writes and the serving side reads.

The release is the one seam between the two wings: the build (cakg.build) writes releases;
the engine, the web app, publish, stats and the CLI's serving side find everything they need
about a build here, and never import the build. Layout of the build directory:

    build/releases/<id>/   cakg.nq, cakg.trig, cakg.ttl (and .gz), manifest.json, docs,
                           search-index.json (the entities by label, for cakg.search),
                           queries/ (the saved queries it was built with),
                           oxigraph/ (the engine's on-disk store, when the settings use one)
    build/current          a symlink to the release being served (switched atomically)
    build/failed-build.json  the last build's error, until a build succeeds

A release folder never changes once `current` has pointed at it, except that a rebuild with
byte-identical dumps may replace its docs and manifest (each by one atomic rename).

**In use.** A process that serves a release holds a shared lock (flock) on its folder for as
long as it may read it: `Release.open_current` takes it, `Release.close` (or the last process
holding the inherited descriptor, when it exits) lets it go. The build removes an old release
only when it gets the exclusive lock (`remove_unused`), so a release being served is never
pruned under its server, and one whose server was killed is.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from cakg.config import Settings
from cakg.errors import BuildMissingError

CURRENT = "current"
RELEASES = "releases"
MANIFEST = "manifest.json"
NQUADS = "cakg.nq"
TRIG = "cakg.trig"
TURTLE = "cakg.ttl"  # the union of every named graph, inferred included
DUMPS = (NQUADS, TRIG, TURTLE)
ONTOLOGY_DOCS = "ontology.html"
SHAPES_DOCS = "shapes.html"
SEARCH_INDEX = "search-index.json"  # entities, labels, classes, degrees (cakg.build.search_index)
QUERIES = "queries"  # the saved queries (*.rq) the release was built with
STORE = "oxigraph"  # the engine's on-disk store (pyoxigraph), when the settings asked for one
# The engine's store holds the named graphs of the N-Quads; and, when some triple is in two of
# them, a copy of the asserted triples in its default graph, where a copy is kept once (the union
# of named graphs is a bag in pyoxigraph: see engine/oxigraph_store.py). This asks for that case.
SHARED_TRIPLE = "ASK { GRAPH ?g { ?s ?p ?o } GRAPH ?h { ?s ?p ?o } FILTER(STR(?g) < STR(?h)) }"
FAILED_BUILD = "failed-build.json"  # beside `current`: why the last build failed
OPEN_ATTEMPTS = 5  # `current` switched (and the old release pruned) between readlink and lock


@dataclass(eq=False)
class Release:
    """One release folder, its manifest, and the lock that keeps it from being pruned."""

    path: Path  # releases/<id>, resolved
    manifest: dict[str, Any]
    _fd: int | None = field(default=None, repr=False)

    @classmethod
    def open_current(cls, settings: Settings) -> Release:
        """The release `current` points at, locked as in use until `close()`.

        BuildMissingError when there is none."""
        link = settings.out / CURRENT
        for _ in range(OPEN_ATTEMPTS):
            try:
                path = link.resolve(strict=True)
            except (FileNotFoundError, RuntimeError):
                break
            try:
                return cls.open(path)
            except FileNotFoundError:  # pruned between resolve and lock: read `current` again
                continue
        raise no_release(settings)

    @classmethod
    def open(cls, path: Path) -> Release:
        """The release in `path`, locked as in use. FileNotFoundError when it is not there (or
        is being removed)."""
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:  # the build is removing it
                raise FileNotFoundError(path) from None
            manifest = _read_manifest(path)  # FileNotFoundError: removed before we locked it
        except BaseException:
            os.close(fd)
            raise
        return cls(path, manifest, fd)

    @property
    def id(self) -> str:
        """The folder's name: the version, or `<version>-<n>` for a second release of it."""
        return self.path.name

    @property
    def version(self) -> str:
        return str(self.manifest["version"])

    @property
    def built(self) -> datetime | None:
        built = self.manifest.get("built")
        return datetime.fromisoformat(built) if built else None

    @property
    def nquads(self) -> Path:
        return self.path / NQUADS

    @property
    def queries(self) -> Path:
        """The folder of the saved queries this release was built with."""
        return self.path / QUERIES

    def file(self, name: str) -> Path:
        """A file of the release (a dump, its .gz, a docs page), by name."""
        return self.path / name

    def reread(self) -> Release:
        """This release with its manifest read again (a same-version rebuild replaces it)."""
        return Release(self.path, _read_manifest(self.path), self._fd)

    def close(self) -> None:
        """No longer in use by this process (a forked child holding the lock keeps it)."""
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)


def _read_manifest(path: Path) -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    return manifest


def no_release(settings: Settings) -> BuildMissingError:
    """The error for a build directory that holds no release yet."""
    return BuildMissingError(f"no compiled dataset in {settings.out}: run `cakg build` first")


def current_id(settings: Settings) -> str:
    """The id of the release `current` points at ("" when none): one readlink, no lock."""
    try:
        return Path(os.readlink(settings.out / CURRENT)).name
    except OSError:
        return ""


def dataset_dir(settings: Settings) -> Path:
    """The directory of the current compiled dataset (a symlink into releases/)."""
    return settings.out / CURRENT


def load_manifest(settings: Settings) -> dict[str, Any]:
    """The manifest of the current build; BuildMissingError when there is none."""
    try:
        return _read_manifest(dataset_dir(settings))
    except FileNotFoundError:
        raise no_release(settings) from None


def remove_unused(releases: Path, keep: set[str]) -> list[str]:
    """Remove the releases not in `keep` that no process uses; the ids of those kept in use."""
    in_use = []
    for path in sorted(releases.iterdir()):
        if not path.is_dir() or path.is_symlink() or path.name in keep:
            continue
        try:
            fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except FileNotFoundError:
            continue
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                in_use.append(path.name)
                continue
            # the manifest first: a reader that locks after us finds no release here
            with contextlib.suppress(FileNotFoundError):
                (path / MANIFEST).unlink()
            shutil.rmtree(path, ignore_errors=True)
        finally:
            os.close(fd)
    return in_use


def failed_build(settings: Settings) -> dict[str, Any] | None:
    """The record of the last build when it failed (None when it did not): `error` (the code),
    `message`, `file`, `line`, `column` (None when unknown), `failed` (ISO time) and `serving`
    (the version `current` held then). For the serving side: it reads no other build state."""
    path = settings.out / FAILED_BUILD
    try:
        record: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as e:  # written by one atomic rename: not expected
        return {"error": "unreadable", "message": f"{path}: {e}", "file": None, "line": None}
    return record
