import json

from rdflib import Graph, URIRef
from rdflib.namespace import SH

from cakg.build import validate_loaded
from cakg.build.load import load_sources
from cakg.build.sources import find_sources, from_paths

from .conftest import INVALID, TINY


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
