"""The saved-query catalogue: read queries/*.rq, check each `#+` YAML header, describe them as RDF.

A saved query is one `.rq` file; its name (kebab-case) is the file name. The header is the first
contiguous block of `#+` lines and is YAML with the grlc keys (summary, description, tags,
method, pagination, defaults, enumerate) plus `view` and `parameters`. Parameters follow grlc's
variable convention: `?_name` is required, `?__name` optional, and a suffix gives the type
(`?_partner_iri`, `?__year_integer`, `?_label_en`, `?_from_xsd_gYear`). A `parameters:` entry
refines one: type, class, required, list, default, example, values, description.

This module reads files and checks them; it never runs a query (see cakg.queries.bind).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pyparsing import ParseException
from rdflib import RDF, RDFS, XSD, BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, SDO, SH
from rdflib.plugins.sparql.parser import parseQuery

from cakg.errors import QueryHeaderError
from cakg.namespaces import BASE, PREFIXES, shorten

QUERIES_DIR = "queries"
QUERY_BASE = Namespace(BASE + "queries/")
NAME = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
KEYS = {
    "summary",
    "description",
    "tags",
    "method",
    "pagination",
    "defaults",
    "enumerate",
    "view",
    "parameters",
}
PARAM_KEYS = {
    "type",
    "class",
    "lang",
    "required",
    "list",
    "default",
    "example",
    "values",
    "description",
}
VIEWS = ("table", "bar", "line", "timeline", "map")
VIEW_KEYS = {"type", "x", "y", "series", "label", "start", "end", "date", "lat", "lon", "geometry"}
RESERVED = {"page", "per_page"}
MAX_SUMMARY = 80
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
TOKEN = re.compile(
    r"""(?P<comment>\#[^\n]*)
    |(?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'''(?:[^'\\]|\\.|'(?!''))*'''
       |"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
    |(?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
    |(?P<var>[?$][\w\u00b7]+)
    |(?P<bnode>_:[\w.-]*)
    |(?P<word>(?:[A-Za-z][\w.-]*)?:[\w.%:-]*|[A-Za-z_]\w*)
    |(?P<open>[{(])|(?P<close>[})])
    |(?P<other>.)""",
    re.X | re.S,
)
FORMS = {
    "SelectQuery": "SELECT",
    "ConstructQuery": "CONSTRUCT",
    "AskQuery": "ASK",
    "DescribeQuery": "DESCRIBE",
}


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


@dataclass(frozen=True)
class SavedQuery:
    """A checked saved query: its header, parameters and where to bind them."""

    name: str
    path: Path
    text: str  # the whole file
    summary: str
    description: str = ""
    tags: tuple[str, ...] = ()
    method: str = "GET"
    pagination: int | None = None
    view: dict[str, str] = field(default_factory=lambda: {"type": "table"})
    params: tuple[Param, ...] = ()
    form: str = "SELECT"
    variables: tuple[str, ...] = ()  # projected variables of a SELECT
    prologue_end: int = 0  # offset where PREFIX/BASE declarations end
    where_at: int = 0  # offset just after the `{` of the top-level WHERE group

    @property
    def sparql(self) -> str:
        """The query without its `#+` header."""
        return "".join(
            line for line in self.text.splitlines(keepends=True) if not line.startswith("#+")
        )

    @property
    def iri(self) -> URIRef:
        return QUERY_BASE[self.name]

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)


def expand(value: str) -> str:
    """A project prefixed name (`id:state/uzbekistan`) as its full IRI; anything else as is."""
    prefix, sep, local = value.partition(":")
    if sep and prefix in PREFIXES and not local.startswith("//"):
        return PREFIXES[prefix] + local
    return value


def load_catalogue(root: Path | str) -> dict[str, SavedQuery]:
    """Every saved query under ROOT/queries, by name; QueryHeaderError on the first bad one."""
    folder = Path(root) / QUERIES_DIR
    if not folder.is_dir():
        return {}
    return {q.name: q for q in (load_query(p) for p in sorted(folder.glob("*.rq")))}


def load_query(path: Path) -> SavedQuery:
    """Read, parse and check one saved query file."""
    path = Path(path)
    name = path.stem
    if not NAME.match(name):
        raise QueryHeaderError(path, f"'{name}' is not a kebab-case name (like trade-by-year)")
    text = path.read_text(encoding="utf-8")
    header, first = _header_lines(text)
    if not header:
        raise QueryHeaderError(path, "no `#+` header: add at least `#+ summary: ...`", 1)
    meta, lines = _read_yaml(path, header, first)
    tokens = list(_tokens(text))
    form, projected, parsed = _parse(path, text, tokens)
    return _build(path, name, text, meta, lines, tokens, form, projected, parsed)


def _header_lines(text: str) -> tuple[list[str], int]:
    """The `#+` lines (marker removed) and the file line of the first one."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip()), 0)
    header = []
    for line in lines[start:]:
        if not line.startswith("#+"):
            break
        header.append(line[2:])
    return header, start + 1


def _read_yaml(path: Path, header: list[str], first: int) -> tuple[dict[str, Any], dict[Any, int]]:
    """The header as a dict, and the file line of every mapping key (keyed by its path)."""
    source = "\n".join(header)
    try:
        node = yaml.compose(source, Loader=yaml.SafeLoader)
        meta = yaml.safe_load(source)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
        line = first + mark.line if mark is not None else first
        problem = getattr(e, "problem", None) or str(e)
        raise QueryHeaderError(path, f"invalid YAML in the header: {problem}", line) from None
    if not isinstance(meta, dict):
        raise QueryHeaderError(path, "the header must be a YAML mapping of keys", first)
    lines: dict[Any, int] = {}

    def walk(n: yaml.Node, at: tuple[Any, ...]) -> None:
        if isinstance(n, yaml.MappingNode):
            seen: set[str] = set()
            for k, v in n.value:
                key = k.value
                if key in seen:
                    raise QueryHeaderError(
                        path, f"key '{key}' given twice", first + k.start_mark.line
                    )
                seen.add(key)
                lines[(*at, key)] = first + k.start_mark.line
                walk(v, (*at, key))
        elif isinstance(n, yaml.SequenceNode):
            for i, item in enumerate(n.value):
                lines[(*at, i)] = first + item.start_mark.line
                walk(item, (*at, i))

    if node is not None:  # always so for a mapping header
        walk(node, ())
    return meta, lines


def _tokens(text: str) -> Iterable[tuple[str, str, int, int]]:
    """(kind, text, offset, depth) for every token outside comments; depth counts { and (."""
    depth = 0
    for m in TOKEN.finditer(text):
        kind = m.lastgroup or "other"
        if kind == "comment":
            continue
        if kind == "close":
            depth -= 1
        yield kind, m.group(), m.start(), depth
        if kind == "open":
            depth += 1


def _parse(path: Path, text: str, tokens: list[tuple[str, str, int, int]]) -> tuple[str, Any, Any]:
    declared = {t.split(":")[0] for k, t, _, _ in tokens if k == "word" and ":" in t}
    prologue = re.findall(r"(?im)^\s*PREFIX\s+([\w.-]*):", text)
    missing = sorted(p for p in declared - set(prologue) if p not in ("", "_"))
    if "" in declared and "" not in prologue:
        missing.insert(0, "(empty)")
    if missing:
        line = next(
            _line(text, o)
            for k, t, o, _ in tokens
            if k == "word" and ":" in t and t.split(":")[0] in missing
        )
        raise QueryHeaderError(path, f"undeclared prefix {missing[0]}: add a PREFIX line", line)
    try:
        parsed = parseQuery(text)
    except ParseException as e:
        raise QueryHeaderError(path, f"SPARQL syntax error: {e.msg}", e.lineno) from None
    body = parsed[1]
    form = FORMS.get(body.name)
    if form is None:
        raise QueryHeaderError(path, "a saved query must be SELECT, CONSTRUCT, ASK or DESCRIBE")
    projected = None
    if form == "SELECT":
        if "projection" not in body:
            line = next(_line(text, o) for k, t, o, _ in tokens if t == "*")
            raise QueryHeaderError(path, "SELECT * is not allowed: name the variables", line)
        projected = tuple(str(p["evar"] if "evar" in p else p["var"]) for p in body["projection"])
    if "datasetClause" in body:
        line = next(_line(text, o) for k, t, o, _ in tokens if t.upper() == "FROM")
        raise QueryHeaderError(path, "FROM is not allowed: saved queries see the union graph", line)
    return form, projected, body


def _line(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _build(
    path: Path,
    name: str,
    text: str,
    meta: dict[str, Any],
    lines: dict[Any, int],
    tokens: list[tuple[str, str, int, int]],
    form: str,
    projected: tuple[str, ...] | None,
    parsed: Any,
) -> SavedQuery:
    def fail(message: str, *at: Any) -> QueryHeaderError:
        return QueryHeaderError(path, message, lines.get(at) or lines.get(at[:1]) or None)

    unknown = sorted(set(meta) - KEYS)
    if unknown:
        allowed = ", ".join(sorted(KEYS))
        raise fail(f"unknown key '{unknown[0]}' (allowed: {allowed})", unknown[0])
    summary = meta.get("summary")
    if not isinstance(summary, str) or not summary.strip():
        raise QueryHeaderError(path, "`summary` is required (one line, at most 80 characters)", 1)
    if len(summary) > MAX_SUMMARY:
        raise fail(f"`summary` has {len(summary)} characters; at most {MAX_SUMMARY}", "summary")
    tags = meta.get("tags") or []
    if isinstance(tags, str):
        tags = [tags]
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise fail("`tags` must be a list of words", "tags")
    method = str(meta.get("method", "GET")).upper()
    if method not in ("GET", "POST"):
        raise fail(f"`method` must be GET or POST, not {method}", "method")
    pagination = meta.get("pagination")
    if pagination is not None:
        if isinstance(pagination, bool) or not isinstance(pagination, int) or pagination < 1:
            raise fail("`pagination` must be a positive number of rows per page", "pagination")
        if form != "SELECT" or "limitoffset" in parsed or "valuesClause" in parsed:
            raise fail(
                "`pagination` needs a SELECT without its own LIMIT, OFFSET or trailing VALUES",
                "pagination",
            )
    where_at, prologue_end = _anchors(tokens)
    if where_at is None:
        raise QueryHeaderError(path, "no WHERE { ... } group found to bind parameters in")
    params = _params(path, text, meta, lines, tokens, fail)
    view = _view(meta.get("view", "table"), projected or (), fail)
    return SavedQuery(
        name=name,
        path=path,
        text=text,
        summary=summary.strip(),
        description=str(meta.get("description") or "").strip(),
        tags=tuple(tags),
        method=method,
        pagination=pagination,
        view=view,
        params=params,
        form=form,
        variables=projected or (),
        prologue_end=prologue_end,
        where_at=where_at,
    )


def _anchors(tokens: list[tuple[str, str, int, int]]) -> tuple[int | None, int]:
    """Offset after the top-level WHERE's `{`, and the offset where the prologue ends."""
    prologue_end = 0
    where_seen = False
    first_brace = None
    for kind, tok, offset, depth in tokens:
        word = tok.upper() if kind == "word" else ""
        if depth == 0 and word in ("SELECT", "CONSTRUCT", "ASK", "DESCRIBE") and not prologue_end:
            prologue_end = offset
        if depth == 0 and word == "WHERE":
            where_seen = True
        if kind == "open" and tok == "{" and depth == 0:
            if where_seen:
                return offset + 1, prologue_end
            first_brace = first_brace if first_brace is not None else offset + 1
    return first_brace, prologue_end


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


def _params(
    path: Path,
    text: str,
    meta: dict[str, Any],
    lines: dict[Any, int],
    tokens: list[Any],
    fail: Any,
) -> tuple[Param, ...]:
    found: dict[str, tuple[str, re.Match[str]]] = {}
    for kind, tok, offset, _depth in tokens:
        if kind != "var":
            continue
        m = PARAM_VAR.match(tok[1:])
        if m is None:
            continue
        pname = m.group("name")
        if pname in found and found[pname][0] != tok[1:]:
            raise QueryHeaderError(
                path,
                f"parameter '{pname}' is both ?{found[pname][0]} and {tok}: use one variable",
                _line(text, offset),
            )
        found[pname] = (tok[1:], m)
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
                path, f"'{pname}' is reserved for pagination: rename ?{variable}"
            )
        spec = declared.get(pname) or {}
        params.append(_param(pname, variable, m, spec, enums, defaults, lines, fail))
    return tuple(params)


def _grlc_list(meta: dict[str, Any], key: str, fail: Any) -> dict[str, Any]:
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
    fail: Any,
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


def _check(param: Param, value: Any, fail: Any, *at: Any) -> str:
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


def _view(raw: Any, projected: tuple[str, ...], fail: Any) -> dict[str, str]:
    view = {"type": raw} if isinstance(raw, str) else raw
    if not isinstance(view, dict) or view.get("type") not in VIEWS:
        raise fail(f"`view` must be one of {', '.join(VIEWS)} (or a mapping with `type`)", "view")
    bad = sorted(set(view) - VIEW_KEYS)
    if bad:
        raise fail(f"`view`: unknown key '{bad[0]}'", "view", bad[0])
    for key, column in view.items():
        if key != "type" and column not in projected:
            raise fail(f"`view`: {key} '{column}' is not a projected variable", "view", key)
    return {k: str(v) for k, v in view.items()}


def describe_catalogue(root: Path | str) -> Graph:
    """Every saved query as a SHACL SPARQL executable, for the named graph QUERIES_GRAPH."""
    g = Graph()
    for prefix in ("rdfs", "sh", "dcterms", "schema", "xsd", "cakg"):
        g.bind(prefix, PREFIXES[prefix])
    g.bind("query", QUERY_BASE)
    for q in load_catalogue(root).values():
        describe_query(g, q)
    return g


def describe_query(g: Graph, q: SavedQuery) -> None:
    node = q.iri
    form = q.form.capitalize()
    g.add((node, RDF.type, SH.SPARQLExecutable))
    g.add((node, RDF.type, SH[f"SPARQL{form}Executable"]))
    g.add((node, SH[form.lower()], Literal(q.sparql.strip())))
    g.add((node, DCTERMS.identifier, Literal(q.name)))
    g.add((node, RDFS.label, Literal(q.summary, lang="en")))
    if q.description:
        g.add((node, RDFS.comment, Literal(q.description, lang="en")))
    for tag in q.tags:
        g.add((node, SDO.keywords, Literal(tag)))
    for p in q.params:
        pnode = URIRef(f"{node}#param-{p.name}")
        g.add((node, SH.parameter, pnode))
        g.add((pnode, RDF.type, SH.Parameter))
        g.add((pnode, SH.path, URIRef(f"{node}#{p.name}")))
        g.add((pnode, SH.name, Literal(p.name)))
        g.add((pnode, SH.optional, Literal(not p.required)))
        if p.description:
            g.add((pnode, SH.description, Literal(p.description, lang="en")))
        if p.kind == "iri":
            g.add((pnode, SH.nodeKind, SH.IRI))
            if p.cls:
                g.add((pnode, SH["class"], URIRef(p.cls)))
        else:
            g.add((pnode, SH.datatype, URIRef(p.datatype) if p.datatype else RDF.langString))
            if p.lang:
                g.add((pnode, SH.languageIn, _rdf_list(g, [Literal(p.lang)])))
        if p.multiple:
            g.add((pnode, SDO.multipleValues, Literal(True)))
        if p.values:
            g.add((pnode, SH["in"], _rdf_list(g, [_term(p, v) for v in p.values])))
        for v in p.default:
            g.add((pnode, SH.defaultValue, _term(p, v)))


def _term(p: Param, value: str) -> URIRef | Literal:
    if p.kind == "iri":
        return URIRef(value)
    if p.lang:
        return Literal(value, lang=p.lang)
    return Literal(value, datatype=URIRef(p.datatype) if p.datatype else None)


def _rdf_list(g: Graph, items: list[Any]) -> BNode:
    head = BNode()
    Collection(g, head, items)
    return head
