"""A view's picture as SVG or PNG, drawn on the server by vl-convert (Vega and Vega-Lite in an
embedded JavaScript runtime): for /queries/<name>.svg and .png, and for pages read without
JavaScript. The only module that imports vl_convert; loaded on the first picture asked for.

At most two pictures are drawn at once by a process (a map takes seconds of CPU); a request
that waits longer than WAIT_SECONDS for its turn is answered 429 with Retry-After.

The renderer may load no URL at all (`allowed_base_urls=[]`): a specification's data is inline,
and a `url` naming one of the app's own static files (the vendored atlas of a map) is replaced by
that file's content before rendering. Any other URL is refused, so a picture can never make the
server reach out to the network.
"""

from __future__ import annotations

import copy
import json
import threading
from pathlib import Path
from typing import Any

from cakg.errors import CakgError, TooManyQueries
from cakg.views.base import VEGA_SCHEMA

STATIC = Path(__file__).resolve().parent.parent / "web" / "static"
FORMATS = ("svg", "png")
PNG_SCALE = 2
# pictures drawn at once by one process (a map takes seconds of CPU); the others wait this long
RENDERERS = threading.BoundedSemaphore(2)
WAIT_SECONDS = 15.0


class PictureError(CakgError):
    """A view could not be drawn as a picture (a bug in its specification, or a refused URL)."""


class PicturesBusy(TooManyQueries):
    """As many pictures as a process draws at once are being drawn: try again shortly."""

    code = "pictures-busy"


def render(spec: dict[str, Any], fmt: str, *, static_url: str = "/static/") -> bytes:
    """SPEC (Vega or Vega-Lite, by its $schema) drawn as FMT, svg or png."""
    import vl_convert  # a JavaScript runtime: loaded when the first picture is asked for

    if fmt not in FORMATS:
        raise PictureError(f"a picture is one of {', '.join(FORMATS)}, not {fmt}")
    inline = _inline_static(spec, static_url)
    vega = str(spec.get("$schema", "")).startswith(VEGA_SCHEMA.rsplit("/", 1)[0] + "/v")
    if not RENDERERS.acquire(timeout=WAIT_SECONDS):
        raise PicturesBusy("the server is drawing as many pictures as it can: try again shortly")
    try:
        if vega:
            svg = vl_convert.vega_to_svg(inline, allowed_base_urls=[])
        else:
            svg = vl_convert.vegalite_to_svg(inline, allowed_base_urls=[])
        if fmt == "svg":
            return svg.encode("utf-8")
        png: bytes = vl_convert.svg_to_png(svg, scale=PNG_SCALE)
        return png
    except ValueError as e:
        raise PictureError(f"the view could not be drawn: {e}") from e
    finally:
        RENDERERS.release()


def _inline_static(spec: dict[str, Any], static_url: str) -> dict[str, Any]:
    """A copy of SPEC whose data URLs under STATIC_URL are replaced by the files' content."""
    out = copy.deepcopy(spec)

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            url = node.get("url")
            if isinstance(url, str):
                node.pop("url")
                node["values"] = _static_json(url, static_url)
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    visit(out)
    return out


def _static_json(url: str, static_url: str) -> Any:
    if not url.startswith(static_url):
        raise PictureError(f"a picture loads no URL; {url!r} is not one of the app's files")
    path = (STATIC / url[len(static_url) :]).resolve()
    if STATIC not in path.parents or path.suffix != ".json" or not path.is_file():
        raise PictureError(f"a picture loads no URL; {url!r} is not one of the app's files")
    return json.loads(path.read_text(encoding="utf-8"))
