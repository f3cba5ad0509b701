from decimal import Decimal

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, XSD

from cakg.load import load_sources
from cakg.reason import reason
from cakg.rules import UnsupportedOntology, materialise
from cakg.sources import Kind, find_sources

from .conftest import REPO, TINY

NUMERIC = {
    str(XSD[t])
    for t in (
        "integer",
        "decimal",
        "double",
        "float",
        "positiveInteger",
        "nonNegativeInteger",
        "int",
        "long",
        "gYear",
    )
}


def canonical(graph):
    """Triples with numeric literals by value: owlrl and Oxigraph spell "62.0" and "62"."""

    def term(t):
        if isinstance(t, Literal) and t.datatype is not None and str(t.datatype) in NUMERIC:
            return ("number", Decimal(str(t)).normalize())
        return t

    return {tuple(term(x) for x in triple) for triple in graph}


def _inputs(root):
    loaded = load_sources(find_sources(root))
    return loaded.graph_of_kind(Kind.ONTOLOGY), loaded.graph_of_kind(Kind.REFERENCE, Kind.SOURCE)


@pytest.mark.parametrize("root", [TINY, REPO], ids=["tiny", "project"])
def test_rules_equal_owlrl_closure(root):
    if not any((root / "ontology").glob("*.ttl")):
        pytest.skip("the project has no ontology yet")
    ontology, data = _inputs(root)
    by_owlrl = reason([ontology, data])
    by_rules = materialise([data], ontology)
    assert len(by_rules.inferred) > 0
    assert canonical(by_rules.inferred) == canonical(by_owlrl.inferred)


def test_unsupported_construct_is_refused():
    ontology, data = _inputs(TINY)
    ontology.add((URIRef("https://w3id.org/cakg/ontology#host"), OWL.someValuesFrom, OWL.Thing))
    with pytest.raises(UnsupportedOntology, match="someValuesFrom"):
        materialise([data], ontology)


def test_same_as_is_symmetric_and_replaces():
    ontology, _ = _inputs(TINY)
    a, b = URIRef("urn:x:a"), URIRef("urn:x:b")
    data = Graph()
    data.add((a, OWL.sameAs, b))
    data.add((a, URIRef("https://w3id.org/cakg/ontology#partnerOf"), URIRef("urn:x:c")))
    inferred = set(materialise([data], ontology).inferred)
    assert inferred == set(reason([ontology, data]).inferred)
    assert (b, OWL.sameAs, a) in inferred
    assert (b, URIRef("https://w3id.org/cakg/ontology#partnerOf"), URIRef("urn:x:c")) in inferred
