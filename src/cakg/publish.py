"""Publish the compiled dataset into a SPARQL 1.1 store, so that `cakg serve --store` fronts it.

The protocol (a reader never sees half a release):

1. stage: each named graph G of the build is uploaded as `<G?release=VERSION>` (Graph Store
   Protocol PUT of N-Triples, or `DROP SILENT GRAPH` + `INSERT DATA` by SPARQL Update when the store
   has no Graph Store endpoint). Readers never see staged graphs: the remote engine names the
   graphs of every query (default-graph-uri / named-graph-uri). Each upload is recorded in
   `<build>/publish-state.json`, so a publish that failed resumes where it stopped;
2. check: one query counts the staged triples of each graph against the build (a staged graph
   that is wrong is uploaded again on the next run);
3. union: one update fills `<urn:x-cakg:asserted?release=VERSION>` with the set union of the
   asserted graphs, copied inside the store (blank nodes keep their identity);
4. switch: ONE update request moves every staged graph onto its real name (MOVE), drops the graphs
   the new release no longer has and stale staged graphs, and rewrites the release graph
   (version, graph list, triple counts) that the remote engine reads.

The guarantee is the store's for one update request: Oxigraph (and Fuseki/TDB2, GraphDB, RDF4J)
runs it in one transaction, so readers see the old release or the new one. A store that applies
the operations of a request one by one shows a mix for the duration of the switch (the staged data
is complete by then, so that window is short). Publishing needs the update endpoint for steps 3-4.

Publishing the version the store already holds does nothing. Blank nodes are scoped to one upload
(as the Graph Store Protocol says): a blank node shared by two named graphs of the build would not
be shared in the store; the build has none, and publish warns if it ever does.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from pyoxigraph import BlankNode, RdfFormat, Triple, parse, serialize

from cakg.build import NQUADS, dataset_dir, load_manifest
from cakg.config import Settings
from cakg.engine.base import Dataset
from cakg.engine.remote import (
    ASSERTED_GRAPH,
    DCTERMS_HAS_PART,
    OWL_VERSION_INFO,
    RELEASE_GRAPH,
    VOID_TRIPLES,
    Endpoints,
    Release,
    RemoteEngine,
    StoreError,
    store_auth,
)
from cakg.errors import BuildMissingError, ConfigError
from cakg.namespaces import INFERRED_GRAPH

STATE_FILE = "publish-state.json"
HTTP_TIMEOUT = httpx.Timeout(300.0, connect=10.0)
RELEASE_MARK = "release="
ERROR_CHARS = 300

Progress = Callable[[str, int, int], None]  # graph IRI, graphs done, graphs in all


@dataclass
class PublishResult:
    url: str
    version: str
    published: bool  # False: the store already held this version
    uploaded: list[str] = field(default_factory=list)
    resumed: list[str] = field(default_factory=list)  # staged by an earlier, failed run
    removed: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def staged_name(graph: str, version: str) -> str:
    """The name a graph is uploaded under before the switch."""
    return f"{graph}{'&' if '?' in graph else '?'}{RELEASE_MARK}{version}"


def publish_dataset(
    settings: Settings,
    endpoints: Endpoints,
    *,
    progress: Progress | None = None,
    transport: httpx.BaseTransport | None = None,
) -> PublishResult:
    """Upload the current build into the store at `endpoints`, then switch to it at once."""
    if endpoints.update is None:
        raise ConfigError(
            f"publishing to {endpoints.query} needs the store's SPARQL Update endpoint for the "
            "switch: give --update URL"
        )
    manifest = load_manifest(settings)
    version = str(manifest["version"])
    nquads = dataset_dir(settings) / NQUADS
    if not nquads.is_file():
        raise BuildMissingError(f"{nquads} is missing: run `cakg build`")
    auth = store_auth()
    reader = RemoteEngine(
        endpoints.query, timeout=HTTP_TIMEOUT.read or 300.0,
        fallback=Release("", (), False), auth=auth, transport=transport,
    )  # fmt: skip
    client = httpx.Client(auth=auth, transport=transport, timeout=HTTP_TIMEOUT)
    try:
        current = reader.release()
        result = PublishResult(endpoints.query, version, published=False)
        state_path = settings.out / STATE_FILE
        if current.published and current.version == version:
            state_path.unlink(missing_ok=True)
            return result
        graphs = _split(nquads)
        for name in manifest.get("graphs", {}):
            graphs.setdefault(name, [])
        result.warnings += _shared_blank_nodes(graphs)
        state = _load_state(state_path, endpoints, version)
        names = sorted(graphs)
        for done, name in enumerate(names, start=1):
            if name in state["uploaded"]:
                result.resumed.append(name)
            else:
                _upload(client, endpoints, staged_name(name, version), graphs[name])
                state["uploaded"].append(name)
                _save_state(state_path, state)
                result.uploaded.append(name)
            if progress is not None:
                progress(name, done, len(names))
        _check_staged(reader, graphs, version, state, state_path)
        _stage_union(client, endpoints, names, version)
        stale = [g for g in reader.store_graphs() if RELEASE_MARK in g and not g.endswith(version)]
        result.removed = [g for g in current.graphs if g not in graphs] if current.published else []
        _update(client, endpoints, _switch(graphs, version, result.removed + stale))
        state_path.unlink(missing_ok=True)
        result.published = True
        return result
    finally:
        client.close()
        reader.close()


def _split(nquads: Path) -> dict[str, list[Triple]]:
    """The build's triples by named graph (the build writes nothing in the default graph)."""
    graphs: dict[str, list[Triple]] = {}
    for quad in parse(path=str(nquads), format=RdfFormat.N_QUADS):
        graphs.setdefault(str(quad.graph_name.value), []).append(quad.triple)
    return graphs


