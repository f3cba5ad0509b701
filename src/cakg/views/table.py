"""An answer's rows as a table people read: headers in words, labels for IRIs, local links,
numbers with their units (27 bn USD, the exact value in the cell's title), dates at their
precision (typed dates, and the plain strings of the view's x, when, date, deadline and end
fields: "2024-01/2024-05" is "Jan-May 2024"), yes and no for booleans.

The headers are the query's declared `columns` (else the variable names in words); a column
`xLabel` is left out when `x` is projected too (its cell shows that label, as a link). The value
columns that carry the row's unit are the view's `y` fields, with the unit named by its `unit`
field (else `unitLabel`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Node

from cakg.datatypes import INTEGERS, NUMBERS
from cakg.views.charts import column_label
from cakg.views.figures import human_number, to_decimal, when
from cakg.views.labels import Terms

DATES = {XSD.date, XSD.gYear, XSD.gYearMonth, XSD.dateTime}
UNGROUPED = 10_000  # whole numbers below it, without a unit, are shown as written (a year 2024)


@dataclass(frozen=True)
class Cell:
    text: str
    href: str | None = None
    title: str | None = None  # the exact value or the full IRI, on hover
    kind: str = "text"  # text, iri, number, date, boolean (and blank, in cakg.views.cells)
    note: str = ""  # a literal's language or datatype in words (English, year): cakg.views.cells


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    numeric: bool
    sort: str = ""  # the variable to sort it by: `partnerLabel` for `partner` (its label shown)


@dataclass(frozen=True)
class Table:
    columns: list[Column]
    rows: list[list[Cell]]


TIME_KEYS = ("x", "when", "date", "deadline", "end")


def cell(term: Node | None, names: Terms, unit: str | None = None, time: bool = False) -> Cell:
    if term is None:
        return Cell("")
    if isinstance(term, URIRef):
        found = names.get(str(term))
        return Cell(found.label, found.href, str(term), "iri")
    if isinstance(term, BNode):
        return Cell(f"_:{term}")
    if isinstance(term, Literal):
        if term.datatype == XSD.boolean:
            return Cell("yes" if str(term).lower() in ("true", "1") else "no", kind="boolean")
        if term.datatype in NUMBERS:
            value = to_decimal(str(term))
            if value is not None:
                if term.datatype in INTEGERS and unit is None and abs(value) < UNGROUPED:
                    return Cell(str(int(value)), title=str(term), kind="number")
                return Cell(human_number(value, unit), title=str(term), kind="number")
        if term.datatype in DATES or time:
            at = when(str(term))
            if at is not None:
                return Cell(at.text, title=str(term), kind="date")
    return Cell(str(term))


def answer_table(
    view: Mapping[str, Any],
    columns: Mapping[str, str],
    variables: Sequence[str],
    rows: Sequence[tuple[Node | None, ...]],
    names: Terms,
) -> Table:
    ys = view.get("y") or []
    value_fields = set(ys if isinstance(ys, list) else [ys])
    unit_field = view.get("unit") or ("unitLabel" if "unitLabel" in variables else None)
    unit_at = variables.index(unit_field) if unit_field in variables else None
    times = {view[k] for k in TIME_KEYS if isinstance(view.get(k), str)}
    out = []
    for row in rows:
        unit_term = row[unit_at] if unit_at is not None else None
        unit = str(unit_term) if isinstance(unit_term, Literal) else None
        out.append([
            cell(term, names, unit if name in value_fields else None, name in times)
            for name, term in zip(variables, row, strict=True)
        ])  # fmt: skip
    numeric = [all(r[i].kind == "number" or not r[i].text for r in out) and
               any(r[i].kind == "number" for r in out) for i in range(len(variables))]  # fmt: skip
    # `partnerLabel` beside `partner`, or `label` beside `event`: the IRI's cell already shows
    # that label (and links it)
    keep = [i for i, v in enumerate(variables)
            if not _label_of_another(v, variables) and not _repeats(i, out)]  # fmt: skip
    heads = [
        Column(
            v, column_label(columns, v), numeric[i], f"{v}Label" if f"{v}Label" in variables else v
        )
        for i, v in ((i, variables[i]) for i in keep)
    ]
    return Table(heads, [[row[i] for i in keep] for row in out])


def _repeats(column: int, rows: list[list[Cell]]) -> bool:
    """True when every non-empty text of a literal column is the label of another column's IRI
    in the same row (and there is at least one)."""
    if not rows or any(r[column].kind == "iri" for r in rows):
        return False
    others = [i for i in range(len(rows[0])) if i != column]
    return any(
        all(r[i].kind == "iri" and r[i].text == r[column].text for r in rows) for i in others
    )


def _label_of_another(name: str, variables: Sequence[str]) -> bool:
    return name.endswith("Label") and name.removesuffix("Label") in variables
