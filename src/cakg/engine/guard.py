"""Screen a query's text before any engine parses it: form, updates, SERVICE, FROM, size limits.

Both engines would reach out to the network for `SERVICE` (pyoxigraph sends the HTTP request
itself), and both crash on deep nesting and long chains (pyoxigraph's parser and evaluator
recurse, and overflow their stack; rdflib hits RecursionError). This screen is engine-neutral
and cheap (one pass of `cakg.sparql_text.tokenize`), so it runs in the web process before a
query is sent to a worker.

It reads the text as pyoxigraph does (see `cakg.sparql_text`), and errs on the side of refusing:
pyoxigraph's parser has no tokenizer and backtracks, so a keyword is looked for wherever it
could read one: inside a run of letters (`trueSERVICE`, `1e1SERVICE` is `1e1` and `SERVICE`),
at the start of a prefixed name (`SERVICE:x{...}` is `SERVICE :x {...}` to it), and after the
colon of one whose IRI might not parse (pyoxigraph then reads `ex:` alone and goes on). When the
text holds `\\u` escapes, it is read a second time as the SPARQL specification reads it (escapes
decoded first, everywhere), as rdflib and remote stores do, and refused if either reading must be.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

from cakg.engine.base import QueryForm
from cakg.engine.point_lookup import SURE_IRI, LookupParser, PointLookup, iri_text
from cakg.errors import BadQuery, UpdateRefused
from cakg.sparql_text import (
    OPERANDS,
    Token,
    decode_escapes,
    has_escapes,
    position,
    tokenize,
)

MAX_NESTING = 128  # brackets, braces and parentheses; pyoxigraph crashes at a few thousand
# Operators that build a left-nested tree, one level each, wherever they are: a query may hold
# at most MAX_CHAIN of each, and MAX_GROUPS braces (`{ }{ }{ }` joins groups without a keyword).
# pyoxigraph 0.5 overflows an 8 MiB stack (a query worker's main thread) at about 2600 MINUS or
# BIND in one group, 6600 UNION or OPTIONAL, 6800 `+`, 8100 triple patterns, 9300 `&&`; a 1 MiB
# thread at 300-400 MINUS, 512 KiB at 150-200, 256 KiB at 76 of any of MINUS, BIND, VALUES,
# triple patterns, groups or path steps (a thread that small cannot run ordinary queries); a
# collection's items (parsed recursively) at 4100 on 8 MiB, 38 on 256 KiB. 256 stays a tenth of
# the worker's limit and fits a 1 MiB thread.
MAX_CHAIN = 256
MAX_GROUPS = 512
CHAINS: dict[str, str] = {  # a token's value -> the operator named in the refusal
    "UNION": "UNION",
    "MINUS": "MINUS",
    "OPTIONAL": "OPTIONAL",
    "BIND": "BIND",
    "VALUES": "VALUES",
    "FILTER": "FILTER",
    "GRAPH": "GRAPH",
    "SELECT": "SELECT (subqueries)",
    "{": "'{' (groups)",
    "+": "'+'",
    "-": "'-'",
    "*": "'*'",
    "/": "'/' (division or path sequence)",
    "|": "'|' (path alternative)",
    "&&": "'&&'",
    "||": "'||'",
    "!": "'!'",
    ".": "triple patterns ('.', ';' and ',')",
    ";": "triple patterns ('.', ';' and ',')",
    ",": "triple patterns ('.', ';' and ',')",
}
_KEYWORD_CHAINS = tuple(word for word in CHAINS if word.isalpha())
_BLOCKING = ("ORDER", "GROUP", "DISTINCT")
_WATCHED = ("SERVICE", "FROM", "GRAPH", *_BLOCKING)  # words looked for inside prefixed names
_OPENING = frozenset("([{")
_CLOSING = frozenset(")]}")
_COLLECTION = "collection items"  # `( 1 2 3 )`: two triple patterns each
_CHAIN_NAMES = tuple(
    sorted([*dict.fromkeys(CHAINS.values()), _COLLECTION], key=lambda name: "{" in name)
)
_GROUPS = CHAINS["{"]
# Operators counted only inside an expression's parentheses (True: outside, `+` is a sign or a
# path modifier, `*` a path modifier or `SELECT *`) or only outside them (False: `,` separates a
# function's arguments, `;` GROUP_CONCAT's separator); the others are counted everywhere.
_COUNTED_INSIDE = {"+": True, "-": True, "*": True, "&&": True, "||": True}
_COUNTED_INSIDE.update({".": False, ";": False, ",": False})
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
    streams: bool = False  # no ORDER BY, GROUP BY or DISTINCT: results come as they are found
    says_graph: bool = True  # the word GRAPH is in the query's code: it may read named graphs
    lookup: PointLookup | None = field(default=None, compare=False)  # see parse_point_lookup

    @property
    def point_lookup(self) -> bool:
        return self.lookup is not None


@dataclass
class _Reading:
    """What one reading of the text holds."""

    keyword: str = ""  # the first keyword after the prologue
    service: Token | None = None
    has_from: bool = False
    says_graph: bool = False
    blocking: bool = False
    depth: int = 0
    chains: Counter[str] = field(default_factory=Counter)


@lru_cache(maxsize=1024)
def inspect_query(text: str, max_nesting: int = MAX_NESTING) -> QueryShape:
    """The query's form and dataset clause; BadQuery or UpdateRefused when it must not run."""
    tokens = tokenize(text, strict=False)
    prefixes, plain, start = _prologue(tokens)
    readings = [_read(tokens, prefixes, start)]
    if has_escapes(text):  # the specification's reading differs: it must pass as well
        spec = tokenize(decode_escapes(text), strict=False)
        spec_prefixes, _, spec_start = _prologue(spec)
        readings.append(_read(spec, spec_prefixes, spec_start))
    for reading in readings:
        if update := _update(reading.keyword):
            raise UpdateRefused(
                f"{update} is a SPARQL Update operation: this endpoint is read-only and answers "
                "queries only (SELECT, ASK, CONSTRUCT, DESCRIBE)"
            )
    for i, reading in enumerate(readings):
        if reading.service is not None:
            line, column = position(text, reading.service.start) if i == 0 else (None, None)
            raise BadQuery(
                "SERVICE (federated query) is not allowed: this endpoint never makes outbound "
                "requests; query the remote endpoint yourself",
                line,
                column,
            )
    depth = max(reading.depth for reading in readings)
    if depth > max_nesting:
        raise BadQuery(
            f"the query nests brackets, braces or parentheses {depth} deep; the limit is "
            f"{max_nesting}: flatten it"
        )
    for name in _CHAIN_NAMES:  # groups last: a chain of MINUS {} is named MINUS
        limit = MAX_GROUPS if name == _GROUPS else MAX_CHAIN
        for reading in readings:
            count = reading.chains[name]
            if count > limit:
                raise BadQuery(
                    f"the query holds {count} {name}; the limit is {limit}, as each one "
                    "nests the evaluation one level deeper: split the query"
                )
    if any(token.kind == "error" for token in tokens):
        tokenize(text)  # raises BadQuery, with the line and column
    form = _form(readings[0].keyword)
    lookup = None
    if plain and form in ("SELECT", "ASK"):
        lookup = LookupParser(tokens, start, prefixes).parse()
    return QueryShape(
        form,
        any(reading.has_from for reading in readings),
        depth,
        streams=not any(reading.blocking for reading in readings),
        says_graph=any(reading.says_graph for reading in readings),
        lookup=lookup,
    )


