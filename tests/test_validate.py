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


NOT_IN_SHAPES = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <http://example.org/> .
ex:ThingShape a sh:NodeShape ; sh:targetClass ex:Thing ;
    sh:property [ sh:path ex:kind ; sh:not [ sh:in ( ex:Bad ex:Worse ) ] ] ;
    sh:property [ sh:path ex:grade ; sh:in ( "a" "b" ) ] .
"""


def _things(n: int) -> Graph:
    lines = ["@prefix ex: <http://example.org/> ."]
    for i in range(n):
        kinds = "ex:Good, ex:Bad" if i % 3 == 0 else "ex:Good, ex:Fine"
        grade = '"c"' if i % 4 == 0 else '"a"'
        lines.append(f"ex:t{i} a ex:Thing ; ex:kind {kinds} ; ex:grade {grade} .")
    return Graph().parse(data="\n".join(lines), format="turtle")


def test_sh_in_lists_are_read_once_per_run_with_the_same_report(monkeypatch):
    from pyshacl.constraints.core.other_constraints import InConstraintComponent

    import cakg.build.validate
    from cakg.build.validate import validate_graph

    shapes = Graph().parse(data=NOT_IN_SHAPES, format="turtle")
    data = _things(12)
    built = []
    original = InConstraintComponent.__init__

    def counted(self, shape):
        built.append(shape)
        original(self, shape)

    monkeypatch.setattr(InConstraintComponent, "__init__", counted)
    fast = validate_graph(data, shapes)
    made_once = len(built)
    with monkeypatch.context() as m:
        m.setattr(cakg.build.validate, "memoised", cakg.build.validate.prepared_queries)
        plain = validate_graph(data, shapes)
    made_plain = len(built) - made_once
    assert made_once == 2  # one per shape holding an sh:in, for 12 foci and 24 kinds
    assert made_plain > 24
    assert fast.findings == plain.findings
    kinds = {(f.focus, f.constraint) for f in fast.findings}
    assert ("<http://example.org/t0>", "sh:NotConstraintComponent") in kinds  # t0 t3 t6 t9: Bad
    assert ("<http://example.org/t4>", "sh:InConstraintComponent") in kinds  # t0 t4 t8: grade c
    assert len(fast.findings) == 4 + 3
    assert InConstraintComponent.__init__ is counted  # the memo put pyshacl's own back
