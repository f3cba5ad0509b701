"""What the linked-data pages show: a Description turned into labelled groups (with its map,
cakg.web.page_map, and its schema.org JSON-LD, cakg.web.schema_org), and the dataset page.

Plain data for the Jinja templates in templates/linked/; no request handling here. What may
become a link on any page is decided by cakg.hrefs.safe_href (re-exported here for the web app).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from rdflib import RDF, BNode, Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, VOID
from rdflib.term import Identifier, Node
from werkzeug.datastructures import LanguageAccept

from cakg.hrefs import safe_href as safe_href  # the web app imports it from here
from cakg.namespaces import PREFIXES, shorten
from cakg.resource_description import Description, Source, Statement
from cakg.web.inference_view import Why, unexplained, why_view
from cakg.web.page_map import map_view
from cakg.web.schema_org import schema_org

RDFS = PREFIXES["rdfs"]
NAME_PREDICATES = {
    RDFS + "label",
    PREFIXES["skos"] + "prefLabel",
    PREFIXES["skos"] + "altLabel",
    PREFIXES["schema"] + "name",
    PREFIXES["foaf"] + "name",
    PREFIXES["dcterms"] + "title",
}
TEXT_PREDICATES = {
    PREFIXES["skos"] + "definition",
    RDFS + "comment",
    PREFIXES["dcterms"] + "description",
    PREFIXES["schema"] + "description",
}
LINK_PREDICATES = {
    PREFIXES["owl"] + "sameAs",
    RDFS + "seeAlso",
    PREFIXES["schema"] + "sameAs",
    PREFIXES["schema"] + "url",
    PREFIXES["foaf"] + "page",
}
# Names for well-known terms of other vocabularies, when the graph gives them no label.
KNOWN_LABELS = {
    RDFS + "label": "label",
    RDFS + "comment": "comment",
    RDFS + "seeAlso": "see also",
    PREFIXES["rdf"] + "type": "type",
    PREFIXES["skos"] + "prefLabel": "preferred label",
    PREFIXES["skos"] + "altLabel": "alternative label",
    PREFIXES["skos"] + "definition": "definition",
    PREFIXES["owl"] + "sameAs": "same as",
    PREFIXES["dcterms"] + "title": "title",
    PREFIXES["dcterms"] + "date": "date",
    PREFIXES["dcterms"] + "publisher": "publisher",
    PREFIXES["dcterms"] + "source": "source",
    PREFIXES["dcterms"] + "description": "description",
    PREFIXES["prov"] + "wasDerivedFrom": "derived from",
    PREFIXES["geo"] + "hasGeometry": "geometry",
    PREFIXES["geo"] + "asWKT": "coordinates (WKT)",
}
# Group title, and the test a predicate IRI must pass; the first match wins, in this order.
GROUPS: list[tuple[str, Callable[[str], bool]]] = [
    ("Names", lambda p: p in NAME_PREDICATES),
    ("Description", lambda p: p in TEXT_PREDICATES),
    ("Facts", lambda p: p.startswith(PREFIXES["cakg"])),
    ("Location", lambda p: p.startswith(PREFIXES["geo"])),
    ("Identifiers and links", lambda p: p in LINK_PREDICATES),
    ("Provenance", lambda p: p.startswith(PREFIXES["prov"]) or p == PREFIXES["dcterms"] + "source"),
    ("Other properties", lambda p: True),
]


@dataclass
class Viewer:
    """How to link and which languages the reader prefers.

    `link` gives an absolute URL only under a configured public URL, else a path (never one
    built from the Host header, so that the pages can be cached publicly)."""

    link: Callable[[str], str]
    languages: LanguageAccept
    base_iri: str


@dataclass
class Term:
    text: str
    href: str | None = None
    iri: str | None = None
    lang: str | None = None
    note: str | None = None  # a definition, or a literal's datatype


@dataclass
class SourceRef:
    kind: str
    text: str
    href: str | None = None
    date: str | None = None
    publisher: str | None = None


@dataclass
class Value:
    term: Term
    sources: list[SourceRef]
    inferred: bool
    nested: list[Row] = field(default_factory=list)
    why: Why | None = None  # for an inferred value: the rule and the facts it follows from


@dataclass
class Row:
    predicate: Term
    values: list[Value]


@dataclass
class Group:
    title: str
    rows: list[Row]


def best_label(labels: list[Literal], languages: LanguageAccept) -> Literal | None:
    """The label in the reader's best language, else English, else untagged, else any."""
    if not labels:
        return None
    by_lang: dict[str, Literal] = {}
    for lit in labels:
        by_lang.setdefault((lit.language or "").lower(), lit)
    best = languages.best_match([lang for lang in by_lang if lang])
    for choice in (best, "en", ""):
        if choice is not None and choice.lower() in by_lang:
            return by_lang[choice.lower()]
    return labels[0]


