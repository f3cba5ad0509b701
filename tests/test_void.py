"""The VoID + DCAT description: it parses, and its counts match the compiled dataset."""

from __future__ import annotations

from collections import Counter

import pytest
from rdflib import RDF, Dataset, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCAT, DCTERMS, OWL, SKOS, VOID

from cakg.build import BuildResult
from cakg.config import Settings
from cakg.engine import open_engine
from cakg.engine.base import Engine
from cakg.namespaces import ID, ONTOLOGY_IRI
from cakg.release import DUMPS, dataset_dir
from cakg.void import ROOT_PLACEHOLDER, SPDX, build_void, dataset_iri, with_root

ROOT = "http://127.0.0.1:8000/"


@pytest.fixture(scope="module")
def void(in_process_engine: Engine, built: BuildResult, tiny_settings: Settings) -> Graph:
    text = build_void(in_process_engine, built.manifest, tiny_settings, ROOT).serialize(
        format="turtle"
    )
    return Graph().parse(data=text, format="turtle")  # it round-trips through Turtle


@pytest.fixture(scope="module")
def union(built: BuildResult, tiny_settings: Settings) -> Graph:
    return Graph().parse(dataset_dir(tiny_settings) / "cakg.ttl", format="turtle")


def number(g: Graph, s: URIRef, p: URIRef) -> int:
    value = g.value(s, p)
    assert isinstance(value, Literal), (s, p)
    return int(value)


def test_dataset_identity(void: Graph, built: BuildResult, tiny_settings: Settings) -> None:
    ds = dataset_iri(tiny_settings)
    assert (ds, RDF.type, VOID.Dataset) in void and (ds, RDF.type, DCAT.Dataset) in void
    assert void.value(ds, DCTERMS.title) == Literal("Central Asia Knowledge Graph", lang="en")
    assert void.value(ds, DCTERMS.description) is not None
    assert str(void.value(ds, OWL.versionInfo)) == built.manifest["version"]
    assert void.value(ds, VOID.sparqlEndpoint) == URIRef(ROOT + "sparql")
    assert void.value(ds, VOID.vocabulary) == URIRef(ONTOLOGY_IRI)
    assert str(void.value(ds, VOID.uriSpace)) == "https://w3id.org/cakg/id/"
    assert void.value(ds, VOID.exampleResource) == ID["state/kazakhstan"]
    doc = ID["source/doc-1"]
    assert (ds, DCTERMS.source, doc) in void
    assert void.value(doc, DCTERMS.title) == Literal("Tiny test report", lang="en")
    description = URIRef(ROOT + ".well-known/void")
    assert (description, RDF.type, VOID.DatasetDescription) in void


def test_counts_match_the_dataset(void: Graph, union: Graph, tiny_settings: Settings) -> None:
    ds = dataset_iri(tiny_settings)
    assert number(void, ds, VOID.triples) == len(union)
    assert number(void, ds, VOID.distinctSubjects) == len(set(union.subjects()))
    assert number(void, ds, VOID.properties) == len(set(union.predicates()))
    entities = {s for s in union.subjects() if str(s).startswith("https://w3id.org/cakg/id/")}
    assert number(void, ds, VOID.entities) == len(entities)


def test_class_and_property_partitions(void: Graph, union: Graph, tiny_settings: Settings) -> None:
    ds = dataset_iri(tiny_settings)
    classes = {
        void.value(part, VOID["class"]): number(void, part, VOID.entities)
        for part in void.objects(ds, VOID.classPartition)
    }
    expected = Counter(o for _s, o in set(union.subject_objects(RDF.type)))
    assert classes == dict(expected)
    assert number(void, ds, VOID.classes) == len(expected)
    properties = {
        void.value(part, VOID.property): number(void, part, VOID.triples)
        for part in void.objects(ds, VOID.propertyPartition)
    }
    assert properties == dict(Counter(p for _s, p, _o in union))
    assert sum(properties.values()) == number(void, ds, VOID.triples)


