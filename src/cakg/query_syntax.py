"""What a SPARQL syntax error is about, read from the query's tokens: a misspelt keyword (the
closest keyword, by difflib), an unbalanced bracket (where the open one is), an incomplete
triple pattern (what it lacks), and the parser's list of what it expected, in words.

Each finding is (start, end, sentence): character offsets of the text to mark. Used by
cakg.query_problems, which turns them into the editor's problems. Reads tokens only
(cakg.sparql_text), never parses or evaluates the query. Stdlib only.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

from cakg.sparql_text import Token, position

Finding = tuple[int, int, str]  # start and end offsets, the sentence

KEYWORDS = frozenset({
    "BASE", "PREFIX", "SELECT", "CONSTRUCT", "DESCRIBE", "ASK", "WHERE", "FROM", "NAMED",
    "DISTINCT", "REDUCED", "AS", "OPTIONAL", "UNION", "MINUS", "FILTER", "BIND", "VALUES",
    "GRAPH", "SERVICE", "SILENT", "ORDER", "BY", "ASC", "DESC", "LIMIT", "OFFSET", "GROUP",
    "HAVING", "NOT", "EXISTS", "IN", "UNDEF", "TRUE", "FALSE", "COUNT", "SUM", "MIN", "MAX",
    "AVG", "SAMPLE", "GROUP_CONCAT", "SEPARATOR", "STR", "LANG", "LANGMATCHES", "DATATYPE",
    "BOUND", "IRI", "URI", "BNODE", "RAND", "ABS", "CEIL", "FLOOR", "ROUND", "CONCAT", "STRLEN",
    "UCASE", "LCASE", "ENCODE_FOR_URI", "CONTAINS", "STRSTARTS", "STRENDS", "STRBEFORE",
    "STRAFTER", "YEAR", "MONTH", "DAY", "HOURS", "MINUTES", "SECONDS", "TIMEZONE", "TZ", "NOW",
    "UUID", "STRUUID", "MD5", "SHA1", "SHA256", "SHA384", "SHA512", "COALESCE", "IF", "STRLANG",
    "STRDT", "SAMETERM", "ISIRI", "ISURI", "ISBLANK", "ISLITERAL", "ISNUMERIC", "REGEX", "SUBSTR",
    "REPLACE", "LATERAL", "TRIPLE", "SUBJECT", "PREDICATE", "OBJECT", "ISTRIPLE", "LANGDIR",
    "HASLANG", "HASLANGDIR", "STRLANGDIR",
    # SPARQL Update's (refused by the endpoint with its own message, but no misspelling)
    "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "INSERT", "DELETE", "DATA", "WITH",
    "USING", "DEFAULT", "ALL", "TO", "INTO",
})  # fmt: skip
# words that end a run of triple patterns inside a group
_GROUP_WORDS = frozenset(
    {"OPTIONAL", "UNION", "MINUS", "FILTER", "BIND", "VALUES", "GRAPH", "SERVICE", "LATERAL"}
)
_PATH_JOINS = frozenset({"/", "|"})
_EXPECTED = re.compile(r"expected (?:one of )?(.*)", re.DOTALL)
_OPTION = re.compile(r'"([^"]*)"|([^,"]+)')  # one expected thing: "quoted" or bare
_CHAR_CLASS = re.compile(r"\[[^\]]*\]")
_OPEN = {"{": "}", "(": ")", "[": "]"}
_CLOSE = {v: k for k, v in _OPEN.items()}


def unknown_keyword(tokens: list[Token], until: int) -> Finding | None:
    """The first run of letters up to offset `until` that is no keyword, with the closest one."""
    for token in tokens:
        if token.start > until:
            break
        if token.kind != "keyword" or token.value == "a" or token.value in KEYWORDS:
            continue
        close = difflib.get_close_matches(token.value, sorted(KEYWORDS), n=1, cutoff=0.6)
        hint = f" did you mean {close[0]}?" if close else " is it a misspelt keyword?"
        message = f"{token.text} is not a SPARQL keyword:{hint}"
        return token.start, token.end, message
    return None


def unbalanced(text: str, tokens: list[Token]) -> Finding | None:
    stack: list[Token] = []
    for token in tokens:
        if token.kind == "punct" and token.text in _OPEN:
            stack.append(token)
        elif token.kind == "punct" and token.text in _CLOSE:
            if not stack or stack[-1].text != _CLOSE[token.text]:
                opener = stack[-1] if stack else None
                if opener is None:
                    message = f"This {token.text} closes nothing: no {_CLOSE[token.text]} is open."
                else:
                    line, column = position(text, opener.start)
                    message = (
                        f"This {token.text} does not match the {opener.text} opened at line "
                        f"{line}, column {column}, which needs {_OPEN[opener.text]} first."
                    )
                return token.start, token.end, message
            stack.pop()
    if stack:
        opener = stack[-1]
        line, column = position(text, opener.start)
        message = (
            f"The {opener.text} opened at line {line}, column {column} is never closed: "
            f"add {_OPEN[opener.text]}."
        )
        return opener.start, opener.end, message
    return None


def _is_term(token: Token) -> bool:
    return token.kind in ("iri", "pname", "bnode", "var", "string", "number", "nil", "anon") or (
        token.value in ("a", "TRUE", "FALSE")
    )


def _blocks(tokens: list[Token]) -> Iterable[list[Token]]:
    """Runs of tokens between group braces, dots and group keywords (triples-block candidates)."""
    block: list[Token] = []
    depth = 0  # inside ( ) or [ ]: an expression, a path or a blank node: not split there
    for token in tokens:
        if token.text in ("(", "["):
            depth += 1
        elif token.text in (")", "]"):
            depth = max(0, depth - 1)
        boundary = depth == 0 and (
            token.text in ("{", "}", ".")
            or (token.kind == "keyword" and token.value in _GROUP_WORDS | {"WHERE", "PREFIX"})
        )
        if boundary:
            if block:
                yield block
            block = []
        else:
            block.append(token)
    if block:
        yield block


def incomplete_triple(text: str, tokens: list[Token], until: int) -> Finding | None:
    """A triple pattern, before offset `until`, that lacks its predicate or object."""
    for block in _blocks(tokens):
        if block[0].start > until:
            break
        first = block[0]
        if first.kind == "keyword" and first.value not in ("a", "TRUE", "FALSE"):
            continue  # SELECT ?x ..., ORDER BY ...: not triples
        if any(t.text in ("(", "[", "^", "!") for t in block) or not _in_group(tokens, first):
            continue  # paths, blank nodes, collections: left to the engine's words
        units: list[list[Token]] = [[]]
        for token in block:
            if token.text in (";", ","):
                units.append([])
            else:
                units[-1].append(token)
        count = sum(_is_term(t) for t in units[0]) - sum(t.text in _PATH_JOINS for t in units[0])
        shown = text[first.start : block[-1].end]
        if count == 1:
            message = (
                f"The triple pattern {shown} has a subject only: add a predicate and an object "
                "(subject predicate object)."
            )
            return first.start, block[-1].end, message
        if count == 2:
            message = f"The triple pattern {shown} has no object: add one after its predicate."
            return first.start, block[-1].end, message
        pattern = text[first.start : block[-1].end]
        separators = [t for t in block if t.text in (";", ",")]
        for unit, sep in zip(units[1:], separators, strict=True):
            terms = sum(_is_term(t) for t in unit) - sum(t.text in _PATH_JOINS for t in unit)
            end = unit[-1].end if unit else sep.end
            if sep.text == ";" and terms == 1:
                message = f"The predicate after ; in {pattern} has no object: add one after it."
                return sep.start, end, message
            if sep.text == "," and terms == 0:
                message = f"Nothing follows the , in {pattern}: add another object after it."
                return sep.start, end, message
    return None


def _in_group(tokens: list[Token], token: Token) -> bool:
    depth = 0
    for t in tokens:
        if t.start >= token.start:
            break
        depth += {"{": 1, "}": -1}.get(t.text, 0)
    return depth > 0


def readable(why: str) -> str:
    """The parser's list of what it expected, without character classes and internal names."""
    found = _EXPECTED.match(why.strip())
    if found is None:
        return why.strip().rstrip(".")
    options = []
    for quoted, bare in _OPTION.findall(_CHAR_CLASS.sub("", found.group(1))):
        option = quoted if quoted.isalnum() else f'"{quoted}"' if quoted else bare.strip()
        if option and len(option) < 30:
            options.append(option)
    if not options:
        return "the query cannot be read from here"
    if sum(option.upper() in KEYWORDS for option in options) > 6:
        return "expected an expression (a variable, a value or a function call)"
    if len(options) > 6:
        return f"expected {', '.join(options[:6])} or something else"
    if len(options) == 1:
        return f"expected {options[0]}"
    return f"expected {', '.join(options[:-1])} or {options[-1]}"
