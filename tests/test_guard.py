"""The query screen's point-lookup test (which queries may run in the web process) and the row
cap's exactness at its boundary in every results format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cakg.engine.guard import inspect_query, is_point_lookup
from cakg.engine.oxigraph_store import OxigraphEngine
from cakg.results import negotiate

POINT_LOOKUPS = [
    "SELECT ?p ?o WHERE { <https://w3id.org/cakg/id/state/kazakhstan> ?p ?o }",
    "PREFIX id: <https://w3id.org/cakg/id/>\nSELECT DISTINCT ?o WHERE { id:x a ?o . } "
    "ORDER BY ?o LIMIT 10 OFFSET 5",
    'ASK { <http://x/s> <http://x/p> "v"@en }',
    'select * { <http://x/s> <http://x/p> "1"^^<http://www.w3.org/2001/XMLSchema#integer> }',
    "CONSTRUCT { <http://x/s> ?p ?o } WHERE { <http://x/s> ?p ?o }",
    "SELECT ?o { <http://x/s> <http://x/p> ?o } # a comment",
    "SELECT ?p WHERE { ex:a.b ?p ?o }",  # a dot inside a local name
]
NOT_POINT_LOOKUPS = [
    "SELECT ?s WHERE { ?s ?p ?o }",  # a scan
    "SELECT ?p WHERE { <x> ?p ?o . <x> ?q ?r }",  # a join (a cross product)
    "SELECT ?p WHERE { <x> ?p ?o ; ?q ?r }",
    "SELECT ?p WHERE { <x> ?p ?o , ?r }",
    "SELECT ?p WHERE { <x> ?p ?o. <y> ?p ?o }",
    "SELECT ?p WHERE { <x> <p>/<q> ?o }",  # paths
    "SELECT ?p WHERE { <x> <p>* ?o }",
    "SELECT ?p WHERE { <x> ?p ?o FILTER(regex(?o, '^(a+)+$')) }",  # expressions
    "SELECT (COUNT(*) AS ?n) WHERE { <x> ?p ?o }",
    "SELECT ?p WHERE { <x> ?p ?o } ORDER BY DESC(?p)",
    "SELECT ?p WHERE { <x> ?p ?o } GROUP BY ?p",
    "SELECT ?p WHERE { { <x> ?p ?o } }",  # nested groups
    "SELECT ?p WHERE { GRAPH ?g { <x> ?p ?o } }",
    "SELECT ?p WHERE { <x> ?p ?o OPTIONAL { ?o ?q ?r } }",
    "SELECT ?p WHERE { <x> ?p ?o } VALUES ?p { <a> }",
    "SELECT ?p FROM <g> WHERE { <x> ?p ?o }",
    'SELECT ?p WHERE { "lit" ?p ?o }',  # subjects that are not a named node
    "SELECT ?p WHERE { _:b ?p ?o }",
    "SELECT ?p WHERE { [] ?p ?o }",
    'SELECT ?p WHERE { <x> ?p "a}" . ?s ?p ?o }',  # a brace inside a string
    "DESCRIBE <x>",
    "SELECT ?p WHERE { <x> ?p ?o } LIMIT 1 LIMIT 2 LIMIT 3",
    "SELECT ?p WHERE { <x> ?p ?o } LIMIT",
    "SELECT WHERE { <x> ?p ?o }",
    "CONSTRUCT { <x> ?p ?o . FILTER } WHERE { <x> ?p ?o }",
    "CONSTRUCT WHERE { <x> ?p ?o . ?o ?q ?r }",
    "SELECT ?p WHERE { <x> ?p ?o \\u007D",  # escapes are not in the subset
    "",
]


@pytest.mark.parametrize("sparql", POINT_LOOKUPS)
def test_point_lookups_are_recognised(sparql: str) -> None:
    assert is_point_lookup(sparql)


@pytest.mark.parametrize("sparql", NOT_POINT_LOOKUPS)
def test_anything_else_is_not_a_point_lookup(sparql: str) -> None:
    assert not is_point_lookup(sparql)


def test_the_shape_says_whether_results_stream() -> None:
    assert inspect_query("SELECT ?s WHERE { ?s ?p ?o }").streams
    assert not inspect_query("SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s").streams
    assert not inspect_query("SELECT DISTINCT ?s WHERE { ?s ?p ?o }").streams
    assert inspect_query("SELECT ?s WHERE { <http://x/s> ?p ?s }").point_lookup


@pytest.mark.parametrize(
    ("sparql", "says"),
    [
        ("SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", True),
        ("select ?g where { graph ?g { ?s ?p ?o } }", True),
        ("SELECT ?g WHERE { \\u0047RAPH ?g { ?s ?p ?o } }", True),  # \u escapes come first
        ("SELECT ?s WHERE { ?s <http://x/graph> ?o }", False),  # inside an IRI: not code
        ('SELECT ?s WHERE { ?s ?p "GRAPH" }', False),
        ("SELECT ?s WHERE { ?s ?p ?o } # GRAPH", False),
        ("SELECT ?s WHERE { ?s ?p ?o }", False),
    ],
)
def test_the_shape_says_whether_the_query_may_read_named_graphs(sparql: str, says: bool) -> None:
    assert inspect_query(sparql).says_graph is says


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> OxigraphEngine:
    nquads = tmp_path_factory.mktemp("cap") / "cakg.nq"
    nquads.write_text(
        "".join(f"<http://x/s> <http://x/p> <http://x/o{i}> <http://x/g> .\n" for i in range(5)),
        encoding="utf-8",
    )
    return OxigraphEngine(nquads, "v")


FORMATS = [
    "application/sparql-results+json",
    "application/sparql-results+xml",
    "text/csv",
    "text/tab-separated-values",
]
ROWS = {  # queries of exactly three rows: bound values, and rows with nothing bound at all
    "bound": "SELECT ?o WHERE { <http://x/s> <http://x/p> ?o } LIMIT 3",
    "empty": "SELECT ?x WHERE { VALUES ?x { UNDEF UNDEF UNDEF } }",
}


@pytest.mark.parametrize("media_type", FORMATS)
@pytest.mark.parametrize("rows", ROWS)
def test_the_row_cap_is_exact_at_its_boundary(
    engine: OxigraphEngine, media_type: str, rows: str
) -> None:
    sparql = ROWS[rows]
    formats = negotiate(media_type)
    exact = engine.answer(sparql, formats=formats, max_rows=3)
    assert not exact.truncated
    assert exact.body == engine.answer(sparql, formats=formats, max_rows=None).body
    cut = engine.answer(sparql, formats=formats, max_rows=2)
    assert cut.truncated and cut.count == 2
    if media_type.endswith("json"):
        assert len(json.loads(cut.body)["results"]["bindings"]) == 2


def test_a_large_answer_over_the_cap_is_cut_after_the_direct_attempt(
    tmp_path: Path,
) -> None:
    nquads = tmp_path / "cakg.nq"
    nquads.write_text(
        "".join(f'<http://x/s> <http://x/p> "{i:06d}" <http://x/g> .\n' for i in range(3000)),
        encoding="utf-8",
    )
    engine = OxigraphEngine(nquads, "v")
    formats = negotiate("application/sparql-results+json")
    answer = engine.answer("SELECT ?o WHERE { ?s ?p ?o }", formats=formats, max_rows=1000)
    assert answer.truncated and answer.count == 1000
    assert len(json.loads(answer.body)["results"]["bindings"]) == 1000
    whole = engine.answer("SELECT ?o WHERE { ?s ?p ?o }", formats=formats, max_rows=3000)
    assert not whole.truncated
    assert len(json.loads(whole.body)["results"]["bindings"]) == 3000
