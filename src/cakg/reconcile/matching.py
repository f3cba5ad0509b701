"""Candidates for reconciliation queries: names from cakg.search, then types, then properties.

The rule, for each query of a batch (queries are answered independently of each other):

1. **Names.** The query text is looked up in the release's search index (cakg.search: labels in
   every language, folded to ASCII and case, exact, prefix and fuzzy matches); its score (0-100)
   is the candidate's `name_score`. A text that is the IRI of an entity (or its prefixed name,
   `id:state/kazakhstan`) finds that entity with name score 100.
2. **Types.** `type` names classes (IRI, prefixed name or English name); an instance of a
   subclass counts. `type_strict: "any"` keeps only instances of one of them, `"all"` only
   instances of all of them; `"should"` (OpenRefine's, and the default) ranks the instances
   first and keeps the others at half their score.
3. **Properties.** Each constraint's values are compared with the candidate's values of that
   property (cakg.reconcile.values.agrees): it *agrees* (a value is equal), *conflicts* (the
   candidate has values, none equal) or is *missing* (no value). With constraints the score is
   `0.75 * name_score + 25 * agreement`, agreement being the mean of 1 (agrees), 0.4 (missing)
   and 0 (conflicts): agreeing values raise a candidate above a namesake, a conflict lowers it.
   A query with properties and no text finds the entities having one of the values, scored
   `100 * agreement`.
4. **match** (OpenRefine's auto-match) is true for the top candidate only, and only when it is
   the one candidate that is *eligible*: its name equals the query after normalisation (a label
   in any language, or its IRI) or, when every property constraint agrees, its name score is
   at least CLOSE_NAME (a misspelt "Kazakstan" with ISO code KZ); it is of a requested type
   (when types are given); and none of its property values conflicts. With no text, every
   constraint must agree. Two eligible namesakes
   (two "Astana"s, say) give no match.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rdflib import Literal, URIRef
from rdflib.term import Node

from cakg.engine.base import Engine, QueryDataset
from cakg.queries.params import expand
from cakg.reconcile.batch import MAX_LIMIT, Constraint, EntityValue, Query, Value
from cakg.reconcile.schema import RDFS, SKOS, Schema
from cakg.reconcile.values import Values, agrees, read_values
from cakg.search import SearchEntry, SearchHit, SearchIndex
from cakg.sparql_terms import sparql_term

OFF_TYPE_FACTOR = 0.5  # a candidate not of a requested type, with type_strict "should"
NAME_WEIGHT = 0.75
PROPERTY_WEIGHT = 25.0
MISSING = 0.4  # agreement of a constraint the candidate has no value for
REVERSE_ROWS = 200  # entities read for a query with properties and no text
LABEL_PROPERTIES = frozenset(
    {RDFS + "label", SKOS + "prefLabel", SKOS + "altLabel", "http://purl.org/dc/terms/title"}
    | {"https://schema.org/name", "http://xmlns.com/foaf/0.1/name"}
)
CLOSE_NAME = 75.0  # a name score that, with every property agreeing, is enough for a match


@dataclass(frozen=True)
class Candidate:
    """A reconciliation candidate, as the protocol answers it."""

    id: str
    name: str
    types: tuple[tuple[str, str], ...]  # (class IRI, name), most specific first
    score: float
    match: bool
    features: tuple[tuple[str, float | bool], ...]
    description: str = ""


@dataclass
class _Scored:
    entry: SearchEntry
    name_score: float
    exact: bool
    matched: str = ""
    matched_lang: str = ""
    typed: bool = True
    agreement: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class Resolved:
    """A query with its types and properties resolved to IRIs."""

    query: Query
    types: tuple[str, ...]
    pids: tuple[str, ...]


class Reconciler:
    """Answers reconciliation queries over one release's index, schema and engine."""

    def __init__(self, index: SearchIndex, schema: Schema, engine: Engine) -> None:
        self.index = index
        self.schema = schema
        self.engine = engine

    def resolve(self, queries: Sequence[Query], parameter: str = "queries") -> list[Resolved]:
        """Each query's types and properties as IRIs; BadParameter for an unknown one (before
        any query of the batch is answered)."""
        resolved = []
        for q in queries:
            where = f"query {json.dumps(q.key)}: "
            types = tuple(self.schema.class_iri(t, parameter, where) for t in q.types)
            pids = tuple(
                self.schema.property_iri(c.pid, parameter, self.engine, where) for c in q.properties
            )
            resolved.append(Resolved(q, types, pids))
        return resolved

    def reconcile(
        self, queries: Sequence[Query], parameter: str = "queries"
    ) -> dict[str, list[Candidate]]:
        """The candidates of every query, by its key, best first."""
        resolved = self.resolve(queries, parameter)
        found = {r.query.key: self._named(r) for r in resolved}
        wanted_ids = {s.entry.iri for r in resolved if r.pids for s in found[r.query.key]}
        wanted_pids = {p for r in resolved for p in r.pids}
        values = read_values(self.engine, wanted_ids, wanted_pids) if wanted_ids else {}
        return {r.query.key: self._ranked(r, found[r.query.key], values) for r in resolved}

    # ------------------------------------------------------------------ candidates by name

    def _named(self, r: Resolved) -> list[_Scored]:
        q = r.query
        fetch = min(MAX_LIMIT, max(q.limit * 2, q.limit + 5)) if r.pids else q.limit
        if not q.text:
            return self._by_values(r)
        own = self.index.entry(expand(q.text))
        if own is not None:
            return [_Scored(own, 100.0, True, own.iri, "", self._typed(own, r))]
        if not r.types:
            return [self._scored(h, True) for h in self._find(q.text, (), fetch)]
        if q.type_strict == "all":
            hits = self._find(q.text, r.types[:1], min(MAX_LIMIT, fetch * 3))
            kept = [h for h in hits if self._typed(self._entry(h), r)]
            return [self._scored(h, True) for h in kept[:fetch]]
        typed = [self._scored(h, True) for h in self._find(q.text, r.types, fetch)]
        if q.type_strict == "any" or len(typed) >= fetch:
            return typed
        seen = {s.entry.iri for s in typed}
        others = [
            self._scored(h, False) for h in self._find(q.text, (), fetch) if h.iri not in seen
        ]
        return typed + others[: fetch - len(typed)]

    def _find(self, text: str, types: Sequence[str], limit: int) -> list[SearchHit]:
        return self.index.find(text, types=types, limit=limit)

    def _entry(self, hit: SearchHit) -> SearchEntry:
        entry = self.index.entry(hit.iri)
        assert entry is not None  # a hit is an entry of the same index
        return entry

    def _scored(self, hit: SearchHit, typed: bool) -> _Scored:
        return _Scored(self._entry(hit), hit.score, hit.exact, hit.matched, hit.matched_lang, typed)

    def _typed(self, entry: SearchEntry, r: Resolved) -> bool:
        if not r.types:
            return True
        has = [t in entry.classes for t in r.types]
        return all(has) if r.query.type_strict == "all" else any(has)

    def _by_values(self, r: Resolved) -> list[_Scored]:
        """The entities having one of the values of the query's constraints (no text).

        Every value becomes the exact RDF terms it may be (see `_terms`), each looked up as
        `?s <pid> term` (an index lookup; a case-blind FILTER over every value of a property
        takes seconds at 10^6 triples); a label property's value is looked up in the search
        index. The candidates are then ranked by agreement like any other."""
        rows: list[str] = []
        found: dict[str, SearchEntry] = {}
        for constraint, pid in zip(r.query.properties, r.pids, strict=True):
            for value in constraint.values:
                if pid in LABEL_PROPERTIES and isinstance(value, str):
                    for hit in self.index.find(value, limit=MAX_LIMIT):
                        if hit.exact:
                            found.setdefault(hit.iri, self._entry(hit))
                    continue
                for term in self._terms(value):
                    rows.append(f"({sparql_term(URIRef(pid))} {sparql_term(term)})")
        if rows:
            sparql = (
                "SELECT DISTINCT ?s WHERE {\n"
                f"  VALUES (?p ?v) {{ {' '.join(rows)} }}\n"
                "  ?s ?p ?v FILTER(isIRI(?s))\n}"
            )
            result = self.engine.query(sparql, dataset=QueryDataset(), max_rows=REVERSE_ROWS)
            for (s,) in result.rows:
                entry = self.index.entry(str(s)) if s is not None else None
                if entry is not None:
                    found.setdefault(entry.iri, entry)
        return [_Scored(e, 0.0, False) for e in found.values() if self._typed(e, r)]

    def _terms(self, value: Value) -> Iterable[URIRef | Literal]:
        """The RDF terms a value may be: a known entity (by id, or named so), a literal as it
        was written or in another case (codes: "kaz", "KAZ"), plain, English or a number."""
        if isinstance(value, EntityValue):
            if self.index.entry(value.id) is not None:
                yield URIRef(value.id)
        elif isinstance(value, bool):
            yield Literal(value)
        elif isinstance(value, float):
            yield Literal(int(value)) if value.is_integer() else Literal(value)
            yield Literal(f"{value:g}")
        elif value:
            for text in dict.fromkeys((value, value.upper(), value.lower(), value.title())):
                yield Literal(text)
                yield Literal(text, lang="en")
            if re.fullmatch(r"-?\d+", value):
                yield Literal(int(value))
            for hit in self.index.find(value, limit=5):
                if hit.exact:
                    yield URIRef(hit.iri)

    # ------------------------------------------------------------------ ranking

    def _ranked(self, r: Resolved, found: list[_Scored], values: Values) -> list[Candidate]:
        q = r.query
        for s in found:
            own = values.get(s.entry.iri, {})
            for constraint, pid in zip(q.properties, r.pids, strict=True):
                s.agreement.append(self._agreement(constraint, own.get(pid, [])))
        scored = sorted(
            ((self._score(s, bool(r.pids), bool(q.text)), s) for s in found),
            key=lambda pair: (-pair[0], pair[1].entry.iri),
        )[: q.limit]
        eligible = [s for _, s in scored if self._eligible(s, bool(q.text))]
        matched = (
            scored[0][1] if len(eligible) == 1 and scored and eligible[0] is scored[0][1] else None
        )
        return [self._candidate(s, score, s is matched, bool(r.pids)) for score, s in scored]

    def _agreement(self, constraint: Constraint, own: list[Node]) -> float:
        if not own:
            return MISSING
        names = self._names
        if any(agrees(v, o, names) for v in constraint.values for o in own):
            return 1.0
        return 0.0

    def _names(self, iri: str) -> list[str]:
        entry = self.index.entry(iri)
        return [label.text for label in entry.labels] if entry is not None else []

    def _score(self, s: _Scored, constrained: bool, named: bool) -> float:
        score = s.name_score
        agreement = sum(s.agreement) / len(s.agreement) if s.agreement else 0.0
        if not named:  # properties only: the agreement is the whole score
            score = 100.0 * agreement
        elif constrained and s.agreement:
            score = NAME_WEIGHT * score + PROPERTY_WEIGHT * agreement
        if not s.typed:
            score *= OFF_TYPE_FACTOR
        return round(min(100.0, max(0.0, score)), 2)

    def _eligible(self, s: _Scored, named: bool) -> bool:
        if not s.typed or 0.0 in s.agreement:
            return False
        agreed = bool(s.agreement) and all(a == 1.0 for a in s.agreement)
        if not named:
            return agreed
        return s.exact or (agreed and s.name_score >= CLOSE_NAME)

    def _candidate(self, s: _Scored, score: float, match: bool, constrained: bool) -> Candidate:
        entry = s.entry
        label = entry.label
        features: list[tuple[str, float | bool]] = [
            ("name_score", round(s.name_score, 2)),
            ("name_exact", s.exact),
            ("type_match", s.typed),
            ("degree", entry.degree),
        ]
        if constrained:
            agreement = sum(s.agreement) / len(s.agreement) if s.agreement else 0.0
            features.append(("property_agreement", round(agreement, 3)))
        types = tuple(self.schema.type_list(entry.types or entry.classes))
        description = ", ".join(name for _, name in types)
        if s.matched and s.matched != label.text:
            shown = f"{s.matched}@{s.matched_lang}" if s.matched_lang else s.matched
            description = f"{description} (matched {shown})" if description else f"matched {shown}"
        return Candidate(
            id=entry.iri,
            name=label.text,
            types=types,
            score=score,
            match=match,
            features=tuple(features),
            description=description,
        )
