"""The dataset's description in VoID and DCAT: counts, partitions, linksets, dumps, endpoint.

Counts come from the engine (the union of every named graph, inferred included) and the build
manifest (the triples of each named graph, the dumps' sizes and checksums, the version).

The description's own document, landing page, SPARQL endpoint, URI lookup endpoint and dumps are
absolute URLs under a ROOT (where the base IRI is served), because that is what VoID and DCAT
consumers dereference: void:sparqlEndpoint, void:dataDump and dcat:downloadURL are used as
found, often far from the document they came in. A server without a configured public URL only
knows its root from the request; so the counting, which is the costly part and the same for
every root, is done once with ROOT_PLACEHOLDER, and `with_root` gives each request its root.
"""

from __future__ import annotations

from importlib import metadata
from typing import Any

from rdflib import RDF, XSD, BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, OWL, SKOS, VOID

from cakg.config import Settings
from cakg.engine.base import Engine
from cakg.media import DUMP_MEDIA_TYPES, GZIP, MEDIA_TYPES
from cakg.namespaces import INFERRED_GRAPH, ONTOLOGY_IRI, PREFIXES

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
FORMATS_NS = Namespace("http://www.w3.org/ns/formats/")
DCAT_VERSION = URIRef(str(DCAT) + "version")  # DCAT 3, not in rdflib's closed namespace
IANA = "https://www.iana.org/assignments/media-types/"
WIKIDATA = "http://www.wikidata.org/entity/"
TITLE = "Central Asia Knowledge Graph"
# dump file name -> (media type, label)
DUMP_MEDIA = {name: (m, MEDIA_TYPES[m].label) for name, m in DUMP_MEDIA_TYPES.items()}

_DISTINCT = "SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }"
_COUNTS = f"""SELECT (COUNT(*) AS ?triples) (COUNT(DISTINCT ?s) AS ?subjects)
  (COUNT(DISTINCT ?p) AS ?properties) (COUNT(DISTINCT ?o) AS ?objects)
WHERE {{ {{ {_DISTINCT} }} }}"""
_ENTITIES = """SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {
  GRAPH ?g { ?s ?p ?o } FILTER(isIRI(?s) && STRSTARTS(STR(?s), %s))
}"""
_CLASSES = """SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE {
  GRAPH ?g { ?s a ?c } FILTER(isIRI(?c))
} GROUP BY ?c ORDER BY ?c"""
_PROPERTIES = f"SELECT ?p (COUNT(*) AS ?n) WHERE {{ {{ {_DISTINCT} }} }} GROUP BY ?p ORDER BY ?p"
# Links to Wikidata by predicate: owl:sameAs for people and places (the same thing), and
# skos:exactMatch for organisations, offices, corridors and initiatives (a match, not a merge).
LINK_PREDICATES = ((OWL.sameAs, "sameas"), (SKOS.exactMatch, "exactmatch"))


def _links_query(predicate: URIRef) -> str:
    return f"""SELECT (COUNT(*) AS ?n) WHERE {{ {{
  SELECT DISTINCT ?s ?o WHERE {{
    GRAPH ?g {{ ?s <{predicate}> ?o }} FILTER(STRSTARTS(STR(?o), "{WIKIDATA}"))
  }} }} }}"""


_SOURCES = """PREFIX cakg: <https://w3id.org/cakg/ontology#>
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?doc ?title ?date WHERE {
  ?doc a cakg:SourceDocument .
  OPTIONAL { ?doc dcterms:title ?title }
  OPTIONAL { ?doc dcterms:date ?date }
} ORDER BY ?doc"""
_ONTOLOGY = f"""PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?license WHERE {{ <{ONTOLOGY_IRI}> dcterms:license ?license }}"""
_EXAMPLE = "ASK { ?s ?p ?o }"
# Stands for the root in a description made once for all roots (the .invalid domain is never
# anyone's: RFC 6761).
ROOT_PLACEHOLDER = "http://root.invalid/"


def dataset_iri(settings: Settings) -> URIRef:
    """The dataset's own IRI, under the base (served as a 303 to its description)."""
    return URIRef(settings.base_iri + "dataset")


def with_root(graph: Graph, root: str, placeholder: str = ROOT_PLACEHOLDER) -> Graph:
    """A copy of GRAPH with every IRI under PLACEHOLDER moved under ROOT (ends in /)."""

    def moved(node: Any) -> Any:
        if isinstance(node, URIRef) and node.startswith(placeholder):
            return URIRef(root + node[len(placeholder) :])
        return node

    out = Graph()
    for prefix, namespace in graph.namespaces():
        out.bind(prefix, namespace, override=True)
    for s, p, o in graph:
        out.add((moved(s), p, moved(o)))
    return out


