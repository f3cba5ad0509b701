"""Saved queries: `.rq` files with a grlc `#+` YAML header, checked, bound, run, described as RDF.

- `header`: reading `queries/*.rq` and their header (QueryHeaderError with file and line).
- `params`: its parameters (grlc variables, typed), and each value checked against its type.
- `bind`: binding checked values into a query, pagination, exact counting, running it.
- `graph`: the catalogue as RDF (SHACL SPARQL executables), for the release's QUERIES_GRAPH.
"""

from cakg.queries.bind import (
    MAX_PER_PAGE,
    Page,
    SavedResult,
    allowed_values,
    bound_sparql,
    check_membership,
    count_sparql,
    find_query,
    parse_assignments,
    parse_params,
    run_saved,
)
from cakg.queries.graph import catalogue_graph
from cakg.queries.header import QUERIES_DIR, SAVED_QUERY, SavedQuery, load_catalogue, load_query
from cakg.queries.params import Param, expand, parse_value

__all__ = [
    "MAX_PER_PAGE",
    "QUERIES_DIR",
    "SAVED_QUERY",
    "Page",
    "Param",
    "SavedQuery",
    "SavedResult",
    "allowed_values",
    "bound_sparql",
    "catalogue_graph",
    "check_membership",
    "count_sparql",
    "expand",
    "find_query",
    "load_catalogue",
    "load_query",
    "parse_assignments",
    "parse_params",
    "parse_value",
    "run_saved",
]
