"""Numbers and dates for people (cakg.views.figures): what the charts and tables print."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cakg.views.figures import human_number, when


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (27000000000, "US dollar", "27 bn USD"),
        (4400000000, "US dollar", "4.4 bn USD"),
        (190000000, "US dollar", "190 m USD"),
        (1500, "US dollar", "1,500 USD"),
        (4500000, "tonne per year", "4.5 Mt/yr"),
        (1000000, "tonne", "1 Mt"),
        (62, "percent", "62 %"),
        (Decimal("2.5"), "percent", "2.5 %"),
        (3, "rank", "3rd"),
        (11, "rank", "11th"),
        (1200, "count", "1,200"),
        (1200, None, "1,200"),
        (-5100000000, "US dollar", "-5.1 bn USD"),
    ],
)
def test_human_number(value: object, unit: str | None, text: str) -> None:
    assert human_number(value, unit) == text  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("given", "text", "start", "end", "precision"),
    [
        ("2022", "2022", "2022-01-01", "2022-12-31", "year"),
        ("2021-12", "Dec 2021", "2021-12-01", "2021-12-31", "month"),
        ("2024-02", "Feb 2024", "2024-02-01", "2024-02-29", "month"),
        ("2023-03-12", "12 Mar 2023", "2023-03-12", "2023-03-12", "day"),
        ("2024-01/2024-05", "Jan\u2013May 2024", "2024-01-01", "2024-05-31", "range"),
        ("2023-11/2024-11", "Nov 2023 \u2013 Nov 2024", "2023-11-01", "2024-11-30", "range"),
        ("2024/2024-11-27", "2024 until 27 Nov", "2024-01-01", "2024-11-27", "range"),
    ],
)
def test_when_reads_a_time_at_its_precision(
    given: str, text: str, start: str, end: str, precision: str
) -> None:
    """A year is a year (not 2022-01-01), a month a month, a range a range."""
    at = when(given)
    assert at is not None
    assert (at.text, at.start, at.end, at.precision) == (text, start, end, precision)
    assert "-01-01" not in at.text


@pytest.mark.parametrize(
    "given",
    ["", None, "soon", "2024-13", "until 2023",
     # no such day: these crashed a timeline (and the results panel's views) with a 500
     "-0044-03-15", "0000", "0000-01/2024", "2023-02-29", "2024-04-31", "2024-01-00"],
)  # fmt: skip
def test_when_refuses_what_is_not_a_time(given: str | None) -> None:
    assert when(given) is None
