"""Labels, local links and points of the IRIs in an answer, looked up in one query each.

`Terms.lookup(engine, iris)` runs one SELECT over the union default graph for every IRI: its
English label (else an unlabelled one, else any), for a source its title, and its WKT point.
`href` maps an IRI under the project's base onto this server's path (SCRIPT_ROOT + the rest), so
that a link opens the local page instead of https://w3id.org/...; others stay as they are and
only http(s) IRIs become links (cakg.hrefs.safe_href).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from rdflib import Literal

from cakg.engine.base import Engine, QueryDataset
from cakg.hrefs import safe_href
from cakg.namespaces import shorten, sparql_prologue

MAX_TERMS = 2000
_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]*")
_POINT = re.compile(r"POINT\s*\(\s*(-?[0-9.]+)\s+(-?[0-9.]+)\s*\)", re.IGNORECASE)

LOOKUP = """\
SELECT ?s ?label ?wkt WHERE {{
  VALUES ?s {{ {values} }}
  OPTIONAL {{ ?s rdfs:label|skos:prefLabel|dcterms:title ?label }}
  OPTIONAL {{ ?s geo:hasGeometry/geo:asWKT ?wkt }}
}}
"""


@dataclass
class Term:
    iri: str
    label: str  # in words; the prefixed name when the graph gives none
    href: str | None  # local path or http(s) IRI; None when it must not be a link
    point: tuple[float, float] | None = None  # (longitude, latitude)


@dataclass
class Terms:
    """What the views need of the IRIs of one answer."""

    base_iri: str
    script_root: str = ""
    found: dict[str, Term] = field(default_factory=dict)

    def href(self, iri: str) -> str | None:
        if iri.startswith(self.base_iri):
            return f"{self.script_root}/{iri[len(self.base_iri) :]}"
        return safe_href(iri)

    def get(self, iri: str) -> Term:
        term = self.found.get(iri)
        if term is None:
            term = self.found[iri] = Term(iri, shorten(iri), self.href(iri))
        return term

    def lookup(self, engine: Engine, iris: Iterable[str]) -> Terms:
        wanted = sorted({i for i in iris if i not in self.found and _IRI.fullmatch(i)})
        for start in range(0, len(wanted), MAX_TERMS):
            chunk = wanted[start : start + MAX_TERMS]
            values = " ".join(f"<{i}>" for i in chunk)
            result = engine.query(
                sparql_prologue() + LOOKUP.format(values=values), dataset=QueryDataset()
            )
            ranks: dict[str, int] = {}
            for s, label, wkt in result.rows:
                term = self.get(str(s))
                if isinstance(label, Literal):
                    rank = _rank(label)
                    if rank < ranks.get(term.iri, 9):
                        ranks[term.iri] = rank
                        term.label = str(label)
                if term.point is None and wkt is not None:
                    term.point = point_of(str(wkt))
        return self


def point_of(wkt: str) -> tuple[float, float] | None:
    """(longitude, latitude) of a WKT POINT, else None."""
    match = _POINT.search(wkt)
    return (float(match.group(1)), float(match.group(2))) if match else None


def _rank(label: Literal) -> int:
    lang = (label.language or "").lower()
    if lang == "en" or lang.startswith("en-"):
        return 0
    return 1 if not lang else 2