def test_named_graphs_are_subsets(void: Graph, built: BuildResult, tiny_settings: Settings) -> None:
    ds = dataset_iri(tiny_settings)
    nq = Dataset()
    nq.parse(dataset_dir(tiny_settings) / "cakg.nq", format="nquads")
    for name, count in built.manifest["graphs"].items():
        graph = URIRef(name)
        assert (ds, VOID.subset, graph) in void
        assert number(void, graph, VOID.triples) == count == len(nq.graph(graph))


def test_no_linkset_without_links(void: Graph) -> None:
    assert list(void.subjects(RDF.type, VOID.Linkset)) == []


def test_linksets_to_wikidata(project_build: BuildResult, project_settings: Settings) -> None:
    """One linkset per linking predicate: owl:sameAs (people, places) and skos:exactMatch
    (organisations, offices ...), each counting its own links (exactMatch was not described)."""
    engine = open_engine(project_settings)
    void = build_void(engine, project_build.manifest, project_settings, ROOT)
    ds = dataset_iri(project_settings)
    union = Graph().parse(dataset_dir(project_settings) / "cakg.ttl", format="turtle")
    linksets = {void.value(s, VOID.linkPredicate): s for s in void.subjects(RDF.type, VOID.Linkset)}
    assert set(linksets) == {OWL.sameAs, SKOS.exactMatch}
    for predicate, links in linksets.items():
        assert (ds, VOID.subset, links) in void
        assert void.value(links, VOID.subjectsTarget) == ds
        assert void.value(links, VOID.objectsTarget) == URIRef("http://www.wikidata.org/")
        expected = {
            (s, o)
            for s, o in union.subject_objects(predicate)
            if str(o).startswith("http://www.wikidata.org/entity/")
        }
        assert number(void, links, VOID.triples) == len(expected) >= 10
    assert number(void, ds, VOID.triples) == len(union)


def test_dumps_with_size_and_checksum(
    void: Graph, built: BuildResult, tiny_settings: Settings
) -> None:
    ds = dataset_iri(tiny_settings)
    found = {}
    for dist in void.objects(ds, DCAT.distribution):
        url = void.value(dist, DCAT.downloadURL)
        if url is None:
            continue
        checksum = void.value(dist, SPDX.checksum)
        assert void.value(checksum, SPDX.algorithm) == SPDX.checksumAlgorithm_sha256
        found[str(url).removeprefix(ROOT + "dumps/")] = {
            "bytes": number(void, dist, DCAT.byteSize),
            "sha256": str(void.value(checksum, SPDX.checksumValue)),
        }
        assert (ds, VOID.dataDump, url) in void
    files = built.manifest["files"].items()
    expected = {k: v for k, v in files if k.removesuffix(".gz") in DUMPS}
    assert found == expected
    services = list(void.subjects(RDF.type, DCAT.DataService))
    assert [void.value(s, DCAT.endpointURL) for s in services] == [URIRef(ROOT + "sparql")]


def test_a_description_made_once_takes_any_root(
    in_process_engine: Engine, built: BuildResult, tiny_settings: Settings
) -> None:
    """The server counts once for every root (whatever Host asks) and moves the URLs after:
    the same graph as one made for that root, the placeholder gone, nothing else moved."""
    once = build_void(in_process_engine, built.manifest, tiny_settings, ROOT_PLACEHOLDER)
    other = "https://mirror.example/cakg/"
    moved = with_root(once, other)
    assert isomorphic(moved, build_void(in_process_engine, built.manifest, tiny_settings, other))
    assert not any(ROOT_PLACEHOLDER in str(node) for triple in moved for node in triple)
    ds = dataset_iri(tiny_settings)
    assert moved.value(ds, VOID.sparqlEndpoint) == URIRef(other + "sparql")
    assert (ds, VOID.uriSpace, Literal(tiny_settings.base_iri + "id/")) in moved
    assert dict(moved.namespaces())["void"] == URIRef(str(VOID))
