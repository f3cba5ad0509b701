"""Where a map's labels go, and from which zoom on each is shown, decided on the server.

A label sits beside its dot at one of eight anchors (right, left, above, below, then the
diagonals) and is shown once the map's scale (`mapScale`, pixels per radian of Mercator) reaches
its `scale`: the smallest scale from which, at every larger one, it overlaps no label placed
before it and no dot. Of the anchors that show it soonest, the one clear of route lines soonest
wins (a label over a line keeps a white halo). Labels are placed one by one, most important
first, so zooming in only ever adds labels. Because the rule is a number per label and not a
layout pass, the same picture comes out in the browser and in the server's renderer, which has
no canvas for Vega's own label transform. Text widths are estimated (no font metrics on the
server), on the wide side.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

FONT_SIZE = 11
CHAR_WIDTH = 6.4  # pixels per character of 11px sans-serif, a little over the average
LINE = FONT_SIZE + 2
DOT = 5.0  # half the side of the box a dot takes
GAP, DIAGONAL_GAP = 7.0, 5.0
ZOOM_STEP = 1.2  # scales are tried on a geometric grid of this ratio
# anchor: (dx, dy, align, baseline) of the text from its dot
ANCHORS = {
    "right": (GAP, 0.0, "left", "middle"),
    "left": (-GAP, 0.0, "right", "middle"),
    "top": (0.0, -GAP, "center", "bottom"),
    "bottom": (0.0, GAP, "center", "top"),
    "top-right": (DIAGONAL_GAP, -DIAGONAL_GAP, "left", "bottom"),
    "top-left": (-DIAGONAL_GAP, -DIAGONAL_GAP, "right", "bottom"),
    "bottom-right": (DIAGONAL_GAP, DIAGONAL_GAP, "left", "top"),
    "bottom-left": (-DIAGONAL_GAP, DIAGONAL_GAP, "right", "top"),
}
Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in pixels, relative to the dot


@dataclass(frozen=True)
class Label:
    anchor: str
    scale: float  # shown when mapScale >= scale


def projected(lon: float, lat: float) -> tuple[float, float]:
    """Mercator at scale 1: x east in radians, y down (as on the screen)."""
    lat = max(-85.0, min(85.0, lat))
    return math.radians(lon), -math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def text_box(text: str, anchor: str) -> Box:
    """The box the text takes at ANCHOR, relative to its dot."""
    dx, dy, align, baseline = ANCHORS[anchor]
    width = CHAR_WIDTH * len(text) + 2
    x0 = dx if align == "left" else dx - width if align == "right" else dx - width / 2
    y0 = dy if baseline == "top" else dy - LINE if baseline == "bottom" else dy - LINE / 2
    return (x0, y0, x0 + width, y0 + LINE)


def place_labels(
    dots: Sequence[tuple[str, float, float]],
    lines: Sequence[tuple[float, float, float, float]],
    scales: tuple[float, float],
) -> list[Label]:
    """A label for each dot (text, lon, lat), in order of importance, avoiding the LINES (lon1,
    lat1, lon2, lat2), for map scales from SCALES[0] to SCALES[1]."""
    low, high = scales
    grid = [low * ZOOM_STEP**i for i in range(int(math.log(high / low, ZOOM_STEP)) + 2)]
    points = [projected(lon, lat) for _, lon, lat in dots]
    segments = [(*projected(a, b), *projected(c, d)) for a, b, c, d in lines]
    middle = (min(p[0] for p in points) + max(p[0] for p in points)) / 2 if points else 0.0
    placed: list[_Obstacle] = []  # the labels placed so far
    labels = []
    for (text, _, _), point in zip(dots, points, strict=True):
        order = list(ANCHORS)
        if point[0] > middle:  # east of the middle: the text towards the middle first
            order[0], order[1] = order[1], order[0]
        boxes = {anchor: text_box(text, anchor) for anchor in order}
        reach = max(max(abs(v) for v in box) for box in boxes.values()) * 1.5
        near = _obstacles(point, points, segments, placed)
        solid = [o for o in near if o.kind != "line"]
        best = (len(grid), len(grid), order[0])
        for anchor in order:
            level = _first_free(point, boxes[anchor], reach, grid, solid)
            clear = _first_free(point, boxes[anchor], reach, grid, near)
            best = min(best, (level, clear, anchor), key=lambda b: (b[0], b[1]))
            if clear == 0:
                break
        level, _, anchor = best
        if level < len(grid):
            placed.append(_Obstacle("label", point, boxes[anchor], reach, level))
        labels.append(Label(anchor, round(grid[level], 1) if level < len(grid) else math.inf))
    return labels


@dataclass(frozen=True)
class _Obstacle:
    kind: str  # dot, line or label
    at: tuple[float, ...]  # the dot's or label's point, or the line's two ends (projected)
    box: Box = (-DOT, -DOT, DOT, DOT)  # around `at` in pixels (dots and labels)
    reach: float = DOT * 1.5  # pixels from `at` beyond which it takes nothing
    since: int = 0  # the first grid level it is drawn at
    distance: float = 0.0  # from the label's point, projected


def _obstacles(
    point: tuple[float, float],
    points: list[tuple[float, float]],
    segments: list[tuple[float, float, float, float]],
    placed: list[_Obstacle],
) -> list[_Obstacle]:
    """What could be in the way of a label at POINT, each with its distance from it."""
    found = [_Obstacle("dot", p, distance=math.dist(point, p)) for p in points]
    found += [_Obstacle("line", s, reach=3.0, distance=_to_segment(point, s)) for s in segments]
    found += [
        _Obstacle("label", o.at, o.box, o.reach, o.since, math.dist(point, o.at[:2]))
        for o in placed
    ]
    return found


def _first_free(
    point: tuple[float, float], box: Box, reach: float, grid: list[float], near: list[_Obstacle]
) -> int:
    """The first grid level from which BOX beside POINT is clear at every level above."""
    for level in range(len(grid) - 1, -1, -1):
        s = grid[level]
        x, y = point[0] * s, point[1] * s
        mine = (x + box[0], y + box[1], x + box[2], y + box[3])
        for o in near:
            if o.distance * s > reach + o.reach or o.since > level:
                continue  # too far to touch it at this scale, or not drawn yet
            if o.kind == "line":
                x1, y1, x2, y2 = o.at
                hit = _crosses(mine, (x1 * s, y1 * s, x2 * s, y2 * s))
            else:
                ox, oy = o.at[0] * s, o.at[1] * s
                hit = _overlap(mine, (ox + o.box[0], oy + o.box[1], ox + o.box[2], oy + o.box[3]))
            if hit:
                return level + 1
    return 0


def _to_segment(p: tuple[float, float], s: tuple[float, float, float, float]) -> float:
    ax, ay, bx, by = s
    dx, dy = bx - ax, by - ay
    length = dx * dx + dy * dy
    t = max(0.0, min(1.0, ((p[0] - ax) * dx + (p[1] - ay) * dy) / length)) if length else 0.0
    return math.hypot(p[0] - ax - t * dx, p[1] - ay - t * dy)


def _overlap(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _crosses(box: Box, segment: tuple[float, float, float, float]) -> bool:
    """Whether the segment passes through the box (Liang-Barsky clipping), lines 3 px wide."""
    x0, y0, x1, y1 = box[0] - 2, box[1] - 2, box[2] + 2, box[3] + 2
    ax, ay, bx, by = segment
    dx, dy = bx - ax, by - ay
    t0, t1 = 0.0, 1.0
    for p, q in ((-dx, ax - x0), (dx, x1 - ax), (-dy, ay - y0), (dy, y1 - ay)):
        if p == 0:
            if q < 0:
                return False
            continue
        t = q / p
        if p < 0:
            t0 = max(t0, t)
        else:
            t1 = min(t1, t)
        if t0 > t1:
            return False
    return True
