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


@dataclass(frozen=True)
class QueryShape:
    """What the screen learnt about a query."""

    form: QueryForm | None  # None when the text is not well formed: the engine's parser says why
    has_from: bool  # the query names its own dataset (FROM / FROM NAMED)
    depth: int


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
    return QueryShape(form, bool(_FROM.search(code)), depth)


def _position(text: str, code: str, offset: int) -> tuple[int | None, int | None]:
    """Line and column (1-based) of an offset in `code`, when it maps onto `text` one-to-one."""
    if len(code) != len(text):  # \u escapes changed lengths: columns would lie
        return code[:offset].count("\n") + 1, None
    before = text[:offset]
    return before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1
