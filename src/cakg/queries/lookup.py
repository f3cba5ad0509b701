"""Looking saved-query values up in the graph: entities by label, instances with their labels.

- `labelled`: the entities whose label (rdfs:label, skos:prefLabel, skos:altLabel or
  dcterms:title, in any language, any case) is exactly one of the given texts, each saying
  whether it is an instance of a class. The texts reach the query as literals written by
  cakg.sparql_terms, never pasted in.
- `instances`: the instances of a class (or the given IRIs) with their English label, for the
  allowed values and the pickers of a parameter; a source has no label but its dcterms:title.
- `value_kinds`: what the values of properties are (IRIs, text, numbers ...), as the ontology
  declares them (rdfs:range, owl:ObjectProperty) or else as the graph has them, to type the
  columns of a query's answer.

Every query runs on the release's engine over the union default graph with inference, as the
class membership check of cakg.queries.bind does. Reads the engine interface; the build never
imports this module.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rdflib import Literal, URIRef
from rdflib.term import Identifier

from cakg.engine.base import Engine, QueryDataset
from cakg.namespaces import shorten
from cakg.queries.columns import datatype_kind
from cakg.sparql_terms import sparql_term, values_column

XSD = "http://www.w3.org/2001/XMLSchema#"
SAMPLE_VALUES = 10_000  # values of a property read to learn their kind
RDFS_LABEL = "<http://www.w3.org/2000/01/rdf-schema#label>"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCTERMS_TITLE = "<http://purl.org/dc/terms/title>"
LABEL_PATH = f"{RDFS_LABEL}|<{SKOS}prefLabel>|<{SKOS}altLabel>|{DCTERMS_TITLE}"
# one English name per entity: its rdfs:label, else its skos:prefLabel, else its title
ENGLISH_LABEL = f"""\
  OPTIONAL {{ ?value {RDFS_LABEL} ?l1 FILTER(langMatches(lang(?l1), "en")) }}
  OPTIONAL {{ ?value <{SKOS}prefLabel> ?l2 FILTER(langMatches(lang(?l2), "en")) }}
  OPTIONAL {{ ?value {DCTERMS_TITLE} ?l3 FILTER(langMatches(lang(?l3), "en") || lang(?l3) = "") }}
  BIND(COALESCE(?l1, ?l2, ?l3) AS ?l)"""


@dataclass(frozen=True)
class Match:
    """An entity whose label is the text that was looked up."""

    iri: str
    label: str  # the label as the graph writes it
    typed: bool  # an instance of the class asked about (True when none was)

    def __str__(self) -> str:
        return f"{self.label} ({shorten(self.iri)})"


def label_key(text: str) -> str:
    """A label as it is compared: without surrounding spaces, in lower case."""
    return text.strip().lower()


def labelled(engine: Engine, texts: Iterable[str], cls: str | None) -> dict[str, list[Match]]:
    """The entities each text (by `label_key`) is the label of, sorted, instances of CLS first."""
    keys = sorted({label_key(t) for t in texts})
    found: dict[str, dict[str, Match]] = {key: {} for key in keys}
    if not keys:
        return {}
    typed = f"EXISTS {{ ?entity a {sparql_term(URIRef(cls))} }}" if cls else "true"
    sparql = (
        "SELECT ?key ?entity ?label ?typed WHERE {\n"
        f"  {values_column('key', (Literal(k) for k in keys))}\n"
        f"  ?entity {LABEL_PATH} ?label .\n"
        "  FILTER(isIRI(?entity) && LCASE(STR(?label)) = ?key)\n"
        f"  BIND({typed} AS ?typed)\n"
        "}"
    )
    for key, entity, label, is_typed in engine.query(sparql, dataset=QueryDataset()).rows:
        if key is not None and isinstance(entity, URIRef):
            # every label of one entity found for one key is the same text, but for its case
            found[str(key)].setdefault(str(entity), Match(str(entity), str(label), _true(is_typed)))
    return {
        key: sorted(matches.values(), key=lambda m: (not m.typed, m.label.lower(), m.iri))
        for key, matches in found.items()
    }


def instances(
    engine: Engine,
    cls: str | None = None,
    iris: Sequence[str] | None = None,
    limit: int | None = None,
) -> list[tuple[str, str]]:
    """(IRI, English label) of every instance of CLS (or of IRIS), ordered by label; at most
    LIMIT of them. An entity without a label is shown as its prefixed name."""
    terms: list[Identifier] = [URIRef(i) for i in iris or ()]
    pattern = values_column("value", terms) if iris is not None else ""
    if cls is not None:
        pattern += f" ?value a {sparql_term(URIRef(cls))} ."
    sparql = (
        f"SELECT ?value (SAMPLE(?l) AS ?label) WHERE {{\n  {pattern}\n{ENGLISH_LABEL}\n}}"
        " GROUP BY ?value ORDER BY ?label ?value"
        + (f" LIMIT {int(limit)}" if limit is not None else "")
    )
    rows = engine.query(sparql, dataset=QueryDataset()).rows
    return [
        (str(v), str(label) if label is not None else shorten(str(v)))
        for v, label in rows
        if isinstance(v, URIRef)
    ]


def value_kinds(engine: Engine, iris: Iterable[str]) -> dict[str, str]:
    """The kind of value (cakg.queries.columns.datatype_kind, or `iri`) of each property that
    says one: its rdfs:range when that is an XSD datatype or it is an owl:ObjectProperty; else,
    when its values in the graph (the first SAMPLE_VALUES of them) agree, theirs."""
    properties = sorted(set(iris))
    if not properties:
        return {}
    kinds: dict[str, str] = {}
    owl = "http://www.w3.org/2002/07/owl#"
    declared = (
        "SELECT ?p (COUNT(DISTINCT ?r) AS ?ranges) (SAMPLE(?r) AS ?range) (SAMPLE(?o) AS ?object)"
        f" WHERE {{\n  {values_column('p', [URIRef(i) for i in properties])}\n"
        "  OPTIONAL { ?p <http://www.w3.org/2000/01/rdf-schema#range> ?r }\n"
        f"  BIND(EXISTS {{ ?p a <{owl}ObjectProperty> }} AS ?o)\n}} GROUP BY ?p"
    )
    for p, count, range_, is_object in engine.query(declared, dataset=QueryDataset()).rows:
        one = isinstance(count, Literal) and count.value == 1 and isinstance(range_, URIRef)
        if _true(is_object):
            kinds[str(p)] = "iri"
        elif one and str(range_).startswith(XSD):
            kinds[str(p)] = datatype_kind(str(range_)) or ""
    rest = [p for p in properties if not kinds.get(p)]
    if rest:
        kinds.update(_used_kinds(engine, rest))
    return {p: kind for p, kind in kinds.items() if kind}


def _used_kinds(engine: Engine, properties: list[str]) -> dict[str, str]:
    """The kind of the values each property has in the graph, where they all have one."""
    samples = " UNION ".join(
        f"{{ {{ SELECT ?o WHERE {{ ?s {sparql_term(URIRef(p))} ?o }} LIMIT {SAMPLE_VALUES} }}"
        f" BIND({sparql_term(URIRef(p))} AS ?p) }}"
        for p in properties
    )
    sparql = (
        "SELECT ?p (COUNT(?o) AS ?n) (SUM(IF(isLiteral(?o), 0, 1)) AS ?nodes)"
        ' (GROUP_CONCAT(DISTINCT STR(?t); separator=" ") AS ?types)'
        f" WHERE {{\n  {samples}\n  BIND(DATATYPE(?o) AS ?t)\n}} GROUP BY ?p"
    )
    found: dict[str, str] = {}
    for p, n, nodes, types in engine.query(sparql, dataset=QueryDataset()).rows:
        if not isinstance(n, Literal) or not isinstance(nodes, Literal) or not n.value:
            continue
        if nodes.value == n.value:
            found[str(p)] = "iri"
        elif nodes.value == 0:
            kinds = {datatype_kind(t) for t in str(types).split()}
            if kinds <= {"integer", "number"}:
                kinds = {"number"} if "number" in kinds else kinds
            if len(kinds) == 1:
                found[str(p)] = kinds.pop() or ""
    return found


def _true(term: object) -> bool:
    return isinstance(term, Literal) and term.value is True
