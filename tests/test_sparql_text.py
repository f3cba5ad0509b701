"""The SPARQL tokenizer: each terminal of the grammar (19.8) as pyoxigraph reads it, the places
where pyoxigraph departs from the specification, and the line and column of what it cannot read;
the query's code without strings, IRIs and comments; a parser's positioned syntax errors."""

from __future__ import annotations

import pytest

from cakg.errors import BadQuery
from cakg.sparql_text import (
    Token,
    code_text,
    decode_escapes,
    has_escapes,
    position,
    syntax_error_from,
    tokenize,
)


def kinds(text: str) -> list[tuple[str, str]]:
    return [(token.kind, token.text) for token in tokenize(text)]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("<http://example.org/a#b>", "iri"),
        ("<>", "iri"),
        ("<relative/path?q=1>", "iri"),
        ("<http://x/\\u00E9>", "iri"),  # escapes are read inside IRIs
        ("<http://x/\\U0001F600>", "iri"),
        ("<http://x/é>", "iri"),
        ("ex:", "pname"),
        (":", "pname"),
        (":local", "pname"),
        ("ex:local", "pname"),
        ("ex-1.a_b:c", "pname"),
        ("ex:a.b", "pname"),
        ("ex:a:b", "pname"),
        ("ex:0a", "pname"),
        ("ex:%41b", "pname"),  # PLX: a percent escape
        ("ex:a\\~b\\.c", "pname"),  # PLX: backslash escapes
        ("éx:ü", "pname"),  # PN_CHARS_BASE beyond ASCII
        ("ex:a\u00b7b", "pname"),
        ("_:b0", "bnode"),
        ("_:0", "bnode"),
        ("_:a.b", "bnode"),
        ("?x", "var"),
        ("$x", "var"),
        ("?1", "var"),
        ("?é_x", "var"),
        ("?SERVICE", "var"),
        ("@en", "langtag"),
        ("@en-GB", "langtag"),
        ("@zh-Hant-TW", "langtag"),
        ("@en--ltr", "langtag"),  # a base direction (SPARQL 1.2, read by pyoxigraph)
        ("12", "number"),
        ("1.5", "number"),
        (".5", "number"),
        ("1e10", "number"),
        ("1.5E-3", "number"),
        ("1.e+2", "number"),
        (".5e1", "number"),
        ('"plain"', "string"),
        ("'single'", "string"),
        ('"""long "quoted" ""twice"" \n lines"""', "string"),
        ("'''long 'single' \n lines'''", "string"),
        ('"escapes \\t \\b \\n \\r \\f \\" \\\' \\\\"', "string"),
        ('"code points \\u00E9 \\U0001F600"', "string"),
        ('""', "string"),
        ("()", "nil"),
        ("( \t\n)", "nil"),
        ("[]", "anon"),
        ("[ ]", "anon"),
        ("SELECT", "keyword"),
        ("a", "keyword"),
        ("true", "keyword"),
        ("STRLEN", "keyword"),
        ("ENCODE_FOR_URI", "keyword"),
        ("SHA256", "keyword"),
    ],
)
def test_each_terminal_is_one_token(text: str, kind: str) -> None:
    assert kinds(text) == [(kind, text)]


@pytest.mark.parametrize(
    "punct",
    [
        "^^",
        "&&",
        "||",
        "!=",
        "<=",
        ">=",
        "{",
        "}",
        "(",
        ")",
        "[",
        "]",
        ";",
        ",",
        ".",
        "*",
        "+",
        "-",
        "/",
        "|",
        "^",
        "!",
        "=",
        "<",
        ">",
        "?",
        "~",
    ],
)
def test_punctuation(punct: str) -> None:
    assert kinds(f"{punct} ") == [("punct", punct)]


def test_keywords_are_upper_cased_but_a() -> None:
    tokens = tokenize("select Distinct a A")
    assert [t.value for t in tokens] == ["SELECT", "DISTINCT", "a", "A"]
    assert [t.text for t in tokens] == ["select", "Distinct", "a", "A"]


def test_tokens_keep_their_offsets() -> None:
    text = "SELECT ?s\n  WHERE { ?s ?p 'x' } # done"
    tokens = tokenize(text)
    assert all(text[t.start : t.end] == t.text for t in tokens)
    where = next(t for t in tokens if t.value == "WHERE")
    assert position(text, where.start) == (2, 3)
    assert isinstance(where, Token) and where.end == where.start + 5


