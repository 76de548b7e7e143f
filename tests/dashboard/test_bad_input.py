"""Bad input: the page still renders and says what is missing."""

from survey_app.accounts.models import Role
from survey_app.extensions import db
from tests.conftest import login
from tests.factories import make_user, make_ward


def square(west, south, size=0.01):
    ring = [[west, south], [west + size, south], [west + size, south + size], [west, south + size], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


def test_group_with_zero_expected_households(client, world):
    world.group_a2.expected_households = 0
    db.session.commit()
    login(client, "admin_a")
    client.get("/lang/en")
    html = client.get("/dashboard").get_data(as_text=True)
    assert "TDP02" in html and "Groups with no expected households" in html
    groups = client.get(f"/api/dashboard/wards/{world.ward_a.id}/coverage/groups").get_json()["groups"]
    assert [(g["code"], g["share"], g["css"]) for g in groups] == [("TDP01", 0.0, "coverage-0"), ("TDP02", None, "coverage-0")]


def test_no_boundaries_gives_a_schematic_grid(client, world):
    login(client, "admin_a")
    client.get("/lang/en")
    html = client.get("/dashboard").get_data(as_text=True)
    assert 'id="dashboard-map"' not in html and 'data-testid="schematic-grid"' in html
    assert 'class="cell coverage-0" data-group-code="TDP01"' in html
    assert "No group has a boundary" in html


def test_missing_invalid_and_overlapping_boundaries_are_named(client, world):
    from tests.factories import make_group

    world.group_a1.boundary = square(106.0, 20.0)
    world.group_a2.boundary = square(106.005, 20.005)  # overlaps TDP01
    make_group(world.ward_a, "TDP03").boundary = {"type": "Point", "coordinates": [106, 20]}
    make_group(world.ward_a, "TDP04")
    db.session.commit()
    login(client, "admin_a")
    client.get("/lang/en")
    html = client.get("/dashboard").get_data(as_text=True)
    assert 'id="dashboard-map"' in html
    assert "TDP01–TDP02" in html and "not a valid polygon" in html and "without a boundary" in html
    assert 'data-group-code="TDP03"' in html and 'data-group-code="TDP04"' in html  # in the grid
    data = client.get(f"/api/dashboard/wards/{world.ward_a.id}/map/groups").get_json()
    assert [f["properties"]["code"] for f in data["features"]] == ["TDP01", "TDP02"]
    assert (data["missing"], data["invalid"], data["overlaps"]) == (["TDP04"], ["TDP03"], [["TDP01", "TDP02"]])


def test_ward_with_no_data_yet(client, world):
    empty = make_ward(world.city, "E", "Phường Trống")
    make_user("admin_e", Role.WARD_ADMIN, ward=empty)
    db.session.commit()
    login(client, "admin_e")
    client.get("/lang/en")
    response = client.get("/dashboard")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "No residential groups to show yet." in html and "No interviewed household yet" in html
    for path in (
        "coverage/groups",
        "coverage/teams",
        "coverage/members",
        "progress",
        "indicators?by=vulnerable",
        "map/groups",
        "map/households",
    ):
        assert client.get(f"/api/dashboard/wards/{empty.id}/{path}").status_code == 200, path
    assert client.get(f"/api/dashboard/wards/{empty.id}/progress").get_json()["finish"] is None


def test_city_page_with_a_ward_without_answers(client, world):
    login(client, "city_viewer")
    client.get("/lang/en")
    html = client.get("/dashboard/city").get_data(as_text=True)
    assert html.count("No answers yet.") == 2


def test_unknown_breakdown_and_coverage_kind(client, world):
    login(client, "admin_a")
    response = client.get(f"/api/dashboard/wards/{world.ward_a.id}/indicators?by=shoe_size")
    assert response.status_code == 400 and "shoe_size" in response.get_json()["error"]["message"]
    assert client.get(f"/api/dashboard/wards/{world.ward_a.id}/coverage/planets").status_code == 404
    assert client.get("/api/dashboard/wards/abc/progress").status_code == 404
