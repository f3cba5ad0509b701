"""Everything templates/linked/resource.html shows of one resource, as plain data.

The infobox (cakg.web.infobox), the kinds, the facts each once (cakg.resource_facts, put in words
by cakg.web.fact_view), the sources by title, publisher and date, the evidence, and the schema.org
JSON-LD (cakg.web.schema_org). The pictures (map, timeline, neighbourhood graph, route map) are
added by bp "pages" (cakg.web.resource_views).
"""

from __future__ import annotations

from typing import Any

from rdflib import URIRef

from cakg.engine.base import Engine
from cakg.namespaces import shorten
from cakg.ontology_axioms import OntologyAxioms
from cakg.resource_description import Description, Statement
from cakg.resource_facts import Fact, fold_facts, types_folded
from cakg.source_texts import SourceTexts
from cakg.views.labels import Terms
from cakg.web.fact_view import back_groups, forward_rows
from cakg.web.inference_view import unexplained
from cakg.web.infobox import infobox
from cakg.web.linked_view import GROUPS, Group, PageBuilder, Term, Value, Viewer
from cakg.web.schema_org import schema_org


def page_view(
    d: Description,
    viewer: Viewer,
    axioms: OntologyAxioms,
    engine: Engine,
    terms: Terms,
    *,
    texts: SourceTexts | None = None,
    class_page: Any = None,
) -> dict[str, Any]:
    """The page's data; TEXTS (the source texts on the server, if configured) lets it quote the
    evidence; CLASS_PAGE(iri) gives the page listing a class's instances (None: its IRI)."""
    b = PageBuilder(d, viewer)
    iri = str(d.iri)
    title = b.label(iri)
    title_text = str(title) if title is not None else shorten(iri)
    facts = fold_facts(d, axioms)
    main, implied = types_folded(d, axioms)

    def kind(st_object: URIRef) -> Term:
        term = b.term(st_object)
        href = class_page(str(st_object)) if class_page is not None else None
        return Term(term.text, href or term.href, term.iri, term.lang, term.note)

    kinds = [kind(st.object) for st in main if isinstance(st.object, URIRef)]
    types = [
        Value(kind(st.object), b.sources(st), st.inferred, why=b.why(st))
        for st in (*main, *implied)
        if isinstance(st.object, URIRef)
    ]
    forward = [f for f in facts if f.forward]
    back = [f for f in facts if not f.forward]
    used = {g for f in facts for g in f.graphs} | {g for st in main for g in st.graphs}
    documents = sorted(
        (b.source(d.sources[g]) for g in used if g in d.sources and d.sources[g].kind == "source"),
        key=lambda s: (s.date or "", s.text),
    )
    return {
        "iri": iri,
        "title": title_text,
        "lang": title.language if title is not None and title.language else "en",
        "infobox": infobox(b, facts, kinds, axioms, engine, terms),
        "kinds": kinds,
        "types": types[: len(main)],
        "implied_types": types[len(main) :],
        "groups": _groups(forward, b, axioms, title_text),
        "backlinks": back_groups(back, b, axioms, title_text),
        "documents": documents,
        "jsonld": schema_org(d, viewer.link(iri)),
        "truncated": d.truncated,
        "evidence": b.evidence(texts),
        "unexplained": unexplained(d, shown_statements(facts, [*main, *implied])),
        "facts": facts,
    }


def _groups(facts: list[Fact], b: PageBuilder, axioms: OntologyAxioms, title: str) -> list[Group]:
    grouped: dict[str, list[Fact]] = {name: [] for name, _test in GROUPS}
    for fact in facts:
        name = next(n for n, test in GROUPS if test(str(fact.predicate)))
        grouped[name].append(fact)
    return [
        Group(name, forward_rows(items, b, axioms, title))
        for name, items in grouped.items()
        if items
    ]


def shown_statements(facts: list[Fact], types: list[Statement]) -> list[Statement]:
    """The statements the page shows (one per fact: the others are folded into it)."""
    shown = list(types)
    for fact in facts:
        shown += [fact.shown, *(o.shown for o in fact.others)]
    return shown
