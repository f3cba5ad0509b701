"""The rule materialiser (cakg.build.rules) gives owlrl's closure, through the build's own
reasoning step (pipeline.reason_into) on a project on disk."""

import contextlib
from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, XSD

from cakg.build.load import load_sources
from cakg.build.pipeline import reason_into
from cakg.build.rules import UnsupportedOntology, materialise_store
from cakg.build.sources import find_sources
from cakg.namespaces import INFERRED_GRAPH
from cakg.terms import Terms

from .conftest import REPO, TINY, copy_project

NUMERIC = {
    str(XSD[t])
    for t in (
        "integer",
        "decimal",
        "double",
        "float",
        "positiveInteger",
        "nonNegativeInteger",
        "int",
        "long",
        "gYear",
    )
}


def canonical(graph):
    """Triples with numeric literals by value: owlrl and Oxigraph spell "62.0" and "62"."""

    def term(t):
        if isinstance(t, Literal) and t.datatype is not None and str(t.datatype) in NUMERIC:
            return ("number", Decimal(str(t)).normalize())
        return t

    return {tuple(term(x) for x in triple) for triple in graph}


def inferred_by(root: Path, reasoner: str, tmp: Path) -> Graph:
    """The inferred graph of the project at `root` as the build makes it with `reasoner`."""
    tmp.mkdir(parents=True, exist_ok=True)
    with contextlib.closing(load_sources(find_sources(root), tmp_dir=tmp)) as loaded:
        reason_into(loaded, reasoner, tmp)
        inferred = ox.NamedNode(str(INFERRED_GRAPH))
        return Terms().graph(q for q in loaded.quads() if q.graph_name == inferred)


def _both(root: Path, tmp: Path) -> tuple[Graph, Graph]:
    """The inferred graph by the rules and by owlrl."""
    return inferred_by(root, "rules", tmp / "rules"), inferred_by(root, "owlrl", tmp / "owlrl")


def _project(tmp: Path, ontology: Graph, data: Graph) -> Path:
    """A project of one ontology file and one source file."""
    root = tmp / "project"
    for folder, graph in (("ontology", ontology), ("graph/sources", data)):
        (root / folder).mkdir(parents=True)
        graph.serialize(root / folder / "x.ttl", format="turtle")
    return root


@pytest.mark.parametrize(
    "root", [TINY, pytest.param(REPO, marks=pytest.mark.slow)], ids=["tiny", "project"]
)
def test_rules_equal_owlrl_closure(root, tmp_path):
    if not any((root / "ontology").glob("*.ttl")):
        pytest.skip("the project has no ontology yet")
    by_rules, by_owlrl = _both(root, tmp_path)
    assert len(by_rules) > 0
    assert canonical(by_rules) == canonical(by_owlrl)


def test_unsupported_construct_is_refused(tmp_path):
    root = copy_project(TINY, tmp_path / "tiny")
    (ontology,) = (root / "ontology").glob("*.ttl")
    with ontology.open("a", encoding="utf-8") as out:
        out.write(
            "\n<https://w3id.org/cakg/ontology#host> "
            "<http://www.w3.org/2002/07/owl#someValuesFrom> "
            "<http://www.w3.org/2002/07/owl#Thing> .\n"
        )
    with pytest.raises(UnsupportedOntology, match="someValuesFrom"):
        inferred_by(root, "rules", tmp_path / "work")


def _tiny_ontology() -> Graph:
    ontology = Graph()
    for path in (TINY / "ontology").glob("*.ttl"):
        ontology.parse(path, format="turtle")
    return ontology


def test_same_as_is_symmetric_and_replaces(tmp_path):
    a, b = URIRef("urn:x:a"), URIRef("urn:x:b")
    data = Graph()
    data.add((a, OWL.sameAs, b))
    data.add((a, URIRef("https://w3id.org/cakg/ontology#partnerOf"), URIRef("urn:x:c")))
    by_rules, by_owlrl = _both(_project(tmp_path, _tiny_ontology(), data), tmp_path)
    inferred = set(by_rules)
    assert inferred == set(by_owlrl)
    assert (b, OWL.sameAs, a) in inferred
    assert (b, URIRef("https://w3id.org/cakg/ontology#partnerOf"), URIRef("urn:x:c")) in inferred


CHAINS = """
@prefix : <urn:t:> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .

:locatedIn a owl:TransitiveProperty ; rdfs:subPropertyOf :near .
:near rdfs:domain :Located .
:Located rdfs:subClassOf :Thing2 .
:contains owl:inverseOf :locatedIn .
:partner a owl:SymmetricProperty ; rdfs:range :Partner .
:Partner rdfs:subClassOf :Agent .
:hosts owl:propertyChainAxiom ( :holds :site ) .
:hosts rdfs:subPropertyOf :contains .
"""


def _ontology(text: str = CHAINS) -> Graph:
    return Graph().parse(data=text, format="turtle")