class PageBuilder:
    def __init__(self, d: Description, viewer: Viewer) -> None:
        self.d = d
        self.v = viewer
        self.seen: dict[Node, Term] = {}  # known_term's memo
        self.held: dict[tuple[str, ...], list[SourceRef]] = {}  # graph_sources' memo

    def label(self, iri: str) -> Literal | None:
        return best_label(self.d.labels.get(iri, []), self.v.languages)

    def term(self, node: Node) -> Term:
        if isinstance(node, URIRef):
            iri = str(node)
            label = self.label(iri)
            definitions = self.d.definitions.get(iri, [])
            note = str(best_label(definitions, self.v.languages)) if definitions else None
            return Term(
                text=str(label) if label is not None else KNOWN_LABELS.get(iri, shorten(iri)),
                href=self.v.link(iri),
                iri=iri,
                lang=label.language if label is not None else None,
                note=note,
            )
        if isinstance(node, Literal):
            note = shorten(str(node.datatype)) if node.datatype else None
            return Term(text=str(node), lang=node.language, note=note)
        return Term(text="(a node without a name)")

    def sources(self, st: Statement) -> list[SourceRef]:
        refs = []
        for name in st.graphs:
            src = self.d.sources.get(name) or Source(name, "other")
            refs.append(self.source(src))
        return refs

    def source(self, src: Source) -> SourceRef:
        if src.kind == "source":
            return SourceRef(
                "source",
                src.title or shorten(src.graph),
                self.v.link(src.document) if src.document else self.v.link(src.graph),
                src.date,
                src.publisher,
            )
        text = {"reference": "reference data", "inferred": "inferred by OWL 2 RL reasoning"}
        return SourceRef(src.kind, text.get(src.kind, shorten(src.graph)), self.v.link(src.graph))

    def value(self, st: Statement, node: Node) -> Value:
        nested: list[Row] = []
        if isinstance(node, BNode):
            nested = self.rows(self.d.about(node))
        return Value(self.term(node), self.sources(st), st.inferred, nested, self.why(st))

    def why(self, st: Statement) -> Why | None:
        """Why an inferred statement holds (cakg.web.inference_view); None for others."""
        return why_view(self.d, st, self.known_term, self.graph_sources)

    def known_term(self, node: Node) -> Term:
        """term(node) for an explanation, made once (the explanations of a page repeat the same
        few terms), without an IRI's definition (shown where the term is the value)."""
        if node not in self.seen:
            term = self.term(node)
            self.seen[node] = replace(term, note=None) if term.iri else term
        return self.seen[node]

    def graph_sources(self, graphs: list[str]) -> list[SourceRef]:
        """The sources of a list of graphs, made once per list."""
        key = tuple(graphs)
        if key not in self.held:
            self.held[key] = [self.source(self.d.sources.get(g) or Source(g, "other")) for g in key]
        return self.held[key]

    def rows(self, statements: list[Statement], backlinks: bool = False) -> list[Row]:
        by_predicate: dict[URIRef, list[Value]] = {}
        for st in statements:
            node = st.subject if backlinks else st.object
            by_predicate.setdefault(st.predicate, []).append(self.value(st, node))
        rows = [Row(self.term(p), values) for p, values in by_predicate.items()]
        return sorted(rows, key=lambda r: r.predicate.text.lower())

    def groups(self) -> list[Group]:
        own = [st for st in self.d.own() if st.predicate != RDF.type]
        grouped: dict[str, list[Statement]] = {title: [] for title, _test in GROUPS}
        for st in own:
            title = next(t for t, test in GROUPS if test(str(st.predicate)))
            grouped[title].append(st)
        return [Group(title, self.rows(sts)) for title, sts in grouped.items() if sts]


