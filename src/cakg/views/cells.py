"""One term of a triple as people read it: the table's `Cell` (cakg.views.table), with a note.

`term_cell(term, terms, blanks)` is `cakg.views.table.cell` (labels in words, local links,
numbers and dates for people with the exact value in `title`) plus, for a literal, its language
or datatype in words in `note` ("English", "year", "number"). Whole numbers under 10,000 stay as
written (a year 2024 is not "2,024"). A blank node is numbered in order of appearance ("blank
node 2"), the same in the table and the picture of one answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from rdflib import XSD, BNode, Literal
from rdflib.term import Node

from cakg.datatypes import INTEGERS, NUMBERS
from cakg.namespaces import shorten
from cakg.views.labels import Terms
from cakg.views.table import Cell, cell

DATATYPE_WORDS = {
    XSD.date: "date",
    XSD.dateTime: "date and time",
    XSD.gYear: "year",
    XSD.gYearMonth: "month",
    XSD.boolean: "yes or no",
    XSD.anyURI: "web address",
    XSD.duration: "duration",
    XSD.time: "time of day",
    XSD.decimal: "number",
    XSD.double: "number",
    XSD.float: "number",
}
LANGUAGES = {
    "en": "English", "ru": "Russian", "kk": "Kazakh", "uz": "Uzbek", "ky": "Kyrgyz",
    "tg": "Tajik", "tk": "Turkmen", "az": "Azerbaijani", "zh": "Chinese", "tr": "Turkish",
    "fa": "Persian", "de": "German", "fr": "French",
}  # fmt: skip


@dataclass
class BlankNumbers:
    """Numbers for the blank nodes of one answer, in order of first appearance."""

    seen: dict[str, int] = field(default_factory=dict)

    def number(self, node: BNode) -> int:
        return self.seen.setdefault(str(node), len(self.seen) + 1)


def term_cell(term: Node, terms: Terms, blanks: BlankNumbers) -> Cell:
    """The cell of one term; IRIs should have been looked up in `terms` first."""
    if isinstance(term, BNode):
        return Cell(f"blank node {blanks.number(term)}", None, f"_:{term}", "blank")
    found = cell(term, terms)
    if not isinstance(term, Literal):
        return found
    if term.language:
        lang = term.language
        return replace(found, note=LANGUAGES.get(lang.split("-")[0].lower(), lang))
    datatype = term.datatype
    if datatype is None or datatype == XSD.string:
        return found
    words = "whole number" if datatype in INTEGERS else DATATYPE_WORDS.get(datatype)
    if words is None:
        words = "number" if datatype in NUMBERS else shorten(str(datatype))
    return replace(found, note=words, title=found.title or str(term))


def sort_key(c: Cell) -> tuple[str, str]:
    """Where a cell sorts: by its words, then its exact value."""
    return (c.text.casefold(), c.title or "")
