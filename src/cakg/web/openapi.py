"""The OpenAPI 3.1 document of the saved-query API (bp "saved"): one GET operation per saved
query, with its typed parameters, paging and formats."""

from __future__ import annotations

from typing import Any

from flask import request

import cakg
from cakg.engine.base import Engine
from cakg.media import HTML, JSON, SAVED_OFFERS
from cakg.queries import Param, SavedQuery
from cakg.queries.bind import MAX_PER_PAGE, allowed_values
from cakg.web.negotiation import public_path


def openapi_document(catalogue: dict[str, SavedQuery], engine: Engine) -> dict[str, Any]:
    """An OpenAPI 3.1 document: one GET operation per saved query, with its parameters."""
    paths: dict[str, Any] = {
        "/queries": {
            "get": {
                "operationId": "listQueries",
                "summary": "The saved-query catalogue",
                "tags": ["catalogue"],
                "responses": {"200": _content("The saved queries", [JSON, HTML])},
            }
        }
    }
    for q in catalogue.values():
        parameters = [_openapi_param(p, engine) for p in q.params]
        headers = {}
        if q.pagination:
            parameters += _paging_params(q)
            headers = {
                "Link": {"description": "RFC 8288 first, prev, next and last pages",
                         "schema": {"type": "string"}},
                "X-Total-Count": {"description": "The exact number of rows on all pages",
                                  "schema": {"type": "integer", "minimum": 0}},
            }  # fmt: skip
        ok = _content(f"The result ({q.form})", list(SAVED_OFFERS[q.form].values()))
        if headers:
            ok["headers"] = headers
        paths[f"/queries/{q.name}"] = {
            "get": {
                "operationId": q.name,
                "summary": q.summary,
                "description": q.description or q.summary,
                "tags": list(q.tags) or ["queries"],
                "parameters": parameters,
                "responses": {
                    "200": ok,
                    "400": _error_response("A parameter is missing, unknown or of the wrong type"),
                    "406": _error_response("None of the formats the client accepts"),
                },
                "x-cakg-view": dict(q.view),
                "x-cakg-formats": sorted(SAVED_OFFERS[q.form]),
            }
        }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "cakg saved queries",
            "version": cakg.__version__,
            "description": "Named, parameterised questions over the Central Asia Knowledge "
            "Graph. Each runs a saved SPARQL query; parameters are type-checked and bound "
            "as RDF terms.",
        },
        # relative (to where the document is served) unless public_url says where that is
        "servers": [{"url": public_path(request.script_root + "/").rstrip("/") or "/"}],
        "paths": paths,
        "components": {"schemas": {"Error": {
            "type": "object",
            "required": ["error", "message"],
            "properties": {"error": {"type": "string"}, "message": {"type": "string"},
                           "parameter": {"type": "string"}},
        }}},
    }  # fmt: skip


JSON_SCHEMA: dict[str, dict[str, str | int]] = {
    "integer": {"type": "integer"},
    "nonNegativeInteger": {"type": "integer", "minimum": 0},
    "positiveInteger": {"type": "integer", "minimum": 1},
    "decimal": {"type": "number"},
    "double": {"type": "number"},
    "boolean": {"type": "boolean"},
    "date": {"type": "string", "format": "date"},
    "dateTime": {"type": "string", "format": "date-time"},
    "gYear": {"type": "string", "pattern": "^-?[0-9]{4,}$"},
    "gYearMonth": {"type": "string", "pattern": "^-?[0-9]{4,}-[0-9]{2}$"},
    "anyURI": {"type": "string", "format": "uri-reference"},
}


def _openapi_param(p: Param, engine: Engine) -> dict[str, Any]:
    if p.kind == "iri":
        schema: dict[str, Any] = {"type": "string", "format": "iri"}
    else:
        local = (p.datatype or "").rpartition("#")[2]
        schema = dict(JSON_SCHEMA.get(local, {"type": "string"}))
    values = allowed_values(engine, p)
    if values is not None:
        schema["enum"] = [v for v, _ in values]
        schema["x-enum-labels"] = {v: label for v, label in values}
    if p.default and not p.multiple:
        schema["default"] = p.default[0]
    if p.multiple:
        schema = {"type": "array", "items": schema}
        if p.default:
            schema["default"] = list(p.default)
    param: dict[str, Any] = {
        "name": p.name,
        "in": "query",
        "required": p.required and not p.default,
        "description": f"{p.description} Expects {p.type_label}.".strip(),
        "schema": schema,
    }
    if p.multiple:
        param.update(style="form", explode=True)
    if p.example:
        param["example"] = [p.example] if p.multiple else p.example
    return param


def _paging_params(q: SavedQuery) -> list[dict[str, Any]]:
    size = {"type": "integer", "minimum": 1, "maximum": max(MAX_PER_PAGE, q.pagination or 0),
            "default": q.pagination}  # fmt: skip
    return [
        {"name": "page", "in": "query", "required": False, "description": "Page number.",
         "schema": {"type": "integer", "minimum": 1, "default": 1}},
        {"name": "per_page", "in": "query", "required": False, "description": "Rows per page.",
         "schema": size},
    ]  # fmt: skip


def _content(description: str, media_types: list[str]) -> dict[str, Any]:
    return {"description": description, "content": {m: {"schema": {}} for m in media_types}}


def _error_response(description: str) -> dict[str, Any]:
    schema = {"$ref": "#/components/schemas/Error"}
    return {"description": description, "content": {JSON: {"schema": schema}}}
