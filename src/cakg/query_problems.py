"""What is wrong with a query, in one plain sentence at the exact place: for the SPARQL editor.

The engine (pyoxigraph, in a query worker) says where it stopped reading and what it expected
there ("error at 1:10: expected CONSTRUCT"); that is often past the real mistake and worded for
the parser's author. `explain(text, line, column, why)` turns such an error into a `Problem`: an
undeclared prefix (naming it, with a `Fix` adding its PREFIX line when it is the project's), a
misspelt keyword, an unbalanced bracket, an incomplete triple pattern (those three found by
cakg.query_syntax), else the engine's own words made readable.
`undeclared(text)` finds the undeclared prefixes without the engine, and `lint(text, vocabulary)`
warns of a term of the ontology's namespace that the ontology does not declare (`cakg:Sate`:
did you mean cakg:State?), which the engine answers with 0 rows and no word.

Everything here reads tokens (cakg.sparql_text), never parses or evaluates the query: the web
process may do this with a client's text. Lines and columns count from 1, in characters.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass

from cakg.namespaces import PREFIXES
from cakg.query_syntax import incomplete_triple, readable, unbalanced, unknown_keyword
from cakg.sparql_text import Token, position, tokenize

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


def explain(text: str, line: int, column: int, why: str) -> Problem:
    """The engine's syntax error at `line`:`column` ("expected ...") as one plain sentence at
    the place the mistake is."""
    tokens = tokenize(text, strict=False)
    until = _offset(text, line, column)
    first = undeclared(text)
    if first:
        return first[0]
    for found in (
        unknown_keyword(tokens, until),
        unbalanced(text, tokens),
        incomplete_triple(text, tokens, until),
    ):
        if found is not None:
            return _problem(text, *found)
    at = next((t for t in tokens if t.end > until), tokens[-1] if tokens else None)
    if "IRI parsing failed" in why:
        iri = next((t for t in reversed(tokens) if t.kind == "iri" and t.start < until), None)
        if iri is not None:
            message = f"{iri.text} is not an absolute IRI: write it in full (https://...)."
            return _problem(text, iri.start, iri.end, message)
    expected = readable(why)
    if at is None:
        return _problem(text, until, until, f"The query cannot be read here: {expected}.")
    sentence = f"{at.text} is not expected here: {expected}."
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
    """Every problem of `text`: the engine's `error` (line, column, why) explained; without
    one (as the query is typed), what the tokens alone show: undeclared prefixes, misspelt
    keywords, unbalanced brackets. Then the lint's warnings."""
    if error is not None:
        found = [explain(text, *error)]
    else:
        found = undeclared(text)
        tokens = tokenize(text, strict=False)
        for finding in (unknown_keyword(tokens, len(text)), unbalanced(text, tokens)):
            if finding is not None:
                found.append(_problem(text, *finding))
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
