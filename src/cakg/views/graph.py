"""CONSTRUCT and DESCRIBE answers for people: a labelled triples table and a node-link picture.

`triple_rows` turns every triple into a row of three `Cell`s (cakg.views.cells): labels in
words, local links, the exact values in titles; sorted by subject, property and object.

`graph_view` draws the same triples as a Vega force-directed graph (cakg.views.graph_spec):
the IRIs and blank nodes are nodes, coloured by their most specific class, and the triples
between two of them are links (parallel ones merged, their properties named on hover). The
rest are node details, shown in the node's tooltip: its types (rdf:type, which colours it too)
and up to MAX_DETAILS literal values. Past MAX_NODES nodes the most connected are drawn; the
notes count every triple as drawn as a link, shown as a detail or left to the table.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rdflib import DCTERMS, RDF, RDFS, SKOS, BNode, Literal, URIRef
from rdflib.term import Node

from cakg.engine.base import Engine, QueryDataset
from cakg.namespaces import BASE, shorten, sparql_prologue
from cakg.views.base import View
from cakg.views.cells import BlankNumbers, sort_key, term_cell
from cakg.views.graph_spec import GraphLink, GraphNode, graph_spec
from cakg.views.labels import MAX_TERMS, Terms
from cakg.views.table import Cell

MAX_NODES = 300
MAX_DETAILS = 6  # literal values in a node's tooltip; the others are in the table
MAX_TIP = 160  # characters of a value in a tooltip
MAX_TIP_TITLE = 70  # of its heading, which does not wrap
NO_TYPE = "no type given"
RESERVED = ("title", "image")  # tooltip keys vega-tooltip reads as a heading and an image URL

TYPES = """\
SELECT ?s ?type WHERE {{
  VALUES ?s {{ {values} }}
  ?s rdf:type ?type .
  FILTER NOT EXISTS {{ ?s rdf:type ?sub . ?sub rdfs:subClassOf ?type . FILTER(?sub != ?type) }}
}}
"""

Triple = tuple[Node, Node, Node]
NAMES = (RDFS.label, SKOS.prefLabel, DCTERMS.title)  # as cakg.views.labels looks them up


@dataclass(frozen=True)
class TripleRow:
    subject: Cell
    property: Cell
    object: Cell


def triple_rows(engine: Engine, triples: Sequence[Triple], terms: Terms) -> list[TripleRow]:
    """Every triple as a row people read, sorted by subject label, property label, object."""
    terms.lookup(engine, _iris(triples))
    _name_from_answer(triples, terms)
    blanks = BlankNumbers()
    rows = [
        TripleRow(*(term_cell(term, terms, blanks) for term in triple))
        for triple in _ordered(triples)
    ]
    rows.sort(key=lambda r: (sort_key(r.subject), sort_key(r.property), sort_key(r.object)))
    return rows


@dataclass
class _Node:
    term: Node
    cell: Cell
    types: list[tuple[Cell, Node]] = field(default_factory=list)  # the answer's rdf:type triples
    details: list[tuple[Cell, Cell]] = field(default_factory=list)  # (property, literal)
    degree: int = 0


def graph_view(engine: Engine, triples: Sequence[Triple], terms: Terms) -> View:
    """The answer as a node-link picture; `marks` is the number of links drawn."""
    ordered = _ordered(triples)
    if not ordered:
        return View(kind="graph", caption="The answer has no statements to draw.")
    subjects = {s for s, _, _ in ordered}
    objects = {o for _, p, o in ordered if _is_node(o) and p != RDF.type}
    classes = {o for _, p, o in ordered if p == RDF.type and isinstance(o, URIRef)}
    iris = {str(n) for n in subjects | objects if isinstance(n, URIRef)}
    graph_types = _graph_types(engine, iris)
    terms.lookup(engine, iris | {str(c) for c in classes} | _iris(ordered) | _flat(graph_types))
    _name_from_answer(ordered, terms)
    blanks = BlankNumbers()

    def cell(term: Node) -> Cell:
        return term_cell(term, terms, blanks)

    nodes: dict[Node, _Node] = {}
    for term in sorted(subjects | objects, key=_order):
        nodes[term] = _Node(term, cell(term))
    pairs: dict[tuple[Node, Node], list[tuple[Cell, str]]] = defaultdict(list)
    for s, p, o in ordered:
        if p == RDF.type and isinstance(o, URIRef | BNode):
            nodes[s].types.append((cell(o), o))
        elif _is_node(o):
            pairs[(s, o)].append((cell(p), str(p)))
            nodes[s].degree += 1
            nodes[o].degree += s != o
        else:
            nodes[s].details.append((cell(p), cell(o)))

    drawn = sorted(nodes.values(), key=lambda n: (-n.degree, sort_key(n.cell)))[:MAX_NODES]
    index = {n.term: i for i, n in enumerate(drawn)}
    graph_nodes = [_graph_node(i, n, graph_types, terms) for i, n in enumerate(drawn)]
    links = [
        GraphLink(
            index[s],
            index[o],
            [c.text for c, _ in props],
            [iri for _, iri in props],
            _link_tip([c for c, _ in props], nodes[s].cell, nodes[o].cell),
        )
        for (s, o), props in pairs.items()
        if s in index and o in index
    ]
    hidden = sum(len(n.types) + len(n.details) for n in drawn) - sum(g.shown for g in graph_nodes)
    counts = Counter(
        linked=sum(len(link.properties) for link in links),
        details=sum(g.shown for g in graph_nodes),
    )
    counts["omitted"] = len(ordered) - counts["linked"] - counts["details"]
    caption = (
        f"The {_n(len(ordered), 'statement')} of the answer as a network: "
        f"{_n(len(drawn), 'thing')} and {_n(len(links), 'link')} between them. Hover over a "
        "node or a link for its details, drag a node to move it, scroll to zoom, drag the "
        "background to pan and double-click to reset; click a node to open its page."
    )
    notes = _notes(counts, len(links), len(drawn), len(nodes) - len(drawn), hidden)
    spec = graph_spec(graph_nodes, links, description=caption, counts=dict(counts))
    return View(kind="graph", spec=spec, caption=caption, notes=notes, marks=len(links))


def _notes(counts: Counter[str], links: int, drawn: int, left_out: int, hidden: int) -> list[str]:
    """What the picture shows and what it leaves to the table; the counts add up to the
    number of triples, each note starting with its count."""
    notes = [
        f"{_n(counts['linked'], 'statement')} drawn as {_n(links, 'link')} "
        f"between {_n(drawn, 'node')}.",
        f"{_n(counts['details'], 'statement')} shown as node details (types, names, "
        "values) when you hover over a node.",
    ]
    if not counts["omitted"]:
        return notes
    why = []
    if left_out:
        were = "node is" if left_out == 1 else "nodes are"
        why.append(
            f"{left_out} less connected {were} left out of the {drawn + left_out}, "
            "with their statements"
        )
    if hidden:
        why.append(f"{hidden} values past the first {MAX_DETAILS} of a node")
    notes.append(
        f"{_n(counts['omitted'], 'statement')} not drawn ({'; '.join(why)}); every statement "
        "is listed in the table."
    )
    return notes


def _graph_node(i: int, node: _Node, graph_types: dict[str, list[str]], terms: Terms) -> GraphNode:
    """The node as the picture draws it; `shown` counts the triples its tooltip shows."""
    colour = _colour_type(node, graph_types, terms)
    tip: dict[str, str] = {"title": _clip(node.cell.text, MAX_TIP_TITLE)}
    if node.types:
        tip["type"] = ", ".join(sorted({t.text for t, _ in node.types}, key=str.casefold))
    elif colour != NO_TYPE:
        tip["type"] = colour
    shown = len(node.types)
    values = 0
    for prop, value in sorted(node.details, key=lambda d: (sort_key(d[0]), sort_key(d[1]))):
        if value.kind == "text" and value.text == node.cell.text:
            shown += 1  # the name, which titles the tooltip
        elif values < MAX_DETAILS:
            key = f"{prop.text} (value)" if prop.text in RESERVED else prop.text
            text = _clip(value.text)
            tip[key] = f"{tip[key]}; {text}" if key in tip else text
            values += 1
            shown += 1
    iri = str(node.term) if isinstance(node.term, URIRef) else f"_:{node.term}"
    labelled = isinstance(node.term, URIRef) and node.cell.text != shorten(iri)
    return GraphNode(
        i,
        iri,
        node.cell.text,
        node.cell.href,
        colour,
        node.degree,
        tip,
        shown,
        labelled,
    )


def _colour_type(node: _Node, graph_types: dict[str, list[str]], terms: Terms) -> str:
    """The class a node is coloured by: its most specific class in the graph, preferring the
    project's own; else a class the answer gives it."""
    found = graph_types.get(str(node.term), [])
    found = found or [str(c) for _, c in node.types if isinstance(c, URIRef)]
    if not found:
        return node.types[0][0].text if node.types else NO_TYPE
    best = min(found, key=lambda c: (not c.startswith(BASE), terms.get(c).label.casefold(), c))
    return terms.get(best).label


