"""cakg.query_problems: the engine's syntax errors as one sentence at the exact place, the
undeclared prefixes with their fix, and the lint of the ontology's terms.

Each case is the engine's own error (pyoxigraph, parsed here as the workers parse it) for a
query, and the span and sentence the editor shows for it."""

from __future__ import annotations

import pyoxigraph
import pytest

from cakg.namespaces import PREFIXES
from cakg.query_problems import (
    Fix,
    Problem,
    Vocabulary,
    explain,
    lint,
    problems_of,
    undeclared,
    vocabulary_from,
)
from cakg.sparql_text import syntax_error_from

CAKG = "PREFIX cakg: <https://w3id.org/cakg/ontology#>\n"
VOCABULARY = Vocabulary(
    classes=frozenset({"State", "Person", "City", "StateVisit"}),
    properties=frozenset({"memberOf", "iso3166Alpha2", "locatedIn"}),
)


def engine_error(text: str) -> tuple[int, int, str]:
    """The engine's syntax error for TEXT: line, column and what it expected."""
    with pytest.raises(SyntaxError) as caught:
        pyoxigraph.Store().query(text)
    error = syntax_error_from(str(caught.value))
    assert error is not None and error.line is not None and error.column is not None
    return error.line, error.column, error.reason.split(": ", 1)[1]


# query, (line, column, end line, end column), the sentence
CASES = [
    (
        "SELEC ?x WHERE { ?x ?y ?z }",
        (1, 1, 1, 6),
        "SELEC is not a SPARQL keyword: did you mean SELECT?",
    ),
    (
        "SELECT * WHERE { ?x ?y ?z OPTINAL { ?x ?y ?w } }",
        (1, 27, 1, 34),
        "OPTINAL is not a SPARQL keyword: did you mean OPTIONAL?",
    ),
    (
        "SELECT * WHERE {\n  ?x ?y\n}",
        (2, 3, 2, 8),
        "The triple pattern ?x ?y has no object: add one after its predicate.",
    ),
    (
        "SELECT * WHERE { ?x }",
        (1, 18, 1, 20),
        "The triple pattern ?x has a subject only: add a predicate and an object "
        "(subject predicate object).",
    ),
    (
        "SELECT * WHERE { ?x ?y ?z . ?a ?b }",
        (1, 29, 1, 34),
        "The triple pattern ?a ?b has no object: add one after its predicate.",
    ),
    (
        "SELECT * WHERE { ?x ?y ?z ; ?p }",
        (1, 27, 1, 31),
        "The predicate after ; in ?x ?y ?z ; ?p has no object: add one after it.",
    ),
    (
        "SELECT * WHERE {\n  ?x ?y ?z\n",
        (1, 16, 1, 17),
        "The { opened at line 1, column 16 is never closed: add }.",
    ),
    (
        "SELECT * WHERE { ?x ?y ?z } }",
        (1, 29, 1, 30),
        "This } closes nothing: no { is open.",
    ),
    (
        "SELECT * WHERE { ?x ?y ?z . FILTER(?x > 3 }",
        (1, 43, 1, 44),
        "This } does not match the ( opened at line 1, column 35, which needs ) first.",
    ),
    (
        "PREFIX x: <a>\nSELECT * { ?x x:y ?z }",
        (1, 11, 1, 14),
        "<a> is not an absolute IRI: write it in full (https://...).",
    ),
    (
        "SELECT * WHERE { ?x ?y ?z . FILTER(?x = ) }",
        (1, 43, 1, 44),
        "} is not expected here: expected an expression (a variable, a value or a function call).",
    ),
    (
        "SELECT ?x WHERE { ?x ?y ?z } ORDER ?x",
        (1, 36, 1, 38),
        "?x is not expected here: expected BY.",
    ),
    (
        "SELECT * WHERE { ?x a foo:Bar }",
        (1, 23, 1, 27),
        "The prefix foo: is not declared: declare it with PREFIX foo: <...> before the query.",
    ),
]


@pytest.mark.parametrize(("text", "span", "sentence"), CASES)
def test_an_engine_error_is_one_sentence_at_its_place(
    text: str, span: tuple[int, int, int, int], sentence: str
) -> None:
    problem = explain(text, *engine_error(text))
    assert (problem.line, problem.column, problem.end_line, problem.end_column) == span
    assert problem.message == sentence
    assert problem.severity == "error"
    assert "\n" not in problem.message


def test_the_old_messages_are_gone() -> None:
    """What /sparql said (and still says, for programs) for these two queries."""
    assert "CONSTRUCT" in engine_error("SELEC ?x WHERE { ?x ?y ?z }")[2]
    assert "LATERAL" in engine_error("SELECT * WHERE { ?x ?y }")[2]
    assert "SELECT" in explain("SELEC ?x WHERE { ?x ?y ?z }", 1, 10, "expected CONSTRUCT").message


def test_an_undeclared_project_prefix_is_named_with_its_fix() -> None:
    """pyoxigraph's message for it was a six-line dump of Unicode ranges."""
    text = "# states\nSELECT * WHERE { ?x a cakg:State }"
    line, column, why = engine_error(text)
    assert "\\u{" in why  # the dump
    problem = explain(text, line, column, why)
    assert (problem.line, problem.column, problem.end_column) == (2, 23, 28)
    assert problem.message == (
        "The prefix cakg: is not declared: add PREFIX cakg: <https://w3id.org/cakg/ontology#> "
        "to the query's prologue."
    )
    # the PREFIX line goes under the leading comment, before the query
    assert problem.fix == Fix("Add PREFIX cakg:", CAKG, 2, 1)


