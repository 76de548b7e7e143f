"""Plausible geography for the demo ward: an irregular ward outline split into residential groups
(a Voronoi split around jittered centres, clipped to the outline), and GPS points inside a group.

Coordinates are GeoJSON's (longitude, latitude). The split is done on a local flat projection (a
degree of longitude shrunk by the cosine of the latitude), fine over a ward.
"""

from __future__ import annotations

import math
import random

Point = tuple[float, float]


def outline(centre: Point, half_width: float, half_height: float, rng: random.Random, corners: int = 36) -> list[Point]:
    """A rounded, slightly irregular ward outline (a superellipse with a wobbling radius), closed."""
    phases = [rng.uniform(0, 2 * math.pi) for _ in range(3)]
    ring = []
    for i in range(corners):
        angle = 2 * math.pi * i / corners
        wobble = (
            1
            + 0.06 * math.sin(2 * angle + phases[0])
            + 0.04 * math.sin(3 * angle + phases[1])
            + 0.03 * math.sin(5 * angle + phases[2])
        )
        c, s = math.cos(angle), math.sin(angle)
        r = (abs(c) ** 4 + abs(s) ** 4) ** -0.25 * wobble  # a superellipse: nearly a rectangle, corners rounded
        ring.append((centre[0] + half_width * r * c, centre[1] + half_height * r * s))
    return [*ring, ring[0]]


def _clip(polygon: list[Point], site: Point, other: Point) -> list[Point]:
    """The part of `polygon` nearer to `site` than to `other` (Sutherland–Hodgman, one half-plane)."""
    mx, my = (site[0] + other[0]) / 2, (site[1] + other[1]) / 2
    dx, dy = other[0] - site[0], other[1] - site[1]
    inside = [(p[0] - mx) * dx + (p[1] - my) * dy <= 0 for p in polygon]
    kept = []
    for i, point in enumerate(polygon):
        nxt, nxt_in = polygon[(i + 1) % len(polygon)], inside[(i + 1) % len(polygon)]
        if inside[i]:
            kept.append(point)
        if inside[i] != nxt_in:
            a = (point[0] - mx) * dx + (point[1] - my) * dy
            b = (nxt[0] - mx) * dx + (nxt[1] - my) * dy
            t = a / (a - b)
            kept.append((point[0] + t * (nxt[0] - point[0]), point[1] + t * (nxt[1] - point[1])))
    return kept


def voronoi(sites: list[Point], ring: list[Point]) -> list[list[Point]]:
    """Each site's cell of the outline `ring` (closed rings, GeoJSON order), on a local flat projection."""
    lat0 = math.radians(sum(p[1] for p in ring) / len(ring))
    squeeze = math.cos(lat0)
    flat = lambda p: (p[0] * squeeze, p[1])  # noqa: E731
    back = lambda p: (p[0] / squeeze, p[1])  # noqa: E731
    area = [flat(p) for p in ring[:-1]]
    cells = []
    for i, site in enumerate(sites):
        cell = area
        for j, other in enumerate(sites):
            if j != i and cell:
                cell = _clip(cell, flat(site), flat(other))
        points = [tuple(round(v, 6) for v in back(p)) for p in cell]
        cells.append([*points, points[0]] if points else [])
    return cells


def inside(point: Point, ring: list[Point]) -> bool:
    """Even-odd crossing test (lon as x, lat as y)."""
    x, y = point
    crossed = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:]):
        if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / (y2 - y1) + x1:
            crossed = not crossed
    return crossed


def point_in(ring: list[Point], rng: random.Random) -> Point:
    """A random point inside a ring (rejection sampling in its bounding box)."""
    xs, ys = [p[0] for p in ring], [p[1] for p in ring]
    for _ in range(200):
        candidate = (rng.uniform(min(xs), max(xs)), rng.uniform(min(ys), max(ys)))
        if inside(candidate, ring):
            return candidate
    return (sum(xs[:-1]) / (len(xs) - 1), sum(ys[:-1]) / (len(ys) - 1))
