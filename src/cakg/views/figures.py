"""Numbers and dates as people read them, and the exact forms kept beside them.

`human_number(27000000000, "US dollar")` is "27 bn USD"; `when(...)` reads a date string at its
own precision: "2022" is the year 2022 (a span from 1 January to 31 December), "2021-12" the
month, "2023-03-12" the day, "2024-01/2024-05" the months January to May 2024. Nothing here
rounds a value that a download or a tooltip gives: the exact value travels beside the text.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

# unit label (as the graph gives it in English) -> how a value is written, and its scale words
UNIT_SYMBOLS = {
    "US dollar": "USD",
    "tonne": "t",
    "tonne per year": "t/yr",
    "hectare": "ha",
    "kilometre": "km",
    "percent": "%",
    "count": "",
    "rank": "",
}
MASS_UNITS = {"tonne": "t", "tonne per year": "t/yr"}
SCALES = ((Decimal(10) ** 12, "tn"), (Decimal(10) ** 9, "bn"), (Decimal(10) ** 6, "m"))
MASS_SCALES = ((Decimal(10) ** 9, "Gt"), (Decimal(10) ** 6, "Mt"), (Decimal(10) ** 3, "kt"))
MONTHS = tuple(calendar.month_abbr)
DASH = "\u2013"  # an en dash, between the ends of a range
_DATE = re.compile(r"^(-?\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def to_decimal(text: str) -> Decimal | None:
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, AttributeError):
        return None
    return value if value.is_finite() else None


def _short(value: Decimal) -> str:
    """Up to three significant figures, no trailing zeros, thousands separated."""
    rounded = f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    if "e" in rounded or "E" in rounded:
        rounded = f"{value:,.0f}"
    return rounded


def human_number(value: Decimal | float | int, unit: str | None = None) -> str:
    """A value with its unit for people: 27 bn USD, 4.5 Mt, 62 %, 3rd, 1,200."""
    number = Decimal(str(value))
    unit = (unit or "").strip()
    if unit == "rank":
        n = int(number)
        suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
        return f"{n}{suffix}"
    if unit in MASS_UNITS:
        for scale, word in MASS_SCALES:
            if abs(number) >= scale:
                per_year = "/yr" if unit == "tonne per year" else ""
                return f"{_short(number / scale)} {word}{per_year}"
        return f"{_short(number)} {MASS_UNITS[unit]}"
    symbol = UNIT_SYMBOLS.get(unit, unit)
    text = _short(number)
    for scale, word in SCALES:
        if abs(number) >= scale:
            text = f"{_short(number / scale)} {word}"
            break
    if not symbol:
        return text
    return f"{text} {symbol}"


def axis_label_expr(unit: str | None) -> str:
    """A Vega expression writing an axis tick (datum.value) as human_number does."""
    unit = (unit or "").strip()
    if unit in MASS_UNITS:
        per_year = "/yr" if unit == "tonne per year" else ""
        return (
            f"abs(datum.value) >= 1e9 ? format(datum.value / 1e9, '~g') + ' Gt{per_year}' : "
            f"abs(datum.value) >= 1e6 ? format(datum.value / 1e6, '~g') + ' Mt{per_year}' : "
            f"abs(datum.value) >= 1e3 ? format(datum.value / 1e3, '~g') + ' kt{per_year}' : "
            f"format(datum.value, '~g') + ' {MASS_UNITS[unit]}'"
        )
    symbol = UNIT_SYMBOLS.get(unit, unit)
    tail = f" + ' {symbol}'" if symbol else ""
    return (
        f"(abs(datum.value) >= 1e12 ? format(datum.value / 1e12, '~g') + ' tn' : "
        f"abs(datum.value) >= 1e9 ? format(datum.value / 1e9, '~g') + ' bn' : "
        f"abs(datum.value) >= 1e6 ? format(datum.value / 1e6, '~g') + ' m' : "
        f"format(datum.value, ',~g')){tail}"
    )


@dataclass(frozen=True)
class When:
    """A time as a source gives it: its text for people and the span of days it covers."""

    text: str  # "2022", "Dec 2021", "12 Mar 2023", "Jan-May 2024" (an en dash)
    start: str  # first day, ISO
    end: str  # last day, ISO
    precision: str  # year, month, day or range

    @property
    def is_point(self) -> bool:
        return self.precision == "day"


def _span(text: str) -> tuple[str, str, str, str] | None:
    """(people's text, first day, last day, precision) of one ISO date at its precision."""
    match = _DATE.match(text.strip())
    if match is None:
        return None
    year, month, day = match.groups()
    if not 1 <= int(year) <= 9999:  # a day the views' calendars have (no year 0, none BCE)
        return None
    if month is None:
        return year, f"{year}-01-01", f"{year}-12-31", "year"
    m = int(month)
    if not 1 <= m <= 12:
        return None
    last = calendar.monthrange(int(year), m)[1]
    if day is None:
        return f"{MONTHS[m]} {year}", f"{year}-{month}-01", f"{year}-{month}-{last:02d}", "month"
    if not 1 <= int(day) <= last:
        return None
    return f"{int(day)} {MONTHS[m]} {year}", f"{year}-{month}-{day}", f"{year}-{month}-{day}", "day"


def when(text: str | None) -> When | None:
    """A date, a month, a year or a range `A/B` of them, read at its precision; None if none."""
    if not text or not text.strip():
        return None
    first, sep, last = text.strip().partition("/")
    a = _span(first)
    if not sep:
        return When(*a) if a else None
    b = _span(last)
    if a is None or b is None:
        return None
    if a[3] == "year" and first[:4] == last[:4]:  # 2024/2024-11-27: the year until a time in it
        return When(f"{a[0]} until {b[0].removesuffix(' ' + a[0])}", a[1], b[2], "range")
    if a[3] == b[3] == "month" and first[:4] == last[:4]:
        return When(f"{a[0].split()[0]}{DASH}{b[0]}", a[1], b[2], "range")
    return When(f"{a[0]} {DASH} {b[0]}", a[1], b[2], "range")
