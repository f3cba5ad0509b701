"""cakg.resource_facts on the tiny graph: a fact stated both ways, as its mirror, or by a
symmetric property is one Fact, in its natural direction, with what was folded into it."""

from __future__ import annotations

from rdflib import URIRef

from cakg.engine import Engine
from cakg.namespaces import CAKG, ID
from cakg.ontology_axioms import load_axioms
from cakg.resource_description import Statement, describe_resource
from cakg.resource_facts import fold_facts, is_machinery, types_folded

KZ, UZ = ID["state/kazakhstan"], ID["state/uzbekistan"]
VISIT = ID["visit/tiny-2021"]


def test_the_ontology_axioms(in_process_engine: Engine) -> None:
    axioms = load_axioms(in_process_engine)
    assert axioms.natural(str(CAKG.hosted)) == str(CAKG.host)
    assert axioms.natural(str(CAKG.host)) is None  # the natural direction stays
    assert axioms.is_mirror(str(CAKG.participant), str(CAKG.host))
    assert not axioms.is_mirror(str(CAKG.host), str(CAKG.participant))
    assert str(CAKG.partnerOf) in axioms.symmetric
    assert axioms.subsumes(str(CAKG.Visit), str(CAKG.StateVisit))


def test_a_hosted_visit_is_one_fact_from_its_natural_side(in_process_engine: Engine) -> None:
    d = describe_resource(in_process_engine, str(KZ))
    stated = [st for st in (*d.own(), *d.backlinks) if VISIT in (st.subject, st.object)]
    assert len(stated) >= 3  # host (asserted), hosted and participated in (inferred), ...
    facts = [f for f in fold_facts(d, load_axioms(in_process_engine)) if f.neighbour == VISIT]
    assert len(facts) == 1
    (fact,) = facts
    assert (fact.subject, fact.predicate, fact.object) == (VISIT, CAKG.host, KZ)
    assert not fact.forward and not fact.inferred and not fact.shown.inferred
    assert str(CAKG.hosted) in fact.also
    assert len(fact.statements) == len(stated)


def test_a_symmetric_fact_is_one_fact(in_process_engine: Engine) -> None:
    d = describe_resource(in_process_engine, str(KZ))
    facts = [f for f in fold_facts(d, load_axioms(in_process_engine)) if f.neighbour == UZ]
    assert [(f.predicate, f.inferred) for f in facts] == [(CAKG.partnerOf, False)]


def test_the_most_specific_types_come_first(in_process_engine: Engine) -> None:
    d = describe_resource(in_process_engine, str(VISIT))
    main, rest = types_folded(d, load_axioms(in_process_engine))
    assert [st.object for st in main] == [CAKG.StateVisit]
    assert CAKG.Visit in [st.object for st in rest]


def test_machinery_is_left_out_unless_the_page_is_about_it() -> None:
    param = URIRef("https://w3id.org/cakg/queries/q#param-state")
    default = URIRef("http://www.w3.org/ns/shacl#defaultValue")
    queries = "https://w3id.org/cakg/graph/queries"
    st = Statement(param, default, KZ, [queries])
    assert is_machinery(st, KZ)
    assert not is_machinery(st, param)
    graph = URIRef("https://w3id.org/cakg/graph/sources/doc-1")
    derived = URIRef("http://www.w3.org/ns/prov#wasDerivedFrom")
    assert is_machinery(Statement(graph, derived, KZ, ["https://w3id.org/cakg/graph/x"]), KZ)
