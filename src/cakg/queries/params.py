"""Saved-query parameters: grlc's variables (`?_name_type`), their declaration, value checks.

A variable `?_name` is a required parameter, `?__name` an optional one, and a suffix gives its
type (`?_partner_iri`, `?__year_integer`, `?_label_en`, `?_from_xsd_gYear`). A `parameters:`
entry of the header refines it: type, class, required, list, default, example, values,
description. Values are checked against the XSD lexical space of their datatype (then by rdflib),
IRIs against an absolute IRI or a project prefixed name; class membership and allowed values
taken from the graph are checked when the query runs (cakg.queries.bind).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rdflib import XSD, Literal, URIRef

from cakg.errors import QueryHeaderError
from cakg.namespaces import PREFIXES, shorten
from cakg.sparql_text import Token, position

# `fail(message, *key_path)`: a QueryHeaderError at the header line of that key
Fail = Callable[..., QueryHeaderError]
PARAM_KEYS = {
    "type", "class", "lang", "required", "list", "default", "example", "values", "description",
}  # fmt: skip
RESERVED = {"page", "per_page", "sort"}
_TZ = r"(?:Z|[+-][0-9]{2}:[0-9]{2})?"
# The lexical space of each supported XSD datatype (XML Schema 1.1 Part 2); rdflib then checks
# the value (a 30 February is well formed but ill-typed).
XSD_LEXICAL = {
    "string": r"(?s:.*)",
    "integer": r"[+-]?[0-9]+",
    "nonNegativeInteger": r"\+?[0-9]+",
    "positiveInteger": r"\+?0*[1-9][0-9]*",
    "decimal": r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)",
    "double": r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[Ee][+-]?[0-9]+)?|[+-]?INF|NaN",
    "boolean": r"true|false|1|0",
    "date": r"-?[0-9]{4,}-(?:0[1-9]|1[0-2])-[0-9]{2}" + _TZ,
    "dateTime": r"-?[0-9]{4,}-(?:0[1-9]|1[0-2])-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?"
    + _TZ,
    "gYear": r"-?[0-9]{4,}" + _TZ,
    "gYearMonth": r"-?[0-9]{4,}-(?:0[1-9]|1[0-2])" + _TZ,
    "anyURI": r"[^\s<>\"{}|\\^`]*",
}
XSD_TYPES = tuple(XSD_LEXICAL)
# grlc's variable convention: `_` required or `__` optional, a name without `_`, then a type.
PARAM_VAR = re.compile(
    r"^(?P<req>_{1,2})(?P<name>[^_]+)(?:_(?P<type>[A-Za-z0-9]+))?"
    r"(?:_(?P<extra>[A-Za-z0-9]+))?$"
)


@dataclass(frozen=True)
class Param:
    """One parameter of a saved query and what a value must look like."""

    name: str
    variable: str  # the SPARQL variable, without `?`
    kind: str  # "iri" or "literal"
    datatype: str | None = None  # literal datatype IRI (None with a language)
    lang: str | None = None
    cls: str | None = None  # IRI params: the class every value must be an instance of
    required: bool = True
    multiple: bool = False
    default: tuple[str, ...] = ()
    example: str | None = None
    values: tuple[str, ...] | None = None  # a fixed set of allowed values
    values_from_graph: bool = False  # allowed values: every instance of `cls`
    description: str = ""
    line: int | None = None

    @property
    def type_label(self) -> str:
        """What a value must be, for people: `IRI of a cakg:State`, `xsd:integer`, `text (en)`."""
        if self.kind == "iri":
            return f"IRI of a {shorten(self.cls)}" if self.cls else "IRI"
        if self.lang:
            return f"text (@{self.lang})"
        return shorten(self.datatype or str(XSD.string))


def expand(value: str) -> str:
    """A project prefixed name (`id:state/uzbekistan`) as its full IRI; anything else as is."""
    prefix, sep, local = value.partition(":")
    if sep and prefix in PREFIXES and not local.startswith("//"):
        return PREFIXES[prefix] + local
    return value


def _grlc_type(match: re.Match[str]) -> tuple[str, str | None, str | None]:
    """(kind, datatype, lang) from a grlc variable's suffix."""
    t, extra = match.group("type"), match.group("extra")
    if t is None or t in ("string", "literal"):
        return "literal", str(XSD.string), None
    if t == "iri":
        return "iri", None, None
    if t == "number":
        return "literal", str(XSD.decimal), None
    if t in XSD_TYPES:
        return "literal", str(XSD[t]), None
    if extra and t in PREFIXES:
        return "literal", PREFIXES[t] + extra, None
    if len(t) == 2:
        return "literal", None, t.lower()
    return "literal", str(XSD.string), None


