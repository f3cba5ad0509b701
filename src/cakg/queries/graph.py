"""The saved-query catalogue as RDF: each query a SHACL SPARQL executable, for QUERIES_GRAPH.

The build adds this graph to every release, so that the catalogue can be queried and linked like
the rest of the data.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rdflib import RDF, RDFS, BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, SDO, SH

from cakg.namespaces import PREFIXES
from cakg.queries.header import SAVED_QUERY, SavedQuery, load_catalogue
from cakg.queries.params import Param


def catalogue_graph(root: Path | str) -> Graph:
    """Every saved query as a SHACL SPARQL executable, for the named graph QUERIES_GRAPH."""
    g = Graph()
    for prefix in ("rdfs", "sh", "dcterms", "schema", "xsd", "cakg"):
        g.bind(prefix, PREFIXES[prefix])
    g.bind("query", SAVED_QUERY)
    for q in load_catalogue(root).values():
        add_query(g, q)
    return g


def add_query(g: Graph, q: SavedQuery) -> None:
    """Q as a SHACL SPARQL executable: its text, label, tags and one sh:Parameter each."""
    node = q.iri
    form = q.form.capitalize()
    g.add((node, RDF.type, SH.SPARQLExecutable))
    g.add((node, RDF.type, SH[f"SPARQL{form}Executable"]))
    g.add((node, SH[form.lower()], Literal(q.sparql.strip())))
    g.add((node, DCTERMS.identifier, Literal(q.name)))
    g.add((node, RDFS.label, Literal(q.summary, lang="en")))
    if q.description:
        g.add((node, RDFS.comment, Literal(q.description, lang="en")))
    for tag in q.tags:
        g.add((node, SDO.keywords, Literal(tag)))
    for p in q.params:
        pnode = URIRef(f"{node}#param-{p.name}")
        g.add((node, SH.parameter, pnode))
        g.add((pnode, RDF.type, SH.Parameter))
        g.add((pnode, SH.path, URIRef(f"{node}#{p.name}")))
        g.add((pnode, SH.name, Literal(p.name)))
        g.add((pnode, SH.optional, Literal(not p.required)))
        if p.description:
            g.add((pnode, SH.description, Literal(p.description, lang="en")))
        if p.kind == "iri":
            g.add((pnode, SH.nodeKind, SH.IRI))
            if p.cls:
                g.add((pnode, SH["class"], URIRef(p.cls)))
        else:
            g.add((pnode, SH.datatype, URIRef(p.datatype) if p.datatype else RDF.langString))
            if p.lang:
                g.add((pnode, SH.languageIn, _rdf_list(g, [Literal(p.lang)])))
        if p.multiple:
            g.add((pnode, SDO.multipleValues, Literal(True)))
        if p.values:
            g.add((pnode, SH["in"], _rdf_list(g, [_term(p, v) for v in p.values])))
        for v in p.default:
            g.add((pnode, SH.defaultValue, _term(p, v)))


def _term(p: Param, value: str) -> URIRef | Literal:
    if p.kind == "iri":
        return URIRef(value)
    if p.lang:
        return Literal(value, lang=p.lang)
    return Literal(value, datatype=URIRef(p.datatype) if p.datatype else None)


def _rdf_list(g: Graph, items: list[Any]) -> BNode:
    head = BNode()
    Collection(g, head, items)
    return head
