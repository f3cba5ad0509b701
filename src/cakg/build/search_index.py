"""The release's search index: every entity with its labels, classes and degree, as JSON.

Written by cakg.build.write from the union of the release's graphs (asserted and inferred, each
triple once: the sorted N-Triples the Turtle dump is made from), read by the serving side
(cakg.search). No query text is parsed for it, at build time or when served.

One record per entity: an IRI in the `id/` space, or a term of the ontology (`ontology#`) with
a label. Its labels are the objects of LABEL_PREDICATES (any language), each with its key
(cakg.search_keys.fold); an entity with no label is left out. `types` are its most specific
classes (none a superclass of another of them), `classes` every class it has, the inferred ones
and the superclasses of its types (rdfs:subClassOf, transitively) included. `degree` counts the
triples it takes part in, in any position.

File layout (INDEX_FORMAT): {"format", "key_version", "classes": [every class IRI],
"class_sets": [the distinct sets of classes, each a list of class numbers], "labels": [the
distinct [text, lang, predicate, key]], "entities": [{"iri", "degree", "types": [class numbers],
"classes": its class set's number, "labels": [label numbers]}...], "keys": [the distinct label
keys, sorted], "postings": [for each key, [entity, label] pairs]}. Entities are ordered by
degree (highest first), then IRI: an entity's number is its rank, so postings in entity order
list the most connected first. Copies of a label (the synthetic build's copies of a source)
are stored once.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from cakg.namespaces import CAKG, ID
from cakg.search_keys import KEY_VERSION, fold

INDEX_FORMAT = "cakg-search-index/3"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
SUBCLASS_OF = "http://www.w3.org/2000/01/rdf-schema#subClassOf"
_RDFS = "http://www.w3.org/2000/01/rdf-schema#"
_SKOS = "http://www.w3.org/2004/02/skos/core#"
# predicate -> its short name in the index, in the order a display label is chosen
LABEL_PREDICATES = {
    _RDFS + "label": "rdfs:label",
    _SKOS + "prefLabel": "skos:prefLabel",
    "https://schema.org/name": "schema:name",
    "http://xmlns.com/foaf/0.1/name": "foaf:name",
    "http://purl.org/dc/terms/title": "dcterms:title",
    _SKOS + "altLabel": "skos:altLabel",
    _SKOS + "hiddenLabel": "skos:hiddenLabel",
}
INDEXED = (str(ID), str(CAKG))  # the IRIs that get a record


class _Entity:
    __slots__ = ("degree", "labels", "types")

    def __init__(self) -> None:
        self.degree = 0
        self.labels: list[tuple[str, str, str]] = []  # (text, lang, predicate name)
        self.types: set[str] = set()


def write_search_index(ntriples: Path, out: Path) -> dict[str, int]:
    """Read the union of the release's graphs (N-Triples, each triple once) and write the index
    to OUT (by one rename); its counts (entities, labels, keys, bytes)."""
    entities, superclasses = _scan(ox.parse(path=ntriples, format=ox.RdfFormat.N_TRIPLES))
    index = build_index(entities, superclasses)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(json.dumps(index, ensure_ascii=False, separators=(",", ":")), "utf-8")
    os.replace(tmp, out)
    return {
        "entities": len(index["entities"]),
        "labels": sum(len(e["labels"]) for e in index["entities"]),
        "distinct_labels": len(index["labels"]),
        "keys": len(index["keys"]),
        "bytes": out.stat().st_size,
    }


def _scan(quads: Iterable[ox.Quad]) -> tuple[dict[str, _Entity], dict[str, set[str]]]:
    """Every IRI's degree, labels and types; each class's direct superclasses."""
    entities: dict[str, _Entity] = defaultdict(_Entity)
    superclasses: dict[str, set[str]] = defaultdict(set)
    named = ox.NamedNode
    for quad in quads:
        s, p, o = quad.subject, quad.predicate, quad.object
        pv = p.value
        entities[pv].degree += 1
        sv = s.value if type(s) is named else None
        if sv is not None and sv != pv:
            entities[sv].degree += 1
        ov = o.value if type(o) is named else None
        if ov is not None and ov != pv and ov != sv:
            entities[ov].degree += 1
        if sv is None:
            continue
        name = LABEL_PREDICATES.get(pv)
        if name is not None and isinstance(o, ox.Literal):
            entities[sv].labels.append((o.value, o.language or "", name))
        elif ov is not None and pv == RDF_TYPE:
            entities[sv].types.add(ov)
        elif ov is not None and pv == SUBCLASS_OF and ov != sv:
            superclasses[sv].add(ov)
    return entities, superclasses


def build_index(entities: dict[str, _Entity], superclasses: dict[str, set[str]]) -> dict[str, Any]:
    """The index's JSON value from the scanned entities (see the module's docstring)."""
    closure = _closure(superclasses)
    records = []
    for iri, entity in entities.items():
        if not iri.startswith(INDEXED) or iri == str(ID):
            continue
        labels = sorted(set(entity.labels), key=_label_order)
        if not labels:  # not to be found by name (a statement, an annotation...)
            continue
        classes = set(entity.types)
        for t in entity.types:
            classes |= closure.get(t, set())
        records.append((iri, entity.degree, labels, _most_specific(entity.types, closure), classes))
    records.sort(key=lambda r: (-r[1], r[0]))
    postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
    class_ids = {c: n for n, c in enumerate(sorted({c for r in records for c in r[4]}))}
    class_sets: dict[tuple[int, ...], int] = {}
    label_ids: dict[tuple[str, str, str, str], int] = {}  # copies of a label: stored once
    out = []
    for n, (iri, degree, labels, specific, classes) in enumerate(records):
        keyed = []
        for i, (text, lang, name) in enumerate(labels):
            key = fold(text)
            keyed.append(label_ids.setdefault((text, lang, name, key), len(label_ids)))
            if key:
                postings[key].append((n, i))
        out.append(
            {
                "iri": iri,
                "degree": degree,
                "types": [class_ids[t] for t in sorted(specific, key=_class_order)],
                "classes": class_sets.setdefault(
                    tuple(sorted(class_ids[c] for c in classes)), len(class_sets)
                ),
                "labels": keyed,
            }
        )
    keys = sorted(postings)
    return {
        "format": INDEX_FORMAT,
        "key_version": KEY_VERSION,
        "classes": list(class_ids),
        "class_sets": list(class_sets),
        "labels": list(label_ids),
        "entities": out,
        "keys": keys,
        "postings": [postings[k] for k in keys],
    }


def _most_specific(types: set[str], closure: dict[str, set[str]]) -> set[str]:
    """The types that are no (strict) superclass of another of TYPES."""
    empty: set[str] = set()
    return {
        t
        for t in types
        if not any(
            t in closure.get(u, empty) and u not in closure.get(t, empty) for u in types if u != t
        )
    }


def _label_order(label: tuple[str, str, str]) -> tuple[int, int, str, str]:
    """Labels in the order a display label is chosen: by predicate, English first."""
    text, lang, name = label
    rank = list(LABEL_PREDICATES.values()).index(name)
    return rank, 0 if lang.split("-")[0] == "en" else 1, lang, text


def _class_order(iri: str) -> tuple[int, str]:
    """The project's own classes first."""
    return (0 if iri.startswith(str(CAKG)) else 1), iri


def _closure(superclasses: dict[str, set[str]]) -> dict[str, set[str]]:
    """Each class's superclasses, transitively (a cycle is harmless)."""
    closed: dict[str, set[str]] = {}
    for start in superclasses:
        seen: set[str] = set()
        todo = list(superclasses[start])
        while todo:
            c = todo.pop()
            if c not in seen and c != start:
                seen.add(c)
                todo.extend(superclasses.get(c, ()))
        closed[start] = seen
    return closed
