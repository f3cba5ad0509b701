"""The release graph: how a release published into a store is recorded there and found again.

`cakg publish` writes it (`release_update`, in the same update request as the switch) and the
remote engine reads it (`ReleaseReader`). One small named graph, RELEASE_GRAPH:

    <urn:x-cakg:release> owl:versionInfo "VERSION" ;     the release the store serves
        dcterms:modified "..."^^xsd:dateTime ;
        <urn:x-cakg:unionGraph> <UNION> ;               the set union of the asserted graphs
        dcterms:hasPart <G1>, <G2> .                     the release's named graphs
    <G1> void:triples "N"^^xsd:integer ;                 each graph's triple count
        <urn:x-cakg:sha256> "HEX" .                      the SHA-256 of its lines in the build

- A release graph whose version is "" is the empty release a first publish writes before it
  uploads: readers see an empty store, not the partial upload.
- A graph holding blank nodes has no digest: its nodes must stay one with the new union's.
- A release published before the union graph had a name names none: it is ASSERTED_GRAPH.
- A graph is uploaded under its staged name `<G?release=VERSION>` (`staged_name`) when the
  current release holds G; the switch moves it onto G. The union graph keeps its staged name,
  the one the release graph records. Readers take every graph name from the release graph, so
  they never see a staged or internal graph.
- A store without a release graph is not a published one: the reader falls back to what it is
  given (the local build's graph list), or fails with a message saying what to run.
- Readers read the release graph again at most every RELEASE_TTL seconds; publish drops the
  previous union graph that long after a switch.
- The switch mark, for a store whose update requests readers may see half done (its profile's
  `isolated_updates` is False: Virtuoso, and any store not known to be isolated). Publish writes
  one triple into SWITCH_GRAPH before the switch request and drops it after:

    <urn:x-cakg:release> <urn:x-cakg:switchingTo> "VERSION" .

  A reader of such a store reads the release again after each query (`ReleaseReader.read_now`):
  an answer is kept only if no mark is there and the version is still the one read before the
  query (a seqlock: a query that overlapped any part of a switch is asked again). One triple
  written by one request is all or nothing in any store, so this holds without transactions.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from cakg.errors import ConfigError, QueryTimeout
from cakg.store.client import EMPTY_GRAPH, StoreClient, dataset_params

T = TypeVar("T")
RELEASE_GRAPH = "urn:x-cakg:release"  # the published release: version, graphs, counts
ASSERTED_GRAPH = "urn:x-cakg:asserted"  # the set union of the asserted graphs
UNION_GRAPH = "urn:x-cakg:unionGraph"  # release graph -> the graph holding the asserted union
DIGEST = "urn:x-cakg:sha256"  # a graph -> the SHA-256 of its lines in the build
OWL_VERSION_INFO = "http://www.w3.org/2002/07/owl#versionInfo"
DCTERMS_HAS_PART = "http://purl.org/dc/terms/hasPart"
DCTERMS_MODIFIED = "http://purl.org/dc/terms/modified"
VOID_TRIPLES = "http://rdfs.org/ns/void#triples"
XSD = "http://www.w3.org/2001/XMLSchema#"
SWITCH_GRAPH = "urn:x-cakg:switch"  # holds the switch mark while a switch is under way
SWITCHING_TO = "urn:x-cakg:switchingTo"
RELEASE_MARK = "release="  # in a staged graph's name
RELEASE_TTL = 5.0  # seconds between two reads of the release graph
SWITCH_POLL = 0.2  # seconds between two reads of the release while a switch is under way


@dataclass(frozen=True)
class StoreRelease:
    """What the store holds: a published release (from its release graph) or a plain store."""

    version: str
    graphs: tuple[str, ...]
    published: bool  # True when the store holds a release graph
    union: str = ASSERTED_GRAPH  # the graph holding the set union of the asserted graphs
    switching: str | None = None  # the version a switch under way goes to (the switch mark)

    def same(self, other: StoreRelease) -> bool:
        """True when `other`, read later, shows the same release and no switch under way."""
        return other.switching is None and (other.version, other.union) == (
            self.version,
            self.union,
        )


def staged_name(graph: str, version: str) -> str:
    """The name a graph is uploaded under before the switch."""
    return f"{graph}{'&' if '?' in graph else '?'}{RELEASE_MARK}{version}"


def read_release(client: StoreClient, timeout: float) -> StoreRelease | None:
    """The release the store's release graph records (and the switch mark, if any); None when
    it has no release graph."""
    release = f"<{RELEASE_GRAPH}>"  # its own statements only: not each graph's count and digest
    sparql = (
        f"SELECT ?p ?o WHERE {{ {{ GRAPH {release} {{ {release} ?p ?o }} }} "
        f"UNION {{ GRAPH <{SWITCH_GRAPH}> {{ {release} ?p ?o }} }} }}"
    )  # two graphs named, not VALUES ?g (Virtuoso was slower over the VALUES at 10^6)
    response = client.query(sparql, form="SELECT", timeout=timeout)
    version, graphs, union, switching = None, [], ASSERTED_GRAPH, None
    for row in response.each(response.solutions()):
        predicate, obj = row["p"], row["o"]
        if predicate is None or obj is None:
            continue
        if predicate.value == OWL_VERSION_INFO:
            version = obj.value
        elif predicate.value == DCTERMS_HAS_PART:
            graphs.append(obj.value)
        elif predicate.value == UNION_GRAPH:
            union = obj.value
        elif predicate.value == SWITCHING_TO:
            switching = obj.value
    if version == "":  # a first publish is uploading: nothing is released yet
        return StoreRelease("", (), True, EMPTY_GRAPH, switching)
    if version is not None:
        return StoreRelease(version, tuple(sorted(graphs)), True, union, switching)
    if switching is not None:  # a switch is rewriting the release graph
        return StoreRelease("", (), True, EMPTY_GRAPH, switching)
    return None


def read_state(client: StoreClient, timeout: float) -> tuple[str | None, str | None]:
    """The version the release graph records and the version a switch under way goes to (each
    None when there is none): the two triples a reader checks after each answer."""
    release, switch = f"<{RELEASE_GRAPH}>", f"<{SWITCH_GRAPH}>"
    sparql = (
        f"SELECT ?version ?switching WHERE {{ "
        f"OPTIONAL {{ GRAPH {release} {{ {release} <{OWL_VERSION_INFO}> ?version }} }} "
        f"OPTIONAL {{ GRAPH {switch} {{ {release} <{SWITCHING_TO}> ?switching }} }} }}"
    )
    response = client.query(sparql, form="SELECT", timeout=timeout)
    version = switching = None
    for row in response.each(response.solutions()):
        version = row["version"].value if row["version"] is not None else version
        switching = row["switching"].value if row["switching"] is not None else switching
    return version, switching


def switch_mark(version: str) -> str:
    """The update that marks a switch to `version` as under way (one triple: all or nothing)."""
    return (
        f"INSERT DATA {{ GRAPH <{SWITCH_GRAPH}> {{ "
        f'<{RELEASE_GRAPH}> <{SWITCHING_TO}> "{version}" }} }}'
    )


SWITCH_DONE = f"DROP SILENT GRAPH <{SWITCH_GRAPH}>"  # the update that ends a switch


def read_digests(client: StoreClient, timeout: float) -> dict[str, str]:
    """The SHA-256 of each graph's lines, as the release graph records them."""
    sparql = f"SELECT ?g ?digest WHERE {{ GRAPH <{RELEASE_GRAPH}> {{ ?g <{DIGEST}> ?digest }} }}"
    params = dataset_params(default=(), named=(RELEASE_GRAPH,))
    response = client.query(sparql, form="SELECT", params=params, timeout=timeout)
    digests = {}
    for row in response.each(response.solutions()):
        graph, digest = row["g"], row["digest"]
        if graph is not None and digest is not None:
            digests[graph.value] = digest.value
    return digests