def _shared_blank_nodes(graphs: dict[str, list[Triple]]) -> list[str]:
    owner: dict[str, str] = {}
    shared: set[str] = set()
    for name, triples in graphs.items():
        for t in triples:
            for term in (t.subject, t.object):
                if isinstance(term, BlankNode) and owner.setdefault(term.value, name) != name:
                    shared.add(term.value)
    if not shared:
        return []
    return [
        f"{len(shared)} blank nodes occur in more than one named graph: each graph is uploaded "
        "on its own, so the store will hold them as different blank nodes"
    ]


def _load_state(path: Path, endpoints: Endpoints, version: str) -> dict[str, Any]:
    fresh: dict[str, Any] = {"store": endpoints.query, "version": version, "uploaded": []}
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return fresh
    if state.get("store") != endpoints.query or state.get("version") != version:
        return fresh
    return state  # type: ignore[no-any-return]


def _save_state(path: Path, state: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".tmp")
    partial.write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")
    os.replace(partial, path)


def _upload(client: httpx.Client, endpoints: Endpoints, name: str, triples: list[Triple]) -> None:
    body = serialize(triples, format=RdfFormat.N_TRIPLES) or b""
    if endpoints.gsp is not None:
        _send(
            client, "PUT", endpoints.gsp, params={"graph": name}, content=body,
            headers={"Content-Type": "application/n-triples"},
        )  # fmt: skip
        return
    text = body.decode("utf-8")
    insert = f"INSERT DATA {{ GRAPH <{name}> {{\n{text}}} }}"
    _update(client, endpoints, f"DROP SILENT GRAPH <{name}> ;\n{insert}")


def _update(client: httpx.Client, endpoints: Endpoints, update: str) -> None:
    assert endpoints.update is not None
    _send(
        client, "POST", endpoints.update, content=update.encode("utf-8"),
        headers={"Content-Type": "application/sparql-update"},
    )  # fmt: skip


