"""bp "linked": dereferenceable IRIs, resource pages, ontology and shapes, VoID, dumps, GSP.

The base IRI maps onto this server: <https://w3id.org/cakg/id/x> is served at <ROOT/id/x>,
where ROOT is Settings.public_url or, when unset, the server's root.

The Host header never reaches a publicly cached response. Pages, Link and Content-Location
headers and redirects link with paths (`local_url`), or under public_url when it is set, so
they are the same for every Host and are served `Cache-Control: public`. Only the dataset
description (VoID) writes absolute URLs from the request's root when public_url is unset, and it
is then served `private` with `Vary: Host` (see `void`).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable

from flask import (
    Blueprint,
    Response,
    g,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from rdflib import Dataset as RdfDataset
from rdflib import Graph, URIRef
from werkzeug.http import is_resource_modified
from werkzeug.wrappers import Response as BaseResponse

from cakg.describe import Description, describe, exists
from cakg.engine.base import Dataset
from cakg.errors import BadParameter, NotAcceptable, NotFound, ResourceNotFound
from cakg.namespaces import ONTOLOGY_GRAPH, ONTOLOGY_IRI, PREFIXES, SHAPES_GRAPH, SHAPES_IRI
from cakg.release import DUMPS
from cakg.void import ROOT_PLACEHOLDER, build_void, with_root
from cakg.web import linked_view, state

bp = Blueprint("linked", __name__)

HTML = "text/html"
MAX_AGE = 300
# extension -> (media type, rdflib serializer); the first is the default.
TRIPLES = {
    "ttl": ("text/turtle", "turtle"),
    "jsonld": ("application/ld+json", "json-ld"),
    "nt": ("application/n-triples", "nt"),
    "rdf": ("application/rdf+xml", "xml"),
}
QUADS = {"trig": ("application/trig", "trig"), "nq": ("application/n-quads", "nquads")}
FORMATS = {**TRIPLES, **QUADS}
FORMAT_NAMES = {
    "ttl": "Turtle",
    "jsonld": "JSON-LD",
    "nt": "N-Triples",
    "rdf": "RDF/XML",
    "trig": "TriG",
    "nq": "N-Quads",
}
ALIASES = {
    "application/x-turtle": "ttl",
    "application/json": "jsonld",
    "text/plain": "nt",
    "application/xml": "rdf",
}
HTML_TYPES = ("text/html", "application/xhtml+xml")
_VERSION = re.compile(r"[0-9A-Za-z][0-9A-Za-z.+-]{0,40}")
DUMP_TYPES = {".ttl": "text/turtle", ".trig": "application/trig", ".nq": "application/n-quads"}


def public_url() -> str | None:
    """Settings.public_url (where the base IRI is served), ending in a slash; None when unset."""
    url = state.settings().public_url
    if not url:
        return None
    return url if url.endswith("/") else url + "/"


def void_root() -> str:
    """The root of the dataset description's absolute URLs: public_url, else the request's own
    root URL (which the Host header names; see `void`)."""
    return public_url() or request.url_root


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


# ---------------------------------------------------------------- negotiation and caching


def _negotiate(offers: list[str]) -> str:
    """The key ("html" or a format extension) the Accept header prefers among OFFERS."""
    table: dict[str, str] = {}
    for key in offers:
        if key == "html":
            for mime in HTML_TYPES:
                table[mime] = "html"
        else:
            table[FORMATS[key][0]] = key
    for alias, key in ALIASES.items():
        if key in offers:
            table.setdefault(alias, key)
    accept = request.accept_mimetypes
    best = accept.best_match(list(table)) if accept else next(iter(table))
    if best is None:
        g.linked_format = "text"
        available = ", ".join(m for m in table if m not in ALIASES)
        raise NotAcceptable(f"no acceptable representation; available: {available}")
    g.linked_format = table[best]
    return table[best]


def _fixed(ext: str, offers: list[str]) -> str:
    if ext not in offers:
        g.linked_format = "text"
        raise ResourceNotFound(f"no format '.{ext}' here; try one of {', '.join(offers)}")
    g.linked_format = ext
    return ext


def _inference() -> bool:
    raw = request.args.get("inference", "true").lower()
    if raw in ("true", "1", "yes", "on"):
        return True
    if raw in ("false", "0", "no", "off"):
        return False
    raise BadParameter("inference", f"expected true or false, got {raw!r}")


def _cached(
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


def _serialize(graph: Graph | RdfDataset, key: str) -> str:
    fmt = FORMATS[key][1]
    for prefix, ns in PREFIXES.items():
        graph.bind(prefix, ns, override=True)
    if key == "jsonld":
        return graph.serialize(format=fmt, context=_jsonld_context(graph), auto_compact=True)
    return graph.serialize(format=fmt)


def _jsonld_context(graph: Graph | RdfDataset) -> dict[str, str]:
    used = {str(ns) for _p, ns in graph.namespaces()}
    return {p: ns for p, ns in PREFIXES.items() if ns in used}


# ---------------------------------------------------------------- resources: /id, /data, /page


def _iri(path: str) -> str:
    return state.settings().base_iri + "id/" + path


def _split_ext(path: str) -> tuple[str, str | None]:
    stem, dot, ext = path.rpartition(".")
    if dot and ext in FORMATS and "/" not in ext:
        return stem, ext
    return path, None


@bp.get("/id/<path:path>")
def resource(path: str) -> BaseResponse:
    """303 See Other to the page (HTML) or to the data (RDF), by the Accept header."""
    key = _negotiate(["html", *FORMATS])
    iri = _iri(path)
    if not exists(state.engine(), iri, inference=_inference()):
        raise ResourceNotFound(f"no resource <{iri}> in the dataset")
    query = request.query_string.decode("ascii")
    if key == "html":
        target = url_for("linked.page", path=path)
    else:
        target = url_for("linked.data", path=f"{path}.{key}")
    response = redirect(target + (f"?{query}" if query else ""), code=303)
    response.vary.add("Accept")
    return response


@bp.get("/data/<path:path>")
def data(path: str) -> Response:
    """The resource's description as RDF: by extension, else by content negotiation."""
    path, ext = _split_ext(path)
    key = _fixed(ext, list(FORMATS)) if ext else _negotiate(list(FORMATS))
    iri = _iri(path)
    inference = _inference()

    def make() -> str:
        description = describe(state.engine(), iri, inference=inference)
        if key in QUADS:
            return _serialize(description.dataset(), key)
        return _serialize(description.graph(), key)

    response = _cached(make, FORMATS[key][0], f"data {key} {inference}", () if ext else ("Accept",))
    suffix = "" if inference else "?inference=false"
    response.headers["Link"] = (
        ", ".join(
            f'<{url_for("linked.data", path=f"{path}.{other}")}{suffix}>; rel="alternate"; '
            f'type="{FORMATS[other][0]}"'
            for other in FORMATS
            if other != ext
        )
        + f', <{url_for("linked.page", path=path)}>; rel="alternate"; type="text/html"'
    )
    if not ext:
        response.headers["Content-Location"] = url_for("linked.data", path=f"{path}.{key}")
    return response


