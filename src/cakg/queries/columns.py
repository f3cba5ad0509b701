"""The columns of a saved SELECT query: what each projected variable holds, read from the query.

For the response schemas of the OpenAPI document (cakg.web.openapi), each column gets its header
(the query's `columns`, when it gives one), a description in words and, when the query tells,
the kind of its values: `iri`, `string`,
`integer`, `number` or `boolean` (None: any). It is read from rdflib's algebra of the query:

- a computed column, `(expression AS ?x)` or `BIND(expression AS ?x)`, is described by its
  expression as written, and typed by it (STR and CONCAT give text, COUNT an integer, a
  comparison a boolean, a cast its datatype, IF and COALESCE what all their branches give);
- a column bound to a parameter (`BIND(?_state_iri AS ?state)`) is that parameter's value;
- `?x a C` makes it an IRI of a C; `?s p ?x` the p of ?s, text for a label or a title, and
  `property` names p so that the caller can look its rdfs:range up in the graph.

Stdlib, rdflib's SPARQL parser and cakg.sparql_text only; nothing here runs a query.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from rdflib import RDF, XSD, Literal, URIRef, Variable
from rdflib.paths import AlternativePath, InvPath, MulPath, Path, SequencePath
from rdflib.plugins.sparql.algebra import translateQuery
from rdflib.plugins.sparql.parser import parseQuery
from rdflib.plugins.sparql.parserutils import CompValue

from cakg.datatypes import DECIMALS, INTEGERS
from cakg.namespaces import shorten
from cakg.queries.header import SavedQuery
from cakg.queries.params import PARAM_VAR
from cakg.sparql_text import Token, tokenize

SKOS = "http://www.w3.org/2004/02/skos/core#"
DCTERMS = "http://purl.org/dc/terms/"
TEXT_PROPERTIES = frozenset(URIRef(i) for i in (
    "http://www.w3.org/2000/01/rdf-schema#label", "http://www.w3.org/2000/01/rdf-schema#comment",
    SKOS + "prefLabel", SKOS + "altLabel", SKOS + "definition", SKOS + "notation",
    DCTERMS + "title", DCTERMS + "description",
))  # fmt: skip
# the kind of value of each SPARQL function and operator (rdflib's names for them)
_STRING = ("STR", "CONCAT", "LCASE", "UCASE", "SUBSTR", "STRBEFORE", "STRAFTER", "REPLACE",
           "ENCODE_FOR_URI", "LANG", "STRUUID", "MD5", "SHA1", "SHA256", "SHA384", "SHA512",
           "STRLANG")  # fmt: skip
_BOOLEAN = ("BOUND", "isIRI", "isURI", "isBLANK", "isLITERAL", "isNUMERIC", "REGEX", "CONTAINS",
            "STRSTARTS", "STRENDS", "LANGMATCHES", "sameTerm", "EXISTS", "NOTEXISTS")  # fmt: skip
KINDS = {
    **{f"Builtin_{f}": "string" for f in _STRING},
    **{f"Builtin_{f}": "boolean" for f in _BOOLEAN},
    **{f"Builtin_{f}": "integer" for f in ("STRLEN", "YEAR", "MONTH", "DAY", "HOURS", "MINUTES")},
    **{f"Builtin_{f}": "number" for f in ("ABS", "CEIL", "FLOOR", "ROUND", "RAND", "SECONDS")},
    **{f"Builtin_{f}": "iri" for f in ("IRI", "URI", "DATATYPE", "UUID")},
    **{e: "boolean" for e in ("RelationalExpression", "ConditionalAndExpression",
                              "ConditionalOrExpression", "UnaryNot")},
    **{e: "number" for e in ("AdditiveExpression", "MultiplicativeExpression", "UnaryMinus",
                             "UnaryPlus", "Aggregate_Sum", "Aggregate_Avg")},
    "Aggregate_Count": "integer",
    "Aggregate_GroupConcat": "string",
}  # fmt: skip


@dataclass(frozen=True)
class Column:
    """One projected variable of a SELECT query."""

    name: str
    description: str
    kind: str | None = None  # iri, string, integer, number, boolean; None when not known
    property: str | None = None  # the property whose values the column holds, if one does
    title: str | None = None  # its header in words, from the query's `columns`


def datatype_kind(datatype: str | None) -> str | None:
    """The kind of value of a literal datatype: integer, number, boolean or string."""
    if datatype is None:
        return None
    term = URIRef(datatype)
    if term in INTEGERS:
        return "integer"
    if term in DECIMALS:
        return "number"
    return "boolean" if term == XSD.boolean else "string"


def read_columns(q: SavedQuery) -> tuple[Column, ...]:
    """The columns of Q (none for a query other than SELECT)."""
    if q.form != "SELECT":
        return ()
    reading = _Reading(q)
    return tuple(replace(reading.column(v), title=q.columns.get(v)) for v in q.variables)


class _Reading:
    """The patterns, bindings and aggregates of one query, to describe its variables."""

    def __init__(self, q: SavedQuery) -> None:
        self.text = q.sparql
        self.tokens = tokenize(self.text, strict=False)
        self.triples: list[tuple[Any, Any, Any]] = []
        self.binds: dict[str, Any] = {}
        self.aggregates: dict[str, CompValue] = {}
        self._walk(translateQuery(parseQuery(self.text)).algebra)

    def _walk(self, node: Any) -> None:
        """Collect the patterns that bind variables: not those of MINUS, or of a FILTER's or
        BIND's [NOT] EXISTS, which only test."""
        if isinstance(node, CompValue):
            if node.name == "BGP":
                self.triples.extend(node.triples)
            elif node.name == "Extend":
                self.binds.setdefault(str(node.var), node.expr)
            elif node.name == "AggregateJoin":
                self.aggregates.update((str(a.res), a) for a in node.A)
            for key, value in node.items():  # an `expr` holds the patterns of [NOT] EXISTS
                if key != "expr" and not (node.name == "Minus" and key == "p2"):
                    self._walk(value)
        elif isinstance(node, list | tuple):
            for item in node:
                self._walk(item)

    def column(self, name: str) -> Column:
        written = _expression_text(self.tokens, self.text, name)
        if written is not None and not re.fullmatch(r"\?\w+", written):
            kind = self.kind(self.binds.get(name), {name})
            return Column(name, f"Computed as {written}", kind)
        source = written[1:] if written is not None else name
        param = PARAM_VAR.match(source)
        if param is not None:
            kind = "iri" if param.group("type") == "iri" else None
            return Column(name, f"The value of the parameter `{param.group('name')}`", kind)
        return self.pattern_column(name, source)

    def pattern_column(self, name: str, source: str) -> Column:
        var = Variable(source)
        types = {o for s, p, o in self.triples if s == var and p == RDF.type and _iri(o)}
        objects = [(s, p) for s, p, o in self.triples if o == var and p != RDF.type]
        said = []
        if types:
            said.append(f"IRI of a {' or '.join(sorted(shorten(str(t)) for t in types))}")
        if objects:
            s, p = objects[0]
            said.append(f"the {_term_text(p)} of {_term_text(s)}")
        prop = _last_property(objects[0][1]) if objects else None
        if types or any(s == var for s, _, _ in self.triples):
            kind: str | None = "iri"
        elif prop in TEXT_PROPERTIES:
            kind = "string"
        else:
            kind = None
        if not said:
            return Column(name, f"The value of ?{source}", kind)
        text = "; ".join(said)
        return Column(name, text[0].upper() + text[1:], kind, str(prop) if prop else None)

    def kind(self, expr: Any, seen: set[str]) -> str | None:
        """What an expression gives: iri, string, integer, number, boolean, or None."""
        if isinstance(expr, Variable):
            name = str(expr)
            if name in self.aggregates:
                return self.kind(self.aggregates[name], seen)
            if name in seen:
                return self.pattern_column(name, name).kind
            if name in self.binds:
                return self.kind(self.binds[name], seen | {name})
            return self.pattern_column(name, name).kind
        if isinstance(expr, URIRef):
            return "iri"
        if isinstance(expr, Literal):
            return datatype_kind(str(expr.datatype or XSD.string))
        if not isinstance(expr, CompValue):
            return None
        if expr.name in KINDS:
            return KINDS[expr.name]
        if expr.name == "Function":  # a cast: xsd:integer(?x)
            return datatype_kind(str(expr.iri)) if str(expr.iri).startswith(str(XSD)) else None
        if expr.name in ("Aggregate_Sample", "Aggregate_Min", "Aggregate_Max"):
            return self.kind(expr.vars, seen)
        if expr.name == "Builtin_IF":
            return _same(self.kind(expr.arg2, seen), self.kind(expr.arg3, seen))
        if expr.name == "Builtin_COALESCE":
            return _same(*(self.kind(a, seen) for a in expr.arg))
        return None


