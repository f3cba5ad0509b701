import base64
import gzip
import hashlib
import json
import re
import shutil

import pytest
from rdflib import Dataset, Graph, URIRef
from rdflib.namespace import DCTERMS

from cakg.build import build_dataset, docs, is_stale, write
from cakg.build.validate_cache import CACHE as VALIDATE_CACHE
from cakg.errors import BuildMissingError, NonConformingData, ParseError
from cakg.namespaces import INFERRED_GRAPH
from cakg.release import FAILED_BUILD, dataset_dir, failed_build, load_manifest

from .conftest import INVALID

BLANK = re.compile(r"_:[A-Za-z0-9_.-]+")


def content_version(nq_lines):
    """The dataset version as the build defines it: a hash of the sorted N-Quads lines that
    blank-node labels do not change (the build computes it in one pass over the file)."""
    canonical = sorted(BLANK.sub("_:b", line) for line in nq_lines)
    return hashlib.sha256("\n".join(canonical).encode("utf-8")).hexdigest()[:16]


def _snapshot(out):
    """Every file under the build directory with its bytes (symlinks by their target), but the
    lock, the validation cache (findings per unit, not output) and the failed build's record."""
    snap = {}
    for p in sorted(out.rglob("*")):
        if p.name in (".lock", FAILED_BUILD) or VALIDATE_CACHE in p.relative_to(out).parts:
            continue
        if p.is_symlink():
            snap[str(p.relative_to(out))] = "-> " + str(p.readlink())
        elif p.is_file():
            snap[str(p.relative_to(out))] = p.read_bytes()
    return snap


def test_build_writes_nquads_trig_and_manifest(built, tiny_settings):
    current = dataset_dir(tiny_settings)
    assert current.is_symlink()
    manifest = json.loads((current / "manifest.json").read_text())
    nq = (current / "cakg.nq").read_bytes()
    assert manifest["version"] == content_version(nq.decode().splitlines())
    ds = Dataset()
    ds.parse(data=nq, format="nquads")
    counts = {str(g.identifier): len(g) for g in ds.graphs() if len(g)}
    assert counts == manifest["graphs"]
    assert manifest["triples"] == sum(counts.values())
    trig = Dataset()
    trig.parse(current / "cakg.trig", format="trig")
    assert {str(g.identifier): len(g) for g in trig.graphs() if len(g)} == counts
    union = Graph().parse(current / "cakg.ttl", format="turtle")
    assert len(union) == len({(s, p, o) for s, p, o, _g in ds.quads()})
    assert gzip.decompress((current / "cakg.nq.gz").read_bytes()) == nq
    for entry in manifest["inputs"]:
        path = tiny_settings.root / entry["path"]
        assert entry["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert manifest["validation"] == {
        "conforms": True,
        "skipped": False,
        "Violation": 0,
        "Warning": 0,
        "Info": 0,
    }
    assert set(manifest["timings"]) == {"load", "validate", "reason", "write", "search_index"}
    index = current / "search-index.json"
    assert manifest["search_index"]["bytes"] == index.stat().st_size
    assert manifest["search_index"]["entities"] > 0
    assert manifest["reasoning"]["inferred"] == counts[str(INFERRED_GRAPH)] > 0
    dumps = ("cakg.nq", "cakg.trig", "cakg.ttl")
    assert set(manifest["files"]) == {*dumps, *(f"{d}.gz" for d in dumps)}
    for name in manifest["files"]:
        data = (current / name).read_bytes()
        assert manifest["files"][name] == {
            "bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
        }


def test_inferred_triples_are_in_their_own_graph(built, tiny_settings):
    ds = Dataset()
    ds.parse(dataset_dir(tiny_settings) / "cakg.nq", format="nquads")
    inferred = ds.graph(INFERRED_GRAPH)
    kz = URIRef("https://w3id.org/cakg/id/state/kazakhstan")
    partner = URIRef("https://w3id.org/cakg/ontology#partnerOf")
    assert (kz, partner, URIRef("https://w3id.org/cakg/id/state/uzbekistan")) in inferred
    assert (kz, partner, None) not in ds.graph(URIRef("https://w3id.org/cakg/graph/reference"))


def test_second_build_is_a_no_op(settings):
    first = build_dataset(settings)
    before = _snapshot(settings.out)
    second = build_dataset(settings)
    assert first.built and not second.built
    assert second.manifest["version"] == first.manifest["version"]
    assert _snapshot(settings.out) == before
    assert not is_stale(settings)


