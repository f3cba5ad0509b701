"""Every media type cakg speaks: its aliases, its `format=` names, its file extension, and the
offer lists of each kind of representation.

One record per media type (`MediaType`): what clients may send for it instead (`aliases`), the
names the `format` request parameter gives it, the extension that names it in URLs and dump
files, its label and rdflib's name for its writer. The offer lists say, per kind of
representation (query results, graphs, quads, HTML pages, dumps, saved-query runs), which types
are offered and in which order: the first is what a client without an Accept header gets, and
the order breaks ties between equally acceptable types. Negotiation itself is werkzeug's Accept
parsing over these lists (cakg.results, cakg.web.negotiation); this module only holds data.
"""

from __future__ import annotations

from dataclasses import dataclass

SPARQL_JSON = "application/sparql-results+json"
SPARQL_XML = "application/sparql-results+xml"
CSV = "text/csv"
TSV = "text/tab-separated-values"
TURTLE = "text/turtle"
NTRIPLES = "application/n-triples"
JSONLD = "application/ld+json"
RDF_XML = "application/rdf+xml"
TRIG = "application/trig"
NQUADS = "application/n-quads"
HTML = "text/html"
XHTML = "application/xhtml+xml"
JSON = "application/json"
XML = "application/xml"
TEXT_XML = "text/xml"
X_TURTLE = "application/x-turtle"
TEXT = "text/plain"
GZIP = "application/gzip"
SPARQL_QUERY = "application/sparql-query"
SPARQL_UPDATE = "application/sparql-update"
FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class MediaType:
    """One media type: how clients name it and how cakg writes and names it."""

    name: str  # "text/turtle"
    label: str  # "Turtle", as people (and the W3C formats namespace) call it
    extension: str  # in URLs (/data/x.ttl, /queries/q.csv) and dump files (cakg.ttl)
    writer: str | None = None  # rdflib's serializer (or result serializer) name
    aliases: tuple[str, ...] = ()  # media types clients send meaning this one
    format_names: tuple[str, ...] = ()  # values of the `format` parameter naming it


_ALL = (
    MediaType(SPARQL_JSON, "SPARQL Results JSON", "json", "json", (JSON,), ("json",)),
    MediaType(SPARQL_XML, "SPARQL Results XML", "xml", "xml", (XML, TEXT_XML), ("xml",)),
    MediaType(CSV, "SPARQL Results CSV", "csv", "csv", (), ("csv",)),
    # rdflib has no TSV writer: cakg writes TSV itself (engine/rdflib_dataset.py)
    MediaType(TSV, "SPARQL Results TSV", "tsv", "tsv", ("text/tsv",), ("tsv",)),
    # Turtle is N3's subset; SPARQLWrapper asks for format=n3
    MediaType(TURTLE, "Turtle", "ttl", "turtle", (X_TURTLE,), ("turtle", "n3", "ttl")),
    MediaType(NTRIPLES, "N-Triples", "nt", "nt", (TEXT,), ("nt", "ntriples", "n-triples")),
    MediaType(JSONLD, "JSON-LD", "jsonld", "json-ld", (JSON,), ("json", "jsonld", "json-ld")),
    MediaType(
        RDF_XML, "RDF/XML", "rdf", "xml", (XML, TEXT_XML), ("xml", "rdfxml", "rdf", "rdf+xml")
    ),
    MediaType(TRIG, "TriG", "trig", "trig"),
    MediaType(NQUADS, "N-Quads", "nq", "nquads"),
    # A SELECT answer as records: a JSON array of one object per row with plain values (numbers,
    # booleans, strings; null when unbound), which pandas.read_json reads as it is. Saved queries
    # only, by the extension: for Accept, application/json names SPARQL JSON (RESULT_ALIASES).
    MediaType(JSON, "JSON records", "records.json"),  # RECORDS_EXTENSION
    MediaType(HTML, "HTML", "html", None, (XHTML,)),
    MediaType(SPARQL_QUERY, "SPARQL query", "rq"),
    MediaType(GZIP, "gzip", "gz"),
)
MEDIA_TYPES = {m.name: m for m in _ALL}