def _send(client: httpx.Client, method: str, url: str, **options: Any) -> None:
    try:
        response = client.request(method, url, **options)
    except httpx.TransportError as e:
        raise StoreError(url, f"unreachable ({e}); nothing was switched: run publish again") from e
    status = response.status_code
    if status < 400:
        return
    if status in (401, 403):
        message = (
            f"{response.reason_phrase}: set CAKG_STORE_TOKEN, or CAKG_STORE_USER and "
            "CAKG_STORE_PASSWORD, to credentials that may write"
        )
    else:
        message = response.text.strip()[:ERROR_CHARS] or response.reason_phrase
    raise StoreError(f"{url} ({method})", message, status)


def _check_staged(
    reader: RemoteEngine,
    graphs: dict[str, list[Triple]],
    version: str,
    state: dict[str, Any],
    state_path: Path,
) -> None:
    """Every staged graph holds as many triples as the build's; a wrong one is forgotten."""
    staged = {staged_name(g, version): g for g, triples in graphs.items() if triples}
    if not staged:
        return
    counts = reader.query(
        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
        dataset=Dataset(default_graphs=(), named_graphs=tuple(staged)),
    )
    found = {str(g): int(n) for g, n in counts.rows}  # type: ignore[call-overload]
    wrong = [g for name, g in staged.items() if found.get(name, 0) != len(set(graphs[g]))]
    if wrong:
        state["uploaded"] = [g for g in state["uploaded"] if g not in wrong]
        _save_state(state_path, state)
        raise StoreError(
            reader.url,
            f"the staged copies of {', '.join(wrong)} do not hold the build's triples; nothing "
            "was switched: run publish again to upload them again",
        )


def _stage_union(
    client: httpx.Client, endpoints: Endpoints, names: list[str], version: str
) -> None:
    union = staged_name(ASSERTED_GRAPH, version)
    asserted = " ".join(f"<{staged_name(g, version)}>" for g in names if g != str(INFERRED_GRAPH))
    _update(
        client,
        endpoints,
        f"DROP SILENT GRAPH <{union}> ;\n"
        f"INSERT {{ GRAPH <{union}> {{ ?s ?p ?o }} }} "
        f"WHERE {{ VALUES ?g {{ {asserted} }} GRAPH ?g {{ ?s ?p ?o }} }}",
    )


def _switch(graphs: dict[str, list[Triple]], version: str, drop: list[str]) -> str:
    """One update request: staged graphs onto their names, old ones dropped, release rewritten."""
    ops = []
    for name in sorted(graphs):
        if graphs[name]:
            ops.append(f"MOVE <{staged_name(name, version)}> TO <{name}>")
        else:
            ops.append(f"DROP SILENT GRAPH <{name}>")
    ops.append(f"MOVE <{staged_name(ASSERTED_GRAPH, version)}> TO <{ASSERTED_GRAPH}>")
    ops += [f"DROP SILENT GRAPH <{g}>" for g in drop]
    now = datetime.now(UTC).isoformat(timespec="seconds")
    release = [
        f'<{RELEASE_GRAPH}> <{OWL_VERSION_INFO}> "{version}" .',
        f'<{RELEASE_GRAPH}> <http://purl.org/dc/terms/modified> "{now}"'
        "^^<http://www.w3.org/2001/XMLSchema#dateTime> .",
    ]
    for name in sorted(graphs):
        release.append(f"<{RELEASE_GRAPH}> <{DCTERMS_HAS_PART}> <{name}> .")
        release.append(
            f'<{name}> <{VOID_TRIPLES}> "{len(set(graphs[name]))}"'
            "^^<http://www.w3.org/2001/XMLSchema#integer> ."
        )
    ops.append(f"DROP SILENT GRAPH <{RELEASE_GRAPH}>")
    ops.append(f"INSERT DATA {{ GRAPH <{RELEASE_GRAPH}> {{\n" + "\n".join(release) + "\n} }")
    return " ;\n".join(ops)
