"""Publish the compiled dataset into a SPARQL 1.1 store, so that `cakg serve --store` fronts it.

The steps (a reader never sees half a release; the store's requests go through cakg.store.client,
the release graph readers go by is cakg.store.release_graph's):

1. upload: the build's N-Quads go up in chunks of CHUNK_LINES lines, WORKERS requests in flight
   (cakg.store.upload), as the store's profile says: one Graph Store POST per graph (the
   standard path), or the whole chunk in one N-Quads POST (Oxigraph). A graph the current
   release holds with the same lines (the digests of the release graph) is not sent at all.
   Another graph the current release has is uploaded under its staged name
   `<G?release=VERSION>`; a graph it does not have goes under its own name, since readers name
   the graphs of every query from the release graph and never name it.
   Each asserted triple also goes into the new release's union graph. (Oxigraph's bulk loader,
   `?no_transaction`, halves the upload time but leaves the store in many small files that make
   queries 2-3 times slower: not used.) Each chunk done is recorded in
   `<build>/publish-state.json`, and a publish that failed resumes where it stopped. A first
   publish (no release in the store) first writes an empty release, so that readers see an
   empty store, not the partial upload;
2. check: one query counts the triples of each uploaded graph against the build (the wrong ones
   are dropped and uploaded again on the next run);
3. switch: ONE update request moves every staged graph onto its real name (MOVE), drops the graphs
   the new release no longer has, and rewrites the release graph. It does no work for the graphs
   that are new or unchanged, nor for the union graph: a first publish switches in one small
   request;
4. clean-up: CLEANUP_DELAY seconds later (engines re-read the release graph that often), the
   previous release's union graph is dropped; graphs left over by failed runs for other versions
   are dropped when a publish starts.

A reader sees the old release or the new one, never a mix, in either of two ways, by the store's
profile (cakg.store.profiles). Where one update request is one transaction read from snapshots
(Oxigraph), the switch request is all it takes. Elsewhere (Virtuoso, whose MOVE a reader was seen
to catch half done, and any store not known to be isolated), publish writes the switch mark (one
triple, cakg.store.release_graph) before the switch request and drops it after; readers ask again
any query that overlapped it, and wait while it is there. A switch cut short leaves the mark: the
next publish uploads every graph again and switches. Publishing needs the update endpoint.

Publishing the version the store already holds does nothing. A store that takes one graph per
request splits a blank node in two graphs (the union graph included) in two: publish warns then.
"""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from cakg.config import Settings
from cakg.errors import BuildMissingError, ConfigError
from cakg.release import NQUADS, dataset_dir, load_manifest
from cakg.store.client import StoreClient, dataset_params
from cakg.store.endpoints import Endpoints, store_auth
from cakg.store.release_graph import (
    ASSERTED_GRAPH,
    RELEASE_MARK,
    RELEASE_TTL,
    SWITCH_DONE,
    StoreRelease,
    read_digests,
    read_release,
    release_update,
    release_updates,
    staged_name,
    switch_mark,
)
from cakg.store.response import StoreError, StoreUnreachable
from cakg.store.upload import ChunkUpload, Progress, QuadChunks

STATE_FILE = "publish-state.json"
QUERY_TIMEOUT = 600.0  # seconds: the release graph, the check
CHUNK_LINES = 50_000  # lines of the build's N-Quads per upload request (about 12 MB)
WORKERS = 2  # upload requests in flight at once
CLEANUP_DELAY = RELEASE_TTL  # seconds the previous union graph outlives the switch
SWITCH_OPS = 500  # operations or release lines per update request where readers wait on the mark


@dataclass
class PublishResult:
    url: str
    version: str
    published: bool  # False: the store already held this version
    profile: str = ""  # the store profile used (cakg.store.profiles)
    uploaded: list[str] = field(default_factory=list)  # graphs with triples sent by this run
    resumed: list[str] = field(default_factory=list)  # uploaded by an earlier, failed run only
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)  # as in the store's release: not sent
    warnings: list[str] = field(default_factory=list)


