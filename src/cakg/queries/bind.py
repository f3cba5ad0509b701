"""Run a saved query: check and bind its parameters, sort and paginate it, count its rows.

Values are parsed into rdflib terms and checked (datatype, IRI, class membership, allowed set)
before anything runs. A value of an IRI parameter may also be a label of the entity
(`resolve_labels`, looked up by cakg.queries.lookup). Values reach the query as a VALUES block
at the top of its WHERE group, written from the terms' N3 form, never by pasting the caller's
text (cakg.sparql_terms). `sort` orders all the rows of a SELECT query before they are paged,
on the query wrapped as a subquery, as counting them does.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from rdflib import Literal, URIRef
from rdflib.term import Identifier

from cakg.engine.base import Engine, QueryDataset, QueryResult
from cakg.errors import BadParameter, QueryNotFound
from cakg.namespaces import shorten
from cakg.queries.header import SavedQuery
from cakg.queries.lookup import instances, label_key, labelled
from cakg.queries.params import Param, parse_value
from cakg.sparql_terms import sparql_term, splice_values, values_column

MAX_PER_PAGE = 500
MAX_SUGGESTIONS = 500
PAGING = ("page", "per_page")
SORT = "sort"
Values = dict[str, tuple[Identifier, ...]]
Sort = tuple[tuple[str, bool], ...]  # (variable, descending) in order


@dataclass(frozen=True)
class Page:
    """Where a page sits among all the rows of a paginated query."""

    number: int
    size: int
    total: int

    @property
    def last(self) -> int:
        return max(1, math.ceil(self.total / self.size))

    def links(self) -> dict[str, int]:
        """RFC 8288 relations to page numbers: first, prev (not on 1), next (not on last), last."""
        rels = {"first": 1}
        if self.number > 1:
            rels["prev"] = self.number - 1
        if self.number < self.last:
            rels["next"] = self.number + 1
        rels["last"] = self.last
        return rels


@dataclass
class SavedResult:
    query: SavedQuery
    result: QueryResult
    values: Values = field(default_factory=dict)
    page: Page | None = None
    sort: Sort = ()


def find_query(catalogue: Mapping[str, SavedQuery], name: str) -> SavedQuery:
    try:
        return catalogue[name]
    except KeyError:
        known = ", ".join(sorted(catalogue)) or "none"
        raise QueryNotFound(f"no saved query named '{name}' (known: {known})") from None


def parse_params(q: SavedQuery, raw: Mapping[str, Sequence[str]]) -> tuple[Values, Page | None]:
    """Check every given value against its declaration (not yet against the graph)."""
    check_names(q, raw)
    values: Values = {}
    for p in q.params:
        given = [v for v in raw.get(p.name, ()) if v != ""]
        if len(given) > 1 and not p.multiple:
            raise BadParameter(p.name, f"given {len(given)} times; it takes one {p.type_label}")
        if not given:
            given = list(p.default)
        if not given:
            if p.required:
                raise BadParameter(p.name, f"missing; expected {_expected(p)}")
            continue
        values[p.name] = tuple(_parse(p, v) for v in given)
    return values, _page(q, raw)


def check_names(q: SavedQuery, raw: Mapping[str, Sequence[str]]) -> None:
    """Every given name is a parameter of Q, or one of paging (when paginated) or sorting."""
    known = {p.name for p in q.params} | (set(PAGING) if q.pagination else set())
    known |= {SORT} if q.form == "SELECT" else set()
    for name in raw:
        if name == SORT and name not in known:
            raise BadParameter(name, f"'{q.name}' is a {q.form} query: only rows can be sorted")
        if name not in known:
            takes = ", ".join(sorted(known)) or "no parameters"
            raise BadParameter(name, f"unknown parameter; '{q.name}' takes: {takes}")


def _parse(p: Param, text: str) -> Identifier:
    try:
        term = parse_value(p, text)
    except ValueError as e:
        raise BadParameter(p.name, f"{e}; expected {_expected(p)}") from None
    if p.values is not None and str(term) not in p.values:
        raise BadParameter(p.name, f"{text!r} is not allowed; expected {_expected(p)}")
    return term


def _expected(p: Param) -> str:
    many = "one or more (repeat the parameter) " if p.multiple else ""
    what = f"{many}{p.type_label}"
    if p.values is not None:
        shown = ", ".join(shorten(v) if p.kind == "iri" else v for v in p.values)
        what += f", one of: {shown}"
    if p.example:
        what += f" (e.g. {shorten(p.example) if p.kind == 'iri' else p.example})"
    return what


def _page(q: SavedQuery, raw: Mapping[str, Sequence[str]]) -> Page | None:
    if not q.pagination:
        return None
    limit = max(MAX_PER_PAGE, q.pagination)
    number = _int(raw, "page", 1, 1, None)
    size = _int(raw, "per_page", q.pagination, 1, limit)
    return Page(number, size, 0)


def _int(
    raw: Mapping[str, Sequence[str]], name: str, default: int, low: int, high: int | None
) -> int:
    given = [v for v in raw.get(name, ()) if v != ""]
    if len(given) > 1:
        raise BadParameter(name, "given more than once")
    if not given:
        return default
    bound = f"{low}..{high}" if high else f"{low} or more"
    if not re.fullmatch(r"[0-9]{1,9}", given[0]):
        raise BadParameter(name, f"{given[0]!r} is not a whole number {bound}")
    value = int(given[0])
    if value < low or (high is not None and value > high):
        raise BadParameter(name, f"{value} is out of range; expected {bound}")
    return value


def parse_sort(q: SavedQuery, raw: Mapping[str, Sequence[str]]) -> Sort:
    """`sort=var` or `sort=-var` (descending); several keys separated by commas."""
    given = [v for v in raw.get(SORT, ()) if v.strip()]
    if not given:
        return ()
    if len(given) > 1:
        raise BadParameter(SORT, "given more than once; separate several keys with commas")
    keys: list[tuple[str, bool]] = []
    for item in given[0].split(","):
        key = item.strip()
        name = key.removeprefix("-")
        if name not in q.variables:
            raise BadParameter(
                SORT,
                f"{key!r} is not a variable of '{q.name}'; expected one of "
                f"{', '.join(q.variables)}, with - in front for descending order",
            )
        if any(name == k for k, _ in keys):
            raise BadParameter(SORT, f"'{name}' is given twice")
        keys.append((name, key.startswith("-")))
    return tuple(keys)


def resolve_labels(
    engine: Engine, q: SavedQuery, raw: Mapping[str, Sequence[str]]
) -> dict[str, list[str]]:
    """RAW with every value of an IRI parameter that is neither an IRI nor a prefixed name
    replaced by the IRI of the entity it is a label of: an instance of the parameter's class
    if one has it, else any entity. BadParameter when it names none, or several."""
    check_names(q, raw)
    out = {name: list(given) for name, given in raw.items()}
    for p in q.params:
        texts = [t for t in out.get(p.name, ()) if p.kind == "iri" and t.strip() and not _iri(p, t)]
        if not texts:
            continue
        found = labelled(engine, texts, p.cls)
        for i, text in enumerate(out[p.name]):
            if text not in texts:
                continue
            matches = found.get(label_key(text), [])
            if p.cls and any(m.typed for m in matches):
                matches = [m for m in matches if m.typed]
            if not matches:
                of = f"a {shorten(p.cls)} or anything else" if p.cls else "anything"
                raise BadParameter(
                    p.name,
                    f"{text!r} is not an absolute IRI, a known prefixed "
                    f"name or the label of {of}; expected {_expected(p)}",
                )
            if len(matches) > 1:
                listed = "; ".join(str(m) for m in matches)
                raise BadParameter(
                    p.name,
                    f"{text!r} is the label of {len(matches)} entities: "
                    f"{listed}. Give the IRI (or prefixed name) of one",
                )
            out[p.name][i] = matches[0].iri
    return out


def _iri(p: Param, text: str) -> bool:
    try:
        parse_value(p, text)
    except ValueError:
        return False
    return True


def check_membership(engine: Engine, q: SavedQuery, values: Values) -> None:
    """Every IRI of a parameter with a class must be an instance of it (with inference)."""
    for p in q.params:
        if p.kind != "iri" or not p.cls or p.name not in values:
            continue
        sparql = (
            f"SELECT ?v WHERE {{ {values_column('v', values[p.name])}"
            f" FILTER NOT EXISTS {{ ?v a {sparql_term(URIRef(p.cls))} }} }}"
        )
        rows = engine.query(sparql, dataset=QueryDataset()).rows
        if rows:
            bad = shorten(str(rows[0][0]))
            raise BadParameter(p.name, f"{bad} is not a {shorten(p.cls)}; expected {_expected(p)}")


def bound_sparql(q: SavedQuery, values: Values) -> str:
    """The query with one VALUES block per given parameter at the top of its WHERE group."""
    blocks = "".join(
        f"\n  {values_column(p.variable, values[p.name])}" for p in q.params if p.name in values
    )
    return splice_values(q.text, q.where_at, blocks)


def sorted_sparql(q: SavedQuery, values: Values, sort: Sort) -> str:
    """The bound query as a subquery, its rows ordered by SORT, then by every other projected
    variable in order (so that equal keys keep one order from page to page)."""
    bound = bound_sparql(q, values)
    named = {name for name, _ in sort}
    keys = [f"DESC(?{name})" if desc else f"?{name}" for name, desc in sort]
    keys += [f"?{v}" for v in q.variables if v not in named]
    return (
        f"{bound[: q.prologue_end]}SELECT {' '.join('?' + v for v in q.variables)} WHERE {{\n"
        f"{bound[q.prologue_end :]}\n}}\nORDER BY {' '.join(keys)}\n"
    )


def count_sparql(q: SavedQuery, values: Values) -> str:
    """COUNT(*) over the bound query as a subquery: the exact number of rows."""
    bound = bound_sparql(q, values)
    return (
        f"{bound[: q.prologue_end]}SELECT (COUNT(*) AS ?total) WHERE {{\n"
        f"{bound[q.prologue_end :]}\n}}\n"
    )


def run_saved(
    engine: Engine,
    q: SavedQuery,
    raw: Mapping[str, Sequence[str]],
    *,
    max_rows: int | None = None,
    inference: bool = True,
) -> SavedResult:
    """Check RAW (name -> given values), bind, sort, count and run Q over ENGINE."""
    check_names(q, raw)
    sort = parse_sort(q, raw)
    values, page = parse_params(q, resolve_labels(engine, q, raw))
    check_membership(engine, q, values)
    dataset = QueryDataset(inference=inference)
    sparql = sorted_sparql(q, values, sort) if sort else bound_sparql(q, values)
    if page is not None:
        counted = engine.query(count_sparql(q, values), dataset=dataset)
        count = counted.rows[0][0] if counted.rows else None
        total = int(count) if isinstance(count, Literal) else 0
        page = Page(page.number, page.size, total)
        if page.number > page.last:
            raise BadParameter("page", f"{page.number} is past the last page, {page.last}")
        sparql += f"\nLIMIT {page.size} OFFSET {(page.number - 1) * page.size}\n"
    result = engine.query(sparql, dataset=dataset, max_rows=max_rows)
    return SavedResult(q, result, values, page, sort)


def allowed_values(engine: Engine, p: Param) -> list[tuple[str, str]] | None:
    """A parameter's allowed values with their English labels, for forms and the OpenAPI."""
    if p.values_from_graph and p.cls:
        return instances(engine, p.cls)
    if p.values is not None and p.kind == "iri":
        return instances(engine, iris=p.values)
    if p.values is not None:
        return [(v, v) for v in p.values]
    return None


def suggestions(engine: Engine, p: Param) -> tuple[list[tuple[str, str]], bool] | None:
    """Values to suggest for an IRI parameter with a class: its instances with their English
    labels, at most MAX_SUGGESTIONS of them, and whether there are more."""
    if p.kind != "iri" or not p.cls:
        return None
    found = instances(engine, p.cls, limit=MAX_SUGGESTIONS + 1)
    return found[:MAX_SUGGESTIONS], len(found) > MAX_SUGGESTIONS


def parse_assignments(pairs: Sequence[str]) -> dict[str, list[str]]:
    """CLI `name=value` pairs as a parameter mapping (a name may repeat)."""
    raw: dict[str, list[str]] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise BadParameter(pair, "expected name=value")
        raw.setdefault(name.strip(), []).append(value)
    return raw
