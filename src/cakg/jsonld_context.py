"""The published JSON-LD context, generated from the ontology and the project's prefixes, and the
compact JSON-LD of a resource's description written with it.

The context (served at /context.jsonld) maps every prefix of cakg.namespaces.PREFIXES, and gives
each of the ontology's terms its plain local name ("firstPartyOf", "date", "State"): an object
property's values are coerced to IRIs ("@type": "@id"), a datatype property's to the datatype
its rdfs:range names (except plain and language-tagged strings). A few terms of other
vocabularies the descriptions use throughout have plain names too (COMMON: "label", "sameAs" ...);
an ontology term of the same name wins. rdflib's JSON-LD serializer compacts with it (a value
whose datatype differs from the coercion keeps its prefixed key and its "@type").

`compact_jsonld` writes a description as one document: "@context" names the context by URL, the
resource's own node object comes first, then the nodes it mentions by "@id", each with its
properties in alphabetical order; the same triples as the Turtle.
"""

from __future__ import annotations

import json
from typing import Any

from rdflib import Graph, URIRef

from cakg.engine.base import Engine
from cakg.namespaces import CAKG, ONTOLOGY_GRAPH, PREFIXES

RDFS, OWL, SKOS = PREFIXES["rdfs"], PREFIXES["owl"], PREFIXES["skos"]
XSD = PREFIXES["xsd"]
COMMON: dict[str, dict[str, str] | str] = {
    "label": RDFS + "label",
    "comment": RDFS + "comment",
    "seeAlso": {"@id": RDFS + "seeAlso", "@type": "@id"},
    "sameAs": {"@id": OWL + "sameAs", "@type": "@id"},
    "prefLabel": SKOS + "prefLabel",
    "altLabel": SKOS + "altLabel",
    "definition": SKOS + "definition",
    "exactMatch": {"@id": SKOS + "exactMatch", "@type": "@id"},
    "title": PREFIXES["dcterms"] + "title",
    "publisher": {"@id": PREFIXES["dcterms"] + "publisher", "@type": "@id"},
    "wasDerivedFrom": {"@id": PREFIXES["prov"] + "wasDerivedFrom", "@type": "@id"},
    "hasGeometry": {"@id": PREFIXES["geo"] + "hasGeometry", "@type": "@id"},
    "asWKT": {"@id": PREFIXES["geo"] + "asWKT", "@type": PREFIXES["geo"] + "wktLiteral"},
}
_STRINGS = {XSD + "string", PREFIXES["rdf"] + "langString", RDFS + "Literal"}
_TERMS = f"""PREFIX owl: <{OWL}>
PREFIX rdfs: <{RDFS}>
SELECT ?term ?kind ?range WHERE {{
  GRAPH <{ONTOLOGY_GRAPH}> {{
    VALUES ?kind {{ owl:Class owl:ObjectProperty owl:DatatypeProperty }}
    ?term a ?kind .
    OPTIONAL {{ ?term rdfs:range ?range }}
  }}
  FILTER(STRSTARTS(STR(?term), "{CAKG}"))
}} ORDER BY ?term"""


def build_context(engine: Engine) -> dict[str, Any]:
    """The context's term definitions: prefixes, the ontology's terms, the COMMON ones."""
    context: dict[str, Any] = dict(PREFIXES)
    context.update(COMMON)
    own: dict[str, Any] = {}
    for term, kind, range_ in engine.query(_TERMS).rows:
        name = str(term)[len(str(CAKG)) :]
        if not name.isidentifier() or name in own:
            continue
        if str(kind) == OWL + "ObjectProperty":
            own[name] = {"@id": str(term), "@type": "@id"}
        elif str(kind) == OWL + "DatatypeProperty" and range_ is not None:
            if str(range_).startswith(XSD) and str(range_) not in _STRINGS:
                own[name] = {"@id": str(term), "@type": str(range_)}
            else:
                own[name] = str(term)
        else:
            own[name] = str(term)
    context.update(own)
    return context


def context_document(context: dict[str, Any]) -> str:
    """The context as the document served at /context.jsonld."""
    return json.dumps({"@context": context}, indent=2, ensure_ascii=False) + "\n"


def compact_jsonld(graph: Graph, subject: URIRef, context: dict[str, Any], url: str) -> str:
    """GRAPH as compact JSON-LD with CONTEXT, referenced by URL; SUBJECT's node first."""
    text = graph.serialize(format="json-ld", context=context, auto_compact=False)
    document = json.loads(text)
    nodes = document.get("@graph")
    if nodes is None:
        nodes = (
            [{k: v for k, v in document.items() if k != "@context"}] if len(document) > 1 else []
        )
    compact_me = _compact_iri(str(subject), context)

    def order(node: dict[str, Any]) -> tuple[int, str]:
        node_id = str(node.get("@id", ""))
        return (0 if node_id in (str(subject), compact_me) else 1, node_id)

    ordered = [_sorted_node(n) for n in sorted(nodes, key=order)]
    return json.dumps({"@context": url, "@graph": ordered}, indent=2, ensure_ascii=False) + "\n"


def _sorted_node(node: dict[str, Any]) -> dict[str, Any]:
    first = [k for k in ("@id", "@type") if k in node]
    return {k: node[k] for k in [*first, *sorted(k for k in node if k not in first)]}


def _compact_iri(iri: str, context: dict[str, Any]) -> str:
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns) and context.get(prefix) == ns:
            return f"{prefix}:{iri[len(ns) :]}"
    return iri
