"""Values written into SPARQL text: terms, VALUES blocks, the outer WHERE group they go in."""

from __future__ import annotations

import pytest
from pyoxigraph import Store
from rdflib import XSD, BNode, Literal, URIRef, Variable

from cakg.errors import BadQuery
from cakg.sparql_terms import (
    bind_values,
    sparql_term,
    splice_values,
    values_column,
    values_row,
    where_group,
)
from cakg.sparql_text import tokenize

A = URIRef("urn:a")
B = URIRef("urn:b")


@pytest.mark.parametrize(
    ("term", "written"),
    [
        (A, "<urn:a>"),
        (Literal("x"), '"x"'),
        (Literal("x", lang="en"), '"x"@en'),
        (Literal("1", datatype=XSD.integer), f'"1"^^<{XSD.integer}>'),
        (Literal('say "hi"'), '"say \\"hi\\""'),
        (Literal("two\nlines"), '"""two\nlines"""'),
        # a `u` after a backslash: a codepoint escape, so no engine reads `\u0041` as `A`
        (Literal("\\u0041"), '"\\\\\\U000000750041"'),
    ],
)
def test_a_term_is_written_in_its_n3_form(term: URIRef | Literal, written: str) -> None:
    assert sparql_term(term) == written


@pytest.mark.parametrize("term", [BNode("b"), Variable("x")])
def test_only_iris_and_literals_can_be_written(term: BNode | Variable) -> None:
    with pytest.raises(BadQuery):
        sparql_term(term)


def test_a_written_literal_is_read_back_exactly() -> None:
    for text in ["\\u0041", "\\\\U00000041", 'a"b', "line\nbreak", "tab\t'"]:
        sparql = f"SELECT ?x WHERE {{ {values_column('x', [Literal(text)])} }}"
        solutions = list(Store().query(sparql))
        assert solutions[0]["x"].value == text


def test_values_blocks() -> None:
    assert values_column("x", [A, B]) == "VALUES ?x { <urn:a> <urn:b> }"
    assert values_row({"x": A, "y": Literal("b")}) == 'VALUES (?x ?y) { (<urn:a> "b") }'


@pytest.mark.parametrize(
    ("sparql", "form", "brace"),
    [
        ("SELECT ?x WHERE { ?x ?p ?o }", None, 16),
        ("SELECT ?x { ?x ?p ?o }", None, 10),
        ("ASK { ?x ?p ?o }", "ASK", 4),
        ("CONSTRUCT { ?x ?p ?o } WHERE { ?x ?p ?o }", "CONSTRUCT", 29),
        ("CONSTRUCT WHERE { ?x ?p ?o }", "CONSTRUCT", None),  # the template: no VALUES there
        ("CONSTRUCT WHERE { ?x ?p ?o }", None, 16),
        ("DESCRIBE <urn:a>", "DESCRIBE", None),
        ('SELECT ?x { ?x ?p "}{ WHERE" # { WHERE\n }', None, 10),
        ("SELECT ?x WHERE { { SELECT ?x WHERE { ?x ?p ?o } } }", None, 16),
        ("select ?x where { ?x ?p ?o }", None, 16),
        ("SELECT ?x ?where { ?x ?p ?where }", None, 17),  # a variable is not the keyword
        # an expression's group in the projection is not the WHERE group, keyword or none
        ("SELECT (EXISTS { ?a ?b ?c } AS ?e) WHERE { ?x ?p ?o }", None, 41),
        ("SELECT (EXISTS { ?a ?b ?c } AS ?e) { ?x ?p ?o }", None, 35),
    ],
)
def test_the_outer_where_group(sparql: str, form: str | None, brace: int | None) -> None:
    assert where_group(tokenize(sparql), form) == brace
    if brace is not None:
        assert sparql[brace] == "{"


def test_values_go_just_inside_the_where_groups_brace() -> None:
    sparql = "SELECT (EXISTS { ?x ?b ?c } AS ?e) { ?x ?p ?o }"
    brace = where_group(tokenize(sparql))
    assert brace is not None
    bound = splice_values(sparql, brace + 1, f" {values_column('x', [A])}")
    assert bound == "SELECT (EXISTS { ?x ?b ?c } AS ?e) { VALUES ?x { <urn:a> } ?x ?p ?o }"


def test_bindings_become_one_values_row() -> None:
    sparql = "SELECT ?x ?y WHERE { ?x ?p ?y }"
    bound = bind_values(sparql, {"x": A, "y": Literal("b")}, "SELECT")
    assert bound == 'SELECT ?x ?y WHERE { VALUES (?x ?y) { (<urn:a> "b") }  ?x ?p ?y }'


def test_bindings_refuse_a_query_with_escapes() -> None:
    with pytest.raises(BadQuery, match="escapes"):
        bind_values('SELECT ?x WHERE { ?x ?p "\\u0041" }', {"x": A})
    # an escape that names no character is not decoded: the offsets hold
    assert "VALUES" in bind_values('SELECT ?x WHERE { ?x ?p "\\uD800" }', {"x": A})
