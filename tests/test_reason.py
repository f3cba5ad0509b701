from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from cakg.build.load import load_sources
from cakg.build.reason import is_trivial, reason
from cakg.build.sources import Kind, find_sources
from cakg.namespaces import CAKG

from .conftest import TINY

ID = "https://w3id.org/cakg/id/"


def _closure():
    loaded = load_sources(find_sources(TINY))
    return reason(
        [loaded.graph_of_kind(Kind.ONTOLOGY), loaded.graph_of_kind(Kind.REFERENCE, Kind.SOURCE)]
    )


def test_closure_keeps_what_users_query_for():
    inferred = _closure().inferred
    kz, uz = URIRef(ID + "state/kazakhstan"), URIRef(ID + "state/uzbekistan")
    visit = URIRef(ID + "visit/tiny-2021")
    assert (kz, CAKG.partnerOf, uz) in inferred  # symmetric
    assert (URIRef(ID + "city/astana"), CAKG.locatedIn, kz) in inferred  # transitive
    assert (kz, CAKG.hosted, visit) in inferred  # inverse
    assert (visit, RDF.type, CAKG.Visit) in inferred  # subclass
    assert (visit, CAKG.participant, kz) in inferred  # subproperty


def test_closure_holds_only_new_non_trivial_triples():
    closure = _closure()
    loaded = load_sources(find_sources(TINY))
    asserted = set(loaded.dataset.quads((None, None, None, None)))
    asserted_triples = {(s, p, o) for s, p, o, _g in asserted}
    assert closure.dropped > 0
    for t in closure.inferred:
        assert t not in asserted_triples
        assert not is_trivial(t)
        assert t[2] not in (OWL.Thing, RDFS.Resource)


def test_is_trivial_rules():
    a = URIRef(ID + "state/kazakhstan")
    assert is_trivial((a, OWL.sameAs, a))
    assert is_trivial((a, RDF.type, OWL.Thing))
    assert is_trivial((a, RDF.type, RDFS.Resource))
    assert is_trivial((CAKG.State, RDFS.subClassOf, CAKG.State))
    assert is_trivial((CAKG.State, RDFS.subClassOf, OWL.Thing))
    assert is_trivial((URIRef("http://www.w3.org/2001/XMLSchema#int"), RDF.type, RDFS.Datatype))
    assert not is_trivial((a, OWL.sameAs, URIRef("http://www.wikidata.org/entity/Q232")))
    assert not is_trivial((a, RDFS.label, Literal("Kazakhstan", lang="en")))


def test_empty_input_gives_empty_closure():
    assert len(reason([Graph()]).inferred) == 0


def test_facts_are_not_copied_onto_external_aliases():
    loaded = load_sources(find_sources(TINY))
    data = loaded.graph_of_kind(Kind.REFERENCE, Kind.SOURCE)
    kz = URIRef(ID + "state/kazakhstan")
    wd = URIRef("http://www.wikidata.org/entity/Q232")
    data.add((kz, OWL.sameAs, wd))
    inferred = reason([loaded.graph_of_kind(Kind.ONTOLOGY), data]).inferred
    assert (wd, OWL.sameAs, kz) in inferred
    assert not list(inferred.triples((wd, RDF.type, None)))
    mentioning = [t for t in inferred if wd in t]
    assert mentioning and all(p == OWL.sameAs for _s, p, _o in mentioning)