def test_white_space_and_comments_are_skipped() -> None:
    assert kinds(" \t\r\n# a comment { SERVICE <x> }\n?x # another") == [("var", "?x")]


def test_a_comment_does_not_start_inside_an_iri_or_a_string() -> None:
    assert kinds("<http://x/a#b> '#c'") == [("iri", "<http://x/a#b>"), ("string", "'#c'")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # pyoxigraph reads keywords by prefix, with no boundary: a number ends before letters
        ("1e1SERVICE", [("number", "1e1"), ("keyword", "SERVICE")]),
        ("1.5SERVICE", [("number", "1.5"), ("keyword", "SERVICE")]),
        ("1.SERVICE", [("number", "1"), ("punct", "."), ("keyword", "SERVICE")]),
        ("12E", [("number", "12"), ("keyword", "E")]),
        ("trueSERVICE", [("keyword", "trueSERVICE")]),  # one run of letters: see the guard
        ("SELECT*{", [("keyword", "SELECT"), ("punct", "*"), ("punct", "{")]),
        ("?x.SERVICE", [("var", "?x"), ("punct", "."), ("keyword", "SERVICE")]),
        # pyoxigraph's PN_LOCAL holds one run of dots at most
        ("ex:a.b.c", [("pname", "ex:a.b"), ("punct", "."), ("keyword", "c")]),
        ("ex:a..b.c", [("pname", "ex:a..b"), ("punct", "."), ("keyword", "c")]),
        ("ex:a. ", [("pname", "ex:a"), ("punct", ".")]),  # a local name ends before a dot
        ("a.", [("keyword", "a"), ("punct", ".")]),
        ("ex:SERVICE", [("pname", "ex:SERVICE")]),
        ("SERVICE:x", [("pname", "SERVICE:x")]),
        ("PREFIXex:<x>", [("pname", "PREFIXex:"), ("iri", "<x>")]),
        ('"a"@en-GB', [("string", '"a"'), ("langtag", "@en-GB")]),
        ('"1"^^xsd:int', [("string", '"1"'), ("punct", "^^"), ("pname", "xsd:int")]),
        ("-1", [("punct", "-"), ("number", "1")]),
        ("(1)", [("punct", "("), ("number", "1"), ("punct", ")")]),
        ("?a<?b", [("var", "?a"), ("punct", "<"), ("var", "?b")]),  # `<?b` is no IRI: no `>`
    ],
)
def test_where_terminals_meet(text: str, expected: list[tuple[str, str]]) -> None:
    assert kinds(text) == expected


def test_escapes_outside_strings_and_iris_are_not_read() -> None:
    """The specification decodes \\u escapes over the whole text; pyoxigraph only inside strings
    and IRIs. A string holding an escaped quote stays one string."""
    text = 'BIND("\\u0022" AS ?a) SERVICE'
    assert kinds(text)[2:4] == [("string", '"\\u0022"'), ("keyword", "AS")]
    assert kinds(text)[-1] == ("keyword", "SERVICE")
    with pytest.raises(BadQuery) as caught:
        tokenize("SELECT * { \\u0053ERVICE <x> {} }")
    assert (caught.value.line, caught.value.column) == (1, 12)


def test_decode_escapes_gives_the_specifications_reading() -> None:
    assert decode_escapes('"\\u0022" \\u0053ERVICE \\U00000041') == '""" SERVICE A'
    assert decode_escapes("\\uD800") == "\\uD800"  # names no character: left as it is
    assert has_escapes("a\\u0041") and not has_escapes("a\\n") and not has_escapes("\\u00")


def test_a_long_string_whose_escape_names_no_character_falls_back_as_pyoxigraph_does() -> None:
    """pyoxigraph reads `\"\"\"x\" SERVICE #\\uD800\"\"\"` as `""`, `"x"`, SERVICE and a comment:
    the long string fails (\\uD800 is a surrogate), and the short empty one is read instead."""
    assert kinds('"""x" SERVICE #\\uD800"""') == [
        ("string", '""'),
        ("string", '"x"'),
        ("keyword", "SERVICE"),
    ]
    assert kinds('"""a"""') == [("string", '"""a"""')]
    with pytest.raises(BadQuery):
        tokenize('"\\uD800"')


