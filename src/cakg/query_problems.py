"""What is wrong with a query, in one plain sentence at the exact place: for the SPARQL editor.

The engine (pyoxigraph, in a query worker) says where it stopped reading and what it expected
there ("error at 1:10: expected CONSTRUCT"); that is often past the real mistake and worded for
the parser's author. `explain(text, line, column, why)` turns such an error into a `Problem`: an
undeclared prefix (naming it, with a `Fix` adding its PREFIX line when it is the project's), a
misspelt keyword (the closest keyword, by difflib), an unbalanced bracket (where the open one
is), an incomplete triple pattern (what is missing), else the engine's own words made readable.
`undeclared(text)` finds the undeclared prefixes without the engine, and `lint(text, vocabulary)`
warns of a term of the ontology's namespace that the ontology does not declare (`cakg:Sate`:
did you mean cakg:State?), which the engine answers with 0 rows and no word.

Everything here reads tokens (cakg.sparql_text), never parses or evaluates the query: the web
process may do this with a client's text. Lines and columns count from 1, in characters.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from cakg.namespaces import PREFIXES
from cakg.sparql_text import Token, position, tokenize

KEYWORDS = frozenset(
    [
        "BASE",
        "PREFIX",
        "SELECT",
        "CONSTRUCT",
        "DESCRIBE",
        "ASK",
        "WHERE",
        "FROM",
        "NAMED",
        "DISTINCT",
        "REDUCED",
        "AS",
        "OPTIONAL",
        "UNION",
        "MINUS",
        "FILTER",
        "BIND",
        "VALUES",
        "GRAPH",
        "SERVICE",
        "SILENT",
        "ORDER",
        "BY",
        "ASC",
        "DESC",
        "LIMIT",
        "OFFSET",
        "GROUP",
        "HAVING",
        "NOT",
        "EXISTS",
        "IN",
        "UNDEF",
        "TRUE",
        "FALSE",
        "COUNT",
        "SUM",
        "MIN",
        "MAX",
        "AVG",
        "SAMPLE",
        "GROUP_CONCAT",
        "SEPARATOR",
        "STR",
        "LANG",
        "LANGMATCHES",
        "DATATYPE",
        "BOUND",
        "IRI",
        "URI",
        "BNODE",
        "RAND",
        "ABS",
        "CEIL",
        "FLOOR",
        "ROUND",
        "CONCAT",
        "STRLEN",
        "UCASE",
        "LCASE",
        "ENCODE_FOR_URI",
        "CONTAINS",
        "STRSTARTS",
        "STRENDS",
        "STRBEFORE",
        "STRAFTER",
        "YEAR",
        "MONTH",
        "DAY",
        "HOURS",
        "MINUTES",
        "SECONDS",
        "TIMEZONE",
        "TZ",
        "NOW",
        "UUID",
        "STRUUID",
        "MD5",
        "SHA1",
        "SHA256",
        "SHA384",
        "SHA512",
        "COALESCE",
        "IF",
        "STRLANG",
        "STRDT",
        "SAMETERM",
        "ISIRI",
        "ISURI",
        "ISBLANK",
        "ISLITERAL",
        "ISNUMERIC",
        "REGEX",
        "SUBSTR",
        "REPLACE",
        "LATERAL",
        "TRIPLE",
        "SUBJECT",
        "PREDICATE",
        "OBJECT",
        "ISTRIPLE",
        "LANGDIR",
        "HASLANG",
        "HASLANGDIR",
        "STRLANGDIR",
    ]
)
# words that end a run of triple patterns inside a group
_GROUP_WORDS = frozenset(
    {"OPTIONAL", "UNION", "MINUS", "FILTER", "BIND", "VALUES", "GRAPH", "SERVICE", "LATERAL"}
)
_PATH_JOINS = frozenset({"/", "|"})
_EXPECTED = re.compile(r"expected (?:one of )?(.*)", re.DOTALL)
_CHAR_CLASS = re.compile(r"\[[^\]]*\]")
_OPEN = {"{": "}", "(": ")", "[": "]"}
_CLOSE = {v: k for k, v in _OPEN.items()}
ONTOLOGY_PREFIX = "cakg"


@dataclass(frozen=True)
class Fix:
    """An edit that mends the problem: insert `text` at `line`:`column`; `label` is its button."""

    label: str
    text: str
    line: int = 1
    column: int = 1


@dataclass(frozen=True)
class Problem:
    """One problem: its sentence, its severity (`error` or `warning`) and its span."""

    severity: str
    message: str
    line: int
    column: int
    end_line: int
    end_column: int
    fix: Fix | None = None

    def as_json(self) -> dict[str, object]:
        fix = self.fix
        return {
            "severity": self.severity,
            "message": self.message,
            "line": self.line,
            "column": self.column,
            "endLine": self.end_line,
            "endColumn": self.end_column,
            "fix": None if fix is None else {
                "label": fix.label, "text": fix.text, "line": fix.line, "column": fix.column
            },
        }  # fmt: skip


@dataclass(frozen=True)
class Vocabulary:
    """The local names the ontology declares in its namespace (PREFIXES[ONTOLOGY_PREFIX])."""

    classes: frozenset[str]
    properties: frozenset[str]
    others: frozenset[str] = frozenset()

    @property
    def known(self) -> frozenset[str]:
        return self.classes | self.properties | self.others


def _problem(
    text: str, start: int, end: int, message: str, severity: str = "error", fix: Fix | None = None
) -> Problem:
    line, column = position(text, start)
    end_line, end_column = position(text, max(end, start))
    return Problem(severity, message, line, column, end_line, end_column, fix)


def _offset(text: str, line: int, column: int) -> int:
    at = 0
    for _ in range(line - 1):
        found = text.find("\n", at)
        if found < 0:
            return len(text)
        at = found + 1
    end = text.find("\n", at)
    return min(at + max(column, 1) - 1, len(text) if end < 0 else end)


def declared_prefixes(tokens: list[Token]) -> dict[str, str]:
    """The prefixes the query's PREFIX declarations name, with their IRIs."""
    found = {}
    for i, token in enumerate(tokens[:-2]):
        name, iri = tokens[i + 1], tokens[i + 2]
        if token.value == "PREFIX" and name.kind == "pname" and iri.kind == "iri":
            found[name.text[:-1]] = iri.text[1:-1]
    return found


