"""CONSTRUCT answers as a triples table and a node-link picture, over the project's own build."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from rdflib import RDF, RDFS, BNode, Literal, URIRef
from rdflib.term import Node

from cakg.build import BuildResult
from cakg.config import Settings
from cakg.engine import open_engine
from cakg.engine.base import Engine, QueryDataset
from cakg.hrefs import safe_href
from cakg.namespaces import BASE, ID, shorten, sparql_prologue
from cakg.queries import load_catalogue
from cakg.queries.bind import run_saved
from cakg.views import View
from cakg.views.base import VEGA_SCHEMA
from cakg.views.cells import sort_key
from cakg.views.graph import MAX_DETAILS, MAX_NODES, TripleRow, graph_view, triple_rows
from cakg.views.labels import Terms

from .conftest import REPO

Triple = tuple[Node, Node, Node]
SOURCES = sorted(p.stem for p in (REPO / "graph" / "sources").glob("*.ttl"))
ROOT = "/app"  # the app's SCRIPT_ROOT in these tests: links must keep it
LABELLED = """\
SELECT DISTINCT ?s WHERE {{
  VALUES ?s {{ {values} }} ?s rdfs:label|skos:prefLabel|dcterms:title ?l
}}
"""


@pytest.fixture(scope="module")
def real_engine(project_build: BuildResult, project_settings: Settings) -> Iterator[Engine]:
    engine = open_engine(project_settings)
    yield engine
    engine.close()


def statements(engine: Engine, source: str) -> list[Triple]:
    query = load_catalogue(REPO)["source-statements"]
    return run_saved(engine, query, {"source": [f"id:source/{source}"]}).result.triples


def answer(engine: Engine, triples: list[Triple]) -> tuple[list[TripleRow], View]:
    terms = Terms(BASE, script_root=ROOT)
    return triple_rows(engine, triples, terms), graph_view(engine, triples, terms)


@pytest.fixture(scope="module", params=SOURCES)
def drawn(request: pytest.FixtureRequest, real_engine: Engine) -> tuple[list[Triple], Any, Any]:
    triples = statements(real_engine, request.param)
    return (triples, *answer(real_engine, triples))


def labelled(engine: Engine, iris: set[str]) -> set[str]:
    values = " ".join(f"<{i}>" for i in sorted(iris))
    result = engine.query(
        sparql_prologue() + LABELLED.format(values=values), dataset=QueryDataset()
    )
    return {str(row[0]) for row in result.rows}


def exact(term: Node) -> str:
    return str(term) if isinstance(term, URIRef) else f"_:{term}" if isinstance(term, BNode) else ""


def test_the_view_is_declared() -> None:
    assert load_catalogue(REPO)["source-statements"].view == {"type": "graph"}


def test_every_triple_is_one_row(drawn: tuple[list[Triple], Any, Any]) -> None:
    triples, rows, _ = drawn
    assert len(triples) > 100
    assert len(rows) == len(set(triples)) == len(triples)
    got = Counter((r.subject.title, r.property.title) for r in rows)
    assert got == Counter((exact(s), exact(p)) for s, p, _ in triples)
    keys = [(sort_key(r.subject), sort_key(r.property), sort_key(r.object)) for r in rows]
    assert keys == sorted(keys)
    literals = Counter(str(o) for _, _, o in triples if isinstance(o, Literal))
    objects = [r.object for r in rows if r.object.kind not in ("iri", "blank")]
    assert Counter(c.title if c.title is not None else c.text for c in objects) == literals


def test_labels_are_words(drawn: tuple[list[Triple], Any, Any], real_engine: Engine) -> None:
    triples, rows, _ = drawn
    iris = {str(t) for triple in triples for t in triple if isinstance(t, URIRef)}
    named = labelled(real_engine, iris)
    assert len(named) > 20
    cells = [c for r in rows for c in (r.subject, r.property, r.object) if c.kind == "iri"]
    for cell in cells:
        if cell.title in named:
            assert cell.text != shorten(cell.title), cell
            assert not cell.text.startswith(("id:", "cakg:", "<")), cell
    assert "value" in {r.property.text for r in rows if r.property.title.endswith("#value")}


def test_numbers_are_shortened_with_the_exact_value_kept(
    drawn: tuple[list[Triple], Any, Any],
) -> None:
    _, rows, _ = drawn
    numbers = [r.object for r in rows if r.object.kind == "number"]
    assert numbers
    for cell in numbers:
        assert cell.title is not None and cell.note in ("number", "whole number"), cell
        if float(cell.title) >= 1e9:
            assert re.fullmatch(r"[0-9.]+ bn", cell.text), cell


def test_hrefs_are_local_paths_and_never_scripts(drawn: tuple[list[Triple], Any, Any]) -> None:
    _, rows, view = drawn
    cells = [c for r in rows for c in (r.subject, r.property, r.object)]
    hrefs = [(c.title or "", c.href) for c in cells] + [(n["iri"], n["href"]) for n in nodes(view)]
    for iri, href in hrefs:
        if iri.startswith(BASE):
            assert href == f"{ROOT}/{iri[len(BASE) :]}"
        if href is not None:
            assert safe_href(href) == href and not href.lower().startswith("javascript:")
    assert all(c.href is None for c in cells if c.kind not in ("iri",))


def nodes(view: View) -> list[dict[str, Any]]:
    assert view.spec is not None
    data = {d["name"]: d["values"] for d in view.spec["data"]}
    found: list[dict[str, Any]] = data["node-data"]
    return found


def links(view: View) -> list[dict[str, Any]]:
    assert view.spec is not None
    data = {d["name"]: d["values"] for d in view.spec["data"]}
    found: list[dict[str, Any]] = data["link-data"]
    return found


def drawn_triples(view: View) -> Counter[tuple[str, str, str]]:
    """(subject, predicate, object) of every triple the links draw; indices must be nodes."""
    by_index = {n["index"]: n["iri"] for n in nodes(view)}
    assert sorted(by_index) == list(range(len(by_index)))
    return Counter(
        (by_index[link["source"]], predicate, by_index[link["target"]])
        for link in links(view)
        for predicate in link["predicates"]
    )


def test_every_iri_to_iri_triple_is_a_link(drawn: tuple[list[Triple], Any, Any]) -> None:
    triples, _, view = drawn
    assert view.kind == "graph" and view.spec is not None
    assert view.spec["$schema"] == VEGA_SCHEMA
    between = Counter(
        (exact(s), str(p), exact(o))
        for s, p, o in triples
        if isinstance(o, URIRef | BNode) and p != RDF.type
    )
    assert drawn_triples(view) == between
    assert view.marks == len(links(view)) <= len(between)
    assert {n["iri"] for n in nodes(view)} == {exact(s) for s, _, _ in triples} | {
        exact(o) for _, p, o in triples if isinstance(o, URIRef | BNode) and p != RDF.type
    }
    json.dumps(view.spec)  # inline data only: nothing that JSON cannot carry


def test_types_colour_the_nodes_and_show_in_their_tooltips(
    drawn: tuple[list[Triple], Any, Any],
) -> None:
    triples, rows, view = drawn
    by_iri = {n["iri"]: n for n in nodes(view)}
    type_labels = {r.object.title: r.object.text for r in rows if r.property.title == str(RDF.type)}
    for s, p, o in triples:
        if p == RDF.type:
            assert type_labels[str(o)] in by_iri[exact(s)]["tip"]["type"]
    assert {n["type"] for n in nodes(view)} >= {"state", "person"}
    for node in nodes(view):
        title = node["tip"]["title"]
        assert title == node["label"] or (
            title.endswith("…") and node["label"].startswith(title[:-1]) and len(title) <= 70
        )


def test_counts_in_the_notes_add_up(drawn: tuple[list[Triple], Any, Any]) -> None:
    triples, _, view = drawn
    assert view.spec is not None
    counts = view.spec["usermeta"]["cakg"]["triples"]
    assert sum(counts.values()) == len(triples)
    assert counts["linked"] == sum(drawn_triples(view).values())
    said = [int(re.match(r"\d+", note).group()) for note in view.notes]  # type: ignore[union-attr]
    assert sum(said) == len(triples)
    assert said[0] == counts["linked"] and said[1] == counts["details"]
    assert f"{len(links(view))} links" in view.notes[0] and f"{len(triples)} statements" in (
        view.caption
    )


def test_a_large_answer_draws_the_most_connected_nodes(real_engine: Engine) -> None:
    """Past MAX_NODES nodes, the most connected are drawn; the notes say what is left out."""
    hub, value = ID["thing/hub"], URIRef(BASE + "ontology#value")
    spokes = [ID[f"thing/spoke-{i:03}"] for i in range(MAX_NODES + 40)]
    triples: list[Triple] = [(hub, RDFS.seeAlso, s) for s in spokes]
    triples += [(spokes[i], RDFS.seeAlso, spokes[i + 1]) for i in range(0, 20)]
    triples += [(s, value, Literal(i)) for i, s in enumerate(spokes[:5])]
    triples.append((hub, RDF.type, URIRef(BASE + "ontology#State")))
    rows, view = answer(real_engine, triples)
    assert len(rows) == len(triples)
    assert len(nodes(view)) == MAX_NODES
    drawn = {n["iri"] for n in nodes(view)}
    assert str(hub) in drawn and {str(s) for s in spokes[:21]} <= drawn
    assert view.spec is not None
    counts = view.spec["usermeta"]["cakg"]["triples"]
    assert sum(counts.values()) == len(triples) and counts["omitted"] > 0
    assert f"{len(spokes) + 1 - MAX_NODES} less connected nodes are left out" in view.notes[2]
    said = [int(re.match(r"\d+", note).group()) for note in view.notes]  # type: ignore[union-attr]
    assert sum(said) == len(triples)


def test_blank_nodes_and_script_iris(real_engine: Engine) -> None:
    a, b = BNode("x1"), BNode("x2")
    script = URIRef("javascript:alert(1)")
    kaz = ID["state/kazakhstan"]
    triples: list[Triple] = [
        (a, RDFS.seeAlso, b),
        (b, RDFS.seeAlso, kaz),
        (a, RDFS.seeAlso, script),
        (a, RDFS.label, Literal("a thing", lang="en")),
    ]
    rows, view = answer(real_engine, triples)
    by_iri = {n["iri"]: n for n in nodes(view)}
    assert by_iri["_:x1"]["label"] == "blank node 1" and by_iri["_:x1"]["href"] is None
    assert by_iri[str(script)]["href"] is None
    assert by_iri[str(kaz)]["label"] == "Kazakhstan"
    assert by_iri[str(kaz)]["href"] == f"{ROOT}/id/state/kazakhstan"
    assert {r.subject.text for r in rows} == {"blank node 1", "blank node 2"}
    assert [r.object.text for r in rows if r.subject.text == "blank node 2"] == ["Kazakhstan"]
    assert by_iri[str(kaz)]["type"] == "state"  # known from the graph, not the answer
    assert drawn_triples(view) == Counter(
        [("_:x1", str(RDFS.seeAlso), "_:x2"), ("_:x2", str(RDFS.seeAlso), str(kaz)),
         ("_:x1", str(RDFS.seeAlso), str(script))]
    )  # fmt: skip


def test_an_empty_answer_draws_nothing(real_engine: Engine) -> None:
    rows, view = answer(real_engine, [])
    assert rows == [] and view.spec is None and view.marks == 0 and view.caption


def test_a_node_shows_a_few_values_and_the_notes_count_the_rest(real_engine: Engine) -> None:
    thing, other, value = ID["thing/many"], ID["thing/other"], URIRef(BASE + "ontology#value")
    triples: list[Triple] = [(thing, value, Literal(i)) for i in range(MAX_DETAILS + 3)]
    triples += [(thing, RDFS.seeAlso, other), (thing, RDFS.label, Literal("Many", lang="en"))]
    _, view = answer(real_engine, triples)
    tip = next(n["tip"] for n in nodes(view) if n["iri"] == str(thing))
    assert tip["title"] == "Many" and tip["value"].count(";") == MAX_DETAILS - 1
    assert view.spec is not None
    assert view.spec["usermeta"]["cakg"]["triples"] == {"linked": 1, "details": 7, "omitted": 3}
    assert view.notes[2].startswith("3 statements not drawn (3 values past the first 6 of a node)")
