"""HTML documentation of the ontology and of the SHACL shapes, one standalone page each.

Rendered at build time and written into each release (the web app serves those files). Each
term's section carries the term's local name as its id, so a hash IRI such as <…/ontology#Visit>
lands on its entry. Templates and stylesheet: build/templates/ ({ontology,shapes}_docs.html,
docs_macros.html, docs.css); the CSS is inlined, and `style_source()` is the Content-Security-
Policy source that allows it (the build records it in the manifest as `docs_style`). Every href
that comes from data goes through cakg.hrefs.safe_href (here and as the templates' `safe_href`
filter), so only http(s) IRIs and the docs' own relative links become links; anything else
(`javascript:`, `data:`, `urn:`...) is shown as text. `inputs()` names the files besides this
code that the pages are made from, for the build's staleness fingerprint. One module of about
370 lines because the two pages share their term model, link rules and rendering (one Jinja
environment); split by page, each half would import the other.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from rdflib import RDF, RDFS, BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, OWL, SH, SKOS
from rdflib.term import Identifier, Node

from cakg.hrefs import safe_href
from cakg.namespaces import CAKG, ONTOLOGY_IRI, PREFIXES, SHAPES_IRI, shorten
from cakg.site_nav import CLASS_PAGES, SEARCH_PATH, SITE_NAV

TEMPLATES = Path(__file__).parent / "templates"
STYLESHEET = TEMPLATES / "docs.css"
TEMPLATE_NAMES = ("ontology_docs.html", "shapes_docs.html", "docs_macros.html")  # all it loads

KINDS = [
    ("classes", "Classes", (OWL.Class, RDFS.Class)),
    ("object-properties", "Object properties", (OWL.ObjectProperty,)),
    ("datatype-properties", "Datatype properties", (OWL.DatatypeProperty,)),
    ("annotation-properties", "Annotation properties", (OWL.AnnotationProperty,)),
    ("other-properties", "Other properties", (RDF.Property,)),
    ("individuals", "Named individuals", (OWL.NamedIndividual,)),
]
CHARACTERISTICS = (
    OWL.TransitiveProperty,
    OWL.SymmetricProperty,
    OWL.AsymmetricProperty,
    OWL.FunctionalProperty,
    OWL.InverseFunctionalProperty,
    OWL.ReflexiveProperty,
    OWL.IrreflexiveProperty,
)
CONSTRAINTS = (
    SH.minCount,
    SH.maxCount,
    SH.datatype,
    SH["class"],
    SH.nodeKind,
    SH.node,
    SH.hasValue,
    SH["in"],
    SH.languageIn,
    SH.uniqueLang,
    SH.pattern,
    SH.minInclusive,
    SH.maxInclusive,
    SH.minExclusive,
    SH.maxExclusive,
    SH.minLength,
    SH.maxLength,
    SH.equals,
    SH.disjoint,
    SH.lessThan,
    SH.qualifiedValueShape,
    SH.qualifiedMinCount,
    SH.qualifiedMaxCount,
)


@dataclass
class Link:
    text: str
    href: str | None  # None when the IRI may not be a link (safe_href): shown as text
    iri: str


@dataclass
class Entry:
    anchor: str
    iri: str
    label: str
    definition: str | None
    notes: list[str] = field(default_factory=list)
    facts: list[tuple[str, list[Link | str]]] = field(default_factory=list)
    instances_href: str | None = None  # a class's page on the site, listing its instances


class _Linker:
    """Turns nodes into links: terms of this ontology to #anchors, shapes to their page, other
    IRIs to themselves when safe_href lets them be links."""

    def __init__(self, ontology: Graph, here: str) -> None:
        self.g = ontology
        self.here = here

    def __call__(self, node: Node) -> Link | str:
        if isinstance(node, URIRef):
            iri = str(node)
            text = _text(self.g, node, RDFS.label) or shorten(iri)
            href: str | None
            if iri.startswith(str(CAKG)):
                href = ("#" if self.here == "ontology" else "ontology#") + iri[len(str(CAKG)) :]
            elif iri.startswith(SHAPES_IRI + "#"):
                href = ("#" if self.here == "shapes" else "shapes#") + iri.split("#", 1)[1]
            else:
                href = safe_href(iri)
            return Link(text, href, iri)
        if isinstance(node, Literal):
            return str(node)
        return _expression(self.g, node)


def _expression(g: Graph, node: Node) -> str:
    """A blank-node class expression or path, shortly (e.g. `inverse of cakg:host`)."""
    if (node, RDF.first, None) in g:
        return "(" + " ".join(_short(g, n) for n in Collection(g, node)) + ")"
    for p, word in (
        (OWL.inverseOf, "inverse of"),
        (SH.inversePath, "inverse of"),
        (OWL.unionOf, "union of"),
        (OWL.intersectionOf, "intersection of"),
        (SH.alternativePath, "one of"),
        (SH.zeroOrMorePath, "zero or more"),
        (SH.oneOrMorePath, "one or more"),
    ):
        value = g.value(node, p)
        if value is not None:
            return f"{word} {_short(g, value)}"
    prop = g.value(node, OWL.onProperty)
    if prop is not None:
        for p in (OWL.someValuesFrom, OWL.allValuesFrom, OWL.hasValue, OWL.cardinality):
            value = g.value(node, p)
            if value is not None:
                return f"{shorten(str(prop))} {p.split('#')[-1]} {_short(g, value)}"
    return "(an anonymous expression)"


def _short(g: Graph, node: Node) -> str:
    if isinstance(node, URIRef):
        return shorten(str(node))
    if isinstance(node, Literal):
        return str(node)
    return _expression(g, node)


def _text(g: Graph, node: Node, *predicates: URIRef) -> str | None:
    for p in predicates:
        values = list(g.objects(node, p))
        english = [v for v in values if isinstance(v, Literal) and v.language in ("en", None)]
        if english or values:
            return str((english or values)[0])
    return None


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["safe_href"] = safe_href
    env.globals["site_nav"] = SITE_NAV
    env.globals["search_path"] = SEARCH_PATH
    return env


def inputs() -> list[Path]:
    """The files the pages are made from besides the code: the stylesheet, then the templates.

    Read when called (not at import), so the build's fingerprint follows STYLESHEET and
    TEMPLATES wherever they point."""
    return [STYLESHEET, *(TEMPLATES / name for name in TEMPLATE_NAMES)]


def _stylesheet() -> str:
    return STYLESHEET.read_text(encoding="utf-8") if STYLESHEET.is_file() else ""


def style_source() -> str:
    """The Content-Security-Policy source that allows the pages' inline stylesheet: its hash,
    as `'sha256-<base64>'`."""
    digest = hashlib.sha256(_stylesheet().encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def _anchor(iri: str) -> str:
    return iri.rsplit("#", 1)[-1] if "#" in iri else iri.rstrip("/").rsplit("/", 1)[-1]


def _metadata(g: Graph, node: Node, link: _Linker) -> list[tuple[str, list[Link | str]]]:
    rows: list[tuple[str, list[Link | str]]] = []
    for label, p in (
        ("IRI", None),
        ("Version IRI", OWL.versionIRI),
        ("Version", OWL.versionInfo),
        ("Created", DCTERMS.created),
        ("Modified", DCTERMS.modified),
        ("Creator", DCTERMS.creator),
        ("Publisher", DCTERMS.publisher),
        ("License", DCTERMS.license),
        ("Imports", OWL.imports),
    ):
        values: Sequence[Node] = (
            [node]
            if p is None
            else sorted(o for o in g.objects(node, p) if isinstance(o, Identifier))
        )
        if values:
            rows.append((label, [_plain(v) if isinstance(v, URIRef) else link(v) for v in values]))
    return rows


def _plain(iri: URIRef) -> Link:
    return Link(str(iri), safe_href(str(iri)), str(iri))


def render_ontology_docs(ontology: Graph) -> str:
    """The ontology's documentation: metadata, then every term with its axioms, as HTML."""
    g = ontology
    link = _Linker(g, "ontology")
    onto: Node = URIRef(ONTOLOGY_IRI)
    if (onto, RDF.type, OWL.Ontology) not in g:
        onto = next(iter(g.subjects(RDF.type, OWL.Ontology)), onto)
    sections = []
    seen: set[Node] = set()
    for key, title, classes in KINDS:
        terms = sorted(
            {t for c in classes for t in g.subjects(RDF.type, c) if isinstance(t, URIRef)} - seen,
            key=lambda t: (_text(g, t, RDFS.label) or _anchor(str(t))).lower(),
        )
        terms = [t for t in terms if str(t).startswith(str(CAKG))]
        seen.update(terms)
        if terms:
            sections.append((key, title, [_term(g, t, link) for t in terms]))
    return (
        _environment()
        .get_template("ontology_docs.html")
        .render(
            title=_text(g, onto, DCTERMS.title, RDFS.label) or "Ontology",
            description=_text(g, onto, DCTERMS.description, RDFS.comment),
            metadata=_metadata(g, onto, link),
            sections=sections,
            prefixes=sorted(PREFIXES.items()),
            css=_stylesheet(),
        )
    )


