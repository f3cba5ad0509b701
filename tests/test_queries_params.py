"""Saved-query parameters: grlc's variable suffixes and lists, and each value checked by type."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import XSD, Literal, URIRef

from cakg.namespaces import ID
from cakg.queries import Param, expand, load_catalogue, load_query, parse_value

from .conftest import TINY


def test_grlc_enumerate_and_defaults_fill_the_parameter() -> None:
    partners = load_catalogue(TINY)["partners-of"]
    states = partners.param("states")
    assert states is not None
    assert states.values_from_graph
    assert states.default == (str(ID["state/uzbekistan"]),)


def test_grlc_suffixes_give_the_type(tmp_path: Path) -> None:
    path = tmp_path / "suffixes.rq"
    path.write_text(
        "#+ summary: grlc suffixes\n"
        "PREFIX ex: <http://example.org/>\n"
        "SELECT ?s WHERE { ?s ex:a ?_a_iri ; ex:b ?__b_integer ; ex:c ?_c_en ; ex:d ?_d ;\n"
        "  ex:e ?_e_xsd_gYear ; ex:f ?__f_number } ORDER BY ?s\n",
        encoding="utf-8",
    )
    q = load_query(path)
    types = {p.name: (p.kind, p.datatype, p.lang, p.required) for p in q.params}
    assert types == {
        "a": ("iri", None, None, True),
        "b": ("literal", str(XSD.integer), None, False),
        "c": ("literal", None, "en", True),
        "d": ("literal", str(XSD.string), None, True),
        "e": ("literal", str(XSD.gYear), None, True),
        "f": ("literal", str(XSD.decimal), None, False),
    }


@pytest.mark.parametrize(
    ("datatype", "good", "bad"),
    [
        (XSD.integer, ["2024", "-3", "+7"], ["1e5", "2.0", "12a", " 1"]),
        (XSD.gYear, ["2022", "-0044"], ["last year", "22", "2022-01"]),
        (XSD.date, ["2021-12-06"], ["2021-02-30", "06.12.2021", "2021-13-01"]),
        (XSD.decimal, ["4.4", "-1", ".5"], ["1e3", "1,5", "NaN"]),
        (XSD.boolean, ["true", "0"], ["TRUE", "yes"]),
    ],
)
def test_parse_value_checks_the_datatype(datatype: URIRef, good: list[str], bad: list[str]) -> None:
    p = Param(name="x", variable="_x", kind="literal", datatype=str(datatype))
    for text in good:
        assert parse_value(p, text) == Literal(text, datatype=datatype)
    for text in bad:
        with pytest.raises(ValueError, match="is not a valid"):
            parse_value(p, text)


def test_parse_value_iris() -> None:
    p = Param(name="x", variable="_x_iri", kind="iri")
    assert parse_value(p, "id:state/uzbekistan") == ID["state/uzbekistan"]
    assert parse_value(p, "https://example.org/a") == URIRef("https://example.org/a")
    for text in ["uzbekistan", "https://example.org/a b", "<https://x>", "http://x/}"]:
        with pytest.raises(ValueError, match="IRI"):
            parse_value(p, text)
    assert expand("unknownprefix:x") == "unknownprefix:x"
