"""The media-type table (cakg.media): every offer names a known type, and the derived tables
say what the protocol tests expect."""

from __future__ import annotations

import pytest

from cakg import media


@pytest.mark.parametrize(
    "offers",
    [
        media.RESULT_MEDIA_TYPES,
        media.GRAPH_MEDIA_TYPES,
        media.TRIPLE_MEDIA_TYPES,
        media.QUAD_MEDIA_TYPES,
        media.HTML_TYPES[:1],
        media.SERVICE_MEDIA_TYPES,
        tuple(media.DUMP_MEDIA_TYPES.values()),
    ],
)
def test_every_offer_is_a_known_type_with_its_own_extension(offers: tuple[str, ...]) -> None:
    assert all(m in media.MEDIA_TYPES for m in offers)
    extensions = [media.MEDIA_TYPES[m].extension for m in offers]
    assert len(set(extensions)) == len(extensions)


def test_aliases_map_to_a_type_of_the_same_kind() -> None:
    assert media.RESULT_ALIASES["application/json"] == media.SPARQL_JSON
    assert media.GRAPH_ALIASES["application/json"] == media.JSONLD
    assert media.GRAPH_ALIASES["text/plain"] == media.NTRIPLES
    assert set(media.RESULT_ALIASES.values()) <= set(media.RESULT_MEDIA_TYPES)
    assert set(media.GRAPH_ALIASES.values()) <= set(media.GRAPH_MEDIA_TYPES)


def test_format_names_give_a_type_per_kind() -> None:
    assert media.FORMAT_NAMES["json"] == (media.SPARQL_JSON, media.JSONLD)
    assert media.FORMAT_NAMES["xml"] == (media.SPARQL_XML, media.RDF_XML)
    assert media.FORMAT_NAMES["n3"] == (None, media.TURTLE)
    assert media.FORMAT_NAMES["tsv"] == (media.TSV, None)
    for results, graph in media.FORMAT_NAMES.values():
        assert results is None or results in media.RESULT_MEDIA_TYPES
        assert graph is None or graph in media.GRAPH_MEDIA_TYPES


def test_saved_offers_and_dumps() -> None:
    assert media.SAVED_OFFERS["CONSTRUCT"]["json"] == media.JSONLD
    assert media.SAVED_OFFERS["SELECT"]["json"] == media.SPARQL_JSON
    assert media.SAVED_OFFERS["SELECT"]["records.json"] == media.JSON
    assert "records.json" not in media.SAVED_OFFERS["CONSTRUCT"]
    assert {"records.json"} == media.SAVED_BY_NAME_ONLY  # Accept's application/json: SPARQL JSON
    assert {
        "json", "records.json", "csv", "tsv", "ttl", "nt", "xml", "html", "rq", "svg", "png"
    } == media.SAVED_EXTENSIONS  # fmt: skip
    assert media.DUMP_MEDIA_TYPES == {
        "cakg.ttl": media.TURTLE,
        "cakg.trig": media.TRIG,
        "cakg.nq": media.NQUADS,
    }


def test_writer_names_rdflibs_serializer() -> None:
    assert media.writer(media.JSONLD) == "json-ld"
    assert media.writer(media.NQUADS) == "nquads"
    with pytest.raises(KeyError):
        media.writer(media.HTML)
