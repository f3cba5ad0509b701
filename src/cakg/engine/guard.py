"""Screen a query's text before any engine parses it: form, updates, SERVICE, FROM, nesting.

Both engines would reach out to the network for `SERVICE` (pyoxigraph sends the HTTP request
itself), and both crash on deep nesting (pyoxigraph's parser overflows its stack, rdflib's hits
RecursionError). This screen is engine-neutral and cheap (a few regular expressions over the
text with strings, IRIs and comments blanked out), so it runs in the web process before a query
is sent to a worker. It errs on the side of refusing: a keyword is looked for wherever the SPARQL
grammar could read one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate

from cakg.engine.base import QueryForm
from cakg.errors import BadQuery, UpdateRefused

MAX_NESTING = 128  # brackets, braces and parentheses; pyoxigraph crashes at a few thousand

# SPARQL applies \u escapes to the whole query text before parsing (pyoxigraph does too).
_CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
# Tokens whose content is not code: IRIs, strings and comments (SPARQL 1.1 grammar, 19.8).
_OPAQUE = re.compile(
    r"""<[^<>"{}|^`\\\x00-\x20]*>"""
    r'''|"""(?:[^"\\]|\\.|"(?!""))*"""'''
    r"""|'''(?:[^'\\]|\\.|'(?!''))*'''"""
    r'''|"(?:[^"\\\n\r]|\\.)*"'''
    r"""|'(?:[^'\\\n\r]|\\.)*'"""
    r"""|\#[^\n\r]*""",
    re.DOTALL,
)
# A keyword is a word not glued to a prefixed name, a variable or a blank node label.
_EDGE_BEFORE = r"(?<![\w:?$\-])"
_EDGE_AFTER = r"(?![\w:\-])"
_SERVICE = re.compile(_EDGE_BEFORE + r"SERVICE" + _EDGE_AFTER, re.IGNORECASE)
_FROM = re.compile(_EDGE_BEFORE + r"FROM" + _EDGE_AFTER, re.IGNORECASE)
_FIRST_KEYWORD = re.compile(
    r"\s*(?:(?:PREFIX\s*[^\s:]*:|BASE)\s*)*([A-Za-z]+)" + _EDGE_AFTER, re.IGNORECASE
)
_NOT_NEWLINE = re.compile(r"[^\n]")
_BRACKETS = re.compile(r"[(){}\[\]]")
FORMS: tuple[QueryForm, ...] = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
UPDATES = frozenset(
    {"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH"}
)


_GRAPH = re.compile("GRAPH", re.IGNORECASE)  # wherever it is: a false alarm costs little
_BLOCKING = re.compile(_EDGE_BEFORE + r"(?:ORDER|GROUP|DISTINCT)" + _EDGE_AFTER, re.IGNORECASE)


@dataclass(frozen=True)
class QueryShape:
    """What the screen learnt about a query."""

    form: QueryForm | None  # None when the text is not well formed: the engine's parser says why
    has_from: bool  # the query names its own dataset (FROM / FROM NAMED)
    depth: int
    streams: bool = False  # no ORDER BY, GROUP BY or DISTINCT: results come as they are found
    point_lookup: bool = False  # see is_point_lookup
    says_graph: bool = True  # the word GRAPH is in the query's code: it may read named graphs


def _code(text: str) -> str:
    text = _CODEPOINT.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), text)
    return _OPAQUE.sub(_blank, text)


def _blank(match: re.Match[str]) -> str:
    """Spaces in place of an opaque token, newlines kept, so offsets and lines still match."""
    return _NOT_NEWLINE.sub(" ", match.group())


@lru_cache(maxsize=1024)
def inspect_query(text: str, max_nesting: int = MAX_NESTING) -> QueryShape:
    """The query's form and dataset clause; BadQuery or UpdateRefused when it must not run."""
    code = _code(text)
    first = _FIRST_KEYWORD.match(code)
    keyword = first.group(1).upper() if first else ""
    if keyword in UPDATES:
        raise UpdateRefused(
            f"{keyword} is a SPARQL Update operation: this endpoint is read-only and answers "
            "queries only (SELECT, ASK, CONSTRUCT, DESCRIBE)"
        )
    if match := _SERVICE.search(code):
        raise BadQuery(
            "SERVICE (federated query) is not allowed: this endpoint never makes outbound "
            "requests; query the remote endpoint yourself",
            *_position(text, code, match.start()),
        )
    brackets = _BRACKETS.findall(code)
    depth = max(accumulate(1 if b in "({[" else -1 for b in brackets), default=0)
    if depth > max_nesting:
        raise BadQuery(
            f"the query nests brackets, braces or parentheses {depth} deep; the limit is "
            f"{max_nesting}: flatten it"
        )
    form = keyword if keyword in FORMS else None
    return QueryShape(
        form,
        bool(_FROM.search(code)),
        depth,
        streams=not _BLOCKING.search(code),
        point_lookup=form is not None and is_point_lookup(text),
        says_graph=bool(_GRAPH.search(code)),
    )


