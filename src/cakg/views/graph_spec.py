"""The Vega specification of a node-link picture: nodes and links in, a force layout out.

After Vega's force-directed layout example: the layout runs in the `node-data` data set (so
the marks can draw it through a zoom: `frame` is [scale, x offset, y offset], changed by the
mouse wheel, dragging the background, and reset by a double click); a node dragged with the
pointer is held at the pointer (`fx`, `fy`) and released when the pointer lets go. The first
drag turns the one-off layout into a running simulation, so the others make room. A node links
to its page (`href`), except when the pointer has just dragged it. Links are lines with an
arrowhead at their object; hovering over a node darkens its links.

About 370 lines, over the usual 300: the specification is data, written out in full.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Any

from cakg.views.base import VEGA_SCHEMA

WIDTH = 820
HEIGHT = 560
NAMED = 40  # the most connected nodes with a label show it beside them (all, zoomed in)
MIN_ZOOM = 0.2
MAX_ZOOM = 8
COLOURS = "tableau10"
COLOURS_N = 10  # colours in the scheme: past 10 types, the rarer ones share OTHER
OTHER = "other types"
LINK = "#b9b9b9"
LINK_FOCUS = "#333333"
ARROW = 40  # arrowhead area, px²


@dataclass
class GraphNode:
    index: int
    iri: str  # the full IRI, or _:id for a blank node
    label: str
    href: str | None
    type: str  # the class label it is coloured by
    degree: int
    tip: dict[str, str]  # the tooltip: title, type, then property -> value
    shown: int  # how many triples the tooltip shows
    labelled: bool  # False when its label is only its prefixed name (not shown beside it)


@dataclass
class GraphLink:
    source: int  # node index
    target: int
    properties: list[str]  # labels of the properties from source to target
    predicates: list[str]  # their IRIs
    tip: dict[str, str]


def graph_spec(
    nodes: list[GraphNode],
    links: list[GraphLink],
    *,
    description: str,
    counts: dict[str, int],
) -> dict[str, Any]:
    """The Vega specification, with the nodes and links inline."""
    labelled = [n for n in nodes if n.labelled]
    named = {n.index for n in sorted(labelled, key=lambda n: -n.degree)[:NAMED]}
    colours = colour_groups([n.type for n in nodes])
    size = max(len(nodes), 1)
    return {
        "$schema": VEGA_SCHEMA,
        "description": description,
        "width": WIDTH,
        "height": HEIGHT,
        "padding": 5,
        "autosize": "pad",
        "usermeta": {"cakg": {"nodes": len(nodes), "links": len(links), "triples": counts}},
        "signals": _signals(
            link_distance=_link_distance(nodes),
            charge=-round(min(110.0, max(30.0, 10_000 / size)), 1),
        ),
        "data": [
            {"name": "link-data", "values": [_link(link) for link in links]},
            {
                "name": "node-data",
                "values": [_node(n, n.index in named, colours[n.type]) for n in nodes],
                "on": [
                    {
                        "trigger": "fix",
                        "modify": "node",
                        "values": "fix === true ? {fx: node.x, fy: node.y} "
                        ": {fx: fix[0], fy: fix[1]}",
                    },
                    {"trigger": "!fix", "modify": "node", "values": "{fx: null, fy: null}"},
                ],
                "transform": [_force()],
            },
        ],
        "scales": [
            {
                "name": "colour",
                "type": "ordinal",
                "domain": sorted(set(colours.values()), key=lambda t: (t == OTHER, t.casefold())),
                "range": {"scheme": COLOURS},
            }
        ],
        "legends": [
            {
                "fill": "colour",
                "title": "Type",
                "orient": "right",
                "symbolType": "circle",
                "labelLimit": 180,
            }
        ],
        "marks": _marks(),
    }


def _link_distance(nodes: list[GraphNode]) -> float:
    """How long a link is: shorter as the graph grows; but in a star (one node linked to most of
    the others, as a resource's neighbourhood), long enough that the nodes about the hub have
    room for their names (a hub of 47 gets a ring of 200 px)."""
    size = max(len(nodes), 1)
    hub = max((n.degree for n in nodes), default=0)
    spread = min(90.0, max(30.0, 560 / math.sqrt(size)))
    if hub * 2 > size:
        spread = max(spread, min(200.0, 4.3 * hub))
    return round(spread, 1)


def colour_groups(types: list[str]) -> dict[str, str]:
    """The colour group of each type: itself for the COLOURS - 1 commonest, else OTHER."""
    counts = Counter(types)
    if len(counts) <= COLOURS_N:
        return {t: t for t in counts}
    common = sorted(counts, key=lambda t: (-counts[t], t.casefold()))[: COLOURS_N - 1]
    return {t: t if t in common else OTHER for t in counts}


def _node(node: GraphNode, named: bool, colour: str) -> dict[str, Any]:
    return {
        "index": node.index,
        "iri": node.iri,
        "label": node.label,
        "href": node.href,
        "type": node.type,
        "colour": colour,
        "degree": node.degree,
        "r": round(4 + 2 * math.sqrt(node.degree), 1) if node.degree < 36 else 16,
        "named": named,
        "home_x": WIDTH / 2,  # where the x and y forces pull it: the middle
        "home_y": HEIGHT / 2,
        "tip": node.tip,
    }


def _link(link: GraphLink) -> dict[str, Any]:
    return {
        "source": link.source,
        "target": link.target,
        "label": "; ".join(link.properties),
        "predicates": link.predicates,
        "tip": link.tip,
    }


def _signals(*, link_distance: float, charge: float) -> list[dict[str, Any]]:
    clamp = f"clamp(frame[0] * zoomBy, {MIN_ZOOM}, {MAX_ZOOM})"
    return [
        {"name": "cx", "update": "width / 2"},
        {"name": "cy", "update": "height / 2"},
        {"name": "linkDistance", "value": link_distance},
        {"name": "nodeCharge", "value": charge},
        {
            "description": "Lay out once; from the first drag on, run the simulation.",
            "name": "static",
            "value": True,
            "on": [{"events": "@nodes:pointerdown", "update": "false"}],
        },
        {
            "description": "Where the wheel zooms, and by how much.",
            "name": "zoomAt",
            "value": [0, 0],
            "on": [{"events": "wheel", "update": "xy()"}],
        },
        {
            "name": "zoomBy",
            "value": 1,
            "on": [
                {
                    "events": "wheel!",
                    "force": True,
                    "update": "pow(1.001, -event.deltaY * pow(16, event.deltaMode))",
                }
            ],
        },
        {
            "description": "Where a drag of the background started: pointer and frame.",
            "name": "panFrom",
            "value": None,
            "on": [
                {
                    "events": "pointerdown[!event.item || event.item.mark.name !== 'nodes']",
                    "update": "[x(), y(), frame[1], frame[2]]",
                },
                {"events": "window:pointerup", "update": "null"},
            ],
        },
        {
            "description": "[scale, x offset, y offset] of the picture over the layout.",
            "name": "frame",
            "value": [1, 0, 0],
            "on": [
                {
                    "events": {"signal": "zoomBy"},
                    "update": f"[{clamp}, "
                    f"zoomAt[0] - (zoomAt[0] - frame[1]) * {clamp} / frame[0], "
                    f"zoomAt[1] - (zoomAt[1] - frame[2]) * {clamp} / frame[0]]",
                },
                {
                    "events": "[pointerdown[!event.item || event.item.mark.name !== 'nodes'], "
                    "window:pointerup] > window:pointermove!",
                    "update": "panFrom ? [frame[0], panFrom[2] + x() - panFrom[0], "
                    "panFrom[3] + y() - panFrom[1]] : frame",
                },
                {"events": "dblclick", "update": "[1, 0, 0]"},
            ],
        },
        {
            "description": "Whether the active node is held: true, or the pointer in layout units.",
            "name": "fix",
            "value": False,
            "on": [
                {
                    "events": "@nodes:pointerout[!event.buttons], window:pointerup",
                    "update": "false",
                },
                {"events": "@nodes:pointerover", "update": "fix || true"},
                {
                    "events": "[@nodes:pointerdown, window:pointerup] > window:pointermove!",
                    "update": "[(x() - frame[1]) / frame[0], (y() - frame[2]) / frame[0]]",
                    "force": True,
                },
            ],
        },
        {
            "description": "The node (its data) most recently under the pointer.",
            "name": "node",
            "value": None,
            "on": [
                {"events": "@nodes:pointerover", "update": "fix === true ? item().datum : node"}
            ],
        },
        {
            "name": "focus",
            "value": None,
            "on": [
                {"events": "@nodes:pointerover", "update": "item().datum"},
                {"events": "@nodes:pointerout[!event.buttons]", "update": "null"},
            ],
        },
        {
            "description": "True once the pointer has dragged a node, so that letting go of it "
            "does not follow its link.",
            "name": "moved",
            "value": False,
            "on": [
                {"events": "@nodes:pointerdown", "update": "false"},
                {
                    "events": "[@nodes:pointerdown, window:pointerup] > window:pointermove",
                    "update": "true",
                },
            ],
        },
        {
            "name": "restart",
            "value": False,
            "on": [{"events": {"signal": "fix"}, "update": "fix && fix.length"}],
        },
    ]


def _force() -> dict[str, Any]:
    return {
        "type": "force",
        "iterations": 300,
        "static": {"signal": "static"},
        "restart": {"signal": "restart"},
        "forces": [
            {"force": "center", "x": {"signal": "cx"}, "y": {"signal": "cy"}},
            {"force": "x", "x": "home_x", "strength": 0.02},
            {"force": "y", "y": "home_y", "strength": 0.03},
            {"force": "collide", "radius": {"expr": "datum.r + 2"}},
            {"force": "nbody", "strength": {"signal": "nodeCharge"}},
            {"force": "link", "links": "link-data", "distance": {"signal": "linkDistance"}},
        ],
    }


def _marks() -> list[dict[str, Any]]:
    x = "datum.x * frame[0] + frame[1]"
    y = "datum.y * frame[0] + frame[2]"
    end = "isObject(datum.source) && isObject(datum.target)"
    sx, sy = "datum.source.x * frame[0] + frame[1]", "datum.source.y * frame[0] + frame[2]"
    tx, ty = "datum.target.x * frame[0] + frame[1]", "datum.target.y * frame[0] + frame[2]"
    # the arrowhead: on the line, just outside the target node's circle
    gap = (
        "(datum.target.r + 4) / max(1, sqrt(pow(datum.target.x - datum.source.x, 2) + "
        "pow(datum.target.y - datum.source.y, 2)) * frame[0])"
    )
    focused = "focus && (datum.source === focus || datum.target === focus)"
    return [
        {
            "name": "links",
            "type": "rule",
            "from": {"data": "link-data"},
            "encode": {
                "update": {
                    "x": {"signal": f"{end} ? {sx} : 0"},
                    "y": {"signal": f"{end} ? {sy} : 0"},
                    "x2": {"signal": f"{end} ? {tx} : 0"},
                    "y2": {"signal": f"{end} ? {ty} : 0"},
                    "stroke": {"signal": f"{focused} ? '{LINK_FOCUS}' : '{LINK}'"},
                    "strokeWidth": {"signal": f"{focused} ? 2 : 1.2"},
                    "tooltip": {"field": "tip"},
                }
            },
        },
        {
            "name": "arrows",
            "type": "symbol",
            "from": {"data": "link-data"},
            "encode": {
                "enter": {"shape": {"value": "triangle-right"}, "size": {"value": ARROW}},
                "update": {
                    "x": {"signal": f"{end} ? {tx} - ({tx} - {sx}) * {gap} : 0"},
                    "y": {"signal": f"{end} ? {ty} - ({ty} - {sy}) * {gap} : 0"},
                    "angle": {
                        "signal": f"{end} ? atan2(datum.target.y - datum.source.y, "
                        "datum.target.x - datum.source.x) * 180 / PI : 0"
                    },
                    "fill": {"signal": f"{focused} ? '{LINK_FOCUS}' : '{LINK}'"},
                    "tooltip": {"field": "tip"},
                },
            },
        },
        {
            "name": "nodes",
            "type": "symbol",
            "from": {"data": "node-data"},
            "encode": {
                "enter": {
                    "fill": {"scale": "colour", "field": "colour"},
                    "stroke": {"value": "white"},
                    "strokeWidth": {"value": 1.5},
                    "size": {"signal": "PI * datum.r * datum.r"},
                    "tooltip": {"field": "tip"},
                    "description": {"field": "label"},
                },
                "update": {
                    "x": {"signal": x},
                    "y": {"signal": y},
                    "href": {"signal": "moved ? null : datum.href"},
                    "cursor": {"signal": "datum.href ? 'pointer' : 'grab'"},
                },
            },
        },
        {
            "name": "names",
            "type": "text",
            # placed over the drawn nodes by Vega's label transform: a name that would overlap
            # another name or a node is not drawn (it shows on hover and in the table)
            "from": {"data": "nodes"},
            "interactive": False,  # the node beneath stays within reach of the pointer
            "encode": {
                "enter": {
                    "fontSize": {"value": 10},
                    "limit": {"value": 150},
                    "fill": {"value": "#222222"},
                },
                "update": {
                    "text": {
                        "signal": "datum.datum.named || frame[0] >= 1.5 ? datum.datum.label : ''"
                    },
                },
            },
            "transform": [
                {
                    "type": "label",
                    "size": {"signal": "[width, height]"},
                    "anchor": ["right", "left", "top", "bottom"],
                    "offset": [2],
                }
            ],
        },
    ]
