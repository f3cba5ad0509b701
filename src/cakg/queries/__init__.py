"""Saved queries: `.rq` files with a grlc `#+` YAML header, checked, bound, run, described as RDF.

- `header`: reading `queries/*.rq` and their header (QueryHeaderError with file and line).
- `params`: its parameters (grlc variables, typed), and each value checked against its type.
- `bind`: binding checked values into a query, pagination, exact counting, running it on an
  engine. Imported as `cakg.queries.bind`, not from here: it is the one module of the package
  that reads the engine interface, and the build (which describes the catalogue as RDF) must not.
- `graph`: the catalogue as RDF (SHACL SPARQL executables), for the release's QUERIES_GRAPH.
"""

from cakg.queries.graph import catalogue_graph
from cakg.queries.header import QUERIES_DIR, SAVED_QUERY, SavedQuery, load_catalogue, load_query
from cakg.queries.params import Param, expand, parse_value

__all__ = [
    "QUERIES_DIR",
    "SAVED_QUERY",
    "Param",
    "SavedQuery",
    "catalogue_graph",
    "expand",
    "load_catalogue",
    "load_query",
    "parse_value",
]
