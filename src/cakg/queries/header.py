"""Reading saved queries: queries/*.rq, each with a grlc `#+` YAML header, checked.

A saved query is one `.rq` file; its name (kebab-case) is the file name. The header is the first
contiguous block of `#+` lines and is YAML with the grlc keys (summary, description, tags,
method, pagination, defaults, enumerate) plus `view` and `parameters` (see
cakg.queries.params). Every problem is a QueryHeaderError naming the file and, where there is
one, the line. The query itself must parse (rdflib's parser, the strictest of the engines') and
be a SELECT (naming its variables), CONSTRUCT, ASK or DESCRIBE, without FROM.

This module reads files and checks them; it never runs a query (see cakg.queries.bind).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pyparsing import ParseException
from rdflib import Namespace, URIRef
from rdflib.plugins.sparql.parser import parseQuery

from cakg.errors import QueryHeaderError
from cakg.namespaces import BASE
from cakg.queries.params import Fail, Param, read_params
from cakg.sparql_terms import where_group
from cakg.sparql_text import Token, position, tokenize

QUERIES_DIR = "queries"
SAVED_QUERY = Namespace(BASE + "queries/")  # each saved query's IRI: SAVED_QUERY[name]
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
    "columns",
    "parameters",
}
VIEWS = ("table", "bar", "line", "timeline", "map", "graph")
# the keys of `view` naming variables (`y`, `label` and `derived` may name several: a list);
# `caption` is words
VIEW_KEYS = {
    "type", "x", "y", "series", "facet", "unit", "when", "deadline", "target", "certainty",
    "label", "date", "end", "lat", "lon", "geometry", "route", "order", "area", "caption",
    "derived", "deadlineNote",
}  # fmt: skip
VIEW_TEXT_KEYS = {"type", "caption"}
LIST_KEYS = {"y", "label", "derived"}
MAX_SUMMARY = 80
FORMS = {
    "SelectQuery": "SELECT",
    "ConstructQuery": "CONSTRUCT",
    "AskQuery": "ASK",
    "DescribeQuery": "DESCRIBE",
}
FORM_WORDS = frozenset(FORMS.values())


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
    view: dict[str, Any] = field(default_factory=lambda: {"type": "table"})
    columns: dict[str, str] = field(default_factory=dict)  # variable -> its header in words
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
        return SAVED_QUERY[self.name]

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)


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
    tokens = tokenize(text, strict=False)  # rdflib's parser says what cannot be read
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


def _parse(path: Path, text: str, tokens: list[Token]) -> tuple[str, Any, Any]:
    declared = {t.text.split(":")[0] for t in tokens if t.kind == "pname"}
    prologue = re.findall(r"(?im)^\s*PREFIX\s+([\w.-]*):", text)
    missing = sorted(p for p in declared - set(prologue) if p not in ("", "_"))
    if "" in declared and "" not in prologue:
        missing.insert(0, "(empty)")
    if missing:
        line = next(
            _line(text, t.start)
            for t in tokens
            if t.kind == "pname" and t.text.split(":")[0] in missing
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
            line = next(
                _line(text, t.start) for t in tokens if t.kind == "punct" and t.value == "*"
            )
            raise QueryHeaderError(path, "SELECT * is not allowed: name the variables", line)
        projected = tuple(str(p["evar"] if "evar" in p else p["var"]) for p in body["projection"])
    if "datasetClause" in body:
        line = next(
            _line(text, t.start) for t in tokens if t.kind == "keyword" and t.value == "FROM"
        )
        raise QueryHeaderError(path, "FROM is not allowed: saved queries see the union graph", line)
    return form, projected, body


def _line(text: str, offset: int) -> int:
    return position(text, offset)[0]


def _build(
    path: Path,
    name: str,
    text: str,
    meta: dict[str, Any],
    lines: dict[Any, int],
    tokens: list[Token],
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
    brace = where_group(tokens)
    if brace is None:
        raise QueryHeaderError(path, "no WHERE { ... } group found to bind parameters in")
    params = read_params(path, text, meta, lines, tokens, fail)
    view = _view(meta.get("view", "table"), projected or (), fail)
    if view["type"] == "graph" and form not in ("CONSTRUCT", "DESCRIBE"):
        raise fail(
            f"`view: graph` draws triples: it needs a CONSTRUCT or DESCRIBE, not {form}", "view"
        )
    columns = _columns(meta.get("columns", {}), projected or (), fail)
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
        columns=columns,
        params=params,
        form=form,
        variables=projected or (),
        prologue_end=_prologue_end(tokens),
        where_at=brace + 1,
    )


def _prologue_end(tokens: list[Token]) -> int:
    """The offset where the prologue (PREFIX and BASE declarations) ends: the query's form."""
    return next((t.start for t in tokens if t.kind == "keyword" and t.value in FORM_WORDS), 0)


def _view(raw: Any, projected: tuple[str, ...], fail: Fail) -> dict[str, Any]:
    view = {"type": raw} if isinstance(raw, str) else raw
    if not isinstance(view, dict) or view.get("type") not in VIEWS:
        raise fail(f"`view` must be one of {', '.join(VIEWS)} (or a mapping with `type`)", "view")
    bad = sorted(set(view) - VIEW_KEYS)
    if bad:
        raise fail(f"`view`: unknown key '{bad[0]}'", "view", bad[0])
    out: dict[str, Any] = {}
    for key, value in view.items():
        if key in VIEW_TEXT_KEYS:
            out[key] = str(value)
            continue
        columns = value if isinstance(value, list) and key in LIST_KEYS else [value]
        for column in columns:
            if column not in projected:
                raise fail(f"`view`: {key} '{column}' is not a projected variable", "view", key)
        out[key] = [str(c) for c in columns] if isinstance(value, list) else str(value)
    return out


def _columns(raw: Any, projected: tuple[str, ...], fail: Fail) -> dict[str, str]:
    """`columns`: each variable's header in words (variable: "Header")."""
    if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
        raise fail("`columns` must map variables to headers (partnerLabel: Partner)", "columns")
    for name in raw:
        if name not in projected:
            raise fail(f"`columns`: '{name}' is not a projected variable", "columns", str(name))
    return {str(k): v for k, v in raw.items()}
