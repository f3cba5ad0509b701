"""Per-source-file validation (cakg.build.validate_parallel) gives the whole-graph report."""

from __future__ import annotations

import multiprocessing
import os
import re
import shutil
from pathlib import Path

import pytest
from bench.generate import generate as generate_project
from rdflib import Graph, URIRef

import cakg.build.validate_cache
import cakg.build.validate_parallel
from cakg.build import validate_loaded
from cakg.build.load import load_sources
from cakg.build.sources import Kind, find_sources, from_paths
from cakg.build.validate import Report
from cakg.build.validate_cache import CACHE
from cakg.build.validate_parallel import validate_units
from cakg.build.validate_units import Schema, Unit
from cakg.config import Settings
from cakg.errors import ParseError, ValidationWorkerError

from .conftest import INVALID, REPO, TINY, copy_project

CAKG = "https://w3id.org/cakg/ontology#"
EXAMPLES = sorted((REPO / "tests" / "data" / "shapes").glob("*.ttl"))
_BLANK = re.compile(r"_:[A-Za-z0-9_.-]+")


def _same(whole: Report, units: Report) -> None:
    """Equal text and JSON reports; blank-node labels (new at every parse) aside."""
    assert whole.conforms == units.conforms

    def shown(report: Report) -> set[str]:
        return {_BLANK.sub("_:b", repr(f)) for f in report.findings}

    # the findings one report has and the other lacks, before the reports as a whole
    assert (shown(whole) - shown(units), shown(units) - shown(whole)) == (set(), set())
    assert _BLANK.sub("_:b", units.to_text()) == _BLANK.sub("_:b", whole.to_text())
    assert _BLANK.sub("_:b", units.to_json()) == _BLANK.sub("_:b", whole.to_json())


def _both(root: Path, extra: list[Path], out: Path, workers: int = 2) -> tuple[Report, Report]:
    project = find_sources(root)
    files = project + from_paths(extra, root) if extra else project
    loaded = load_sources(files)
    settings = Settings(root=root, build_dir=out, validate_workers=workers)
    return validate_loaded(loaded), validate_loaded(loaded, settings)


def test_invalid_file_gives_the_same_report(tmp_path: Path) -> None:
    whole, units = _both(TINY, [INVALID / "violation" / "visit-without-host.ttl"], tmp_path)
    assert not units.conforms
    assert len(units.findings) == 2
    assert units.findings[0].files == (str(INVALID / "violation" / "visit-without-host.ttl"),)
    _same(whole, units)


@pytest.mark.slow
def test_real_graph_gives_the_same_report(tmp_path: Path) -> None:
    whole, units = _both(REPO, [], tmp_path)
    assert units.conforms
    _same(whole, units)


@pytest.mark.slow
def test_failing_examples_give_the_same_report(tmp_path: Path) -> None:
    """Every failing example as its own source file: most describe the same node, id:test/bad,
    so each unit needs the triples the other files assert about it."""
    root = copy_project(REPO / "ontology", tmp_path / "p" / "ontology").parent
    shutil.copytree(REPO / "shapes", root / "shapes")
    shutil.copytree(REPO / "graph" / "reference", root / "graph" / "reference")
    (root / "graph" / "sources").mkdir()
    for path in EXAMPLES:
        shutil.copy(path, root / "graph" / "sources" / path.name)
    whole, units = _both(root, [], tmp_path / "out")
    assert len(units.findings) > len(EXAMPLES)
    _same(whole, units)


@pytest.mark.slow
def test_generated_project_with_cross_file_violations(tmp_path: Path) -> None:
    root = tmp_path / "synthetic"
    generate_project(10000, root)
    sources = sorted((root / "graph" / "sources").glob("*.ttl"))
    first = Graph().parse(sources[0])
    fact, other = sorted(first.subjects(URIRef(CAKG + "firstParty"), None))[:2]
    # Another file gives that fact a second firstParty (maxCount across two files) and says
    # it was stated by another node of the first file, which that file types as no Person
    # (sh:class: the value's asserted type comes from the other file).
    with sources[3].open("a", encoding="utf-8") as f:
        f.write(f"<{fact}> <{CAKG}firstParty> <https://w3id.org/cakg/id/state/china> .\n")
        f.write(f"<{fact}> <{CAKG}statedBy> <{other}> .\n")
    # A third file: a fact with an impossible date and no label.
    with sources[7].open("a", encoding="utf-8") as f:
        f.write(
            f'<https://w3id.org/cakg/id/fact/injected> a <{CAKG}Fact> ; <{CAKG}date> "1850" .\n'
        )
    whole, units = _both(root, [], tmp_path / "out")
    assert not units.conforms
    files = {f.files for f in units.findings}
    both = (sources[0].relative_to(root).as_posix(), sources[3].relative_to(root).as_posix())
    assert both in files
    assert (sources[7].relative_to(root).as_posix(),) in files
    constraints = {f.constraint for f in units.findings if f.files == both}
    assert "sh:ClassConstraintComponent" in constraints
    assert "sh:MaxCountConstraintComponent" in constraints
    _same(whole, units)


