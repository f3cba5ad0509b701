"""The facts of a resource page in words: each fact once (cakg.resource_facts), grouped.

What the resource states (its properties) is grouped by kind (names, facts, location ...) as
linked_view.GROUPS says; what points to it is grouped by property and labelled in words from the
resource's side: the label of the property's declared inverse when the ontology has one ("hosted",
"first party of"), else a phrase made of the property's own label ("located in Kazakhstan",
"exporter of"). A group of more than COLLAPSE_AFTER things is collapsed (its count shown). A
value says which other properties it was folded from (mirrors, inverses) and the other ways the
same thing is linked; an inferred one says why (cakg.web.inference_view).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rdflib import URIRef

from cakg.ontology_axioms import OntologyAxioms
from cakg.resource_facts import Fact
from cakg.web.linked_view import PageBuilder, Relation, Row, Term

COLLAPSE_AFTER = 8
# A label ending in one of these reads on from the thing pointing here: "located in Kazakhstan".
_READS_ON = {
    "in", "of", "at", "through", "by", "with", "to", "from", "as", "for", "on", "into", "about",
    "crosses", "visited", "ratifies", "includes", "concerns", "hosted", "within", "via",
}  # fmt: skip


@dataclass
class BackGroup:
    """The things that point to the resource by one property, in words from its side."""

    phrase: Term
    rows: list[Row] = field(default_factory=list)
    count: int = 0
    collapsed: bool = False


def words(fact: Fact, b: PageBuilder, axioms: OntologyAxioms, title: str) -> str:
    """The fact's property in words from the resource's side."""
    p = str(fact.predicate)
    if fact.forward:
        return b.term(fact.predicate).text
    declared = axioms.inverse_of.get(p)
    if declared is not None:
        return b.term(URIRef(declared)).text
    term = b.term(fact.predicate)
    label = term.text
    if term.lang and not term.lang.lower().startswith("en"):
        return f"\u2190 {label}"  # no English phrase around a label in another language
    first, *_rest = label.split() or [""]
    last = label.split()[-1] if label.split() else ""
    if last.lower() in _READS_ON or first.lower() in _READS_ON:
        return f"{label} {title}"
    return f"{label} of"


def relations(fact: Fact, b: PageBuilder, axioms: OntologyAxioms, title: str) -> list[Relation]:
    """The other facts linking the same thing, in words."""
    return [
        Relation(
            words(o, b, axioms, title),
            b.term(o.predicate).href,
            o.inferred,
            b.why(o.shown) if o.inferred else None,
        )
        for o in fact.others
    ]


def forward_rows(
    facts: list[Fact], b: PageBuilder, axioms: OntologyAxioms, title: str
) -> list[Row]:
    """Rows of the facts whose subject is the resource, one per property."""
    by_predicate: dict[URIRef, Row] = {}
    for fact in facts:
        row = by_predicate.get(fact.predicate)
        if row is None:
            row = by_predicate[fact.predicate] = Row(b.term(fact.predicate), [])
        row.values.append(b.fact_value(fact, fact.object, relations(fact, b, axioms, title)))
    rows = sorted(by_predicate.values(), key=lambda r: r.predicate.text.lower())
    for row in rows:
        row.count = len(row.values)
    return rows


def back_groups(
    facts: list[Fact], b: PageBuilder, axioms: OntologyAxioms, title: str
) -> list[BackGroup]:
    """The things pointing to the resource, grouped by property, in words, with counts."""
    groups: dict[str, BackGroup] = {}
    for fact in facts:
        text = words(fact, b, axioms, title)
        group = groups.get(text)
        if group is None:
            phrase = b.term(fact.predicate)
            declared = axioms.inverse_of.get(str(fact.predicate))
            if declared is not None:  # the inverse's own label, in its language
                phrase = b.term(URIRef(declared))
            elif not text.startswith("\u2190"):
                phrase.lang = None  # English words around the label
            phrase.text = text
            groups[text] = group = BackGroup(phrase, [Row(phrase, [])])
        value = b.fact_value(fact, fact.subject, relations(fact, b, axioms, title))
        group.rows[0].values.append(value)
    for group in groups.values():
        group.count = len(group.rows[0].values)
        group.rows[0].count = group.count
        group.collapsed = group.count > COLLAPSE_AFTER
        group.rows[0].values.sort(key=lambda v: (v.inferred, v.term.text.lower()))
    return sorted(groups.values(), key=lambda g: (-g.count, g.phrase.text.lower()))