def build_void(
    engine: Engine,
    manifest: dict[str, Any],
    settings: Settings,
    root: str,
    counts: dict[str, int] | None = None,
) -> Graph:
    """The VoID + DCAT description; ROOT is the URL the base IRI is served at (ends in /), or
    ROOT_PLACEHOLDER for a description to give its root later (`with_root`). COUNTS are
    `dataset_counts`, when the caller has them already."""
    g = Graph()
    for prefix in ("dcat", "dcterms", "foaf", "owl", "void", "xsd", "cakg", "id"):
        g.bind(prefix, PREFIXES[prefix])
    g.bind("sd", SD)
    g.bind("spdx", SPDX)
    ds = dataset_iri(settings)
    void_doc = URIRef(root + ".well-known/void")
    g.add((void_doc, RDF.type, VOID.DatasetDescription))
    g.add((void_doc, FOAF.primaryTopic, ds))
    g.add((void_doc, DCTERMS.title, Literal(f"A VoID description of the {TITLE}", lang="en")))

    g.add((ds, RDF.type, VOID.Dataset))
    g.add((ds, RDF.type, DCAT.Dataset))
    g.add((ds, DCTERMS.title, Literal(TITLE, lang="en")))
    g.add((ds, DCTERMS.description, Literal(_summary(), lang="en")))
    version = str(manifest["version"])
    g.add((ds, DCAT_VERSION, Literal(version)))
    g.add((ds, OWL.versionInfo, Literal(version)))
    if manifest.get("built"):
        g.add((ds, DCTERMS.modified, Literal(manifest["built"], datatype=XSD.dateTime)))
    g.add((ds, DCAT.landingPage, URIRef(root)))
    g.add((ds, FOAF.homepage, URIRef(root)))
    for row in engine.query(_ONTOLOGY).rows:
        if row[0] is not None:
            g.add((ds, DCTERMS.license, row[0]))
    g.add((ds, VOID.vocabulary, URIRef(ONTOLOGY_IRI)))
    g.add((ds, VOID.uriSpace, Literal(settings.base_iri + "id/")))
    g.add((ds, VOID.sparqlEndpoint, URIRef(root + "sparql")))
    g.add((ds, VOID.uriLookupEndpoint, URIRef(root + "id/")))
    _counts(g, ds, engine, settings, counts or dataset_counts(engine, settings))
    _sources(g, ds, engine)
    _subsets(g, ds, manifest)
    _linkset(g, ds, engine, settings)
    _distributions(g, ds, manifest, root)
    return g


def _summary() -> str:
    try:
        return metadata.metadata("cakg")["Summary"] or TITLE
    except metadata.PackageNotFoundError:
        return TITLE


def _number(value: Any) -> Literal:
    return Literal(int(value), datatype=XSD.integer)


def dataset_counts(engine: Engine, settings: Settings) -> dict[str, int]:
    """The dataset's headline figures, as its VoID description states them: distinct triples
    (a triple in two named graphs counts once), subjects, properties, objects, and entities
    (subjects minted in the project's `id/` space). The home page shows the same figures."""
    triples, subjects, properties, objects = engine.query(_COUNTS).rows[0]
    space = Literal(settings.base_iri + "id/").n3()
    (entities,) = engine.query(_ENTITIES % space).rows[0]
    figures = zip(
        ("triples", "subjects", "properties", "objects", "entities"),
        (triples, subjects, properties, objects, entities),
        strict=True,
    )
    return {name: int(str(value)) if value is not None else 0 for name, value in figures}


def _counts(
    g: Graph, ds: URIRef, engine: Engine, settings: Settings, figures: dict[str, int]
) -> None:
    g.add((ds, VOID.triples, _number(figures["triples"])))
    g.add((ds, VOID.distinctSubjects, _number(figures["subjects"])))
    g.add((ds, VOID.properties, _number(figures["properties"])))
    g.add((ds, VOID.distinctObjects, _number(figures["objects"])))
    g.add((ds, VOID.entities, _number(figures["entities"])))
    classes = engine.query(_CLASSES).rows
    g.add((ds, VOID.classes, _number(len(classes))))
    for cls, n in classes:
        if cls is None:
            continue
        part = BNode()
        g.add((ds, VOID.classPartition, part))
        g.add((part, VOID["class"], cls))
        g.add((part, VOID.entities, _number(n)))
    for prop, n in engine.query(_PROPERTIES).rows:
        if prop is None:
            continue
        part = BNode()
        g.add((ds, VOID.propertyPartition, part))
        g.add((part, VOID.property, prop))
        g.add((part, VOID.triples, _number(n)))
    kazakhstan = URIRef(settings.base_iri + "id/state/kazakhstan")
    if engine.query(_EXAMPLE, bindings={"s": kazakhstan}).boolean:
        g.add((ds, VOID.exampleResource, kazakhstan))


