"""The ontology and shapes documentation the build renders (cakg.build.docs): every term and
shape has its anchor, and only http(s) IRIs and the docs' own relative links become links
(issue 18)."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from rdflib import Dataset, Graph

from cakg.build import BuildResult
from cakg.build.docs import inputs, render_ontology_docs, render_shapes_docs
from cakg.config import Settings
from cakg.hrefs import safe_href
from cakg.namespaces import GRAPH
from cakg.release import dataset_dir

ONTOLOGY = """
@prefix cakg: <https://w3id.org/cakg/ontology#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .

<https://w3id.org/cakg/ontology> a owl:Ontology ;
    dcterms:title "Hostile test ontology" ;
    dcterms:license <javascript:alert(1)> , <https://creativecommons.org/licenses/by/4.0/> .

cakg:Thing a owl:Class ;
    rdfs:label "Thing"@en ;
    rdfs:subClassOf cakg:Other ;
    rdfs:seeAlso <javascript:alert(2)> , <data:text/html,x> , <https://example.org/thing> .

cakg:Other a owl:Class ;
    rdfs:label "Other"@en .
"""
SHAPES = """
@prefix cakg: <https://w3id.org/cakg/ontology#> .
@prefix cakgsh: <https://w3id.org/cakg/shapes#> .
@prefix sh: <http://www.w3.org/ns/shacl#> .

cakgsh:ThingShape a sh:NodeShape ;
    sh:targetClass cakg:Thing ;
    sh:targetNode <javascript:alert(3)> ;
    sh:property [ sh:path <javascript:alert(4)> ; sh:hasValue <javascript:alert(5)> ] .
"""


class Links(HTMLParser):
    """Every id and <a href> of a page, and the title of every IRI shown as text (span.iri)."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.hrefs: list[str] = []
        self.as_text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(str(a["id"]))
        if tag == "a" and a.get("href") is not None:
            self.hrefs.append(str(a["href"]))
        if tag == "span" and a.get("class") == "iri":
            self.as_text.append(str(a.get("title")))


@pytest.fixture
def hostile_ontology() -> Graph:
    return Graph().parse(data=ONTOLOGY, format="turtle")


def test_ontology_docs_link_no_javascript_license_or_see_also(hostile_ontology: Graph) -> None:
    page = Links(render_ontology_docs(hostile_ontology))
    assert [h for h in page.hrefs if safe_href(h) is None] == []
    assert not [h for h in page.hrefs if h.lower().startswith(("javascript:", "data:"))]
    assert {"javascript:alert(1)", "javascript:alert(2)", "data:text/html,x"} <= set(page.as_text)
    assert {
        "https://creativecommons.org/licenses/by/4.0/",
        "https://example.org/thing",
        "#Other",  # the ontology's own terms link to their entries
        "ontology.ttl",
    } <= set(page.hrefs)


def test_shapes_docs_link_no_javascript_iri(hostile_ontology: Graph) -> None:
    shapes = Graph().parse(data=SHAPES, format="turtle")
    page = Links(render_shapes_docs(shapes, hostile_ontology))
    assert [h for h in page.hrefs if safe_href(h) is None] == []
    assert not [h for h in page.hrefs if h.lower().startswith("javascript:")]
    assert {"javascript:alert(3)", "javascript:alert(4)", "javascript:alert(5)"} <= set(
        page.as_text
    )
    assert "ontology#Thing" in page.hrefs


@pytest.mark.parametrize(
    ("url", "value"),
    [
        # the docs' own relative links pass: their first segment cannot be read as a scheme
        ("./", True),
        ("ontology.ttl", True),
        ("ontology#Visit", True),
        (".well-known/void", True),
        ("shapes", True),
        # anything that has (or, once a browser strips tabs and newlines, may have) a scheme fails
        ("javascript", True),  # a relative path named "javascript", not a scheme
        ("javascript:alert(1)", False),
        ("java\tscript:alert(1)", False),
        ("java\nscript:alert(1)", False),
        ("shapes\n", False),
        ("a b:c", False),
        ("ftp:x", False),
        ("x:y/z", False),
        ("\u017fcript:x", False),
    ],
)
def test_safe_href_on_relative_links(url: str, value: bool) -> None:
    assert safe_href(url) == (url if value else None)


def test_inputs_are_the_stylesheet_and_the_templates_the_docs_load() -> None:
    names = [p.name for p in inputs()]
    assert names == ["docs.css", "ontology_docs.html", "shapes_docs.html", "docs_macros.html"]
    assert all(p.is_file() for p in inputs())


def test_render_the_tiny_projects_docs(built: BuildResult, tiny_settings: Settings) -> None:
    ds = Dataset()
    ds.parse(dataset_dir(tiny_settings) / "cakg.nq", format="nquads")
    ontology = Graph()
    for t in ds.graph(GRAPH["ontology"]):
        ontology.add(t)
    page = Links(render_ontology_docs(ontology))
    assert {"State", "partnerOf", "classes", "object-properties"} <= page.ids
    shapes = Graph()
    for t in ds.graph(GRAPH["shapes"]):
        shapes.add(t)
    assert "StateShape" in Links(render_shapes_docs(shapes, ontology)).ids
