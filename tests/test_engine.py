"""Both engines behind one interface, the query guard, and the worker pool's limits."""

from __future__ import annotations

import json
import os
import warnings

import pytest
from rdflib import Graph, Literal, URIRef

from cakg.build import BuildResult
from cakg.config import Settings
from cakg.engine import Engine, load_engine, start_zygote
from cakg.engine.base import Formats, QueryDataset
from cakg.engine.guard import MAX_NESTING, inspect_query
from cakg.engine.pooled import PooledEngine
from cakg.errors import BadQuery, NotAcceptable, QueryResourceError, QueryTimeout, UpdateRefused
from cakg.namespaces import INFERRED_GRAPH, REFERENCE_GRAPH
from cakg.release import dataset_dir

KZ = URIRef("https://w3id.org/cakg/id/state/kazakhstan")
JSON = Formats("application/sparql-results+json", "application/n-triples")


def test_select_gives_rdflib_terms(any_engine: Engine) -> None:
    result = any_engine.query(
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
        "SELECT ?l WHERE { <https://w3id.org/cakg/id/state/kazakhstan> rdfs:label ?l } ORDER BY ?l"
    )
    assert result.form == "SELECT"
    assert result.variables == ["l"]
    assert result.rows == [(Literal("Kazakhstan", lang="en"),), (Literal("Казахстан", lang="ru"),)]


def test_ask_construct_describe(any_engine: Engine) -> None:
    assert any_engine.query("ASK { ?s ?p ?o }").boolean is True
    assert any_engine.query("ASK { ?s <urn:nothing> ?o }").boolean is False
    built = any_engine.query("CONSTRUCT { ?s a ?t } WHERE { ?s a ?t }")
    assert built.form == "CONSTRUCT"
    assert (
        KZ,
        URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
        None,
    ) not in built.triples
    assert any(t[0] == KZ for t in built.triples)
    described = any_engine.query(f"DESCRIBE <{KZ}>")
    assert described.form == "DESCRIBE"
    assert described.triples and all(t[0] == KZ for t in described.triples)


def test_bindings_are_substituted(any_engine: Engine) -> None:
    result = any_engine.query("SELECT ?s ?t WHERE { ?s a ?t } ORDER BY ?t", bindings={"s": KZ})
    assert URIRef("https://w3id.org/cakg/ontology#State") in [r[1] for r in result.rows]


def test_default_graph_is_the_union_and_inference_can_be_left_out(any_engine: Engine) -> None:
    count = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{INFERRED_GRAPH}> {{ ?s ?p ?o }} }}"
    (inferred,) = any_engine.query(count).rows[0]
    assert int(inferred) > 0
    everything = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    (all_triples,) = any_engine.query(everything).rows[0]
    (asserted,) = any_engine.query(everything, dataset=QueryDataset(inference=False)).rows[0]
    assert int(asserted) < int(all_triples)
    graphs = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    named = {r[0] for r in any_engine.query(graphs, dataset=QueryDataset(inference=False)).rows}
    assert URIRef(str(INFERRED_GRAPH)) not in named and URIRef(str(REFERENCE_GRAPH)) in named


def test_explicit_dataset_replaces_the_default(any_engine: Engine) -> None:
    only_reference = QueryDataset(default_graphs=(str(REFERENCE_GRAPH),))
    graphs = any_engine.query("SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", dataset=only_reference)
    assert graphs.rows == []  # no named graphs were given
    (n,) = any_engine.query(
        "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", dataset=only_reference
    ).rows[0]
    assert int(n) == 17
    named = QueryDataset(named_graphs=(str(REFERENCE_GRAPH),))
    assert any_engine.query("ASK { ?s ?p ?o }", dataset=named).boolean is False
    rows = any_engine.query(
        "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", dataset=named
    ).rows
    assert rows == [(URIRef(str(REFERENCE_GRAPH)),)]


def test_from_names_local_graphs_only(any_engine: Engine) -> None:
    q = "SELECT (COUNT(*) AS ?n) FROM <%s> WHERE { ?s ?p ?o }"
    assert int(any_engine.query(q % REFERENCE_GRAPH).rows[0][0]) == 17
    assert int(any_engine.query(q % "http://127.0.0.1:9/remote.ttl").rows[0][0]) == 0


def test_answer_is_serialised_by_the_engine(any_engine: Engine) -> None:
    answer = any_engine.answer("SELECT ?s WHERE { ?s a ?t }", formats=JSON, max_rows=2)
    assert answer.media_type == "application/sparql-results+json"
    assert answer.truncated and answer.count == 2
    assert len(json.loads(answer.body)["results"]["bindings"]) == 2
    triples = any_engine.answer("CONSTRUCT WHERE { ?s a ?t }", formats=JSON, max_rows=2)
    assert triples.truncated and len(Graph().parse(data=triples.body, format="nt")) == 2
    exact = any_engine.answer(
        f"SELECT ?l WHERE {{ <{KZ}> ?p ?l }} LIMIT 2", formats=JSON, max_rows=2
    )
    assert not exact.truncated and exact.count == 2


def test_answer_refuses_what_the_client_cannot_read(any_engine: Engine) -> None:
    with pytest.raises(NotAcceptable):
        any_engine.answer("CONSTRUCT WHERE { ?s ?p ?o }", formats=Formats("text/csv", None))


