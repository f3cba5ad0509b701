"""bp "editor": what the SPARQL editor (static/editor.js) asks the server for.

GET  /ui/editor/vocabulary   the project's prefixes, the classes and properties it declares or
                             uses (with English labels and comments), and the saved queries as
                             examples: what autocompletion offers and the Examples menu lists
POST /ui/editor/problems     {"query": text, "error": the engine's message or null} ->
                             {"problems": [...]}: the engine's syntax error as one sentence at
                             its exact place, the undeclared prefixes, and the lint's warnings
                             (cakg.query_problems)

The query text is only tokenised here (cakg.query_problems), never parsed or evaluated: the
engine's verdict comes from /sparql, which the editor runs the query on. Errors are JSON
(cakg.web.errors), naming the parameter.
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Blueprint, Response, request

from cakg.engine.base import QueryDataset
from cakg.errors import BadParameter
from cakg.media import JSON
from cakg.namespaces import PREFIXES, sparql_prologue
from cakg.queries import SavedQuery, load_catalogue
from cakg.query_problems import Vocabulary, problems_of, vocabulary_from
from cakg.web import state

bp = Blueprint("editor", __name__)
_LOCAL = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_HEADER = re.compile(r"\A(?:#\+[^\n]*\n)+")
# /sparql's 400 for a syntax error (cakg.sparql_text.syntax_error), and the engine's own words
_SYNTAX_ERROR = re.compile(r"(?:line (\d+), column (\d+)|error at (\d+):(\d+)): (.*)", re.S)
MAX_ERROR = 4000  # characters of an engine message worth reading

# The terms completion offers: declared (a class or property), or used (as a predicate, or as
# the class of something), under one of the project's prefixes.
TERMS_QUERY = """\
SELECT ?term (SAMPLE(?k) AS ?kind) (SAMPLE(?l) AS ?label) (SAMPLE(?c) AS ?comment) WHERE {
  { VALUES (?type ?k) { (owl:Class "class") (rdfs:Class "class") (owl:ObjectProperty "property")
      (owl:DatatypeProperty "property") (owl:AnnotationProperty "property")
      (rdf:Property "property") }
    ?term a ?type }
  UNION { SELECT DISTINCT ?term ("property" AS ?k) WHERE { ?s ?term ?o } }
  UNION { SELECT DISTINCT ?term ("class" AS ?k) WHERE { ?s a ?term } }
  FILTER(isIRI(?term))
  OPTIONAL { ?term rdfs:label ?l FILTER(langMatches(lang(?l), "en")) }
  OPTIONAL { ?term rdfs:comment|skos:definition ?c FILTER(langMatches(lang(?c), "en")) }
}
GROUP BY ?term
"""


def prefixed(iri: str) -> str | None:
    """IRI as prefix:local with the project's prefixes, or None when no prefix fits."""
    best = None
    for prefix, namespace in PREFIXES.items():
        local = iri[len(namespace) :]
        longer = best is None or len(namespace) > len(PREFIXES[best[0]])
        if iri.startswith(namespace) and _LOCAL.fullmatch(local) and longer:
            best = (prefix, local)
    return None if best is None else f"{best[0]}:{best[1]}"


def _terms() -> list[dict[str, Any]]:
    terms: list[dict[str, Any]] = state.memo(("editor-terms",), _compute_terms)
    return terms


def _compute_terms() -> list[dict[str, Any]]:
    result = state.engine().query(sparql_prologue() + TERMS_QUERY, dataset=QueryDataset())
    out = []
    for row in result.rows:
        values = dict(zip(result.variables, row, strict=True))
        iri = str(values["term"])
        name = prefixed(iri)
        if name is None:
            continue
        comment = values.get("comment")
        out.append(
            {
                "iri": iri,
                "prefixed": name,
                "kind": str(values["kind"]),
                "label": None if values.get("label") is None else str(values["label"]),
                "comment": None if comment is None else " ".join(str(comment).split())[:300],
            }
        )
    out.sort(key=lambda t: str(t["prefixed"]).lower())
    return out


def _vocabulary() -> Vocabulary:
    vocabulary: Vocabulary = state.memo(
        ("editor-vocabulary",),
        lambda: vocabulary_from({t["iri"]: t["kind"] for t in _terms()}),
    )
    return vocabulary


def example_text(query: SavedQuery) -> str:
    """A saved query's text for the editor: its `#+` header replaced by a comment line."""
    return f"# {query.summary}\n" + _HEADER.sub("", query.text, count=1)


def examples() -> list[dict[str, str]]:
    """The saved queries, by summary: the Examples menu."""
    found: list[dict[str, str]] = state.memo(("editor-examples",), _compute_examples)
    return found


def _compute_examples() -> list[dict[str, str]]:
    catalogue = load_catalogue(state.release().path)
    root = request.script_root
    return sorted(
        (
            {
                "name": q.name,
                "summary": q.summary,
                "description": q.description,
                "text": example_text(q),
                "page": f"{root}/queries/{q.name}.html",
            }
            for q in catalogue.values()
        ),
        key=lambda e: e["summary"].lower(),
    )


def example(name: str) -> dict[str, str]:
    """The example called `name`; BadParameter("example") naming the known ones if none."""
    for entry in examples():
        if entry["name"] == name:
            return entry
    known = ", ".join(e["name"] for e in examples())
    raise BadParameter("example", f"no saved query is called '{name}'; the saved queries: {known}")


@bp.get("/ui/editor/vocabulary")
def vocabulary() -> Response:
    body = {"prefixes": PREFIXES, "terms": _terms(), "examples": examples()}
    response = Response(json.dumps(body), mimetype=JSON)
    response.cache_control.private = True
    response.cache_control.max_age = 60
    return response


@bp.post("/ui/editor/problems")
def problems() -> Response:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadParameter("query", 'send JSON {"query": "...", "error": null}')
    unknown = sorted(set(body) - {"query", "error"})
    if unknown:
        raise BadParameter(unknown[0], "unknown field: send only `query` and `error`")
    text = body.get("query")
    if not isinstance(text, str) or not text.strip():
        raise BadParameter("query", "the query text is missing or empty")
    limit = state.settings().max_query_length
    if len(text) > limit:
        raise BadParameter(
            "query", f"the query is {len(text)} characters long; the limit is {limit}"
        )
    error = body.get("error")
    if error is not None and not isinstance(error, str):
        raise BadParameter("error", "give the engine's message as a string, or null")
    position = None
    if error:
        found = _SYNTAX_ERROR.search(error[:MAX_ERROR])
        if found is not None:
            line, column = found.group(1) or found.group(3), found.group(2) or found.group(4)
            position = (int(line), int(column), found.group(5))
    found_problems = problems_of(text, _vocabulary(), position)
    out = {"problems": [p.as_json() for p in found_problems]}
    return Response(json.dumps(out), mimetype=JSON)
