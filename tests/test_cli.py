import csv
import io
import json
import shutil

import pytest
from rdflib import Graph
from rdflib.namespace import SH

from cakg.namespaces import BASE
from cakg.release import load_manifest

from .conftest import INVALID


def test_build_then_up_to_date(run_cli, settings):
    first = run_cli("--root", str(settings.root), "build")
    assert first.code == 0, first.err
    assert first.out.startswith("built: version ")
    assert "validated: conforms" in first.err
    # the sum over the named graphs is statements, not triples: a triple in two graphs counts
    # twice there, once in VoID's void:triples (the home page said the sum, as "triples")
    manifest = load_manifest(settings)
    assert (
        f"{manifest['triples']} statements in {len(manifest['graphs'])} named graphs" in first.out
    )
    second = run_cli("--root", str(settings.root), "build")
    assert second.code == 0
    assert second.out.startswith("up to date: version ")
    assert "nothing changed" in second.err


def test_syntax_error_exits_2_with_file_line_and_no_traceback(run_cli, settings):
    shutil.copy(INVALID / "syntax" / "broken.ttl", settings.root / "graph" / "sources")
    result = run_cli("--root", str(settings.root), "build")
    assert result.code == 2
    first_line = result.err.strip().splitlines()[-1]
    assert first_line.startswith("cakg: error: graph/sources/broken.ttl:6:")
    assert first_line.endswith("A dot is expected at the end of statements")  # pyoxigraph's words
    assert "Traceback" not in result.err + result.out
    assert not (settings.out / "current").exists()


def test_shape_violation_exits_1_with_readable_report(run_cli, settings):
    shutil.copy(INVALID / "violation" / "visit-without-host.ttl", settings.root / "graph/sources")
    result = run_cli("--root", str(settings.root), "build")
    assert result.code == 1
    assert "focus node: id:visit/hostless" in result.err
    assert "path:       cakg:host" in result.err
    assert "A Visit needs exactly one cakg:host that is a State." in result.err
    assert "asserted in: graph/sources/visit-without-host.ttl" in result.err
    assert "nothing was written" in result.err
    assert "Traceback" not in result.err


def test_validate_project_conforms(run_cli, settings):
    result = run_cli("--root", str(settings.root), "validate")
    assert result.code == 0
    assert result.out.startswith("SHACL validation: conforms")


def test_validate_given_file_reports_in_each_format(run_cli, settings):
    bad = str(INVALID / "violation" / "visit-without-host.ttl")
    text = run_cli("--root", str(settings.root), "validate", bad)
    assert text.code == 1 and "2 violations" in text.out
    as_json = run_cli("--root", str(settings.root), "validate", "--format", "json", bad)
    assert as_json.code == 1
    assert json.loads(as_json.out)["counts"]["Violation"] == 2
    as_ttl = run_cli("--root", str(settings.root), "validate", "--format", "turtle", bad)
    g = Graph().parse(data=as_ttl.out, format="turtle")
    assert len(set(g.subjects(None, SH.ValidationResult))) == 2


def test_validate_missing_file_is_a_user_error(run_cli, settings):
    result = run_cli("--root", str(settings.root), "validate", "nope.ttl")
    assert result.code == 2
    assert result.err.strip() == "cakg: error: nope.ttl: no such file"


def test_unknown_command_and_option_are_usage_errors(run_cli, settings):
    assert run_cli("frobnicate").code == 2
    result = run_cli("--root", str(settings.root), "build", "--bogus")
    assert result.code == 2
    assert "No such option '--bogus'" in result.err


def test_root_without_ontology_is_a_user_error(run_cli, tmp_path):
    result = run_cli("--root", str(tmp_path), "build")
    assert result.code == 2
    assert "no ontology found" in result.err


def test_bad_environment_setting_names_the_variable(run_cli, monkeypatch, settings):
    monkeypatch.setenv("CAKG_MAX_ROWS", "lots")
    result = run_cli("--root", str(settings.root), "build")
    assert result.code == 2
    assert "CAKG_MAX_ROWS" in result.err


