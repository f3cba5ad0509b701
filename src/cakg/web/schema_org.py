"""A resource in schema.org terms, the JSON-LD its page embeds for search engines."""

from __future__ import annotations

import re

from rdflib import RDF, XSD, BNode, Graph, Literal
from rdflib.namespace import OWL, SDO

from cakg.namespaces import PREFIXES
from cakg.resource_description import Description

_ABSOLUTE = re.compile(r"https?:", re.IGNORECASE)

# The schema.org type for a cakg class, when the ontology does not say (by subclass) itself.
SCHEMA_TYPES = {
    "State": "Country",
    "City": "City",
    "Region": "AdministrativeArea",
    "Person": "Person",
    "Organisation": "Organization",
    "Organization": "Organization",
    "Visit": "Event",
    "Meeting": "Event",
    "Agreement": "Legislation",
    "SourceDocument": "Article",
    "River": "RiverBodyOfWater",
    "Reservoir": "Reservoir",
}


def schema_org(d: Description, page: str) -> str:
    """The resource in schema.org terms, as JSON-LD safe to embed in a <script> element.

    PAGE is the URL of its page: schema:url when it is absolute, else the IRI (which redirects
    to the page)."""
    g = Graph()
    g.bind("schema", SDO)
    me = d.iri
    types = [t for t in d.types if str(t).startswith(str(SDO))]
    if not types:
        for t in d.types:
            local = str(t).rsplit("#", 1)[-1]
            if str(t).startswith(PREFIXES["cakg"]) and local in SCHEMA_TYPES:
                types.append(SDO[SCHEMA_TYPES[local]])
    for t in types or [SDO.Thing]:
        g.add((me, RDF.type, t))
    for label in d.labels.get(str(me), []):
        g.add((me, SDO.name, label))
    for definition in d.definitions.get(str(me), []):
        g.add((me, SDO.description, definition))
    g.add((me, SDO.url, Literal(page if _ABSOLUTE.match(page) else str(me))))
    for st in d.own():
        if st.predicate == OWL.sameAs:
            g.add((me, SDO.sameAs, Literal(str(st.object))))
        elif str(st.predicate).startswith(str(SDO)) and not isinstance(st.object, BNode):
            g.add((me, st.predicate, st.object))
    for point in d.points.get(str(me), [])[:1]:
        geo = BNode("geo")  # a fixed id: the same page, byte for byte, on every render
        g.add((me, SDO.geo, geo))
        g.add((geo, RDF.type, SDO.GeoCoordinates))
        g.add((geo, SDO.latitude, Literal(point.lat, datatype=XSD.decimal)))
        g.add((geo, SDO.longitude, Literal(point.lon, datatype=XSD.decimal)))
    text = g.serialize(format="json-ld", context={"@vocab": str(SDO)}, auto_compact=True)
    return text.replace("</", "<\\/")
