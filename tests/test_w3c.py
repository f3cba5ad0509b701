"""The W3C SPARQL 1.1 test suites (../shared/w3c/sparql11) run against cakg.

- query evaluation (manifest-sparql11-query.ttl, 225 QueryEvaluationTests) through both engines,
  each case on its own little dataset (tests/w3c/evaluation.py);
- result formats (csv-tsv-res, json-res): the answer serialised by the engine's answer(), the
  endpoint's path, read back by rdflib and compared;
- syntax (syntax-query, syntax-fed): through the engines' parsers; a negative test must give
  BadQuery, never another exception;
- protocol (protocol/manifest.ttl): each request of the manifest sent to the app's test client;
- service description: GET /sparql on the tiny build.

Every case that does not pass is in EXCLUDED, with its reason; cakg bugs found by the suites are
strict xfails (PROTOCOL_BUGS), reported to the lead. Passing per engine, 2026-11-23, pyoxigraph
0.5.13 and rdflib 7.6.0 (`pytest tests/test_w3c.py -s` prints the counts at the end):

    suite                 oxigraph   rdflib   excluded (see EXCLUDED)
    query evaluation       215/225  199/225   oxigraph 10 (8 also in Oxigraph's own list), rdflib 26
    result formats           8/10     9/10    CSV lexical forms of doubles; negativeInteger
    syntax (query + fed)   103/106   85/106   3 SERVICE (design); rdflib's parser 18
    protocol                 34/34 over the app (oxigraph engine); 2 cakg bugs found, fixed
    service description       3/3
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from rdflib import Graph, URIRef

from cakg.build import BuildResult
from cakg.config import Settings
from cakg.engine import Engine, load_engine, open_engine
from cakg.errors import BadQuery
from cakg.web import create_app
from tests.w3c import protocol
from tests.w3c.evaluation import evaluate, open_case, query_text
from tests.w3c.suite import SUITE, Case, cases

ENGINES = ("oxigraph", "rdflib")
BOTH = ENGINES
RDFLIB = ("rdflib",)
OXIGRAPH = ("oxigraph",)

if not (SUITE / "manifest-all.ttl").is_file():
    pytest.skip(
        f"the W3C SPARQL 1.1 test suites are not at {SUITE} (../shared/w3c/sparql11 beside the "
        "repository)",
        allow_module_level=True,
    )

# One table of every exclusion: test id -> (engines it applies to, reason).
# "design": cakg refuses it on purpose; "oxigraph"/"rdflib": a known deviation of that library
# (the oxigraph ones are also excluded by Oxigraph's own test suite, testsuite/tests/sparql.rs,
# unless marked 0.5); "BUG": a cakg bug, reported to the lead, run as a strict xfail.
EXCLUDED: dict[str, tuple[tuple[str, ...], str]] = {
    # --- design
    **dict.fromkeys(
        ("syntax-fed/test_1", "syntax-fed/test_2", "syntax-fed/test_3"),
        (BOTH, "design: SERVICE is refused with BadQuery, never sent (syntax-service-0N.rq)"),
    ),
    # --- both engines canonicalise numbers' lexical forms (value kept); CSV has nothing else
    "csv-tsv-res/csv03": (BOTH, "engines: 1.0E6 written 1000000 / 1000000.0 (same double)"),
    # --- oxigraph (pyoxigraph 0.5.13)
    "aggregates/agg-groupconcat-04": (OXIGRAPH, "oxigraph 0.5: GROUP_CONCAT keeps a shared tag"),
    "aggregates/agg-groupconcat-06": (OXIGRAPH, "oxigraph 0.5: GROUP_CONCAT keeps a shared tag"),
    "aggregates/agg-empty-group-count-graph": (OXIGRAPH, "oxigraph: scope of GRAPH variables"),
    "bindings/graph": (OXIGRAPH, "oxigraph: scope of GRAPH variables"),
    "negation/graph-minus": (OXIGRAPH, "oxigraph: scope of GRAPH variables"),
    "functions/bnode01": (BOTH, "oxigraph 0.5 and rdflib: BNODE(str) reused across solutions"),
    "property-path/zero_or_more_set_start": (OXIGRAPH, "oxigraph: zero-length path, no data"),
    "property-path/zero_or_more_set_end": (OXIGRAPH, "oxigraph: zero-length path, no data"),
    "property-path/zero_or_one_set_start": (OXIGRAPH, "oxigraph: zero-length path, no data"),
    "property-path/zero_or_one_set_end": (OXIGRAPH, "oxigraph: zero-length path, no data"),
    "csv-tsv-res/tsv03": (OXIGRAPH, "oxigraph store: xsd:negativeInteger stored as xsd:integer"),
    # --- rdflib 7.6 evaluation
    "aggregates/agg-err-01": (RDFLIB, "rdflib: an error in AVG does not unbind the aggregate"),
    "aggregates/agg-empty-group-max-2": (RDFLIB, "rdflib: MAX over an empty group, no solution"),
    "aggregates/agg-group-fn": (RDFLIB, "rdflib: GROUP BY a function call"),
    "cast/cast-bool": (RDFLIB, "rdflib: xsd:boolean() cast of strings and numbers"),
    "cast/cast-int": (RDFLIB, "rdflib: xsd:integer() accepts lexical forms the spec rejects"),
    "cast/cast-float": (RDFLIB, "rdflib: xsd:float() cast rules"),
    "cast/cast-double": (RDFLIB, "rdflib: xsd:double() cast rules"),
    "cast/cast-decimal": (RDFLIB, "rdflib: xsd:decimal() accepts exponents"),
    "cast/cast-string": (RDFLIB, "rdflib: xsd:string() of a double is not canonical"),
    "functions/strdt01": (RDFLIB, "rdflib: STRDT accepts a typed literal"),
    "functions/strdt03-rdf11": (RDFLIB, "rdflib: STRDT accepts a typed literal"),
    "functions/strlang03-rdf11": (RDFLIB, "rdflib: STRLANG accepts a tagged literal"),
    "functions/concat02": (RDFLIB, "rdflib: CONCAT keeps a language tag the arguments don't share"),
    "functions/concat-empty": (RDFLIB, "rdflib: CONCAT() with no argument"),
    "functions/if02": (RDFLIB, "rdflib: an error in a projected expression drops the row"),
    "functions/replace-case-insensitive": (RDFLIB, "rdflib: REPLACE ignores the 'i' flag"),
    "project-expression/projexp03": (RDFLIB, "rdflib: a projected expression reusing another"),
    "property-path/pp36": (RDFLIB, "rdflib: a path with no variables gives no solution"),
    "property-path/pp37": (RDFLIB, "rdflib: duplicate solutions from a * path"),
    "property-path/values_and_path": (RDFLIB, "rdflib: zero-length ? path on a literal"),
    "property-path/nps_inverse": (RDFLIB, "rdflib: crashes (Exception) on !(^p); 500, reported"),
    "property-path/nps_direct_and_inverse": (RDFLIB, "rdflib: crashes (Exception) on !(p|^q)"),
    "property-path/nps_a_inverse": (RDFLIB, "rdflib: crashes (Exception) on !(^a)"),
    "subquery/subquery13": (RDFLIB, "rdflib: a subquery sees the outer bindings"),
    "functions/coalesce-empty": (RDFLIB, "rdflib: COALESCE() binds a str, not a term; reported"),
    # --- rdflib 7.6 parser: accepts queries the grammar's scope and grouping rules forbid
    **dict.fromkeys(
        (
            *("aggregates/agg08", "aggregates/agg09", "aggregates/agg10", "aggregates/agg11"),
            *("aggregates/agg12", "grouping/group06", "grouping/group07"),
            *("syntax-query/test_43", "syntax-query/test_44"),
        ),
        (RDFLIB, "rdflib parser: a projected variable neither grouped nor aggregated"),
    ),
    **dict.fromkeys(
        (
            *("syntax-query/test_45", "syntax-query/test_60", "syntax-query/test_61a"),
            *("syntax-query/test_62a", "syntax-query/test_65"),
        ),
        (RDFLIB, "rdflib parser: a variable bound twice (AS / BIND scope rules)"),
    ),
    "syntax-query/test_codepoint_invalid_escaped_bad_06": (RDFLIB, "rdflib: a lone surrogate"),
    "syntax-query/test_bad_values_too_few": (RDFLIB, "rdflib parser: VALUES row too short"),
    "syntax-query/test_bad_values_too_many": (RDFLIB, "rdflib parser: VALUES row too long"),
    "syntax-query/test_36a": (RDFLIB, "rdflib: AttributeError on VALUES () { () }; reported"),
}

# What passed, recorded as the tests run, printed by the `summary` fixture at the end.
PASSED: dict[tuple[str, str], Counter[bool]] = defaultdict(Counter)

# Data files of the W3C suite carry ill-typed literals on purpose ("abc"^^xsd:integer).
pytestmark = [
    pytest.mark.w3c,
    pytest.mark.filterwarnings(
        "ignore:Parsing weird boolean:UserWarning", "ignore:Serializing weird:UserWarning"
    ),
]


def _select(manifest: str, kinds: tuple[str, ...]) -> list[Case]:
    return [c for c in cases(SUITE / manifest) if c.kind in kinds and c.approved]


def _params(found: list[Case], engines: tuple[str, ...] = ENGINES) -> Iterator[object]:
    for case in found:
        for engine in engines:
            marks = []
            engines_out, reason = EXCLUDED.get(case.id, ((), ""))
            if engine in engines_out:
                marks.append(pytest.mark.skip(reason=reason))
            yield pytest.param(engine, case, id=f"{engine}-{case.id}", marks=marks)


EVALUATION = _select("manifest-sparql11-query.ttl", ("QueryEvaluationTest",))
RESULT_FORMATS = _select(
    "manifest-sparql11-results.ttl", ("QueryEvaluationTest", "CSVResultFormatTest")
)
SYNTAX = _select(
    "manifest-sparql11-query.ttl", ("PositiveSyntaxTest11", "NegativeSyntaxTest11")
) + _select("manifest-sparql11-fed.ttl", ("PositiveSyntaxTest11", "NegativeSyntaxTest11"))
MEDIA_TYPES = {
    ".srj": "application/sparql-results+json",
    ".srx": "application/sparql-results+xml",
    ".csv": "text/csv",
    ".tsv": "text/tab-separated-values",
}


def test_the_suite_is_there() -> None:
    assert len(EVALUATION) == 225
    assert len(RESULT_FORMATS) == 10
    assert len(SYNTAX) == 106


@pytest.mark.parametrize(("engine_name", "case"), list(_params(EVALUATION)))
def test_query_evaluation(engine_name: str, case: Case, tmp_path: Path) -> None:
    loaded, prepared = open_case(engine_name, case, tmp_path)
    problem = evaluate(loaded, case, prepared)
    PASSED[("query evaluation", engine_name)][problem is None] += 1
    assert problem is None, problem


@pytest.mark.parametrize(("engine_name", "case"), list(_params(RESULT_FORMATS)))
def test_result_format(engine_name: str, case: Case, tmp_path: Path) -> None:
    assert case.result is not None
    loaded, prepared = open_case(engine_name, case, tmp_path)
    problem = evaluate(loaded, case, prepared, MEDIA_TYPES[case.result.suffix])
    PASSED[("result formats", engine_name)][problem is None] += 1
    assert problem is None, problem


@pytest.fixture(scope="module")
def empty_engines(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Engine]:
    """One engine of each kind on an empty dataset: the syntax tests only parse."""
    empty = tmp_path_factory.mktemp("w3c-syntax") / "empty.nq"
    empty.write_bytes(b"")
    return {name: load_engine(name, empty, "w3c") for name in ENGINES}


@pytest.mark.parametrize(("engine_name", "case"), list(_params(SYNTAX)))
def test_syntax(engine_name: str, case: Case, empty_engines: dict[str, Engine]) -> None:
    text = query_text(case)
    if case.kind.startswith("Positive"):
        try:
            empty_engines[engine_name].query(text)
        except BadQuery as e:  # parsed, but not evaluated (an unknown function, an rdflib error)
            assert e.reason.startswith("the query cannot be evaluated"), e.reason
    else:
        with pytest.raises(BadQuery):
            empty_engines[engine_name].query(text)
    PASSED[("syntax", engine_name)][True] += 1


# --- protocol and service description, over the app


@pytest.fixture(scope="module")
def protocol_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The app over the protocol manifest's graphs, on an in-process Oxigraph engine."""
    folder = tmp_path_factory.mktemp("w3c-protocol")
    engine = load_engine("oxigraph", protocol.dataset(folder), "w3c")
    settings = Settings(root=folder, result_cache=False)
    yield create_app(settings, {"TESTING": True, "CAKG_ENGINE": engine})
    engine.close()


