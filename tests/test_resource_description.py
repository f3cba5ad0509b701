"""describe_resource(): own triples, backlinks, labels, provenance per triple, inference on
and off."""

from __future__ import annotations

import pytest
from rdflib import RDF, RDFS, BNode, Literal, URIRef

from cakg.engine.base import Engine
from cakg.errors import ResourceNotFound
from cakg.namespaces import CAKG, GRAPH, ID, INFERRED_GRAPH, REFERENCE_GRAPH
from cakg.resource_description import Point, describe_resource, exists, wkt_point

KZ = ID["state/kazakhstan"]
UZ = ID["state/uzbekistan"]
VISIT = ID["visit/tiny-2021"]
ASTANA = ID["city/astana"]
DOC_GRAPH = str(GRAPH["sources/doc-1"])


def triples(statements: list) -> dict[tuple, list[str]]:
    return {(st.subject, st.predicate, st.object): st.graphs for st in statements}


def test_own_triples_carry_the_graphs_that_assert_them(in_process_engine: Engine) -> None:
    d = describe_resource(in_process_engine, str(KZ))
    own = triples(d.own())
    assert own[(KZ, RDF.type, CAKG.State)] == [str(REFERENCE_GRAPH)]
    assert own[(KZ, RDFS.label, Literal("Kazakhstan", lang="en"))] == [str(REFERENCE_GRAPH)]
    assert own[(KZ, RDFS.label, Literal("Казахстан", lang="ru"))] == [str(REFERENCE_GRAPH)]
    # stated the other way round in the data: only the reasoner's graph holds these
    assert own[(KZ, CAKG.partnerOf, UZ)] == [str(INFERRED_GRAPH)]
    assert own[(KZ, CAKG.hosted, VISIT)] == [str(INFERRED_GRAPH)]
    inferred = {(st.predicate, st.object) for st in d.own() if st.inferred}
    assert inferred == {(CAKG.partnerOf, UZ), (CAKG.hosted, VISIT)}
    assert d.types == [CAKG.State]


def test_backlinks_and_their_sources(in_process_engine: Engine) -> None:
    d = describe_resource(in_process_engine, str(KZ))
    back = triples(d.backlinks)
    assert back[(VISIT, CAKG.host, KZ)] == [DOC_GRAPH]
    assert back[(UZ, CAKG.partnerOf, KZ)] == [str(REFERENCE_GRAPH)]
    assert back[(ASTANA, CAKG.locatedIn, KZ)] == [str(INFERRED_GRAPH)]
    source = d.sources[DOC_GRAPH]
    assert (source.kind, source.document) == ("source", str(ID["source/doc-1"]))
    assert (source.title, source.date, source.publisher) == (
        "Tiny test report",
        "2021-12-07",
        "Test press office",
    )
    assert d.sources[str(REFERENCE_GRAPH)].kind == "reference"
    assert d.sources[str(INFERRED_GRAPH)].kind == "inferred"


def test_labels_of_every_mentioned_iri(in_process_engine: Engine) -> None:
    d = describe_resource(in_process_engine, str(KZ))
    assert d.labels[str(KZ)] == [Literal("Kazakhstan", lang="en"), Literal("Казахстан", lang="ru")]
    assert d.labels[str(CAKG.host)] == [Literal("host", lang="en")]
    assert d.labels[str(CAKG.State)] == [Literal("State", lang="en")]
    assert d.labels[str(VISIT)] == [Literal("Test state visit", lang="en")]
    assert d.labels[str(ID["source/doc-1"])] == [Literal("Tiny test report", lang="en")]


def test_inference_false_leaves_inferred_triples_out(in_process_engine: Engine) -> None:
    d = describe_resource(in_process_engine, str(KZ), inference=False)
    assert not any(st.inferred for st in (*d.statements, *d.backlinks))
    assert (KZ, CAKG.partnerOf, UZ) not in triples(d.statements)
    assert (UZ, CAKG.partnerOf, KZ) in triples(d.backlinks)
    assert str(INFERRED_GRAPH) not in d.sources
    assert d.inference is False


def test_blank_node_geometry_and_points(in_process_engine: Engine) -> None:
    d = describe_resource(in_process_engine, str(ASTANA))
    geometry = [st.object for st in d.own() if str(st.predicate).endswith("#hasGeometry")]
    assert len(geometry) == 1 and isinstance(geometry[0], BNode)
    wkt = [st.object for st in d.about(geometry[0])]
    assert [str(w) for w in wkt] == ["POINT(71.4304 51.1282)"]
    assert d.points[str(ASTANA)] == [Point(71.4304, 51.1282)]
    # and a state's description carries the points of the places that point to it
    assert describe_resource(in_process_engine, str(KZ)).points[str(ASTANA)] == [
        Point(71.4304, 51.1282)
    ]


def test_graph_and_dataset_views(in_process_engine: Engine) -> None:
    d = describe_resource(in_process_engine, str(KZ))
    g = d.graph()
    assert (KZ, CAKG.partnerOf, UZ) in g
    assert (VISIT, CAKG.host, KZ) in g
    assert (VISIT, RDFS.label, Literal("Test state visit", lang="en")) in g
    # the title is not turned into an rdfs:label that the data does not state
    assert (ID["source/doc-1"], RDFS.label, None) not in g
    ds = d.dataset()
    assert (VISIT, CAKG.host, KZ, URIRef(DOC_GRAPH)) in ds
    assert (KZ, CAKG.partnerOf, UZ, INFERRED_GRAPH) in ds


def test_unknown_iri_is_not_found(in_process_engine: Engine) -> None:
    with pytest.raises(ResourceNotFound) as info:
        describe_resource(in_process_engine, str(ID["state/atlantis"]))
    assert "state/atlantis" in str(info.value)
    assert not exists(in_process_engine, str(ID["state/atlantis"]))
    assert exists(in_process_engine, str(KZ))


@pytest.mark.parametrize(
    "iri",
    [
        str(KZ) + "> } ; DROP ALL ; SELECT * { <x",
        'https://w3id.org/cakg/id/"quoted"',
        "https://w3id.org/cakg/id/with space",
    ],
)
def test_hostile_iris_are_harmless(in_process_engine: Engine, iri: str) -> None:
    with pytest.raises(ResourceNotFound):
        describe_resource(in_process_engine, iri)
    assert describe_resource(in_process_engine, str(KZ)).own()  # the data is still there


@pytest.mark.parametrize(
    ("wkt", "point"),
    [
        ("POINT(71.43 51.13)", Point(71.43, 51.13)),
        ("Point (71.43 51.13)", Point(71.43, 51.13)),
        ("<http://www.opengis.net/def/crs/OGC/1.3/CRS84> POINT(71.43 51.13)", Point(71.43, 51.13)),
        ("<http://www.opengis.net/def/crs/EPSG/0/4326> POINT(51.13 71.43)", Point(71.43, 51.13)),
        ("LINESTRING(50 40, 60 50)", Point(55.0, 45.0)),
        ("POINT(500 51)", None),
        ("not wkt at all", None),
    ],
)
def test_wkt_point(wkt: str, point: Point | None) -> None:
    assert wkt_point(wkt) == point
