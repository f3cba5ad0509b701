"""One term of a triple as people read it: the table's cell, with a literal's language or
datatype in words, and blank nodes numbered."""

from __future__ import annotations

import pytest
from rdflib import XSD, BNode, Literal, URIRef

from cakg.namespaces import BASE, CAKG, ID
from cakg.views.cells import BlankNumbers, term_cell
from cakg.views.labels import Term, Terms
from cakg.views.table import Cell


@pytest.mark.parametrize(
    ("term", "cell"),
    [
        (Literal("Astana", lang="en"), Cell("Astana", note="English")),
        (Literal("Астана", lang="ru"), Cell("Астана", note="Russian")),
        (Literal("Astana", lang="en-GB"), Cell("Astana", note="English")),
        (Literal("Astana", lang="xx"), Cell("Astana", note="xx")),
        (Literal("plain"), Cell("plain")),
        (Literal("27000000000", datatype=XSD.decimal),
         Cell("27 bn", None, "27000000000", "number", "number")),
        (Literal("4.5E6", datatype=XSD.double),
         Cell("4.5 m", None, "4500000.0", "number", "number")),
        (Literal("2024", datatype=XSD.integer),
         Cell("2024", None, "2024", "number", "whole number")),  # a year: not 2,024
        (Literal("12000", datatype=XSD.integer),
         Cell("12,000", None, "12000", "number", "whole number")),
        (Literal("2024-05", datatype=XSD.gYearMonth),
         Cell("May 2024", None, "2024-05", "date", "month")),
        (Literal("2024-06-13", datatype=XSD.date),
         Cell("13 Jun 2024", None, "2024-06-13", "date", "date")),
        (Literal("2025", datatype=XSD.gYear), Cell("2025", None, "2025", "date", "year")),
        (Literal("true", datatype=XSD.boolean), Cell("yes", None, "true", "boolean", "yes or no")),
        (Literal("x", datatype=CAKG.code), Cell("x", None, "x", "text", "cakg:code")),
    ],
)  # fmt: skip
def test_literal_cells(term: Literal, cell: Cell) -> None:
    assert term_cell(term, Terms(BASE), BlankNumbers()) == cell


def test_iri_cells_link_locally_and_never_to_script() -> None:
    terms = Terms(BASE, script_root="/app")
    iri = str(ID["state/kazakhstan"])
    terms.found[iri] = Term(iri, "Kazakhstan", terms.href(iri))
    blanks = BlankNumbers()
    assert term_cell(URIRef(iri), terms, blanks) == Cell(
        "Kazakhstan", "/app/id/state/kazakhstan", iri, "iri"
    )
    unknown = term_cell(URIRef("http://example.org/x"), terms, blanks)
    assert (unknown.text, unknown.href) == ("<http://example.org/x>", "http://example.org/x")
    script = term_cell(URIRef("javascript:alert(1)"), terms, blanks)
    assert script.href is None and script.kind == "iri"


def test_blank_nodes_are_numbered_in_order() -> None:
    blanks, terms = BlankNumbers(), Terms(BASE)
    a, b = BNode("a"), BNode("b")
    cells = [term_cell(t, terms, blanks) for t in (b, a, b)]
    assert [c.text for c in cells] == ["blank node 1", "blank node 2", "blank node 1"]
    assert cells[0] == Cell("blank node 1", None, "_:b", "blank")