PROTOCOL_BUGS: dict[str, str] = {}  # none left: each one reported was fixed


@pytest.mark.parametrize(
    "request_",
    [
        pytest.param(
            r,
            id=r.name,
            marks=[pytest.mark.xfail(strict=True, reason=PROTOCOL_BUGS[r.name])]
            if r.name in PROTOCOL_BUGS
            else [],
        )
        for r in protocol.requests(SUITE / "protocol" / "manifest.ttl")
    ],
)
def test_protocol(request_: protocol.Request, protocol_app: Flask) -> None:
    response = protocol_app.test_client().open(
        request_.path,
        method=request_.method,
        headers=request_.headers,
        data=request_.body,
    )
    problem = protocol.check(request_, response.status_code, response.mimetype, response.data)
    PASSED[("protocol", "app")][problem is None] += 1
    assert problem is None, problem


@pytest.fixture(scope="module")
def tiny_app(built: BuildResult, tiny_settings: Settings) -> Iterator[Flask]:
    engine = open_engine(tiny_settings)
    yield create_app(tiny_settings, {"TESTING": True, "CAKG_ENGINE": engine})
    engine.close()


SD = "http://www.w3.org/ns/sparql-service-description#"


@pytest.mark.parametrize("accept", ["text/turtle", "application/rdf+xml", "application/ld+json"])
def test_service_description(tiny_app: Flask, accept: str) -> None:
    """returns-rdf, has-endpoint-triple and conforms-to-schema, in each RDF format offered."""
    response = tiny_app.test_client().get("/sparql", headers={"Accept": accept})
    assert response.status_code == 200  # returns-rdf
    assert response.mimetype == accept
    g = Graph().parse(data=response.data, format=accept)
    endpoint = URIRef("http://localhost/sparql")  # the test client's request URL
    services = list(g.subjects(URIRef(SD + "endpoint"), endpoint))
    assert len(services) == 1  # has-endpoint-triple
    service = services[0]
    rdf_type = URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    assert (service, rdf_type, URIRef(SD + "Service")) in g  # conforms-to-schema
    assert (service, URIRef(SD + "supportedLanguage"), URIRef(SD + "SPARQL11Query")) in g
    dataset = g.value(service, URIRef(SD + "defaultDataset"))
    assert (dataset, rdf_type, URIRef(SD + "Dataset")) in g
    for named in g.objects(dataset, URIRef(SD + "namedGraph")):
        assert isinstance(g.value(named, URIRef(SD + "name")), URIRef)
    PASSED[("service description", "app")][True] += 1


@pytest.fixture(scope="module", autouse=True)
def summary() -> Iterator[None]:
    """Print the counts recorded by the module's tests once they have all run (seen with -s)."""
    yield
    lines = [
        f"{suite:20} {engine:9} {c[True]:4} passed {c[False]:3} failed"
        for (suite, engine), c in sorted(PASSED.items())
    ]
    skipped = Counter(e for engines, _ in EXCLUDED.values() for e in engines)
    print("\nW3C SPARQL 1.1 suites:\n" + "\n".join(lines))
    print(f"excluded: {dict(skipped)}")
