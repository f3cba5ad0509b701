"""Property values of entities, read through the engine, and comparing them with a client's.

`read_values` asks the engine one SELECT for all the (entity, property) pairs of a request:
the ids and property IRIs reach it in one VALUES block written by cakg.sparql_terms (every IRI is
one the search index or the schema knows), never pasted in as text. `agrees` is the rule a
reconciliation query's property value is compared by (see its docstring).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from datetime import date, datetime

from rdflib import Literal, URIRef
from rdflib.term import Node

from cakg.engine.base import Engine, QueryDataset
from cakg.reconcile.batch import EntityValue, Value
from cakg.sparql_terms import sparql_term

Values = dict[str, dict[str, list[Node]]]  # entity -> property -> values
MAX_VALUE_ROWS = 20_000  # values read for one request
_ISO_DATE = re.compile(r"(-?\d{4,})-(\d\d)-(\d\d)(?:[T ].*)?")


def read_values(engine: Engine, ids: Iterable[str], properties: Iterable[str]) -> Values:
    """The values of PROPERTIES on each of IDS (the union default graph, with inference)."""
    subjects = sorted(set(ids))
    predicates = sorted(set(properties))
    found: Values = {s: {p: [] for p in predicates} for s in subjects}
    if not subjects or not predicates:
        return found
    # one VALUES of (entity, property) pairs: Oxigraph joins two VALUES blocks (their cross
    # product) with the pattern after reading it whole (0.1 s at 10^6 triples, 1 s in a worker
    # under load); each pair of one block is a lookup
    pairs = " ".join(
        f"({sparql_term(URIRef(s))} {sparql_term(URIRef(p))})" for s in subjects for p in predicates
    )
    sparql = f"SELECT ?s ?p ?o WHERE {{\n  VALUES (?s ?p) {{ {pairs} }}\n  ?s ?p ?o\n}}"
    result = engine.query(sparql, dataset=QueryDataset(), max_rows=MAX_VALUE_ROWS)
    for s, p, o in result.rows:
        if s is not None and p is not None and o is not None:
            values = found[str(s)][str(p)]
            if o not in values:
                values.append(o)
    return found


def agrees(given: Value, value: Node, names: Callable[[str], Iterable[str]]) -> bool:
    """Whether a value the client gave is the entity's VALUE.

    - an entity `{"id": ...}`: the value is that IRI;
    - a boolean: the value is that xsd:boolean;
    - a number: the value is a number equal to it (to 1e-9 relative), or a text that is one;
    - a string: the value is a literal with that text (any case, spaces trimmed), a number or a
      boolean written so (`"2024"`, `"62.5"`), a date on that day (`"2024-08-22"` or OpenRefine's
      `"2024-08-22T00:00:00Z"`) or a year equal to it; or the value is an IRI that the string is,
      that has the string as one of its names (`names(iri)`, any language and case), or whose
      last path segment it is (a Wikidata item such as `Q232` for owl:sameAs).
    """
    if isinstance(given, EntityValue):
        return isinstance(value, URIRef) and str(value) == given.id
    if isinstance(given, bool):
        return isinstance(value, Literal) and value.toPython() is given
    if isinstance(given, float):
        number = _number(value)
        if number is None and isinstance(value, Literal):
            try:  # a code written as text ("398") is that number
                number = float(str(value))
            except ValueError:
                return False
        return number is not None and math.isclose(number, given, rel_tol=1e-9, abs_tol=1e-12)
    text = given.strip()
    if isinstance(value, URIRef):
        iri = str(value)
        if text == iri or text == re.split(r"[/#]", iri.rstrip("/"))[-1]:
            return True
        wanted = text.casefold()
        return any(name.strip().casefold() == wanted for name in names(iri))
    if not isinstance(value, Literal):
        return False
    if str(value).strip().casefold() == text.casefold():
        return True
    number = _number(value)
    if number is not None:
        try:
            return math.isclose(number, float(text), rel_tol=1e-9, abs_tol=1e-12)
        except ValueError:
            return False
    return _same_day(value, text)


def _number(value: Node) -> float | None:
    if not isinstance(value, Literal):
        return None
    python = value.toPython()
    if isinstance(python, bool) or (not isinstance(python, int | float) and not _decimal(python)):
        return None
    try:
        return float(python)
    except (TypeError, ValueError):
        return None


def _decimal(python: object) -> bool:
    return type(python).__name__ == "Decimal"


def _same_day(value: Literal, text: str) -> bool:
    """A date (or year) literal and a date the client wrote, compared by day (or year)."""
    python = value.toPython()
    match = _ISO_DATE.fullmatch(text)
    if match is None:
        return False
    if isinstance(python, datetime | date):
        day = python.date() if isinstance(python, datetime) else python
        return day.isoformat() == "-".join(match.groups())
    # a gYear: the client's date falls in that year
    return bool(re.fullmatch(r"-?\d{4,}", str(value))) and match.group(1) == str(value)