def _data(*triples: tuple[str, str, str]) -> Graph:
    data = Graph()
    for s, p, o in triples:
        data.add(
            (
                URIRef(f"urn:t:{s}"),
                URIRef(f"urn:t:{p}") if p != "sameAs" else OWL.sameAs,
                URIRef(f"urn:t:{o}"),
            )
        )
    return data


def test_chains_across_passes_equal_owlrl(tmp_path):
    """Each link needs the one before, in the rules' reverse order: chain, then subproperty,
    inverse, transitivity, subproperty again, domain, subclass; so several semi-naive passes."""
    ontology = _ontology()
    data = _data(
        ("org", "holds", "event"),
        ("event", "site", "city"),
        ("city", "locatedIn", "region"),
        ("region", "locatedIn", "country"),
        ("a", "partner", "b"),
    )
    by_rules, by_owlrl = _both(_project(tmp_path, ontology, data), tmp_path)
    inferred = set(by_rules)
    assert inferred == set(by_owlrl)
    t = URIRef
    assert (t("urn:t:org"), t("urn:t:hosts"), t("urn:t:city")) in inferred  # chain
    assert (t("urn:t:city"), t("urn:t:locatedIn"), t("urn:t:org")) in inferred  # ⊑ contains, inv
    assert (t("urn:t:event"), t("urn:t:locatedIn"), t("urn:t:country")) not in inferred
    assert (t("urn:t:city"), t("urn:t:near"), t("urn:t:org")) in inferred  # after transitivity
    assert (t("urn:t:region"), t("urn:t:near"), t("urn:t:org")) not in inferred
    assert (t("urn:t:city"), RDF.type, t("urn:t:Thing2")) in inferred  # domain, then subclass
    assert (t("urn:t:b"), t("urn:t:partner"), t("urn:t:a")) in inferred
    assert (t("urn:t:a"), RDF.type, t("urn:t:Agent")) in inferred  # symmetric, range, subclass


def test_same_as_found_late_is_applied_to_everything(tmp_path):
    """An owl:sameAs link that only a later pass derives (symmetry of a chain of them) still
    copies every triple, old and new, and the copies go through the other rules."""
    ontology = _ontology()
    data = _data(
        ("x", "sameAs", "y"),
        ("y", "sameAs", "z"),
        ("z", "locatedIn", "region"),
        ("region", "locatedIn", "country"),
        ("org", "holds", "event"),
        ("event", "site", "x"),
    )
    by_rules, by_owlrl = _both(_project(tmp_path, ontology, data), tmp_path)
    inferred = set(by_rules)
    assert inferred == set(by_owlrl)
    t = URIRef
    assert (t("urn:t:z"), OWL.sameAs, t("urn:t:x")) in inferred
    assert (t("urn:t:x"), t("urn:t:locatedIn"), t("urn:t:country")) in inferred
    assert (t("urn:t:org"), t("urn:t:hosts"), t("urn:t:z")) in inferred
    assert (t("urn:t:z"), t("urn:t:locatedIn"), t("urn:t:org")) in inferred


def test_same_as_with_a_blank_node_equal_owlrl(tmp_path):
    """A blank node in an owl:sameAs pair cannot be bound by VALUES: the unbound rules, also
    semi-naive."""
    ontology = _ontology()
    data = _data(("city", "locatedIn", "region"), ("region", "locatedIn", "country"))
    b = BNode()
    data.add((b, OWL.sameAs, URIRef("urn:t:city")))
    data.add((URIRef("urn:t:org"), URIRef("urn:t:partner"), b))
    rules, owlrl = _both(_project(tmp_path, ontology, data), tmp_path)
    by_rules = set(rules)
    assert by_rules == set(owlrl)
    assert (URIRef("urn:t:org"), URIRef("urn:t:partner"), URIRef("urn:t:city")) in by_rules


def test_materialise_store_leaves_only_the_inferred_graph():
    ontology = _ontology()
    store = ox.Store()
    asserted, into = ox.NamedNode("urn:g:asserted"), ox.NamedNode("urn:g:inferred")
    store.add(
        ox.Quad(
            ox.NamedNode("urn:t:a"),
            ox.NamedNode("urn:t:locatedIn"),
            ox.NamedNode("urn:t:b"),
            asserted,
        )
    )
    store.add(
        ox.Quad(
            ox.NamedNode("urn:t:b"),
            ox.NamedNode("urn:t:locatedIn"),
            ox.NamedNode("urn:t:c"),
            asserted,
        )
    )
    kept, _dropped = materialise_store(store, ontology, into)
    assert set(store.named_graphs()) == {asserted, into}
    assert next(store.quads_for_pattern(None, None, None, ox.DefaultGraph()), None) is None
    assert kept == len(list(store.quads_for_pattern(None, None, None, into)))
    assert (
        ox.Quad(
            ox.NamedNode("urn:t:a"), ox.NamedNode("urn:t:locatedIn"), ox.NamedNode("urn:t:c"), into
        )
        in store
    )
    with pytest.raises(ValueError, match="not empty"):
        materialise_store(store, ontology, into)
