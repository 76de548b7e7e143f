"""City roles read figures, not people: small cells suppressed, no names, free text or household points.

Ward staff see the exact figures; team leaders their team's households' GPS points and nothing of the
other teams' groups. The access matrix (test_access_matrix.test_no_personal_data_beyond_the_role) greps
every answer for planted personal data; the tests here hold the figures and each endpoint fixed.
"""

from __future__ import annotations

import re

import pytest

from survey_app import disclosure
from survey_app.accounts.models import Role, User
from survey_app.audit.models import AuditEvent
from survey_app.collection.models import Submission, VisitOutcome
from survey_app.extensions import db
from survey_app.planning.models import PlanClass, PlanLearner
from survey_app.planning.operations import generate_plan
from survey_app.planning.planner import PlanSettings
from tests.conftest import login
from tests.dashboard.helpers import OFFLINE, SKILLED, interview, visit
from tests.factories import make_household

CITY = ("city_viewer", "city_admin")


@pytest.fixture
def three(world):
    """Group TDP01 of ward A: one household of three interviewed adults, with a GPS point; TDP02: one adult."""
    world.group_a1.boundary = {
        "type": "Polygon",
        "coordinates": [[[106.68, 20.86], [106.69, 20.86], [106.69, 20.87], [106.68, 20.87], [106.68, 20.86]]],
    }
    household = make_household(world.group_a1, "Số 3, ngõ Ba", "Nguyễn Thị Ba", members=3)
    interview(household, [SKILLED, OFFLINE, SKILLED], surveyor=world.surveyor_1, gps=(20.861, 106.681))
    interview(world.hh_a2, [SKILLED], surveyor=world.surveyor_2, gps=(20.871, 106.691))
    db.session.commit()
    return world


