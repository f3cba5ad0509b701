"""bp "pages": the things the dataset describes, at their dereferenceable IRIs.

GET /id/<path>            303 See Other to the page (HTML) or to the data (RDF), by Accept
GET /data/<path>[.ext]    the resource's description as RDF (by extension, else by Accept)
GET /page/<path>          the resource's HTML page
GET /class/<Name>         the page of the ontology's class cakg:<Name>: its instances, counted
GET /context.jsonld       the JSON-LD context the /data/<path>.jsonld documents name

The base IRI maps onto this server: <https://w3id.org/cakg/id/x> is served at <ROOT/id/x>,
where ROOT is Settings.public_url or, when unset, the server's root. `inference=` (a flag,
cakg.web.params) leaves out the inferred triples when false.
"""

from __future__ import annotations

from flask import Blueprint, Response, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from cakg.errors import BadParameter, ResourceNotFound
from cakg.jsonld_context import build_context, compact_jsonld, context_document
from cakg.media import HTML, JSONLD, MEDIA_TYPES
from cakg.ontology_axioms import load_axioms
from cakg.resource_description import describe_resource, exists
from cakg.site_nav import CLASS_PAGES
from cakg.source_texts import SourceTexts
from cakg.views.atlas import ATLAS_STATIC
from cakg.views.labels import Terms
from cakg.web import state
from cakg.web.class_page import class_href, class_view
from cakg.web.negotiation import (
    FORMATS,
    QUADS,
    cached,
    fixed,
    negotiate,
    public_path,
    serialize,
    viewer,
)
from cakg.web.page_map import place_map
from cakg.web.params import read_flag
from cakg.web.resource_page import page_view
from cakg.web.resource_views import resource_views

bp = Blueprint("pages", __name__)


def _iri(path: str) -> str:
    return state.settings().base_iri + "id/" + path


def _split_ext(path: str) -> tuple[str, str | None]:
    stem, dot, ext = path.rpartition(".")
    if dot and ext in FORMATS and "/" not in ext:
        return stem, ext
    return path, None


def _inference() -> bool:
    return read_flag("inference", request.args.get("inference"), default=True)


@bp.get("/id/<path:path>")
def resource(path: str) -> BaseResponse:
    """303 See Other to the page (HTML) or to the data (RDF), by the Accept header."""
    key = negotiate(["html", *FORMATS])
    iri = _iri(path)
    if not exists(state.engine(), iri, inference=_inference()):
        raise ResourceNotFound(f"no resource <{iri}> in the dataset")
    query = request.query_string.decode("ascii")
    if key == "html":
        target = url_for("pages.page", path=path)
    else:
        target = url_for("pages.data", path=f"{path}.{key}")
    response = redirect(target + (f"?{query}" if query else ""), code=303)
    response.vary.add("Accept")
    return response


@bp.get("/data/<path:path>")
def data(path: str) -> Response:
    """The resource's description as RDF: by extension, else by content negotiation."""
    path, ext = _split_ext(path)
    key = fixed(ext, list(FORMATS)) if ext else negotiate(list(FORMATS))
    iri = _iri(path)
    inference = _inference()

    def make() -> str:
        engine = state.engine()
        description = describe_resource(engine, iri, inference=inference)
        if key in QUADS:
            return serialize(description.dataset(), key)
        if key == "jsonld":
            context = public_path(url_for("pages.context"))
            graph = description.graph()
            return compact_jsonld(graph, description.iri, build_context(engine), context)
        return serialize(description.graph(), key)

    response = cached(make, FORMATS[key], f"data {key} {inference}", () if ext else ("Accept",))
    suffix = "" if inference else "?inference=false"
    response.headers["Link"] = (
        ", ".join(
            f'<{url_for("pages.data", path=f"{path}.{other}")}{suffix}>; rel="alternate"; '
            f'type="{FORMATS[other]}"'
            for other in FORMATS
            if other != ext
        )
        + f', <{url_for("pages.page", path=path)}>; rel="alternate"; type="{HTML}"'
    )
    if not ext:
        response.headers["Content-Location"] = url_for("pages.data", path=f"{path}.{key}")
    return response


@bp.get("/page/<path:path>")
def page(path: str) -> Response:
    """The resource's HTML page."""
    g.error_format = "html"
    iri = _iri(path)
    inference = _inference()
    lang = request.accept_languages.best or ""
    folder = state.settings().source_texts  # quote the evidence from there (default: offsets)

    def make() -> str:
        description = describe_resource(
            state.engine(), iri, inference=inference, explain=True, evidence=True
        )
        texts = SourceTexts(folder) if folder is not None else None
        engine = state.engine()
        names = Terms(state.settings().base_iri, request.script_root)
        axioms = load_axioms(engine)
        view = page_view(
            description, viewer(), axioms, engine, names, texts=texts, class_page=class_href
        )
        atlas = url_for("static", filename=ATLAS_STATIC)
        view["map"] = place_map(engine, description, names, atlas)
        view.update(resource_views(engine, description, view["facts"], names, atlas))
        view["neighbourhood_url"] = url_for("neighbourhood.graph")
        formats = [
            (MEDIA_TYPES[m].label, url_for("pages.data", path=f"{path}.{k}"), m)
            for k, m in FORMATS.items()
        ]
        return render_template(
            "linked/resource.html",
            view=view,
            formats=formats,
            inference=inference,
            path=path,
        )

    return cached(make, HTML, f"page {inference} {lang} {folder}", ("Accept-Language",))


@bp.get(f"/{CLASS_PAGES}/<name>")
def class_page(name: str) -> Response:
    """The page of one of the ontology's classes: its instances, counted, and its subclasses."""
    g.error_format = "html"
    unknown = sorted(set(request.args))
    if unknown:
        raise BadParameter(unknown[0], "unknown parameter; a class page takes none")
    lang = request.accept_languages.best or ""

    def make() -> str:
        view = class_view(state.engine(), name, viewer().link, request.accept_languages)
        return render_template("linked/class.html", view=view)

    return cached(make, HTML, f"class {lang}", ("Accept-Language",))


@bp.get("/context.jsonld")
def context() -> Response:
    """The JSON-LD context of the resource descriptions, generated from the ontology."""
    g.error_format = "jsonld"
    return cached(lambda: context_document(build_context(state.engine())), JSONLD, "context")