def _link_tip(props: list[Cell], source: Cell, target: Cell) -> dict[str, str]:
    return {
        "title": _clip("; ".join(p.text for p in props), MAX_TIP_TITLE),
        "from": _clip(source.text),
        "to": _clip(target.text),
    }


def _name_from_answer(triples: Iterable[Triple], terms: Terms) -> None:
    """An IRI the graph gives no label gets the answer's own (English first): a CONSTRUCT may
    name what it builds."""
    found: dict[str, tuple[int, str]] = {}
    for s, p, o in triples:
        if p in NAMES and isinstance(s, URIRef) and isinstance(o, Literal):
            lang = (o.language or "").lower()
            rank = 0 if lang == "en" or lang.startswith("en-") else 1 if not lang else 2
            if rank < found.get(str(s), (9, ""))[0]:
                found[str(s)] = (rank, str(o))
    for iri, (_, label) in sorted(found.items()):
        term = terms.get(iri)
        if term.label == shorten(iri):
            term.label = label


def _graph_types(engine: Engine, iris: Iterable[str]) -> dict[str, list[str]]:
    """The most specific classes of each IRI in the whole graph (asserted and inferred)."""
    wanted = sorted(iris)
    found: dict[str, list[str]] = defaultdict(list)
    for start in range(0, len(wanted), MAX_TERMS):
        values = " ".join(f"<{i}>" for i in wanted[start : start + MAX_TERMS])
        result = engine.query(
            sparql_prologue() + TYPES.format(values=values), dataset=QueryDataset()
        )
        for s, type_ in result.rows:
            if isinstance(type_, URIRef):
                found[str(s)].append(str(type_))
    return found


def _flat(found: dict[str, list[str]]) -> set[str]:
    return {c for classes in found.values() for c in classes}


def _ordered(triples: Iterable[Triple]) -> list[Triple]:
    """The triples in one order: blank nodes get the same numbers in the table and the picture."""
    return sorted(set(triples), key=lambda t: tuple(_order(x) for x in t))


def _order(term: Node) -> tuple[int, str]:
    return (0 if isinstance(term, URIRef) else 1 if isinstance(term, BNode) else 2, str(term))


def _iris(triples: Iterable[Triple]) -> set[str]:
    return {str(t) for triple in triples for t in triple if isinstance(t, URIRef)}


def _is_node(term: Node) -> bool:
    return isinstance(term, URIRef | BNode)


def _clip(text: str, most: int = MAX_TIP) -> str:
    text = " ".join(text.split())
    return text if len(text) <= most else text[: most - 1] + "…"


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"
