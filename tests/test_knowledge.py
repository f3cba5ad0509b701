"""The knowledge: ontology hygiene, provenance of facts, reference entities, no copied text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS, XSD, Namespace

from cakg.namespaces import CAKG, ID, ONTOLOGY_IRI
from tests.project_graphs import parse_turtle

REPO = Path(__file__).parent.parent
SEEDS = REPO.parent / "shared" / "seeds"
SOURCE_FILES = sorted((REPO / "graph" / "sources").glob("*.ttl"))
REFERENCE_FILES = sorted((REPO / "graph" / "reference").glob("*.ttl"))

PROV = Namespace("http://www.w3.org/ns/prov#")
GEO = Namespace("http://www.opengis.net/ont/geosparql#")
SCHEMA = Namespace("https://schema.org/")
FOAF = Namespace("http://xmlns.com/foaf/0.1/")
QUDT = Namespace("http://qudt.org/schema/qudt/")

# Terms of other vocabularies that the project uses, as predicates, types or in its axioms.
REUSED = {
    RDF.type,
    RDF.langString,
    RDF.Property,
    RDFS.label,
    RDFS.comment,
    RDFS.subClassOf,
    RDFS.subPropertyOf,
    RDFS.domain,
    RDFS.range,
    RDFS.isDefinedBy,
    RDFS.Literal,
    SKOS.ConceptScheme,
    SKOS.inScheme,
    SKOS.hasTopConcept,
    SKOS.topConceptOf,
    SKOS.prefLabel,
    OWL.Ontology,
    OWL.Class,
    OWL.ObjectProperty,
    OWL.DatatypeProperty,
    OWL.SymmetricProperty,
    OWL.TransitiveProperty,
    OWL.inverseOf,
    OWL.propertyChainAxiom,
    OWL.sameAs,
    OWL.versionIRI,
    OWL.versionInfo,
    RDF.first,
    RDF.rest,
    SKOS.definition,
    SKOS.altLabel,
    SKOS.exactMatch,
    SKOS.notation,
    SKOS.Concept,
    QUDT.hasQuantityKind,
    QUDT.ucumCode,
    QUDT.currencyCode,
    DCTERMS.title,
    DCTERMS.description,
    DCTERMS.creator,
    DCTERMS.license,
    DCTERMS.created,
    DCTERMS.modified,
    DCTERMS.publisher,
    DCTERMS.date,
    DCTERMS.language,
    DCTERMS.source,
    DCTERMS.subject,
    DCTERMS.isPartOf,
    DCTERMS.hasPart,
    PROV.Entity,
    PROV.wasDerivedFrom,
    PROV.wasAttributedTo,
    PROV.wasInfluencedBy,
    GEO.Feature,
    GEO.Geometry,
    GEO.hasGeometry,
    GEO.asWKT,
    GEO.sfWithin,
    SCHEMA.CreativeWork,
    SCHEMA.Place,
    SCHEMA.Country,
    SCHEMA.City,
    SCHEMA.AdministrativeArea,
    SCHEMA.BodyOfWater,
    SCHEMA.RiverBodyOfWater,
    SCHEMA.Reservoir,
    SCHEMA.Person,
    SCHEMA.Organization,
    SCHEMA.Event,
    SCHEMA.value,
    SCHEMA.minValue,
    SCHEMA.maxValue,
    SCHEMA.location,
    SCHEMA.attendee,
    FOAF.Agent,
    FOAF.Person,
    FOAF.Organization,
    FOAF.Document,
    QUDT.applicableUnit,
    XSD.string,
    XSD.decimal,
    XSD.date,
    XSD.gYear,
    XSD.nonNegativeInteger,
    XSD.positiveInteger,
}
# Literals of these properties may repeat a source's wording: headlines.
QUOTABLE = {DCTERMS.title}
# The labels of these classes' instances are proper names or official titles, quoted as named.
NAMED = (CAKG.Organisation, CAKG.Office, CAKG.Document)
NAME_PROPERTIES = {RDFS.label, SKOS.altLabel}
RUN = 8  # a run of this many words shared with a seed counts as copied text


# What a source file may describe: statements (facts are their own statements) and the things
# statements are about.
REPORTED_ROOTS = (
    CAKG.Statement,
    CAKG.Event,
    CAKG.Document,
    CAKG.Facility,
    CAKG.JointProject,
    CAKG.PolicyMeasure,
    CAKG.Issue,
)


def fact_classes(ontology: Graph) -> set[URIRef]:
    return {
        c for root in REPORTED_ROOTS for c in ontology.transitive_subjects(RDFS.subClassOf, root)
    }  # type: ignore[misc]


def fact_nodes(data: Graph, ontology: Graph) -> set[URIRef]:
    classes = fact_classes(ontology)
    return {s for s, o in data.subject_objects(RDF.type) if o in classes}  # type: ignore[misc]


def terms(ontology: Graph) -> list[URIRef]:
    kinds = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty)
    return sorted({s for k in kinds for s in ontology.subjects(RDF.type, k)})  # type: ignore[misc]


# --- Ontology


def test_ontology_header(ontology: Graph) -> None:
    onto = URIRef(ONTOLOGY_IRI)
    assert list(ontology.subjects(RDF.type, OWL.Ontology)) == [onto]
    version = str(ontology.value(onto, OWL.versionInfo))
    assert ontology.value(onto, OWL.versionIRI) == URIRef(f"{ONTOLOGY_IRI}/{version}")
    for p in (
        DCTERMS.title,
        DCTERMS.description,
        DCTERMS.creator,
        DCTERMS.license,
        DCTERMS.created,
        DCTERMS.modified,
    ):
        assert ontology.value(onto, p) is not None, p


def russian(value: object) -> bool:
    return isinstance(value, Literal) and value.language == "ru"


def test_every_term_has_one_english_label_and_one_definition(ontology: Graph) -> None:
    found = terms(ontology)
    assert len(found) > 100
    for term in found:
        assert str(term).startswith(str(CAKG)), term
        # besides the English ones, only Russian ones (checked in tests/test_links.py)
        labels = [v for v in ontology.objects(term, RDFS.label) if not russian(v)]
        definitions = [v for v in ontology.objects(term, SKOS.definition) if not russian(v)]
        assert [lit.language for lit in labels] == ["en"], term  # type: ignore[union-attr]
        assert [lit.language for lit in definitions] == ["en"], term  # type: ignore[union-attr]
        assert str(definitions[0]).endswith("."), term
        assert ontology.value(term, RDFS.isDefinedBy) == URIRef(ONTOLOGY_IRI), term


def test_names_follow_the_conventions(ontology: Graph) -> None:
    for term in ontology.subjects(RDF.type, OWL.Class):
        assert re.fullmatch(r"[A-Z][A-Za-z]+", str(term).removeprefix(str(CAKG))), term
    for kind in (OWL.ObjectProperty, OWL.DatatypeProperty):
        for term in ontology.subjects(RDF.type, kind):
            assert re.fullmatch(r"[a-z][A-Za-z0-9]+", str(term).removeprefix(str(CAKG))), term


def test_no_undefined_term_is_used(ontology: Graph, reference: Graph, sources: Graph) -> None:
    defined = set(terms(ontology))
    used: set[URIRef] = set()
    for graph in (ontology, reference, sources):
        used |= {p for p in graph.predicates()}  # type: ignore[misc]
        used |= {o for o in graph.objects(None, RDF.type)}  # type: ignore[misc]
    for p in (RDFS.subClassOf, RDFS.subPropertyOf, RDFS.domain, RDFS.range):
        used |= {o for o in ontology.objects(None, p) if isinstance(o, URIRef)}
    unknown = {t for t in used if t not in defined and t not in REUSED}
    assert unknown == set()


# --- Facts and provenance


def test_every_fact_node_has_a_source(ontology: Graph, sources: Graph) -> None:
    facts = fact_nodes(sources, ontology)
    assert len(facts) > 150
    documents = set(sources.subjects(RDF.type, CAKG.SourceDocument))
    for fact in facts:
        derived = set(sources.objects(fact, PROV.wasDerivedFrom))
        assert derived and derived <= documents, fact


@pytest.mark.parametrize("path", SOURCE_FILES, ids=[p.stem for p in SOURCE_FILES])
def test_source_file_is_about_its_own_document(path: Path, ontology: Graph) -> None:
    graph = parse_turtle([path])
    source = ID[f"source/{path.stem}"]
    assert (source, RDF.type, CAKG.SourceDocument) in graph
    assert re.fullmatch(r"[0-9]{3}_[0-9a-f]{16}\.txt", str(graph.value(source, CAKG.seedFile)))
    assert graph.value(source, DCTERMS.title) is not None
    facts = fact_nodes(graph, ontology)
    for subject in set(graph.subjects()):
        if subject == source:
            continue
        assert subject in facts, f"{path.name}: {subject} is not a fact of this document"
        assert (subject, PROV.wasDerivedFrom, source) in graph, f"{path.name}: {subject}"
        assert not str(subject).startswith(str(CAKG)), "fact files never define terms"
    others = {o for o in graph.objects(None, PROV.wasDerivedFrom)} - {source}
    assert others == set(), f"{path.name} states facts of other documents"


def test_seed_files_are_covered_once(sources: Graph) -> None:
    seeds = sorted(str(s) for s in sources.objects(None, CAKG.seedFile))
    assert len(seeds) == len(SOURCE_FILES) == len(set(seeds))
    if SEEDS.is_dir():
        assert seeds == sorted(p.name for p in SEEDS.glob("*.txt"))


def test_disagreeing_statements_are_kept_with_their_sources(sources: Graph) -> None:
    """Both sources' 10 bn targets, and the ambiguous 'last year' turnover, stay side by side."""
    targets = {
        (str(s), str(sources.value(s, PROV.wasDerivedFrom)), sources.value(s, CAKG.deadline))
        for s, v in sources.subject_objects(CAKG.value)
        if v.toPython() == 10_000_000_000  # type: ignore[union-attr]
        and (s, RDF.type, CAKG.TradeTarget) in sources
        and (s, CAKG.firstParty, ID["state/kazakhstan"]) in sources
        and (s, CAKG.secondParty, ID["state/uzbekistan"]) in sources
    }
    assert {(src, deadline) for _, src, deadline in targets} == {
        (str(ID["source/mirziyoyev-visit-kazakhstan-2024"]), None),
        (
            str(ID["source/kazakhstan-ratifies-industrial-centre-agreement"]),
            Literal("2030", datatype=XSD.gYear),
        ),
    }
    ambiguous = ID["figure/kz-uz-trade-turnover-last-year-uzbeknow"]
    assert sources.value(ambiguous, CAKG.timeResolution) == ID["time-resolution/ambiguous"]
    assert sources.value(ambiguous, CAKG.temporalNote) is not None