@lru_cache(maxsize=1024)
def parse_point_lookup(text: str) -> PointLookup | None:
    """The point lookup `text` asks for, or None when it is not one.

    A point lookup is one triple pattern whose subject is an IRI: its work is bounded by that
    node's degree. `SELECT [DISTINCT] vars|* [WHERE] { <s> <p>|?p <o>|?o [.] } [LIMIT n]
    [OFFSET n]`, or ASK; PREFIX declarations (not BASE), IRIs that are absolute, `a`. Anything
    else is not one, however harmless: a literal object, a variable used twice, ORDER BY, FROM,
    any other keyword or token, a projected variable not in the pattern, text that cannot be
    read. The answer is None then, never an error.
    """
    try:
        tokens = tokenize(text)
    except BadQuery:
        return None
    prefixes, plain, start = _prologue(tokens)
    return LookupParser(tokens, start, prefixes).parse() if plain else None


def _prologue(tokens: list[Token]) -> tuple[dict[str, str], bool, int]:
    """The prefixes the prologue declares, whether it has no BASE or VERSION (which put a query
    outside the point-lookup subset), and the index of the first token after it."""
    prefixes: dict[str, str] = {}
    plain = True
    i = 0
    n = len(tokens)
    while i < n:
        token = tokens[i]
        kinds = tuple(t.kind for t in tokens[i + 1 : i + 3])
        if token.value == "PREFIX" and kinds == ("pname", "iri") and tokens[i + 1].text[-1] == ":":
            prefixes[tokens[i + 1].text[:-1]] = iri_text(tokens[i + 2].text)
            i += 3
        elif (
            token.kind == "pname"
            and token.text[:6].upper() == "PREFIX"
            and token.text[-1] == ":"
            and kinds[:1] == ("iri",)
        ):  # `PREFIXex:<...>`: pyoxigraph needs no space after a keyword
            prefixes[token.text[6:-1]] = iri_text(tokens[i + 1].text)
            i += 2
        elif token.value in ("BASE", "VERSION") and kinds[:1] in (("iri",), ("string",)):
            plain = False
            i += 2
        else:
            break
    return prefixes, plain, i


