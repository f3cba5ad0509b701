"""Links out and Russian text: Wikidata links, the ontology's Russian labels, their shapes."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SH, SKOS

from cakg.build.docs import render_ontology_docs
from cakg.build.validate import validate_graph
from cakg.namespaces import CAKG, CAKGSH, ID
from tests.project_graphs import parse_turtle

REPO = Path(__file__).parent.parent
WIKIDATA = "http://www.wikidata.org/"
ENTITY = re.compile(r"http://www\.wikidata\.org/entity/Q[1-9][0-9]*")
LINKS = (OWL.sameAs, SKOS.exactMatch)
# The same pattern as shapes/links.ttl: a Cyrillic word, and no word mixing Latin and Cyrillic.
CYRILLIC = "[\u0410-\u044f\u0401\u0451]"  # the Russian alphabet
NOT_A_LETTER = "[^A-Za-z\u0410-\u044f\u0401\u0451]"
WORD = f"({CYRILLIC}+|[A-Za-z]+)"
RUSSIAN = re.compile(
    f"{NOT_A_LETTER}*({WORD}{NOT_A_LETTER}+)*{CYRILLIC}+({NOT_A_LETTER}+{WORD})*{NOT_A_LETTER}*"
)
BAD = ID["test/bad"]
PREFIXES = """
@prefix cakg: <https://w3id.org/cakg/ontology#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix wd: <http://www.wikidata.org/entity/> .
@prefix id: <https://w3id.org/cakg/id/> .
"""


def wikidata_links(graph: Graph) -> list[tuple[URIRef, URIRef, URIRef]]:
    """(entity, predicate, Wikidata IRI) of every owl:sameAs or skos:exactMatch into Wikidata."""
    return [
        (s, p, o)  # type: ignore[misc]
        for p in LINKS
        for s, o in graph.subject_objects(p)
        if str(o).startswith(WIKIDATA) or "wikidata.org" in str(o)
    ]


def shared_links(graph: Graph) -> dict[URIRef, set[URIRef]]:
    """The Wikidata items that more than one entity links to, with those entities."""
    linked: dict[URIRef, set[URIRef]] = defaultdict(set)
    for entity, _, item in wikidata_links(graph):
        linked[item].add(entity)
    return {item: entities for item, entities in linked.items() if len(entities) > 1}


def terms(ontology: Graph) -> list[URIRef]:
    kinds = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty)
    return sorted({s for k in kinds for s in ontology.subjects(RDF.type, k)})  # type: ignore[misc]


def by_language(graph: Graph, term: URIRef, predicate: URIRef) -> dict[str | None, list[str]]:
    texts: dict[str | None, list[str]] = defaultdict(list)
    for value in graph.objects(term, predicate):
        assert isinstance(value, Literal), (term, predicate, value)
        texts[value.language].append(str(value))
    return texts


def well_formed(text: str) -> bool:
    return text == text.strip() and "  " not in text and RUSSIAN.fullmatch(text) is not None


# --- Wikidata links


def test_every_wikidata_link_is_an_entity_iri(data: Graph) -> None:
    links = wikidata_links(data)
    assert links
    assert [o for _, _, o in links if not ENTITY.fullmatch(str(o))] == []


def test_no_two_entities_share_a_wikidata_item(data: Graph) -> None:
    # owl:sameAs is transitive: two cakg entities sharing an item would be merged by the reasoner
    assert shared_links(data) == {}


def test_a_shared_item_is_found() -> None:
    graph = Graph().parse(
        data=PREFIXES
        + "id:a owl:sameAs wd:Q1 . id:b skos:exactMatch wd:Q1 . id:c owl:sameAs wd:Q2 .",
        format="turtle",
    )
    assert shared_links(graph) == {URIRef(WIKIDATA + "entity/Q1"): {ID["a"], ID["b"]}}


def test_persons_and_places_are_the_same_as_their_item_the_rest_only_match(
    data: Graph, ontology: Graph
) -> None:
    places = set(ontology.transitive_subjects(RDFS.subClassOf, CAKG.Place))
    identical = {CAKG.Person} | places
    for entity, predicate, _ in wikidata_links(data):
        kinds = set(data.objects(entity, RDF.type))
        assert (predicate == OWL.sameAs) == bool(kinds & identical), (entity, predicate, kinds)


def test_one_wikidata_item_per_entity(data: Graph) -> None:
    per_entity: dict[URIRef, set[URIRef]] = defaultdict(set)
    for entity, _, item in wikidata_links(data):
        per_entity[entity].add(item)
    assert {e: items for e, items in per_entity.items() if len(items) > 1} == {}


# --- Russian text


def test_every_term_has_english_text_and_at_most_one_text_per_language(ontology: Graph) -> None:
    found = terms(ontology)
    assert found
    for term in found:
        for predicate in (RDFS.label, SKOS.definition):
            texts = by_language(ontology, term, predicate)
            assert set(texts) <= {"en", "ru"}, (term, predicate, texts)
            assert len(texts["en"]) == 1, (term, predicate)
            assert all(len(values) == 1 for values in texts.values()), (term, predicate)


def concepts(ontology: Graph) -> list[URIRef]:
    kinds = (SKOS.Concept, SKOS.ConceptScheme)
    return sorted({s for k in kinds for s in ontology.subjects(RDF.type, k)})  # type: ignore[misc]


def test_every_concept_has_at_most_one_text_per_language(ontology: Graph) -> None:
    found = concepts(ontology)
    assert found
    for concept in found:
        for predicate in (SKOS.prefLabel, SKOS.definition):
            texts = by_language(ontology, concept, predicate)
            assert len(texts["en"]) == 1, (concept, predicate)
            assert all(len(values) == 1 for values in texts.values()), (concept, predicate)
        russian_definition = by_language(ontology, concept, SKOS.definition)["ru"]
        assert not russian_definition or by_language(ontology, concept, SKOS.prefLabel)["ru"]


def test_russian_concept_labels_and_definitions_are_well_formed_cyrillic(
    ontology: Graph,
) -> None:
    for concept in concepts(ontology):
        for label in by_language(ontology, concept, SKOS.prefLabel)["ru"]:
            assert well_formed(label) and not label.endswith("."), (concept, label)
        for definition in by_language(ontology, concept, SKOS.definition)["ru"]:
            assert well_formed(definition), (concept, definition)
            assert definition[0].isupper() and definition.endswith("."), (concept, definition)


def test_russian_labels_and_definitions_come_in_pairs(ontology: Graph) -> None:
    russian = 0
    for term in terms(ontology):
        label = by_language(ontology, term, RDFS.label)["ru"]
        definition = by_language(ontology, term, SKOS.definition)["ru"]
        assert bool(label) == bool(definition), term
        russian += bool(label)
    assert russian > 0


def test_russian_labels_and_definitions_are_well_formed_cyrillic(ontology: Graph) -> None:
    for term in terms(ontology):
        for label in by_language(ontology, term, RDFS.label)["ru"]:
            assert well_formed(label) and not label.endswith("."), (term, label)
        for definition in by_language(ontology, term, SKOS.definition)["ru"]:
            assert well_formed(definition), (term, definition)
            assert definition[0].isupper() and definition.endswith("."), (term, definition)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("государственный визит", True),
        ("двухбуквенный код ISO 3166-1", True),
        ("в отличие от cakg:participant, из этого ничего не следует.", True),
        ("Kaзахстан", False),  # noqa: RUF001 (a Latin K and a in a Cyrillic word)
        ("state visit", False),
        (" товарооборот", False),
        ("межправительственное  соглашение", False),
    ],
)
def test_the_russian_text_check(text: str, expected: bool) -> None:
    assert well_formed(text) is expected


def test_reference_russian_names_are_well_formed_and_one_per_entity(data: Graph) -> None:
    named = 0
    for subject in set(data.subjects(RDFS.label, None)):
        for predicate in (RDFS.label, SKOS.altLabel):
            russian = [
                v for v in data.objects(subject, predicate) if getattr(v, "language", None) == "ru"
            ]
            assert all(well_formed(str(v)) for v in russian), (subject, russian)
            if predicate == RDFS.label:
                assert len(russian) <= 1, (subject, russian)
                named += len(russian)
    assert named > 0


def test_the_ontology_docs_stay_english() -> None:
    # the Russian labels read first: the docs must choose the English ones, not the first found
    ontology = parse_turtle(sorted((REPO / "ontology").glob("*.ttl"), reverse=True))
    assert any(getattr(v, "language", None) == "ru" for v in ontology.objects(None, RDFS.label))
    page = render_ontology_docs(ontology)
    assert re.search(CYRILLIC, page) is None


# --- The shapes of shapes/links.ttl, each with a failing example (and conforming ones)

LINK_SHAPE = CAKGSH.WikidataLinkShape
TEXT_SHAPE = CAKGSH.RussianTextShape
FAILING = [
    # (example, its shape, constraint component, a phrase of the constraint's message)
    (
        "id:test\\/bad a cakg:City ; owl:sameAs <https://www.wikidata.org/wiki/Q1520> .",
        LINK_SHAPE,
        SH.OrConstraintComponent,
        "owl:sameAs link to Wikidata",
    ),
    (
        "id:test\\/bad a cakg:City ; owl:sameAs <http://www.wikidata.org/entity/P31> .",
        LINK_SHAPE,
        SH.OrConstraintComponent,
        "owl:sameAs link to Wikidata",
    ),
    (
        "id:test\\/bad a cakg:Organisation ;"
        " skos:exactMatch <https://www.wikidata.org/entity/Q458> .",
        LINK_SHAPE,
        SH.OrConstraintComponent,
        "skos:exactMatch link to Wikidata",
    ),
    (
        "id:test\\/bad a cakg:Person ; owl:sameAs wd:Q7747, wd:Q7748 .",
        LINK_SHAPE,
        SH.SPARQLConstraintComponent,
        "at most one Wikidata item",
    ),
    (
        "id:test\\/bad a cakg:Office ; skos:exactMatch wd:Q218295 ; owl:sameAs wd:Q1 .",
        LINK_SHAPE,
        SH.SPARQLConstraintComponent,
        "at most one Wikidata item",
    ),
    (
        "id:test\\/bad a cakg:Organisation ; owl:sameAs wd:Q458 .",
        LINK_SHAPE,
        SH.SPARQLConstraintComponent,
        "Only a Person or a Place",
    ),
    (
        "id:test\\/bad a cakg:City ; skos:exactMatch wd:Q1520 .",
        LINK_SHAPE,
        SH.SPARQLConstraintComponent,
        "not skos:exactMatch",
    ),
    (
        'id:test\\/bad a cakg:City ; rdfs:label "Kazan"@en, "Kaзань"@ru .',  # noqa: RUF001
        TEXT_SHAPE,
        SH.OrConstraintComponent,
        "An rdfs:label tagged @ru",
    ),
    (
        'id:test\\/bad a cakg:City ; skos:altLabel "Kazan"@ru .',
        TEXT_SHAPE,
        SH.OrConstraintComponent,
        "A skos:altLabel tagged @ru",
    ),
    (
        'id:test\\/bad skos:prefLabel "held"@ru .',
        TEXT_SHAPE,
        SH.OrConstraintComponent,
        "A skos:prefLabel tagged @ru",
    ),
    (
        'id:test\\/bad skos:definition "A city."@ru .',
        TEXT_SHAPE,
        SH.OrConstraintComponent,
        "A skos:definition tagged @ru",
    ),
]
CONFORMING = [
    'id:test\\/bad a cakg:City ; rdfs:label "Kazan"@en, "Казань"@ru ; owl:sameAs wd:Q900 .',
    "id:test\\/bad a cakg:Organisation ; skos:exactMatch wd:Q458 .",
    "id:test\\/bad a cakg:State ; owl:sameAs wd:Q232, <https://sws.geonames.org/1522867/> .",
    'id:test\\/bad rdfs:label "двухбуквенный код ISO 3166-1"@ru, "ISO 3166-1 alpha-2 code"@en .',
]


def findings(example: str, shapes: Graph, ontology: Graph) -> set[tuple[object, object, str]]:
    """(node shape, constraint component, message) of each result on id:test/bad from
    shapes/links.ttl."""
    report = validate_graph(
        Graph().parse(data=PREFIXES + example, format="turtle"), shapes, ontology
    )
    results = report.results_graph
    found = set()
    for result in results.subjects(SH.focusNode, BAD):
        source = results.value(result, SH.sourceShape)
        shape = source if (source, RDF.type, SH.NodeShape) in shapes else None
        shape = shape or shapes.value(None, SH.property, source)
        if shape in (LINK_SHAPE, TEXT_SHAPE):
            component = results.value(result, SH.sourceConstraintComponent)
            found.add((shape, component, str(results.value(result, SH.resultMessage))))
    return found


@pytest.mark.parametrize(("example", "shape", "component", "phrase"), FAILING)
def test_failing_example(
    example: str, shape: URIRef, component: URIRef, phrase: str, shapes: Graph, ontology: Graph
) -> None:
    found = findings(example, shapes, ontology)
    assert [(s, c) for s, c, message in found if phrase in message] == [(shape, component)], found


@pytest.mark.parametrize("example", CONFORMING)
def test_conforming_example(example: str, shapes: Graph, ontology: Graph) -> None:
    assert findings(example, shapes, ontology) == set()
