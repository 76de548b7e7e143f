"""Checks on residential group boundaries (GeoJSON), enough to warn about bad ones."""

from __future__ import annotations

from itertools import combinations

Ring = list[tuple[float, float]]
EPSILON = 1e-12


def polygons_of(geometry) -> list[list[Ring]] | None:
    """The polygons (outer ring first) of a GeoJSON Polygon or MultiPolygon; None if not valid."""
    if not isinstance(geometry, dict):
        return None
    kind, coordinates = geometry.get("type"), geometry.get("coordinates")
    candidates = [coordinates] if kind == "Polygon" else coordinates if kind == "MultiPolygon" else None
    if not isinstance(candidates, list) or not candidates:
        return None
    polygons = []
    for polygon in candidates:
        if not isinstance(polygon, list) or not polygon:
            return None
        rings = []
        for ring in polygon:
            points = _ring(ring)
            if points is None:
                return None
            rings.append(points)
        polygons.append(rings)
    return polygons


def _ring(ring) -> Ring | None:
    if not isinstance(ring, list) or len(ring) < 4:
        return None
    points = []
    for point in ring:
        if not (
            isinstance(point, list | tuple)
            and len(point) >= 2
            and all(isinstance(v, int | float) and not isinstance(v, bool) for v in point[:2])
        ):
            return None
        lon, lat = float(point[0]), float(point[1])
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            return None
        points.append((lon, lat))
    return points


def _bbox(polygons) -> tuple[float, float, float, float]:
    xs = [x for rings in polygons for x, _ in rings[0]]
    ys = [y for rings in polygons for _, y in rings[0]]
    return min(xs), min(ys), max(xs), max(ys)


def _cross(o, a, b) -> float:
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def _edges(ring: Ring):
    return zip(ring, ring[1:])


def _proper_crossing(p1, p2, q1, q2) -> bool:
    """Segments cross at one interior point of both (touching or running along is not a crossing)."""
    d1, d2 = _cross(q1, q2, p1), _cross(q1, q2, p2)
    d3, d4 = _cross(p1, p2, q1), _cross(p1, p2, q2)
    return ((d1 > EPSILON and d2 < -EPSILON) or (d1 < -EPSILON and d2 > EPSILON)) and (
        (d3 > EPSILON and d4 < -EPSILON) or (d3 < -EPSILON and d4 > EPSILON)
    )


def _on_segment(point, a, b) -> bool:
    if abs(_cross(a, b, point)) > EPSILON:
        return False
    return (
        min(a[0], b[0]) - EPSILON <= point[0] <= max(a[0], b[0]) + EPSILON
        and min(a[1], b[1]) - EPSILON <= point[1] <= max(a[1], b[1]) + EPSILON
    )


def _strictly_inside(point, rings: list[Ring]) -> bool:
    """Inside the outer ring and outside its holes, not on any edge (ray casting)."""
    for ring in rings:
        if any(_on_segment(point, a, b) for a, b in _edges(ring)):
            return False
    return _in_ring(point, rings[0]) and not any(_in_ring(point, hole) for hole in rings[1:])


def _in_ring(point, ring: Ring) -> bool:
    x, y = point
    inside = False
    for (x1, y1), (x2, y2) in _edges(ring):
        if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / (y2 - y1) + x1:
            inside = not inside
    return inside


def _sample_points(rings: list[Ring]):
    """Vertices of the outer ring and its vertex average (an inside point for convex shapes)."""
    outer = rings[0][:-1] or rings[0]
    yield from outer
    yield (sum(x for x, _ in outer) / len(outer), sum(y for _, y in outer) / len(outer))


def _polygons_overlap(a: list[Ring], b: list[Ring]) -> bool:
    for p1, p2 in _edges(a[0]):
        for q1, q2 in _edges(b[0]):
            if _proper_crossing(p1, p2, q1, q2):
                return True
    return any(_strictly_inside(p, b) for p in _sample_points(a)) or any(_strictly_inside(p, a) for p in _sample_points(b))


def overlapping_pairs(shapes: dict) -> list[tuple]:
    """Pairs of keys whose polygons overlap (sharing an edge or a corner is not overlapping)."""
    boxes = {key: _bbox(polygons) for key, polygons in shapes.items()}
    found = []
    for (ka, pa), (kb, pb) in combinations(shapes.items(), 2):
        ax0, ay0, ax1, ay1 = boxes[ka]
        bx0, by0, bx1, by1 = boxes[kb]
        if ax1 <= bx0 or bx1 <= ax0 or ay1 <= by0 or by1 <= ay0:
            continue
        if any(_polygons_overlap(x, y) for x in pa for y in pb):
            found.append((ka, kb))
    return found
