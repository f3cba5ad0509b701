"""Point lookups: a query about one named node, recognised in its tokens (`PointLookup`).

`SELECT ?p ?o WHERE { <node> ?p ?o }` and its kin (one triple pattern, a named subject, no
other clause than DISTINCT, LIMIT and OFFSET) is answered through the store's pattern API in
the web process (OxigraphEngine.answer_lookup), never as query text: its work is bounded by the
node's degree. The guard (engine/guard.py) runs `LookupParser` after its screen, on the tokens
it has read (`QueryShape.lookup`); anything else is not a point lookup and goes to a worker.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from cakg.sparql_text import Token, decode_escapes

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


# An absolute IRI pyoxigraph surely accepts (a conservative subset of RFC 3987): scheme, an
# authority of plain characters and a port, then a path, query and fragment.
SURE_IRI = re.compile(
    r"[A-Za-z][A-Za-z0-9+.\-]*:"
    r"(?://(?:[\w.~!$&'()*+,;=\-]|%[0-9A-Fa-f]{2})*(?::[0-9]*)?(?=[/?#]|$)|(?!//))"
    r"(?:[^%#\x7f-\x9f\ue000-\uf8ff\ufff0-\uffff]|%[0-9A-Fa-f]{2})*"
    r"(?:#(?:[^%#\x7f-\x9f\ue000-\uf8ff\ufff0-\uffff]|%[0-9A-Fa-f]{2})*)?"
)


@dataclass(frozen=True)
class PointLookup:
    """A query about one named node: one triple pattern whose subject is an IRI.

    `SELECT [DISTINCT] ?p ?o WHERE { <node> ?p ?o } [LIMIT n] [OFFSET n]`, or the same as ASK.
    IRIs are absolute (prefixed names resolved); a variable's name is without its `?` or `$`.
    """

    form: Literal["SELECT", "ASK"]
    subject: str
    predicate: str | None  # None when it is a variable
    predicate_var: str | None
    object: str | None  # None when it is a variable
    object_var: str | None
    projection: tuple[str, ...]  # in SELECT order; for `*` (and ASK) the pattern's variables
    distinct: bool = False
    limit: int | None = None
    offset: int | None = None


class LookupParser:
    """Reads a point lookup from the tokens after the prologue; `parse()` is None for any other
    query."""

    def __init__(self, tokens: list[Token], start: int, prefixes: dict[str, str]) -> None:
        self.tokens = tokens
        self.i = start
        self.prefixes = prefixes

    def peek(self) -> Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self, value: str) -> bool:
        token = self.peek()
        if token is not None and token.kind in ("keyword", "punct") and token.value == value:
            self.i += 1
            return True
        return False

    def take_kind(self, *kinds: str) -> Token | None:
        token = self.peek()
        if token is not None and token.kind in kinds:
            self.i += 1
            return token
        return None

    def parse(self) -> PointLookup | None:
        form: Literal["SELECT", "ASK"]
        projected: list[str] | None = None  # None: `*` or ASK
        distinct = False
        if self.take("SELECT"):
            form = "SELECT"
            distinct = self.take("DISTINCT")
            if not self.take("*"):
                projected = []
                while (var := self.take_kind("var")) is not None:
                    projected.append(var.text[1:])
                if not projected:
                    return None
        elif self.take("ASK"):
            form = "ASK"
        else:
            return None
        self.take("WHERE")
        if not self.take("{"):
            return None
        subject = self.iri()
        predicate = self.iri(verb=True)
        predicate_var = self.var() if predicate is None else None
        obj = self.iri()
        object_var = self.var() if obj is None else None
        if subject is None or (predicate is None and predicate_var is None):
            return None
        if obj is None and object_var is None:
            return None
        self.take(".")
        if not self.take("}"):
            return None
        limit = offset = None
        for _ in range(2):
            if limit is None and self.take("LIMIT"):
                limit = self.integer()
                if limit is None:
                    return None
            elif offset is None and self.take("OFFSET"):
                offset = self.integer()
                if offset is None:
                    return None
        if self.i != len(self.tokens):
            return None
        variables = tuple(v for v in (predicate_var, object_var) if v is not None)
        if len(set(variables)) != len(variables):
            return None
        if projected is None:
            projection = variables if form == "SELECT" else ()
        elif len(set(projected)) != len(projected) or not set(projected) <= set(variables):
            return None
        else:
            projection = tuple(projected)
        return PointLookup(
            form, subject, predicate, predicate_var, obj, object_var, projection, distinct,
            limit, offset,
        )  # fmt: skip

    def iri(self, verb: bool = False) -> str | None:
        """The absolute IRI of the next token (an IRI, a prefixed name, or `a` as a verb)."""
        token = self.peek()
        if token is None:
            return None
        if verb and token.kind == "keyword" and token.value == "a":
            self.i += 1
            return RDF_TYPE
        if token.kind == "iri":
            iri = iri_text(token.text)
        elif token.kind == "pname":
            prefix, _, local = token.text.partition(":")
            base = self.prefixes.get(prefix)
            if base is None:
                return None
            iri = base + local.replace("\\", "")
        else:
            return None
        if SURE_IRI.fullmatch(iri) is None:
            return None
        self.i += 1
        return iri

    def var(self) -> str | None:
        token = self.take_kind("var")
        return token.text[1:] if token is not None else None

    def integer(self) -> int | None:
        token = self.take_kind("number")
        if token is None or not token.text.isdigit():
            return None
        value = int(token.text)
        return value if value < 2**63 else None


def iri_text(token: str) -> str:
    """The IRI an IRIREF token names, its escapes decoded (pyoxigraph decodes them in IRIs)."""
    return decode_escapes(token[1:-1])