def _unit_files(out: Path) -> set[str]:
    return {p.name for p in (out / CACHE).glob("unit-*.json")}


@pytest.mark.slow
def test_cache_reruns_only_the_changed_unit(tmp_path: Path) -> None:
    root = copy_project(REPO / "graph", tmp_path / "p" / "graph").parent
    shutil.copytree(REPO / "ontology", root / "ontology")
    shutil.copytree(REPO / "shapes", root / "shapes")
    settings = Settings(root=root, validate_workers=2)
    first = validate_loaded(load_sources(find_sources(root)), settings)
    before = _unit_files(settings.out)
    assert len(before) == len(list((root / "graph").rglob("*.ttl")))  # one unit per data file
    again = validate_loaded(load_sources(find_sources(root)), settings)
    assert _unit_files(settings.out) == before
    assert again.findings == first.findings
    changed = root / "graph" / "sources" / "putin-state-visit-kazakhstan.ttl"
    with changed.open("a", encoding="utf-8") as f:
        f.write("\n<https://w3id.org/cakg/id/fact/new> a <https://w3id.org/cakg/ontology#Fact> .\n")
    third = validate_loaded(load_sources(find_sources(root)), settings)
    ran = _unit_files(settings.out) - before
    # the changed file's unit, and that of its evidence graph, which says more of its document
    assert len(ran) == 2
    assert {f.files for f in third.findings} == {
        ("graph/sources/putin-state-visit-kazakhstan.ttl",)
    }


def test_parse_error_names_the_file(tmp_path: Path) -> None:
    project = find_sources(TINY)
    broken = from_paths(
        [INVALID / "syntax" / "broken.ttl", TINY / "graph" / "sources" / "doc-1.ttl"], TINY
    )
    loaded = load_sources(project)
    with pytest.raises(ParseError) as info:
        validate_units(
            project + broken[:1],
            loaded.graph_of_kind(Kind.SHAPES),
            loaded.graph_of_kind(Kind.ONTOLOGY),
            loaded.graph_of_kind(Kind.REFERENCE),
            cache_dir=tmp_path,
            workers=2,
        )
    assert info.value.path == Path(str(INVALID / "syntax" / "broken.ttl"))
    assert info.value.line is not None


def _die(*_batch_and_schema: object) -> object:
    os._exit(3)


def test_worker_crash_names_the_unit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cakg.build.validate_parallel, "run_units", _die)
    # the patch reaches forked workers only; with other threads alive (earlier tests leave
    # servers running) the module would spawn fresh interpreters that never see it
    fork = multiprocessing.get_context("fork")
    monkeypatch.setattr(cakg.build.validate_parallel, "_context", lambda: fork)
    settings = Settings(root=TINY, build_dir=tmp_path, validate_workers=2)
    with pytest.raises(ValidationWorkerError) as info:
        validate_loaded(load_sources(find_sources(TINY)), settings)
    assert info.value.unit in ("graph/reference/places.ttl", "graph/sources/doc-1.ttl")
    assert "validation worker stopped" in str(info.value)