def test_query_without_a_build_says_to_build(run_cli, settings):
    result = run_cli("--root", str(settings.root), "query", "ASK {}")
    assert result.code == 2
    assert "run `cakg build` first" in result.err


def test_serve_on_a_busy_port_is_a_clean_error(run_cli, settings):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_cli("--root", str(settings.root), "serve", "--port", str(port))
    assert result.code == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.err
    assert "Traceback" not in result.err


def test_query_table_csv_json_and_ask(run_cli, built, tiny_settings):
    root = str(tiny_settings.root)
    q = (
        "PREFIX cakg: <https://w3id.org/cakg/ontology#> "
        "SELECT ?a ?b WHERE { ?a cakg:partnerOf ?b } ORDER BY ?a"
    )
    table = run_cli("--root", root, "query", q)
    assert table.code == 0, table.err
    lines = table.out.splitlines()
    assert lines[1].split() == ["|", "a", "|", "b", "|"]
    assert "| id:state/kazakhstan | id:state/uzbekistan |" in lines
    assert lines[-1] == "2 rows"
    as_csv = run_cli("--root", root, "query", "--format", "csv", q)
    assert list(csv.reader(io.StringIO(as_csv.out)))[1] == [
        "https://w3id.org/cakg/id/state/kazakhstan",
        "https://w3id.org/cakg/id/state/uzbekistan",
    ]
    as_json = json.loads(run_cli("--root", root, "query", "--format", "json", q).out)
    assert len(as_json["results"]["bindings"]) == 2
    asked = run_cli("--root", root, "query", "ASK { ?s ?p ?o }")
    assert asked.out == "true\n"


def test_query_asserted_only_drops_inferred_answers(run_cli, built, tiny_settings):
    q = "PREFIX cakg: <https://w3id.org/cakg/ontology#> SELECT ?a WHERE { ?a cakg:partnerOf ?b }"
    root = str(tiny_settings.root)
    assert run_cli("--root", root, "query", q).out.splitlines()[-1] == "2 rows"
    assert run_cli("--root", root, "query", "--no-inference", q).out.splitlines()[-1] == "1 row"


def test_query_from_file_and_bad_query(run_cli, built, tiny_settings, tmp_path):
    rq = tmp_path / "q.rq"
    rq.write_text("SELECT ?s WHERE {\n  ?s ?p \n")
    result = run_cli("--root", str(tiny_settings.root), "query", "-f", str(rq))
    assert result.code == 2
    assert result.err.startswith("cakg: error: ")
    assert "line 3" in result.err
    assert "Traceback" not in result.err
    both = run_cli("--root", str(tiny_settings.root), "query", "ASK {}", "-f", str(rq))
    assert both.code == 2


def test_stats_counts_graphs_classes_and_properties(run_cli, built, tiny_settings):
    result = run_cli("--root", str(tiny_settings.root), "stats")
    assert result.code == 0, result.err
    out = result.out
    doc = next(line for line in out.splitlines() if line.startswith("graph/sources/doc-1 "))
    assert int(doc.split()[-1]) == built.manifest["graphs"][BASE + "graph/sources/doc-1"]
    total = next(line for line in out.splitlines() if line.startswith("total"))
    assert int(total.split()[-1]) == built.manifest["triples"]
    assert "cakg:State" in out and "cakg:partnerOf" in out


@pytest.fixture
def serve_calls(monkeypatch):
    """`cakg serve` up to the server: the settings it would serve with (the server not run)."""
    import cakg.web.server

    calls = []
    monkeypatch.setattr(cakg.web.server, "serve", calls.append)
    return calls


