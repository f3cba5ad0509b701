"""The W3C SPARQL 1.1 Protocol manifest as a table of HTTP requests, and how to check an answer.

Each mf:ProtocolTest holds one ht:Request (method, path under /sparql/, headers, body with its
character encoding) and the ht:Response it expects (status class, format, boolean). The graphs
the tests name (kasei.us/.../dataN.rdf) are loaded as local named graphs from the suite's
dataN.nt files; data0.rdf, named by default-graph-uri but never queried, gets one placeholder
triple: cakg answers only over graphs it holds and refuses others (400) rather than fetch them.

cakg is read-only: the manifest's update requests, which expect 2xx, are expected to be
refused with 400 instead (the refusal is what cakg documents), and the requests that follow an
update in the same test (checking its effect) are not sent.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import RDF, RDFS, Graph, Literal, Namespace, URIRef
from rdflib import Dataset as RdfDataset
from rdflib.collection import Collection
from rdflib.query import Result

from tests.w3c.suite import MF, SUITE

HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
HTS = Namespace("http://www.w3.org/2011/http-statusCodes#")
DATA0 = "http://kasei.us/2009/09/sparql/data/data0.rdf"
ENDPOINT = "/sparql"
BOOLEAN_TYPES = {"application/sparql-results+json": "json", "application/sparql-results+xml": "xml"}
TABULAR_TYPES = {
    **BOOLEAN_TYPES,
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
}
RDF_TYPES = {
    "application/rdf+xml": "xml",
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/ld+json": "json-ld",
}


@dataclass
class Request:
    """One request of the protocol manifest and what it expects back."""

    name: str
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    statuses: tuple[int, ...] = ()  # acceptable status classes: 2, 3, 4
    expected_format: str | None = None  # "boolean", "tabular" or "RDF"
    expected_boolean: bool | None = None

    @property
    def is_update(self) -> bool:
        return self.name.startswith("update_")


def requests(manifest: Path) -> Iterator[Request]:
    g = Graph().parse(manifest, format="turtle", publicID=manifest.as_uri())
    entries = g.value(next(g.subjects(RDF.type, MF.Manifest)), MF.entries)
    for test in Collection(g, entries):
        action = g.value(test, MF.action)
        # an update test's later requests check what the update did: cakg refuses the first
        request = next(iter(Collection(g, g.value(action, HT.requests))))
        headers = {}
        header_list = g.value(request, HT.headers)
        if header_list is not None:
            for header in Collection(g, header_list):
                headers[str(g.value(header, HT.fieldName))] = str(g.value(header, HT.fieldValue))
        body = None
        content = g.value(request, HT.body)
        if content is not None:
            encoding = str(g.value(content, CNT.characterEncoding) or "UTF-8")
            body = str(g.value(content, CNT.chars)).encode(encoding)
        response = g.value(request, HT.resp)
        statuses = tuple(
            sorted(
                int(str(s).rsplit("StatusCode", 1)[1][0])
                for s in g.objects(response, MF.expectedStatus)
            )
        )
        boolean = g.value(response, MF.expectedBoolean)
        fmt = g.value(response, MF.expectedFormat)
        name = str(test).rsplit("#", 1)[1]
        path = str(g.value(request, HT.absolutePath))
        assert path.startswith("/sparql/")
        yield Request(
            name=name,
            method=str(g.value(request, HT.methodName)),
            path=ENDPOINT + path.removeprefix("/sparql/"),
            headers=headers,
            body=body,
            statuses=statuses,
            expected_format=str(fmt) if fmt is not None else None,
            expected_boolean=bool(boolean.toPython()) if isinstance(boolean, Literal) else None,
        )


def dataset(folder: Path) -> Path:
    """The graphs the protocol tests name, as an N-Quads file under `folder`."""
    g = Graph().parse(SUITE / "protocol" / "manifest.ttl", format="turtle")
    ds = RdfDataset()
    seen = set()
    for data in g.objects(None, UT.graphData):
        name = str(g.value(data, RDFS.label))
        if name in seen:
            continue
        seen.add(name)
        source = SUITE / "protocol" / Path(str(g.value(data, UT.graph))).name
        ds.graph(URIRef(name)).parse(source, format="nt")
    ds.graph(URIRef(DATA0)).add((URIRef(DATA0), RDFS.comment, Literal("placeholder")))
    out = folder / "protocol.nq"
    ds.serialize(out, format="nquads", encoding="utf-8")
    return out


def check(request: Request, status: int, mimetype: str, body: bytes) -> str | None:
    """None when the response is what the manifest (adapted for read-only) expects."""
    statuses = (4,) if request.is_update and 2 in request.statuses else request.statuses
    if status // 100 not in statuses:
        return f"status {status}, want {statuses}xx: {body[:200]!r}"
    if status // 100 != 2 or request.expected_format is None:
        return None
    if request.expected_format == "RDF":
        if mimetype not in RDF_TYPES:
            return f"{mimetype} is not one of {sorted(RDF_TYPES)}"
        Graph().parse(data=body, format=RDF_TYPES[mimetype])
        return None
    allowed = BOOLEAN_TYPES if request.expected_format == "boolean" else TABULAR_TYPES
    if mimetype not in allowed:
        return f"{mimetype} is not one of {sorted(allowed)}"
    if mimetype == "application/sparql-results+json":
        json.loads(body)
    result = Result.parse(io.BytesIO(body), format=allowed[mimetype])
    if request.expected_boolean is not None and result.askAnswer != request.expected_boolean:
        return f"got {result.askAnswer}, want {request.expected_boolean}"
    return None
