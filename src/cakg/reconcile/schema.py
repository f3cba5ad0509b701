"""The classes and properties of a release, as the reconciliation service names them.

Read once per release (the web layer memoises `Schema`) with fixed queries on the engine
over the union default graph with inference: the classes (owl:Class, rdfs:Class) with their
English labels, definitions and superclasses; which of the main classes have instances (an ASK
each: counting the instances of every class takes seconds at 10^6 triples); the
properties the ontology declares in its own graph (owl:ObjectProperty, owl:DatatypeProperty,
rdf:Property) with labels, definitions, and the domains and ranges it states. A few general
properties every entity may have (labels, owl:sameAs, rdf:type) are added. No client text
reaches these queries.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from rdflib import Literal, URIRef

from cakg.engine.base import Engine, QueryDataset
from cakg.errors import BadParameter
from cakg.namespaces import CAKG, ONTOLOGY_GRAPH, shorten
from cakg.queries.params import IRI, expand

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
OWL = "http://www.w3.org/2002/07/owl#"
# classes no one reconciles against: every entity is one
GENERAL_CLASSES = frozenset({OWL + "Thing", RDFS + "Resource", OWL + "NamedIndividual"})
# the classes of named things an analyst reconciles against, most asked for first
MAIN_CLASSES = (
    "State",
    "Person",
    "Organisation",
    "Place",
    "City",
    "Region",
    "Agreement",
    "Event",
    "Visit",
    "JointProject",
    "TransportCorridor",
    "Commodity",
    "Sector",
    "Office",
    "SourceDocument",
)
# properties any entity may have, with their names, besides the declared ones
GENERAL_PROPERTIES = {
    RDFS + "label": "label",
    SKOS + "prefLabel": "preferred label",
    SKOS + "altLabel": "alternative label",
    "http://purl.org/dc/terms/title": "title",
    OWL + "sameAs": "same as (e.g. a Wikidata item)",
    RDF_TYPE: "type",
}

_EN = 'FILTER(langMatches(lang(?{v}), "en") || lang(?{v}) = "")'
CLASSES_QUERY = f"""\
SELECT ?c ?label ?definition ?parent WHERE {{
  {{ ?c a <{OWL}Class> }} UNION {{ ?c a <{RDFS}Class> }}
  FILTER(isIRI(?c))
  OPTIONAL {{ ?c <{RDFS}label> ?label {_EN.format(v="label")} }}
  OPTIONAL {{ ?c <{SKOS}definition> ?definition {_EN.format(v="definition")} }}
  OPTIONAL {{ ?c <{RDFS}subClassOf> ?parent FILTER(isIRI(?parent)) }}
}}"""
PROPERTIES_QUERY = f"""\
SELECT ?p ?kind ?label ?definition ?domain ?range WHERE {{
  VALUES ?kind {{ <{OWL}ObjectProperty> <{OWL}DatatypeProperty> <{RDF_TYPE[:-4]}Property> }}
  ?p a ?kind FILTER(isIRI(?p))
  OPTIONAL {{ ?p <{RDFS}label> ?label {_EN.format(v="label")} }}
  OPTIONAL {{ ?p <{SKOS}definition> ?definition {_EN.format(v="definition")} }}
  OPTIONAL {{ ?p <{RDFS}domain> ?domain FILTER(isIRI(?domain)) }}
  OPTIONAL {{ ?p <{RDFS}range> ?range FILTER(isIRI(?range)) }}
}}"""


@dataclass
class Term:
    """A class or a property: its IRI, English name and definition."""

    iri: str
    name: str = ""
    description: str = ""

    @property
    def label(self) -> str:
        return self.name or shorten(self.iri)


@dataclass
class ClassTerm(Term):
    parents: set[str] = field(default_factory=set)  # every superclass (inference closes them)
    populated: bool = False  # a main class (MAIN_CLASSES) with instances in the release

    @property
    def declared(self) -> bool:
        return self.iri.startswith(str(CAKG))


@dataclass
class PropertyTerm(Term):
    entity_valued: bool = False  # an owl:ObjectProperty (or one whose range is a class)
    domains: set[str] = field(default_factory=set)
    ranges: set[str] = field(default_factory=set)


@dataclass
class Schema:
    classes: dict[str, ClassTerm]
    properties: dict[str, PropertyTerm]

    def subclasses(self, iri: str) -> set[str]:
        """IRI and every class below it."""
        return {iri} | {c.iri for c in self.classes.values() if iri in c.parents}

    def broader(self, iri: str) -> list[str]:
        """The direct superclasses of a class (not a superclass of another of them)."""
        term = self.classes.get(iri)
        if term is None:
            return []
        parents = term.parents - {iri} - GENERAL_CLASSES
        above = set().union(*(self.classes[p].parents - {p} for p in parents if p in self.classes))
        return sorted(parents - above)

    def class_iri(self, text: str, parameter: str, where: str = "") -> str:
        """The class a type id names (an IRI, a prefixed name like cakg:State, or its English
        name); BadParameter when there is no such class."""
        iri = expand(text.strip())
        if iri in self.classes:
            return iri
        named = [c.iri for c in self.classes.values() if c.name.casefold() == text.casefold()]
        if len(named) == 1:
            return named[0]
        raise BadParameter(
            parameter,
            f"{where}unknown type {text!r}: a type is a class of the dataset, such as cakg:State "
            f"or {CAKG}Person (see the suggest service for types)",
        )

    def property_iri(self, text: str, parameter: str, engine: Engine, where: str = "") -> str:
        """The property a pid names (an IRI, a prefixed name or its English name); one the
        ontology does not declare is taken when the dataset uses it. BadParameter otherwise."""
        iri = expand(text.strip())
        if iri in self.properties:
            return iri
        named = [p.iri for p in self.properties.values() if p.name.casefold() == text.casefold()]
        if len(named) == 1:
            return named[0]
        if IRI.fullmatch(iri) and _used(engine, iri):
            self.properties[iri] = PropertyTerm(iri)
            return iri
        raise BadParameter(
            parameter,
            f"{where}unknown property {text!r}: a property id is an IRI or a prefixed name such as "
            "cakg:locatedIn (see the suggest service for properties)",
        )

    def type_list(self, classes: Iterable[str], most: int = 5) -> list[tuple[str, str]]:
        """(IRI, name) of the given classes worth showing, the project's own first."""
        shown = [c for c in classes if c not in GENERAL_CLASSES]
        shown.sort(key=lambda c: (not c.startswith(str(CAKG)), self.name(c)))
        return [(c, self.name(c)) for c in shown[:most]]

    def name(self, iri: str) -> str:
        term = self.classes.get(iri) or self.properties.get(iri)
        return term.label if term else shorten(iri)

    def default_types(self) -> list[ClassTerm]:
        """The ontology's main classes of named things (MAIN_CLASSES) the release has."""
        found = (self.classes.get(str(CAKG[name])) for name in MAIN_CLASSES)
        return [c for c in found if c is not None and c.populated]

    def properties_of(self, iri: str) -> list[PropertyTerm]:
        """The properties whose stated domain is the class or one above it, then the general
        ones; every property with a domain when IRI is "" (no type)."""
        term = self.classes.get(iri)
        above = (term.parents | {iri}) if term else set()
        found = [
            p for p in self.properties.values() if p.domains and (not iri or p.domains & above)
        ]
        found.sort(key=lambda p: p.label.casefold())
        return found + [self.properties[g] for g in GENERAL_PROPERTIES]


