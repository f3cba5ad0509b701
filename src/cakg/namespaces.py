"""The project's namespaces and the one PREFIXES table used by writers, queries and the UI."""

from __future__ import annotations

from rdflib import Namespace

BASE = "https://w3id.org/cakg/"
CAKG = Namespace(BASE + "ontology#")
CAKGSH = Namespace(BASE + "shapes#")
ID = Namespace(BASE + "id/")
GRAPH = Namespace(BASE + "graph/")

ONTOLOGY_IRI = BASE + "ontology"
SHAPES_IRI = BASE + "shapes"
ONTOLOGY_GRAPH = GRAPH["ontology"]
SHAPES_GRAPH = GRAPH["shapes"]
REFERENCE_GRAPH = GRAPH["reference"]
INFERRED_GRAPH = GRAPH["inferred"]
QUERIES_GRAPH = GRAPH["queries"]
SOURCE_GRAPH_PREFIX = BASE + "graph/sources/"

PREFIXES: dict[str, str] = {
    "cakg": str(CAKG),
    "cakgsh": str(CAKGSH),
    "id": str(ID),
    "dcat": "http://www.w3.org/ns/dcat#",
    "dcterms": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "geo": "http://www.opengis.net/ont/geosparql#",
    "oa": "http://www.w3.org/ns/oa#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "prov": "http://www.w3.org/ns/prov#",
    "qudt": "http://qudt.org/schema/qudt/",
    "quantitykind": "http://qudt.org/vocab/quantitykind/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "schema": "https://schema.org/",
    "sh": "http://www.w3.org/ns/shacl#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "spdx": "http://spdx.org/rdf/terms#",
    "time": "http://www.w3.org/2006/time#",
    "unit": "http://qudt.org/vocab/unit/",
    "void": "http://rdfs.org/ns/void#",
    "wd": "http://www.wikidata.org/entity/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}


def sparql_prologue() -> str:
    """The PREFIX lines for every project prefix, for query editors and the CLI."""
    return "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items())


_BY_LENGTH = sorted(PREFIXES.items(), key=lambda kv: -len(kv[1]))


def shorten(iri: str) -> str:
    """An IRI as a prefixed name for people to read (`id:state/kazakhstan`), else `<iri>`."""
    for prefix, ns in _BY_LENGTH:
        if iri.startswith(ns):
            local = iri[len(ns) :]
            if local and "#" not in local and " " not in local:
                return f"{prefix}:{local}"
    return f"<{iri}>"
