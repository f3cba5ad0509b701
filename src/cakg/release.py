"""A release: the compiled dataset the build writes and the serving side reads.

The release is the one seam between the two wings: the build (cakg.build) writes releases;
the engine, the web app, publish, stats and the CLI's serving side find everything they need
about a build here, and never import the build. Layout of the build directory:

    build/releases/<version>/   cakg.nq, cakg.trig, cakg.ttl (and .gz), manifest.json, docs
    build/current               a symlink to the release being served (switched atomically)
    build/failed-build.json     the last build's error, until a build succeeds
"""

from __future__ import annotations

import json
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
FAILED_BUILD = "failed-build.json"  # beside `current`: why the last build failed


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
