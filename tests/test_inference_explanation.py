"""Why an inferred fact holds (issue 20, item 4): cakg.inference_explanation on real releases,
and the "why?" beside each inferred value of the resource pages.

On the tiny build, on every engine (oxigraph, rdflib, remote), each rule the tiny ontology uses
gives the explanation its hand-written triples call for. On the project's build (in process and
remote): every inferred fact of the pages of a state, a person, a visit and a document is
explained; each explanation is checked against the release read by rdflib (its rule concludes
the fact from its axiom and premises, the axiom is the ontology's, and every premise is held in
exactly the graphs it is said to be, so none is called asserted that is only inferred). With an
axiom taken out of a release, the fact it gave is "rule not identified", not an error.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from rdflib import RDF, Dataset, Graph, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.namespace import OWL, RDFS
from rdflib.term import Identifier, Node

from cakg import inference_explanation
from cakg.build import BuildResult
from cakg.config import Settings
from cakg.engine import Engine, QueryResult, load_engine, open_engine
from cakg.engine.base import QueryDataset
from cakg.inference_explanation import Explanation, explain_inferences
from cakg.namespaces import CAKG, GRAPH, ID, INFERRED_GRAPH, ONTOLOGY_GRAPH, REFERENCE_GRAPH
from cakg.ontology_axioms import load_axioms
from cakg.release import dataset_dir
from cakg.resource_description import Description, Statement, describe_resource
from cakg.resource_facts import fold_facts, types_folded
from cakg.web import create_app
from cakg.web.inference_view import NOT_IDENTIFIED
from cakg.web.resource_page import shown_statements

Triple = tuple[Node, Node, Node]
SDO_COUNTRY = URIRef("https://schema.org/Country")
KZ, UZ = ID["state/kazakhstan"], ID["state/uzbekistan"]
TOKAYEV, PUTIN = ID["person/kassym-jomart-tokayev"], ID["person/vladimir-putin"]
PUTIN_VISIT = ID["visit/putin-state-visit-kazakhstan-2024"]
TINY_VISIT, ASTANA, AKMOLA = ID["visit/tiny-2021"], ID["city/astana"], ID["region/akmola"]
DOC_GRAPH, REFERENCE = str(GRAPH["sources/doc-1"]), str(REFERENCE_GRAPH)
PAGE_CLASSES = (CAKG.State, CAKG.Person, CAKG.Visit, CAKG.Document)


def page_path(iri: Node) -> str:
    return "/page/" + str(iri).removeprefix(str(ID))


def inferred_triples(d: Description) -> list[Triple]:
    return [(st.subject, st.predicate, st.object) for st in (*d.statements, *d.backlinks)
            if st.inferred]  # fmt: skip


def premises(e: Explanation) -> list[Triple]:
    return [(p.subject, p.predicate, p.object) for p in e.premises]


def graphs_holding(ds: Dataset, triple: Triple) -> set[str]:
    found = {str(g.identifier) for g in ds.contexts(triple)}  # type: ignore[arg-type]
    return found - {str(DATASET_DEFAULT_GRAPH_ID)}


def concludes(target: Triple, e: Explanation) -> bool:
    """True when e's rule gives `target` from e's axiom and premises (OWL 2 RL, one step)."""
    s, p, o = target
    got = premises(e)
    ax = e.axiom
    pair = {ax.subject, *ax.objects} if ax is not None else set()
    q = next(iter(pair - {p, o}), None)  # the axiom's other term
    first = got[0] if got else (None, None, None)  # the free end of a premise is read off it
    mid = first[2]
    expected: dict[str, list[Triple]] = {
        "subPropertyOf": [(s, q, o)] if ax and ax.objects == [p] else [],
        "equivalentProperty": [(s, q, o)] if p in pair else [],
        "inverseOf": [(o, q, s)] if p in pair else [],
        "SymmetricProperty": [(o, p, s)] if ax and ax.objects == [OWL.SymmetricProperty] else [],
        "TransitiveProperty": [(s, p, mid), (mid, p, o)]
        if ax and ax.objects == [OWL.TransitiveProperty]
        else [],
        "domain": [(s, q, first[2])] if p == RDF.type and ax and ax.objects == [o] else [],
        "range": [(first[0], q, s)] if p == RDF.type and ax and ax.objects == [o] else [],
        "subClassOf": [(s, RDF.type, q)] if p == RDF.type and ax and ax.objects == [o] else [],
        "equivalentClass": [(s, RDF.type, q)] if p == RDF.type and o in pair else [],
        "sameAsSymmetric": [(o, OWL.sameAs, s)] if p == OWL.sameAs else [],
    }
    if e.rule == "propertyChainAxiom":
        steps = [t[1] for t in got]
        linked = all(got[i][2] == got[i + 1][0] for i in range(len(got) - 1))
        return bool(ax and ax.subject == p and ax.objects == steps and linked and got
                    and got[0][0] == s and got[-1][2] == o)  # fmt: skip
    return bool(got) and got == expected.get(e.rule)


def check(target: Triple, e: Explanation | None, ds: Dataset) -> None:
    """The explanation holds in the release `ds`: its rule, its axiom, its premises' graphs."""
    assert e is not None, f"no explanation for {target}"
    assert concludes(target, e), (target, e)
    assert target not in premises(e)
    for premise, triple in zip(e.premises, premises(e), strict=True):
        held = graphs_holding(ds, triple)
        assert set(premise.graphs) == held, (triple, premise.graphs, held)
        assert premise.asserted == bool(held - {str(INFERRED_GRAPH)}), triple
    if e.axiom is not None and e.rule != "propertyChainAxiom":
        axiom = (e.axiom.subject, e.axiom.predicate, e.axiom.objects[0])
        held = graphs_holding(ds, axiom)
        assert held & {str(ONTOLOGY_GRAPH), str(INFERRED_GRAPH)}, axiom
        assert e.axiom.entailed == (str(ONTOLOGY_GRAPH) not in held), axiom