def read_params(
    path: Path,
    text: str,
    meta: dict[str, Any],
    lines: dict[Any, int],
    tokens: list[Token],
    fail: Fail,
) -> tuple[Param, ...]:
    """The query's parameters: its grlc variables, refined by the header's declarations."""
    found: dict[str, tuple[str, re.Match[str]]] = {}
    for token in tokens:
        if token.kind != "var":
            continue
        m = PARAM_VAR.match(token.text[1:])
        if m is None:
            continue
        pname = m.group("name")
        if pname in found and found[pname][0] != token.text[1:]:
            raise QueryHeaderError(
                path,
                f"parameter '{pname}' is both ?{found[pname][0]} and {token.text}: use one "
                "variable",
                position(text, token.start)[0],
            )
        found[pname] = (token.text[1:], m)
    declared = meta.get("parameters") or {}
    if not isinstance(declared, dict):
        raise fail("`parameters` must map each parameter name to its description", "parameters")
    for pname in declared:
        if pname not in found:
            raise fail(
                f"parameter '{pname}' is declared but the query has no ?_{pname} or "
                f"?__{pname} variable",
                "parameters",
                pname,
            )
    enums = _grlc_list(meta, "enumerate", fail)
    defaults = _grlc_list(meta, "defaults", fail)
    for key, table in (("enumerate", enums), ("defaults", defaults)):
        for pname in table:
            if pname not in found:
                raise fail(f"`{key}` names '{pname}', which is not a parameter of this query", key)
    params = []
    for pname, (variable, m) in sorted(found.items()):
        if pname in RESERVED:
            raise QueryHeaderError(
                path, f"'{pname}' is reserved for paging and sorting: rename ?{variable}"
            )
        spec = declared.get(pname) or {}
        params.append(_param(pname, variable, m, spec, enums, defaults, lines, fail))
    return tuple(params)


def _grlc_list(meta: dict[str, Any], key: str, fail: Fail) -> dict[str, Any]:
    """grlc's `defaults`/`enumerate`: a list of names or one-key mappings, or one mapping."""
    raw = meta.get(key) or []
    if isinstance(raw, dict):
        return dict(raw)
    if not isinstance(raw, list):
        raise fail(f"`{key}` must be a list", key)
    out: dict[str, Any] = {}
    for item in raw:
        if isinstance(item, str):
            out[item] = None  # enumerate from the graph
        elif isinstance(item, dict) and len(item) == 1:
            out.update(item)
        else:
            raise fail(f"each `{key}` item is a name or `name: value`", key)
    return out


