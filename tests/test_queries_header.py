"""Reading saved queries: their headers, and each error with its file and line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rdflib import XSD

from cakg.errors import QueryHeaderError
from cakg.namespaces import CAKG, ID
from cakg.queries import Param, load_catalogue, load_query

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
    ("graph-of-select.rq", 3, "CONSTRUCT or DESCRIBE"),
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


def test_repository_catalogue_loads() -> None:
    catalogue = load_catalogue(REPO)
    for q in catalogue.values():
        assert q.form in ("SELECT", "CONSTRUCT")
        assert q.summary


def test_every_project_query_names_its_columns_in_words() -> None:
    """Tables showed raw variable names (`measureLabel`) as headers: each saved query of the
    project declares a header for every column it shows (an `xLabel` beside `x` is shown in x's
    cell, as its label)."""
    catalogue = load_catalogue(Path(__file__).resolve().parents[1])
    assert len(catalogue) > 10
    for q in catalogue.values():
        shown = [v for v in q.variables if not (v.endswith("Label") and v[:-5] in q.variables)]
        missing = [v for v in shown if v not in q.columns]
        assert not missing, f"{q.name}: no header for {missing}"
        for header in q.columns.values():
            assert header[:1].isupper() and not re.search(r"[a-z][A-Z]", header), header