def publish_dataset(
    settings: Settings,
    endpoints: Endpoints,
    *,
    progress: Progress | None = None,
    transport: httpx.BaseTransport | None = None,
    workers: int = WORKERS,
) -> PublishResult:
    """Upload the current build into the store at `endpoints`, then switch to it at once."""
    manifest = load_manifest(settings)
    version = str(manifest["version"])
    nquads = dataset_dir(settings) / NQUADS
    if not nquads.is_file():
        raise BuildMissingError(f"{nquads} is missing: run `cakg build`")
    client = StoreClient(
        endpoints, profile=settings.store_profile, auth=store_auth(), transport=transport,
        connections=workers + 2,
    )  # fmt: skip
    try:
        if client.endpoints.update is None:
            raise ConfigError(
                f"publishing to {endpoints.query} needs the store's SPARQL Update endpoint for "
                "the switch: give --update URL"
            )
        current = read_release(client, QUERY_TIMEOUT) or StoreRelease("", (), False)
        result = PublishResult(endpoints.query, version, published=False)
        result.profile = client.profile.name
        state_path = settings.out / STATE_FILE
        if current.switching is not None:  # a switch was cut short: the graphs may be mixed
            result.warnings.append(
                f"a switch to version {current.switching} was cut short; every graph is "
                "uploaded again (readers wait for the switch mark to go)"
            )
            current = StoreRelease("", (), False)
            state_path.unlink(missing_ok=True)  # its chunks went to names this run won't use
        elif current.published and current.version == version:
            state_path.unlink(missing_ok=True)
            return result
        graphs = {str(g): int(n) for g, n in manifest.get("graphs", {}).items()}
        result.unchanged = []
        if current.graphs:
            result.unchanged = _unchanged(client, nquads, graphs, current)
        targets = {g: staged_name(g, version) if g in current.graphs else g for g in graphs}
        targets.update((g, g) for g in result.unchanged)
        union = staged_name(ASSERTED_GRAPH, version)
        state = _load_state(state_path, endpoints, version)
        if not state["started"]:
            if not current.published:  # readers: an empty store, not the partial upload
                client.update(release_update(""))
            ours = {*(t for g, t in targets.items() if g not in result.unchanged), union}
            client.drop_graphs([
                g for g in client.graph_names(QUERY_TIMEOUT)
                if g in ours or (RELEASE_MARK in g and g != current.union)
            ])  # fmt: skip
            state["started"] = True
            _save_state(state_path, state)
        quads = QuadChunks(nquads, targets, union, CHUNK_LINES, skip=result.unchanged)

        def record(done: list[int]) -> None:
            state["done"] = done
            _save_state(state_path, state)

        upload = ChunkUpload(client, state["done"], record, progress)
        total = math.ceil(int(manifest.get("triples", 0)) / CHUNK_LINES) + 1  # + blank nodes
        upload.run(quads.chunks(state["only"]), total, workers)
        names = {f"<{t}>".encode(): g for g, t in targets.items()}
        result.uploaded = sorted(names[n] for n in upload.sent if n in names)
        result.resumed = sorted(
            g for g, n in graphs.items()
            if n and g not in result.uploaded and g not in result.unchanged
        )  # fmt: skip
        if quads.blank_nodes and client.upload == "graph":
            result.warnings.append(
                f"{quads.blank_nodes} quads hold blank nodes, uploaded one graph per request: "
                "a blank node in two graphs (the union graph included) is two nodes in the store"
            )
        _check(client, quads.found(), state, state_path)
        result.removed = [g for g in current.graphs if g not in graphs]
        isolated = client.profile.isolated_updates
        if not isolated:  # readers ask again any query that overlaps the switch
            client.update(switch_mark(version))
        for update in _switch(
            graphs, targets, union, version, result.removed, quads.digests(), isolated
        ):
            client.update(update)
        if not isolated:
            client.update(SWITCH_DONE)
        state_path.unlink(missing_ok=True)
        result.published = True
        if current.published and current.union != union:
            time.sleep(CLEANUP_DELAY)  # engines that read the old release a moment ago
            try:
                client.drop_graphs([current.union])
            except StoreError as e:
                result.warnings.append(f"the previous union graph stays until the next run: {e}")
        return result
    except StoreUnreachable as e:  # before the switch, or the switch itself
        hint = f"{e.reason}; nothing was switched: run publish again"
        raise StoreUnreachable(e.url, hint, request=e.request) from e
    finally:
        client.close()


