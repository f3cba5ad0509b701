"""The Reconciliation API v0.2 JSON Schemas (tests/data/reconciliation/0.2), for the tests.

`check(name, document)` validates a response (or a request) against the specification's schema
NAME, offline: the schemas refer to each other by their `$id` (type.json), and anything else they
name (the manifest's `authentication` points at swagger.io) is refused, never fetched.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource
from referencing.jsonschema import DRAFT7

SCHEMAS = Path(__file__).parent / "data" / "reconciliation" / "0.2"


def _offline(uri: str) -> Resource:
    raise NoSuchResource(ref=uri)


@cache
def _registry() -> tuple[Registry, dict[str, dict[str, Any]]]:
    schemas = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in SCHEMAS.glob("*.json")}
    registry: Registry = Registry(retrieve=_offline).with_resources(
        (s["$id"], Resource.from_contents(s, default_specification=DRAFT7))
        for s in schemas.values()
    )
    return registry, schemas


def check(name: str, document: Any) -> None:
    """Raise jsonschema's ValidationError unless DOCUMENT is valid against schema NAME."""
    registry, schemas = _registry()
    Draft7Validator(schemas[name], registry=registry).validate(document)
