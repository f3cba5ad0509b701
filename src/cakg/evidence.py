"""The evidence for a resource: the spans of the source texts that support it, asked in SPARQL.

graph/evidence/<slug>.ttl points each statement of a source to the span of the source's text
that supports it: a W3C Web Annotation (oa:hasBody the statement) whose target is a
TextPositionSelector on the text, which is named by its SHA-256 (spdx:checksum) and is the
format (dcterms:hasFormat) of the source document; a document's cakg:dateEvidence points to the
span that gives its date. The dataset holds the offsets only, never the text (cakg.source_texts
reads it, where the server has it).
"""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import URIRef

from cakg.engine.base import Engine, QueryDataset
from cakg.namespaces import PREFIXES

MAX_SPANS = 5000
_PROLOGUE = "".join(f"PREFIX {p}: <{PREFIXES[p]}>\n" for p in ("cakg", "dcterms", "oa", "spdx"))

# The spans that support the resource, when it is a statement (its own annotations), that
# support the statements about it (cakg:about), or that give a source document's date
# (cakg:dateEvidence), with the hash of each source text and the document that has that text as
# its format. A union, not a property path `cakg:about?`: a remote store gets ?s as a VALUES
# row, which a zero-length path would join with every node.
_EVIDENCE = (
    _PROLOGUE
    + """SELECT DISTINCT ?s ?kind ?statement ?text ?start ?end ?sha ?doc ?title WHERE {
  {
    ?annotation oa:hasBody ?s ; oa:hasTarget ?target .
    BIND(?s AS ?statement) BIND("statement" AS ?kind)
  } UNION {
    ?statement cakg:about ?s .
    ?annotation oa:hasBody ?statement ; oa:hasTarget ?target .
    BIND("statement" AS ?kind)
  } UNION {
    ?s cakg:dateEvidence ?target .
    BIND(?s AS ?statement) BIND("date" AS ?kind)
  }
  ?target oa:hasSource ?text ;
          oa:hasSelector ?selector .
  ?selector a oa:TextPositionSelector ;
            oa:start ?start ;
            oa:end ?end .
  OPTIONAL {
    ?text spdx:checksum ?checksum .
    ?checksum spdx:algorithm spdx:checksumAlgorithm_sha256 ;
              spdx:checksumValue ?sha .
  }
  OPTIONAL { ?doc dcterms:hasFormat ?text OPTIONAL { ?doc dcterms:title ?title } }
}"""
)


@dataclass
class Evidence:
    """A span of a source's text that supports a statement (the resource, or one about it), or
    that gives a source document's date (kind "date").

    Offsets count Unicode code points of the UTF-8 text, START inclusive and END exclusive, as
    in a Web Annotation TextPositionSelector; the text itself is not in the dataset."""

    statement: str  # the statement supported (for a date: the document)
    text: str  # the IRI of the source text
    start: int
    end: int
    kind: str = "statement"  # or "date"
    sha256: str | None = None
    document: str | None = None
    title: str | None = None


def find_evidence(engine: Engine, subject: URIRef) -> list[Evidence]:
    """The spans that support SUBJECT or the statements about it, or give its date (a source
    document's), by document and offset."""
    rows = engine.query(
        _EVIDENCE,
        dataset=QueryDataset(inference=False),
        bindings={"s": subject},
        max_rows=MAX_SPANS,
    ).rows
    found: dict[tuple[str, str, str, int, int], Evidence] = {}
    for _s, kind, statement, text, start, end, sha, doc, title in rows:
        try:
            first, last = int(str(start)), int(str(end))
        except ValueError:  # not an integer: not a span this page can show
            continue
        key = (str(kind), str(statement), str(text), first, last)
        item = found.setdefault(
            key, Evidence(str(statement), str(text), first, last, kind=str(kind))
        )
        item.sha256 = item.sha256 or (str(sha).lower() if sha is not None else None)
        item.document = item.document or (str(doc) if doc is not None else None)
        item.title = item.title or (str(title) if title is not None else None)
    return sorted(found.values(), key=lambda e: (e.title or e.text, e.start, e.end, e.statement))
