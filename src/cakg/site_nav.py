"""The site's navigation bar: one list of (path, label), the paths relative to the site root;
and the site paths the build's pages link to (the search, the class pages).

The web pages (web/templates/linked/base.html) and the build's ontology and shapes pages
(build/templates/docs_macros.html) both draw their header from it, so every page of the site
has the same bar, with the same search box.
"""

from __future__ import annotations

SITE_NAV: tuple[tuple[str, str], ...] = (
    ("sparql", "SPARQL"),
    ("queries", "Saved queries"),
    ("search", "Search"),
    ("ontology", "Ontology"),
    ("shapes", "Shapes"),
    (".well-known/void", "Dataset"),
)
SEARCH_PATH = "search"  # the search box's form sends its `q` here
CLASS_PAGES = "class"  # /class/<Name>: a class of the ontology and its instances