# Tokens of the small SPARQL subset is_point_lookup accepts (ASCII names only: anything else is
# simply not a point lookup). Alternatives are tried in order: a prefixed name before a word.
_TOKEN = re.compile(
    r"""(?P<ws>\s+|\#[^\n\r]*)"""
    r"""|(?P<iri><[^<>"{}|^`\\\x00-\x20]*>)"""
    r"""|(?P<string>"(?:[^"\\\n\r]|\\.)*"|'(?:[^'\\\n\r]|\\.)*')"""
    r"""(?P<suffix>@[A-Za-z]+(?:-[A-Za-z0-9]+)*|\^\^)?"""
    r"""|(?P<var>[?$][A-Za-z0-9_]+)"""
    r"""|(?P<pname>(?:[A-Za-z][A-Za-z0-9_-]*)?:(?:[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_-])?)?)"""
    r"""|(?P<number>[0-9]+)"""
    r"""|(?P<word>[A-Za-z]+)"""
    r"""|(?P<punct>[{}.*])"""
)
_Token = tuple[str, str]  # (kind, text); keywords upper-cased, `a` as ("a", "a")
_NODE = ("iri", "pname")
_PREDICATE = ("iri", "pname", "var", "a")
_TEMPLATE = ("iri", "pname", "var", "a", "string", "typed", "number", ".")


@lru_cache(maxsize=1024)
def is_point_lookup(text: str) -> bool:
    """True for a query about one named node: a single triple pattern whose subject is an IRI.

    `SELECT ?p ?o WHERE { <node> ?p ?o }`, with DISTINCT, ORDER BY variables, LIMIT and OFFSET;
    the same as ASK, or as CONSTRUCT (any template of plain terms). Its work is bounded by the
    node's degree: no join, no expression, no path, no function, no nested group. Anything
    outside that subset, however harmless, is not one (the answer is False, never an error).
    """
    tokens = _tokens(text)
    if tokens is None:
        return False
    parser = _Parser(tokens)
    return parser.point_lookup()


class _Parser:
    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.i = 0

    def at(self, *accepted: str) -> bool:
        """The current token is one of `accepted` (a kind or a keyword)."""
        if self.i >= len(self.tokens):
            return False
        kind, text = self.tokens[self.i]
        return kind in accepted or (kind == "word" and text in accepted)

    def take(self, *accepted: str) -> bool:
        if self.at(*accepted):
            self.i += 1
            return True
        return False

    def point_lookup(self) -> bool:
        while self.at("PREFIX", "BASE"):
            if self.take("PREFIX"):
                if not (self.at("pname") and self.tokens[self.i][1].endswith(":")):
                    return False
                self.i += 1
            else:
                self.i += 1
            if not self.take("iri"):
                return False
        if not self.head():
            return False
        self.take("WHERE")
        if not (self.take("{") and self.take(*_NODE) and self.take(*_PREDICATE)):
            return False
        if not self.object():
            return False
        self.take(".")
        if not self.take("}"):
            return False
        if self.take("ORDER"):
            if not (self.take("BY") and self.take("var")):
                return False
            while self.take("var"):
                pass
        for _ in range(2):
            if self.take("LIMIT", "OFFSET") and not self.take("number"):
                return False
        return self.i == len(self.tokens)

    def head(self) -> bool:
        """SELECT [DISTINCT|REDUCED] (vars | *), ASK, or CONSTRUCT {template}."""
        if self.take("SELECT"):
            self.take("DISTINCT", "REDUCED")
            if self.take("*"):
                return True
            if not self.take("var"):
                return False
            while self.take("var"):
                pass
            return True
        if self.take("CONSTRUCT"):
            if not self.take("{"):
                return False
            while self.take(*_TEMPLATE):
                pass
            return self.take("}")
        return self.take("ASK")

    def object(self) -> bool:
        if self.take("iri", "pname", "var", "number", "string", "TRUE", "FALSE"):
            return True
        return self.take("typed") and self.take(*_NODE)


def _tokens(text: str) -> list[_Token] | None:
    """The tokens of `text`, or None when some part of it is not in the subset."""
    tokens: list[_Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            return None
        pos = match.end()
        kind = match.lastgroup
        if kind == "ws":
            continue
        if kind == "suffix" or kind == "string":  # the suffix group closes after the string's
            kind = "typed" if match.group("suffix") == "^^" else "string"
            tokens.append((kind, match.group()))
        elif kind == "word":
            word = match.group()
            tokens.append(("a", "a") if word == "a" else ("word", word.upper()))
        elif kind == "punct":
            tokens.append((match.group(), match.group()))
        else:
            assert kind is not None
            tokens.append((kind, match.group()))
    return tokens


def _position(text: str, code: str, offset: int) -> tuple[int | None, int | None]:
    """Line and column (1-based) of an offset in `code`, when it maps onto `text` one-to-one."""
    if len(code) != len(text):  # \u escapes changed lengths: columns would lie
        return code[:offset].count("\n") + 1, None
    before = text[:offset]
    return before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1
