"""Corner cases where rdflib itself misbehaves, caught by the rdflib engine (W3C-suite findings)."""

import io

import pytest
from rdflib import Variable
from rdflib.query import Result

from cakg.engine.base import Formats
from cakg.engine.rdflib_dataset import RdflibEngine
from cakg.errors import BadQuery
from cakg.release import dataset_dir

XML = "application/sparql-results+xml"


@pytest.fixture(scope="module")
def rdflib_engine(built, tiny_settings):
    eng = RdflibEngine(dataset_dir(tiny_settings) / "cakg.nq", built.manifest["version"])
    yield eng
    eng.close()


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { ?s !(^<urn:p>) ?o }",  # rdflib raises a bare Exception
        "SELECT * { VALUES () { () } }",  # rdflib raises AttributeError
    ],
)
def test_queries_rdflib_cannot_evaluate_are_bad_queries(rdflib_engine, query):
    with pytest.raises(BadQuery):
        rdflib_engine.answer(query, formats=Formats())


@pytest.mark.parametrize("expr", ["0.0", "0", "false", '""'])
def test_falsy_literals_survive_the_xml_results_writer(rdflib_engine, expr):
    body = rdflib_engine.answer(
        f"SELECT ?x {{ BIND({expr} AS ?x) }}", formats=Formats(results=XML)
    ).body
    value = Result.parse(io.BytesIO(body), format="xml").bindings[0].get(Variable("x"))
    assert value is not None
    assert value.n3() == rdflib_engine.query(f"SELECT ?x {{ BIND({expr} AS ?x) }}").rows[0][0].n3()


def test_an_expression_error_leaves_the_variable_unbound(rdflib_engine):
    result = rdflib_engine.query("SELECT (COALESCE() AS ?x) {}")
    assert result.rows == [(None,)]
    body = rdflib_engine.answer("SELECT (COALESCE() AS ?x) {}", formats=Formats(results=XML)).body
    assert b"<result></result>" in body