def read_schema(engine: Engine) -> Schema:
    """The classes and properties of the release the engine serves."""
    dataset = QueryDataset()
    classes: dict[str, ClassTerm] = {}
    for c, label, definition, parent in engine.query(CLASSES_QUERY, dataset=dataset).rows:
        term = classes.setdefault(str(c), ClassTerm(str(c)))
        _describe(term, label, definition)
        if parent is not None:
            term.parents.add(str(parent))
    for name in MAIN_CLASSES:  # one ASK each: EXISTS over VALUES takes seconds at 10^6
        main = classes.get(str(CAKG[name]))
        if main is not None:
            answer = engine.query(
                "ASK { ?s a ?c }", dataset=dataset, bindings={"c": URIRef(main.iri)}
            )
            main.populated = bool(answer.boolean)
    properties: dict[str, PropertyTerm] = {
        iri: PropertyTerm(iri, name) for iri, name in GENERAL_PROPERTIES.items()
    }
    properties[RDF_TYPE].entity_valued = properties[OWL + "sameAs"].entity_valued = True
    # the ontology's own graph: the domains it states, not every superclass of them (and not
    # QueryDataset(inference=False), a union of every other graph: seconds at 10^6 triples)
    asserted = QueryDataset(default_graphs=(str(ONTOLOGY_GRAPH),), named_graphs=())
    for p, kind, label, definition, domain, rng in engine.query(
        PROPERTIES_QUERY, dataset=asserted
    ).rows:
        prop = properties.setdefault(str(p), PropertyTerm(str(p)))
        _describe(prop, label, definition)
        if str(kind) == OWL + "ObjectProperty":
            prop.entity_valued = True
        if domain is not None:
            prop.domains.add(str(domain))
        if rng is not None:
            prop.ranges.add(str(rng))
    for prop in properties.values():
        if any(r in classes for r in prop.ranges):
            prop.entity_valued = True
    return Schema(classes, properties)


def _describe(term: Term, label: object, definition: object) -> None:
    """Keep an English label (or one with no language) over any other."""
    if isinstance(label, Literal) and (not term.name or label.language == "en"):
        term.name = str(label)
    if isinstance(definition, Literal) and not term.description:
        term.description = str(definition)


def _used(engine: Engine, iri: str) -> bool:
    result = engine.query("ASK { ?s ?p ?o }", dataset=QueryDataset(), bindings={"p": URIRef(iri)})
    return bool(result.boolean)