def test_an_iri_whose_escape_is_not_allowed_is_the_less_than_operator() -> None:
    assert tokenize("<a\\u0020b>", strict=False)[0] == ("punct", "<", 0, "<", False)
    assert kinds("<a\\u0041b>") == [("iri", "<a\\u0041b>")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # inside an expression, `<` after an operand is the operator (pyoxigraph reads it so)
        ("FILTER(?a<?b&&?c>?d)", ["<", "?b", "&&", "?c", ">"]),
        ("FILTER(1<2+3&&4>5)", ["<", "2", "+", "3", "&&", "4", ">"]),
        ("FILTER(?a <= ?b)", ["<="]),
        ("FILTER(STR(?a)<STR(?b))", ["<"]),
        ("ORDER BY ex:f(?a<?b&&?c>?d)", ["<", "?b", "&&", "?c", ">"]),
        ("{ SELECT * {} GROUP BY ?a ex:f(?a<?b&&?c>?d) }", ["<", "?b", "&&", "?c", ">"]),
        ("{ SELECT * {} GROUP BY ?a (?a<?b&&?c>?d) }", ["<", "?b", "&&", "?c", ">"]),
        ("{ SELECT ?a (?a<?b&&?c>?d AS ?x) {} }", ["<", "?b", "&&", "?c", ">"]),
    ],
)
def test_less_than_after_an_operand_in_an_expression(text: str, expected: list[str]) -> None:
    texts = [t.text for t in tokenize(text)]
    at = texts.index(expected[0])
    assert texts[at : at + len(expected)] == expected


@pytest.mark.parametrize(
    "text",
    [
        "{ ?s ?p (<a> <b>) }",  # a collection
        "{ ?s (<a>|<b>) ?o }",  # a path's group
        "{ VALUES (?a ?b) { (<a> <b>) } }",  # a VALUES row
        "{ ?s a (<a> <b>) }",
        "{ FILTER(?x IN (<a>, <b>)) }",  # after `(` or `,` an IRI starts
        "SELECT (<a> AS ?x) {}",
    ],
)
def test_iris_where_terms_are_expected(text: str) -> None:
    assert [t.text for t in tokenize(text) if t.kind == "iri"] == ["<a>", "<b>"][: text.count("<")]


def test_tokens_say_whether_they_stand_in_an_expression() -> None:
    tokens = tokenize("{ ?s ?p ?o , ?x FILTER(CONCAT(?a, ?b)) }")
    commas = [t.expression for t in tokens if t.text == ","]
    assert commas == [False, True]


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ("SELECT ?x WHERE { ?x ?p 'open }", 1, 25),  # an unterminated string
        ('SELECT ?x WHERE {\n  ?x ?p "a\nb" }', 2, 9),  # a newline in a short string
        ('ASK { ?s ?p """never closed }', 1, 15),  # `""`, then `"never closed }`
        ("ASK { ?s ?p '\\q' }", 1, 13),  # an escape SPARQL does not know
        ("ASK {\n ?s ?p ?o ` }", 2, 11),  # a character no terminal starts with
        ("ASK { ?s ?p ?o } \\", 1, 18),
        ("ASK { ?s ?p ?o @ }", 1, 16),
        ("ASK { ?s ?p ?o }\u00a0", 1, 17),  # white space is space, tab, CR and LF only
        ("ASK { ?s ?p ?o }\f", 1, 17),
        ("ASK { ?s ?p ?o & ?x }", 1, 16),
        ("ASK { ?s ?p $ }", 1, 13),
        ("ASK { _ }", 1, 7),
    ],
)
def test_what_cannot_be_read_is_a_bad_query_with_line_and_column(
    text: str, line: int, column: int
) -> None:
    with pytest.raises(BadQuery) as caught:
        tokenize(text)
    assert (caught.value.line, caught.value.column) == (line, column)
    assert f"line {line}, column {column}" in str(caught.value)


