"""Coverage per group, team and member, daily progress and the finish date, checked against the DB."""

from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from survey_app.clock import local_today
from survey_app.collection.models import (
    Household,
    HouseholdStatus,
    Person,
    ReviewStatus,
    Submission,
    Visit,
    VisitOutcome,
)
from survey_app.dashboard import queries
from survey_app.dashboard.indicators import refresh_person_indicators
from survey_app.demo.generator import DemoConfig, generate
from survey_app.extensions import db
from survey_app.wards.models import ResidentialGroup
from tests.conftest import login
from tests.dashboard.helpers import SKILLED, interview, visit
from tests.factories import make_household

LATE = datetime(2025, 8, 5, 18, 30, tzinfo=timezone.utc)  # 01:30 on 6 August in Hải Phòng


def _field_work(world):
    interview(world.hh_a1, [SKILLED, SKILLED], surveyor=world.surveyor_1, gps=(20.84, 106.68))
    visit(make_household(world.group_a1, "Số 2", "Hộ từ chối"), VisitOutcome.REFUSED, surveyor=world.surveyor_1)
    visit(make_household(world.group_a1, "Số 4", "Hộ chuyển đi"), VisitOutcome.MOVED, surveyor=world.surveyor_1, when=LATE)
    make_household(world.group_a1, "Số 6", "Hộ chưa đến")
    visit(world.hh_a2, VisitOutcome.NOBODY_HOME, surveyor=world.surveyor_2, gps=(20.85, 106.69))
    db.session.commit()


def test_coverage_by_group_team_and_member(client, world):
    _field_work(world)
    login(client, "admin_a")
    data = client.get(f"/api/dashboard/wards/{world.ward_a.id}/coverage/groups").get_json()
    a1, a2 = data["groups"]
    assert {
        k: a1[k]
        for k in (
            "code",
            "expected",
            "listed",
            "visited",
            "interviewed",
            "revisit",
            "refused",
            "moved",
            "not_visited",
            "people",
            "remaining",
            "css",
            "team_number",
        )
    } == {
        "code": "TDP01",
        "expected": 120,
        "listed": 4,
        "visited": 3,
        "interviewed": 1,
        "revisit": 0,
        "refused": 1,
        "moved": 1,
        "not_visited": 1,
        "people": 2,
        "remaining": 117,
        "css": "coverage-low",
        "team_number": 1,
    }
    assert a1["share"] == 1 / 120
    assert (a2["visited"], a2["revisit"], a2["interviewed"], a2["css"], a2["remaining"]) == (1, 1, 0, "coverage-0", 80)
    assert {k: data["totals"][k] for k in ("expected", "visited", "interviewed", "people")} == {
        "expected": 200,
        "visited": 4,
        "interviewed": 1,
        "people": 2,
    }

    teams = client.get(f"/api/dashboard/wards/{world.ward_a.id}/coverage/teams").get_json()["teams"]
    assert [(t["number"], t["members"], t["group_codes"], t["interviewed"], t["refused"]) for t in teams] == [
        (1, 2, ["TDP01"], 1, 1),
        (2, 1, ["TDP02"], 0, 0),
    ]

    members = {m["id"]: m for m in client.get(f"/api/dashboard/wards/{world.ward_a.id}/coverage/members").get_json()["members"]}
    assert {k: members[world.surveyor_1.id][k] for k in ("visits", "interviewed", "refused", "moved", "people")} == {
        "visits": 3,
        "interviewed": 1,
        "refused": 1,
        "moved": 1,
        "people": 2,
    }
    assert members[world.surveyor_2.id]["nobody_home"] == 1 and members[world.leader_1.id]["visits"] == 0


def test_daily_progress_uses_local_days_and_estimates_the_finish(client, world):
    _field_work(world)
    login(client, "admin_a")
    data = client.get(f"/api/dashboard/wards/{world.ward_a.id}/progress").get_json()
    assert data["days"] == [
        {"day": "2025-08-05", "visits": 3, "interviews": 1},
        {"day": "2025-08-06", "visits": 1, "interviews": 0},
    ]
    assert (data["pace"], data["pace_days"], data["remaining"]) == (1.0, 1, 197)
    assert data["finish"] == (local_today() + timedelta(days=197)).isoformat()


def test_pace_is_the_average_of_the_last_seven_active_days(world):
    start = datetime(2025, 8, 1, 3, 0, tzinfo=timezone.utc)
    for day in range(9):  # 9 active days; day d has d + 1 interviews
        for n in range(day + 1):
            household = make_household(world.group_a1, f"Số {day}-{n}", "Chủ hộ", members=1)
            visit(household, VisitOutcome.INTERVIEWED, when=start + timedelta(days=day))
    progress = queries.daily_progress(world.admin_a, world.ward_a.id, remaining=60)
    assert progress["pace"] == sum(range(3, 10)) / 7 and progress["pace_days"] == 7
    assert progress["finish"] == local_today() + timedelta(days=10)


def test_map_points_are_the_latest_gps_of_each_household(client, world):
    _field_work(world)
    visit(world.hh_a2, VisitOutcome.NOBODY_HOME, gps=(20.86, 106.7), when=LATE)
    db.session.commit()
    login(client, "admin_a")
    data = client.get(f"/api/dashboard/wards/{world.ward_a.id}/map/households").get_json()
    assert sorted(zip(data["lat"], data["lon"], data["status"])) == [(20.84, 106.68, "done"), (20.86, 106.7, "revisit")]


def members_in_counted_submissions(group_id: int) -> int:
    """People interviewed, from the raw answers: members of the submissions not rejected."""
    return sum(
        len(s.answers["members"])
        for s in db.session.execute(
            sa.select(Submission).where(
                Submission.residential_group_id == group_id, Submission.review_status != ReviewStatus.REJECTED
            )
        ).scalars()
    )


def test_demo_ward_coverage_matches_the_database(client):
    ctx = generate(DemoConfig(groups=5, households=150, survey_teams=2, standing_teams=1))
    rejected = db.session.execute(sa.select(Submission).where(Submission.ward_id == ctx.ward.id)).scalars().first()
    rejected.review(ReviewStatus.REJECTED, reviewer_id=None)
    refresh_person_indicators(rejected)
    db.session.commit()
    login(client, "canbo", "demo1234")
    groups = client.get(f"/api/dashboard/wards/{ctx.ward.id}/coverage/groups").get_json()["groups"]
    assert len(groups) == 5
    for group in groups:

        def count(model, *where, group=group):
            return db.session.scalar(
                sa.select(sa.func.count()).select_from(model).where(model.residential_group_id == group["id"], *where)
            )

        assert group["listed"] == count(Household)
        assert group["interviewed"] == count(Household, Household.status == HouseholdStatus.DONE)
        assert group["revisit"] == count(Household, Household.status == HouseholdStatus.REVISIT)
        assert group["refused"] == count(Household, Household.status == HouseholdStatus.REFUSED)
        assert group["people"] == members_in_counted_submissions(group["id"])
        assert group["visited"] == db.session.scalar(
            sa.select(sa.func.count(sa.distinct(Visit.household_id))).where(Visit.residential_group_id == group["id"])
        )
        assert group["expected"] == db.session.get(ResidentialGroup, group["id"]).expected_households
    assert sum(g["interviewed"] for g in groups) > 0
    linked = db.session.scalar(
        sa.select(sa.func.count()).select_from(Person).where(Person.ward_id == ctx.ward.id, Person.submission_id.is_not(None))
    )
    assert sum(g["people"] for g in groups) == linked - len(rejected.answers["members"])