def _sources(g: Graph, ds: URIRef, engine: Engine) -> None:
    for doc, title, date in engine.query(_SOURCES).rows:
        if doc is None:
            continue
        g.add((ds, DCTERMS.source, doc))
        if title is not None:
            g.add((doc, DCTERMS.title, title))
        if date is not None:
            g.add((doc, DCTERMS.date, date))


def _subsets(g: Graph, ds: URIRef, manifest: dict[str, Any]) -> None:
    """Each named graph is a subset with its own triple count."""
    for name, count in manifest.get("graphs", {}).items():
        graph = URIRef(name)
        g.add((ds, VOID.subset, graph))
        g.add((graph, RDF.type, VOID.Dataset))
        g.add((graph, SD.name, graph))
        g.add((graph, VOID.triples, _number(count)))
        if name == str(INFERRED_GRAPH):
            g.add((graph, DCTERMS.description, Literal("OWL 2 RL inferences", lang="en")))


def _linkset(g: Graph, ds: URIRef, engine: Engine, settings: Settings) -> None:
    """One void:Linkset per predicate that links cakg's things to Wikidata."""
    wikidata = URIRef("http://www.wikidata.org/")
    for predicate, slug in LINK_PREDICATES:
        (n,) = engine.query(_links_query(predicate)).rows[0]
        if not n:
            continue
        links = URIRef(f"{ds}#wikidata-{slug}-links")
        name = "owl:sameAs" if predicate == OWL.sameAs else "skos:exactMatch"
        g.add((ds, VOID.subset, links))
        g.add((links, RDF.type, VOID.Linkset))
        g.add((links, DCTERMS.title, Literal(f"{name} links to Wikidata", lang="en")))
        g.add((links, VOID.linkPredicate, predicate))
        g.add((links, VOID.subjectsTarget, ds))
        g.add((links, VOID.objectsTarget, wikidata))
        g.add((links, VOID.triples, _number(n)))
        g.add((wikidata, RDF.type, VOID.Dataset))
        g.add((wikidata, DCTERMS.title, Literal("Wikidata", lang="en")))
        g.add((wikidata, VOID.uriSpace, Literal(WIKIDATA)))


def _distributions(g: Graph, ds: URIRef, manifest: dict[str, Any], root: str) -> None:
    files = manifest.get("files", {})
    for name, (media, label) in DUMP_MEDIA.items():
        for fname, gz in ((name, False), (f"{name}.gz", True)):
            info = files.get(fname)
            if info is None:
                continue
            url = URIRef(root + "dumps/" + fname)
            dist = URIRef(f"{ds}#dump-{fname.replace('.', '-')}")
            g.add((ds, VOID.dataDump, url))
            g.add((ds, DCAT.distribution, dist))
            g.add((dist, RDF.type, DCAT.Distribution))
            g.add((dist, DCTERMS.title, Literal(f"{label} dump{' (gzip)' if gz else ''}")))
            g.add((dist, DCAT.downloadURL, url))
            g.add((dist, DCAT.accessURL, url))
            g.add((dist, DCAT.mediaType, URIRef(IANA + media)))
            g.add((dist, DCTERMS.format, FORMATS_NS[label.replace("-", "_")]))
            if gz:
                g.add((dist, DCAT.compressFormat, URIRef(IANA + GZIP)))
            size = Literal(int(info["bytes"]), datatype=XSD.nonNegativeInteger)
            g.add((dist, DCAT.byteSize, size))
            checksum = URIRef(f"{dist}-sha256")
            g.add((dist, SPDX.checksum, checksum))
            g.add((checksum, RDF.type, SPDX.Checksum))
            g.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
            g.add((checksum, SPDX.checksumValue, Literal(info["sha256"], datatype=XSD.hexBinary)))
    service = URIRef(f"{ds}#sparql")
    endpoint = URIRef(root + "sparql")
    g.add((ds, DCAT.distribution, URIRef(f"{ds}#sparql-access")))
    access = URIRef(f"{ds}#sparql-access")
    g.add((access, RDF.type, DCAT.Distribution))
    g.add((access, DCTERMS.title, Literal("SPARQL endpoint")))
    g.add((access, DCAT.accessURL, endpoint))
    g.add((access, DCAT.accessService, service))
    g.add((service, RDF.type, DCAT.DataService))
    g.add((service, DCAT.endpointURL, endpoint))
    g.add((service, DCAT.servesDataset, ds))
    g.add((service, DCTERMS.conformsTo, URIRef("https://www.w3.org/TR/sparql11-protocol/")))
    g.add((service, DCAT.endpointDescription, endpoint))
