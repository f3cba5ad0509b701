"""The OpenAPI 3.1 document of the saved-query API (bp "saved"): one GET operation per saved
query, with its typed parameters, sorting, paging, formats and the schema of each format's
body, and for each SELECT query a second one for its records (`/queries/<name>.records.json`).

The columns of a SELECT answer are described by cakg.queries.columns, from the query itself, and
typed by the graph where the query does not say (the kind of value of the property a column
holds, cakg.queries.lookup.value_kinds, looked up once for the whole document).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import request

import cakg
from cakg.engine.base import Engine
from cakg.media import (
    CSV,
    HTML,
    JSON,
    JSONLD,
    NTRIPLES,
    PICTURES,
    RECORDS_EXTENSION,
    SAVED_BY_NAME_ONLY,
    SAVED_OFFERS,
    SPARQL_JSON,
    SPARQL_XML,
    TSV,
    TURTLE,
)
from cakg.queries import Param, SavedQuery
from cakg.queries.bind import MAX_PER_PAGE, SORT, allowed_values
from cakg.queries.columns import Column, read_columns
from cakg.queries.lookup import value_kinds
from cakg.web.negotiation import public_path

# the records operations, listed together (each query's own is listed under the query's tags)
RECORDS_TAG = "records"
PICTURES_TAG = "pictures"


def openapi_document(catalogue: dict[str, SavedQuery], engine: Engine) -> dict[str, Any]:
    """An OpenAPI 3.1 document: one GET operation per saved query, with its parameters."""
    catalogue_content = {
        JSON: {"schema": {"type": "object", "properties": {
            "queries": {"type": "array", "items": {"type": "object"}}}}},
        HTML: {"schema": {**TEXT, "description": "An HTML page"}},
    }  # fmt: skip
    paths: dict[str, Any] = {
        "/queries": {
            "get": {
                "operationId": "listQueries",
                "summary": "The saved-query catalogue",
                "tags": ["catalogue"],
                "responses": {
                    "200": {"description": "The saved queries", "content": catalogue_content}
                },
            }
        }
    }
    columns = {q.name: read_columns(q) for q in catalogue.values()}
    kinds = value_kinds(
        engine, (c.property for cs in columns.values() for c in cs if c.property and not c.kind)
    )
    for q in catalogue.values():
        parameters = [_openapi_param(p, engine) for p in q.params]
        if q.form == "SELECT":
            parameters.append(_sort_param(q))
        headers = {}
        if q.pagination:
            parameters += _paging_params(q)
            headers = {
                "Link": {"description": "RFC 8288 first, prev, next and last pages",
                         "schema": {"type": "string"}},
                "X-Total-Count": {"description": "The exact number of rows on all pages",
                                  "schema": {"type": "integer", "minimum": 0}},
            }  # fmt: skip
        typed = [_typed(c, kinds) for c in columns[q.name]]
        offers = {e: m for e, m in SAVED_OFFERS[q.form].items() if e not in SAVED_BY_NAME_ONLY}
        paths[f"/queries/{q.name}"] = _operation(
            q, q.name, parameters, headers, _content(f"The result ({q.form})", q, offers, typed)
        )
        if RECORDS_EXTENSION in SAVED_OFFERS[q.form]:
            ok = _content(
                "The rows as records: a JSON array of one object per row, with plain values "
                "(numbers, booleans, text; null when unbound), as pandas.read_json reads it",
                q, {RECORDS_EXTENSION: SAVED_OFFERS[q.form][RECORDS_EXTENSION]}, typed,
            )  # fmt: skip
            paths[f"/queries/{q.name}.{RECORDS_EXTENSION}"] = _operation(
                q, f"{q.name}.records", parameters, headers, ok, RECORDS_TAG
            )
        if q.view.get("type", "table") != "table":
            for ext, media in PICTURES.items():
                picture = {
                    "description": f"The answer's {q.view['type']} view as {ext.upper()}",
                    "content": {media: {"schema": {**TEXT, "format": "binary"}}},
                }
                paths[f"/queries/{q.name}.{ext}"] = _operation(
                    q, f"{q.name}.{ext}", [p for p in parameters if p["name"] != "sort"],
                    {}, picture, PICTURES_TAG,
                )  # fmt: skip
    records = (
        "The rows of each SELECT query as JSON records, for dataframes: pandas.read_json(url)."
    )
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
        "tags": [
            {"name": RECORDS_TAG, "description": records},
            {"name": PICTURES_TAG, "description": "The view each query declares (a chart, "
             "timeline, map or graph), drawn on the server as SVG or PNG."},
        ],
        "paths": paths,
        "components": {"schemas": {"Error": {
            "type": "object",
            "required": ["error", "message"],
            "properties": {"error": {"type": "string"}, "message": {"type": "string"},
                           "parameter": {"type": "string"}},
        }, "RDFTerm": RDF_TERM}},
    }  # fmt: skip


def _operation(
    q: SavedQuery,
    operation_id: str,
    parameters: list[Any],
    headers: dict[str, Any],
    ok: Any,
    tag: str | None = None,
) -> dict[str, Any]:
    """The GET operation of Q (under TAG, when given, instead of the query's own tags)."""
    if headers:
        ok["headers"] = headers
    return {
        "get": {
            "operationId": operation_id,
            "summary": q.summary,
            "description": q.description or q.summary,
            "tags": [tag] if tag else list(q.tags) or ["queries"],
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


# A SPARQL 1.1 JSON results binding of one variable
RDF_TERM = {
    "type": "object",
    "required": ["type", "value"],
    "properties": {
        "type": {"type": "string", "enum": ["uri", "literal", "bnode"]},
        "value": {"type": "string"},
        "datatype": {"type": "string", "format": "iri"},
        "xml:lang": {"type": "string"},
    },
}
TEXT = {"type": "string"}
# the JSON value of each kind of column in the records form (cakg.results.plain_value)
RECORD_TYPES: dict[str | None, dict[str, Any]] = {
    "iri": {"type": ["string", "null"], "format": "iri"},
    "string": {"type": ["string", "null"]},
    "integer": {"type": ["integer", "null"]},
    "number": {"type": ["number", "null"]},
    "boolean": {"type": ["boolean", "null"]},
    None: {"type": ["string", "number", "boolean", "null"]},
}


def _typed(column: Column, kinds: dict[str, str]) -> Column:
    """COLUMN with the kind of the values of the property it holds, when the query says none."""
    if column.kind or not column.property or column.property not in kinds:
        return column
    return replace(column, kind=kinds[column.property])


def _content(
    description: str, q: SavedQuery, offers: dict[str, str], columns: list[Column]
) -> dict[str, Any]:
    """A 200 response: each media type of OFFERS with the schema of its body."""
    schemas = {SPARQL_JSON: _sparql_json(q, columns), JSON: _records(columns), JSONLD: {
        "type": ["array", "object"], "description": "JSON-LD (expanded form)"}}  # fmt: skip
    texts = {CSV: "CSV", TSV: "TSV", SPARQL_XML: "SPARQL XML", TURTLE: "Turtle",
             NTRIPLES: "N-Triples", HTML: "An HTML page"}  # fmt: skip
    content = {}
    for media in offers.values():
        schema = schemas.get(media) or {**TEXT, "description": texts.get(media, media)}
        content[media] = {"schema": schema}
    return {"description": description, "content": content}


def _sparql_json(q: SavedQuery, columns: list[Column]) -> dict[str, Any]:
    """SPARQL 1.1 JSON results: the head's variables, and one binding per projected one."""
    if q.form == "ASK":
        properties = {"head": {"type": "object"}, "boolean": {"type": "boolean"}}
        return {"type": "object", "required": ["head", "boolean"], "properties": properties}
    names = [c.name for c in columns]
    bindings = {c.name: _binding(c) for c in columns}
    return {
        "type": "object",
        "required": ["head", "results"],
        "properties": {
            "head": {"type": "object", "required": ["vars"], "properties": {
                "vars": {"type": "array", "items": {"type": "string", "enum": names}}}},
            "results": {"type": "object", "required": ["bindings"], "properties": {
                "bindings": {"type": "array", "items": {
                    "type": "object", "properties": bindings, "additionalProperties": False}}}},
        },
    }  # fmt: skip


def _binding(column: Column) -> dict[str, Any]:
    binding: dict[str, Any] = {"$ref": "#/components/schemas/RDFTerm"}
    if column.kind == "iri":
        binding["properties"] = {"type": {"const": "uri"}}
    elif column.kind is not None:
        binding["properties"] = {"type": {"const": "literal"}}
    return {**binding, **_words(column)}


def _words(column: Column) -> dict[str, str]:
    """A column's header (JSON Schema's `title`) and description."""
    title = {"title": column.title} if column.title else {}
    return {**title, "description": column.description}


def _records(columns: list[Column]) -> dict[str, Any]:
    """The records form: an array of objects, each with every column (null when unbound)."""
    properties = {c.name: {**RECORD_TYPES[c.kind], **_words(c)} for c in columns}
    return {
        "type": "array",
        "items": {
            "type": "object",
            "required": [c.name for c in columns],
            "properties": properties,
            "additionalProperties": False,
        },
    }


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
    expects = f"Expects {p.type_label}."
    if p.kind == "iri":  # an IRI, a prefixed name or a label: a string, not only an IRI
        schema: dict[str, Any] = {"type": "string"}
        expects = f"Expects {p.type_label}: its IRI, prefixed name or label."
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
        "description": f"{p.description} {expects}".strip(),
        "schema": schema,
    }
    if p.multiple:
        param.update(style="form", explode=True)
    if p.example:
        param["example"] = [p.example] if p.multiple else p.example
    return param


def _sort_param(q: SavedQuery) -> dict[str, Any]:
    keys = [k for v in q.variables for k in (v, f"-{v}")]
    return {
        "name": SORT,
        "in": "query",
        "required": False,
        "description": "Sort all the rows (before paging) by a column, with - in front for "
        "descending order; several, separated by commas, sort by the first, then the next. "
        "Equal rows stay in the order of the other columns.",
        "style": "form",
        "explode": False,
        "schema": {"type": "array", "items": {"type": "string", "enum": keys}, "uniqueItems": True},
    }


def _paging_params(q: SavedQuery) -> list[dict[str, Any]]:
    size = {"type": "integer", "minimum": 1, "maximum": max(MAX_PER_PAGE, q.pagination or 0),
            "default": q.pagination}  # fmt: skip
    return [
        {"name": "page", "in": "query", "required": False, "description": "Page number.",
         "schema": {"type": "integer", "minimum": 1, "default": 1}},
        {"name": "per_page", "in": "query", "required": False, "description": "Rows per page.",
         "schema": size},
    ]  # fmt: skip


def _error_response(description: str) -> dict[str, Any]:
    schema = {"$ref": "#/components/schemas/Error"}
    return {"description": description, "content": {JSON: {"schema": schema}}}
