import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import rdflib.term
from owlrl import DatatypeHandling
from rdflib import Graph, URIRef
from rdflib.namespace import SH

from cakg.build import validate_loaded
from cakg.build.load import load_sources
from cakg.build.sources import find_sources, from_paths
from cakg.build.validate import validate_graph
from cakg.errors import InputError

from .conftest import INVALID, TINY, CliRun


def _with_extra(extra):
    schema = [f for f in find_sources(TINY) if not f.is_data] + [
        f for f in find_sources(TINY) if f.is_data
    ]
    return validate_loaded(load_sources(schema + from_paths([extra], TINY)))


def test_tiny_graph_conforms():
    report = validate_loaded(load_sources(find_sources(TINY)))
    assert report.conforms
    assert report.findings == []


def test_violation_report_names_focus_path_value_message_shape_and_file():
    report = _with_extra(INVALID / "violation" / "visit-without-host.ttl")
    assert not report.conforms
    by_path = {f.path: f for f in report.findings}
    assert set(by_path) == {"cakg:host", "cakg:date"}
    missing_host = by_path["cakg:host"]
    assert missing_host.focus == "id:visit/hostless"
    assert missing_host.message == "A Visit needs exactly one cakg:host that is a State."
    assert missing_host.constraint == "sh:MinCountConstraintComponent"
    assert missing_host.files == (str(INVALID / "violation" / "visit-without-host.ttl"),)
    bad_date = by_path["cakg:date"]
    assert bad_date.value == '"sometime in 2023"'
    assert bad_date.constraint == "sh:DatatypeConstraintComponent"
    assert report.counts() == {"Violation": 2, "Warning": 0, "Info": 0}


def test_text_report_lists_each_finding_with_its_file():
    report = _with_extra(INVALID / "violation" / "visit-without-host.ttl")
    text = report.to_text()
    assert text.startswith("SHACL validation: does not conform: 2 violations")
    assert text.count("focus node: id:visit/hostless") == 2
    assert "asserted in: " + str(INVALID / "violation" / "visit-without-host.ttl") in text


def test_json_and_turtle_reports_parse_back():
    report = _with_extra(INVALID / "violation" / "visit-without-host.ttl")
    body = json.loads(report.to_json())
    assert body["conforms"] is False
    assert len(body["results"]) == 2
    g = Graph().parse(data=report.to_turtle(), format="turtle")
    assert len(list(g.subjects(None, SH.ValidationResult))) == 2
    assert (None, SH.focusNode, URIRef("https://w3id.org/cakg/id/visit/hostless")) in g


# --- Class constraints read asserted types (issue 20, item 5)

REPO = Path(__file__).parent.parent
ID = "https://w3id.org/cakg/id/"


def _repo_graph(folder: str) -> Graph:
    graph = Graph()
    for path in sorted((REPO / folder).glob("*.ttl")):
        graph.parse(path, format="turtle")
    return graph


@pytest.mark.parametrize(
    ("focus", "kind", "prop", "value", "kind_of_value"),
    [
        # a ratification of a visit: under RDFS inference cakg:ratifies' range made it an Agreement
        ("ratification/r", "Ratification", "ratifies", "visit/v", "Visit"),
        # a document signed at a city: cakg:signedAt's range made it an Event
        ("document/d", "Agreement", "signedAt", "city/c", "City"),
    ],
)
def test_class_constraint_checks_the_asserted_type_not_the_range(
    focus: str, kind: str, prop: str, value: str, kind_of_value: str
) -> None:
    data = Graph().parse(
        format="turtle",
        data=f"""
        @prefix cakg: <https://w3id.org/cakg/ontology#> .
        @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
        <{ID}{focus}> a cakg:{kind} ; cakg:{prop} <{ID}{value}> .
        <{ID}{value}> a cakg:{kind_of_value} ; rdfs:label "v"@en .
        """,
    )
    report = validate_graph(data, _repo_graph("shapes"), _repo_graph("ontology"))
    found = {(f.focus, f.path, f.constraint) for f in report.findings}
    assert (f"id:{focus}", f"cakg:{prop}", "sh:ClassConstraintComponent") in found


