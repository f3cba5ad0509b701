"""Differential test: pyoxigraph and rdflib give the same answers on the project's own graph.

Queries: the hand-written ones below and every saved query in queries/ (run as they are, their
`?_param` variables unbound). Add competency questions to QUERIES. Answers are compared as
multisets of rows (blank nodes blinded, ORDER BY ties left free).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from rdflib import BNode, Literal
from rdflib.term import Node

from cakg.build import BuildResult
from cakg.config import Settings
from cakg.engine import Engine, open_engine
from cakg.engine.base import Dataset, QueryResult
from cakg.namespaces import ID, REFERENCE_GRAPH, sparql_prologue

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
SAVED = {
    f"saved:{p.stem}": p.read_text(encoding="utf-8") for p in sorted(REPO.glob("queries/*.rq"))
}
# Saved queries run here with their ?_parameters unbound, which the engines treat differently
# (e.g. `cakg:party <kz>, ?_partner_iri` gives a row per party on pyoxigraph, one on rdflib).
# To do: bind every parameter through the catalogue, then drop this list.
UNBOUND_DIFFERENCES = {
    "saved:centres-and-projects",
    "saved:corridor-cargo",
    "saved:corridor-route",
    "saved:source-statements",
    "saved:trade-partners-ranked",
    "saved:trade-targets",
    "saved:trade-turnover-by-year",
}
DATASETS = {
    "union": Dataset(),
    "asserted": Dataset(inference=False),
    "reference": Dataset(default_graphs=(str(REFERENCE_GRAPH),)),
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
@pytest.mark.parametrize(
    "name",
    [
        *QUERIES,
        *(
            pytest.param(n, marks=pytest.mark.xfail(reason="unbound parameters", strict=False))
            if n in UNBOUND_DIFFERENCES
            else n
            for n in SAVED
        ),
    ],
)
def test_engines_agree(engines: dict[str, Engine], name: str, dataset: str) -> None:
    sparql = QUERIES.get(name) or SAVED[name]
    answers = [
        _answer(engines[e].query(sparql, dataset=DATASETS[dataset])) for e in ("oxigraph", "rdflib")
    ]
    assert answers[0] == answers[1]