def _load_state(path: Path, endpoints: Endpoints, version: str) -> dict[str, Any]:
    fresh: dict[str, Any] = {
        "store": endpoints.query, "version": version, "chunk_lines": CHUNK_LINES,
        "started": False, "done": [], "only": None,
    }  # fmt: skip
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return fresh
    if any(state.get(key) != fresh[key] for key in ("store", "version", "chunk_lines")):
        return fresh
    return {**fresh, **state}


def _save_state(path: Path, state: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".tmp")
    partial.write_text(json.dumps(state, indent=1) + "\n", encoding="utf-8")
    os.replace(partial, path)


def _check(
    client: StoreClient, expected: dict[str, int], state: dict[str, Any], state_path: Path
) -> None:
    """Every uploaded graph holds as many triples as the build's; the wrong ones are dropped,
    to be uploaded again by the next run."""
    if not expected:
        return
    counts = client.query(
        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
        form="SELECT", params=dataset_params(default=(), named=tuple(expected)),
        timeout=QUERY_TIMEOUT,
    )  # fmt: skip
    found = {
        row["g"].value: int(row["n"].value)
        for row in counts.each(counts.solutions())
        if row["g"] is not None and row["n"] is not None
    }
    wrong = sorted(name for name, n in expected.items() if found.get(name, 0) != n)
    if wrong:
        client.drop_graphs(wrong)
        state.update(done=[], only=wrong)
        _save_state(state_path, state)
        raise StoreError(
            client.url,
            f"the uploaded copies of {', '.join(wrong[:10])}{' ...' if len(wrong) > 10 else ''} "
            "do not hold the build's triples; nothing was switched: run publish again to "
            "upload them again",
        )


def _unchanged(
    client: StoreClient, nquads: Path, graphs: dict[str, int], current: StoreRelease
) -> list[str]:
    """The graphs of the build that the store's release holds with the same lines."""
    digests = read_digests(client, QUERY_TIMEOUT)
    if not digests:
        return []
    build = QuadChunks(nquads, {g: g for g in graphs}, ASSERTED_GRAPH, CHUNK_LINES)
    for _chunk in build.chunks(only=[]):  # read, hash, send nothing
        pass
    new = build.digests()
    blank = {g[1:-1].decode() for g in build.blank_graphs}  # one node with the new union's
    return sorted(
        g for g in current.graphs if g in new and digests.get(g) == new[g] and g not in blank
    )


def _switch(
    graphs: dict[str, int],
    targets: dict[str, str],
    union: str,
    version: str,
    drop: list[str],
    digests: dict[str, str],
    isolated: bool,
) -> list[str]:
    """The switch: staged graphs onto their names, old ones dropped, the release rewritten. One
    update request where the store runs it as one transaction (`isolated`); elsewhere, readers
    wait on the switch mark, so it goes in requests of SWITCH_OPS operations and release lines
    (a store's compiler has its limits: Virtuoso's ran out of memory at 10^6)."""
    ops = []
    for name in sorted(graphs):
        if targets[name] != name:
            staged = f"MOVE <{targets[name]}> TO <{name}>"
            ops.append(staged if graphs[name] else f"DROP SILENT GRAPH <{name}>")
    ops += [f"DROP SILENT GRAPH <{g}>" for g in drop]
    if isolated:
        return [" ;\n".join([*ops, release_update(version, graphs, union, digests)])]
    parts = [" ;\n".join(ops[i : i + SWITCH_OPS]) for i in range(0, len(ops), SWITCH_OPS)]
    return parts + release_updates(version, graphs, union, digests, SWITCH_OPS)
