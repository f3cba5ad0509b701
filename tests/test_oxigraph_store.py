"""The pyoxigraph engine's storage: in memory, or on disk beside the build (made once)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import cakg.engine.spec
from cakg.build import BuildResult
from cakg.config import Settings
from cakg.engine import Dataset, load_engine, open_engine, prepare_store
from cakg.engine.oxigraph_store import DISK_STORE, OxigraphEngine
from cakg.release import dataset_dir
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
    """A private copy of the tiny build's N-Quads (the disk store is made beside it)."""
    target = tmp_path / "release" / "cakg.nq"
    target.parent.mkdir()
    shutil.copy(dataset_dir(tiny_settings) / "cakg.nq", target)
    return target


@pytest.mark.parametrize("inference", [True, False])
@pytest.mark.parametrize("sparql", QUERIES)
def test_disk_store_answers_like_memory(nquads: Path, sparql: str, inference: bool) -> None:
    memory = load_engine("oxigraph", nquads, "v", "memory")
    disk = load_engine("oxigraph", nquads, "v", "disk")
    dataset = Dataset(inference=inference)
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
    engine = OxigraphEngine(nquads, "v", storage)
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    assert engine.answer(count, formats=CSV).body.split() == [b"n", b"2"]
    asserted = engine.answer(count, formats=CSV, dataset=Dataset(inference=False))
    assert asserted.body.split() == [b"n", b"1"]
    in_graphs = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    assert engine.answer(in_graphs, formats=CSV).body.split() == [b"n", b"3"]
    asserted_graphs = engine.answer(in_graphs, formats=CSV, dataset=Dataset(inference=False))
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
    engine.answer(plain, formats=CSV, dataset=Dataset(inference=False))
    engine.answer(plain, formats=CSV, dataset=Dataset(default_graphs=("http://x/g1",)))
    assert used == [True]


def test_disk_store_is_made_once_and_atomically(nquads: Path) -> None:
    load_engine("oxigraph", nquads, "v", "disk")
    store = nquads.parent / DISK_STORE
    made = store.stat().st_mtime_ns
    assert sorted(p.name for p in nquads.parent.iterdir()) == ["cakg.nq", DISK_STORE]
    again = load_engine("oxigraph", nquads, "v", "disk")
    assert store.stat().st_mtime_ns == made
    assert again.query("ASK { ?s ?p ?o }").boolean is True


def test_auto_storage_goes_on_disk_above_the_size(
    built: BuildResult, tiny_settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    settings = tiny_settings.replace(build_dir=tmp_path / "build")
    shutil.copytree(tiny_settings.out, settings.out, symlinks=True)
    assert getattr(open_engine(settings), "storage", None) == "memory"
    monkeypatch.setattr(cakg.engine.spec, "AUTO_DISK_BYTES", 0)
    assert getattr(open_engine(settings), "storage", None) == "disk"
    with pytest.raises(cakg.errors.ConfigError):
        open_engine(settings.replace(oxigraph_storage="tape"))


def test_prepare_store_makes_the_disk_store_only_when_used(
    built: BuildResult, tiny_settings: Settings, tmp_path: Path
) -> None:
    settings = tiny_settings.replace(build_dir=tmp_path / "build")
    shutil.copytree(tiny_settings.out, settings.out, symlinks=True)
    store = dataset_dir(settings).resolve() / DISK_STORE
    prepare_store(settings.replace(oxigraph_storage="memory"))
    assert not store.exists()
    prepare_store(settings.replace(oxigraph_storage="disk"))
    assert store.is_dir()


ORDERED = "SELECT ?s ?t WHERE { ?s a ?t } ORDER BY ?t ?s"


def _rows(body: bytes) -> int:
    return len(json.loads(body)["results"]["bindings"])


@pytest.mark.parametrize("max_rows", [2, 10_000])
@pytest.mark.parametrize(
    "media_type",
    ["application/sparql-results+json", "text/csv", "text/tab-separated-values"],
)
def test_a_blocking_select_always_takes_the_row_capped_pass(
    nquads: Path, media_type: str, max_rows: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Evaluated once, however often it is asked, whether or not it fits under the cap."""
    engine = OxigraphEngine(nquads, "v", "memory")
    formats = negotiate(media_type)
    passes = _count_calls(monkeypatch, "_solutions")
    directs = _count_calls(monkeypatch, "_solutions_direct")
    answers = [engine.answer(ORDERED, formats=formats, max_rows=max_rows) for _ in range(3)]
    assert len({a.body for a in answers}) == 1 and passes == [media_type] * 3 and directs == []
    first = answers[0]
    assert first.truncated is (max_rows == 2) and first.count is not None
    assert first.count == 2 if max_rows == 2 else first.count > 2


def test_a_streaming_select_is_written_directly_when_it_fits(
    nquads: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under the cap: one direct write. Perhaps over it: the direct write stops and the row-capped
    pass evaluates it again."""
    engine = OxigraphEngine(nquads, "v", "memory")
    formats = negotiate("application/sparql-results+json")
    streaming = "SELECT ?s ?t WHERE { ?s a ?t }"
    passes = _count_calls(monkeypatch, "_solutions")
    directs = _count_calls(monkeypatch, "_solutions_direct")
    whole = engine.answer(streaming, formats=formats, max_rows=10_000)
    assert len(directs) == 1 and passes == [] and whole.count is None and not whole.truncated
    capped = engine.answer(streaming, formats=formats, max_rows=2)
    assert len(directs) == 2 and len(passes) == 1
    assert capped.truncated and capped.count == 2 == _rows(capped.body) < _rows(whole.body)


def test_a_nondeterministic_blocking_select_stays_correct(nquads: Path) -> None:
    engine = OxigraphEngine(nquads, "v", "memory")
    json_formats = negotiate("application/sparql-results+json")
    query = "SELECT ?n ?x WHERE { VALUES ?n { 1 2 3 } BIND(RAND() AS ?x) } ORDER BY ?x"
    for cap in (10_000, 10_000, 2, 2):
        answer = engine.answer(query, formats=json_formats, max_rows=cap)
        assert _rows(answer.body) == min(3, cap) and answer.truncated == (cap < 3)


def _count_calls(monkeypatch: pytest.MonkeyPatch, name: str) -> list[str]:
    """The media type of each call of the engine module's function `name`, recorded."""
    import cakg.engine.oxigraph_store as module

    calls: list[str] = []
    original = getattr(module, name)

    def counted(result: object, media_type: str, *args: object) -> object:
        calls.append(media_type)
        return original(result, media_type, *args)

    monkeypatch.setattr(module, name, counted)
    return calls
