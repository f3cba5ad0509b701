"""The suggest services (entities, types, properties) and the property proposals, as data.

Entities come from the search index (prefix and fuzzy matches on every label, most connected
first among equals); types and properties from the release's schema, matched on their names,
prefixed names and IRIs: an exact name or id first, then names starting with the prefix, then
names with a word starting with it. A prefix that is an entity's IRI or prefixed name finds it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from cakg.namespaces import CAKG, shorten
from cakg.queries.params import expand
from cakg.reconcile.schema import MAIN_CLASSES, ClassTerm, Schema, Term
from cakg.search import MAX_LIMIT, SearchIndex
from cakg.search_keys import fold

DEFAULT_SUGGESTIONS = 10
MAIN_ORDER = {str(CAKG[name]): n for n, name in enumerate(MAIN_CLASSES)}
MAIN_WEIGHT = 1000


def suggest_entities(
    index: SearchIndex, schema: Schema, prefix: str, types: Sequence[str], cursor: int, limit: int
) -> list[dict[str, Any]]:
    """Entities whose names start with (or are close to) PREFIX, from the CURSOR-th on."""
    own = index.entry(expand(prefix.strip()))
    if own is not None:
        found = [(own.iri, own.label.text, own.types or tuple(own.classes))]
    else:
        hits = index.find(prefix, types=types, limit=min(MAX_LIMIT, cursor + limit))
        found = [(h.iri, h.label, h.types) for h in hits]
    result = []
    for iri, name, classes in found[cursor : cursor + limit]:
        notable = schema.type_list(classes)
        item: dict[str, Any] = {
            "id": iri,
            "name": name,
            "notable": [{"id": c, "name": n} for c, n in notable],
        }
        if notable:
            item["description"] = ", ".join(n for _, n in notable)
        result.append(item)
    return result


def suggest_types(schema: Schema, prefix: str, cursor: int, limit: int) -> list[dict[str, Any]]:
    """Classes named like PREFIX, with their definitions and direct superclasses."""
    ranked = _ranked(schema.classes.values(), prefix, _main)
    return [_type(schema, c) for c in ranked[cursor : cursor + limit]]


def suggest_properties(
    schema: Schema, prefix: str, type_iri: str, cursor: int, limit: int
) -> list[dict[str, Any]]:
    """Properties named like PREFIX; those of TYPE_IRI (when given) first."""
    own = {p.iri for p in schema.properties_of(type_iri)} if type_iri else set()
    ranked = _ranked(schema.properties.values(), prefix, lambda p: int(p.iri in own))
    return [_term(p) for p in ranked[cursor : cursor + limit]]


def propose_properties(schema: Schema, type_iri: str, limit: int) -> list[dict[str, Any]]:
    """The properties an instance of TYPE_IRI may have (all with a domain when "")."""
    return [_term(p) for p in schema.properties_of(type_iri)[:limit]]


def type_object(schema: Schema, iri: str) -> dict[str, Any]:
    return {"id": iri, "name": schema.name(iri)}


def _type(schema: Schema, term: ClassTerm) -> dict[str, Any]:
    item = _term(term)
    broader = schema.broader(term.iri)
    if broader:
        item["broader"] = [type_object(schema, b) for b in broader]
    return item


def _term(term: Term) -> dict[str, Any]:
    item: dict[str, Any] = {"id": term.iri, "name": term.label}
    if term.description:
        item["description"] = term.description
    return item


def _main(term: ClassTerm) -> int:
    """The weight of a class: the main classes first (in their order)."""
    return MAIN_WEIGHT - MAIN_ORDER[term.iri] if term.iri in MAIN_ORDER else 0


def _ranked(terms: Iterable[Any], prefix: str, weight: Any) -> list[Any]:
    """TERMS matching PREFIX, best first (see the module's docstring)."""
    text = prefix.strip()
    key = fold(text)
    iri = expand(text)
    ranked = []
    for term in terms:
        name = fold(term.label)
        short = shorten(term.iri).casefold()
        if text and (term.iri == iri or short == text.casefold() or name == key):
            rank = 0
        elif not key or name.startswith(key) or short.split(":", 1)[-1].startswith(key):
            rank = 1
        elif any(word.startswith(key) for word in name.split()):
            rank = 2
        else:
            continue
        ranked.append((rank, -weight(term), term.label.casefold(), term.iri, term))
    ranked.sort(key=lambda r: r[:4])
    return [r[4] for r in ranked]
