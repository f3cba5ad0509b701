"""How a resource page shows why an inferred fact holds (cakg.inference_explanation).

Beside each inferred value: the rule, the ontology's axiom it applies, and the facts it follows
from, each with its terms linked to their pages and the sources that assert it. A fact it
follows from that is itself inferred is marked so and links to its subject's page, where it is
explained in turn (one step per page). Plain data for the `why` macro of
templates/linked/macros.html; linked_view.PageBuilder gives the terms and sources.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rdflib import URIRef
from rdflib.term import Node

from cakg.namespaces import shorten
from cakg.resource_description import Description, Statement

if TYPE_CHECKING:
    from cakg.web.linked_view import SourceRef, Term

NOT_IDENTIFIED = "inferred; rule not identified"


@dataclass
class AxiomView:
    subject: Term
    predicate: str  # as a prefixed name
    objects: list[Term]  # one class or property, or the steps of a chain
    entailed: bool  # not stated in the ontology but entailed by it


@dataclass
class PremiseView:
    subject: Term
    predicate: Term
    object: Term
    sources: list[SourceRef]  # the graphs that hold it (the inferred graph for an inferred one)
    inferred: bool
    page: str | None  # its subject's page, where an inferred premise is explained in turn


@dataclass
class Why:
    """Why an inferred value holds; `rule` None when that is not known (`note` says why)."""

    rule: str | None = None
    owl_rl: str = ""
    axiom: AxiomView | None = None
    premises: list[PremiseView] = field(default_factory=list)
    note: str = NOT_IDENTIFIED


def why_view(
    d: Description,
    st: Statement,
    term: Callable[[Node], Term],
    sources: Callable[[list[str]], list[SourceRef]],
) -> Why | None:
    """Why `st` holds, for a page that explains its inferred facts; None for an asserted one,
    and for an inferred one past the cap (unexplained() counts them)."""
    key = (st.subject, st.predicate, st.object)
    if not (st.inferred and d.explained and key in d.explanations):
        return None
    explanation = d.explanations[key]
    if explanation is None:
        return Why()
    axiom = None
    if explanation.axiom is not None:
        ax = explanation.axiom
        objects = [term(o) for o in ax.objects]
        axiom = AxiomView(term(ax.subject), shorten(str(ax.predicate)), objects, ax.entailed)
    premises = [
        PremiseView(
            term(p.subject),
            term(p.predicate),
            term(p.object),
            sources(p.graphs),
            p.inferred,
            term(p.subject).href if isinstance(p.subject, URIRef) else None,
        )
        for p in explanation.premises
    ]
    return Why(explanation.name, explanation.owl_rl, axiom, premises, note="")


def unexplained(d: Description, shown: list[Statement] | None = None) -> int:
    """How many inferred statements of an explaining page are past the cap
    (cakg.inference_explanation.MAX_EXPLAINED): of SHOWN (the ones the page shows), else of all."""
    if not d.explained:
        return 0
    statements = shown if shown is not None else [*d.statements, *d.backlinks]
    inferred = {(st.subject, st.predicate, st.object) for st in statements if st.inferred}
    return len(inferred - d.explanations.keys())