def test_changed_input_rebuilds_and_keeps_the_previous_release(settings):
    first = build_dataset(settings)
    doc = settings.root / "graph" / "sources" / "doc-1.ttl"
    doc.write_text(doc.read_text().replace("Test state visit", "Test state visit, renamed"))
    assert is_stale(settings)
    second = build_dataset(settings)
    assert second.built
    assert second.manifest["version"] != first.manifest["version"]
    releases = sorted(p.name for p in (settings.out / "releases").iterdir())
    assert releases == sorted([first.manifest["version"], second.manifest["version"]])
    assert load_manifest(settings)["version"] == second.manifest["version"]


def test_force_rebuilds_the_same_version(settings):
    first = build_dataset(settings)
    again = build_dataset(settings, force=True)
    assert again.built and again.manifest["version"] == first.manifest["version"]
    assert again.manifest["files"] == first.manifest["files"]  # byte-identical dumps
    assert again.directory == first.directory  # so the served folder was kept
    assert load_manifest(settings) == again.manifest  # with the new manifest


def test_a_changed_saved_query_header_reaches_the_release(settings):
    """A header's view or columns change no triple (the same dataset version), yet the release
    serves the queries: the rebuild kept the old release with its old copy of the query."""
    first = build_dataset(settings)
    query = settings.root / "queries" / "visits-hosted-by.rq"
    old_text = query.read_text()
    query.write_text(old_text.replace("#+ view:", "#+ columns:\n#+   label: Name\n#+ view:", 1))
    assert query.read_text() != old_text
    second = build_dataset(settings)
    assert second.built and second.manifest["version"] == first.manifest["version"]
    assert second.directory != first.directory  # a folder of its own, the old one untouched
    assert (second.directory / "queries" / query.name).read_text() == query.read_text()
    assert (first.directory / "queries" / query.name).read_text() == old_text
    assert load_manifest(settings) == second.manifest


def test_shape_violation_writes_nothing(settings):
    build_dataset(settings)
    before = _snapshot(settings.out)
    shutil.copy(INVALID / "violation" / "visit-without-host.ttl", settings.root / "graph/sources")
    with pytest.raises(NonConformingData) as info:
        build_dataset(settings)
    assert info.value.report.violations == 2
    assert info.value.report.findings[0].files == ("graph/sources/visit-without-host.ttl",)
    assert _snapshot(settings.out) == before
    record = failed_build(settings)
    assert record is not None and record["error"] == "non-conforming"
    assert record["message"] == str(info.value)
    assert (record["file"], record["line"]) == ("graph/sources/visit-without-host.ttl", None)


def test_syntax_error_writes_nothing(settings):
    with pytest.raises(ParseError) as info:
        shutil.copy(INVALID / "syntax" / "broken.ttl", settings.root / "graph/sources")
        build_dataset(settings)
    assert info.value.line == 6
    assert str(info.value.path) == "graph/sources/broken.ttl"
    assert not (settings.out / "current").exists()
    with pytest.raises(BuildMissingError):
        load_manifest(settings)


def test_a_failed_build_is_recorded_beside_current_until_a_build_succeeds(settings):
    first = build_dataset(settings)
    assert failed_build(settings) is None
    shutil.copy(INVALID / "syntax" / "broken.ttl", settings.root / "graph/sources")
    with pytest.raises(ParseError) as info:
        build_dataset(settings)
    record = failed_build(settings)
    assert record == json.loads((settings.out / FAILED_BUILD).read_text())
    assert record["error"] == "parse-error" and record["message"] == str(info.value)
    assert (record["file"], record["line"], record["column"]) == (
        "graph/sources/broken.ttl",
        6,
        info.value.column,
    )
    assert record["serving"] == first.manifest["version"]
    assert load_manifest(settings) == first.manifest
    (settings.root / "graph/sources/broken.ttl").unlink()
    assert not build_dataset(settings).built  # up to date is a success too
    assert failed_build(settings) is None


def test_a_bad_query_header_is_recorded_with_its_file_and_line(settings):
    from cakg.errors import QueryHeaderError

    (settings.root / "queries" / "broken.rq").write_text("#+ summary: [unclosed\nASK {}\n")
    with pytest.raises(QueryHeaderError):
        build_dataset(settings)
    record = failed_build(settings)
    assert record is not None and record["serving"] is None  # nothing was ever built
    assert (record["file"], record["line"]) == ("queries/broken.rq", 1)


