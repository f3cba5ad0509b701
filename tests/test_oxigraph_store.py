"""The pyoxigraph engine's storage: in memory, or on disk beside the build (made once)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import cakg.config
import cakg.errors
from cakg.build import BuildResult, build_dataset
from cakg.build.store import write_store
from cakg.config import Settings
from cakg.engine import QueryDataset, load_engine, open_engine
from cakg.engine.oxigraph_store import OxigraphEngine
from cakg.release import STORE, dataset_dir
from cakg.results import negotiate

CSV = negotiate("text/csv")
INFERRED = "https://w3id.org/cakg/graph/inferred"
QUERIES = [
    "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
    "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }",
    "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g",
    "SELECT ?t (COUNT(?s) AS ?n) WHERE { ?s a ?t } GROUP BY ?t ORDER BY ?t",
    # blank node labels are new on every load
    "SELECT ?s ?p ?o WHERE { ?s ?p ?o FILTER(!isBlank(?s) && !isBlank(?o)) } ORDER BY ?s ?p ?o",
]


@pytest.fixture
def nquads(built: BuildResult, tiny_settings: Settings, tmp_path: Path) -> Path:
    """A private copy of the tiny build's N-Quads, with the on-disk store the build writes."""
    target = tmp_path / "release" / "cakg.nq"
    target.parent.mkdir()
    shutil.copy(dataset_dir(tiny_settings) / "cakg.nq", target)
    write_store(target.parent)
    return target


@pytest.mark.parametrize("inference", [True, False])
@pytest.mark.parametrize("sparql", QUERIES)
def test_disk_store_answers_like_memory(nquads: Path, sparql: str, inference: bool) -> None:
    memory = load_engine("oxigraph", nquads, "v", "memory")
    disk = load_engine("oxigraph", nquads, "v", "disk")
    dataset = QueryDataset(inference=inference)
    expected = memory.answer(sparql, formats=CSV, dataset=dataset).body
    assert disk.answer(sparql, formats=CSV, dataset=dataset).body == expected
    assert disk.graph_names() == memory.graph_names()


@pytest.mark.parametrize("storage", ["memory", "disk"])
def test_union_counts_a_triple_in_two_graphs_once(tmp_path: Path, storage: str) -> None:
    nquads = tmp_path / "cakg.nq"
    nquads.write_text(
        "<http://x/a> <http://x/p> <http://x/b> <http://x/g1> .\n"
        "<http://x/a> <http://x/p> <http://x/b> <http://x/g2> .\n"
        f"<http://x/b> <http://x/q> <http://x/a> <{INFERRED}> .\n",
        encoding="utf-8",
    )
    if storage == "disk":
        write_store(tmp_path)
    engine = OxigraphEngine(nquads, "v", storage)
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    assert engine.answer(count, formats=CSV).body.split() == [b"n", b"2"]
    asserted = engine.answer(count, formats=CSV, dataset=QueryDataset(inference=False))
    assert asserted.body.split() == [b"n", b"1"]
    in_graphs = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    assert engine.answer(in_graphs, formats=CSV).body.split() == [b"n", b"3"]
    asserted_graphs = engine.answer(in_graphs, formats=CSV, dataset=QueryDataset(inference=False))
    assert asserted_graphs.body.split() == [b"n", b"2"]  # the inferred graph is left out
    # in memory, a query that cannot name a graph runs on the plain store (the union as its one
    # graph); one that says GRAPH, in any case, runs on the store of the named graphs
    assert (engine.plain is not None) is (storage == "memory")
    lower = "select ?g (count(*) as ?n) where { graph ?g { ?s ?p ?o } } group by ?g order by ?g"
    assert engine.answer(lower, formats=CSV).body.split() == [
        b"g,n",
        b"http://x/g1,1",
        b"http://x/g2,1",
        INFERRED.encode() + b",1",
    ]
    subjects = "SELECT ?s (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?s ORDER BY ?s"
    assert engine.answer(subjects, formats=CSV).body.split() == [
        b"s,n",
        b"http://x/a,1",
        b"http://x/b,1",
    ]
    described = engine.answer("DESCRIBE <http://x/a>", formats=negotiate("application/n-triples"))
    assert described.body.count(b"\n") == 1  # the triple once


def test_the_plain_store_is_used_only_where_it_answers_the_same(tmp_path: Path) -> None:
    nquads = tmp_path / "cakg.nq"
    nquads.write_text(
        "<http://x/a> <http://x/p> <http://x/b> <http://x/g1> .\n"
        "<http://x/a> <http://x/p> <http://x/b> <http://x/g2> .\n",
        encoding="utf-8",
    )
    engine = OxigraphEngine(nquads, "v", "memory")
    assert engine.plain is not None
    used: list[bool] = []
    real_query = engine.plain.query

    class Spy:
        def query(self, *args: object, **kwargs: object) -> object:
            used.append(True)
            return real_query(*args, **kwargs)  # type: ignore[arg-type]

    engine.plain = Spy()  # type: ignore[assignment]
    plain = "SELECT * WHERE { ?s ?p ?o }"
    engine.answer(plain, formats=CSV)
    assert used == [True]
    engine.answer("SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }", formats=CSV)
    engine.answer("SELECT * FROM <http://x/g1> WHERE { ?s ?p ?o }", formats=CSV)
    engine.answer(plain, formats=CSV, dataset=QueryDataset(inference=False))
    engine.answer(plain, formats=CSV, dataset=QueryDataset(default_graphs=("http://x/g1",)))
    assert used == [True]


def test_a_release_without_its_disk_store_is_refused_with_the_fix(tmp_path: Path) -> None:
    """The server never writes into a release: a missing store is the build's to make."""
    nquads = tmp_path / "cakg.nq"
    nquads.write_text("<http://x/a> <http://x/p> <http://x/b> <http://x/g> .\n", encoding="utf-8")
    with pytest.raises(cakg.errors.BuildMissingError, match="cakg build --force"):
        load_engine("oxigraph", nquads, "v", "disk")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cakg.nq"]


def test_auto_storage_goes_on_disk_above_the_size(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ "auto": the build writes the store and the engine opens it when the N-Quads are larger
    than AUTO_DISK_BYTES; below, neither."""
    small = build_dataset(settings)
    assert not (small.directory / STORE).exists()
    assert getattr(open_engine(settings), "storage", None) == "memory"
    monkeypatch.setattr(cakg.config, "AUTO_DISK_BYTES", 0)
    large = build_dataset(settings, force=True)
    assert large.directory == small.directory and (large.directory / STORE).is_dir()
    assert getattr(open_engine(settings), "storage", None) == "disk"
    with pytest.raises(cakg.errors.ConfigError):
        open_engine(settings.replace(oxigraph_storage="tape"))


def test_the_build_writes_the_disk_store_only_when_it_is_used(settings: Settings) -> None:
    memory = build_dataset(settings.replace(oxigraph_storage="memory"))
    assert not (memory.directory / STORE).exists()
    disk = build_dataset(settings.replace(oxigraph_storage="disk"))  # stale: other settings
    assert disk.built and (disk.directory / STORE).is_dir()
    assert disk.manifest["version"] == memory.manifest["version"]  # the same release, kept
    engine = open_engine(settings.replace(oxigraph_storage="disk"))
    assert getattr(engine, "storage", None) == "disk"
    assert engine.query("ASK { ?s ?p ?o }").boolean is True
