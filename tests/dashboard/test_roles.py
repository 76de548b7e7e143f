"""Who sees what: team leaders their team, ward staff their ward, city viewers every ward of their city."""

import pytest

from survey_app import disclosure
from survey_app.extensions import db
from tests.conftest import login
from tests.dashboard.helpers import OFFLINE, SKILLED, interview


@pytest.fixture
def answered(world):
    interview(world.hh_a1, [SKILLED], surveyor=world.surveyor_1)
    interview(world.hh_a2, [OFFLINE, OFFLINE], surveyor=world.surveyor_2)
    interview(world.hh_b1, [SKILLED])
    db.session.commit()
    return world


def test_team_leader_sees_only_their_teams_groups(client, answered):
    w = answered
    login(client, "leader_1")
    html = client.get("/dashboard").get_data(as_text=True)
    assert 'data-group-code="TDP01"' in html and 'data-group-code="TDP02"' not in html
    base = f"/api/dashboard/wards/{w.ward_a.id}"
    assert [g["code"] for g in client.get(f"{base}/coverage/groups").get_json()["groups"]] == ["TDP01"]
    assert [t["number"] for t in client.get(f"{base}/coverage/teams").get_json()["teams"]] == [1]
    assert {m["id"] for m in client.get(f"{base}/coverage/members").get_json()["members"]} == {w.leader_1.id, w.surveyor_1.id}
    total = client.get(f"{base}/indicators").get_json()["buckets"][0]
    assert total["adults"] == 1 and total["indicators"]["vneid_level2"]["n"] == 1
    assert client.get(f"/api/dashboard/wards/{w.ward_b.id}/coverage/groups").status_code == 403


def test_ward_staff_see_their_whole_ward_and_no_other(client, answered):
    w = answered
    login(client, "admin_a")
    html = client.get("/dashboard").get_data(as_text=True)
    assert 'data-group-code="TDP01"' in html and 'data-group-code="TDP02"' in html
    assert client.get(f"/api/dashboard/wards/{w.ward_a.id}/indicators").get_json()["buckets"][0]["adults"] == 3
    assert client.get(f"/dashboard/ward/{w.ward_b.id}").status_code == 403
    assert client.get(f"/api/dashboard/wards/{w.ward_b.id}/indicators").status_code == 403
    assert client.get("/dashboard/city").status_code == 403
    assert client.get("/api/dashboard/city").status_code == 403


def test_city_viewer_rolls_up_their_city_only(client, answered, monkeypatch):
    monkeypatch.setattr(disclosure, "THRESHOLD", 0)  # no suppression: the roll-up's sums; small cells: tests/hardening
    w = answered
    login(client, "city_viewer")
    assert client.get("/dashboard").headers["Location"].endswith("/dashboard/city")
    data = client.get("/api/dashboard/city").get_json()
    rows = {row["id"]: row for row in data["wards"]}
    assert set(rows) == {w.ward_a.id, w.ward_b.id}
    assert (rows[w.ward_a.id]["interviewed"], rows[w.ward_a.id]["people"], rows[w.ward_b.id]["interviewed"]) == (2, 3, 1)
    assert rows[w.ward_a.id]["indicators"]["adults"] == 3 and rows[w.ward_b.id]["indicators"]["adults"] == 1
    assert data["totals"]["interviewed"] == 3 and data["totals"]["indicators"]["indicators"]["vneid_level2"]["n"] == 2
    html = client.get("/dashboard/city").get_data(as_text=True)
    assert f"/dashboard/ward/{w.ward_a.id}" in html and w.ward_c.name not in html
    assert client.get(f"/dashboard/ward/{w.ward_a.id}").status_code == 200
    assert client.get(f"/dashboard/ward/{w.ward_c.id}").status_code == 403
    assert client.get(f"/api/dashboard/wards/{w.ward_c.id}/coverage/groups").status_code == 403


def test_surveyors_and_strangers_are_kept_out(client, world):
    assert client.get("/api/dashboard/city").status_code == 401
    assert client.get("/dashboard").status_code == 302
    login(client, "surveyor_1")
    assert client.get("/dashboard").status_code == 403
    assert client.get(f"/api/dashboard/wards/{world.ward_a.id}/coverage/groups").status_code == 403
