"""rdflib <-> pyoxigraph terms: the one converter, for the build (the ontology and shapes cross
to rdflib for owlrl and pyshacl) and for the engines (bound values in, result terms out).

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

from cakg.errors import BadQuery

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
    """An rdflib term as a pyoxigraph one; TypeError for anything else (a variable, a graph)."""
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
    """A pyoxigraph term as an rdflib one (a simple literal stays untyped, as rdflib keeps it)."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    if term.datatype.value == str(XSD.string):  # rdflib keeps simple literals untyped
        return Literal(term.value)
    return Literal(term.value, datatype=URIRef(term.datatype.value))


def from_result(term: Any) -> Node | None:
    """A term of a query's results as rdflib's (None, an unbound variable, stays None);
    BadQuery for what an rdflib result cannot hold (an RDF-star triple term)."""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode | ox.BlankNode | ox.Literal):
        return to_rdflib(term)
    raise BadQuery(f"the results hold a term cakg cannot return: {term!r} (RDF-star?)")