def test_syntax_error_has_line_and_column(any_engine: Engine) -> None:
    with pytest.raises(BadQuery) as caught:
        any_engine.query("SELECT ?s\nWHERE { ?s ?p }")
    assert caught.value.line == 2
    assert caught.value.column is not None and caught.value.column > 1


GUARD_REFUSALS = [
    ("SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }", BadQuery),
    ("select * where { service silent <http://x/> { ?s ?p ?o } }", BadQuery),
    ("SELECT * WHERE { ?s ?p ?o .SERVICE <http://x/> {} }", BadQuery),
    ("SELECT * WHERE { \\u0053ERVICE <http://x/> {} }", BadQuery),
    ("SELECT * WHERE " + "{" * (MAX_NESTING + 1) + "}" * (MAX_NESTING + 1), BadQuery),
    ("SELECT (" + "(" * 5000 + "1" + ")" * 5000 + " AS ?x) {}", BadQuery),
    ("LOAD <http://127.0.0.1:9/x.ttl>", UpdateRefused),
    ("PREFIX ex: <http://x/> INSERT DATA { ex:a ex:b ex:c }", UpdateRefused),
    ("DROP ALL", UpdateRefused),
]


@pytest.mark.parametrize(("sparql", "error"), GUARD_REFUSALS)
def test_guard_refuses(sparql: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        inspect_query(sparql)


GUARD_ALLOWS = [
    ('SELECT ?service WHERE { ?service <http://x/SERVICE> "SERVICE" } # SERVICE', "SELECT"),
    ("PREFIX service: <http://x/> ASK { service:a ?p ?o }", "ASK"),
    ("CONSTRUCT WHERE { ?s ?p ?o }", "CONSTRUCT"),
    ("BASE <http://x/> DESCRIBE <a>", "DESCRIBE"),
    ("SELECT * WHERE { FILTER(?a < ?b) }", "SELECT"),
]


@pytest.mark.parametrize(("sparql", "form"), GUARD_ALLOWS)
def test_guard_allows(sparql: str, form: str) -> None:
    assert inspect_query(sparql).form == form


@pytest.fixture(scope="module")
def pooled(built: BuildResult, tiny_settings: Settings) -> PooledEngine:
    nquads = dataset_dir(tiny_settings) / "cakg.nq"
    pool = PooledEngine(
        ("oxigraph", str(nquads), "v"), workers=2, timeout=1.0, memory_mb=256, cache_bytes=10**6
    )
    yield pool  # type: ignore[misc]
    pool.close()


SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o }"


def test_pool_kills_a_query_at_the_deadline_and_replaces_the_worker(pooled: PooledEngine) -> None:
    restarts = pooled.pool.restarts
    with pytest.raises(QueryTimeout) as caught:
        pooled.answer(SLOW, formats=JSON, timeout=0.5)
    assert caught.value.limit == 0.5
    assert pooled.pool.restarts == restarts + 1
    assert pooled.pool.alive() == 2
    assert pooled.query("ASK { ?s ?p ?o }").boolean is True


def test_a_chain_that_crashed_the_parser_is_refused_before_any_parser(
    pooled: PooledEngine,
) -> None:
    restarts = pooled.pool.restarts
    chain = "SELECT (" + "+".join(["1"] * 20000) + " AS ?x) WHERE {}"
    with pytest.raises(BadQuery, match="limit is"):
        pooled.answer(chain, formats=JSON)
    assert pooled.pool.restarts == restarts and pooled.pool.alive() == 2
    assert pooled.query("SELECT (1 + 1 AS ?x) WHERE {}").rows == [(Literal(2),)]


def test_pool_memory_limit(pooled: PooledEngine) -> None:
    binds = " ".join(f"BIND(CONCAT(?v{i}, ?v{i}) AS ?v{i + 1})" for i in range(40))
    doubling = f'SELECT (STRLEN(?v40) AS ?n) WHERE {{ BIND("aaaaaaaa" AS ?v0) {binds} }}'
    with pytest.raises((QueryResourceError, QueryTimeout)):
        pooled.answer(doubling, formats=JSON)
    assert pooled.query("ASK { ?s ?p ?o }").boolean is True


def test_pool_relays_typed_errors(pooled: PooledEngine) -> None:
    with pytest.raises(BadQuery) as caught:
        pooled.answer("SELECT ?s\nWHERE { ?s ?p }", formats=JSON)
    assert caught.value.line == 2


def test_pool_caches_answers(pooled: PooledEngine) -> None:
    assert pooled.cache is not None
    first = pooled.answer("SELECT ?s WHERE { ?s a ?t } LIMIT 1", formats=JSON)
    hits = pooled.cache.hits
    second = pooled.answer("SELECT ?s WHERE { ?s a ?t } LIMIT 1", formats=JSON)
    assert second == first and pooled.cache.hits == hits + 1


def test_load_engine_reports_a_missing_file(tmp_path: object) -> None:
    with pytest.raises(QueryResourceError):
        load_engine("oxigraph", "/nonexistent/cakg.nq", "v")


def test_the_forked_zygote_stops_with_its_owner(
    built: BuildResult, tiny_settings: Settings
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        zygote = start_zygote(tiny_settings, in_process=True)
    pid = zygote.pid
    assert zygote.alive()
    zygote.close()
    assert not zygote.alive()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
