"""Query results for a terminal: an aligned table with IRIs shown as prefixed names."""

from __future__ import annotations

import unicodedata

from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

from cakg.engine.base import QueryResult
from cakg.media import FORMAT_NAMES
from cakg.namespaces import shorten

# `cakg query --format`: a table, or one of cakg.media's `format` names (its results type first)
CLI_MEDIA_TYPES: dict[str, str] = {
    name: next(m for m in FORMAT_NAMES[name] if m is not None)
    for name in ("csv", "tsv", "json", "xml", "turtle", "ntriples", "jsonld")
}
QUERY_FORMATS = ("table", *CLI_MEDIA_TYPES)
MAX_CELL = 80


def show_term(term: Node | None) -> str:
    """A term as people read it: prefixed IRIs, plain literals, language tags kept."""
    if term is None:
        return ""
    if isinstance(term, URIRef):
        return shorten(str(term))
    if isinstance(term, BNode):
        return f"_:{term}"
    if isinstance(term, Literal):
        text = str(term)
        if term.language:
            return f"{text}@{term.language}"
        return text
    return str(term)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _clip(text: str) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"


def render_table(result: QueryResult) -> str:
    """SELECT rows as an aligned table, ASK as yes/no, graphs as one triple per row."""
    if result.form == "ASK":
        return ("true" if result.boolean else "false") + "\n"
    if result.form in ("CONSTRUCT", "DESCRIBE"):
        header = ["subject", "predicate", "object"]
        rows = [[_clip(show_term(t)) for t in triple] for triple in sorted(result.triples)]
    else:
        header = list(result.variables)
        rows = [[_clip(show_term(t)) for t in row] for row in result.rows]
    widths = [max([_width(h)] + [_width(r[i]) for r in rows]) for i, h in enumerate(header)]

    def line(cells: list[str]) -> str:
        padded = (c + " " * (w - _width(c)) for c, w in zip(cells, widths, strict=True))
        return "| " + " | ".join(padded) + " |"

    rule = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
    out = [rule, line(header), rule, *(line(r) for r in rows), rule]
    count = len(rows)
    footer = f"{count} row{'s' if count != 1 else ''}"
    if result.truncated:
        footer += " (cut off at the row limit)"
    return "\n".join([*out, footer]) + "\n"


def render_result(result: QueryResult, fmt: str) -> str:
    """The result in a CLI format: `table`, or a standard format serialised by cakg.results."""
    if fmt == "table":
        return render_table(result)
    from cakg.results import serialize_result

    return serialize_result(result, CLI_MEDIA_TYPES[fmt]).decode("utf-8")