def test_serve_with_a_broken_source_serves_the_last_good_release(run_cli, settings, serve_calls):
    built = run_cli("--root", str(settings.root), "build", "-q")
    assert built.code == 0
    version = load_manifest(settings)["version"]
    shutil.copy(INVALID / "syntax" / "broken.ttl", settings.root / "graph" / "sources")
    result = run_cli("--root", str(settings.root), "serve")
    assert result.code == 0, result.err
    assert len(serve_calls) == 1
    warnings = [w for w in result.err.splitlines() if w.startswith("cakg: warning: ")]
    assert len(warnings) == 2
    assert warnings[0].startswith("cakg: warning: the last build failed (at ")
    assert warnings[0].endswith(
        "): graph/sources/broken.ttl:6:54: A dot is expected at the end of statements"
    )
    assert warnings[1].startswith(
        f"cakg: warning: serving the last good release instead: version {version} (built at "
    )
    assert "Traceback" not in result.err
    assert load_manifest(settings)["version"] == version


def test_serve_with_non_conforming_data_prints_the_report_and_serves_the_release(
    run_cli, settings, serve_calls
):
    assert run_cli("--root", str(settings.root), "build", "-q").code == 0
    shutil.copy(INVALID / "violation" / "visit-without-host.ttl", settings.root / "graph/sources")
    result = run_cli("--root", str(settings.root), "serve")
    assert result.code == 0 and len(serve_calls) == 1
    assert "asserted in: graph/sources/visit-without-host.ttl" in result.err
    assert "cakg: warning: the last build failed (at " in result.err
    assert "): graph/sources/visit-without-host.ttl: the data does not conform" in result.err


def test_serve_with_a_broken_source_and_no_release_exits_2(run_cli, settings, serve_calls):
    shutil.copy(INVALID / "syntax" / "broken.ttl", settings.root / "graph" / "sources")
    result = run_cli("--root", str(settings.root), "serve")
    assert result.code == 2
    last = result.err.strip().splitlines()[-1]
    assert last.startswith("cakg: error: graph/sources/broken.ttl:6:")
    assert "Traceback" not in result.err
    assert serve_calls == []


def test_serve_no_build_serves_the_current_release_as_it_is(run_cli, settings, serve_calls):
    assert run_cli("--root", str(settings.root), "build", "-q").code == 0
    before = load_manifest(settings)
    doc = settings.root / "graph" / "sources" / "doc-1.ttl"
    doc.write_text(doc.read_text().replace("Test state visit", "Changed"))
    result = run_cli("--root", str(settings.root), "serve", "--no-build")
    assert result.code == 0, result.err
    assert len(serve_calls) == 1
    assert result.err == ""  # nothing built, nothing to warn about
    assert load_manifest(settings) == before


def test_serve_no_build_without_a_release_is_a_clean_error(run_cli, settings, serve_calls):
    result = run_cli("--root", str(settings.root), "serve", "--no-build")
    assert result.code == 2
    assert result.err.strip() == (
        f"cakg: error: no compiled dataset in {settings.out}: run `cakg build` first"
    )
    assert serve_calls == []


def test_search_finds_by_any_label(run_cli, project_build, project_settings):
    root = ("--root", str(project_settings.root), "--build-dir", str(project_settings.out))
    text = run_cli(*root, "search", "Мирзиёев", "--type", "cakg:Person")
    assert text.code == 0
    assert text.out.split()[1] == "id:person/shavkat-mirziyoyev"
    assert "matched 'Шавкат Мирзиёев'@ru" in text.out
    found = run_cli(*root, "search", "Kazakstan", "--limit", "2", "--format", "json")
    body = json.loads(found.out)
    assert [r["iri"] for r in body["results"]][:1] == [BASE + "id/state/kazakhstan"]
    assert len(body["results"]) == 2 and not body["results"][0]["exact"]


def test_search_refuses_what_is_not_a_class(run_cli, project_build, project_settings):
    root = ("--root", str(project_settings.root), "--build-dir", str(project_settings.out))
    result = run_cli(*root, "search", "Kazakhstan", "--type", "id:state/kazakhstan")
    assert result.code == 2 and result.out == ""
    assert "parameter 'type'" in result.err and "Traceback" not in result.err
    nothing = run_cli(*root, "search", "qqqqqqqqqqqq")
    assert nothing.code == 0 and nothing.out == "" and "nothing matches" in nothing.err
