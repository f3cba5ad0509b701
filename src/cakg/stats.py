"""Figures about the compiled dataset: triples per graph, instances per class, properties used."""

from __future__ import annotations

from cakg.config import Settings
from cakg.engine import open_engine
from cakg.engine.base import QueryResult
from cakg.namespaces import BASE, shorten
from cakg.release import load_manifest

CLASS_COUNTS = """
SELECT ?class (COUNT(DISTINCT ?s) AS ?instances)
WHERE { ?s a ?class }
GROUP BY ?class ORDER BY DESC(?instances) ?class
"""
PROPERTY_COUNTS = """
SELECT ?property (COUNT(*) AS ?triples)
WHERE { ?s ?property ?o }
GROUP BY ?property ORDER BY DESC(?triples) ?property
"""


def _pairs(result: QueryResult) -> list[tuple[str, int]]:
    return [(shorten(str(a)), int(str(b))) for a, b in result.rows if a is not None]


def _section(title: str, pairs: list[tuple[str, int]]) -> list[str]:
    width = max([len(name) for name, _ in pairs] + [len(title)])
    lines = [title, "-" * len(title)]
    lines += [f"{name:<{width}}  {count:>8}" for name, count in pairs]
    return [*lines, ""]


def dataset_stats(settings: Settings) -> str:
    """A plain-text report of the current build."""
    manifest = load_manifest(settings)
    graphs = sorted(manifest["graphs"].items())
    lines = [f"cakg dataset version {manifest['version']}, built {manifest['built']}", ""]
    lines += _section(
        "Triples per named graph",
        [(g.removeprefix(BASE), n) for g, n in graphs] + [("total", manifest["triples"])],
    )
    engine = open_engine(settings)
    try:
        lines += _section("Instances per class", _pairs(engine.query(CLASS_COUNTS)))
        lines += _section("Properties in use", _pairs(engine.query(PROPERTY_COUNTS)))
    finally:
        engine.close()
    return "\n".join(lines)
