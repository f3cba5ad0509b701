"""A SELECT answer as triples, so that the graph view (cakg.views.graph) can draw it.

A view `{type: graph, subject: a}` reads each row as statements about its `a`: every other
bound column is one statement, `(a, column, value)`; an IRI value is a link to another node, a
literal a detail shown on hover. The column's name is the statement's property, in words (a
pseudo-IRI, COLUMN + name, that never leaves the view). With `predicate: p` the row is one
statement `(a, p, o)` instead, `o` the first other column: what `SELECT ?s ?p ?o` asks for.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

from cakg.views.charts import column_label
from cakg.views.labels import Term, Terms

COLUMN = "urn:cakg:column:"  # the property of a column's statements
Triple = tuple[Node, Node, Node]


def rows_as_triples(
    view: Mapping[str, Any],
    columns: Mapping[str, str],
    variables: Sequence[str],
    rows: Sequence[tuple[Node | None, ...]],
    names: Terms,
) -> list[Triple]:
    """The statements ROWS make about their `subject` column (names its columns' properties)."""
    subject_name = view.get("subject")
    if subject_name not in variables:
        return []
    subject = variables.index(subject_name)
    predicate = variables.index(view["predicate"]) if view.get("predicate") in variables else None
    others = [i for i in range(len(variables)) if i not in (subject, predicate)]
    triples: list[Triple] = []
    for row in rows:
        s = row[subject]
        if not isinstance(s, URIRef | BNode):
            continue
        if predicate is not None:
            p, o = row[predicate], next((row[i] for i in others if row[i] is not None), None)
            if isinstance(p, URIRef) and o is not None:
                triples.append((s, p, o))
            continue
        for i in others:
            value = row[i]
            if isinstance(value, URIRef | BNode | Literal):
                triples.append((s, _property(variables[i], columns, names), value))
    return triples


def _property(name: str, columns: Mapping[str, str], names: Terms) -> URIRef:
    iri = COLUMN + name
    if iri not in names.found:
        names.found[iri] = Term(iri, column_label(columns, name), None)
    return URIRef(iri)
