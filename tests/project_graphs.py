"""The project's own Turtle files as rdflib graphs, parsed once per test session.

A pytest plugin (conftest.py names it in `pytest_plugins`): `ontology` (ontology/*.ttl),
`shapes` (shapes/*.ttl), `reference` (graph/reference/*.ttl), `sources` (graph/sources/*.ttl)
and `data` (every file under graph/). The graphs are shared: a test must not change them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph

REPO = Path(__file__).parent.parent


def parse_turtle(paths: list[Path]) -> Graph:
    """One graph holding the triples of every file in `paths`."""
    graph = Graph()
    for path in paths:
        graph.parse(path, format="turtle")
    return graph


def project_files(folder: str, pattern: str = "*.ttl") -> list[Path]:
    return sorted((REPO / folder).glob(pattern))


@pytest.fixture(scope="session")
def ontology() -> Graph:
    return parse_turtle(project_files("ontology"))


@pytest.fixture(scope="session")
def shapes() -> Graph:
    return parse_turtle(project_files("shapes"))


@pytest.fixture(scope="session")
def reference() -> Graph:
    return parse_turtle(project_files("graph/reference"))


@pytest.fixture(scope="session")
def sources() -> Graph:
    return parse_turtle(project_files("graph/sources"))


@pytest.fixture(scope="session")
def data() -> Graph:
    return parse_turtle(project_files("graph", "**/*.ttl"))
