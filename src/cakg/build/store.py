"""The engine's on-disk store, written into a release when the settings will serve it from disk.

`cakg build` makes it (not the server) so that `cakg serve` opens a release of 10^6 triples in
milliseconds, read-only, its pages in the OS page cache shared by every process. The layout is
the release's (cakg.release.STORE, SHARED_TRIPLE): the named graphs as in the N-Quads; and when
a triple is in two graphs, the asserted triples copied once into the default graph, as the
engine's in-memory store does (engine/oxigraph_store.py), so both answer alike
(tests/test_oxigraph_store.py).

The bulk load runs in a child process: its memory goes back to the system when it exits.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from pyoxigraph import DefaultGraph, NamedNode, Quad, RdfFormat, Store, parse

from cakg.config import Settings, resolve_storage
from cakg.errors import StoreWriteError
from cakg.namespaces import INFERRED_GRAPH
from cakg.release import NQUADS, SHARED_TRIPLE, STORE

FILL_COMMAND = "import sys; from cakg.build.store import fill_main; fill_main(*sys.argv[1:])"


def needs_store(settings: Settings, nquads: Path) -> bool:
    """True when the engine will serve this release from its on-disk store."""
    storage = resolve_storage(settings.oxigraph_storage, nquads)
    return settings.engine == "oxigraph" and storage == "disk"


def write_store(release: Path) -> None:
    """Write the on-disk store of the release being written in `release` (from its N-Quads)."""
    try:
        subprocess.run(  # noqa: S603 (a fixed argv, no shell)
            [sys.executable, "-c", FILL_COMMAND, str(release / STORE), str(release / NQUADS)],
            check=True,
            stdin=subprocess.DEVNULL,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)},
        )
    except subprocess.CalledProcessError as e:
        raise StoreWriteError(
            f"cannot write the on-disk store of {release / NQUADS} "
            f"(exit status {e.returncode}); the error is above"
        ) from e


def fill_main(folder: str, nquads: str) -> None:
    """The child process of write_store."""
    store = Store(folder)
    store.bulk_load(path=nquads, format=RdfFormat.N_QUADS)
    if store.query(SHARED_TRIPLE):
        inferred = str(INFERRED_GRAPH)
        default = DefaultGraph()
        store.bulk_extend(
            Quad(q.subject, q.predicate, q.object, default)
            for q in parse(path=nquads, format=RdfFormat.N_QUADS)
            if not (isinstance(q.graph_name, NamedNode) and q.graph_name.value == inferred)
        )
    store.flush()
    store.optimize()