def _term(g: Graph, t: URIRef, link: _Linker) -> Entry:
    entry = Entry(
        anchor=_anchor(str(t)),
        iri=str(t),
        label=_text(g, t, RDFS.label, SKOS.prefLabel) or shorten(str(t)),
        definition=_text(g, t, SKOS.definition, RDFS.comment),
    )
    if _text(g, t, SKOS.definition) and _text(g, t, RDFS.comment):
        entry.notes.append(str(_text(g, t, RDFS.comment)))
    entry.notes.extend(str(e) for e in g.objects(t, SKOS.example))

    def add(title: str, nodes: list[Node]) -> None:
        if nodes:
            entry.facts.append((title, [link(n) for n in sorted(nodes, key=str)]))

    add("Characteristics", [c for c in g.objects(t, RDF.type) if c in CHARACTERISTICS])
    add("Subclass of", list(g.objects(t, RDFS.subClassOf)))
    add("Superclass of", list(g.subjects(RDFS.subClassOf, t)))
    add("Equivalent to", list(g.objects(t, OWL.equivalentClass)))
    add("Disjoint with", list(g.objects(t, OWL.disjointWith)))
    add("Domain of", list(g.subjects(RDFS.domain, t)))
    add("Range of", list(g.subjects(RDFS.range, t)))
    add("Domain", list(g.objects(t, RDFS.domain)))
    add("Range", list(g.objects(t, RDFS.range)))
    add("Subproperty of", list(g.objects(t, RDFS.subPropertyOf)))
    add("Superproperty of", list(g.subjects(RDFS.subPropertyOf, t)))
    add("Equivalent property", list(g.objects(t, OWL.equivalentProperty)))
    add("Inverse of", [*g.objects(t, OWL.inverseOf), *g.subjects(OWL.inverseOf, t)])
    for chain in g.objects(t, OWL.propertyChainAxiom):
        add("Property chain", [Literal(_expression(g, chain))])
    add("Instances", [i for i in g.subjects(RDF.type, t) if isinstance(i, URIRef)])
    add("See also", list(g.objects(t, RDFS.seeAlso)))
    if str(t).startswith(str(CAKG)) and any(g.triples((t, RDF.type, OWL.Class))):
        entry.instances_href = f"{CLASS_PAGES}/{entry.anchor}"
    return entry


