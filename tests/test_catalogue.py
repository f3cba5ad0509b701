"""The saved-query catalogue: headers, parameters, errors with their line, the RDF description."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import RDF, XSD, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, SH

from cakg.errors import QueryHeaderError
from cakg.namespaces import CAKG, ID
from cakg.queries import (
    QUERY_BASE,
    Param,
    describe_catalogue,
    expand,
    load_catalogue,
    load_query,
    parse_value,
)

from .conftest import INVALID, REPO, TINY

BAD = INVALID / "queries"

# file, line of the error (None: the file as a whole), a word the message must contain
HEADER_ERRORS = [
    ("bad-yaml.rq", 3, "invalid YAML"),
    ("unknown-key.rq", 3, "endpoint"),
    ("unused-parameter.rq", 5, "'year' is declared"),
    ("no-summary.rq", 1, "summary"),
    ("long-summary.rq", 2, "83 characters"),
    ("bad-view.rq", 3, "view"),
    ("view-column.rq", 5, "amount"),
    ("bad-default.rq", 5, "xsd:gYear"),
    ("type-conflict.rq", 4, "contradicts"),
    ("unknown-parameter-key.rq", 5, "widget"),
    ("syntax-error.rq", 5, "syntax"),
    ("undeclared-prefix.rq", 5, "rdfs"),
    ("select-star.rq", 3, "SELECT *"),
    ("duplicate-key.rq", 3, "tags"),
    ("paginated-limit.rq", 3, "LIMIT"),
    ("enumerate-unknown.rq", 2, "partner"),
    ("value-not-allowed.rq", 5, "allowed"),
    ("Not_Kebab.rq", None, "kebab-case"),
]


@pytest.mark.parametrize(("name", "line", "word"), HEADER_ERRORS)
def test_header_error_names_file_and_line(name: str, line: int | None, word: str) -> None:
    with pytest.raises(QueryHeaderError) as caught:
        load_query(BAD / name)
    assert caught.value.path == BAD / name
    assert caught.value.line == line
    assert word in str(caught.value)


def test_every_invalid_file_is_in_the_table() -> None:
    assert {p.name for p in BAD.glob("*.rq")} == {name for name, _, _ in HEADER_ERRORS}


def test_catalogue_stops_at_the_first_bad_file(tmp_path: Path) -> None:
    (tmp_path / "queries").mkdir()
    for name in ("unknown-key.rq",):
        (tmp_path / "queries" / name).write_bytes((BAD / name).read_bytes())
    with pytest.raises(QueryHeaderError):
        load_catalogue(tmp_path)


def test_no_queries_folder_is_an_empty_catalogue(tmp_path: Path) -> None:
    assert load_catalogue(tmp_path) == {}


def test_tiny_catalogue_headers() -> None:
    catalogue = load_catalogue(TINY)
    assert sorted(catalogue) == ["labelled-things", "partners-of", "visits-hosted-by"]
    visits = catalogue["visits-hosted-by"]
    assert visits.summary == "Visits a state hosted, with their dates"
    assert visits.tags == ("visits",)
    assert visits.view == {"type": "timeline", "date": "date", "label": "label"}
    assert visits.variables == ("visit", "label", "date")
    assert visits.pagination is None
    state = visits.param("state")
    assert state == Param(
        name="state",
        variable="_state_iri",
        kind="iri",
        cls=str(CAKG.State),
        required=True,
        example=str(ID["state/kazakhstan"]),
        values_from_graph=True,
        description="The host state.",
        line=9,
    )
    after = visits.param("after")
    assert after is not None
    assert (after.required, after.datatype, after.variable) == (
        False,
        str(XSD.date),
        "__after_xsd_date",
    )
    things = catalogue["labelled-things"]
    assert things.pagination == 2
    klass = things.param("class")
    assert klass is not None
    assert (klass.multiple, klass.required, klass.kind) == (True, False, "iri")


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


def test_described_as_shacl_executables() -> None:
    g = describe_catalogue(TINY)
    names = {str(o) for o in g.objects(None, DCTERMS.identifier)}
    assert names == {"labelled-things", "partners-of", "visits-hosted-by"}
    node = QUERY_BASE["visits-hosted-by"]
    assert set(g.objects(node, RDF.type)) == {SH.SPARQLExecutable, SH.SPARQLSelectExecutable}
    select = g.value(node, SH.select)
    assert select is not None
    assert "#+" not in str(select)
    assert str(select).startswith("PREFIX cakg:")
    params = {str(g.value(p, SH.name)): p for p in g.objects(node, SH.parameter)}
    assert set(params) == {"state", "after"}
    assert g.value(params["state"], SH["class"]) == CAKG.State
    assert g.value(params["state"], SH.optional) == Literal(False)
    assert g.value(params["after"], SH.datatype) == XSD.date
    partners = {
        str(g.value(p, SH.name)): p for p in g.objects(QUERY_BASE["partners-of"], SH.parameter)
    }
    assert g.value(partners["states"], SH.defaultValue) == ID["state/uzbekistan"]


def test_fixed_values_become_sh_in(tmp_path: Path) -> None:
    (tmp_path / "queries").mkdir()
    (tmp_path / "queries" / "modes.rq").write_text(
        "#+ summary: Corridors by mode\n"
        "#+ parameters:\n"
        "#+   mode:\n"
        "#+     values: [rail, sea]\n"
        "PREFIX ex: <http://example.org/>\n"
        "SELECT ?c WHERE { ?c ex:mode ?_mode } ORDER BY ?c\n",
        encoding="utf-8",
    )
    g = describe_catalogue(tmp_path)
    param = next(g.objects(QUERY_BASE["modes"], SH.parameter))
    assert list(Collection(g, g.value(param, SH["in"]))) == [
        Literal("rail", datatype=XSD.string),
        Literal("sea", datatype=XSD.string),
    ]


def test_repository_catalogue_loads() -> None:
    catalogue = load_catalogue(REPO)
    for q in catalogue.values():
        assert q.form in ("SELECT", "CONSTRUCT")
        assert q.summary
