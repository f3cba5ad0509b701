"""cakg.query_syntax on its own: each finding's offsets and sentence, and the parser's list of
expectations in words (the sentences as the editor shows them are in test_query_problems.py)."""

from __future__ import annotations

import pytest

from cakg.query_syntax import incomplete_triple, readable, unbalanced, unknown_keyword
from cakg.sparql_text import tokenize


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("SELEC ?x { }", (0, 5, "SELEC is not a SPARQL keyword: did you mean SELECT?")),
        ("select ?x whre { }", (10, 14, "whre is not a SPARQL keyword: did you mean WHERE?")),
        ("SELECT ?x { ?x a ?y } ORDR BY ?x",
         (22, 26, "ORDR is not a SPARQL keyword: did you mean ORDER?")),
        ("SELECT ?x { ?x a ?y } QWXZ",
         (22, 26, "QWXZ is not a SPARQL keyword: is it a misspelt keyword?")),
        ("SELECT ?x { ?x a ?y FILTER(true && isIRI(?x)) }", None),
    ],
)  # fmt: skip
def test_unknown_keyword(text: str, found: tuple[int, int, str] | None) -> None:
    assert unknown_keyword(tokenize(text, strict=False), len(text)) == found


def test_an_unknown_word_after_the_error_is_not_blamed() -> None:
    text = "SELECT ?x { ?x a } QWXZ"
    assert unknown_keyword(tokenize(text, strict=False), until=17) is None


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("ASK { ?x ?y ?z", (4, 5, "The { opened at line 1, column 5 is never closed: add }.")),
        ("ASK { ?x ?y ?z } ]", (17, 18, "This ] closes nothing: no [ is open.")),
        ("ASK {\n FILTER(?x }", (17, 18, "This } does not match the ( opened at line 2, column 8, "
                                          "which needs ) first.")),
        ('ASK { ?x ?y "{" }', None),
    ],
)  # fmt: skip
def test_unbalanced(text: str, found: tuple[int, int, str] | None) -> None:
    assert unbalanced(text, tokenize(text, strict=False)) == found


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("ASK { ?x ?y }",
         (6, 11, "The triple pattern ?x ?y has no object: add one after its predicate.")),
        ("ASK { ?x ?y ?z , }",
         (15, 16, "Nothing follows the , in ?x ?y ?z ,: add another object after it.")),
        ("ASK { ?x <p>/<q> ?z . ?a a ?b ; ?c ?d }", None),
        ("ASK { ?x ?y ?z ; }", None),
        ("SELECT ?x ?y WHERE { ?x ?y ?z }", None),
        ("ASK { ?x ?y [ <p> ?o ] }", None),
    ],
)  # fmt: skip
def test_incomplete_triple(text: str, found: tuple[int, int, str] | None) -> None:
    assert incomplete_triple(text, tokenize(text, strict=False), len(text)) == found


@pytest.mark.parametrize(
    ("why", "words"),
    [
        ("expected BY", "expected BY"),
        ('expected one of ",", ".", "}", [_]', 'expected ",", "." or "}"'),
        ("expected one of ABS, AVG, DAY, IRI, MAX, MD5, MIN, NOT, NOW, STR",
         "expected an expression (a variable, a value or a function call)"),
        ("expected one of Prefix not found, ['%'], ['-' | '0' ..= '9'], [_]",
         "expected Prefix not found"),
        ("expected [_]", "the query cannot be read from here"),
        ("unexpected end", "unexpected end"),
    ],
)  # fmt: skip
def test_readable(why: str, words: str) -> None:
    assert readable(why) == words