class Whys(HTMLParser):
    """The inferred values of a page and their "why?": per value, the href of the value, the
    rule's name, the links of the axiom, and per premise its links and whether it is inferred
    (or, for a value without explanation, the note)."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.values: list[dict[str, Any]] = []
        self.inferred_values = 0
        self._value: dict[str, Any] | None = None
        self._in: list[str] = []  # "why", "rule", "premise", "note"
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if "why" not in self._in and tag in ("dd", "li") and "inferred" in classes:
            self.inferred_values += 1
            self._value = {"href": None, "rule": "", "axiom": [], "premises": [], "note": ""}
            self.values.append(self._value)
        elif self._value is None:
            return
        elif tag == "details" and "why" in classes:
            self._in.append("why")
        elif tag == "p" and "rule" in classes:
            self._in.append("note" if "not-identified" in classes else "rule")
            self._value["rule"] = a.get("data-rule") or ""
        elif tag == "li" and "why" in self._in:
            self._value["premises"].append({"links": [], "inferred": "inferred" in classes})
            self._in.append("premise")
        elif tag == "a" and a.get("href"):
            if "premise" in self._in:
                self._value["premises"][-1]["links"].append(a["href"])
            elif "rule" in self._in:
                self._value["axiom"].append(a["href"])
            elif "why" not in self._in and self._value["href"] is None:
                self._value["href"] = a["href"]

    def handle_endtag(self, tag: str) -> None:
        closing = {"details": ("why",), "p": ("rule", "note"), "li": ("premise",)}
        if self._in and self._in[-1] in closing.get(tag, ()):
            self._in.pop()
            if tag == "details":
                self._value = None

    def handle_data(self, data: str) -> None:
        if self._value is not None and self._in and self._in[-1] == "note":
            self._value["note"] += " ".join(data.split())


# ---------------------------------------------------------------- the tiny build, every engine


def test_each_rule_of_the_tiny_ontology_on_every_engine(any_engine: Engine) -> None:
    expected = {  # inferred triple: (rule, axiom as a triple, premises and their graphs)
        (KZ, CAKG.hosted, TINY_VISIT): (
            "inverseOf",
            (CAKG.hosted, OWL.inverseOf, CAKG.host),
            [((TINY_VISIT, CAKG.host, KZ), [DOC_GRAPH])],
        ),
        (TINY_VISIT, CAKG.participant, KZ): (
            "subPropertyOf",
            (CAKG.host, RDFS.subPropertyOf, CAKG.participant),
            [((TINY_VISIT, CAKG.host, KZ), [DOC_GRAPH])],
        ),
        (KZ, CAKG.partnerOf, UZ): (
            "SymmetricProperty",
            (CAKG.partnerOf, RDF.type, OWL.SymmetricProperty),
            [((UZ, CAKG.partnerOf, KZ), [REFERENCE])],
        ),
        (ASTANA, CAKG.locatedIn, KZ): (
            "TransitiveProperty",
            (CAKG.locatedIn, RDF.type, OWL.TransitiveProperty),
            [
                ((ASTANA, CAKG.locatedIn, AKMOLA), [REFERENCE]),
                ((AKMOLA, CAKG.locatedIn, KZ), [REFERENCE]),
            ],
        ),
        (TINY_VISIT, RDF.type, CAKG.Visit): (
            "subClassOf",
            (CAKG.StateVisit, RDFS.subClassOf, CAKG.Visit),
            [((TINY_VISIT, RDF.type, CAKG.StateVisit), [DOC_GRAPH])],
        ),
    }
    found = explain_inferences(any_engine, list(expected))
    for target, (rule, axiom, held) in expected.items():
        e = found[target]
        assert e is not None, target
        assert e.axiom is not None
        got_axiom = (e.axiom.subject, e.axiom.predicate, e.axiom.objects[0])
        assert (e.rule, got_axiom, e.axiom.entailed) == (rule, axiom, False)
        assert [(t, p.graphs) for t, p in zip(premises(e), e.premises, strict=True)] == held


def test_a_pooled_page_shows_why_beside_the_inferred_value(client: FlaskClient) -> None:
    """Through the worker pool (embedded) and a remote store: the queries pass the guard."""
    page = Whys(client.get("/page/state/kazakhstan").text)
    assert page.inferred_values == len(page.values) > 0
    within = next(v for v in page.values if v["rule"] == "owl:TransitiveProperty")
    assert within["href"] == page_path(ASTANA)
    assert within["axiom"] == ["/ontology#locatedIn", str(OWL.TransitiveProperty)]
    first, second = within["premises"]
    assert not first["inferred"] and not second["inferred"]
    assert first["links"][:3] == [page_path(ASTANA), "/ontology#locatedIn", page_path(AKMOLA)]
    assert second["links"][:3] == [page_path(AKMOLA), "/ontology#locatedIn", page_path(KZ)]
    # `kz hosted visit` (inferred, the inverse of the visit's asserted host) is not a fact of
    # its own: the visit is shown once, as the asserted statement, so there is nothing to explain
    assert all(v["href"] != page_path(TINY_VISIT) for v in page.values)


def without_axioms(nquads: Path, target: Path, predicate: URIRef) -> Path:
    """A copy of a release's N-Quads without the ontology's axioms of `predicate`."""
    ds = Dataset()
    ds.parse(nquads, format="nquads")
    ds.graph(ONTOLOGY_GRAPH).remove((None, predicate, None))
    ds.serialize(target, format="nquads")
    return target


def test_an_inferred_fact_without_its_axiom_is_rule_not_identified(
    built: BuildResult, tiny_settings: Settings, tmp_path: Path
) -> None:
    nquads = without_axioms(
        dataset_dir(tiny_settings) / "cakg.nq", tmp_path / "cakg.nq", OWL.inverseOf
    )
    engine = load_engine("oxigraph", nquads, "without-inverse")
    try:
        hosted = (KZ, CAKG.hosted, TINY_VISIT)
        made_up = (KZ, CAKG.noSuchProperty, UZ)  # in no graph, concluded by no rule
        found = explain_inferences(engine, [hosted, made_up, (ASTANA, CAKG.locatedIn, KZ)])
        assert found[hosted] is None
        assert found[made_up] is None
        assert found[(ASTANA, CAKG.locatedIn, KZ)] is not None  # the other rules still work
        app = create_app(tiny_settings, {"TESTING": True, "CAKG_ENGINE": engine})
        page = Whys(app.test_client().get("/page/state/kazakhstan").text)
        [value] = [v for v in page.values if v["note"]]
        # without the inverse axiom, `hosted` is a second link to the visit: shown beside the
        # asserted host, in words that link to the property, and not explained
        assert value["href"] == "/ontology#hosted"
        assert (value["rule"], value["note"], value["premises"]) == ("", NOT_IDENTIFIED, [])
    finally:
        engine.close()


class CountingEngine:
    """An engine that counts the queries it passes on."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.queries = 0

    def query(
        self,
        sparql: str,
        *,
        dataset: QueryDataset | None = None,
        bindings: Mapping[str, Identifier] | None = None,
        max_rows: int | None = None,
        timeout: float | None = None,
    ) -> QueryResult:
        self.queries += 1
        return self.engine.query(
            sparql, dataset=dataset, bindings=bindings, max_rows=max_rows, timeout=timeout
        )

    def __getattr__(self, name: str) -> Any:
        return getattr(self.engine, name)


