"""Data extension: the properties to propose for a type, and the values of properties on ids.

What OpenRefine's "Add columns from reconciled values" asks (ReconciledDataExtensionJob): a
form field `extend={"ids": [...], "properties": [{"id": ..., "settings": {...}}]}`, answered
`{"meta": [{"id", "name", "type"?}], "rows": {id: {property: [value...]}}}` where a value is
`{"id", "name"}` (an entity), `{"str"}`, `{"int"}`, `{"float"}` or `{"date"}` (an xsd:date or
xsd:dateTime, as an ISO date-time). Years and other values are strings; a boolean is "true" or
"false" (v0.2 has no boolean value). The one setting, `limit`, caps the values per property
(0: all); OpenRefine sends settings as text.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from rdflib import Literal, URIRef
from rdflib.term import Node

from cakg.engine.base import Engine
from cakg.errors import BadParameter
from cakg.queries.params import expand
from cakg.reconcile.schema import Schema
from cakg.reconcile.values import read_values
from cakg.search import SearchIndex

MAX_IDS = 200  # ids in one extension request (OpenRefine sends them by tens)
MAX_EXTEND_PROPERTIES = 20
SETTINGS = [
    {
        "name": "limit",
        "label": "Values per property",
        "type": "number",
        "default": 0,
        "help_text": "The most values to fetch for each property of each entity (0: all of them).",
    }
]


@dataclass(frozen=True)
class Requested:
    iri: str
    id: str  # as the client wrote it (the key of its column)
    limit: int


def parse_extension(raw: str, schema: Schema, engine: Engine) -> tuple[list[str], list[Requested]]:
    """The ids and properties of an extension query; BadParameter("extend", ...) when wrong."""
    try:
        data = json.loads(raw)
    except ValueError as e:
        raise BadParameter("extend", f"is not valid JSON: {e}") from None
    if not isinstance(data, dict) or set(data) - {"ids", "properties"}:
        raise BadParameter("extend", 'must be an object with "ids" and "properties" only')
    ids, properties = data.get("ids"), data.get("properties")
    if not isinstance(ids, list) or not all(isinstance(i, str) and i for i in ids):
        raise BadParameter("extend", '"ids" must be an array of entity ids (strings)')
    if len(ids) > MAX_IDS:
        raise BadParameter(
            "extend",
            f'"ids" holds at most {MAX_IDS} ids (it holds {len(ids)}): send several requests',
        )
    if not isinstance(properties, list) or not properties:
        raise BadParameter("extend", '"properties" must be a non-empty array of {"id": ...}')
    if len(properties) > MAX_EXTEND_PROPERTIES:
        raise BadParameter("extend", f'"properties" holds at most {MAX_EXTEND_PROPERTIES}')
    requested = []
    for n, item in enumerate(properties):
        if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not item["id"]:
            raise BadParameter("extend", f'"properties"[{n}] must be an object with an "id"')
        iri = schema.property_iri(item["id"], "extend", engine)
        requested.append(Requested(iri, item["id"], _limit(item.get("settings"), n)))
    return list(dict.fromkeys(ids)), requested


def _limit(settings: Any, n: int) -> int:
    if settings is None:
        return 0
    if not isinstance(settings, dict) or set(settings) - {"limit"}:
        raise BadParameter("extend", f'"properties"[{n}].settings may hold "limit" only')
    value = settings.get("limit", 0)
    try:
        limit = int(str(value).strip() or 0)
    except ValueError:
        limit = -1
    if isinstance(value, bool) or not 0 <= limit <= 1000:
        raise BadParameter(
            "extend", f'"properties"[{n}].settings.limit must be a whole number from 0 to 1000'
        )
    return limit


def extend(
    index: SearchIndex, schema: Schema, engine: Engine, ids: list[str], requested: list[Requested]
) -> dict[str, Any]:
    """The extension response: each requested property's values on each id (an unknown id has
    none)."""
    iris = {i: expand(i.strip()) for i in ids}  # an id may be a prefixed name (id:city/astana)
    known = [iri for iri in iris.values() if index.entry(iri) is not None]
    values = read_values(engine, known, [r.iri for r in requested])
    meta = []
    for r in requested:
        term = schema.properties[r.iri]
        column: dict[str, Any] = {"id": r.id, "name": term.label}
        ranges = [c for c in sorted(term.ranges) if c in schema.classes]
        if ranges:
            column["type"] = {"id": ranges[0], "name": schema.name(ranges[0])}
        meta.append(column)
    rows: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for i in ids:
        own = values.get(iris[i], {})
        row = {}
        for r in requested:
            cells = [_cell(index, v) for v in own.get(r.iri, [])]
            row[r.id] = cells[: r.limit] if r.limit else cells
        rows[i] = row
    return {"meta": meta, "rows": rows}


def _cell(index: SearchIndex, value: Node) -> dict[str, Any]:
    if isinstance(value, URIRef):
        entry = index.entry(str(value))
        return {"id": str(value), "name": entry.label.text if entry else str(value)}
    if not isinstance(value, Literal):
        return {"str": str(value)}
    python = value.toPython()
    if isinstance(python, bool):
        return {"str": "true" if python else "false"}
    if isinstance(python, int):
        return {"int": python}
    if isinstance(python, float) or type(python).__name__ == "Decimal":
        number = float(str(python))
        if math.isfinite(number):
            return {"float": number}
    if isinstance(python, datetime):
        stamp = python.isoformat()
        return {"date": stamp if python.tzinfo else stamp + "Z"}
    if isinstance(python, date):
        return {"date": f"{python.isoformat()}T00:00:00Z"}
    return {"str": str(value)}