def prefix_fix(text: str, prefix: str, tokens: list[Token] | None = None) -> Fix:
    """The edit declaring a project prefix: a line after the query's last PREFIX or BASE
    declaration, else a line before its first token (after any leading comments)."""
    tokens = tokenize(text, strict=False) if tokens is None else tokens
    declaration = f"PREFIX {prefix}: <{PREFIXES[prefix]}>"
    last = None
    for i, token in enumerate(tokens):
        if token.value in ("PREFIX", "BASE") and token.kind == "keyword":
            size = 3 if token.value == "PREFIX" else 2
            if i + size <= len(tokens):
                last = tokens[i + size - 1]
    label = f"Add PREFIX {prefix}:"
    if last is not None:
        line, column = position(text, last.end)
        return Fix(label, "\n" + declaration, line, column)
    line, _ = position(text, tokens[0].start if tokens else len(text))
    return Fix(label, declaration + "\n", line, 1)


def undeclared(text: str) -> list[Problem]:
    """One error per prefix used but not declared, at its first use; a project prefix gets a
    Fix adding its PREFIX line to the prologue."""
    tokens = tokenize(text, strict=False)
    declared = declared_prefixes(tokens)
    seen: set[str] = set()
    problems = []
    for i, token in enumerate(tokens):
        if token.kind != "pname" or (i > 0 and tokens[i - 1].value == "PREFIX"):
            continue
        prefix = token.text.split(":", 1)[0]
        if prefix in declared or prefix in seen:
            continue
        seen.add(prefix)
        end = token.start + len(prefix) + 1
        if prefix in PREFIXES:
            fix = prefix_fix(text, prefix, tokens)
            message = (
                f"The prefix {prefix}: is not declared: add "
                f"PREFIX {prefix}: <{PREFIXES[prefix]}> to the query's prologue."
            )
            problems.append(_problem(text, token.start, end, message, fix=fix))
        else:
            message = (
                f"The prefix {prefix}: is not declared: declare it with "
                f"PREFIX {prefix}: <...> before the query."
            )
            problems.append(_problem(text, token.start, end, message))
    return problems


def _unknown_keyword(text: str, tokens: list[Token], until: int) -> Problem | None:
    """The first run of letters up to offset `until` that is no keyword, with the closest one."""
    for token in tokens:
        if token.start > until:
            break
        if token.kind != "keyword" or token.value == "a" or token.value in KEYWORDS:
            continue
        close = difflib.get_close_matches(token.value, sorted(KEYWORDS), n=1, cutoff=0.6)
        hint = f" did you mean {close[0]}?" if close else " is it a misspelt keyword?"
        message = f"{token.text} is not a SPARQL keyword:{hint}"
        return _problem(text, token.start, token.end, message)
    return None


def _unbalanced(text: str, tokens: list[Token]) -> Problem | None:
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
                return _problem(text, token.start, token.end, message)
            stack.pop()
    if stack:
        opener = stack[-1]
        line, column = position(text, opener.start)
        message = (
            f"The {opener.text} opened at line {line}, column {column} is never closed: "
            f"add {_OPEN[opener.text]}."
        )
        return _problem(text, opener.start, opener.end, message)
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


