"""The SHACL shapes: the graph conforms, and every shape catches its failing example."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, SH
from rdflib.term import Node

from cakg.build.validate import Report, validate_graph
from cakg.namespaces import CAKG, CAKGSH, ID
from tests.project_graphs import parse_turtle

REPO = Path(__file__).parent.parent
EXAMPLES = REPO / "tests" / "data" / "shapes"
EXAMPLE_FILES = sorted(EXAMPLES.glob("*.ttl"))
BAD = ID["test/bad"]
GEOMETRY = URIRef("http://www.opengis.net/ont/geosparql#Geometry")

# The constraint component each kind of failing example (file name after "--") must trigger.
KINDS = {
    "class": SH.ClassConstraintComponent,
    "datatype": SH.DatatypeConstraintComponent,
    "has-value": SH.HasValueConstraintComponent,
    "in": SH.InConstraintComponent,
    "language-in": SH.LanguageInConstraintComponent,
    "max-count": SH.MaxCountConstraintComponent,
    "min-count": SH.MinCountConstraintComponent,
    "min-inclusive": SH.MinInclusiveConstraintComponent,
    "node-kind": SH.NodeKindConstraintComponent,
    "not": SH.NotConstraintComponent,
    "or": SH.OrConstraintComponent,
    "pattern": SH.PatternConstraintComponent,
    "qualified": SH.QualifiedMinCountConstraintComponent,
    "sparql": SH.SPARQLConstraintComponent,
    "unique-lang": SH.UniqueLangConstraintComponent,
}


def focus_of(path: Path) -> URIRef:
    """The node an example fails on: id:test/bad, or the IRI of a `# focus: <IRI>` line (for
    an example whose failure is its own IRI)."""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# focus: "):
            return URIRef(line.removeprefix("# focus: ").strip())
    return BAD


def owning_shape(shapes: Graph, source_shape: Node) -> Node | None:
    """The node shape a result comes from (property shapes are mapped to their node shape)."""
    if (source_shape, RDF.type, SH.NodeShape) in shapes:
        return source_shape
    return next(shapes.subjects(SH.property, source_shape), None)


def results_for(
    report: Report, shapes: Graph, focus: Node
) -> list[tuple[Node | None, Node | None]]:
    """(node shape, constraint component) of every result about `focus`."""
    graph = report.results_graph
    found = []
    for result in graph.subjects(RDF.type, SH.ValidationResult):
        if graph.value(result, SH.focusNode) != focus:
            continue
        shape = owning_shape(shapes, graph.value(result, SH.sourceShape))
        found.append((shape, graph.value(result, SH.sourceConstraintComponent)))
    return found


@pytest.mark.slow
def test_repository_graph_conforms(
    shapes: Graph, ontology: Graph, reference: Graph, sources: Graph
) -> None:
    report = validate_graph(reference + sources, shapes, ontology)
    assert report.conforms, report.to_text()
    assert report.findings == []


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=[p.stem for p in EXAMPLE_FILES])
def test_failing_example_violates_its_shape(path: Path, shapes: Graph, ontology: Graph) -> None:
    shape_name, _, kind = path.stem.partition("--")
    shape = CAKGSH[shape_name]
    assert (shape, RDF.type, SH.NodeShape) in shapes, f"{path.name}: no shape {shape_name}"
    data = Graph().parse(path, format="turtle")
    report = validate_graph(data, shapes, ontology)
    assert not report.conforms
    focus = focus_of(path)
    found = results_for(report, shapes, focus)
    from_shape = [component for owner, component in found if owner == shape]
    assert from_shape, f"{path.name}: no violation from {shape_name} on {focus}; got {found}"
    if kind:
        expected = KINDS[kind.split("-")[0] if kind.startswith("sparql") else kind]
        assert expected in from_shape, f"{path.name}: expected {expected}, got {from_shape}"


def test_every_shape_has_a_failing_example(shapes: Graph) -> None:
    names = {str(s).removeprefix(str(CAKGSH)) for s in shapes.subjects(RDF.type, SH.NodeShape)}
    covered = {p.stem.partition("--")[0] for p in EXAMPLE_FILES}
    assert names - covered == set()
    assert covered - names == set()


def test_every_message_is_english_and_every_constraint_has_one(shapes: Graph) -> None:
    constraints = list(shapes.objects(None, SH.property)) + list(shapes.objects(None, SH.sparql))
    assert constraints
    for constraint in constraints:
        messages = list(shapes.objects(constraint, SH.message))
        assert len(messages) == 1, constraint
        assert messages[0].language == "en", constraint


def test_every_class_has_its_shape_and_every_shape_its_class(
    shapes: Graph, ontology: Graph, reference: Graph, sources: Graph
) -> None:
    classes = {c for c in ontology.subjects(RDF.type, OWL.Class) if str(c).startswith(str(CAKG))}
    targets = set(shapes.objects(None, SH.targetClass))
    assert classes - targets == set()
    assert targets - classes == {GEOMETRY}
    for cls in classes:
        shape = CAKGSH[str(cls).removeprefix(str(CAKG)) + "Shape"]
        assert (shape, SH.targetClass, cls) in shapes, f"{cls} has no {shape}"
    used = {o for o in (reference + sources).objects(None, RDF.type)}
    assert used - targets == set()


def test_shapes_header() -> None:
    graph = parse_turtle(sorted((REPO / "shapes").glob("*.ttl")))
    header = URIRef("https://w3id.org/cakg/shapes")
    assert (header, RDF.type, OWL.Ontology) in graph
    assert graph.value(header, OWL.versionInfo) is not None
