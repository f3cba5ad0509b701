"""cakg.reconcile.batch (reading a query batch), cakg.reconcile.values.agrees (comparing a
client's property value with the graph's) and the match rule on namesakes, without a server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import XSD

from cakg.build.search_index import write_search_index
from cakg.errors import BadParameter
from cakg.reconcile.batch import (
    DEFAULT_LIMIT,
    MAX_BATCH,
    Constraint,
    EntityValue,
    Query,
    parse_batch,
    parse_single,
)
from cakg.reconcile.matching import Reconciler
from cakg.reconcile.schema import ClassTerm, Schema
from cakg.reconcile.values import agrees
from cakg.search import SearchIndex

KZ = "https://w3id.org/cakg/id/state/kazakhstan"


def test_openrefine_s_batch_is_read_field_by_field() -> None:
    raw = json.dumps(
        {
            "q0": {
                "query": " Kazakhstan ",
                "type": "cakg:State",
                "type_strict": "should",
                "limit": 3,
                "properties": [
                    {"pid": "cakg:iso3166Alpha2", "v": "KZ"},
                    {"pid": "cakg:locatedIn", "v": {"id": "id:x", "name": "X"}},
                    {"pid": "cakg:iso3166Numeric", "v": [398, True]},
                ],
            },
            "q1": {"query": "Astana"},
        }
    )
    first, second = parse_batch(raw)
    assert first == Query(
        key="q0",
        text="Kazakhstan",
        types=("cakg:State",),
        type_strict="should",
        limit=3,
        properties=(
            Constraint("cakg:iso3166Alpha2", ("KZ",)),
            Constraint("cakg:locatedIn", (EntityValue("id:x", "X"),)),
            Constraint("cakg:iso3166Numeric", (398.0, True)),
        ),
    )
    assert second == Query("q1", "Astana", limit=DEFAULT_LIMIT)


def test_a_v01_query_is_text_or_a_json_object() -> None:
    assert parse_single("Astana") == Query("query", "Astana")
    assert parse_single('{"query": "Astana", "limit": 2}').limit == 2


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ({"query": "x", "properties": {"pid": "a", "v": "b"}}, '"properties" must be an array'),
        ({"query": "x", "properties": [{"pid": "", "v": "b"}]}, '"pid"'),
        ({"query": "x", "properties": [{"pid": "a", "v": []}]}, "1 to 20 values"),
        ({"query": "x", "properties": [{"pid": "a", "v": "b", "w": 1}]}, '"pid" and "v" only'),
        ({"query": "x", "type": ["a", 3]}, '"type" must be'),
        ({"query": "x", "type": ["t"] * 21}, "at most 20 types"),
        ({"query": "x", "limit": True}, '"limit"'),
        ({"query": "x", "limit": -1}, '"limit"'),
    ],
)
def test_each_wrong_field_is_named(value: dict[str, Any], words: str) -> None:
    with pytest.raises(BadParameter) as caught:
        parse_batch(json.dumps({"row 7": value}))
    assert caught.value.name == "queries"
    assert '"row 7"' in str(caught.value) and words in str(caught.value)


def test_the_batch_cap_is_the_manifest_s_batch_size() -> None:
    ok = {f"q{n}": {"query": "a"} for n in range(MAX_BATCH)}
    assert len(parse_batch(json.dumps(ok))) == MAX_BATCH
    with pytest.raises(BadParameter, match=f"at most {MAX_BATCH} queries"):
        parse_batch(json.dumps({**ok, "one more": {"query": "a"}}))


def test_a_non_finite_number_is_refused() -> None:
    with pytest.raises(BadParameter, match="finite"):
        parse_batch('{"q0": {"query": "x", "properties": [{"pid": "p", "v": NaN}]}}')


def names(iri: str) -> list[str]:
    return {KZ: ["Kazakhstan", "Қазақстан"]}.get(iri, [])


@pytest.mark.parametrize(
    ("given", "value", "expected"),
    [
        (EntityValue(KZ), URIRef(KZ), True),
        (EntityValue(KZ), URIRef(KZ + "x"), False),
        ("kazakhstan", URIRef(KZ), True),  # by its name, any case
        ("қазақстан", URIRef(KZ), True),  # in another script
        (KZ, URIRef(KZ), True),
        ("Q232", URIRef("http://www.wikidata.org/entity/Q232"), True),
        ("Q23", URIRef("http://www.wikidata.org/entity/Q232"), False),
        (" KZ ", Literal("kz"), True),
        ("KZ", Literal("KAZ"), False),
        (62.5, Literal("62.5", datatype=XSD.decimal), True),
        (62.0, Literal(62), True),
        (62.0, Literal("62"), True),  # a number written as text
        ("62", Literal(62), True),
        (62.1, Literal(62), False),
        (True, Literal(True), True),
        (True, Literal(1), False),
        ("2024-08-22T00:00:00Z", Literal("2024-08-22", datatype=XSD.date), True),  # OpenRefine's
        ("2024-08-22", Literal("2024-08-21", datatype=XSD.date), False),
        ("2024-05-01", Literal("2024", datatype=XSD.gYear), True),
        ("2023-05-01", Literal("2024", datatype=XSD.gYear), False),
    ],
)
def test_a_value_agrees_as_the_rule_says(given: Any, value: Any, expected: bool) -> None:
    assert agrees(given, value, names) is expected


ID = "https://w3id.org/cakg/id/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
NAMESAKES = [("city/astana", "City", "Astana"), ("organisation/astana", "Organisation", "Astana")]
NAMESAKES += [("city/almaty", "City", "Almaty")]


@pytest.fixture
def namesakes(tmp_path: Path) -> Reconciler:
    """A reconciler over an index of two things called Astana (a city, a club) and Almaty;
    no query of these reaches the engine (no property constraint)."""
    source = tmp_path / "namesakes.nt"
    lines = [
        f'<{ID}{path}> <{RDF_TYPE}> <{CAKG}{cls}> .\n<{ID}{path}> <{LABEL}> "{label}"@en .\n'
        for path, cls, label in NAMESAKES
    ]
    source.write_text("".join(lines), encoding="utf-8")
    write_search_index(source, tmp_path / "index.json")
    classes = {
        CAKG + name: ClassTerm(CAKG + name, name.lower()) for name in ("City", "Organisation")
    }
    return Reconciler(SearchIndex.load(tmp_path / "index.json"), Schema(classes, {}), NO_ENGINE)


NO_ENGINE: Any = None
CAKG = "https://w3id.org/cakg/ontology#"


def test_two_namesakes_are_no_match_until_a_type_tells_them_apart(namesakes: Reconciler) -> None:
    (both,) = namesakes.reconcile([Query("q0", "Astana")]).values()
    assert sorted(c.id for c in both[:2]) == [
        "https://w3id.org/cakg/id/city/astana",
        "https://w3id.org/cakg/id/organisation/astana",
    ]
    assert [c.match for c in both] == [False] * len(both)
    (typed,) = namesakes.reconcile([Query("q0", "Astana", types=("cakg:City",))]).values()
    assert typed[0].id == "https://w3id.org/cakg/id/city/astana"
    assert typed[0].match is True
    assert typed[1].id == "https://w3id.org/cakg/id/organisation/astana"
    assert typed[1].score == pytest.approx(typed[0].score * 0.5, abs=0.02)  # off type: halved
    (unique,) = namesakes.reconcile([Query("q0", "almaty")]).values()
    assert unique[0].match is True
