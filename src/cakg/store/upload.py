"""A release's N-Quads uploaded into a store: in chunks, a few requests in flight, resumable.

- QuadChunks reads the release's N-Quads file and cuts it into chunks, each quad under the name
  it is uploaded under (staged or its own, see cakg.store.release_graph) and each asserted
  triple also in the union graph (the store keeps a triple once per graph). It counts the
  triples of each name (for the check) and hashes each graph's lines (the digests the release
  graph records). Blank nodes are scoped to one request (as the Graph Store Protocol says), so
  the quads holding blank nodes all go in the last chunk: each stays one node, in its graphs and
  in the union graph (unless the store takes one graph per request).
- ChunkUpload sends the chunks through StoreClient.add_quads, `workers` requests at a time,
  skipping those an earlier run sent; requests only add triples, so a chunk sent twice changes
  nothing (but for blank nodes).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from concurrent.futures import ALL_COMPLETED, FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path

from cakg.errors import BuildMissingError
from cakg.namespaces import INFERRED_GRAPH
from cakg.store.client import StoreClient

Progress = Callable[[str, int, int], None]  # what was uploaded, chunks done, chunks in all
Chunk = list[tuple[bytes, bytes]]  # quads (cakg.store.client.Quads) sent in one request


class QuadChunks:
    """A release's N-Quads, `chunk_lines` lines at a time, each quad under the name it is uploaded
    under and each asserted triple also in the union graph; counts each name as it goes."""

    def __init__(
        self,
        nquads: Path,
        targets: dict[str, str],
        union: str,
        chunk_lines: int,
        skip: list[str] | None = None,
    ) -> None:
        self.nquads = nquads
        self.chunk_lines = chunk_lines
        self.names = {f"<{g}>".encode(): f"<{t}>".encode() for g, t in targets.items()}
        self.skip = {f"<{g}>".encode() for g in skip or ()}  # in the store already
        self.hashes = {graph: hashlib.sha256() for graph in self.names}
        self.union = f"<{union}>".encode()
        self.counts: dict[bytes, int] = {}
        self.ordered = True  # sorted lines: each triple's quads are next to each other
        self.blank_nodes = 0  # quads with a blank node (or "_:" in a literal), all in one chunk
        self.blank_graphs: set[bytes] = set()

    def chunks(self, only: list[str] | None) -> Iterator[Chunk]:
        """Every chunk (empty where `only` leaves nothing of it to send); the quads holding blank
        nodes go last, in one chunk, so that each blank node stays one node."""
        wanted = None if only is None else {f"<{g}>".encode() for g in only}
        inferred = f"<{INFERRED_GRAPH}>".encode()
        previous = last_asserted = b""
        blank: Chunk = []
        with self.nquads.open("rb") as lines:
            chunk: Chunk = []
            number = 0
            for number, line in enumerate(lines, start=1):
                if line != previous:
                    self.ordered = self.ordered and line > previous
                    previous = line
                    head, _, graph = line.rstrip(b"\n").removesuffix(b" .").rpartition(b" ")
                    name = self.names.get(graph)
                    if name is None:
                        raise BuildMissingError(
                            f"{self.nquads}:{number}: a quad outside the build's named graphs: "
                            "run `cakg build --force`"
                        )
                    self.counts[name] = self.counts.get(name, 0) + 1
                    self.hashes[graph].update(line)
                    into = chunk
                    if b"_:" in head:
                        self.blank_nodes += 1
                        self.blank_graphs.add(graph)
                        into = blank
                    if (wanted is None or name in wanted) and graph not in self.skip:
                        into.append((head, name))
                    if graph != inferred and head != last_asserted:
                        last_asserted = head
                        self.counts[self.union] = self.counts.get(self.union, 0) + 1
                        if wanted is None or self.union in wanted:
                            into.append((head, self.union))
                if number % self.chunk_lines == 0:
                    yield chunk
                    chunk = []
            if number % self.chunk_lines:
                yield chunk
        yield blank

    def digests(self) -> dict[str, str]:
        """The SHA-256 of each graph's lines, once they are all read."""
        return {graph[1:-1].decode(): h.hexdigest() for graph, h in self.hashes.items()}

    def found(self) -> dict[str, int]:
        """The triples of each name uploaded (the union's when the build is sorted)."""
        counts = {n[1:-1].decode(): c for n, c in self.counts.items()}
        if not self.ordered:
            counts.pop(self.union[1:-1].decode(), None)
        return counts


class ChunkUpload:
    """Chunks sent `workers` requests at a time, but those done before; `record` is given the
    chunks done after each wait (to be resumed from), `progress` each chunk done."""

    def __init__(
        self,
        client: StoreClient,
        done: list[int],
        record: Callable[[list[int]], None],
        progress: Progress | None,
    ) -> None:
        self.client, self.record, self.progress = client, record, progress
        self.done: set[int] = set(done)
        self.sent: set[bytes] = set()  # the names this run sent triples to

    def run(self, chunks: Iterator[Chunk], total: int, workers: int) -> None:
        """Send every chunk not done yet; the first failure once the requests in flight end."""
        pending: dict[Future[None], int] = {}
        failure: BaseException | None = None
        with ThreadPoolExecutor(workers, thread_name_prefix="cakg-upload") as pool:
            for index, chunk in enumerate(chunks):
                if index in self.done or not chunk:
                    self.done.add(index)
                    self._advance(total)
                    continue
                self.sent.update(name for _, name in chunk)
                pending[pool.submit(self.client.add_quads, chunk)] = index
                if len(pending) > workers:
                    failure = self._collect(pending, total, FIRST_COMPLETED)
                if failure is not None:
                    break
            failure = self._collect(pending, total, ALL_COMPLETED) or failure
        if failure is not None:
            raise failure

    def _collect(
        self, pending: dict[Future[None], int], total: int, when: str
    ) -> BaseException | None:
        """Wait for requests in flight; record the chunks done; the first failure, if any."""
        finished, _ = wait(pending, return_when=when)
        failure = None
        for future in finished:
            index = pending.pop(future)
            error = future.exception()
            if error is None:
                self.done.add(index)
                self._advance(total)
            failure = failure or error
        self.record(sorted(self.done))
        return failure

    def _advance(self, total: int) -> None:
        if self.progress is not None:
            done = len(self.done)
            self.progress("chunk", done, max(total, done))
