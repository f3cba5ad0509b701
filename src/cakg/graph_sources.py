"""What each named graph of the dataset is, for citing it: a source document's graph (with the
document's title, date and publisher), its evidence graph, the reference data, the reasoner's
graph, or another one. Asked of any engine in SPARQL.
"""

from __future__ import annotations

from dataclasses import dataclass

from cakg.engine.base import Engine
from cakg.namespaces import BASE, INFERRED_GRAPH, PREFIXES, REFERENCE_GRAPH, SOURCE_GRAPH_PREFIX

EVIDENCE_GRAPH_PREFIX = BASE + "graph/evidence/"  # a source's evidence: spans of its text
_PROLOGUE = "".join(f"PREFIX {p}: <{PREFIXES[p]}>\n" for p in ("cakg", "dcterms", "rdfs"))

_SOURCES = (
    _PROLOGUE
    + """SELECT ?doc ?g ?title ?date ?publisher ?publisherLabel WHERE {
  ?doc a cakg:SourceDocument .
  OPTIONAL { GRAPH ?g { ?doc a cakg:SourceDocument } }
  OPTIONAL { ?doc dcterms:title ?title }
  OPTIONAL { ?doc dcterms:date ?date }
  OPTIONAL { ?doc dcterms:publisher ?publisher
             OPTIONAL { ?publisher rdfs:label ?publisherLabel } }
}"""
)


@dataclass
class Source:
    """Where a named graph comes from: the source document it transcribes, or another role."""

    graph: str
    kind: str  # "source", "evidence" (a source's evidence graph), "reference", "inferred", "other"
    document: str | None = None
    title: str | None = None
    date: str | None = None
    publisher: str | None = None


def graph_sources(engine: Engine, graphs: list[str]) -> dict[str, Source]:
    """What each named graph is; for source graphs, the document's title, date and publisher."""
    found: dict[str, Source] = {}
    for g in graphs:
        if g.startswith(SOURCE_GRAPH_PREFIX):
            found[g] = Source(g, "source")
        elif g == str(REFERENCE_GRAPH):
            found[g] = Source(g, "reference")
        elif g == str(INFERRED_GRAPH):
            found[g] = Source(g, "inferred")
        elif g.startswith(EVIDENCE_GRAPH_PREFIX):
            found[g] = Source(g, "evidence")
        else:
            found[g] = Source(g, "other")
    if not any(s.kind in ("source", "evidence") for s in found.values()):
        return found
    docs: dict[str, Source] = {}
    home: dict[str, str] = {}  # source graph -> the document described inside it
    for document, graph, title, date, publisher, publisher_label in engine.query(_SOURCES).rows:
        info = docs.setdefault(str(document), Source("", "source", str(document)))
        info.title = info.title or (str(title) if title is not None else None)
        info.date = info.date or (str(date) if date is not None else None)
        if publisher is not None and info.publisher is None:
            info.publisher = str(publisher_label if publisher_label is not None else publisher)
        if graph is not None and str(graph).startswith(SOURCE_GRAPH_PREFIX):
            home.setdefault(str(graph), str(document))
    for g, src in found.items():
        if src.kind not in ("source", "evidence"):
            continue
        prefix = SOURCE_GRAPH_PREFIX if src.kind == "source" else EVIDENCE_GRAPH_PREFIX
        slug = g[len(prefix) :]
        doc = home.get(g) or _by_slug(docs, slug)
        if doc is None:
            continue
        info = docs[doc]
        src.document, src.title, src.date, src.publisher = (
            doc,
            info.title,
            info.date,
            info.publisher,
        )
    return found


def _by_slug(docs: dict[str, Source], slug: str) -> str | None:
    for doc in docs:
        if doc.rstrip("/").rsplit("/", 1)[-1] == slug:
            return doc
    return None