def page_view(d: Description, viewer: Viewer) -> dict[str, Any]:
    """Everything templates/linked/resource.html shows."""
    b = PageBuilder(d, viewer)
    iri = str(d.iri)
    title = b.label(iri)
    types = [
        Value(b.term(st.object), b.sources(st), st.inferred, why=b.why(st))
        for st in d.own()
        if st.predicate == RDF.type
    ]
    used = {name for st in (*d.statements, *d.backlinks) for name in st.graphs}
    documents = sorted(
        (b.source(d.sources[name]) for name in used if d.sources[name].kind == "source"),
        key=lambda s: (s.date or "", s.text),
    )
    return {
        "iri": iri,
        "title": str(title) if title is not None else shorten(iri),
        "lang": title.language if title is not None and title.language else "en",
        "types": types,
        "groups": b.groups(),
        "backlinks": b.rows(d.backlinks, backlinks=True),
        "documents": documents,
        "map": map_view(d, lambda i: b.term(URIRef(i)).text, viewer.link),
        "jsonld": schema_org(d, viewer.link(iri)),
        "truncated": d.truncated,
        "unexplained": unexplained(d),
    }


def void_view(g: Graph, viewer: Viewer) -> dict[str, Any]:
    """The dataset description as a page: headline figures, sources, dumps, partitions."""
    ds = next(g.subjects(RDF.type, DCAT.Dataset))

    def one(s: Node, p: URIRef) -> str | None:
        value = g.value(s, p)
        return str(value) if value is not None else None

    def labelled(iri: Node) -> Term:
        return Term(shorten(str(iri)), viewer.link(str(iri)), str(iri))

    dumps = []
    for dist in sorted(o for o in g.objects(ds, DCAT.distribution) if isinstance(o, Identifier)):
        url = g.value(dist, DCAT.downloadURL)
        if url is None:
            continue
        checksum = g.value(dist, URIRef("http://spdx.org/rdf/terms#checksum"))
        dumps.append(
            {
                "title": one(dist, DCTERMS.title),
                "url": str(url),
                "bytes": one(dist, DCAT.byteSize),
                "sha256": one(checksum, URIRef("http://spdx.org/rdf/terms#checksumValue"))
                if checksum is not None
                else None,
            }
        )

    def partitions(p: URIRef, key: URIRef, count: URIRef) -> list[tuple[Term, str]]:
        rows = [(g.value(part, key), one(part, count)) for part in g.objects(ds, p)]
        return sorted(
            ((labelled(k), n or "0") for k, n in rows if k is not None),
            key=lambda r: -int(r[1]),
        )

    return {
        "iri": str(ds),
        "title": one(ds, DCTERMS.title),
        "description": one(ds, DCTERMS.description),
        "version": one(ds, URIRef(str(DCAT) + "version")),
        "modified": one(ds, DCTERMS.modified),
        "license": one(ds, DCTERMS.license),
        "endpoint": one(ds, VOID.sparqlEndpoint),
        "figures": [
            (name, one(ds, VOID[name]))
            for name in ("triples", "entities", "distinctSubjects", "properties", "classes")
        ],
        "sources": sorted(
            (
                (labelled(doc), one(doc, DCTERMS.title), one(doc, DCTERMS.date))
                for doc in g.objects(ds, DCTERMS.source)
            ),
            key=lambda r: (r[2] or "", r[1] or ""),
        ),
        "subsets": [
            (labelled(s), one(s, VOID.triples) or "0")
            for s in sorted(o for o in g.objects(ds, VOID.subset) if isinstance(o, Identifier))
            if (s, RDF.type, VOID.Linkset) not in g
        ],
        "linksets": [
            (one(s, DCTERMS.title) or shorten(str(s)), one(s, VOID.triples))
            for s in g.objects(ds, VOID.subset)
            if (s, RDF.type, VOID.Linkset) in g
        ],
        "dumps": dumps,
        "classes": partitions(VOID.classPartition, VOID["class"], VOID.entities),
        "properties": partitions(VOID.propertyPartition, VOID.property, VOID.triples),
    }