def _same(*kinds: str | None) -> str | None:
    return kinds[0] if kinds and all(k == kinds[0] for k in kinds) else None


def _iri(term: Any) -> bool:
    return isinstance(term, URIRef)


def _expression_text(tokens: list[Token], text: str, name: str) -> str | None:
    """The expression of `(... AS ?name)` as written in the query, or None."""
    for i, token in enumerate(tokens[:-1]):
        after = tokens[i + 1]
        if token.value == "AS" and after.kind == "var" and after.text[1:] == name:
            depth = 0
            for j in range(i - 1, -1, -1):
                value = tokens[j].value
                depth += {")": 1, "(": -1}.get(value, 0) if tokens[j].kind == "punct" else 0
                if depth < 0:
                    return " ".join(text[tokens[j].end : token.start].split())
    return None


def _term_text(term: Any) -> str:
    """A subject or predicate of a pattern, in words: `?figure`, `the given state`, `cakg:x`."""
    if isinstance(term, Variable):
        param = PARAM_VAR.match(str(term))
        return f"the given {param.group('name')}" if param else f"?{term}"
    return _path_text(term)


def _path_text(path: Any) -> str:
    if isinstance(path, URIRef):
        return shorten(str(path))
    if isinstance(path, SequencePath):
        return "/".join(_path_text(p) for p in path.args)
    if isinstance(path, AlternativePath):
        return "|".join(_path_text(p) for p in path.args)
    if isinstance(path, InvPath):
        return f"^{_path_text(path.arg)}"
    if isinstance(path, MulPath):
        return f"{_path_text(path.path)}{path.mod}"
    return str(path)


def _last_property(path: Any) -> URIRef | None:
    """The property that gives the value at the end of a path (a sequence's last step)."""
    if isinstance(path, SequencePath):
        return _last_property(path.args[-1])
    if isinstance(path, Path):
        return None
    return path if isinstance(path, URIRef) else None