@bp.get("/page/<path:path>")
def page(path: str) -> Response:
    """The resource's HTML page."""
    g.linked_format = "html"
    iri = _iri(path)
    inference = _inference()
    lang = request.accept_languages.best or ""

    def make() -> str:
        description = describe(state.engine(), iri, inference=inference)
        view = linked_view.page_view(description, _viewer())
        formats = [
            (FORMAT_NAMES[k], url_for("linked.data", path=f"{path}.{k}"), FORMATS[k][0])
            for k in FORMATS
        ]
        return render_template(
            "linked/resource.html",
            view=view,
            formats=formats,
            inference=inference,
            path=path,
        )

    return _cached(make, HTML, f"page {inference} {lang}", ("Accept-Language",))


def _viewer() -> linked_view.Viewer:
    return linked_view.Viewer(
        link=local_url,
        languages=request.accept_languages,
        base_iri=state.settings().base_iri,
    )


# ---------------------------------------------------------------- ontology and shapes


def _graph(iri: str) -> Graph:
    """One named graph of the dataset, whole."""
    count = int(state.release().manifest.get("graphs", {}).get(str(iri), 0))
    result = state.engine().query(
        "CONSTRUCT WHERE { ?s ?p ?o }",
        dataset=Dataset(default_graphs=(str(iri),), named_graphs=()),
        max_rows=count + 1,
    )
    graph = Graph()
    for triple in result.triples:
        graph.add(triple)
    return graph