# --- Reference entities
# Their ISO codes, Wikidata links and coordinates, and how times were resolved, are checked by
# shapes (shapes/integrity.ttl: StateCodeShape, WikidataLinkShape, GeometryRangeShape,
# TimeResolutionShape), so that they hold for every new source too.


def test_reference_entities_are_defined_once() -> None:
    seen: dict[URIRef, str] = {}
    for path in REFERENCE_FILES:
        for subject in set(parse_turtle([path]).subjects(RDF.type)):
            assert subject not in seen, f"{subject} in {seen.get(subject)} and {path.name}"
            seen[subject] = path.name  # type: ignore[index]
            assert re.fullmatch(r"https://w3id\.org/cakg/id/[a-z-]+/[a-z0-9-]+", str(subject))


def test_reference_entities_are_not_redefined_in_sources(reference: Graph, sources: Graph) -> None:
    assert set(reference.subjects()) & set(sources.subjects()) == set()


def test_every_named_entity_has_one_english_label(reference: Graph) -> None:
    for subject in set(reference.subjects(RDF.type)):
        if (subject, RDF.type, GEO.Geometry) in reference:
            continue
        english = [lit for lit in reference.objects(subject, RDFS.label) if lit.language == "en"]
        assert len(english) == 1, subject


# --- No copied text


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower().replace("\u2019", "'").replace("'", ""))


