"""Differential test: pyoxigraph and rdflib give the same answers on the project's own graph.

Queries: the hand-written ones below, and every saved query in queries/ bound through the
catalogue (cakg.queries.run_saved) with its example parameters and with its defaults alone. Add
competency questions to QUERIES. Hand-written answers are compared as multisets of rows (blank
nodes blinded, ORDER BY ties left free); saved SELECTs are totally ordered, so their rows are
compared in order, numbers by value (Oxigraph writes "62.0"^^xsd:decimal as "62" and a derived
integer type as xsd:integer).
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from rdflib import XSD, BNode, Literal
from rdflib.term import Node

from cakg.build import BuildResult
from cakg.config import Settings
from cakg.engine import Engine, open_engine
from cakg.engine.base import QueryDataset, QueryResult
from cakg.namespaces import ID, REFERENCE_GRAPH, sparql_prologue
from cakg.queries import SavedQuery, load_catalogue
from cakg.queries.bind import run_saved

REPO = Path(__file__).parent.parent
P = sparql_prologue()
KAZAKHSTAN = ID["state/kazakhstan"]
QUERIES = {
    "classes": P + "SELECT ?c (COUNT(?x) AS ?n) WHERE { ?x a ?c } GROUP BY ?c",
    "labels": P + "SELECT ?x ?l WHERE { ?x rdfs:label ?l FILTER(LANG(?l) = 'en') }",
    "graphs": "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
    "optional": P + "SELECT ?x ?d WHERE { ?x a owl:Class OPTIONAL { ?x skos:definition ?d } }",
    "union": P
    + "SELECT ?x WHERE { { ?x a owl:ObjectProperty } UNION { ?x a owl:DatatypeProperty } }",
    "filter-regex": P + "SELECT ?x WHERE { ?x rdfs:label ?l FILTER(REGEX(STR(?l), '^Kaz', 'i')) }",
    "minus": P + "SELECT ?x WHERE { ?x a ?c MINUS { ?x rdfs:label ?l } }",
    "distinct-predicates": "SELECT DISTINCT ?p WHERE { ?s ?p ?o }",
    "values": P + f"SELECT ?x ?l WHERE {{ VALUES ?x {{ <{KAZAKHSTAN}> }} ?x rdfs:label ?l }}",
    "path": P + "SELECT ?a ?b WHERE { ?a rdfs:subClassOf+ ?b }",
    "ask": "ASK { ?s ?p ?o }",
    "ask-false": "ASK { <urn:x:none> ?p ?o }",
    "construct": P + "CONSTRUCT { ?x rdfs:label ?l } WHERE { ?x a owl:Class ; rdfs:label ?l }",
    "describe": "DESCRIBE <https://w3id.org/cakg/id/state/kazakhstan>",
    "count-all": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
}
CATALOGUE = load_catalogue(REPO)
DATASETS = {
    "union": QueryDataset(),
    "asserted": QueryDataset(inference=False),
    "reference": QueryDataset(default_graphs=(str(REFERENCE_GRAPH),)),
}


@pytest.fixture(scope="module")
def engines(project_build: BuildResult, project_settings: Settings) -> dict[str, Engine]:
    return {
        name: open_engine(project_settings.replace(engine=name)) for name in ("oxigraph", "rdflib")
    }


def _blind(term: Node | None) -> object:
    if isinstance(term, BNode):
        return "_:b"
    if isinstance(term, Literal) and term.datatype is not None and term.value is not None:
        return ("literal", term.value, str(term.datatype))  # 1.0 == 1.00 as decimals
    return term


def _answer(result: QueryResult) -> object:
    if result.form == "ASK":
        return result.boolean
    if result.form in ("CONSTRUCT", "DESCRIBE"):
        return Counter(tuple(_blind(t) for t in triple) for triple in result.triples)
    return (
        sorted(result.variables),
        Counter(
            tuple(sorted((v, repr(_blind(t))) for v, t in zip(result.variables, row, strict=True)))
            for row in result.rows
        ),
    )


@pytest.mark.parametrize("dataset", DATASETS)
@pytest.mark.parametrize("name", QUERIES)
def test_engines_agree(engines: dict[str, Engine], name: str, dataset: str) -> None:
    sparql = QUERIES[name]
    answers = [
        _answer(engines[e].query(sparql, dataset=DATASETS[dataset])) for e in ("oxigraph", "rdflib")
    ]
    assert answers[0] == answers[1]


# ---- saved queries, bound through the catalogue -------------------------------------------------

NUMERIC = {XSD.integer, XSD.decimal, XSD.double, XSD.float, XSD.int, XSD.long, XSD.short,
           XSD.byte, XSD.nonNegativeInteger, XSD.positiveInteger, XSD.nonPositiveInteger,
           XSD.negativeInteger, XSD.unsignedInt, XSD.unsignedLong}  # fmt: skip


def _value(term: Node | None) -> object:
    """A term compared by value: numbers of any numeric datatype as one normalised Decimal."""
    if isinstance(term, Literal) and term.datatype in NUMERIC:
        return ("number", Decimal(str(term)).normalize())
    return _blind(term)


def examples(q: SavedQuery) -> dict[str, list[str]]:
    """The query's example values (parameters with a default keep it)."""
    return {p.name: [p.example] for p in q.params if p.example and not p.default}


def runnable_with_defaults(q: SavedQuery) -> bool:
    return all(p.default or not p.required for p in q.params)


SAVED_CASES = [
    pytest.param(name, bound, id=f"{name}-{bound}")
    for name, q in sorted(CATALOGUE.items())
    for bound in ("examples", "defaults")
    if bound == "examples" or (runnable_with_defaults(q) and examples(q))
]


@pytest.mark.parametrize("inference", [True, False], ids=["inferred", "asserted"])
@pytest.mark.parametrize(("name", "bound"), SAVED_CASES)
def test_saved_queries_agree(
    engines: dict[str, Engine], name: str, bound: str, inference: bool
) -> None:
    q = CATALOGUE[name]
    raw = examples(q) if bound == "examples" else {}
    results = [run_saved(engines[e], q, raw, inference=inference) for e in ("oxigraph", "rdflib")]
    assert results[0].page == results[1].page
    answers = []
    for done in results:
        result = done.result
        assert result.form == q.form
        if q.form == "SELECT":
            assert result.variables == list(q.variables)
            # every saved SELECT has a total ORDER BY: the rows must come in the same order
            answers.append([tuple(_value(t) for t in row) for row in result.rows])
        else:
            answers.append(Counter(tuple(_value(t) for t in triple) for triple in result.triples))
    assert answers[0] == answers[1]
    if inference and bound == "examples":
        assert answers[0], f"{name}: no answer with its example parameters"