def _json(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_json()


def _group(rows, code):
    return next(row for row in rows if row["code"] == code)


# ---------------------------------------------------------------- the suppression rule


def _viewer(role=Role.CITY_VIEWER):
    return User(username="v", full_name="v", role=role, active=True)


def test_zero_to_four_are_suppressed_for_city_roles_five_is_not():
    city, ward = _viewer(), _viewer(Role.WARD_ADMIN)
    assert [disclosure.suppress_small(n, city) for n in (0, 1, 4, 5, 120)] == [disclosure.SUPPRESSED] * 3 + [5, 120]
    assert [disclosure.suppress_small(n, ward) for n in (0, 1, 4)] == [0, 1, 4]
    assert str(disclosure.SUPPRESSED) == "<5"


def test_a_suppressed_part_cannot_be_recomputed_from_the_total():
    row = {"listed": 40, "done": 30, "refused": 2, "moved": 5, "revisit": 8}
    shown = disclosure.suppress_row(
        row, _viewer(), ("listed", "done", "refused", "moved", "revisit"), parts=("done", "refused", "moved", "revisit")
    )
    # refused (2) alone would be 40 - 30 - 5 - 8: the smallest other part (moved) goes with it.
    assert shown["refused"] is shown["moved"] is disclosure.SUPPRESSED
    assert (shown["listed"], shown["done"], shown["revisit"]) == (40, 30, 8)
    assert shown["suppressed"] == ["moved", "refused"]
    both = disclosure.suppress_row(
        {**row, "moved": 0},
        _viewer(),
        ("listed", "done", "refused", "moved", "revisit"),
        parts=("done", "refused", "moved", "revisit"),
    )
    assert both["refused"] is both["moved"] is disclosure.SUPPRESSED  # two hidden parts: neither is given back
    assert both["revisit"] == 8
    small = disclosure.suppress_row(
        {"listed": 3, "done": 3, "refused": 0}, _viewer(), ("listed", "done", "refused"), parts=("done", "refused")
    )
    assert small["refused"] is disclosure.SUPPRESSED  # "0 of <5 refused" would be about each household
    big = disclosure.suppress_row(
        {"listed": 40, "done": 40, "refused": 0}, _viewer(), ("listed", "done", "refused"), parts=("done", "refused")
    )
    assert big["refused"] is big["done"] is disclosure.SUPPRESSED  # "none refused" is about every household
    column = [{"people": 3, "suppressed": []}, {"people": 40}, {"people": 12}]
    column[0]["people"] = disclosure.SUPPRESSED
    disclosure.suppress_column(column, "people")
    assert column[2]["people"] is disclosure.SUPPRESSED and column[1]["people"] == 40


def test_a_share_is_hidden_when_few_have_it_or_few_lack_it():
    bucket = {
        "adults": 40,
        "proxy": 0,
        "households": 20,
        "indicators": {
            "few_have": {"n": 3, "of": 40, "share": 0.075},
            "few_lack": {"n": 38, "of": 40, "share": 0.95},
            "few_asked": {"n": 2, "of": 3, "share": 0.67},
            "plain": {"n": 20, "of": 40, "share": 0.5},
        },
    }
    shown = disclosure.suppress_bucket(bucket, _viewer())["indicators"]
    assert shown["few_have"]["share"] is shown["few_have"]["n"] is disclosure.SUPPRESSED
    assert shown["few_have"]["of"] == 40
    assert shown["few_lack"]["share"] is disclosure.SUPPRESSED
    assert shown["few_asked"]["of"] is disclosure.SUPPRESSED
    assert shown["plain"] == {"n": 20, "of": 40, "share": 0.5}
    assert disclosure.suppress_bucket(bucket, _viewer(Role.WARD_ADMIN)) is bucket


# ---------------------------------------------------------------- dashboard


@pytest.mark.parametrize("role", CITY)
def test_a_group_of_three_people_shows_fewer_than_five_to_city_roles(client, three, role):
    w = three
    login(client, role)
    data = _json(client, f"/api/dashboard/wards/{w.ward_a.id}/coverage/groups")
    group = _group(data["groups"], "TDP01")
    assert group["people"] is None and "people" in group["suppressed"]
    assert group["interviewed"] is None and group["share"] is None and group["expected"] == 120
    assert data["totals"]["people"] is None  # 4 people in the ward
    html = client.get(f"/dashboard/ward/{w.ward_a.id}/groups").get_data(as_text=True)
    row = re.search(r'<tr data-group-code="TDP01">.*?</tr>', html, re.S).group(0)
    assert '<td class="num" data-figure="people">&lt;5</td>' in row
    indicators = _json(client, f"/api/dashboard/wards/{w.ward_a.id}/indicators?by=group")["buckets"]
    assert all(bucket["adults"] is None for bucket in indicators)
    progress = _json(client, f"/api/dashboard/wards/{w.ward_a.id}/progress")  # 2 interviews on one day
    assert progress["days"][0]["interviews"] is None and progress["pace"] is None and progress["finish"] is None


def test_the_ward_admin_sees_the_exact_three(client, three):
    w = three
    login(client, "admin_a")
    group = _group(_json(client, f"/api/dashboard/wards/{w.ward_a.id}/coverage/groups")["groups"], "TDP01")
    assert group["people"] == 3 and "suppressed" not in group
    html = client.get(f"/dashboard/ward/{w.ward_a.id}/groups").get_data(as_text=True)
    row = re.search(r'<tr data-group-code="TDP01">.*?</tr>', html, re.S).group(0)
    assert '<td class="num" data-figure="people">3</td>' in row
    progress = _json(client, f"/api/dashboard/wards/{w.ward_a.id}/progress")
    assert progress["days"][0]["interviews"] == 2 and progress["pace"] == 2


def test_city_roll_up_suppresses_small_wards(client, three):
    login(client, "city_viewer")
    data = _json(client, "/api/dashboard/city")
    ward_a = next(row for row in data["wards"] if row["id"] == three.ward_a.id)
    assert ward_a["people"] is None and ward_a["indicators"]["adults"] is None and "people" in ward_a["suppressed"]
    assert "&lt;5" in client.get("/dashboard/city").get_data(as_text=True)


@pytest.mark.parametrize("role", CITY)
def test_city_roles_get_no_volunteer_figures_and_no_household_points(client, three, role):
    w = three
    login(client, role)
    base = f"/api/dashboard/wards/{w.ward_a.id}"
    assert client.get(f"{base}/coverage/members").status_code == 403
    assert client.get(f"{base}/map/households").status_code == 403
    refusal = db.session.query(AuditEvent).filter_by(action="access.denied").order_by(AuditEvent.id.desc()).first()
    assert refusal.detail == {"reason": "figures_only"}
    assert client.get(f"/dashboard/ward/{w.ward_a.id}/members").status_code == 403
    html = client.get(f"/dashboard/ward/{w.ward_a.id}").get_data(as_text=True)
    assert 'data-tab="members"' not in html and w.surveyor_1.full_name not in html
    assert 'data-households-url=""' in html and "/map/households" not in html
    assert "/households" not in html  # no link to a group's list of households
    features = _json(client, f"{base}/map/groups")["features"]
    assert all("lat" not in f["properties"] and "head_name" not in f["properties"] for f in features)
    for tab in ("groups", "teams", "indicators"):  # no names of people on the long-table pages either
        page = client.get(f"/dashboard/ward/{w.ward_a.id}/{tab}").get_data(as_text=True)
        assert w.surveyor_1.full_name not in page and "/households" not in page


def test_the_refusal_is_in_vietnamese(client, three):
    login(client, "city_viewer")
    response = client.get(f"/api/dashboard/wards/{three.ward_a.id}/map/households")
    assert response.status_code == 403
    assert response.get_json()["error"]["message"].startswith("Bạn không có quyền")
    assert "20.861" not in response.get_data(as_text=True)


def test_a_team_leader_gets_exact_points_of_their_teams_groups_only(app, client, three):
    w = three
    login(client, "leader_1")
    points = _json(client, f"/api/dashboard/wards/{w.ward_a.id}/map/households")
    assert (points["lat"], points["lon"]) == ([20.861], [106.681])  # TDP01 (team 1), not TDP02's 20.871
    groups = _json(client, f"/api/dashboard/wards/{w.ward_a.id}/map/groups")
    assert "TDP02" not in {f["properties"]["code"] for f in groups["features"]}
    client = app.test_client()
    login(client, "admin_a")
    assert sorted(_json(client, f"/api/dashboard/wards/{w.ward_a.id}/map/households")["lat"]) == [20.861, 20.871]


# ---------------------------------------------------------------- teams, wards, planning, support


def test_team_pages_name_nobody_to_city_roles(app, client, three):
    w = three
    visit(make_household(w.group_a1, "Số 8, ngõ Tám", "Hoàng Văn Tám"), VisitOutcome.NOBODY_HOME)
    w.surveyor_1.full_name, w.leader_1.full_name = "Tình nguyện viên Một", "Tổ trưởng Một"
    db.session.commit()
    login(client, "admin_a")
    assert "Hoàng Văn Tám" in client.get(f"/teams/{w.team_1.id}").get_data(as_text=True)
    client = app.test_client()
    login(client, "city_viewer")
    html = client.get(f"/teams/{w.team_1.id}").get_data(as_text=True)
    for text in ("Hoàng Văn Tám", "Số 8, ngõ Tám", "Tình nguyện viên Một", "Tổ trưởng Một"):
        assert text not in html
    assert 'data-testid="revisit-table"' not in html and "&lt;5" in html
    listing = client.get(f"/teams?ward={w.ward_a.id}").get_data(as_text=True)
    assert "Tổ trưởng Một" not in listing


def test_ward_pages_suppress_small_cells(app, client, three):
    w = three
    login(client, "city_viewer")
    group = _json(client, f"/api/groups/{w.group_a1.id}")
    assert group["listed_households"] is None and "listed" in group["suppressed"]
    assert "&lt;5" in client.get(f"/wards/{w.ward_a.id}").get_data(as_text=True)
    assert "&lt;5" in client.get("/city").get_data(as_text=True)
    client = app.test_client()
    login(client, "admin_a")
    assert _json(client, f"/api/groups/{w.group_a1.id}")["listed_households"] == 2


def test_planning_gives_city_roles_no_names(app, client, three):
    w = three
    plan = generate_plan(w.ward_a, PlanSettings(min_size=1), w.admin_a)
    lesson = PlanClass(
        ward_id=w.ward_a.id,
        plan_id=plan.id,
        module="m1",
        venue_group_id=w.group_a1.id,
        time_slot="weekend",
        level_band="L0-L1",
        session=1,
        trainer_name="Giảng viên Riêng",
    )
    db.session.add(lesson)
    db.session.flush()
    submission = db.session.query(Submission).filter_by(household_id=w.hh_a2.id).one()
    db.session.add(
        PlanLearner(
            ward_id=w.ward_a.id,
            plan_id=plan.id,
            plan_class_id=lesson.id,
            module="m1",
            submission_id=submission.id,
            line_no=1,
            residential_group_id=w.group_a2.id,
            full_name="Học viên Riêng",
            level="L0",
        )
    )
    db.session.commit()
    login(client, "city_viewer")
    assert client.get(f"/plan/classes/{lesson.id}").status_code == 403
    assert client.get(f"/plans/{plan.id}/groups/{w.group_a1.id}").status_code == 403
    html = client.get(f"/wards/{w.ward_a.id}/plan").get_data(as_text=True)
    assert "Giảng viên Riêng" not in html and "Học viên Riêng" not in html and "&lt;5" in html
    client = app.test_client()
    login(client, "admin_a")
    assert "Học viên Riêng" in client.get(f"/plan/classes/{lesson.id}").get_data(as_text=True)


def test_support_figures_suppress_small_cells(app, client, three):
    from tests.exports.data import field_work

    w = three
    field_work(w)  # one support event in ward A, with free text
    login(client, "city_viewer")
    data = _json(client, f"/api/support/figures?ward_id={w.ward_a.id}")
    assert data["totals"]["people"] is None and data["totals"]["events"] is None
    assert "+84 912 345 678" not in str(data)
    assert "&lt;5" in client.get(f"/support/wards/{w.ward_a.id}").get_data(as_text=True)
    client = app.test_client()
    login(client, "admin_a")
    assert _json(client, "/api/support/figures")["totals"]["events"] == 1
