"""The XML Schema datatypes of numbers, in one place: whole numbers and the others.

Core module (rdflib only), read by the records form (cakg.results), the columns of the OpenAPI
document (cakg.queries.columns) and the tables and charts (cakg.views).
"""

from __future__ import annotations

from rdflib.namespace import XSD

INTEGERS = frozenset(XSD[t] for t in (
    "integer", "int", "long", "short", "byte", "nonNegativeInteger", "positiveInteger",
    "negativeInteger", "nonPositiveInteger", "unsignedLong", "unsignedInt", "unsignedShort",
    "unsignedByte",
))  # fmt: skip
DECIMALS = frozenset((XSD.decimal, XSD.double, XSD.float))
NUMBERS = INTEGERS | DECIMALS
