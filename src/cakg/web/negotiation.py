"""Representations on the linked-data routes (bp "pages", "vocab", "dataset"): the one chosen by
Accept or by extension, written with the project's prefixes, cached by ETag; the URLs in them.

A representation is named by a key: "html" or a file extension (cakg.media: "ttl", "jsonld",
"nt", "rdf", "trig", "nq"). The key chosen is kept in `g.error_format`, so that an error on the
same request is answered in it (cakg.web.errors). `public_path` (a URL under public_url) is
shared with the saved-query API (bp "saved").

The Host header never reaches a publicly cached response. Pages, Link and Content-Location
headers and redirects link with paths (`local_url`), or under public_url when it is set, so
they are the same for every Host and are served `Cache-Control: public`. Only the dataset
description (VoID) writes absolute URLs from the request's root when public_url is unset, and it
is then served `private` with `Vary: Host` (`cached(host_dependent=True)`, see dataset.void).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from flask import Response, g, request
from rdflib import Dataset as RdfDataset
from rdflib import Graph
from werkzeug.http import is_resource_modified

from cakg.errors import NotAcceptable, ResourceNotFound
from cakg.media import (
    HTML,
    HTML_TYPES,
    MEDIA_TYPES,
    QUAD_MEDIA_TYPES,
    TRIPLE_MEDIA_TYPES,
    aliases_of,
    by_extension,
    writer,
)
from cakg.namespaces import PREFIXES
from cakg.web import linked_view, state

MAX_AGE = 300
# extension -> media type; the first is the default.
TRIPLES = by_extension(TRIPLE_MEDIA_TYPES)
QUADS = by_extension(QUAD_MEDIA_TYPES)
FORMATS = {**TRIPLES, **QUADS}
# alias a client sends -> extension
ALIASES = {alias: MEDIA_TYPES[m].extension for alias, m in aliases_of(TRIPLE_MEDIA_TYPES).items()}


def public_url() -> str | None:
    """Settings.public_url (where the base IRI is served), ending in a slash; None when unset."""
    url = state.settings().public_url
    if not url:
        return None
    return url if url.endswith("/") else url + "/"


def public_path(path: str) -> str:
    """PATH (from url_for) absolute under Settings.public_url when it is set, else as it is."""
    root = state.settings().public_url
    if not root:
        return path
    return root.rstrip("/") + "/" + path[len(request.script_root) :].lstrip("/")


def local_url(iri: str) -> str:
    """The URL on this server that serves IRI (pages for things); IRI itself if not ours.

    Absolute under public_url when it is set; otherwise a path from the server's root, the same
    whatever Host the request names, so that the pages holding it can be cached publicly.
    """
    base = state.settings().base_iri
    if not iri.startswith(base):
        return iri
    rest = iri[len(base) :]
    if rest.startswith("id/") and "#" not in rest:
        rest = "page/" + rest[len("id/") :]
    return (public_url() or request.script_root + "/") + rest


def viewer() -> linked_view.Viewer:
    """What the page templates' data needs of this request: links, languages, base IRI."""
    return linked_view.Viewer(
        link=local_url,
        languages=request.accept_languages,
        base_iri=state.settings().base_iri,
    )


def media_type(key: str) -> str:
    """The media type of a representation key."""
    return HTML if key == "html" else FORMATS[key]


def negotiate(offers: list[str]) -> str:
    """The key ("html" or a format extension) the Accept header prefers among OFFERS."""
    table: dict[str, str] = {}
    for key in offers:
        if key == "html":
            for mime in HTML_TYPES:
                table[mime] = "html"
        else:
            table[FORMATS[key]] = key
    for alias, key in ALIASES.items():
        if key in offers:
            table.setdefault(alias, key)
    accept = request.accept_mimetypes
    best = accept.best_match(list(table)) if accept else next(iter(table))
    if best is None:
        g.error_format = "text"
        available = ", ".join(m for m in table if m not in ALIASES)
        raise NotAcceptable(f"no acceptable representation; available: {available}")
    g.error_format = table[best]
    return table[best]


def fixed(ext: str, offers: list[str]) -> str:
    """The key an extension in the URL names, when it is one of OFFERS."""
    if ext not in offers:
        g.error_format = "text"
        raise ResourceNotFound(f"no format '.{ext}' here; try one of {', '.join(offers)}")
    g.error_format = ext
    return ext


def cached(
    make: Callable[[], Response | str | bytes],
    mimetype: str,
    variant: str,
    vary: tuple[str, ...] = (),
    host_dependent: bool = False,
) -> Response:
    """A response with an ETag from the dataset version and VARIANT, and 304 when unchanged.

    Publicly cacheable, unless HOST_DEPENDENT (it holds URLs the Host header named: VARIANT must
    then name the root too): private to the client, and varying by Host.
    """
    build = state.release()
    version = str(getattr(state.engine(), "version", "") or build.version)  # the data being served
    tag = hashlib.sha256(f"{version}\0{variant}".encode()).hexdigest()[:24]
    etag = f"{version}-{tag}"
    if is_resource_modified(request.environ, etag=etag, last_modified=build.built):
        made = make()
        response = made if isinstance(made, Response) else Response(made, mimetype=mimetype)
    else:
        response = Response(status=304)
    response.set_etag(etag)
    if build.built is not None:
        response.last_modified = build.built
    if host_dependent:
        response.cache_control.private = True
        response.vary.add("Host")
    else:
        response.cache_control.public = True
    response.cache_control.max_age = MAX_AGE
    for header in vary:
        response.vary.add(header)
    return response


def serialize(graph: Graph | RdfDataset, key: str) -> str:
    """GRAPH in the format of KEY, with the project's prefixes (a JSON-LD context of them)."""
    fmt = writer(FORMATS[key])
    for prefix, ns in PREFIXES.items():
        graph.bind(prefix, ns, override=True)
    if key == "jsonld":
        return graph.serialize(format=fmt, context=_jsonld_context(graph), auto_compact=True)
    return graph.serialize(format=fmt)


def _jsonld_context(graph: Graph | RdfDataset) -> dict[str, str]:
    used = {str(ns) for _p, ns in graph.namespaces()}
    return {p: ns for p, ns in PREFIXES.items() if ns in used}