def _docs(name: str) -> str:
    """The release's HTML documentation page `name` (the build writes both pages)."""
    built = state.release().file(f"{name}.html")
    try:
        return built.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ResourceNotFound(
            f"the current release has no {name} documentation ({built.name}): "
            "run `cakg build --force` to rebuild it"
        ) from None


def _vocabulary(name: str, graph_iri: str, ext: str | None) -> Response:
    offers = ["html", *TRIPLES]
    key = _fixed(ext, offers) if ext else _negotiate(offers)
    if key == "html":
        response = _cached(lambda: _docs(name), HTML, f"{name} html", ("Accept",))
    else:
        response = _cached(
            lambda: _serialize(_graph(graph_iri), key), TRIPLES[key][0], key, ("Accept",)
        )
    response.headers["Link"] = ", ".join(
        f'<{url_for(f"linked.{name}", ext=k)}>; rel="alternate"; '
        f'type="{TRIPLES[k][0] if k in TRIPLES else HTML}"'
        for k in ("html", *TRIPLES)
    )
    if not ext:
        response.headers["Content-Location"] = url_for(f"linked.{name}", ext=key)
    return response


@bp.get("/ontology", defaults={"ext": None})
@bp.get("/ontology.<ext>")
def ontology(ext: str | None) -> Response:
    """The ontology (and each term's hash IRI): HTML documentation or RDF."""
    return _vocabulary("ontology", str(ONTOLOGY_GRAPH), ext)


@bp.get("/ontology/<version>")
def ontology_version(version: str) -> Response:
    """The ontology's version IRI: the current version is served, older ones are gone."""
    iri = state.settings().base_iri + "ontology/" + version
    stated = _VERSION.fullmatch(version) and state.engine().query(
        f"ASK {{ <{ONTOLOGY_IRI}> <http://www.w3.org/2002/07/owl#versionIRI> ?v }}",
        bindings={"v": URIRef(iri)},
    )
    if not stated or not stated.boolean:
        g.linked_format = "text"
        raise ResourceNotFound(f"<{iri}> is not the current version of the ontology")
    return _vocabulary("ontology", str(ONTOLOGY_GRAPH), None)


@bp.get("/shapes", defaults={"ext": None})
@bp.get("/shapes.<ext>")
def shapes(ext: str | None) -> Response:
    """The SHACL shapes: HTML documentation or RDF."""
    return _vocabulary("shapes", str(SHAPES_GRAPH), ext)


# ---------------------------------------------------------------- dataset description and dumps


def void_graph() -> Graph:
    """The VoID and DCAT description of the dataset served here, its URLs under `void_root()`.

    Counted once per dataset version (whatever Host asks), then given the root.
    """
    described: Graph = state.memo(
        ("void",),
        lambda: build_void(
            state.engine(), state.release().manifest, state.settings(), ROOT_PLACEHOLDER
        ),
    )
    return with_root(described, void_root())


@bp.get("/.well-known/void")
def void() -> Response:
    """The dataset description: Turtle, HTML, JSON-LD, N-Triples or RDF/XML.

    Its endpoint, dumps and landing page are absolute URLs, as VoID and DCAT consumers expect:
    they read void:sparqlEndpoint, void:dataDump and dcat:downloadURL from the document and use
    them as they are, often after copying the description elsewhere, where a relative URL has
    no base. With public_url set they are under it, and the description is public. Without it
    the only address known to reach this server is the one the client used (the request's root,
    from the Host header), which is right for that client and wrong for any other: the
    description is then `Cache-Control: private` with `Vary: Host`, so that no shared cache
    serves one Host's URLs (an attacker's `Host: evil.example`) to everyone.
    """
    key = _negotiate(["ttl", "html", "jsonld", "nt", "rdf"])
    root = void_root()
    private = public_url() is None
    if key == "html":
        return _cached(
            lambda: render_template(
                "linked/void.html", view=linked_view.void_view(void_graph(), _viewer())
            ),
            HTML,
            "html " + root,
            ("Accept",),
            host_dependent=private,
        )
    return _cached(
        lambda: _serialize(void_graph(), key),
        FORMATS[key][0],
        f"{key} {root}",
        ("Accept",),
        host_dependent=private,
    )


@bp.get("/dataset")
def dataset() -> BaseResponse:
    """The dataset's IRI: 303 to its description."""
    return redirect(url_for("linked.void"), code=303)


