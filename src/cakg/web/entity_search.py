"""bp "entity_search": find entities by name, for people and programs.

GET /search?q=TEXT[&type=CLASS...][&limit=N][&format=json|html]

Over the release's search index (cakg.search, through state.search_index()); no query text is
evaluated. `q` (1-MAX_QUERY characters) is matched against every label in every language (by
prefix, with typos, diacritics folded); `type` (repeatable: a class IRI or a prefixed name such
as cakg:State) keeps the instances of one of the classes or of their subclasses; `limit` is
1-50 (default 10). JSON `{"q", "results": [{"iri", "label", "lang", "matched", "matchedLang",
"types": [{"iri", "label"}], "score", "exact", "href"}]}` unless the client prefers HTML (a
results page, the query kept in the header's search box); `format=json|html` decides. Any other
parameter, or a bad value, is a 400 naming it, in the representation asked for (the error
handlers read `g.error_format`). A browser opening /search with no `q` gets the empty page.

`suggestions(path)` gives the 404 page of an unknown /id/, /page/ or /data/ path the entities
closest to its last segment (cakg.web.errors).
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, g, render_template, request, url_for

from cakg.errors import BadParameter, BuildMissingError
from cakg.media import HTML, JSON
from cakg.namespaces import shorten
from cakg.queries.params import expand
from cakg.search import MAX_LIMIT, SearchHit, SearchIndex, SearchIndexError
from cakg.web import state
from cakg.web.negotiation import cached, local_url

bp = Blueprint("entity_search", __name__)

PARAMETERS = frozenset({"q", "type", "limit", "format"})
FORMATS = {"json": JSON, "html": HTML}
MAX_QUERY = 200  # characters of `q`
MAX_TYPES = 20
DEFAULT_LIMIT = 10
SUGGESTIONS = 5  # on a 404 page


@bp.get("/search")
def search() -> Response:
    key = _format()
    g.error_format = key
    unknown = sorted(set(request.args) - PARAMETERS)
    if unknown:
        raise BadParameter(
            unknown[0], f"unknown parameter; /search takes {', '.join(sorted(PARAMETERS))}"
        )
    text = _single("q")
    if text is None and key == "html":
        return _page(None, "", [], [], DEFAULT_LIMIT)
    if text is None or not text.strip():
        raise BadParameter("q", "missing or empty: give the text to search for")
    if len(text) > MAX_QUERY:
        raise BadParameter("q", f"{len(text)} characters; at most {MAX_QUERY}")
    limit = _limit()
    index = state.search_index()
    types = _types(index)

    def make() -> Response:
        hits = index.find(text, types=types, limit=limit)
        if key == "html":
            return _page(index, text, hits, types, limit)
        body = {"q": text, "results": [hit_json(index, hit) for hit in hits]}
        return Response(json.dumps(body, ensure_ascii=False), mimetype=JSON)

    variant = f"search {key} {request.query_string.decode('latin-1')}"
    vary = () if request.args.get("format") else ("Accept",)
    return cached(make, FORMATS[key], variant, vary)


def hit_json(index: SearchIndex, hit: SearchHit) -> dict[str, Any]:
    """One hit as the JSON API writes it."""
    return {
        "iri": hit.iri,
        "label": hit.label,
        "lang": hit.lang,
        "matched": hit.matched,
        "matchedLang": hit.matched_lang,
        "types": [{"iri": t, "label": type_label(index, t)} for t in hit.types],
        "score": hit.score,
        "exact": hit.exact,
        "href": local_url(hit.iri),
    }


def type_label(index: SearchIndex, iri: str) -> str:
    """A class's name for people: its label in the index, else its prefixed name."""
    entry = index.entry(iri)
    return entry.label.text if entry is not None else shorten(iri)


def suggestions(path: str) -> list[dict[str, Any]]:
    """The entities closest to the last segment of an unknown resource path (`state/kazakstan`,
    with or without an extension), those under the same first segment first; [] when there is
    no index to ask."""
    first, _, _ = path.partition("/")
    last = path.rstrip("/").rpartition("/")[2]
    stem, dot, ext = last.rpartition(".")
    words = (stem if dot and ext.isalpha() and len(ext) <= 6 else last).replace("-", " ")
    try:
        index = state.search_index()
    except (SearchIndexError, BuildMissingError):
        return []
    hits = index.find(words[:MAX_QUERY], limit=2 * SUGGESTIONS)
    prefix = state.settings().base_iri + "id/" + first + "/"
    hits.sort(key=lambda h: not h.iri.startswith(prefix))  # stable: ranks kept within
    return [hit_json(index, hit) for hit in hits[:SUGGESTIONS]]


def _page(
    index: SearchIndex | None, text: str, hits: list[SearchHit], types: list[str], limit: int
) -> Response:
    """The results page (INDEX None: the empty page, before any search), with links that keep
    only one kind of the hits (most frequent first) and one that asks for more."""
    names = [shorten(t) for t in types]
    kinds: dict[str, int] = {}
    for hit in hits:
        for t in hit.types:
            kinds[t] = kinds.get(t, 0) + 1
    body = render_template(
        "search/results.html",
        search_text=text,
        searched=index is not None,
        results=[hit_json(index, hit) for hit in hits] if index is not None else [],
        types=[{"iri": t, "name": shorten(t), "label": type_label(index, t)} for t in types]
        if index is not None
        else [],
        limit=limit,
        json_href=_json_href(),
        more=url_for(".search", q=text, type=names, limit=min(2 * limit, MAX_LIMIT))
        if len(hits) == limit < MAX_LIMIT
        else None,
        kinds=[
            {
                "href": url_for(".search", q=text, type=shorten(t), limit=limit),
                "label": type_label(index, t),
                "count": n,
            }
            for t, n in sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0]))
        ]
        if index is not None and not types and len(kinds) > 1
        else [],
    )
    return Response(body, mimetype=HTML)


def _json_href() -> str:
    """This request's URL asking for JSON."""
    args: dict[str, Any] = request.args.to_dict(flat=False)
    args["format"] = "json"
    return url_for(".search", **args)


def _format() -> str:
    """ "json" or "html": `format=`, else the Accept header (JSON unless HTML is preferred)."""
    values = request.args.getlist("format")
    if values:
        g.error_format = "json"
        if len(values) > 1:
            raise BadParameter("format", "given more than once")
        if values[0] not in FORMATS:
            raise BadParameter("format", f"'{values[0]}' is not one of json, html")
        return values[0]
    accept = request.accept_mimetypes
    return "html" if accept[HTML] > accept[JSON] else "json"


def _single(name: str) -> str | None:
    values = request.args.getlist(name)
    if len(values) > 1:
        raise BadParameter(name, "given more than once")
    return values[0] if values else None


def _limit() -> int:
    raw = _single("limit")
    if raw is None:
        return DEFAULT_LIMIT
    try:
        value = int(raw.strip())
    except ValueError:
        raise BadParameter("limit", f"'{raw}' is not a whole number (1-{MAX_LIMIT})") from None
    if not 1 <= value <= MAX_LIMIT:
        raise BadParameter("limit", f"{value} is not between 1 and {MAX_LIMIT}")
    return value


def _types(index: SearchIndex) -> list[str]:
    raw = [v for value in request.args.getlist("type") for v in value.split()]
    if len(raw) > MAX_TYPES:
        raise BadParameter("type", f"{len(raw)} classes; at most {MAX_TYPES}")
    types = []
    for value in raw:
        iri = expand(value.strip("<>"))
        if not index.is_class(iri):
            raise BadParameter("type", f"'{value}' is not a class of the dataset")
        types.append(iri)
    return types