@pytest.mark.parametrize(
    ("constraint", "said"),
    [
        # SHACL-SPARQL forbids VALUES: pyshacl loads the shape, then fails to run it
        (
            'sh:sparql [ sh:message "m"@en ; sh:select "SELECT $this WHERE { VALUES ?x { 1 } }" ]',
            "VALUES",
        ),
        # a cardinality that is not an integer: pyshacl cannot load the shape
        ('sh:property [ sh:path rdfs:label ; sh:minCount "one" ]', "minCount"),
    ],
)
def test_a_shape_pyshacl_cannot_run_is_an_input_error(constraint: str, said: str) -> None:
    shapes = Graph().parse(
        format="turtle",
        data=f"""
        @prefix sh: <http://www.w3.org/ns/shacl#> .
        @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
        <urn:s> a sh:NodeShape ; sh:targetNode <urn:x> ; {constraint} .
        """,
    )
    with pytest.raises(InputError) as info:
        validate_graph(Graph(), shapes)
    assert str(info.value).startswith("shapes/: pyshacl cannot run the shapes: ")
    assert said in str(info.value)


def test_an_impossible_date_is_a_violation_not_a_logged_traceback(
    tmp_path: Path, run_cli: Callable[..., CliRun], caplog: pytest.LogCaptureFixture
) -> None:
    """rdflib logs a warning with a traceback for a literal its datatype cannot read, which
    `cakg validate` printed once per conversion; the shapes report it, naming the node."""
    for part in ("ontology", "shapes"):
        shutil.copytree(REPO / part, tmp_path / part)
    bad = tmp_path / "bad.ttl"
    bad.write_text(
        "@prefix cakg: <https://w3id.org/cakg/ontology#> .\n"
        "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
        f'<{ID}visit/v> a cakg:Visit ; cakg:date "2024-02-30"^^xsd:date .\n',
        encoding="utf-8",
    )
    result = run_cli("--root", str(tmp_path), "validate", "--format", "json", str(bad))
    assert result.code == 1
    assert (result.err, [r.getMessage()[:40] for r in caplog.records]) == ("", [])
    findings = json.loads(result.out)["results"]
    assert {f["focus"] for f in findings if f["path"] == "cakg:date"} == {"id:visit/v"}


def test_validation_after_owlrl_has_reasoned_reads_literals_as_a_fresh_process(
    tmp_path: Path,
) -> None:
    """owlrl replaces rdflib's lexical conversions for the whole process when it reasons (it
    reads xsd:gYearMonth): a validation after a build's reasoning, in the same process, found
    "2023-13"^^xsd:gYearMonth ill-typed where a fresh process did not. Both now read literals
    as rdflib does (the month is DateFormShape's to report)."""
    for part in ("ontology", "shapes"):
        shutil.copytree(REPO / part, tmp_path / part)
    bad = tmp_path / "graph" / "sources" / "bad.ttl"
    bad.parent.mkdir(parents=True)
    bad.write_text(
        "@prefix cakg: <https://w3id.org/cakg/ontology#> .\n"
        "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
        f'<{ID}visit/v> a cakg:Visit ; cakg:date "2023-13"^^xsd:gYearMonth .\n',
        encoding="utf-8",
    )

    def findings() -> set[str]:
        report = validate_loaded(load_sources(find_sources(tmp_path)))
        return {re.sub(r"_:\w+", "_:b", repr(f)) for f in report.findings}

    fresh = findings()
    table = rdflib.term._toPythonMapping
    saved = dict(table)
    try:
        DatatypeHandling.use_Alt_lexical_conversions()
        after_owlrl = findings()
    finally:
        table.clear()
        table.update(saved)
    assert after_owlrl == fresh
    assert any("DateFormShape" in f for f in fresh)