def _param(
    pname: str,
    variable: str,
    m: re.Match[str],
    spec: Any,
    enums: dict[str, Any],
    defaults: dict[str, Any],
    lines: dict[Any, int],
    fail: Fail,
) -> Param:
    at = ("parameters", pname)
    if not isinstance(spec, dict):
        raise fail(f"parameter '{pname}' must be a mapping of keys", *at)
    bad = sorted(set(spec) - PARAM_KEYS)
    if bad:
        raise fail(
            f"parameter '{pname}': unknown key '{bad[0]}' (allowed: "
            f"{', '.join(sorted(PARAM_KEYS))})",
            *at,
            bad[0],
        )
    kind, datatype, lang = _grlc_type(m)
    if "type" in spec:
        declared = _declared_type(str(spec["type"]), spec.get("lang"))
        if declared is None:
            raise fail(
                f"parameter '{pname}': type '{spec['type']}' is not iri, string or one of "
                f"xsd:{', xsd:'.join(XSD_TYPES)}",
                *at,
                "type",
            )
        if m.group("type") and declared != (kind, datatype, lang):
            raise fail(
                f"parameter '{pname}': type '{spec['type']}' contradicts the variable ?{variable}",
                *at,
                "type",
            )
        kind, datatype, lang = declared
    required = m.group("req") == "_"
    if "required" in spec and bool(spec["required"]) != required:
        raise fail(
            f"parameter '{pname}': `required: {spec['required']}` contradicts the "
            f"variable ?{variable} (?_ required, ?__ optional)",
            *at,
            "required",
        )
    cls = spec.get("class")
    if cls is not None and kind != "iri":
        raise fail(f"parameter '{pname}': `class` needs an iri parameter", *at, "class")
    param = Param(
        name=pname,
        variable=variable,
        kind=kind,
        datatype=datatype,
        lang=lang,
        cls=expand(str(cls)) if cls else None,
        required=required,
        multiple=bool(spec.get("list")),
        description=str(spec.get("description") or "").strip(),
        line=lines.get(at),
    )
    values = spec.get("values")
    if pname in enums:
        if values is not None:
            raise fail(f"parameter '{pname}': allowed values given twice", "enumerate")
        values = enums[pname] if enums[pname] is not None else "graph"
    from_graph = values == "graph"
    if from_graph and not param.cls:
        raise fail(
            f"parameter '{pname}': values from the graph need an iri parameter with a `class`", *at
        )
    fixed = None
    if values is not None and not from_graph:
        if not isinstance(values, list) or not values:
            raise fail(f"parameter '{pname}': `values` is `graph` or a list", *at, "values")
        fixed = tuple(_check(param, v, fail, *at, "values") for v in values)
    default = spec.get("default", defaults.get(pname))
    if default is not None:
        items = default if isinstance(default, list) else [default]
        if len(items) > 1 and not param.multiple:
            raise fail(f"parameter '{pname}': several defaults need `list: true`", *at, "default")
        checked = tuple(_check(param, v, fail, *at, "default") for v in items)
        if fixed and any(v not in fixed for v in checked):
            raise fail(f"parameter '{pname}': the default is not an allowed value", *at, "default")
    else:
        checked = ()
    example = spec.get("example")
    ex = _check(param, example, fail, *at, "example") if example is not None else None
    return Param(
        **{
            **param.__dict__,
            "values": fixed,
            "values_from_graph": from_graph,
            "default": checked,
            "example": ex,
        }
    )


def _declared_type(value: str, lang: Any) -> tuple[str, str | None, str | None] | None:
    if value == "iri":
        return "iri", None, None
    if value == "string" and lang:
        return "literal", None, str(lang).lower()
    local = value.removeprefix("xsd:")
    if value in ("string", "xsd:string") and not lang:
        return "literal", str(XSD.string), None
    if value.startswith("xsd:") and local in XSD_TYPES:
        return "literal", str(XSD[local]), None
    return None


def _check(param: Param, value: Any, fail: Fail, *at: Any) -> str:
    """A header value (default, example, allowed value) checked against the parameter's type."""
    text = str(value).lower() if isinstance(value, bool) else str(value)
    try:
        return str(parse_value(param, text))
    except ValueError as e:
        raise fail(f"parameter '{param.name}': {e}", *at) from None


IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]+")


def parse_value(param: Param, text: str) -> URIRef | Literal:
    """One value of PARAM as an RDF term; ValueError saying what was expected."""
    if param.kind == "iri":
        iri = expand(text.strip())
        if not IRI.fullmatch(iri):
            raise ValueError(f"{text!r} is not an absolute IRI or a known prefixed name")
        return URIRef(iri)
    if param.lang:
        return Literal(text, lang=param.lang)
    datatype = URIRef(param.datatype or XSD.string)
    local = datatype.removeprefix(str(XSD))
    if not re.fullmatch(XSD_LEXICAL.get(local, r"(?s:.*)"), text):
        raise ValueError(f"{text!r} is not a valid {shorten(str(datatype))}")
    _quiet_rdflib()
    term = Literal(text, datatype=datatype)
    # gYear and gYearMonth have no rdflib converter (owlrl may register a partial one).
    if term.ill_typed and local not in ("gYear", "gYearMonth"):
        raise ValueError(f"{text!r} is not a valid {shorten(str(datatype))}")
    return term


class _IllTypedFilter(logging.Filter):
    """Drops rdflib's log record (with a traceback) for a lexical form we reject anyway."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Failed to convert Literal lexical form")


def _quiet_rdflib() -> None:
    log = logging.getLogger("rdflib.term")
    if not any(isinstance(f, _IllTypedFilter) for f in log.filters):
        log.addFilter(_IllTypedFilter())
