"""Entity search over a release's search index: by label, alternative label, any language, by
prefix, tolerant of typos and diacritics, ranked, filtered by class.

`SearchIndex.load(release)` reads the index the build wrote (cakg.build.search_index; no query
text is parsed); `find(text, types=..., limit=...)` answers a query. The query and every label
are compared by their keys (cakg.search_keys.fold: transliterated, accents folded, case-folded).

Ranking, by score (0-100, higher first), in three tiers that never overlap, with `d` the
entity's degree log-scaled to the most connected entity's (0..1):
- exact (the query's key equals a label's key): 99 + d;
- prefix (a label starts with the query, or one of its later words does): 80 + 9 c + 9 d, with
  c the share of the label the query covers (times 0.8 at a later word);
- fuzzy (rapidfuzz's normalised Indel similarity s, at least FUZZY_CUTOFF, of the query to the
  label, or, times 0.9, to the label from one of its words on or to its first characters): 50 +
  25 s/100 + 4.9 d.
So an exact label comes first, then prefix matches, then fuzzy ones, and within a tier a closer
match or a more connected entity first; the hits come in the order of their scores.

Candidates: the exact key by a dict; the prefix matches by bisection of the sorted keys and of
the sorted word suffixes of every key; the fuzzy ones by rapidfuzz's `process.extract` of each
query word over the index's distinct words, then only the keys holding a word found that way
are scored. Work per query grows with the number of distinct words and candidate keys, not with
the number of entities (postings list the entities of a key most connected first).
"""

from __future__ import annotations

import bisect
import heapq
import json
import math
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, process

from cakg.errors import SearchIndexError
from cakg.release import SEARCH_INDEX, Release
from cakg.search_keys import KEY_VERSION, fold, word_starts

__all__ = ["MAX_LIMIT", "Label", "SearchEntry", "SearchHit", "SearchIndex", "SearchIndexError"]

INDEX_FORMAT = "cakg-search-index/3"
MAX_LIMIT = 50
# (score before the degree, weight of the degree): score = first + weight * degree (0..1)
EXACT = (99.0, 1.0)
PREFIX, PREFIX_SPAN = (80.0, 9.0), 9.0  # + PREFIX_SPAN * how much of the label the query is
FUZZY, FUZZY_SPAN = (50.0, 4.9), 25.0  # + FUZZY_SPAN * similarity / 100
WORD_START = 0.8  # the coverage of a match at a later word counts this much
PART = 0.9  # a fuzzy match of part of a label counts this much
FUZZY_CUTOFF = 75.0  # rapidfuzz similarity (0-100) a fuzzy match needs
WORD_CUTOFF = 65.0  # and a word of the query to find its candidates
FUZZY_WORDS = 40  # index words kept per query word
MAX_CANDIDATES = 4000  # prefix candidate keys per query at most: the most connected
MIN_FUZZY_LENGTH = 4  # shorter queries match by prefix only
_END = "\U0010ffff"
CLASS_TYPES = frozenset(
    ("http://www.w3.org/2002/07/owl#Class", "http://www.w3.org/2000/01/rdf-schema#Class")
)


@dataclass(frozen=True, slots=True)
class Label:
    text: str
    lang: str
    predicate: str  # rdfs:label, skos:altLabel... (cakg.build.search_index.LABEL_PREDICATES)
    key: str


@dataclass(frozen=True, slots=True)
class SearchEntry:
    """One entity of the index."""

    iri: str
    labels: tuple[Label, ...]  # the display label first
    types: tuple[str, ...]  # its most specific classes
    classes: frozenset[str]  # every class it has (inferred and superclasses included)
    degree: int

    @property
    def label(self) -> Label:
        """The display label: English if it has one (by rdfs:label, skos:prefLabel...)."""
        return self.labels[0]


@dataclass(frozen=True, slots=True)
class SearchHit:
    iri: str
    label: str
    lang: str
    matched: str
    matched_lang: str
    types: tuple[str, ...]
    score: float
    exact: bool
    degree: int


