"""The fast paths used at scale give the same answers as the plain ones (small sizes only).

bench/bench_build.py repeats the reasoning comparison at 10^4 and 10^5 triples and times it.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from bench.generate import generate as generate_project
from rdflib import Graph

import cakg.build.validate
from cakg.build.load import load_sources
from cakg.build.sources import Kind, find_sources
from cakg.build.validate import validate_graph

from .conftest import REPO
from .test_rules import canonical, inferred_by

pytestmark = pytest.mark.slow  # generated projects, the real graph, owlrl beside the rules

EXAMPLES = sorted((REPO / "tests" / "data" / "shapes").glob("*.ttl"))


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated project a few source copies beyond the real graph's size."""
    root = tmp_path_factory.mktemp("synthetic") / "project"
    files, _written = generate_project(6000, root)
    assert files >= 2
    return root


@pytest.fixture(scope="module")
def schema() -> tuple[Graph, Graph]:
    loaded = load_sources(find_sources(REPO))
    return loaded.graph_of_kind(Kind.ONTOLOGY), loaded.graph_of_kind(Kind.SHAPES)


def _plain(data: Graph, shapes: Graph, ontology: Graph, monkeypatch: pytest.MonkeyPatch):
    """validate_graph without its memos (prepared queries, sh:in lists): pyshacl as it ships."""
    with monkeypatch.context() as m:
        m.setattr(cakg.build.validate, "memoised", contextlib.nullcontext)
        return validate_graph(data, shapes, ontology)


def test_rules_equal_owlrl_on_a_generated_project(synthetic: Path, tmp_path: Path) -> None:
    by_rules = inferred_by(synthetic, "rules", tmp_path / "rules")
    by_owlrl = inferred_by(synthetic, "owlrl", tmp_path / "owlrl")
    assert len(by_rules) > 1000
    assert canonical(by_rules) == canonical(by_owlrl)


def test_generated_project_conforms(synthetic: Path, schema: tuple[Graph, Graph]) -> None:
    ontology, shapes = schema
    data = load_sources(find_sources(synthetic)).graph_of_kind(Kind.REFERENCE, Kind.SOURCE)
    report = validate_graph(data, shapes, ontology)
    assert report.conforms, report.to_text()
    assert report.findings == []


def test_failing_examples_give_the_same_report_both_ways(
    schema: tuple[Graph, Graph], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every failing example of tests/data/shapes at once, with the real graph beside them."""
    ontology, shapes = schema
    loaded = load_sources(find_sources(REPO))
    data = loaded.graph_of_kind(Kind.REFERENCE, Kind.SOURCE)
    for path in EXAMPLES:
        data.parse(path, format="turtle")
    fast = validate_graph(data, shapes, ontology)
    plain = _plain(data, shapes, ontology, monkeypatch)
    assert not fast.conforms
    assert len(fast.findings) >= len(EXAMPLES)
    assert fast.findings == plain.findings
    assert fast.counts() == plain.counts()
    memoised = {
        "sh:InConstraintComponent",
        "sh:NotConstraintComponent",
        "sh:SPARQLConstraintComponent",
    }
    assert memoised <= {f.constraint for f in fast.findings}


def test_real_graph_gives_the_same_report_both_ways(
    schema: tuple[Graph, Graph], monkeypatch: pytest.MonkeyPatch
) -> None:
    ontology, shapes = schema
    data = load_sources(find_sources(REPO)).graph_of_kind(Kind.REFERENCE, Kind.SOURCE)
    fast = validate_graph(data, shapes, ontology)
    assert fast.conforms
    assert fast.findings == _plain(data, shapes, ontology, monkeypatch).findings


def test_a_reused_project_is_refreshed_from_the_repository(tmp_path: Path) -> None:
    root = tmp_path / "synthetic"
    made = generate_project(5000, root)  # the shared ontology, shapes and reference: ~4000
    query = root / "queries" / "visits.rq"
    query.write_text("# an old version\n", encoding="utf-8")
    (root / "shapes" / "removed-since.ttl").write_text("", encoding="utf-8")
    source = next((root / "graph" / "sources").glob("*.ttl"))
    kept = source.read_bytes()
    assert generate_project(5000, root, reuse=True) == made  # reused as it is
    assert query.read_text(encoding="utf-8") == "# an old version\n"
    assert generate_project(5000, root, reuse=True, refresh=True) == made
    assert query.read_bytes() == (REPO / "queries" / "visits.rq").read_bytes()
    assert not (root / "shapes" / "removed-since.ttl").exists()
    assert source.read_bytes() == kept  # the generated sources stay