def _incomplete_triple(text: str, tokens: list[Token], until: int) -> Problem | None:
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
            return _problem(text, first.start, block[-1].end, message)
        if count == 2:
            message = f"The triple pattern {shown} has no object: add one after its predicate."
            return _problem(text, first.start, block[-1].end, message)
        pattern = text[first.start : block[-1].end]
        separators = [t for t in block if t.text in (";", ",")]
        for unit, sep in zip(units[1:], separators, strict=True):
            terms = sum(_is_term(t) for t in unit) - sum(t.text in _PATH_JOINS for t in unit)
            end = unit[-1].end if unit else sep.end
            if sep.text == ";" and terms == 1:
                message = f"The predicate after ; in {pattern} has no object: add one after it."
                return _problem(text, sep.start, end, message)
            if sep.text == "," and terms == 0:
                message = f"Nothing follows the , in {pattern}: add another object after it."
                return _problem(text, sep.start, end, message)
    return None


def _in_group(tokens: list[Token], token: Token) -> bool:
    depth = 0
    for t in tokens:
        if t.start >= token.start:
            break
        depth += {"{": 1, "}": -1}.get(t.text, 0)
    return depth > 0


def _readable(why: str) -> str:
    """The parser's list of what it expected, without character classes and internal names."""
    found = _EXPECTED.match(why.strip())
    if found is None:
        return why.strip().rstrip(".")
    options = []
    for option in re.split(r",\s*(?![^\[]*\])", _CHAR_CLASS.sub("", found.group(1))):
        option = option.strip().strip('"')
        if option and option not in ("[_]", "_") and len(option) < 30:
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


def explain(text: str, line: int, column: int, why: str) -> Problem:
    """The engine's syntax error at `line`:`column` ("expected ...") as one plain sentence at
    the place the mistake is."""
    tokens = tokenize(text, strict=False)
    until = _offset(text, line, column)
    first = undeclared(text)
    if first:
        return first[0]
    for found in (
        _unknown_keyword(text, tokens, until),
        _unbalanced(text, tokens),
        _incomplete_triple(text, tokens, until),
    ):
        if found is not None:
            return found
    at = next((t for t in tokens if t.end > until), tokens[-1] if tokens else None)
    if "IRI parsing failed" in why:
        iri = next((t for t in reversed(tokens) if t.kind == "iri" and t.start < until), None)
        if iri is not None:
            message = f"{iri.text} is not an absolute IRI: write it in full (https://...)."
            return _problem(text, iri.start, iri.end, message)
    readable = _readable(why)
    if at is None:
        return _problem(text, until, until, f"The query cannot be read here: {readable}.")
    sentence = f"{at.text} is not expected here: {readable}."
    return _problem(text, at.start, at.end, sentence[0].upper() + sentence[1:])


def lint(text: str, vocabulary: Vocabulary) -> list[Problem]:
    """A warning for each term of the ontology's namespace the ontology does not declare, with
    the closest declared one (a class after `a`, else any term)."""
    tokens = tokenize(text, strict=False)
    declared = declared_prefixes(tokens)
    namespace = PREFIXES[ONTOLOGY_PREFIX]
    problems = []
    for i, token in enumerate(tokens):
        if token.kind != "pname" or (i > 0 and tokens[i - 1].value == "PREFIX"):
            continue
        prefix, local = token.text.split(":", 1)
        if declared.get(prefix, PREFIXES.get(prefix)) != namespace or not local:
            continue
        if local in vocabulary.known:
            continue
        after_a = i > 0 and tokens[i - 1].value == "a"
        pool = vocabulary.classes if after_a else vocabulary.known
        close = difflib.get_close_matches(local, sorted(pool), n=1, cutoff=0.6)
        what = "class" if after_a else "class or property"
        message = f"{token.text} is not a {what} of the ontology"
        message += f": did you mean {prefix}:{close[0]}?" if close else "."
        problems.append(_problem(text, token.start, token.end, message, severity="warning"))
    return problems


def problems_of(
    text: str, vocabulary: Vocabulary, error: tuple[int, int, str] | None = None
) -> list[Problem]:
    """Every problem of `text`: the engine's `error` (line, column, why) explained, else the
    undeclared prefixes; then the lint's warnings."""
    found = [explain(text, *error)] if error is not None else undeclared(text)
    return [*found, *lint(text, vocabulary)]


def vocabulary_from(terms: Mapping[str, str]) -> Vocabulary:
    """A Vocabulary from {IRI: kind} ("class", "property" or anything else), keeping the IRIs
    of the ontology's namespace."""
    namespace = PREFIXES[ONTOLOGY_PREFIX]
    sets: dict[str, set[str]] = {"class": set(), "property": set(), "other": set()}
    for iri, kind in terms.items():
        if iri.startswith(namespace) and len(iri) > len(namespace):
            sets[kind if kind in ("class", "property") else "other"].add(iri[len(namespace) :])
    return Vocabulary(
        frozenset(sets["class"]), frozenset(sets["property"]), frozenset(sets["other"])
    )
