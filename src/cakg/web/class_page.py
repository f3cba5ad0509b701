"""The page of one of the ontology's classes: its instances, counted, and its subclasses' counts.

`/class/State` lists every instance of <https://w3id.org/cakg/ontology#State> (its own and its
subclasses', the reasoner having typed them), each by its label and linked to its page, with the
count, and the number of instances of each direct subclass (linked to their own class pages).
The kinds on resource pages link here (class_href).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from flask import url_for
from rdflib import Literal, URIRef
from werkzeug.datastructures import LanguageAccept

from cakg.engine.base import Engine, QueryDataset
from cakg.errors import ResourceNotFound
from cakg.namespaces import CAKG, ONTOLOGY_GRAPH, PREFIXES
from cakg.web.linked_view import Term, best_label
from cakg.web.negotiation import public_path

MAX_INSTANCES = 5000
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,99}")
_PROLOGUE = f"PREFIX rdfs: <{PREFIXES['rdfs']}>\nPREFIX skos: <{PREFIXES['skos']}>\n"
_CLASS = (
    _PROLOGUE
    + f"""SELECT ?class ?kind ?text WHERE {{
  GRAPH <{ONTOLOGY_GRAPH}> {{
    {{ ?class rdfs:label ?text BIND("label" AS ?kind) }}
    UNION {{ ?class skos:definition ?text BIND("definition" AS ?kind) }}
  }}
}}"""
)
_INSTANCES = (
    _PROLOGUE
    + """SELECT ?class ?s ?label WHERE {
  ?s a ?class .
  OPTIONAL { ?s rdfs:label ?label }
}"""
)
_SUBCLASSES = (
    _PROLOGUE
    + f"""SELECT ?class ?sub (SAMPLE(?l) AS ?label) (COUNT(DISTINCT ?s) AS ?n) WHERE {{
  GRAPH <{ONTOLOGY_GRAPH}> {{
    ?sub rdfs:subClassOf ?class
    OPTIONAL {{ ?sub rdfs:label ?l FILTER(langMatches(lang(?l), "en")) }}
  }}
  FILTER(?sub != ?class)
  OPTIONAL {{ ?s a ?sub }}
}} GROUP BY ?class ?sub"""
)


@dataclass
class ClassView:
    iri: str
    name: str
    title: str
    definition: str | None
    count: int  # instances, named or not
    instances: list[Term] = field(default_factory=list)  # the named ones, by label
    unnamed: int = 0  # blank nodes among them
    subclasses: list[tuple[Term, int]] = field(default_factory=list)


def class_href(iri: str) -> str | None:
    """The class page of one of the ontology's classes; None for other IRIs."""
    if not iri.startswith(str(CAKG)):
        return None
    name = iri[len(str(CAKG)) :]
    return public_path(url_for("pages.class_page", name=name)) if _NAME.fullmatch(name) else None


def class_view(engine: Engine, name: str, link: object, languages: LanguageAccept) -> ClassView:
    """The class NAME of the ontology (cakg:NAME); ResourceNotFound when it has none."""
    if not _NAME.fullmatch(name):
        raise ResourceNotFound(f"no class named {name[:100]!r} in the ontology")
    cls = URIRef(str(CAKG) + name)
    about = engine.query(_CLASS, dataset=QueryDataset(), bindings={"class": cls}).rows
    labels = [t for _c, k, t in about if str(k) == "label" and isinstance(t, Literal)]
    definitions = [t for _c, k, t in about if str(k) == "definition" and isinstance(t, Literal)]
    if not labels and not definitions:
        raise ResourceNotFound(f"no class cakg:{name} in the ontology; see /ontology")
    rows = engine.query(
        _INSTANCES, dataset=QueryDataset(), bindings={"class": cls}, max_rows=MAX_INSTANCES
    ).rows
    names: dict[str, list[Literal]] = {}
    unnamed: set[str] = set()
    for _c, s, label in rows:
        if not isinstance(s, URIRef):
            unnamed.add(str(s))
            continue
        found = names.setdefault(str(s), [])
        if isinstance(label, Literal) and label not in found:
            found.append(label)
    href = link if callable(link) else str
    instances = []
    for iri, found in names.items():
        label = best_label(found, languages)
        instances.append(Term(str(label) if label is not None else iri, href(iri), iri))
    instances.sort(key=lambda t: t.text.casefold())
    subclasses = []
    found_subs = engine.query(_SUBCLASSES, dataset=QueryDataset(), bindings={"class": cls}).rows
    for _c, sub, sub_label, n in found_subs:
        if isinstance(sub, URIRef) and str(sub).startswith(str(CAKG)):
            text = str(sub_label) if sub_label is not None else str(sub)[len(str(CAKG)) :]
            subclasses.append((Term(text, class_href(str(sub)), str(sub)), int(str(n or 0))))
    title = best_label(labels, languages)
    definition = best_label(definitions, languages)
    return ClassView(
        iri=str(cls),
        name=name,
        title=str(title) if title is not None else name,
        definition=str(definition) if definition is not None else None,
        count=len(names) + len(unnamed),
        instances=instances,
        unnamed=len(unnamed),
        subclasses=sorted(subclasses, key=lambda s: (-s[1], s[0].text)),
    )
