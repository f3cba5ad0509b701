"""bp "results": what the query editor's results panel (static/results.js) asks of the server.

- `POST /ui/results/count` (form: `query`): the exact number of rows (SELECT) or triples
  (CONSTRUCT, DESCRIBE) of the whole answer, past the row cap, counted by a query worker
  without writing the answer out (Engine.count): `{"count": N, "rowLimit": M}`. The panel asks
  for it when /sparql said `X-Result-Truncated`.
- `POST /ui/results/views` (form: `query`, optional `view`): the views the answer fits
  (cakg.views.infer), each drawn by cakg.views as the gallery draws a saved query's: `{"form",
  "rows", "views": [{kind, label, view, spec, caption, notes, marks}], "note"}`; with `view`
  (a declaration in JSON, `{"type": "bar", "x": "year", "y": ["value"]}`: the reader changed
  what it draws), that view only (cakg.views.chosen checks it). Answers too long to draw get no
  view and a note saying why.

Both evaluate the query through the engine, in the query workers, under the same guard, time
limit and memory limit as /sparql; the web process never reads the client's text beyond the
guard. A missing, repeated or unknown parameter, a syntax error or an update gets 400 naming it
(JSON `{"error", "message", "parameter"}`, cakg.web.errors); an over-long query gets 413.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, request, url_for
from werkzeug.exceptions import RequestEntityTooLarge

from cakg.engine.base import GRAPH_FORMS, QueryDataset
from cakg.errors import BadParameter
from cakg.media import JSON
from cakg.views.atlas import ATLAS_STATIC
from cakg.views.chosen import chosen_view
from cakg.views.infer import infer_views
from cakg.views.labels import Terms
from cakg.views.render import answer_view, lookup
from cakg.web import state

bp = Blueprint("results", __name__)

COUNT_PARAMETERS = frozenset({"query"})
VIEW_PARAMETERS = frozenset({"query", "view"})
VIEW_ROWS = 5000  # rows (or triples) past which an answer is not drawn


def read_query(allowed: frozenset[str]) -> str:
    """The request's one `query`; BadParameter for a parameter not ALLOWED, 413 when too long."""
    for name in sorted(set(request.args) | set(request.form)):
        if name not in allowed:
            raise BadParameter(name, f"unknown parameter; this endpoint takes {_list(allowed)}")
    query = _single("query")
    if query is None or not query.strip():
        raise BadParameter("query", "missing or empty: send the SPARQL query as `query`")
    limit = state.settings().max_query_length
    if len(query) > limit:
        raise RequestEntityTooLarge(
            f"the query is {len(query)} characters long; the limit is {limit}"
        )
    return query


def _single(name: str) -> str | None:
    values = request.form.getlist(name) + request.args.getlist(name)
    if len(values) > 1:
        raise BadParameter(name, "given more than once; send it once")
    return values[0] if values else None


def _list(names: frozenset[str]) -> str:
    return ", ".join(f"`{p}`" for p in sorted(names))


def _json(data: dict[str, Any]) -> Response:
    response = Response(json.dumps(data), mimetype=JSON)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/ui/results/count")
def count() -> Response:
    query = read_query(COUNT_PARAMETERS)
    total = state.engine().count(query, dataset=QueryDataset())
    return _json({"count": total, "rowLimit": state.settings().max_rows})


@bp.post("/ui/results/views")
def views() -> Response:
    query = read_query(VIEW_PARAMETERS)
    chosen = _single("view")
    engine = state.engine()
    settings = state.settings()
    limit = min(settings.max_rows, VIEW_ROWS)
    result = engine.query(query, dataset=QueryDataset(), max_rows=limit)
    size = len(result.triples) if result.form in GRAPH_FORMS else len(result.rows)
    data: dict[str, Any] = {"form": result.form, "rows": size, "views": [], "note": ""}
    if result.truncated:
        noun = "triples" if result.form in GRAPH_FORMS else "rows"
        data["note"] = (
            f"No chart, map or graph: the answer has more than {limit:,} {noun}, too many to "
            "draw. Aggregate it (GROUP BY) or narrow it (LIMIT) to draw it."
        )
        return _json(data)
    names = lookup(engine, result, Terms(settings.base_iri, request.script_root))
    atlas = url_for("static", filename=ATLAS_STATIC)
    offers = infer_views(result, names) if chosen is None else [chosen_view(chosen, result)]
    for offer in offers:
        view = answer_view(engine, offer.view, {}, result, names, atlas_url=atlas)
        if view.spec is None:
            if chosen is not None:  # the reader asked for it: say why there is nothing
                data["note"] = " ".join(view.notes) or f"This {offer.kind} has nothing to draw."
            continue
        data["views"].append({
            "kind": offer.kind,
            "label": offer.label,
            "view": offer.view,
            "spec": view.spec,
            "caption": view.caption,
            "notes": view.notes,
            "marks": view.marks,
        })  # fmt: skip
    return _json(data)
