"""One RDF term as people read it in a table cell or a tooltip: words, a link, the exact value.

`term_cell(term, terms, blanks)` gives a `Cell`: an IRI's label in words (cakg.views.labels) and
its local href; a literal's text with its language or datatype in words, numbers shortened for
people (27000000000 -> "27 bn") and dates written out ("2024-05" -> "May 2024"), the exact
value kept in `title`; a blank node numbered in order of appearance ("blank node 2").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from rdflib import XSD, BNode, Literal, URIRef
from rdflib.term import Node

from cakg.namespaces import shorten
from cakg.views.labels import Terms

# Numbers at or above each step are shown in its unit, largest first.
STEPS = ((Decimal(10) ** 12, "tn"), (Decimal(10) ** 9, "bn"), (Decimal(10) ** 6, "m"))
GROUP_FROM = Decimal(10_000)  # smaller numbers are not grouped (years stay 2024, not 2,024)
NUMBER_TYPES = {
    XSD.integer: "whole number",
    XSD.int: "whole number",
    XSD.long: "whole number",
    XSD.short: "whole number",
    XSD.nonNegativeInteger: "whole number",
    XSD.positiveInteger: "whole number",
    XSD.negativeInteger: "whole number",
    XSD.nonPositiveInteger: "whole number",
    XSD.decimal: "number",
    XSD.double: "number",
    XSD.float: "number",
}
DATATYPE_WORDS = {
    XSD.date: "date",
    XSD.dateTime: "date and time",
    XSD.gYear: "year",
    XSD.gYearMonth: "month",
    XSD.boolean: "yes or no",
    XSD.anyURI: "web address",
    XSD.duration: "duration",
    XSD.time: "time of day",
}
LANGUAGES = {
    "en": "English",
    "ru": "Russian",
    "kk": "Kazakh",
    "uz": "Uzbek",
    "ky": "Kyrgyz",
    "tg": "Tajik",
    "tk": "Turkmen",
    "az": "Azerbaijani",
    "zh": "Chinese",
    "tr": "Turkish",
    "fa": "Persian",
    "de": "German",
    "fr": "French",
}
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")  # fmt: skip
_YEAR_MONTH = re.compile(r"(-?\d{4,})-(\d{2})(?:Z|[+-]\d{2}:\d{2})?")
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:Z|[+-]\d{2}:\d{2})?")


@dataclass(frozen=True)
class Cell:
    """A term shown to people.

    text   in words: a label, a literal's text, a number or date written for people
    href   where it links: a local path or an http(s) IRI; None when it is no link
    title  the exact value (the full IRI, or the literal as written) for a title attribute
    kind   iri, blank, text, number, date or literal (any other datatype)
    note   a literal's language or datatype in words ("English", "year"); else empty
    """

    text: str
    href: str | None = None
    title: str = ""
    kind: str = "text"
    note: str = ""

    def sort_key(self) -> tuple[str, str]:
        return (self.text.casefold(), self.title)


@dataclass
class BlankNumbers:
    """Numbers for the blank nodes of one answer, in order of first appearance."""

    seen: dict[str, int] = field(default_factory=dict)

    def number(self, node: BNode) -> int:
        return self.seen.setdefault(str(node), len(self.seen) + 1)


def term_cell(term: Node, terms: Terms, blanks: BlankNumbers) -> Cell:
    """The cell of one term; IRIs should have been looked up in `terms` first."""
    if isinstance(term, URIRef):
        found = terms.get(str(term))
        return Cell(found.label, found.href, str(term), "iri")
    if isinstance(term, BNode):
        return Cell(f"blank node {blanks.number(term)}", None, f"_:{term}", "blank")
    if isinstance(term, Literal):
        return literal_cell(term)
    return Cell(str(term), None, str(term), "literal")


def literal_cell(term: Literal) -> Cell:
    lexical = str(term)
    if term.language:
        lang = term.language
        words = LANGUAGES.get(lang.split("-")[0].lower(), lang)
        return Cell(lexical, None, f"{lexical} ({lang})", "text", words)
    datatype = term.datatype
    if datatype is None or datatype == XSD.string:
        return Cell(lexical, None, lexical, "text")
    exact = f"{lexical} ({shorten(str(datatype))})"
    if datatype in NUMBER_TYPES:
        try:
            value = Decimal(lexical.strip())
        except InvalidOperation:
            return Cell(lexical, None, exact, "literal", NUMBER_TYPES[datatype])
        return Cell(human_number(value), None, exact, "number", NUMBER_TYPES[datatype])
    if datatype in (XSD.date, XSD.gYearMonth, XSD.gYear):
        return Cell(human_date(lexical), None, exact, "date", DATATYPE_WORDS[datatype])
    words = DATATYPE_WORDS.get(datatype, shorten(str(datatype)))
    return Cell(lexical, None, exact, "literal", words)


def human_number(value: Decimal) -> str:
    """A number as people read it: 27000000000 -> "27 bn", 4400000000 -> "4.4 bn",
    1500000 -> "1.5 m", 500000 -> "500,000", 2024 -> "2024", 2.50 -> "2.5"."""
    if not value.is_finite():
        return str(value)
    size = abs(value)
    for step, unit in STEPS:
        if size >= step:
            return f"{_trim(value / step, 2)} {unit}"
    if size >= GROUP_FROM:
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return _trim(value, 4)


def _trim(value: Decimal, places: int) -> str:
    text = f"{value:.{places}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def human_date(lexical: str) -> str:
    """An xsd:date, gYearMonth or gYear written out: "13 June 2024", "May 2024", "2024"."""
    match = _DATE.fullmatch(lexical)
    if match:
        try:
            day = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        except ValueError:
            return lexical
        return f"{day.day} {MONTHS[day.month - 1]} {day.year}"
    match = _YEAR_MONTH.fullmatch(lexical)
    if match and 1 <= int(match.group(2)) <= 12:
        return f"{MONTHS[int(match.group(2)) - 1]} {match.group(1)}"
    return lexical
