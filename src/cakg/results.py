"""Query results: negotiation by Accept or `format`, and serialisation.

Negotiation is data: the media types of each kind of result, their aliases and `format` names
are cakg.media's tables. Accept headers are parsed by werkzeug (`MIMEAccept`, q-values
included); the engines write the bytes themselves (pyoxigraph or rdflib), but for the records
form of a SELECT answer (`records`: plain JSON values, for dataframes), written here.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence

from rdflib import XSD, BNode, Literal, URIRef
from rdflib.term import Node
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from cakg.datatypes import DECIMALS, INTEGERS
from cakg.engine.base import Formats, QueryResult
from cakg.engine.rdflib_dataset import serialize_terms
from cakg.errors import BadParameter
from cakg.media import (
    FORMAT_NAMES,
    GRAPH_ALIASES,
    GRAPH_MEDIA_TYPES,
    JSON,
    RESULT_ALIASES,
    RESULT_MEDIA_TYPES,
    SPARQL_JSON,
)

_RESULT_OFFERS = [*RESULT_MEDIA_TYPES, *RESULT_ALIASES]
_GRAPH_OFFERS = [*GRAPH_MEDIA_TYPES, *GRAPH_ALIASES]
_BY_TYPE = {
    **{m: (m, None) for m in RESULT_MEDIA_TYPES},
    **{m: (None, m) for m in GRAPH_MEDIA_TYPES},
    **{a: (RESULT_ALIASES.get(a), GRAPH_ALIASES.get(a)) for a in {*RESULT_ALIASES, *GRAPH_ALIASES}},
}
DEFAULT_FORMATS = Formats(RESULT_MEDIA_TYPES[0], GRAPH_MEDIA_TYPES[0])


def best_of(accept: MIMEAccept, offers: list[str], aliases: dict[str, str]) -> str | None:
    """The offer the client prefers (q-values), aliases mapped to ours; None when none fits."""
    if not accept:
        return offers[0]
    best = accept.best_match(offers)
    return aliases.get(best, best) if best else None


def negotiate(
    accept: MIMEAccept | str | None, format_param: str | Sequence[str] | None = None
) -> Formats:
    """The media type for each kind of result, from `format` if given, else from Accept.

    `format` may be repeated with values that mean the same (SPARQLWrapper sends `format=tsv`
    and `format=text/tab-separated-values`); values that disagree are a BadParameter.
    """
    values = [format_param] if isinstance(format_param, str) else list(format_param or ())
    chosen = {_format_named(v) for v in values if v.strip()}
    if len(chosen) > 1:
        raise BadParameter("format", f"the values {', '.join(values)} disagree: give one")
    if chosen:
        return Formats(*chosen.pop())
    if accept is None or isinstance(accept, str):
        accept = parse_accept_header(accept, MIMEAccept)
    return Formats(
        best_of(accept, _RESULT_OFFERS, RESULT_ALIASES),
        best_of(accept, _GRAPH_OFFERS, GRAPH_ALIASES),
    )


def _format_named(value: str) -> tuple[str | None, str | None]:
    name = value.strip().lower()
    chosen = FORMAT_NAMES.get(name) or _BY_TYPE.get(name.split(";")[0].strip())
    if chosen is None and "/" in name:  # a list of media types, read like an Accept header
        accept = parse_accept_header(name, MIMEAccept)
        found = (
            best_of(accept, _RESULT_OFFERS, RESULT_ALIASES),
            best_of(accept, _GRAPH_OFFERS, GRAPH_ALIASES),
        )
        chosen = found if found != (None, None) else None
    if chosen is None:
        known = ", ".join([*FORMAT_NAMES, *RESULT_MEDIA_TYPES, *GRAPH_MEDIA_TYPES])
        raise BadParameter("format", f"'{value}' is not one of {known}")
    return chosen


def content_type(media_type: str) -> str:
    """The Content-Type header for a media type: text types say they are UTF-8."""
    return f"{media_type}; charset=utf-8" if media_type.startswith("text/") else media_type


def mark_truncated(body: bytes, media_type: str, max_rows: int) -> bytes:
    """Add `"truncated": true` and the row limit to a SPARQL JSON body cut by the row cap."""
    if media_type != SPARQL_JSON:
        return body
    end = body.rstrip()
    if not end.endswith(b"}"):
        return body
    return end[:-1] + b',"truncated":true,"rowLimit":%d}' % max_rows


def serialize_result(result: QueryResult, media_type: str) -> bytes:
    """A QueryResult of rdflib terms (from `Engine.query`) in one of the media types above, or
    a SELECT answer as records (JSON, cakg.media's `.records.json`)."""
    if media_type == JSON:
        return json.dumps(records(result), ensure_ascii=False).encode("utf-8")
    return serialize_terms(result, media_type)


PlainValue = str | int | float | bool | None
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[Ee][+-]?[0-9]+)?")


def records(result: QueryResult) -> list[dict[str, PlainValue]]:
    """A SELECT answer as records: one object per row, with every variable in order (ValueError
    for another form)."""
    if result.form != "SELECT":
        raise ValueError(f"a {result.form} answer has no rows to write as records")
    return [
        {v: plain_value(t) for v, t in zip(result.variables, row, strict=True)}
        for row in result.rows
    ]


def plain_value(term: Node | None) -> PlainValue:
    """A term as a plain JSON value: an integer or decimal literal as a number (null for NaN and
    the infinities, which JSON cannot write), a boolean as a boolean, an IRI as its text, a
    blank node as `_:id`, any other literal as its lexical form; unbound as None."""
    if term is None:
        return None
    if isinstance(term, URIRef):
        return str(term)
    if isinstance(term, BNode):
        return f"_:{term}"
    if not isinstance(term, Literal):
        return str(term)
    text = str(term).strip()
    if term.datatype in INTEGERS and re.fullmatch(r"[+-]?[0-9]+", text):
        return int(text)
    if term.datatype in DECIMALS:
        if _NUMBER.fullmatch(text):
            number = float(text)
            return number if math.isfinite(number) else None
        if text.lower() in ("nan", "inf", "+inf", "-inf"):  # rdflib may write them lower-case
            return None
    if term.datatype == XSD.boolean and text in ("true", "false", "1", "0"):
        return text in ("true", "1")
    return str(term)