def test_not_strict_turns_what_cannot_be_read_into_error_tokens() -> None:
    tokens = tokenize("ASK { ` ?x }", strict=False)
    assert [(t.kind, t.text) for t in tokens] == [
        ("keyword", "ASK"),
        ("punct", "{"),
        ("error", "`"),
        ("var", "?x"),
        ("punct", "}"),
    ]
    assert [t.kind for t in tokenize("'open ?x", strict=False)][:2] == ["error", "keyword"]


def test_a_realistic_query() -> None:
    text = """PREFIX cakg: <https://w3id.org/cakg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?person (COUNT(DISTINCT ?doc) AS ?n) WHERE {
  ?person a cakg:Person ; rdfs:label ?label .
  OPTIONAL { ?person cakg:mentionedIn ?doc }
  FILTER(LANG(?label) = "en" && ?n >= 2)
} GROUP BY ?person ORDER BY DESC(?n) LIMIT 10"""
    tokens = tokenize(text)
    assert [t.kind for t in tokens].count("error") == 0
    assert [t.text for t in tokens if t.kind == "pname"] == [
        "cakg:",
        "rdfs:",
        "cakg:Person",
        "rdfs:label",
        "cakg:mentionedIn",
    ]
    assert [t.value for t in tokens if t.kind == "keyword"][-6:] == [
        "GROUP",
        "BY",
        "ORDER",
        "BY",
        "DESC",
        "LIMIT",
    ]


def test_code_text_blanks_strings_iris_and_comments_as_the_specification_reads() -> None:
    text = 'SELECT ?s { ?s <http://x/GRAPH> "GRAPH" } # GRAPH\nLIMIT 1'
    code = code_text(text)
    assert len(code) == len(text) and "GRAPH" not in code and code.index("LIMIT") == 50
    assert code.count("\n") == 1
    escaped = 'ASK { ?s ?p "\\u0022 } GRAPH ?g { } \\u0022" }'
    assert "GRAPH" in code_text(escaped) and len(code_text(escaped)) != len(escaped)


@pytest.mark.parametrize(
    ("message", "line", "column", "why"),
    [
        ("error at 2:16: expected one of Prefix", 2, 16, "expected one of Prefix"),  # pyoxigraph
        ("Parse error: error at 1:5: expected\nWHERE", 1, 5, "expected\nWHERE"),  # a server's body
    ],
)
def test_a_parsers_positioned_message_is_a_syntax_error_with_line_and_column(
    message: str, line: int, column: int, why: str
) -> None:
    error = syntax_error_from(message)
    assert error is not None
    assert (error.line, error.column) == (line, column)
    assert str(error) == f"syntax error at line {line}, column {column}: {why}"


def test_a_message_without_a_position_is_not_read_as_one() -> None:
    assert syntax_error_from("unexpected end of input") is None
    assert syntax_error_from("error at line 2") is None


def test_the_tokenizers_errors_are_worded_as_a_parsers() -> None:
    with pytest.raises(BadQuery) as caught:
        tokenize("ASK {\n ` }")
    read = syntax_error_from(f"error at 2:2: {str(caught.value).split(': ', 1)[1]}")
    assert read is not None and str(read) == str(caught.value)


@pytest.mark.parametrize(
    "message, text, line, column",
    [
        (
            "Virtuoso 37000 Error SP030: SPARQL compiler, line 2: syntax error at '}' before '}'",
            "SELECT ?s\nWHERE { ?s ?p }",
            2,
            15,
        ),
        (  # the second ?o, the one the next token follows
            "SPARQL compiler, line 1: syntax error at '?o' before '}'",
            "SELECT ?s WHERE { ?s ?p ?o ?o }",
            1,
            28,
        ),
        ("SPARQL compiler, line 1: syntax error at 'SELEC' before '?s'", "SELEC ?s {}", 1, 1),
        ("SPARQL compiler, line 9: syntax error at 'x'", "ASK {}", 9, 1),  # not in the text
    ],
)
def test_virtuoso_syntax_errors_get_a_column_from_the_text_sent(
    message: str, text: str, line: int, column: int
) -> None:
    """Virtuoso names a line and the token, not a column: it is found in the query sent."""
    error = syntax_error_from(message, text)
    assert error is not None and (error.line, error.column) == (line, column)
    assert str(error).startswith(f"syntax error at line {line}, column {column}: unexpected '")
