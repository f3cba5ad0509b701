"""Where Virtuoso Open Source 7.2 (Debian's virtuoso-opensource, 07.20.3229) departs from SPARQL 1.1
and RDF 1.1, as the tests found it: id -> (what Virtuoso does, with a reproduction; the consequence
for cakg's users; the workaround, if any).

A test that fails on the virtuoso kind only because of one of these stays as it is and marks its
virtuoso item `xfail(strict=True)` citing the entry (`virtuoso_deviates` and `deviation_xfail` in
conftest.py), so that it fails again, and tells us, when a Virtuoso release stops deviating.
PROBES holds the reproductions that need no more than a few triples; tests/test_virtuoso.py runs
each on an empty Virtuoso of its own (`test_each_deviation_still_holds`).
"""

from __future__ import annotations

GEO_WKT = "http://www.opengis.net/ont/geosparql#wktLiteral"
XSD = "http://www.w3.org/2001/XMLSchema#"

DEVIATIONS: dict[str, tuple[str, str, str]] = {
    "crash-bind-after-filter": (
        "virtuoso-t dies (SIGSEGV) on a group that ends in a BIND after a FILTER when a VALUES of "
        "two variables comes before it: with <urn:s> a <urn:o> stored, SELECT * WHERE { VALUES "
        "(?s ?o) { (<urn:s> <urn:o>) } { ?m owl:sameAs ?s . ?m a ?o FILTER(!sameTerm(?m, ?s)) "
        "BIND(1 AS ?b) } }",
        "one query takes the whole store down (every reader gets 503 until it is restarted); "
        'cakg\'s inference explanations (the "why?" of resource pages) were such queries',
        "cakg binds each branch's number first (cakg.inference_rules._union, _chain_group); "
        "others: put the BIND before the FILTER",
    ),
    "zero-length-path-in-graph-variable": (
        "under GRAPH ?g, a zero-or-more path (p*) from a bound node leaves out the zero-length "
        "match, the node itself: with <urn:a> <urn:p> <urn:b> in a graph, SELECT ?x WHERE { GRAPH "
        "?g { <urn:a> <urn:p> <urn:b> . <urn:a> <urn:p>* ?x } } gives <urn:b> only (SPARQL 1.1, "
        "9.3: <urn:a> too); under a named GRAPH <g> it gives both",
        "RDF lists read with rdf:rest* lose their first node: property chains were not found, "
        'and their inferences shown as "rule not identified"',
        "cakg reads a list's head and its rdf:rest+ nodes apart (cakg.inference_explanation."
        "_CHAINS); others: { ?l ... BIND(?l AS ?node) } UNION { ?l rdf:rest+ ?node }",
    ),
    "wkt-float32": (
        "a geo:wktLiteral is stored as a virtrdf:Geometry of single-precision numbers and given "
        'back rewritten: "POINT(71.4304 51.1282)"^^geo:wktLiteral comes back as '
        '"POINT(71.430397033691 51.128200531006)" (RDF 1.1: a literal is returned as stored)',
        "coordinates shift by up to ~1e-5 degrees (about a metre) and are written with 12 "
        "decimals on pages, maps and downloads",
        "none in cakg; store coordinates as xsd:decimal too when the exact figures matter",
    ),
    "boolean-as-integer": (
        "a computed boolean comes back as an integer: SELECT ((1 < 2) AS ?b) {} gives "
        '"1"^^xsd:integer (SPARQL 1.1, 17.3: "true"^^xsd:boolean)',
        "saved queries and /sparql answers that compute a flag give 0/1 numbers on Virtuoso; "
        "a view that expects true/false reads them as numbers",
        'compute the flag as a string (IF(..., "yes", "no")) where the type matters',
    ),
    "concat-unbound": (
        'CONCAT with an unbound argument gives a string: SELECT (CONCAT("/", ?nothing) AS ?c) '
        '{} gives "/" (SPARQL 1.1, 17.2: an error, so ?c is left unbound)',
        "a saved query that builds a text from optional parts gets stray separators instead "
        "of no value",
        "test BOUND() first: IF(BOUND(?x), CONCAT(...), ?unbound)",
    ),
    "sp031-sparp-gp-deprecate": (
        "the saved query state-neighbourhood (queries/state-neighbourhood.rq, its ?_state_iri "
        "given by VALUES: GET /queries/state-neighbourhood.json?state=id:state/kazakhstan) is "
        'refused: "SP031: SPARQL compiler: Internal error: sparp_gp_deprecate(): equiv replaces '
        'filter but under deprecation" (a UNION binding ?direction, then FILTER(?direction = '
        '"in" || NOT EXISTS {...}) twice); no smaller reproduction found yet',
        "the saved query answers 400 on Virtuoso",
        "none yet",
    ),
    "filter-exists-before-optional": (
        "the saved query centres-and-projects with status=planned&country=id:state/uzbekistan "
        "gives 4 rows instead of 7: the joint project kz-uz-planned-industrial-projects (a "
        "party of Uzbekistan, located nowhere) is missing; taking out the OPTIONAL { ?thing "
        "cakg:location ?location } that follows FILTER(... || EXISTS { ?thing cakg:location "
        "?__country_iri } || EXISTS { ?thing cakg:party ?__country_iri }) brings it back (an "
        "OPTIONAL cannot remove rows); no smaller reproduction found yet",
        "a saved query silently leaves rows out on Virtuoso",
        "none yet",
    ),
}

# id -> (a SPARQL Update that sets the data up, or ""; a SELECT; the rows SPARQL 1.1 calls for,
# each as {variable: value}, a literal's value followed by ^^datatype or @language).
PROBES: dict[str, tuple[str, str, list[dict[str, str]]]] = {
    "crash-bind-after-filter": (
        "INSERT DATA { GRAPH <urn:x-probe> { <urn:s> a <urn:o> } }",
        "SELECT * WHERE { VALUES (?s ?o) { (<urn:s> <urn:o>) } { ?m "
        "<http://www.w3.org/2002/07/owl#sameAs> ?s . ?m a ?o FILTER(!sameTerm(?m, ?s)) "
        "BIND(1 AS ?b) } }",
        [],
    ),
    "zero-length-path-in-graph-variable": (
        "INSERT DATA { GRAPH <urn:x-probe> { <urn:a> <urn:p> <urn:b> } }",
        "SELECT ?x WHERE { GRAPH ?g { <urn:a> <urn:p> <urn:b> . <urn:a> <urn:p>* ?x } } "
        "ORDER BY ?x",
        [{"x": "urn:a"}, {"x": "urn:b"}],
    ),
    "wkt-float32": (
        "INSERT DATA { GRAPH <urn:x-probe> { <urn:w> <urn:geo> "
        f'"POINT(71.4304 51.1282)"^^<{GEO_WKT}> }} }}',
        "SELECT ?o WHERE { <urn:w> <urn:geo> ?o }",
        [{"o": f"POINT(71.4304 51.1282)^^{GEO_WKT}"}],
    ),
    "boolean-as-integer": ("", "SELECT ((1 < 2) AS ?b) WHERE {}", [{"b": f"true^^{XSD}boolean"}]),
    "concat-unbound": ("", 'SELECT (CONCAT("/", ?nothing) AS ?c) WHERE {}', [{}]),
}
