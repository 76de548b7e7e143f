"""Boundary checks: valid shapes, and overlaps that are not mere shared edges."""

from survey_app.dashboard.geometry import overlapping_pairs, polygons_of
from tests.dashboard.test_bad_input import square


def shapes(**geometries):
    return {code: polygons_of(geometry) for code, geometry in geometries.items()}


def test_valid_and_invalid_geometries():
    assert polygons_of(square(106, 20)) is not None
    multi = {"type": "MultiPolygon", "coordinates": [square(106, 20)["coordinates"], square(107, 20)["coordinates"]]}
    assert len(polygons_of(multi)) == 2
    for bad in (
        None,
        {},
        {"type": "Point", "coordinates": [106, 20]},
        {"type": "Polygon", "coordinates": []},
        {"type": "Polygon", "coordinates": [[[106, 20], [107, 20], [106, 20]]]},
        {"type": "Polygon", "coordinates": [[[106, 20], ["x", 20], [107, 21], [106, 20]]]},
        {"type": "Polygon", "coordinates": [[[500, 20], [501, 20], [501, 21], [500, 20]]]},
    ):
        assert polygons_of(bad) is None, bad


def test_neighbours_sharing_an_edge_or_a_corner_do_not_overlap():
    grid = shapes(a=square(106, 20), b=square(106.01, 20), c=square(106.01, 20.01), d=square(106, 20.01))
    assert overlapping_pairs(grid) == []


def test_overlaps_found():
    found = shapes(
        base=square(106, 20),
        same=square(106, 20),
        inner=square(106.002, 20.002, 0.005),
        crossing=square(106.008, 20.003),
        far=square(107, 21),
    )
    assert {frozenset(pair) for pair in overlapping_pairs(found)} == {
        frozenset(pair)
        for pair in (("base", "crossing"), ("base", "inner"), ("base", "same"), ("inner", "same"), ("same", "crossing"))
    }
