"""engine/cost.py: what a query costs in a worker, and which requests go to the short lane."""

from __future__ import annotations

import pytest

from cakg.config import Settings
from cakg.engine import cost
from cakg.engine.cost import (
    HEADROOM,
    MAX_TEXT,
    PEAK_BYTES,
    WALL_FACTOR,
    Cost,
    ShortQueries,
    measure,
)
from cakg.errors import ConfigError

AGGREGATE = "SELECT ?t (COUNT(*) AS ?n) WHERE { ?s a ?t } GROUP BY ?t"


def test_measure_returns_the_result_its_time_and_its_memory_peak() -> None:
    def allocate() -> int:
        block = bytearray(96 * 1024 * 1024)  # touched: zero-filled by the kernel on write
        for i in range(0, len(block), 4096):
            block[i] = 1
        return len(block)

    result, spent = measure(allocate)
    assert result == 96 * 1024 * 1024
    assert spent.seconds > 0 and 0 < spent.cpu_seconds <= spent.seconds * 1.5
    assert spent.peak_bytes is not None and spent.peak_bytes >= 90 * 1024 * 1024
    # the peak is reset for each measure: a small call after the big one shows a small peak
    _, small = measure(lambda: sum(range(1000)))
    assert small.peak_bytes is not None and small.peak_bytes < 8 * 1024 * 1024


def test_measure_lets_exceptions_through() -> None:
    def fail() -> None:
        raise ValueError("bad")

    with pytest.raises(ValueError, match="bad"):
        measure(fail)


def test_measure_without_proc_reports_no_peak(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cost, "_CLEAR_REFS", "/nonexistent/clear_refs")
    result, spent = measure(lambda: 42)
    assert result == 42 and spent.peak_bytes is None
    cheap = ShortQueries(budget=1.0)
    cheap.record("k", AGGREGATE, spent)  # unknown memory: never trusted
    assert not cheap.allows("k", 10.0)


def test_a_cheap_request_is_remembered_and_a_costly_one_is_not() -> None:
    cheap = ShortQueries(budget=0.05)
    cheap.record("fast", AGGREGATE, Cost(0.01, 0.01, 1024))
    cheap.record("slow", AGGREGATE, Cost(0.06, 0.06, 1024))
    cheap.record("loaded", AGGREGATE, Cost(0.9, 0.04, 1024))  # slow wall clock, cheap CPU
    cheap.record("waiting", AGGREGATE, Cost(0.05 * WALL_FACTOR + 0.01, 0.01, 1024))
    cheap.record("greedy", AGGREGATE, Cost(0.001, 0.001, PEAK_BYTES + 1))
    assert cheap.allows("fast", 10.0)
    assert not cheap.allows("slow", 10.0)
    assert cheap.allows("loaded", 10.0)
    assert not cheap.allows("waiting", 10.0)
    assert not cheap.allows("greedy", 10.0)
    assert not cheap.allows("never-seen", 10.0)
    assert len(cheap) == 2


def test_a_request_timeout_shorter_than_the_headroom_goes_to_a_worker() -> None:
    cheap = ShortQueries(budget=0.05)
    cheap.record("k", AGGREGATE, Cost(0.02, 0.02, 0))
    assert cheap.allows("k", 0.02 * HEADROOM)
    assert not cheap.allows("k", 0.02 * HEADROOM - 0.001)


def test_a_request_later_seen_costly_is_forgotten() -> None:
    cheap = ShortQueries(budget=0.05)
    cheap.record("k", AGGREGATE, Cost(0.01, 0.01, 0))
    cheap.record("k", AGGREGATE, Cost(0.5, 0.5, 0))
    assert not cheap.allows("k", 10.0)
    cheap.record("k", AGGREGATE, None)
    assert len(cheap) == 0


@pytest.mark.parametrize(
    "sparql",
    [
        "SELECT ?s WHERE { ?s ?p ?o FILTER(RAND() < 0.5) }",
        "select ?s where { ?s ?p ?o filter(rand () < 0.5) }",
        "SELECT ?s WHERE { ?s ?p ?o } #" + "x" * MAX_TEXT,
    ],
)
def test_random_or_long_queries_are_never_short(sparql: str) -> None:
    cheap = ShortQueries(budget=0.05)
    assert not cheap.eligible(sparql)
    cheap.record("k", sparql, Cost(0.001, 0.001, 0))
    assert not cheap.allows("k", 10.0)


def test_a_zero_budget_trusts_nothing() -> None:
    cheap = ShortQueries(budget=0.0)
    assert not cheap.eligible(AGGREGATE)
    cheap.record("k", AGGREGATE, Cost(0.0, 0.0, 0))
    assert not cheap.allows("k", 10.0)


def test_the_oldest_requests_are_dropped_past_the_limit() -> None:
    cheap = ShortQueries(budget=0.05, entries=3)
    for key in "abcd":
        cheap.record(key, AGGREGATE, Cost(0.001, 0.001, 0))
    assert len(cheap) == 3
    assert not cheap.allows("a", 10.0)
    assert cheap.allows("b", 10.0)  # now the most recently used
    cheap.record("e", AGGREGATE, Cost(0.001, 0.001, 0))
    assert cheap.allows("b", 10.0) and not cheap.allows("c", 10.0)


@pytest.mark.parametrize("budget", [-0.01, 11.0])
def test_the_budget_must_lie_between_zero_and_the_timeout(budget: float) -> None:
    with pytest.raises(ConfigError, match="short_budget"):
        Settings(short_budget=budget, query_timeout=10.0)


def test_the_budget_is_read_from_the_environment() -> None:
    assert Settings.from_env({"CAKG_SHORT_BUDGET": "0"}).short_budget == 0.0
    with pytest.raises(ConfigError, match="CAKG_SHORT_BUDGET"):
        Settings.from_env({"CAKG_SHORT_BUDGET": "fast"})


@pytest.mark.parametrize(
    "sparql",
    [
        "SELECT ?random WHERE { ?random ?p ?o }",
        "SELECT ?s WHERE { ?s <http://example.org/RAND> ?o }",
        'SELECT ?s WHERE { ?s ?p "RAND" }',
    ],
)
def test_rand_is_the_function_call_not_the_letters(sparql: str) -> None:
    """Only a call of RAND() makes a query's work vary (the oxigraph engine's removed whole-write
    read "RAND" anywhere in the text, and so also these)."""
    assert ShortQueries(budget=0.05).eligible(sparql)