@pytest.mark.slow
def test_graph_names_are_hashed_once_not_per_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The index cache names depend on the set of data graphs: that set is digested once per
    run, not once per file (at 10^7, 31 859 files, per file took 16 minutes)."""
    root = copy_project(REPO / "graph", tmp_path / "p" / "graph").parent
    shutil.copytree(REPO / "ontology", root / "ontology")
    shutil.copytree(REPO / "shapes", root / "shapes")
    files = find_sources(root)
    graphs = {str(f.graph) for f in files if f.is_data}
    assert len(graphs) > 3
    hashed: dict[str, int] = {}
    digest = cakg.build.validate_cache.digest

    def counting(*parts: str) -> str:
        # a digest of graph names only (a unit key may hold a graph's IRI as a node: the
        # evidence graphs say what each source graph was derived from)
        if parts and all(part in graphs for part in parts):
            for part in parts:
                hashed[part] = hashed.get(part, 0) + 1
        return digest(*parts)

    monkeypatch.setattr(cakg.build.validate_cache, "digest", counting)
    schema = {k: Graph() for k in (Kind.SHAPES, Kind.ONTOLOGY, Kind.REFERENCE)}
    for f in files:
        if f.kind in schema:
            schema[f.kind].parse(f.path, format=f.format)
    report = validate_units(
        files,
        schema[Kind.SHAPES],
        schema[Kind.ONTOLOGY],
        schema[Kind.REFERENCE],
        cache_dir=tmp_path / "cache",
        workers=1,
    )
    assert report.conforms
    assert set(hashed) == graphs  # the names are part of the index key
    assert max(hashed.values()) == 1


@pytest.mark.slow
def test_a_source_file_that_stops_naming_someone_reruns_no_reference_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A source file that stops naming Putin as an office holder: its own unit runs again, and
    no reference unit (the one reference unit ran again, for the evidence about him: one
    triple per property pointing at him, from any file, which nothing reads any more)."""
    root = tmp_path / "p"
    for part in ("ontology", "shapes", "graph"):
        shutil.copytree(REPO / part, root / part)
    settings = Settings(root=root, validate_workers=1)
    validate_loaded(load_sources(find_sources(root)), settings)
    ran: list[str] = []
    run_units = cakg.build.validate_parallel.run_units

    def recording(batch: list[Unit], schema: Schema) -> object:
        ran.extend(u.name for u in batch)
        return run_units(batch, schema)

    monkeypatch.setattr(cakg.build.validate_parallel, "run_units", recording)
    changed = root / "graph" / "sources" / "putin-state-visit-kazakhstan.ttl"
    text = changed.read_text(encoding="utf-8")
    old = "cakg:holder id:person\\/vladimir-putin ;"
    assert text.count(old) == 1
    changed.write_text(text.replace(old, "cakg:holder id:person\\/vladimir-puttin ;"))
    report = validate_loaded(load_sources(find_sources(root)), settings)
    assert not report.conforms
    assert "graph/sources/putin-state-visit-kazakhstan.ttl" in ran
    assert [name for name in ran if name.startswith("graph/reference/")] == []


HEADER = """@prefix cakg: <https://w3id.org/cakg/ontology#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix id: <https://w3id.org/cakg/id/> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
"""


def test_a_ratification_in_another_file_counts_for_the_document_it_ratifies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One source calls an agreement ratified; another reports the ratification. Whole graph:
    the status follows a lifecycle event. The agreement's unit must see the other file's
    ratification (cakg:ratifies points at one of its subjects): it saw one ratifies-triple as
    evidence only, without the ratification's type, and reported a status with no event."""
    root = tmp_path / "p"
    for part in ("ontology", "shapes", "graph/reference"):
        shutil.copytree(REPO / part, root / part)
    (root / "graph" / "sources").mkdir()
    files = {
        "a": """
id:document\\/test-agreement a cakg:Agreement ; rdfs:label "Test agreement"@en ;
    cakg:firstParty id:state\\/kazakhstan ; cakg:secondParty id:state\\/uzbekistan ;
    cakg:status id:status\\/ratified ; prov:wasDerivedFrom id:source\\/test-a .
""",
        "b": """
id:ratification\\/test-kazakhstan a cakg:Ratification ; rdfs:label "Test ratification"@en ;
    cakg:ratifies id:document\\/test-agreement ; cakg:party id:state\\/kazakhstan ;
    prov:wasDerivedFrom id:source\\/test-b .
""",
    }
    for name, body in files.items():
        (root / "graph" / "sources" / f"test-{name}.ttl").write_text(
            HEADER
            + f'id:source\\/test-{name} a cakg:SourceDocument ; dcterms:title "Test {name}"@en .\n'
            + body,
            encoding="utf-8",
        )
    monkeypatch.setattr(cakg.build.validate_parallel, "UNITS_PER_RUN", 1)  # one file per run
    whole, units = _both(root, [], tmp_path / "out")
    on_agreement = {f.message for f in units.findings if f.focus == "id:document/test-agreement"}
    assert not any("follow its lifecycle events" in m for m in on_agreement), on_agreement
    _same(whole, units)


def test_two_files_linking_one_wikidata_item_are_both_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two source files each link an entity to one Wikidata item: the whole graph reports both,
    so each file's unit must see the other file's link (one triple per property pointing at
    the item was its evidence: its own, or the other's)."""
    root = tmp_path / "p"
    for part in ("ontology", "shapes", "graph/reference"):
        shutil.copytree(REPO / part, root / part)
    (root / "graph" / "sources").mkdir()
    for name in ("a", "b"):
        (root / "graph" / "sources" / f"test-{name}.ttl").write_text(
            HEADER
            + "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
            + f'id:person\\/test-{name} a cakg:Person ; rdfs:label "Test {name}"@en ;\n'
            + "    owl:sameAs <http://www.wikidata.org/entity/Q1> .\n",
            encoding="utf-8",
        )
    monkeypatch.setattr(cakg.build.validate_parallel, "UNITS_PER_RUN", 1)  # one file per run
    whole, units = _both(root, [], tmp_path / "out")
    shared = {f.focus for f in units.findings if f.shape == "cakgsh:WikidataItemShape"}
    assert shared == {"id:person/test-a", "id:person/test-b"}
    _same(whole, units)
