"""Things apart from statements (issue 20, item 1) and controlled values as SKOS concepts (item 2).

A visit, a document or a facility is a thing; what one source says about it is a cakg:Statement
in that source's named graph, with its modality (held, planned, announced ...). Figures and the
other facts are their own statements. The values of modality, status, qualifier, time
resolution and funding kind are concepts of the schemes in ontology/concepts.ttl, and the
shapes allow exactly those concepts.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, SH, SKOS

from cakg.namespaces import CAKG, ID
from tests.project_graphs import parse_turtle

REPO = Path(__file__).parent.parent
PROV_DERIVED = URIRef("http://www.w3.org/ns/prov#wasDerivedFrom")
THING_ROOTS = (CAKG.Event, CAKG.Document, CAKG.Facility, CAKG.JointProject, CAKG.PolicyMeasure,
               CAKG.Issue)  # fmt: skip

# property -> the scheme its values come from
SCHEMES = {
    CAKG.modality: ID["scheme/modality"],
    CAKG.status: ID["scheme/status"],
    CAKG.qualifier: ID["scheme/qualifier"],
    CAKG.timeResolution: ID["scheme/time-resolution"],
    CAKG.fundingSource: ID["scheme/funding-kind"],
}


def members(ontology: Graph, scheme: URIRef) -> set[URIRef]:
    return {c for c in ontology.subjects(SKOS.inScheme, scheme) if isinstance(c, URIRef)}


def subclasses(ontology: Graph, root: URIRef) -> set[URIRef]:
    return set(ontology.transitive_subjects(RDFS.subClassOf, root))  # type: ignore[arg-type]


@pytest.mark.parametrize("prop", sorted(SCHEMES), ids=lambda p: str(p).rsplit("#")[-1])
def test_every_value_is_a_concept_of_its_scheme(prop: URIRef, ontology: Graph, data: Graph) -> None:
    """No plain strings: every value used is a concept of the property's scheme (the graph
    before issue 20 had cakg:status "held", cakg:qualifier "exact" ... and fails here)."""
    scheme = SCHEMES[prop]
    values = set(data.objects(None, prop))
    assert values, f"{prop} is not used"
    assert values <= members(ontology, scheme), values - members(ontology, scheme)


@pytest.mark.parametrize("scheme", sorted(SCHEMES.values()), ids=lambda s: str(s).rsplit("/")[-1])
def test_every_concept_has_labels_a_definition_and_a_notation(
    scheme: URIRef, ontology: Graph
) -> None:
    assert (scheme, RDF.type, SKOS.ConceptScheme) in ontology
    concepts = members(ontology, scheme)
    assert len(concepts) >= 3
    assert set(ontology.objects(scheme, SKOS.hasTopConcept)) == concepts
    for concept in concepts:
        assert (concept, RDF.type, SKOS.Concept) in ontology
        english = [v for v in ontology.objects(concept, SKOS.prefLabel) if v.language == "en"]  # type: ignore[attr-defined]
        assert len(english) == 1, concept
        assert any(v.language == "en" for v in ontology.objects(concept, SKOS.definition)), concept  # type: ignore[attr-defined]
        notation = ontology.value(concept, SKOS.notation)
        assert isinstance(notation, Literal) and str(concept).endswith("/" + str(notation))


@pytest.mark.parametrize("prop", sorted(SCHEMES), ids=lambda p: str(p).rsplit("#")[-1])
def test_shapes_allow_exactly_the_concepts_of_the_scheme(
    prop: URIRef, ontology: Graph, shapes: Graph
) -> None:
    lists = [
        set(Collection(shapes, allowed))
        for shape in shapes.subjects(SH.path, prop)
        for allowed in shapes.objects(shape, SH["in"])
    ]
    assert lists, f"no shape constrains the values of {prop}"
    for allowed in lists:
        assert allowed == members(ontology, SCHEMES[prop])


def test_things_are_not_facts(ontology: Graph) -> None:
    """A visit, a document, a facility ... is a thing, not a statement (it was a cakg:Fact)."""
    statements = subclasses(ontology, CAKG.Statement)
    for root in THING_ROOTS:
        assert not subclasses(ontology, root) & statements, root
    assert CAKG.Figure in statements and CAKG.Characterisation in statements


def test_each_source_states_how_it_reports_each_thing(ontology: Graph, data: Graph) -> None:
    """Every thing a source describes has exactly one statement of that source about it,
    with one modality, in the same file (so in the source's named graph)."""
    thing_classes = set().union(*(subclasses(ontology, root) for root in THING_ROOTS))
    for path in sorted((REPO / "graph" / "sources").glob("*.ttl")):
        graph = parse_turtle([path])
        things = {s for s, c in graph.subject_objects(RDF.type) if c in thing_classes}
        assert things, path.name
        for thing in things:
            source = graph.value(thing, PROV_DERIVED)
            about = [
                s
                for s in graph.subjects(CAKG.about, thing)
                if (s, RDF.type, CAKG.Statement) in graph
            ]
            assert len(about) == 1, f"{path.name}: {thing} has {len(about)} statements"
            assert graph.value(about[0], PROV_DERIVED) == source
            assert len(list(graph.objects(about[0], CAKG.modality))) == 1


MIRZIYOYEV = "mirziyoyev-visit-kazakhstan-2024/visit/"
BEKTENOV = "bektenov-official-visit-dushanbe/event/"
ALIYEV = "tokayev-aliyev-middle-corridor/visit/"


@pytest.mark.parametrize(
    ("statement", "modality"),
    [
        (MIRZIYOYEV + "mirziyoyev-kazakhstan-2024-announced", "announced"),
        (BEKTENOV + "days-of-culture-of-kazakhstan-in-tajikistan", "planned"),
        (ALIYEV + "aliyev-state-visit-kazakhstan", "held"),
    ],
)
def test_modality_is_the_sources_word(statement: str, modality: str, data: Graph) -> None:
    assert data.value(ID["statement/" + statement], CAKG.modality) == ID["modality/" + modality]


def test_a_reaffirmed_partnership_is_not_announced(data: Graph) -> None:
    """Issue 20, error 10: the Kazakhstan-Azerbaijan strategic partnership is reaffirmed at the
    visit, not announced there."""
    partnership = ID["relation-status/kz-az-strategic-partnership"]
    assert data.value(partnership, CAKG.modality) == ID["modality/reaffirmed"]
    assert data.value(partnership, CAKG.announcedAt) is None
    assert data.value(partnership, CAKG.statedAt) == ID["visit/aliyev-state-visit-kazakhstan"]


def test_the_undated_bektenov_visit_is_bounded_by_what_its_source_says(data: Graph) -> None:
    """Issue 20, interpretation error 6: the visit its source does not date is bounded by the
    order the wording gives (before the upcoming Days of Culture and the planned monument)."""
    visit = ID["visit/bektenov-official-visit-dushanbe"]
    assert set(data.objects(visit, CAKG.before)) == {
        ID["event/days-of-culture-of-kazakhstan-in-tajikistan"],
        ID["event/abai-kunanbaev-monument-dushanbe"],
    }
    assert data.value(visit, CAKG.timeResolution) == ID["time-resolution/unresolved"]


def test_what_cakg_added_is_marked_as_cakgs(data: Graph) -> None:
    """Issue 20, interpretation error 10: the railway joint venture's parties are cakg's
    identification (the source says "railway administrations"), so they carry a note; the
    Taraz plant is linked to the projects it is named among, not only in a comment."""
    venture = ID["project/kz-uz-railway-joint-venture"]
    note = data.value(venture, CAKG.identificationNote)
    assert isinstance(note, Literal) and note.language == "en"
    plant = ID["facility/taraz-electrometallurgical-plant"]
    assert data.value(plant, CAKG.amongProjects) == ID["project/kz-uz-planned-industrial-projects"]


@pytest.mark.parametrize(
    "meeting",
    [
        "event/tokayev-mirziyoyev-informal-meeting-khiva",
        "event/kz-uz-foreign-ministers-meeting-khiva",
    ],
)
def test_the_khiva_meetings_are_not_called_bilateral(meeting: str, data: Graph) -> None:
    """Issue 20, error 10: the sources name two participants of each Khiva meeting and do not
    say they met alone; the labels said "Tokayev-Mirziyoyev meeting" and "Kazakh and Uzbek
    foreign ministers' meeting"."""
    label = str(data.value(ID[meeting], RDFS.label))
    assert "in Khiva attended by" in label
    assert not label.startswith(("Tokayev\N{EN DASH}Mirziyoyev", "Kazakh and Uzbek"))


@pytest.mark.parametrize(
    ("route", "cities"),
    [
        ("route/baku-tbilisi-ceyhan", ["city/baku", "city/tbilisi", "city/ceyhan"]),
        ("route/aktau-baku-railway", ["city/aktau", "city/baku"]),
    ],
)
def test_route_cities_are_data_not_only_labels(route: str, cities: list[str], data: Graph) -> None:
    """Issue 20, error 10: the cities of the BTC and Aktau-Baku routes were only in labels."""
    passages = sorted(
        (int(data.value(p, CAKG.sequence)), data.value(p, CAKG.passesThrough))  # type: ignore[arg-type]
        for p in data.subjects(CAKG.passageOf, ID[route])
    )
    assert [place for _, place in passages] == [ID[c] for c in cities]


def test_the_aktau_baku_railway_is_a_rail_ferry_route(data: Graph) -> None:
    """Issue 20, error 10: the source's "Aktau-Baku railway" crosses the Caspian by ferry."""
    route = ID["route/aktau-baku-railway"]
    assert set(data.objects(route, CAKG.mode)) == {
        ID["transport-mode/rail"],
        ID["transport-mode/sea"],
    }
    assert "ferry" in str(data.value(route, RDFS.comment))


def test_the_january_may_turnover_is_attributed_with_its_reason(data: Graph) -> None:
    """Issue 20, error 10: the Jan-May 2024 turnover follows the government's figures in the
    same paragraph; it had no reportedBy."""
    figure = ID["figure/kz-uz-trade-turnover-2024-jan-may"]
    assert data.value(figure, CAKG.reportedBy) == ID["organisation/government-of-kazakhstan"]
    assert data.value(figure, CAKG.attributionNote) is not None


def test_partners_come_from_relation_statuses_only(ontology: Graph) -> None:
    """Issue 20, item 1: inferred partnerOf comes from a stated bilateral relation only. A
    planned project, a figure or a person's characterisation of two states made them partners
    (the chain ran over any cakg:firstParty / cakg:secondParty)."""
    from cakg.build.reason import reason

    state = {
        name: ID[f"state/{name}"] for name in ("kazakhstan", "armenia", "georgia", "azerbaijan")
    }
    data = Graph()
    plan, words, relation = (
        ID["project/test"],
        ID["relation-status/test-words"],
        ID["relation-status/test"],
    )
    data.add((plan, RDF.type, CAKG.JointProject))
    data.add((plan, CAKG.firstParty, state["kazakhstan"]))
    data.add((plan, CAKG.secondParty, state["armenia"]))
    data.add((words, RDF.type, CAKG.Characterisation))
    data.add((words, CAKG.firstParty, state["kazakhstan"]))
    data.add((words, CAKG.secondParty, state["georgia"]))
    data.add((relation, RDF.type, CAKG.RelationStatus))
    data.add((relation, CAKG.relationFirstParty, state["kazakhstan"]))
    data.add((relation, CAKG.relationSecondParty, state["azerbaijan"]))
    inferred = reason([ontology, data]).inferred
    partners = set(inferred.subject_objects(CAKG.partnerOf))
    assert partners == {
        (state["kazakhstan"], state["azerbaijan"]),
        (state["azerbaijan"], state["kazakhstan"]),
    }