# --- offer lists per kind, the first being the default

# SELECT and ASK results on /sparql.
RESULT_MEDIA_TYPES = (SPARQL_JSON, SPARQL_XML, CSV, TSV)
# CONSTRUCT and DESCRIBE results on /sparql.
GRAPH_MEDIA_TYPES = (TURTLE, NTRIPLES, JSONLD, RDF_XML)
# Graphs on the linked-data routes (/data, /ontology, /shapes, /store, VoID), in their order.
TRIPLE_MEDIA_TYPES = (TURTLE, JSONLD, NTRIPLES, RDF_XML)
# Datasets (a resource's description with its graphs).
QUAD_MEDIA_TYPES = (TRIG, NQUADS)
# HTML pages.
HTML_TYPES = (HTML, XHTML)
# The service description of /sparql.
SERVICE_MEDIA_TYPES = (TURTLE, JSONLD, RDF_XML)
# The whole-dataset dumps, by file name (each also served gzipped).
DUMP_MEDIA_TYPES = {f"cakg.{MEDIA_TYPES[m].extension}": m for m in (TURTLE, TRIG, NQUADS)}
RECORDS_EXTENSION = "records.json"
# Saved-query runs, by extension, per query form. The saved-query API named JSON-LD `.json`.
SAVED_OFFERS: dict[str, dict[str, str]] = {
    "SELECT": {
        "json": SPARQL_JSON,
        RECORDS_EXTENSION: JSON,
        "csv": CSV,
        "tsv": TSV,
        "xml": SPARQL_XML,
        "html": HTML,
    },
    "CONSTRUCT": {"ttl": TURTLE, "nt": NTRIPLES, "json": JSONLD, "html": HTML},
    "DESCRIBE": {"ttl": TURTLE, "nt": NTRIPLES, "json": JSONLD, "html": HTML},
    "ASK": {"json": SPARQL_JSON, "xml": SPARQL_XML, "html": HTML},
}
# the picture of a saved query's answer (its declared view), by extension only: /queries/x.svg
PICTURES: dict[str, str] = {"svg": "image/svg+xml", "png": "image/png"}
SAVED_EXTENSIONS = frozenset({*(e for o in SAVED_OFFERS.values() for e in o), "rq", *PICTURES})
# Saved-query formats asked for by their extension only, never chosen by Accept: their media
# type is what clients also send meaning another one (application/json: SPARQL JSON results).
SAVED_BY_NAME_ONLY = frozenset({RECORDS_EXTENSION})


def aliases_of(media_types: tuple[str, ...]) -> dict[str, str]:
    """Alias -> media type, for the aliases of MEDIA_TYPES (the first type claiming one wins)."""
    table: dict[str, str] = {}
    for name in media_types:
        for alias in MEDIA_TYPES[name].aliases:
            table.setdefault(alias, name)
    return table


def by_extension(media_types: tuple[str, ...]) -> dict[str, str]:
    """Extension -> media type, for MEDIA_TYPES."""
    return {MEDIA_TYPES[name].extension: name for name in media_types}


def writer(media_type: str) -> str:
    """rdflib's serializer name for a media type that has one."""
    name = MEDIA_TYPES[media_type].writer
    if name is None:
        raise KeyError(media_type)
    return name


RESULT_ALIASES = aliases_of(RESULT_MEDIA_TYPES)
GRAPH_ALIASES = aliases_of(GRAPH_MEDIA_TYPES)


def _format_names() -> dict[str, tuple[str | None, str | None]]:
    table: dict[str, tuple[str | None, str | None]] = {}
    for kind, media_types in enumerate((RESULT_MEDIA_TYPES, GRAPH_MEDIA_TYPES)):
        for name in media_types:
            for format_name in MEDIA_TYPES[name].format_names:
                pair = list(table.get(format_name, (None, None)))
                pair[kind] = name
                table[format_name] = (pair[0], pair[1])
    return table


# The `format` request parameter: name -> (results media type, graph media type).
FORMAT_NAMES = _format_names()
