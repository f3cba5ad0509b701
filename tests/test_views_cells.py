"""One term as people read it: numbers, dates, languages and datatypes in words; exact values."""

from __future__ import annotations

from decimal import Decimal

import pytest
from rdflib import XSD, BNode, Literal, URIRef

from cakg.namespaces import BASE, CAKG, ID
from cakg.views.cells import BlankNumbers, Cell, human_date, human_number, term_cell
from cakg.views.labels import Term, Terms


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("27000000000", "27 bn"),
        ("4400000000", "4.4 bn"),
        ("1234567890", "1.23 bn"),
        ("1500000", "1.5 m"),
        ("217000000", "217 m"),
        ("3000000000000", "3 tn"),
        ("-2500000", "-2.5 m"),
        ("500000", "500,000"),
        ("12345.5", "12,345.5"),
        ("2024", "2024"),
        ("2.50", "2.5"),
        ("0.125", "0.125"),
        ("100", "100"),
        ("0", "0"),
    ],
)
def test_numbers_for_people(value: str, text: str) -> None:
    assert human_number(Decimal(value)) == text


@pytest.mark.parametrize(
    ("lexical", "text"),
    [
        ("2024-06-13", "13 June 2024"),
        ("2024-06-13Z", "13 June 2024"),
        ("2025-02", "February 2025"),
        ("2025", "2025"),
        ("2024-02-30", "2024-02-30"),  # not a date: shown as written
        ("2024-13", "2024-13"),
    ],
)
def test_dates_for_people(lexical: str, text: str) -> None:
    assert human_date(lexical) == text


@pytest.mark.parametrize(
    ("term", "cell"),
    [
        (Literal("Astana", lang="en"), Cell("Astana", None, "Astana (en)", "text", "English")),
        (Literal("Астана", lang="ru"), Cell("Астана", None, "Астана (ru)", "text", "Russian")),
        (Literal("plain"), Cell("plain", None, "plain", "text")),
        (Literal("4.5E6", datatype=XSD.double),
         Cell("4.5 m", None, "4500000.0 (xsd:double)", "number", "number")),
        (Literal("27000000000", datatype=XSD.decimal),
         Cell("27 bn", None, "27000000000 (xsd:decimal)", "number", "number")),
        (Literal("7", datatype=XSD.integer),
         Cell("7", None, "7 (xsd:integer)", "number", "whole number")),
        (Literal("2024-05", datatype=XSD.gYearMonth),
         Cell("May 2024", None, "2024-05 (xsd:gYearMonth)", "date", "month")),
        (Literal("2024", datatype=XSD.gYear),
         Cell("2024", None, "2024 (xsd:gYear)", "date", "year")),
        (Literal("true", datatype=XSD.boolean),
         Cell("true", None, "true (xsd:boolean)", "literal", "yes or no")),
        (Literal("x", datatype=CAKG.code),
         Cell("x", None, "x (cakg:code)", "literal", "cakg:code")),
    ],
)  # fmt: skip
def test_literal_cells(term: Literal, cell: Cell) -> None:
    assert term_cell(term, Terms(BASE), BlankNumbers()) == cell


def test_iri_cells_link_locally_and_never_to_script() -> None:
    terms = Terms(BASE, script_root="/app")
    iri = str(ID["state/kazakhstan"])
    terms.found[iri] = Term(iri, "Kazakhstan", terms.href(iri))
    blanks = BlankNumbers()
    kaz = term_cell(ID["state/kazakhstan"], terms, blanks)
    assert kaz == Cell("Kazakhstan", "/app/id/state/kazakhstan", str(ID["state/kazakhstan"]), "iri")
    unknown = term_cell(URIRef("http://example.org/x"), terms, blanks)
    assert (unknown.text, unknown.href) == ("<http://example.org/x>", "http://example.org/x")
    script = term_cell(URIRef("javascript:alert(1)"), terms, blanks)
    assert script.href is None and script.kind == "iri"


def test_blank_nodes_are_numbered_in_order() -> None:
    blanks, terms = BlankNumbers(), Terms(BASE)
    a, b = BNode("a"), BNode("b")
    cells = [term_cell(t, terms, blanks) for t in (b, a, b)]
    assert [c.text for c in cells] == ["blank node 1", "blank node 2", "blank node 1"]
    assert cells[0].href is None and cells[0].title == "_:b" and cells[0].kind == "blank"