def release_update(
    version: str,
    graphs: Mapping[str, int] | None = None,
    union: str | None = None,
    digests: Mapping[str, str] | None = None,
) -> str:
    """The update that rewrites the release graph: `version`, the triple count of each graph
    (and its digest, when known) and the union graph's name. Only a version: the empty release."""
    lines = [f'<{RELEASE_GRAPH}> <{OWL_VERSION_INFO}> "{version}" .']
    if graphs is not None:
        now = datetime.now(UTC).isoformat(timespec="seconds")
        lines.append(f'<{RELEASE_GRAPH}> <{DCTERMS_MODIFIED}> "{now}"^^<{XSD}dateTime> .')
        if union is not None:
            lines.append(f"<{RELEASE_GRAPH}> <{UNION_GRAPH}> <{union}> .")
        for name in sorted(graphs):
            lines.append(f"<{RELEASE_GRAPH}> <{DCTERMS_HAS_PART}> <{name}> .")
            lines.append(f'<{name}> <{VOID_TRIPLES}> "{graphs[name]}"^^<{XSD}integer> .')
            if digests and name in digests:
                lines.append(f'<{name}> <{DIGEST}> "{digests[name]}" .')
    return (
        f"DROP SILENT GRAPH <{RELEASE_GRAPH}> ;\n"
        f"INSERT DATA {{ GRAPH <{RELEASE_GRAPH}> {{\n" + "\n".join(lines) + "\n} }"
    )