def runs(text: str, n: int = RUN) -> set[tuple[str, ...]]:
    w = words(text)
    return {tuple(w[i : i + n]) for i in range(len(w) - n + 1)}


@pytest.mark.skipif(not SEEDS.is_dir(), reason=f"seed texts not found at {SEEDS}")
def test_no_sentence_is_copied_from_a_source() -> None:
    seed_runs: set[tuple[str, ...]] = set()
    for path in SEEDS.glob("*.txt"):
        seed_runs |= runs(path.read_text(encoding="utf-8"))
    assert seed_runs
    rdf_files = sorted(REPO.glob("ontology/*.ttl")) + sorted(REPO.glob("shapes/*.ttl"))
    rdf_files += sorted(REPO.glob("graph/**/*.ttl"))
    ontology = parse_turtle(sorted(REPO.glob("ontology/*.ttl")))
    named_classes = {c for n in NAMED for c in ontology.transitive_subjects(RDFS.subClassOf, n)}
    copied = []
    for path in rdf_files:
        graph = parse_turtle([path])
        named = {s for s, o in graph.subject_objects(RDF.type) if o in named_classes}
        for s, p, o in graph:
            if not isinstance(o, Literal) or p in QUOTABLE:
                continue
            if p in NAME_PROPERTIES and s in named:
                continue
            if runs(str(o)) & seed_runs:
                copied.append((path.name, str(o)[:80]))
    assert copied == []


def test_copy_detector_finds_a_copied_sentence() -> None:
    sentence = "the quick brown fox jumps over the lazy dog again"
    assert runs(sentence) & runs("yes, " + sentence + " today")
    assert not runs("the quick brown fox jumps over the lazy") & runs("a quick brown fox")