def _read(tokens: list[Token], prefixes: dict[str, str], start: int) -> _Reading:
    """One pass over one reading's tokens: keywords, bracket depth, chain lengths."""
    reading = _Reading()
    if start < len(tokens) and tokens[start].kind == "keyword":
        reading.keyword = tokens[start].value
    chains = reading.chains
    open_: list[str] = []  # per open bracket: "(" a collection or a path's group, "values" a
    # VALUES block or row, "expr" an expression's parentheses, or the bracket itself
    values = False  # after VALUES, until its block opens
    deepest = 0
    for i, token in enumerate(tokens):
        kind = token.kind
        value = token.value
        if open_ and open_[-1] == "(" and (kind in OPERANDS or value in ("TRUE", "FALSE")):
            chains[_COLLECTION] += 1  # each item of a collection is two triple patterns
        if kind == "punct":
            if value in _OPENING:
                if values:
                    open_.append("values")
                    values = value != "{"
                elif value == "(":
                    opens_expression = i + 1 < len(tokens) and tokens[i + 1].expression
                    if opens_expression:
                        open_.append("expr")
                    else:
                        open_.append("values" if "values" in open_ else "(")
                else:
                    open_.append(value)
                deepest = max(deepest, len(open_))
            elif value in _CLOSING:
                if open_:
                    open_.pop()
            elif value in CHAINS:
                inside = _COUNTED_INSIDE.get(value)
                if inside is None or inside is token.expression:
                    chains[CHAINS[value]] += 1
            if value == "{":
                chains[CHAINS["{"]] += 1
        elif kind == "keyword":
            values = values or value == "VALUES"
            facts = _keyword(value)
            if facts is not _PLAIN:
                for name, count in facts.chains:
                    chains[name] += count
                if facts.service and reading.service is None:
                    reading.service = token
                reading.has_from |= facts.has_from
                reading.says_graph |= facts.says_graph
                reading.blocking |= facts.blocking
        elif kind == "pname" and i >= start:  # not in PREFIX declarations
            upper = token.text.upper()
            if not any(word in upper for word in _WATCHED):
                continue
            prefix, _, local = upper.partition(":")
            split = bool(local) and _may_split(token.text, prefixes)
            if reading.service is None and (
                ("SERVICE" in prefix and _next_is(tokens, i, "{")) or (split and "SERVICE" in local)
            ):
                reading.service = token
            if not open_ and ("FROM" in prefix or (split and "FROM" in local)):
                reading.has_from = True
            if "GRAPH" in prefix or (split and "GRAPH" in local):
                reading.says_graph = True
            for word in _BLOCKING:
                if word in prefix or (split and word in local):
                    reading.blocking = True
    reading.depth = deepest
    return reading


@dataclass(frozen=True)
class _Keyword:
    """What a keyword token (perhaps several keywords glued: `trueSERVICE`) holds."""

    chains: tuple[tuple[str, int], ...] = ()
    service: bool = False
    has_from: bool = False
    says_graph: bool = False
    blocking: bool = False


_PLAIN = _Keyword()


def _keyword(value: str) -> _Keyword:
    """What a keyword token holds; remembered for the short ones (a client chooses them)."""
    return _known_keyword(value) if len(value) <= 32 else _keyword_facts(value)


@lru_cache(maxsize=1024)
def _known_keyword(value: str) -> _Keyword:
    return _keyword_facts(value)


def _keyword_facts(value: str) -> _Keyword:
    facts = _Keyword(
        tuple((CHAINS[word], value.count(word)) for word in _KEYWORD_CHAINS if word in value),
        "SERVICE" in value,
        "FROM" in value,
        "GRAPH" in value,
        any(word in value for word in _BLOCKING),
    )
    return _PLAIN if facts == _PLAIN else facts


def _next_is(tokens: list[Token], i: int, text: str) -> bool:
    return i + 1 < len(tokens) and tokens[i + 1].text == text


def _may_split(pname: str, prefixes: dict[str, str]) -> bool:
    """Whether pyoxigraph might read this prefixed name up to its colon and go on reading after
    it: it reads `ex:` alone when `ex` is declared and the full IRI does not parse (`PREFIX ex:
    <http://x:80>` makes `ex:SERVICE` the port `80SERVICE`); and the start of the prefix may be
    read as keywords (`true:x` is `true` and `:x`), so any declared ending of it counts."""
    prefix, _, local = pname.partition(":")
    local = local.replace("\\", "")
    return any(
        prefix.endswith(declared) and SURE_IRI.fullmatch(base + local) is None
        for declared, base in prefixes.items()
    )


def _update(keyword: str) -> str | None:
    """The update operation `keyword` starts with: pyoxigraph reads keywords by prefix."""
    for word in UPDATES:
        if keyword.startswith(word):
            return word
    return None


def _form(keyword: str) -> QueryForm | None:
    for form in FORMS:
        if keyword.startswith(form):
            return form
    return None