def release_updates(
    version: str,
    graphs: Mapping[str, int],
    union: str,
    digests: Mapping[str, str],
    lines_per_request: int,
) -> list[str]:
    """`release_update` cut into requests of at most `lines_per_request` triples each (Virtuoso's
    compiler runs out of memory on one INSERT DATA of the 8,000 triples of a 10^6 release); for
    a store whose readers wait on the switch mark while they run."""
    whole = release_update(version, graphs, union, digests)
    head, _, body = whole.partition("INSERT DATA { GRAPH <" + RELEASE_GRAPH + "> {\n")
    lines = body.removesuffix("\n} }").split("\n")
    return [
        (head if start == 0 else "")
        + f"INSERT DATA {{ GRAPH <{RELEASE_GRAPH}> {{\n"
        + "\n".join(lines[start : start + lines_per_request])
        + "\n} }"
        for start in range(0, len(lines), lines_per_request)
    ]


class Deadline:
    """The time a query has left, and QueryTimeout (naming its whole limit) once it is gone."""

    def __init__(self, limit: float) -> None:
        self.limit = limit
        self.at = time.monotonic() + limit

    def left(self) -> float:
        left = self.at - time.monotonic()
        if left <= 0:
            raise QueryTimeout(self.limit)
        return left


class ReleaseReader:
    """The store's release for a reader, read again at most every RELEASE_TTL seconds."""

    def __init__(
        self, client: StoreClient, timeout: float, fallback: StoreRelease | None = None
    ) -> None:
        self._client = client
        self._timeout = timeout
        self._fallback = fallback
        self._lock = threading.Lock()
        self._release: StoreRelease | None = None
        self._read_at = 0.0
        self._pause = threading.Event()  # never set: a wait for the switch, not a busy loop

    def current(self) -> StoreRelease:
        """The release, read from the store when the last reading is older than RELEASE_TTL."""
        with self._lock:
            if self._release is None or time.monotonic() - self._read_at > RELEASE_TTL:
                self._release = self._read()
                self._read_at = time.monotonic()
            return self._release

    def read_now(self, timeout: float | None = None) -> StoreRelease:
        """The release as the store holds it now (and kept as the current one)."""
        release = self._read(timeout)
        with self._lock:
            self._release, self._read_at = release, time.monotonic()
        return release

    def answer(self, ask: Callable[[StoreRelease], T], deadline: Deadline, *, checked: bool) -> T:
        """`ask(release)`, an answer from one release. On a store whose updates readers may see
        half done (`checked`), the version and the switch mark are read again after the answer
        (`read_state`: two triples) and the question asked again if a switch overlapped it (see
        the module's docstring); while the mark is there, they are read every SWITCH_POLL
        seconds until the deadline."""
        while True:
            release = self.current()
            if release.switching is not None:
                self._pause.wait(min(SWITCH_POLL, deadline.left()))
                if self._state(deadline)[1] is None:
                    self._forget()  # the switch is over: read the new release
                continue
            answer = ask(release)
            if not checked or not release.published:  # a plain store: nothing switches it
                return answer
            if self._state(deadline) == (release.version, None):
                return answer
            self._forget()  # the query overlapped a switch: ask again, from the release now

    def _state(self, deadline: Deadline) -> tuple[str | None, str | None]:
        try:
            return read_state(self._client, deadline.left())
        except QueryTimeout:
            raise QueryTimeout(deadline.limit) from None

    def _forget(self) -> None:
        with self._lock:
            self._release = None

    def _read(self, timeout: float | None = None) -> StoreRelease:
        release = read_release(self._client, self._timeout if timeout is None else timeout)
        if release is not None:
            return release
        if self._fallback is not None:
            return self._fallback
        url = self._client.url
        raise ConfigError(
            f"the store at {url} holds no cakg release and there is no local build: run "
            f"`cakg publish --to {url}` or `cakg build`"
        )
