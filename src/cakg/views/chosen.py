"""A view the reader chose in the results panel ("change what it draws"), checked against the
answer before it is drawn: the inferred declaration (cakg.views.infer) with other columns.

`chosen_view(text, result)` reads TEXT, a JSON object such as `{"type": "bar", "x": "year",
"y": ["value"], "series": "partner"}`, and returns it as an Offer, or raises BadParameter naming
the `view` parameter and what is wrong: not JSON, an unknown type or key, a column the answer
does not have, a required column missing, a view its form cannot have (a chart of a CONSTRUCT).
"""

from __future__ import annotations

import json
from typing import Any

from cakg.engine.base import GRAPH_FORMS, QueryResult
from cakg.errors import BadParameter
from cakg.views.infer import LABELS, Offer

# type -> {key: (required, several columns allowed)}
KEYS: dict[str, dict[str, tuple[bool, bool]]] = {
    "bar": {"x": (True, False), "y": (True, True), "series": (False, False)},
    "line": {"x": (True, False), "y": (True, True), "series": (False, False)},
    "timeline": {"date": (True, False), "label": (True, True)},
    "map": {"geometry": (False, False), "lat": (False, False), "lon": (False, False),
            "label": (False, False)},
    "graph": {"subject": (True, False), "predicate": (False, False)},
}  # fmt: skip
MAX_TEXT = 2000  # characters of a view's JSON


def chosen_view(text: str, result: QueryResult) -> Offer:
    """TEXT as a view of RESULT (BadParameter `view` when it cannot be one)."""
    if len(text) > MAX_TEXT:
        raise BadParameter("view", f"{len(text)} characters; at most {MAX_TEXT}")
    try:
        raw = json.loads(text)
    except ValueError as e:
        raise BadParameter("view", f"not JSON ({e})") from None
    if not isinstance(raw, dict) or raw.get("type") not in KEYS:
        raise BadParameter("view", f"a JSON object whose `type` is one of {', '.join(KEYS)}")
    kind = raw["type"]
    if result.form in GRAPH_FORMS:
        if raw != {"type": "graph"}:
            raise BadParameter("view", f"a {result.form} answer is drawn as {{'type': 'graph'}}")
        return Offer("graph", LABELS["graph"], {"type": "graph"})
    if result.form != "SELECT":
        raise BadParameter("view", f"the answer of {result.form} has no view")
    keys = KEYS[kind]
    view: dict[str, Any] = {"type": kind}
    for key, value in raw.items():
        if key == "type":
            continue
        if key not in keys:
            raise BadParameter("view", f"a {kind} takes {', '.join(keys)}, not `{key}`")
        view[key] = _columns(kind, key, value, keys[key][1], result.variables)
    missing = [k for k, (required, _) in keys.items() if required and k not in view]
    if kind == "map" and "geometry" not in view and not ("lat" in view and "lon" in view):
        missing.append("geometry (or lat and lon)")
    if missing:
        raise BadParameter("view", f"a {kind} needs {', '.join(missing)}")
    return Offer(kind, LABELS[kind], view)


def _columns(kind: str, key: str, value: Any, several: bool, variables: list[str]) -> Any:
    """VALUE, one column name (or, where SEVERAL, a non-empty list of them) of the answer."""
    names = value if several and isinstance(value, list) else [value]
    if not names or not all(isinstance(n, str) for n in names):
        wanted = "a column name or a list of them" if several else "a column name"
        raise BadParameter("view", f"the {kind}'s `{key}` must be {wanted}")
    unknown = [n for n in names if n not in variables]
    if unknown:
        raise BadParameter("view", f"the {kind}'s `{key}`: the answer has no column `{unknown[0]}`")
    return names if isinstance(value, list) else value