@bp.get("/dumps/<name>")
def dump(name: str) -> Response:
    """The whole dataset: cakg.ttl (union), cakg.trig, cakg.nq, and their .gz copies."""
    g.linked_format = "text"
    plain = name.removesuffix(".gz")
    info = state.release().manifest.get("files", {}).get(name)
    if plain not in DUMPS or info is None:
        raise NotFound(f"no dump named {name!r}; the dumps are {', '.join(DUMPS)} (also .gz)")
    path = state.release().file(name)
    gz = name.endswith(".gz")
    mimetype = "application/gzip" if gz else DUMP_TYPES["." + plain.rsplit(".", 1)[-1]]
    response = send_file(
        path,
        mimetype=mimetype,
        etag=info["sha256"],
        last_modified=state.release().built,
        max_age=MAX_AGE,
        conditional=True,
    )
    response.cache_control.public = True
    return response


# ---------------------------------------------------------------- graphs: GSP and graph IRIs


@bp.route("/store", methods=["GET", "HEAD"])
def store() -> Response:
    """SPARQL 1.1 Graph Store Protocol, read-only: GET ?graph=IRI or ?default."""
    key = _negotiate(list(TRIPLES))
    graphs = request.args.getlist("graph")
    default = "default" in request.args
    if default == bool(graphs) or len(graphs) > 1:
        raise BadParameter("graph", "give exactly one ?graph=IRI, or ?default")
    inference = _inference()
    if default:
        manifest = state.release().manifest

        def make() -> str:
            result = state.engine().query(
                "CONSTRUCT WHERE { ?s ?p ?o }",
                max_rows=int(manifest.get("triples", 0)) + 1,
                dataset=Dataset(inference=inference),
            )
            graph = Graph()
            for triple in result.triples:
                graph.add(triple)
            return _serialize(graph, key)

        return _cached(make, TRIPLES[key][0], f"default {key} {inference}", ("Accept",))
    iri = graphs[0]
    if iri not in state.release().manifest.get("graphs", {}):
        raise ResourceNotFound(f"no graph <{iri}> in the dataset")
    return _cached(
        lambda: _serialize(_graph(iri), key), TRIPLES[key][0], f"{iri} {key}", ("Accept",)
    )


@bp.get("/graph/<path:path>")
def graph(path: str) -> BaseResponse:
    """A named graph's IRI: 303 to its content in the graph store."""
    iri = state.settings().base_iri + "graph/" + path
    if iri not in state.release().manifest.get("graphs", {}):
        g.linked_format = "text"
        raise ResourceNotFound(f"no graph <{iri}> in the dataset")
    return redirect(url_for("linked.store", graph=iri), code=303)


# ---------------------------------------------------------------- errors in the asked format


def _error(error: Exception, status: int) -> Response:
    key = g.get("linked_format") or "text"
    message = str(error)
    code = getattr(error, "code", "error")
    if key == "html":
        body = render_template("linked/error.html", status=status, message=message)
        return Response(body, status=status, mimetype=HTML)
    if key == "jsonld":
        body = json.dumps({"@graph": [], "error": code, "message": message})
        return Response(body, status=status, mimetype=FORMATS[key][0])
    if key in ("ttl", "nt", "nq", "trig"):
        text = "# " + message.replace("\n", " ") + "\n"
        return Response(text, status=status, mimetype=FORMATS[key][0])
    if key == "rdf":
        text = Graph().serialize(format="xml")
        head, _, rest = text.partition("\n")
        body = f"{head}\n<!-- {message.replace('--', '- -')} -->\n{rest}"
        return Response(body, status=status, mimetype=FORMATS[key][0])
    return Response(message + "\n", status=status, mimetype="text/plain")


@bp.errorhandler(NotFound)
def not_found(error: NotFound) -> Response:
    return _error(error, 404)


@bp.errorhandler(NotAcceptable)
def not_acceptable(error: NotAcceptable) -> Response:
    return _error(error, 406)


@bp.errorhandler(BadParameter)
def bad_parameter(error: BadParameter) -> Response:
    return _error(error, 400)


__all__ = [
    "ONTOLOGY_IRI",
    "SHAPES_IRI",
    "Description",
    "bp",
    "local_url",
    "public_url",
    "void_graph",
    "void_root",
]