def _path_text(prop: Mapping[str, object]) -> str:
    return str(getattr(prop["path"], "text", prop["path"]))


def render_shapes_docs(shapes: Graph, ontology: Graph | None = None) -> str:
    """The SHACL shapes as HTML: each node shape, its target, its property constraints."""
    g = Graph()
    for triple in shapes:
        g.add(triple)
    if ontology is not None:
        for triple in ontology.triples((None, RDFS.label, None)):
            g.add(triple)
    link = _Linker(g, "shapes")
    entries = []
    node_shapes = {s for s in g.subjects(RDF.type, SH.NodeShape) if isinstance(s, URIRef)}
    for shape in sorted(node_shapes, key=str):
        entry = Entry(
            anchor=_anchor(str(shape)),
            iri=str(shape),
            label=shorten(str(shape)),
            definition=_text(g, shape, RDFS.comment, SH.description),
        )
        for title, p in (
            ("Target class", SH.targetClass),
            ("Target subjects of", SH.targetSubjectsOf),
            ("Target objects of", SH.targetObjectsOf),
            ("Target node", SH.targetNode),
        ):
            values = sorted(g.objects(shape, p), key=str)
            if values:
                entry.facts.append((title, [link(v) for v in values]))
        properties = []
        for prop in g.objects(shape, SH.property):
            path = g.value(prop, SH.path)
            constraints = []
            for c in CONSTRAINTS:
                for value in g.objects(prop, c):
                    shown = (
                        " ".join(_short(g, v) for v in Collection(g, value))
                        if isinstance(value, BNode) and (value, RDF.first, None) in g
                        else value
                    )
                    name = c.split("#")[-1]
                    if isinstance(shown, URIRef | BNode):
                        constraints.append((name, link(shown)))
                    else:
                        constraints.append((name, str(shown)))
            properties.append(
                {
                    "path": link(path) if path is not None else "?",
                    "constraints": constraints,
                    "message": _text(g, prop, SH.message),
                    "severity": shorten(str(g.value(prop, SH.severity) or SH.Violation)),
                }
            )
        sparql = [
            {"message": _text(g, c, SH.message), "select": _text(g, c, SH.select)}
            for c in g.objects(shape, SH.sparql)
        ]
        entries.append(
            {
                "entry": entry,
                "properties": sorted(properties, key=_path_text),
                "sparql": sparql,
                "message": _text(g, shape, SH.message),
            }
        )
    return (
        _environment()
        .get_template("shapes_docs.html")
        .render(
            title="cakg SHACL shapes",
            iri=SHAPES_IRI,
            shapes=entries,
            css=_stylesheet(),
        )
    )
