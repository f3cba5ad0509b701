"""What every view kind returns: a specification for vega-embed and what the picture leaves out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"
VEGA_SCHEMA = "https://vega.github.io/schema/vega/v6.json"


@dataclass
class View:
    """A picture of an answer.

    kind     bar, line, timeline, map, graph or table (a table has no spec)
    spec     the Vega-Lite or Vega specification, data inline (`$schema` says which)
    caption  what the picture shows, in words, with units
    notes    visible notes on rows not drawn and why ("4 undated, listed below")
    marks    how many rows the picture draws (one mark each); the tests compare it with the rows
    """

    kind: str
    spec: dict[str, Any] | None = None
    caption: str = ""
    notes: list[str] = field(default_factory=list)
    marks: int = 0
