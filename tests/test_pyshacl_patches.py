"""The patches of pyshacl (and rdflib's SPARQL processor) in cakg.build.pyshacl_patches: what
they replace is still there with the signature relied on, each has its effect on a tiny graph,
the results do not change, and each is undone after its block. A pyshacl or rdflib upgrade that
changes any of this fails here."""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Iterator

import pytest
from owlrl import DatatypeHandling
from pyshacl.constraints.core.other_constraints import InConstraintComponent
from pyshacl.helper.sparql_query_helper import SPARQLQueryHelper
from pyshacl.shape import Shape
from rdflib import Graph, Literal, URIRef
from rdflib import term as rdflib_term
from rdflib.plugins.sparql import evaluate as sparql_evaluate
from rdflib.plugins.sparql import processor as sparql_processor
from rdflib.plugins.sparql.parserutils import CompValue

import cakg.build.validate
from cakg.build import pyshacl_patches
from cakg.build.validate import validate_focus, validate_graph

EX = "http://example.org/"
NOT_IN_SHAPES = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <http://example.org/> .
ex:ThingShape a sh:NodeShape ; sh:targetClass ex:Thing ;
    sh:property [ sh:path ex:kind ; sh:not [ sh:in ( ex:Bad ex:Worse ) ] ] ;
    sh:property [ sh:path ex:grade ; sh:in ( "a" "b" ) ] .
"""
FILTER_SHAPES = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <http://example.org/> .
ex:ThingShape a sh:NodeShape ; sh:targetClass ex:Thing ;
    sh:sparql [ sh:message "graded c" ; sh:select \"\"\"
        SELECT $this WHERE { $this <http://example.org/grade> ?g FILTER (?g = "c") }
    \"\"\" ] .
"""
SPARQL_SHAPES = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <http://example.org/> .
ex:ThingShape a sh:NodeShape ; sh:targetClass ex:Thing ;
    sh:sparql [ sh:message "graded c" ;
                sh:select "SELECT $this WHERE { $this <http://example.org/grade> \\"c\\" }" ] .
"""


def _things(n: int) -> Graph:
    """ex:t0 .. ex:t<n-1>: every third of kind ex:Bad, every fourth of grade "c"."""
    lines = ["@prefix ex: <http://example.org/> ."]
    for i in range(n):
        kinds = "ex:Good, ex:Bad" if i % 3 == 0 else "ex:Good, ex:Fine"
        grade = '"c"' if i % 4 == 0 else '"a"'
        lines.append(f"ex:t{i} a ex:Thing ; ex:kind {kinds} ; ex:grade {grade} .")
    return Graph().parse(data="\n".join(lines), format="turtle")


# --- what is patched is there, as relied on ------------------------------------------------


def test_shape_focus_nodes_takes_the_data_graph_and_debug() -> None:
    params = inspect.signature(Shape.focus_nodes).parameters
    assert list(params) == ["self", "data_graph", "debug"]
    assert params["debug"].default is False


def test_in_constraint_component_is_made_from_its_shape() -> None:
    assert list(inspect.signature(InConstraintComponent.__init__).parameters) == ["self", "shape"]


def test_pyshacl_checks_a_sparql_text_through_its_helper() -> None:
    params = inspect.signature(SPARQLQueryHelper.check_invalid_sparql).parameters
    assert list(params) == ["self", "sparql_text", "valuenode", "extravars"]
    assert "check_invalid_sparql" in SPARQLQueryHelper.pre_bind_variables.__code__.co_names


def test_rdflib_reads_a_filter_through_a_module_attribute() -> None:
    assert list(inspect.signature(sparql_evaluate._ebv).parameters) == ["expr", "ctx"]
    assert "_ebv" in sparql_evaluate.evalFilter.__code__.co_names  # looked up when it runs


def test_rdflib_parses_and_translates_a_query_text_through_module_attributes() -> None:
    assert callable(sparql_processor.parseQuery) and callable(sparql_processor.translateQuery)
    names = sparql_processor.SPARQLProcessor.query.__code__.co_names
    assert "parseQuery" in names and "translateQuery" in names  # looked up when a query runs


# --- each patch has its effect, and is undone -----------------------------------------------


def test_targets_within_validates_only_the_given_targets_and_nested_shapes_in_full() -> None:
    shapes = Graph().parse(data=NOT_IN_SHAPES, format="turtle")
    data = _things(6)  # t0 and t3 are of kind Bad (sh:not), t0 and t4 of grade "c" (sh:in)
    original = Shape.focus_nodes
    _conforms, results = validate_focus(data, shapes, None, {URIRef(f"{EX}t0")})
    assert Shape.focus_nodes is original
    whole = validate_graph(data, shapes)
    assert {f.focus for f in whole.findings} == {f"<{EX}t{i}>" for i in (0, 3, 4)}
    focus = {str(o) for o in results.objects(None, URIRef("http://www.w3.org/ns/shacl#focusNode"))}
    assert focus == {f"{EX}t0"}
    constraints = {
        str(o)
        for o in results.objects(
            None, URIRef("http://www.w3.org/ns/shacl#sourceConstraintComponent")
        )
    }
    assert constraints == {
        "http://www.w3.org/ns/shacl#NotConstraintComponent",  # the nested shape ran in full
        "http://www.w3.org/ns/shacl#InConstraintComponent",
    }


def test_sh_in_lists_are_read_once_per_run_with_the_same_report(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shapes = Graph().parse(data=NOT_IN_SHAPES, format="turtle")
    data = _things(12)
    built = []
    original = InConstraintComponent.__init__

    def counted(self: InConstraintComponent, shape: Shape) -> None:
        built.append(shape)
        original(self, shape)

    monkeypatch.setattr(InConstraintComponent, "__init__", counted)
    fast = validate_graph(data, shapes)
    made_once = len(built)
    with monkeypatch.context() as m:
        m.setattr(cakg.build.validate, "memoised", pyshacl_patches.prepared_queries)
        plain = validate_graph(data, shapes)
    made_plain = len(built) - made_once
    assert made_once == 2  # one per shape holding an sh:in, for 12 foci and 24 kinds
    assert made_plain > 24
    assert fast.findings == plain.findings
    kinds = {(f.focus, f.constraint) for f in fast.findings}
    assert (f"<{EX}t0>", "sh:NotConstraintComponent") in kinds  # t0 t3 t6 t9: Bad
    assert (f"<{EX}t4>", "sh:InConstraintComponent") in kinds  # t0 t4 t8: grade c
    assert len(fast.findings) == 4 + 3
    assert InConstraintComponent.__init__ is counted  # the memo put pyshacl's own back


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The query texts rdflib parses (its own parser, counted)."""
    texts: list[str] = []
    parse = sparql_processor.parseQuery

    def counted(text: str) -> object:
        texts.append(text)
        return parse(text)

    monkeypatch.setattr(sparql_processor, "parseQuery", counted)
    yield texts