# ---------------------------------------------------------------- the project's build


@pytest.fixture(scope="module")
def busiest(project_dataset: Dataset) -> list[URIRef]:
    """For each of PAGE_CLASSES, its member with the most inferred triples on its page."""
    counts: dict[Node, int] = {}
    for s, _p, o in project_dataset.graph(INFERRED_GRAPH):
        for node in (s, o):
            counts[node] = counts.get(node, 0) + 1
    chosen = []
    for cls in PAGE_CLASSES:
        members = [m for m in project_dataset.subjects(RDF.type, cls) if isinstance(m, URIRef)]
        chosen.append(max(members, key=lambda m: (counts.get(m, 0), str(m))))
    return chosen


@pytest.fixture(scope="module")
def project_oxigraph(project_build: BuildResult, project_settings: Settings) -> Iterator[Engine]:
    """The project's build in this process (pyoxigraph)."""
    engine = open_engine(project_settings)
    yield engine
    engine.close()


def test_the_queries_are_a_few_per_page_not_one_per_fact(project_oxigraph: Engine) -> None:
    counting = CountingEngine(project_oxigraph)
    inferred = inferred_triples(describe_resource(project_oxigraph, str(KZ)))
    explained = explain_inferences(counting, inferred)
    assert all(explained.values())
    # the chains, the ways, the graphs (of up to 250 premises and axioms a query): a few
    assert counting.queries <= 4 < len(inferred) / 10
    capped = explain_inferences(project_oxigraph, inferred, max_explained=10)
    assert list(capped) == inferred[:10]


