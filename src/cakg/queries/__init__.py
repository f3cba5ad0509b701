"""Saved queries: `.rq` files with a grlc `#+` YAML header, checked, bound, run, described as RDF.

- `header`: reading `queries/*.rq` and their header (QueryHeaderError with file and line).
- `bind`: binding checked values into a query, pagination, exact counting, running it.
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
    sparql_term,
)
from cakg.queries.header import (
    QUERIES_DIR,
    QUERY_BASE,
    Param,
    SavedQuery,
    describe_catalogue,
    expand,
    load_catalogue,
    load_query,
    parse_value,
)

__all__ = [
    "MAX_PER_PAGE",
    "QUERIES_DIR",
    "QUERY_BASE",
    "Page",
    "Param",
    "SavedQuery",
    "SavedResult",
    "allowed_values",
    "bound_sparql",
    "check_membership",
    "count_sparql",
    "describe_catalogue",
    "expand",
    "find_query",
    "load_catalogue",
    "load_query",
    "parse_assignments",
    "parse_params",
    "parse_value",
    "run_saved",
    "sparql_term",
]
