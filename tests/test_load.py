from pathlib import Path

import pytest
from rdflib import URIRef

from cakg.build.load import load_sources
from cakg.build.sources import Kind, SourceFile, find_sources, graph_for
from cakg.errors import ParseError
from cakg.namespaces import GRAPH, REFERENCE_GRAPH

from .conftest import INVALID, TINY


def test_graph_for_maps_paths_to_named_graphs():
    assert graph_for("ontology/cakg.ttl") == (Kind.ONTOLOGY, GRAPH["ontology"])
    assert graph_for("shapes/x/y.ttl") == (Kind.SHAPES, GRAPH["shapes"])
    assert graph_for("graph/reference/states.ttl") == (Kind.REFERENCE, REFERENCE_GRAPH)
    assert graph_for("graph/sources/doc-1.ttl") == (Kind.SOURCE, GRAPH["sources/doc-1"])


def test_find_sources_lists_every_rdf_file_once_in_stable_order():
    files = find_sources(TINY)
    rels = [f.rel for f in files]
    assert rels == [
        "ontology/tiny.ttl",
        "shapes/tiny.ttl",
        "graph/reference/places.ttl",
        "graph/sources/doc-1.ttl",
    ]
    assert all(len(f.sha256) == 64 for f in files)


def test_each_file_lands_in_its_named_graph():
    loaded = load_sources(find_sources(TINY))
    doc = loaded.dataset.graph(GRAPH["sources/doc-1"])
    visit = URIRef("https://w3id.org/cakg/id/visit/tiny-2021")
    assert len(doc) == 5
    assert (visit, None, None) in doc
    assert (visit, None, None) not in loaded.dataset.graph(REFERENCE_GRAPH)
    assert loaded.asserted_by[visit] == {"graph/sources/doc-1.ttl"}


def _source(path: Path, fmt: str = "turtle") -> SourceFile:
    return SourceFile(path, path.name, Kind.SOURCE, GRAPH["sources/x"], fmt, "")


def test_syntax_error_names_file_line_and_column():
    with pytest.raises(ParseError) as info:
        load_sources([_source(INVALID / "syntax" / "broken.ttl")])
    err = info.value
    bad_line = (INVALID / "syntax" / "broken.ttl").read_text().splitlines()[5]
    column = bad_line.index("rdfs:label") + 1  # where a "." or ";" was expected
    assert err.path.name == "broken.ttl"
    assert err.line == 6
    assert err.column == column
    assert err.reason == "A dot is expected at the end of statements"  # pyoxigraph's words
    assert str(err).startswith(f"broken.ttl:6:{column}: ")


def test_trig_syntax_error_names_line_and_column(tmp_path):
    bad = tmp_path / "bad.trig"
    bad.write_text("<urn:g> {\n  <urn:a> <urn:b> <urn:c> .\n  <urn:a> <urn:b> .\n}\n")
    with pytest.raises(ParseError) as info:
        load_sources([_source(bad, "trig")])
    assert (info.value.line, info.value.column) == (3, 19)
    assert str(info.value).startswith("bad.trig:3:19: ")


def test_unterminated_literal_points_at_its_line(tmp_path):
    bad = tmp_path / "bad.ttl"
    bad.write_text('<urn:a> <urn:b> <urn:c> .\n<urn:a> <urn:b> "open\n<urn:a> <urn:b> <urn:c> .\n')
    with pytest.raises(ParseError) as info:
        load_sources([_source(bad)])
    assert info.value.line == 2


def test_trig_keeps_its_graphs_and_puts_loose_triples_in_the_file_graph(tmp_path):
    trig = tmp_path / "x.trig"
    trig.write_text("<urn:a> <urn:b> <urn:c> .\n<urn:g> { <urn:x> <urn:y> <urn:z> }\n")
    loaded = load_sources([_source(trig, "trig")])
    assert len(loaded.dataset.graph(GRAPH["sources/x"])) == 1
    assert len(loaded.dataset.graph(URIRef("urn:g"))) == 1


def test_binary_garbage_is_a_parse_error_not_a_crash(tmp_path):
    bad = tmp_path / "garbage.ttl"
    bad.write_bytes(b"\xff\xfe\x00 not turtle")
    with pytest.raises(ParseError) as info:
        load_sources([_source(bad)])
    assert "garbage.ttl" in str(info.value)