class SearchIndex:
    """The entities of one release, searchable by label."""

    def __init__(self, data: dict[str, Any]) -> None:
        if data.get("format") != INDEX_FORMAT or data.get("key_version") != KEY_VERSION:
            raise SearchIndexError(
                f"search index format {data.get('format')!r} is not {INDEX_FORMAT!r}: "
                "run `cakg build --force`"
            )
        classes: list[str] = data["classes"]
        sets = [frozenset(classes[c] for c in numbers) for numbers in data["class_sets"]]
        labels = [Label(*label) for label in data["labels"]]
        self._entries = [_entry(record, classes, sets, labels) for record in data["entities"]]
        self._classes = frozenset(classes) | {
            e.iri for e in self._entries if CLASS_TYPES & e.classes
        }
        self._by_iri = {e.iri: n for n, e in enumerate(self._entries)}
        self._keys: list[str] = data["keys"]
        self._key_ids = {k: n for n, k in enumerate(self._keys)}
        # per key, its entities (most connected first) and the label of each that has the key
        self._postings = [
            (array("I", (e for e, _ in pairs)), array("I", (lb for _, lb in pairs)))
            for pairs in data["postings"]
        ]
        top = max((e.degree for e in self._entries), default=0)
        self._log_top = math.log1p(top) or 1.0
        # the classes of the entities of each key, to pass over a key a class filter excludes
        self._key_classes = [
            frozenset().union(*{self._entries[e].classes for e in entities})
            for entities, _labels in self._postings
        ]
        suffixes: list[tuple[str, int]] = []
        words: dict[str, list[int]] = {}
        self._starts = [word_starts(key) for key in self._keys]
        for n, key in enumerate(self._keys):
            for start in self._starts[n][1:]:
                suffixes.append((key[start:], n))
            for word in set(key.split()):
                words.setdefault(word, []).append(n)
        suffixes.sort()
        self._suffixes = [s for s, _ in suffixes]
        self._suffix_keys = [n for _, n in suffixes]
        self._words = list(words)
        self._word_keys = list(words.values())

    @classmethod
    def load(cls, release: Release | Path) -> SearchIndex:
        """The index of a release (or the index file at a path)."""
        path = release.file(SEARCH_INDEX) if isinstance(release, Release) else release
        try:
            data = json.loads(path.read_bytes())
        except FileNotFoundError:
            raise SearchIndexError(f"{path}: no search index; run `cakg build --force`") from None
        except (OSError, ValueError) as e:
            raise SearchIndexError(f"{path}: unreadable search index: {e}") from e
        return cls(data)

    def __len__(self) -> int:
        return len(self._entries)

    def _degree(self, entity_id: int) -> float:
        """The entity's degree, log-scaled to the most connected entity's: 0..1."""
        return math.log1p(self._entries[entity_id].degree) / self._log_top

    def is_class(self, iri: str) -> bool:
        """True when IRI is a class of the dataset: some entity's class, or declared one."""
        return iri in self._classes

    def entry(self, iri: str) -> SearchEntry | None:
        n = self._by_iri.get(iri)
        return None if n is None else self._entries[n]

    def find(self, text: str, *, types: Sequence[str] = (), limit: int = 10) -> list[SearchHit]:
        """The entities best matching TEXT, best first; only instances of one of TYPES (or of
        a subclass) when given. At most LIMIT (1..MAX_LIMIT) hits."""
        query = fold(text)
        limit = max(1, min(limit, MAX_LIMIT))
        if not query:
            return []
        wanted = frozenset(types)
        best: dict[int, tuple[float, int, int]] = {}  # entity -> (score, preference, label)
        raw = text.strip().casefold()
        found = self._candidates(query)
        self._collect(found, wanted, limit, raw, best)
        if len(best) < limit and len(query) >= MIN_FUZZY_LENGTH:  # else none would enter
            fuzzy = {
                n: (FUZZY[0] + FUZZY_SPAN * similarity / 100, FUZZY[1])
                for n, similarity in self._fuzzy(query, found).items()
            }
            self._collect(fuzzy, wanted, limit, raw, best)
        order = sorted(best.items(), key=lambda kv: (-kv[1][0], kv[0]))[:limit]
        return [self._hit(n, score, label_id, query) for n, (score, _p, label_id) in order]

    def _collect(
        self,
        candidates: dict[int, tuple[float, float]],
        wanted: frozenset[str],
        limit: int,
        raw: str,
        best: dict[int, tuple[float, int, int]],
    ) -> None:
        """Add to BEST (entity -> score, preference, label) the entities of the candidate keys
        that can enter the top LIMIT: the keys in the order of the best score each can give
        (that of its most connected entity), until none can."""
        ranked = sorted(
            (base + weight * self._degree(self._postings[n][0][0]), n, base, weight)
            for n, (base, weight) in candidates.items()
            if not wanted or not wanted.isdisjoint(self._key_classes[n])
        )
        for bound, key_id, base, weight in reversed(ranked):
            if len(best) >= limit and _floor(best, limit) >= bound:
                break  # no hit of this key (or of a later one) can enter the top
            taken = 0
            for entity_id, label_id in zip(*self._postings[key_id], strict=True):
                entry = self._entries[entity_id]
                if wanted and wanted.isdisjoint(entry.classes):
                    continue
                score = base + weight * self._degree(entity_id)
                label = entry.labels[label_id]
                preference = (label.text.casefold() == raw) * 2 + (label_id == 0)
                old = best.get(entity_id)
                if old is None or (score, preference) > old[:2]:
                    best[entity_id] = (score, preference, label_id)
                taken += 1
                if taken == limit:  # the key's others are less connected: lower scores
                    break

    def _candidates(self, query: str) -> dict[int, tuple[float, float]]:
        """The exact and prefix candidate keys, each with its score before the degree and the
        weight of the degree (see the module's docstring)."""
        found: dict[int, tuple[float, float]] = {}
        exact = self._key_ids.get(query)
        if exact is not None:
            found[exact] = EXACT
        lo = bisect.bisect_left(self._keys, query)
        hi = bisect.bisect_left(self._keys, query + _END, lo)
        for n in self._most_connected(range(lo, hi)):
            found.setdefault(n, _prefix(len(query) / len(self._keys[n])))
        lo = bisect.bisect_left(self._suffixes, query)
        hi = bisect.bisect_left(self._suffixes, query + _END, lo)
        for n in self._most_connected(self._suffix_keys[lo:hi]):
            found.setdefault(n, _prefix(WORD_START * len(query) / len(self._keys[n])))
        return found

    def _most_connected(self, keys: Sequence[int]) -> Sequence[int]:
        """KEYS, or the MAX_CANDIDATES of them whose most connected entity is the most
        connected when there are more (a query of one or two letters in a large graph)."""
        if len(keys) <= MAX_CANDIDATES:
            return keys
        return heapq.nsmallest(MAX_CANDIDATES, keys, key=lambda n: self._postings[n][0][0])

    def _fuzzy(self, query: str, found: dict[int, tuple[float, float]]) -> dict[int, float]:
        """Keys not found otherwise whose similarity to QUERY is at least FUZZY_CUTOFF."""
        keys: set[int] = set()
        for word in query.split():
            if len(word) < 3:
                continue
            matches = process.extract(
                word,
                self._words,
                scorer=fuzz.ratio,
                score_cutoff=WORD_CUTOFF,
                limit=FUZZY_WORDS,
            )
            for _word, _score, w in matches:
                keys.update(self._word_keys[w])
            if len(keys) >= MAX_CANDIDATES:
                break
        # the whole label; and, less PART, the label from one of its later words on, or the
        # start of either as long as the query (a query typed half-way): rapidfuzz's C loops
        candidates = [n for n in keys if n not in found]
        parts: list[str] = []
        owners: list[int] = []
        for n in candidates:
            key = self._keys[n]
            for start in self._starts[n]:
                if start:
                    parts.append(key[start:])
                    owners.append(n)
                parts.append(key[start : start + len(query)])
                owners.append(n)
        similar: dict[int, float] = {}
        whole = [self._keys[n] for n in candidates]
        for _key, score, i in process.extract(
            query, whole, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF, limit=None
        ):
            similar[candidates[i]] = score
        for _part, score, i in process.extract(
            query, parts, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF / PART, limit=None
        ):
            n = owners[i]
            similar[n] = max(similar.get(n, 0.0), PART * score)
        return similar

    def _hit(self, n: int, score: float, label_id: int, query: str) -> SearchHit:
        entry = self._entries[n]
        label, matched = entry.label, entry.labels[label_id]
        return SearchHit(
            iri=entry.iri,
            label=label.text,
            lang=label.lang,
            matched=matched.text,
            matched_lang=matched.lang,
            types=entry.types,
            score=round(min(score, 100.0), 2),
            exact=matched.key == query,
            degree=entry.degree,
        )


def _prefix(coverage: float) -> tuple[float, float]:
    return PREFIX[0] + PREFIX_SPAN * coverage, PREFIX[1]


def _floor(best: dict[int, tuple[float, int, int]], limit: int) -> float:
    """The score of the LIMIT-th best hit so far."""
    return heapq.nlargest(limit, (v[0] for v in best.values()))[-1]


def _entry(
    record: dict[str, Any], classes: list[str], sets: list[frozenset[str]], labels: list[Label]
) -> SearchEntry:
    return SearchEntry(
        iri=record["iri"],
        labels=tuple(labels[n] for n in record["labels"]),
        types=tuple(classes[c] for c in record["types"]),
        classes=sets[record["classes"]],
        degree=int(record["degree"]),
    )
