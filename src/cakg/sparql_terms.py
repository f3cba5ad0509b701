"""Values written into SPARQL text: each RDF term as SPARQL, VALUES blocks, and where they go.

A value reaches a query as text in two places: a saved query's checked parameters
(`cakg.queries.bind`) and the bindings of a query sent to a remote store, whose protocol has no
other way to take them (`cakg.engine.remote`). Both write terms with `sparql_term` (rdflib's
N3 form of the term, never a caller's text pasted in) into VALUES blocks at the top of the
query's outer WHERE group (`where_group`, read from `cakg.sparql_text`'s tokens), inserted by
`splice_values`. Stdlib and rdflib's terms only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from rdflib import BNode, Literal, URIRef
from rdflib.term import Identifier

from cakg.errors import BadQuery
from cakg.sparql_text import Token, decode_escapes, tokenize

_ESCAPED_U = re.compile(r"(?<=\\)([uU])")  # a `u` or `U` just after a backslash


def sparql_term(term: Identifier) -> str:
    """An IRI or a literal as SPARQL text: its N3 form, with `u`/`U` after a backslash
    escaped; BadQuery for anything else (a blank node or a variable cannot be written as a value).

    SPARQL expands `\\uXXXX` escapes anywhere in the text before parsing; some engines (rdflib)
    do so even after an escaped backslash, others (oxigraph) do not. Writing that letter as a
    codepoint escape gives every engine the same, exact value.
    """
    if isinstance(term, Literal):
        return _ESCAPED_U.sub(lambda m: f"\\U{ord(m.group(1)):08X}", term.n3())
    if isinstance(term, URIRef):
        return term.n3()
    if isinstance(term, BNode):
        raise BadQuery("a blank node cannot be sent to a remote store as a parameter value")
    raise BadQuery(f"cannot bind {term!r}: only IRIs and literals can be bound")


def values_column(variable: str, terms: Iterable[Identifier]) -> str:
    """The values of one variable as a VALUES block: `VALUES ?a { t1 t2 }`."""
    return f"VALUES ?{variable} {{ {' '.join(sparql_term(t) for t in terms)} }}"


def values_row(bindings: Mapping[str, Identifier]) -> str:
    """One solution as a VALUES block: `VALUES (?a ?b) { (t1 t2) }`."""
    names = " ".join(f"?{name}" for name in bindings)
    terms = " ".join(sparql_term(term) for term in bindings.values())
    return f"VALUES ({names}) {{ ({terms}) }}"


def where_group(tokens: Sequence[Token], form: str | None = None) -> int | None:
    """The offset of the `{` opening the query's outer WHERE group, or None.

    That is the first `{` outside any brace or parenthesis after the keyword WHERE or, when the
    keyword is left out, the first one at all. A CONSTRUCT (when `form` says so) must say WHERE:
    the `{` of its short form `CONSTRUCT WHERE { ... }` is the template, which cannot take a
    VALUES block.
    """
    depth = 0
    first = None
    after_where = False
    for token in tokens:
        value = token.value
        if token.kind == "punct" and value in ("{", "(", "}", ")"):
            if value == "{" and depth == 0:
                if after_where:
                    return None if form == "CONSTRUCT" and first is None else token.start
                if first is None:
                    first = token.start
            depth += 1 if value in ("{", "(") else -1
        elif depth == 0 and token.kind == "keyword" and value == "WHERE":
            after_where = True
    return None if form == "CONSTRUCT" else first


def splice_values(text: str, at: int, blocks: str) -> str:
    """`text` with VALUES `blocks` inserted at offset `at`: just after a `where_group` brace."""
    return text[:at] + blocks + text[at:]


def bind_values(sparql: str, bindings: Mapping[str, Identifier], form: str | None = None) -> str:
    """The query with one VALUES row for `bindings` at the top of its outer WHERE group."""
    if decode_escapes(sparql) != sparql:  # the store would read other offsets than ours
        raise BadQuery("a query with \\u escapes cannot take parameters on a remote store")
    brace = where_group(tokenize(sparql, strict=False), form)
    if brace is None:
        raise BadQuery("the query has no WHERE group to bind its parameters in")
    return splice_values(sparql, brace + 1, f" {values_row(bindings)} ")