def test_crash_while_writing_leaves_the_previous_build_intact(settings, monkeypatch):
    build_dataset(settings)
    before = _snapshot(settings.out)
    doc = settings.root / "graph" / "sources" / "doc-1.ttl"
    doc.write_text(doc.read_text().replace("Test state visit", "Changed"))

    def crash(path):
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(write, "_fsync", crash)
    with pytest.raises(OSError, match="simulated"):
        build_dataset(settings)
    assert _snapshot(settings.out) == before
    assert not [p for p in settings.out.iterdir() if p.name.startswith(".staging-")]


def test_rules_reasoner_builds_the_same_dataset(settings, built):
    rules = build_dataset(settings.replace(reasoner="rules"))
    assert rules.manifest["reasoning"]["reasoner"] == "rules"
    assert rules.manifest["version"] == built.manifest["version"]
    assert rules.manifest["graphs"] == built.manifest["graphs"]


def test_changing_the_reasoner_makes_the_build_stale(settings):
    build_dataset(settings)
    assert not is_stale(settings)
    assert is_stale(settings.replace(reasoner="rules"))


def test_saved_queries_are_described_in_their_own_graph(built, tiny_settings):
    ds = Dataset()
    ds.parse(dataset_dir(tiny_settings) / "cakg.nq", format="nquads")
    queries = ds.graph(URIRef("https://w3id.org/cakg/graph/queries"))
    names = {str(o) for o in queries.objects(None, DCTERMS.identifier)}
    assert names == {p.stem for p in (tiny_settings.root / "queries").glob("*.rq")}
    kinds = [e["kind"] for e in built.manifest["inputs"]]
    assert kinds.count("query") == len(names)


def test_changed_saved_query_makes_the_build_stale(settings):
    build_dataset(settings)
    rq = next((settings.root / "queries").glob("*.rq"))
    rq.write_text(rq.read_text().replace("#+ summary: ", "#+ summary: Changed: ", 1))
    assert is_stale(settings)


def test_changed_docs_stylesheet_or_template_makes_the_build_stale(settings, tmp_path, monkeypatch):
    """The docs inline docs.css, which the app's CSP allows by its hash: a build made before it
    (or a docs template) changed is stale. Copies stand in for the package's own files."""
    templates = shutil.copytree(docs.TEMPLATES, tmp_path / "templates")
    stylesheet = templates / "docs.css"
    monkeypatch.setattr(docs, "TEMPLATES", templates)
    monkeypatch.setattr(docs, "STYLESHEET", stylesheet)
    build_dataset(settings)
    assert not is_stale(settings)
    for path in (stylesheet, *(templates / name for name in docs.TEMPLATE_NAMES)):
        original = path.read_bytes()
        path.write_bytes(original + b"\n")
        assert is_stale(settings), path.name
        path.write_bytes(original)
        assert not is_stale(settings), path.name
    stylesheet.write_text(stylesheet.read_text(encoding="utf-8") + "/* changed */\n", "utf-8")
    rebuilt = build_dataset(settings)
    assert rebuilt.built
    assert "/* changed */" in (dataset_dir(settings) / "ontology.html").read_text(encoding="utf-8")
    assert not is_stale(settings)


def test_manifest_allows_the_docs_inline_style_by_its_hash(built, tiny_settings):
    """The web app's Content-Security-Policy takes the docs' style source from the manifest."""
    for page in ("ontology.html", "shapes.html"):
        html = (dataset_dir(tiny_settings) / page).read_text(encoding="utf-8")
        (css,) = re.findall(r"<style>(.*?)</style>", html, re.DOTALL)
        digest = base64.b64encode(hashlib.sha256(css.encode("utf-8")).digest()).decode()
        assert built.manifest["docs_style"] == f"'sha256-{digest}'", page


def test_bad_saved_query_header_fails_the_build_and_writes_nothing(settings):
    from cakg.errors import QueryHeaderError

    (settings.root / "queries" / "broken.rq").write_text("#+ summary: [unclosed\nASK {}\n")
    with pytest.raises(QueryHeaderError) as info:
        build_dataset(settings)
    assert info.value.line == 1
    assert not (settings.out / "current").exists()


def test_ontology_and_shapes_docs_are_written_at_build_time(built, tiny_settings):
    current = dataset_dir(tiny_settings)
    ontology = (current / "ontology.html").read_text()
    shapes = (current / "shapes.html").read_text()
    assert "<html" in ontology and 'id="StateVisit"' in ontology
    assert "VisitShape" in shapes


def test_no_validate_skips_shacl_and_says_so(settings):
    shutil.copy(INVALID / "violation" / "visit-without-host.ttl", settings.root / "graph/sources")
    result = build_dataset(settings.replace(validate=False))
    assert result.built
    assert result.manifest["validation"]["skipped"] is True
    assert is_stale(settings)  # a validating build is a different build
