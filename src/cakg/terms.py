"""rdflib <-> pyoxigraph terms, for the few graphs that cross between the two (ontology, shapes).

Blank nodes keep their identifier both ways, so a graph converted to rdflib and back names the
same nodes as the store it came from.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Node

OxTerm = ox.NamedNode | ox.BlankNode | ox.Literal
RdfTerm = URIRef | BNode | Literal


class Terms:
    """Term conversion, memoised: IRIs repeat a lot in a graph."""

    def __init__(self) -> None:
        self.forward: dict[Node, OxTerm] = {}
        self.backward: dict[OxTerm, RdfTerm] = {}

    def to_ox(self, term: Node) -> OxTerm:
        found = self.forward.get(term)
        if found is None:
            found = self.forward[term] = to_ox(term)
        return found

    def to_rdflib(self, term: OxTerm) -> RdfTerm:
        found = self.backward.get(term)
        if found is None:
            found = self.backward[term] = to_rdflib(term)
        return found

    def graph(self, triples: Iterable[Any], into: Graph | None = None) -> Graph:
        """An rdflib Graph of pyoxigraph triples or quads (their graph name ignored)."""
        g = Graph() if into is None else into
        back = self.to_rdflib
        for t in triples:
            g.add((back(t.subject), back(t.predicate), back(t.object)))
        return g


def to_ox(term: Node) -> OxTerm:
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if not isinstance(term, Literal):
        raise TypeError(f"not an RDF term: {term!r}")
    if term.language:
        return ox.Literal(str(term), language=term.language)
    if term.datatype:
        return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
    return ox.Literal(str(term))


def to_rdflib(term: OxTerm) -> RdfTerm:
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    if term.datatype.value == str(XSD.string):  # rdflib keeps simple literals untyped
        return Literal(term.value)
    return Literal(term.value, datatype=URIRef(term.datatype.value))