def test_a_page_past_the_cap_explains_the_first_and_counts_the_rest(
    project_build: BuildResult,
    project_settings: Settings,
    project_oxigraph: Engine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(inference_explanation, "MAX_EXPLAINED", 10)
    d = describe_resource(project_oxigraph, str(KZ), explain=True)
    shown = shown_inferred(d, project_oxigraph)
    explained = len(
        {(st.subject, st.predicate, st.object) for st in shown_statements_of(d, project_oxigraph)
         if st.inferred} & d.explanations.keys()
    )  # fmt: skip
    app = create_app(project_settings, {"TESTING": True, "CAKG_ENGINE": project_oxigraph})
    html = app.test_client().get(page_path(KZ)).text
    page = Whys(html)
    assert page.inferred_values == shown > 10
    assert 0 < len([v for v in page.values if v["premises"]]) == explained < shown
    assert f"{shown - explained} of them are not" in " ".join(html.split())


def shown_statements_of(d: Description, engine: Engine) -> list[Statement]:
    """The statements a page shows: one per fact (cakg.resource_facts), and its types."""
    axioms = load_axioms(engine)
    main, implied = types_folded(d, axioms)
    return shown_statements(fold_facts(d, axioms), [*main, *implied])


def shown_inferred(d: Description, engine: Engine) -> int:
    """How many inferred values a page shows, each fact once."""
    return sum(st.inferred for st in shown_statements_of(d, engine))


def project_engine(client: FlaskClient) -> Engine:
    engine: Engine = client.application.config["CAKG_ENGINE"]
    return engine


def test_every_inferred_fact_of_real_pages_is_explained(
    project_client: FlaskClient, project_dataset: Dataset, busiest: list[URIRef]
) -> None:
    for iri in busiest:
        d = describe_resource(project_engine(project_client), str(iri), explain=True)
        inferred = inferred_triples(d)
        assert inferred, iri
        for target in inferred:
            check(target, d.explanations[target], project_dataset)
        page = Whys(project_client.get(page_path(iri)).text)
        shown = shown_inferred(d, project_engine(project_client))
        assert page.inferred_values == len(page.values) == shown > 0, iri
        assert [v for v in page.values if v["note"] or not v["premises"]] == [], iri


def test_rdflib_explains_the_state_page(
    project_build: BuildResult, project_settings: Settings, project_dataset: Dataset
) -> None:
    engine = open_engine(project_settings.replace(engine="rdflib"))
    try:
        d = describe_resource(engine, str(KZ), explain=True)
        for target in inferred_triples(d):
            check(target, d.explanations[target], project_dataset)
    finally:
        engine.close()


@pytest.fixture(scope="module")
def kazakhstan(project_client: FlaskClient) -> Iterator[tuple[Description, Whys]]:
    d = describe_resource(project_engine(project_client), str(KZ), explain=True)
    yield d, Whys(project_client.get(page_path(KZ)).text)


def test_a_state_was_visited_by_a_property_chain(
    kazakhstan: tuple[Description, Whys], project_client: FlaskClient
) -> None:
    d, page = kazakhstan
    e = d.explanations[(PUTIN, CAKG.visited, KZ)]
    assert e is not None and e.axiom is not None
    assert (e.rule, e.axiom.subject, e.axiom.objects) == (
        "propertyChainAxiom",
        CAKG.visited,
        [CAKG.guestAt, CAKG.location],
    )
    assert premises(e) == [(PUTIN, CAKG.guestAt, PUTIN_VISIT), (PUTIN_VISIT, CAKG.location, KZ)]
    assert [p.inferred for p in e.premises] == [True, False]
    value = next(v for v in page.values if v["href"] == page_path(PUTIN) and v["axiom"][:1]
                 == ["/ontology#visited"])  # fmt: skip
    assert value["rule"] == "property chain"
    assert value["axiom"] == ["/ontology#visited", "/ontology#guestAt", "/ontology#location"]
    first, second = value["premises"]
    # the inferred premise links to its own page, where it is explained in turn
    assert first["inferred"] and first["links"][-1] == page_path(PUTIN)
    # `putin guestAt visit` is the inverse of the visit's asserted guest: Putin's page shows
    # the visit once, as that asserted statement, not as an inferred fact to explain
    putin = Whys(project_client.get(page_path(PUTIN)).text)
    assert all(v["href"] != page_path(PUTIN_VISIT) for v in putin.values)
    assert not second["inferred"]
    assert "/page/source/putin-state-visit-kazakhstan" in second["links"][3:]


def test_a_state_type_comes_from_its_asserted_class(kazakhstan: tuple[Description, Whys]) -> None:
    d, page = kazakhstan
    e = d.explanations[(KZ, RDF.type, SDO_COUNTRY)]
    assert e is not None and e.axiom is not None
    assert (e.rule, e.axiom.subject, e.axiom.objects) == ("subClassOf", CAKG.State, [SDO_COUNTRY])
    assert [(t, p.graphs) for t, p in zip(premises(e), e.premises, strict=True)] == [
        ((KZ, RDF.type, CAKG.State), [REFERENCE])
    ]
    country = next(v for v in page.values if v["href"] == str(SDO_COUNTRY))
    assert country["rule"] == "rdfs:subClassOf"
    assert country["axiom"] == ["/ontology#State", str(SDO_COUNTRY)]


def test_a_persons_participation_comes_from_the_visit(project_client: FlaskClient) -> None:
    d = describe_resource(project_engine(project_client), str(TOKAYEV), explain=True)
    e = d.explanations[(TOKAYEV, CAKG.participatedIn, PUTIN_VISIT)]
    assert e is not None and e.axiom is not None
    if e.rule == "inverseOf":  # of the visit's participant
        assert {e.axiom.subject, *e.axiom.objects} == {CAKG.participatedIn, CAKG.participant}
        assert premises(e) == [(PUTIN_VISIT, CAKG.participant, TOKAYEV)]
    else:  # a sub-property: he hosted it
        assert (e.rule, e.axiom.objects) == ("subPropertyOf", [CAKG.participatedIn])
        assert premises(e) == [(TOKAYEV, e.axiom.subject, PUTIN_VISIT)]
    # the visit's participant is inferred too, and shown on the same page (a backlink)
    then = d.explanations[(PUTIN_VISIT, CAKG.participant, TOKAYEV)]
    assert then is not None and then.axiom is not None
    assert (then.rule, then.axiom.subject) == ("subPropertyOf", CAKG.host)
    [premise] = then.premises
    assert premise.asserted and not premise.inferred
    assert premise.graphs == [str(GRAPH["sources/putin-state-visit-kazakhstan"])]


def test_no_premise_is_called_asserted_that_is_only_inferred(
    kazakhstan: tuple[Description, Whys], project_dataset: Dataset
) -> None:
    """No premise is said to be asserted that only the inferred graph holds, and the other way
    round (the graphs of each premise are exactly those that hold it)."""
    d, _page = kazakhstan
    said = [p for e in d.explanations.values() if e for p in e.premises]
    assert any(p.inferred for p in said) and any(p.asserted for p in said)
    for p in said:
        held = graphs_holding(project_dataset, (p.subject, p.predicate, p.object))
        only_inferred = held == {str(INFERRED_GRAPH)}
        assert (p.asserted, p.inferred) == (not only_inferred, only_inferred)


def test_the_graph_of_the_project_explains_every_inferred_fact_about_things(
    project_dataset: Dataset, project_oxigraph: Engine
) -> None:
    """Every inferred triple about a thing of the data (not the ontology's own closure)."""
    graph = Graph()
    for triple in project_dataset.graph(INFERRED_GRAPH):
        if str(triple[0]).startswith(str(ID)) or str(triple[2]).startswith(str(ID)):
            graph.add(triple)
    found = explain_inferences(project_oxigraph, list(graph), max_explained=len(graph))
    assert len(found) == len(graph) > 1000
    assert [t for t, e in found.items() if e is None] == []