def test_the_fix_goes_after_the_last_declaration() -> None:
    text = "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> SELECT * { ?x a cakg:State }"
    (problem,) = undeclared(text)
    assert problem.fix == Fix(
        "Add PREFIX cakg:", "\nPREFIX cakg: <" + PREFIXES["cakg"] + ">", 1, 53
    )
    fixed = text[:52] + problem.fix.text + text[52:]
    pyoxigraph.Store().query(fixed)  # reads


def test_each_undeclared_prefix_once_and_declared_ones_never() -> None:
    text = CAKG + "SELECT * { ?x a cakg:State ; rdfs:label ?l ; rdfs:comment ?c ; ex:p ?o }"
    found = undeclared(text)
    assert [p.message.split()[2] for p in found] == ["rdfs:", "ex:"]
    assert found[0].fix is not None and found[1].fix is None


def test_prefixes_in_strings_iris_and_comments_are_not_uses() -> None:
    text = 'SELECT * { ?x ?p "rdfs:label" , <urn:x:y> } # owl:Class'
    assert undeclared(text) == []


@pytest.mark.parametrize(
    ("text", "span", "sentence"),
    [
        (
            CAKG + "SELECT * { ?x a cakg:Sate }",
            (2, 17, 2, 26),
            "cakg:Sate is not a class of the ontology: did you mean cakg:State?",
        ),
        (
            CAKG + "SELECT * { ?x cakg:membrOf ?y }",
            (2, 15, 2, 27),
            "cakg:membrOf is not a class or property of the ontology: did you mean cakg:memberOf?",
        ),
        (
            "PREFIX o: <https://w3id.org/cakg/ontology#>\nSELECT * { ?x a o:Sate }",
            (2, 17, 2, 23),
            "o:Sate is not a class of the ontology: did you mean o:State?",
        ),
        (
            CAKG + "SELECT * { ?x cakg:zzzzzz ?y }",
            (2, 15, 2, 26),
            "cakg:zzzzzz is not a class or property of the ontology.",
        ),
    ],
)
def test_lint_suggests_the_closest_declared_term(
    text: str, span: tuple[int, int, int, int], sentence: str
) -> None:
    (problem,) = lint(text, VOCABULARY)
    assert (problem.line, problem.column, problem.end_line, problem.end_column) == span
    assert (problem.severity, problem.message) == ("warning", sentence)


def test_lint_is_quiet_on_declared_terms_and_other_namespaces() -> None:
    text = (
        CAKG + "PREFIX ex: <urn:ex#>\nSELECT * { ?x a cakg:State ; cakg:memberOf ?y ; ex:Sate ?z }"
    )
    assert lint(text, VOCABULARY) == []


def test_problems_of_puts_the_engine_error_before_the_warnings() -> None:
    text = CAKG + "SELEC * { ?x a cakg:Sate }"
    found = problems_of(text, VOCABULARY, engine_error(text))
    assert [p.severity for p in found] == ["error", "warning"]
    assert found[0].message.endswith("did you mean SELECT?")
    assert problems_of(CAKG + "SELECT * { ?x a cakg:State }", VOCABULARY) == []


def test_without_the_engine_the_tokens_still_show_keywords_and_brackets() -> None:
    """As the query is typed (no run yet): what can be told without parsing."""
    text = CAKG + "SELEC * { ?x a cakg:Sate . FILTER(?x = <urn:x> }"
    found = problems_of(text, VOCABULARY)
    assert [(p.severity, p.line, p.column) for p in found] == [
        ("error", 2, 1), ("error", 2, 48), ("warning", 2, 16),
    ]  # fmt: skip
    assert found[0].message == "SELEC is not a SPARQL keyword: did you mean SELECT?"
    assert found[1].message.startswith("This } does not match the ( opened at line 2, column 34")
    assert problems_of("INSERT DATA { <urn:a> <urn:b> <urn:c> }", VOCABULARY) == []


def test_a_problem_as_json() -> None:
    problem = Problem("error", "m", 1, 2, 1, 5, Fix("Add", "x", 1, 1))
    assert problem.as_json() == {
        "severity": "error", "message": "m", "line": 1, "column": 2, "endLine": 1,
        "endColumn": 5, "fix": {"label": "Add", "text": "x", "line": 1, "column": 1},
    }  # fmt: skip


def test_vocabulary_from_keeps_the_ontology_namespace() -> None:
    ns = PREFIXES["cakg"]
    vocabulary = vocabulary_from(
        {ns + "State": "class", ns + "memberOf": "property", ns: "other", "urn:x": "class"}
    )
    assert vocabulary.classes == {"State"} and vocabulary.properties == {"memberOf"}
    assert vocabulary.known == {"State", "memberOf"}


def test_columns_count_characters_not_bytes() -> None:
    text = 'SELECT * WHERE { ?x ?y "Қазақстан" . ?x }'
    problem = explain(text, *engine_error(text))
    assert (problem.column, problem.end_column) == (38, 40)
    assert problem.message.startswith("The triple pattern ?x has a subject only")