def test_prepared_queries_parse_a_sparql_constraint_once_per_process(
    parsed: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    shapes = Graph().parse(data=SPARQL_SHAPES, format="turtle")
    data = _things(12)  # t0 t4 t8: grade c
    pyshacl_patches._PARSED.clear()
    fast = validate_graph(data, shapes)
    again = validate_graph(data, shapes)  # the next run finds the text parsed
    once = [t for t in parsed if "grade" in t]
    parsed.clear()
    with monkeypatch.context() as m:  # pyshacl as it ships
        m.setattr(cakg.build.validate, "memoised", contextlib.nullcontext)
        plain = validate_graph(data, shapes)
    every_time = [t for t in parsed if "grade" in t]
    assert len(once) == 1
    assert len(every_time) >= 12  # pyshacl queries once per focus node
    assert fast.findings == plain.findings == again.findings
    assert {f.focus for f in fast.findings} == {f"<{EX}t{i}>" for i in (0, 4, 8)}
    assert sparql_processor.parseQuery.__name__ == "counted"  # the memo put it back


def test_a_sparql_text_is_checked_once_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    shapes = Graph().parse(data=SPARQL_SHAPES, format="turtle")
    data = _things(12)
    checked: list[str] = []
    original = SPARQLQueryHelper.check_invalid_sparql

    def counted(self: SPARQLQueryHelper, text: str, *args: object, **kwargs: object) -> bool:
        checked.append(text)
        return bool(original(self, text, *args, **kwargs))

    monkeypatch.setattr(SPARQLQueryHelper, "check_invalid_sparql", counted)
    pyshacl_patches._CHECKED.clear()  # another test may have checked the text
    fast = validate_graph(data, shapes)
    validate_graph(data, shapes)
    once = len(checked)
    with monkeypatch.context() as m:
        m.setattr(cakg.build.validate, "memoised", contextlib.nullcontext)
        plain = validate_graph(data, shapes)
    assert once == 1
    assert len(checked) - once == 12  # pyshacl checks the text before each focus node
    assert fast.findings == plain.findings
    assert SPARQLQueryHelper.check_invalid_sparql is counted  # the memo put it back


def test_a_filter_is_evaluated_without_formatting_its_expression(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shapes = Graph().parse(data=FILTER_SHAPES, format="turtle")
    data = _things(12)  # t0 t4 t8: grade c
    formatted: list[int] = []
    original = CompValue.__repr__

    def counted(self: CompValue) -> str:
        formatted.append(1)
        return original(self)

    monkeypatch.setattr(CompValue, "__repr__", counted)
    with monkeypatch.context() as m:  # only this patch: its effect on its own
        m.setattr(cakg.build.validate, "memoised", pyshacl_patches.filters_without_error_messages)
        fast = validate_graph(data, shapes)
    with_patch = len(formatted)
    with monkeypatch.context() as m:
        m.setattr(cakg.build.validate, "memoised", contextlib.nullcontext)
        plain = validate_graph(data, shapes)
    assert with_patch == 0
    assert len(formatted) >= 12  # one repr per FILTER and solution, and more for nested terms
    assert fast.findings == plain.findings
    assert {f.focus for f in fast.findings} == {f"<{EX}t{i}>" for i in (0, 4, 8)}
    assert sparql_evaluate._ebv.__name__ == "_ebv"  # the patch put rdflib's own back


def test_literals_read_their_value_through_rdflibs_conversion_table() -> None:
    assert isinstance(rdflib_term._toPythonMapping, dict)
    assert isinstance(rdflib_term.XSDToPython, dict)
    assert "_toPythonMapping" in rdflib_term._castLexicalToPython.__code__.co_names


def test_literals_are_read_with_rdflibs_own_conversions_while_the_block_runs() -> None:
    month = URIRef("http://www.w3.org/2001/XMLSchema#gYearMonth")
    table = rdflib_term._toPythonMapping
    saved = dict(table)
    try:
        DatatypeHandling.use_Alt_lexical_conversions()  # as owlrl does when it reasons
        assert Literal("2023-13", datatype=month).ill_typed
        owlrl_table = dict(table)
        with pyshacl_patches.rdflib_literal_conversions():
            assert not Literal("2023-13", datatype=month).ill_typed
            assert Literal("2023-11", datatype=month).value is None  # rdflib reads no months
        assert table == owlrl_table  # put back as it was
    finally:
        table.clear()
        table.update(saved)
