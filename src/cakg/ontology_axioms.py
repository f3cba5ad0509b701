"""What the resource pages need to know of the ontology, asked of any engine in SPARQL.

Which property is declared the inverse of which (`owl:inverseOf`, as written in the ontology's
own graph: `cakg:hosted owl:inverseOf cakg:host` makes `cakg:host` the natural direction), the
super-properties and super-classes of each term (closed transitively here, so the reasoner's
schema.org and Dublin Core mirrors such as `schema:attendee` over `cakg:participant` are known
as mirrors), the symmetric properties, and every term's English label. The pages fold a fact
stated both ways, or both as a term and as its mirror, into one (cakg.resource_facts).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from rdflib import Literal, URIRef

from cakg.engine.base import Engine
from cakg.namespaces import ONTOLOGY_GRAPH, PREFIXES

_AXIOMS = f"""PREFIX owl: <{PREFIXES["owl"]}>
PREFIX rdfs: <{PREFIXES["rdfs"]}>
SELECT ?kind ?a ?b WHERE {{
  {{ GRAPH <{ONTOLOGY_GRAPH}> {{ ?a owl:inverseOf ?b }} BIND("inverse" AS ?kind) }}
  UNION {{ ?a rdfs:subPropertyOf ?b BIND("superProperty" AS ?kind) }}
  UNION {{ ?a rdfs:subClassOf ?b BIND("superClass" AS ?kind) }}
  UNION {{ ?a a owl:SymmetricProperty BIND("symmetric" AS ?kind) }}
  UNION {{ GRAPH <{ONTOLOGY_GRAPH}> {{ ?a rdfs:label ?b }} BIND("label" AS ?kind)
           FILTER(isIRI(?a) && langMatches(lang(?b), "en")) }}
}}"""


@dataclass
class OntologyAxioms:
    """The ontology's axioms a page folds facts by; IRIs as strings."""

    inverse: dict[str, str] = field(default_factory=dict)  # declared p -> its natural inverse q
    inverse_of: dict[str, str] = field(default_factory=dict)  # natural q -> the declared p
    super_properties: dict[str, set[str]] = field(default_factory=dict)  # transitive, strict
    super_classes: dict[str, set[str]] = field(default_factory=dict)  # transitive, strict
    symmetric: set[str] = field(default_factory=set)
    labels: dict[str, str] = field(default_factory=dict)  # term -> English label

    def natural(self, predicate: str) -> str | None:
        """The property a declared inverse stands for (cakg:hosted -> cakg:host); else None."""
        return self.inverse.get(predicate)

    def is_mirror(self, general: str, specific: str) -> bool:
        """True when GENERAL is a strict super-property of SPECIFIC (schema:attendee of
        cakg:host): a triple of GENERAL beside one of SPECIFIC says nothing new."""
        return general != specific and general in self.super_properties.get(specific, set())

    def subsumes(self, general: str, specific: str) -> bool:
        """True when class GENERAL is a strict super-class of class SPECIFIC."""
        return general != specific and general in self.super_classes.get(specific, set())


def load_axioms(engine: Engine) -> OntologyAxioms:
    """The ontology's inverses, hierarchies, symmetric properties and labels."""
    axioms = OntologyAxioms()
    direct_p: dict[str, set[str]] = defaultdict(set)
    direct_c: dict[str, set[str]] = defaultdict(set)
    for kind, a, b in engine.query(_AXIOMS).rows:
        if not isinstance(a, URIRef) or kind is None:
            continue
        k = str(kind)
        if k == "symmetric":
            axioms.symmetric.add(str(a))
        elif k == "label" and isinstance(b, Literal):
            axioms.labels.setdefault(str(a), str(b))
        elif not isinstance(b, URIRef) or a == b:
            continue
        elif k == "inverse" and str(b) not in axioms.inverse:
            axioms.inverse[str(a)] = str(b)
            axioms.inverse_of.setdefault(str(b), str(a))
        elif k == "superProperty":
            direct_p[str(a)].add(str(b))
        elif k == "superClass":
            direct_c[str(a)].add(str(b))
    axioms.symmetric.add(PREFIXES["owl"] + "sameAs")  # symmetric by OWL's own semantics
    axioms.super_properties = _closure(direct_p)
    axioms.super_classes = _closure(direct_c)
    return axioms


def _closure(direct: dict[str, set[str]]) -> dict[str, set[str]]:
    closed: dict[str, set[str]] = {}
    for start in direct:
        seen: set[str] = set()
        todo = list(direct[start])
        while todo:
            term = todo.pop()
            if term in seen or term == start:
                continue
            seen.add(term)
            todo.extend(direct.get(term, ()))
        closed[start] = seen
    return closed
