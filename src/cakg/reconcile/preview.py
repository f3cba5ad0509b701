"""An entity's card for the preview service: its name, other names, types and a few facts.

The facts are the entity's own statements (the ontology's properties first, text before
links), read with one fixed query whose subject is bound by
the engine (`bindings`), never written into the text; labels of what they point to come from
the search index.
"""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import Literal, URIRef

from cakg.engine.base import Engine, QueryDataset
from cakg.namespaces import CAKG, shorten
from cakg.reconcile.schema import GENERAL_PROPERTIES, RDF_TYPE, Schema
from cakg.search import SearchEntry, SearchIndex

FACTS = 5  # facts shown on a card (it keeps to the size the manifest declares)
MAX_TEXT = 120  # characters of a value shown
FACTS_QUERY = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } ORDER BY ?p ?o LIMIT 200"
HIDDEN = frozenset(GENERAL_PROPERTIES) - {"http://www.w3.org/2002/07/owl#sameAs"} | {RDF_TYPE}


@dataclass(frozen=True)
class Card:
    iri: str
    name: str
    lang: str
    other_names: tuple[tuple[str, str], ...]  # (text, language)
    types: tuple[tuple[str, str], ...]  # (IRI, name)
    facts: tuple[tuple[str, str], ...]  # (property name, value text)
    degree: int


def read_card(entry: SearchEntry, schema: Schema, index: SearchIndex, engine: Engine) -> Card:
    result = engine.query(FACTS_QUERY, dataset=QueryDataset(), bindings={"s": URIRef(entry.iri)})
    facts: list[tuple[str, str]] = []
    rows = [(p, o) for _s, p, o in result.rows if p is not None and str(p) not in HIDDEN]
    # the ontology's own properties first, values that are text before links
    rows.sort(key=lambda r: (not str(r[0]).startswith(str(CAKG)), isinstance(r[1], URIRef)))
    for p, o in rows:
        if isinstance(o, URIRef):
            target = index.entry(str(o))
            text = target.label.text if target else shorten(str(o))
        elif isinstance(o, Literal):
            text = str(o)
        else:
            continue
        if len(text) > MAX_TEXT:
            text = text[: MAX_TEXT - 1] + "…"
        facts.append((schema.name(str(p)), text))
        if len(facts) == FACTS:
            break
    label = entry.label
    others = tuple(
        dict.fromkeys((lb.text, lb.lang) for lb in entry.labels[1:] if lb.predicate != "slug")
    )
    return Card(
        iri=entry.iri,
        name=label.text,
        lang=label.lang,
        other_names=others[:6],
        types=tuple(schema.type_list(entry.types or entry.classes)),
        facts=tuple(facts),
        degree=entry.degree,
    )
