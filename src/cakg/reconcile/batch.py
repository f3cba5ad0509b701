"""A reconciliation query batch, read and checked: what each query asks, within the limits.

The JSON shape is the v0.2 one (`{"q0": {"query": ..., "type": ..., "type_strict": ...,
"limit": ..., "properties": [{"pid": ..., "v": ...}]}}`), as OpenRefine's StandardReconConfig
writes it. A wrong batch raises BadParameter naming the parameter (`queries`), the query's key
and what is wrong, never a partial answer.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from cakg.errors import BadParameter

MAX_BATCH = 50  # queries in one batch (OpenRefine sends 10; the manifest's batchSize)
MAX_QUERY_CHARS = 500  # characters of one query's text
MAX_LIMIT = 50  # candidates per query
DEFAULT_LIMIT = 10
MAX_TYPES = 20
MAX_PROPERTIES = 20  # property constraints in one query
MAX_VALUES = 20  # values of one property constraint
MAX_KEY_CHARS = 100
TYPE_STRICT = ("should", "any", "all")
QUERY_FIELDS = frozenset({"query", "type", "type_strict", "limit", "properties"})


@dataclass(frozen=True)
class EntityValue:
    """A property value that is an entity (a cell reconciled before): its id, maybe its name."""

    id: str
    name: str | None = None


Value = str | float | bool | EntityValue


@dataclass(frozen=True)
class Constraint:
    """A property the candidates should have, with the values it should have."""

    pid: str
    values: tuple[Value, ...]


@dataclass(frozen=True)
class Query:
    """One reconciliation query of a batch."""

    key: str
    text: str  # "" when the query gives properties only
    types: tuple[str, ...] = ()
    type_strict: str = "should"
    limit: int = DEFAULT_LIMIT
    properties: tuple[Constraint, ...] = ()


def parse_batch(raw: str, parameter: str = "queries") -> list[Query]:
    """The queries of a batch (its JSON text); BadParameter when it is not a valid batch."""
    data = _json(raw, parameter)
    if not isinstance(data, dict):
        raise BadParameter(parameter, f"must be a JSON object of queries by key, not {_kind(data)}")
    if not data:
        raise BadParameter(parameter, "the batch holds no query")
    if len(data) > MAX_BATCH:
        raise BadParameter(
            parameter,
            f"a batch holds at most {MAX_BATCH} queries (this one holds {len(data)}); "
            "send them in several requests",
        )
    return [parse_query(key, value, parameter) for key, value in data.items()]


def parse_single(raw: str, parameter: str = "query") -> Query:
    """The v0.1 single query (`query=`): a JSON query object, or the text to look up."""
    text = raw.strip()
    if text.startswith("{"):
        return parse_query("query", _json(text, parameter), parameter)
    return parse_query("query", {"query": raw}, parameter)


def parse_query(key: str, value: Any, parameter: str = "queries") -> Query:
    """One query of a batch; BadParameter naming its key when it is wrong."""
    if len(key) > MAX_KEY_CHARS:
        raise BadParameter(parameter, f"a query key is at most {MAX_KEY_CHARS} characters")

    def bad(message: str) -> BadParameter:
        return BadParameter(parameter, f"query {json.dumps(key)}: {message}")

    if not isinstance(value, dict):
        raise bad(f"must be a JSON object, not {_kind(value)}")
    unknown = sorted(set(value) - QUERY_FIELDS)
    if unknown:
        fields = ", ".join(sorted(QUERY_FIELDS))
        raise bad(f"unknown field {json.dumps(unknown[0])} (a query has {fields})")
    text = value.get("query", "")
    if not isinstance(text, str):
        raise bad(f'"query" must be a string, not {_kind(text)}')
    text = text.strip()
    if len(text) > MAX_QUERY_CHARS:
        raise bad(f'"query" is at most {MAX_QUERY_CHARS} characters (it has {len(text)})')
    properties = _properties(value.get("properties", []), bad)
    if not text and not properties:
        raise bad('needs a non-empty "query" text, or "properties" to match')
    return Query(
        key=key,
        text=text,
        types=_types(value.get("type"), bad),
        type_strict=_type_strict(value.get("type_strict", "should"), bad),
        limit=_limit(value.get("limit"), bad),
        properties=properties,
    )


def _json(raw: str, parameter: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError as e:
        raise BadParameter(parameter, f"is not valid JSON: {e}") from None


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _types(value: Any, bad: Any) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    items = value if isinstance(value, list) else [value]
    if len(items) > MAX_TYPES:
        raise bad(f'"type" names at most {MAX_TYPES} types')
    if not all(isinstance(t, str) and t.strip() for t in items):
        raise bad('"type" must be a type id or an array of type ids (non-empty strings)')
    return tuple(dict.fromkeys(t.strip() for t in items))


def _type_strict(value: Any, bad: Any) -> str:
    if value is None:
        return "should"
    if value not in TYPE_STRICT:
        raise bad(f'"type_strict" must be one of {", ".join(TYPE_STRICT)}, not {json.dumps(value)}')
    return str(value)


def _limit(value: Any, bad: Any) -> int:
    if value is None:  # OpenRefine leaves it out for the service's default
        return DEFAULT_LIMIT
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise bad(f'"limit" must be an integer from 1 to {MAX_LIMIT}, not {json.dumps(value)}')
    if not 1 <= value <= MAX_LIMIT:
        raise bad(f'"limit" must be an integer from 1 to {MAX_LIMIT}, not {int(value)}')
    return int(value)


def _properties(value: Any, bad: Any) -> tuple[Constraint, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise bad('"properties" must be an array of {"pid": ..., "v": ...} objects')
    if len(value) > MAX_PROPERTIES:
        raise bad(f'"properties" holds at most {MAX_PROPERTIES} constraints')
    constraints = []
    for n, item in enumerate(value):
        where = f'"properties"[{n}]'
        if not isinstance(item, dict) or set(item) - {"pid", "v"}:
            raise bad(f'{where} must be an object with "pid" and "v" only')
        pid = item.get("pid")
        if not isinstance(pid, str) or not pid.strip():
            raise bad(f'{where}: "pid" must be a property id (a non-empty string)')
        if "v" not in item:
            raise bad(f'{where}: "v" (the value to compare) is missing')
        raw = item["v"]
        values = raw if isinstance(raw, list) else [raw]
        if not values or len(values) > MAX_VALUES:
            raise bad(f'{where}: "v" holds 1 to {MAX_VALUES} values')
        constraints.append(
            Constraint(pid.strip(), tuple(_value(v, f"{where}.v", bad) for v in values))
        )
    return tuple(constraints)


def _value(value: Any, where: str, bad: Any) -> Value:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise bad(f"{where}: a number must be finite")
        return float(value)
    if isinstance(value, str):
        if len(value) > MAX_QUERY_CHARS:
            raise bad(f"{where}: a value is at most {MAX_QUERY_CHARS} characters")
        return value.strip()
    if isinstance(value, dict):
        ident, name = value.get("id"), value.get("name")
        if not isinstance(ident, str) or not ident.strip():
            raise bad(f'{where}: an entity value needs an "id" (a non-empty string)')
        return EntityValue(ident.strip(), name if isinstance(name, str) else None)
    raise bad(
        f'{where}: a value is a string, a number, a boolean or {{"id": ...}}, not {_kind(value)}'
    )
