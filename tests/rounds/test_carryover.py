"""Dependent interviewing (issue 18, item 1): from round 2 on, the household listing sends the phone the
stable answers of each household's last accepted interview (collection/carryover.py), never the skills,
the digital services or the learning needs the round measures, and only for the households the user sees."""

from __future__ import annotations

from datetime import date, datetime, timezone

import sqlalchemy as sa

from survey_app.clock import local_today
from survey_app.collection.carryover import CARRIED_FORWARD
from survey_app.collection.models import Person, ReviewStatus
from survey_app.extensions import db
from survey_app.rounds.operations import start_round
from survey_app.teams import operations as teams
from tests.collection.conftest import ApiClient, form_a, surveyor  # noqa: F401  (fixtures)
from tests.exports.data import interview, member
from tests.factories import make_household

FIRST = datetime(2025, 8, 12, 2, 30, tzinfo=timezone.utc)
#: What the round measures: never carried forward.
MEASURED = ("b0_respondent", "b6_", "b7_", "b8_", "s", "v", "l")


def listing(client, group) -> dict:
    body = client.get(f"/api/phone/groups/{group.id}/households").get_json()
    return {h["id"]: h for h in body["households"]}


def second_round(world):
    world.ward_a.survey_starts_on, world.ward_a.survey_ends_on = date(2025, 8, 1), date(2025, 9, 30)
    start_round(world.ward_a, name="Đợt 2", starts_on=date(2026, 3, 1), ends_on=None, user=world.admin_a)
    db.session.commit()


def test_the_rule_keeps_the_measured_items_out():
    for prefix in (*CARRIED_FORWARD["household"], *CARRIED_FORWARD["members"]):
        assert not prefix.startswith(MEASURED)


def test_round_two_sends_last_rounds_stable_answers_and_nothing_measured(world, surveyor):  # noqa: F811
    hh = world.hh_a1
    an, second = db.session.scalars(sa.select(Person).where(Person.household_id == hh.id).order_by(Person.line_no))
    interview(
        hh,
        world.surveyor_1,
        [
            member("Nguyễn Văn An", 1971, b3_occupation="retired", b4_walking="a_lot", b5_vulnerable=["lives_alone"]),
            member("Thành viên 2", 1972, b2_sex="female", b3_occupation="homemaker"),
        ],
        when=FIRST,
    )
    db.session.commit()

    # Round 1: the listing is what it always was, nothing of the interview in it.
    assert all("last" not in h for h in listing(surveyor, world.group_a1).values())

    second_round(world)
    last = listing(surveyor, world.group_a1)[hh.id]["last"]
    assert last["interviewed_on"] == "2025-08-12"
    assert last["household"] == {
        "a4_phone": "0912345678",
        "a5_members": 2,
        "a9_poor": "no",
        "a10_home_support": "no",
    }  # the group, the address and the head's name come from the listing itself; home access is measured
    difficulties = {f"b4_{d}": "none" for d in ("seeing", "hearing", "walking", "remembering", "selfcare", "communicating")}
    assert last["members"] == {
        str(an.id): {**difficulties, "b4_walking": "a_lot", "b3_occupation": "retired", "b5_vulnerable": ["lives_alone"]},
        str(second.id): {**difficulties, "b3_occupation": "homemaker", "b5_vulnerable": ["none"]},
    }
    sent = [name for profile in last["members"].values() for name in profile]
    assert not [name for name in sent if name.startswith(MEASURED) or name in ("b0_name", "b1_birth_year", "b2_sex")]

    # A member who has since moved away is not sent.
    second.left_reason = "moved"
    db.session.commit()
    assert list(listing(surveyor, world.group_a1)[hh.id]["last"]["members"]) == [str(an.id)]


def test_a_rejected_or_current_round_interview_is_no_starting_point(world, surveyor):  # noqa: F811
    hh = world.hh_a1
    first = interview(hh, world.surveyor_1, [member("Nguyễn Văn An", 1971)], when=FIRST)
    db.session.commit()
    second_round(world)
    first.review_status = ReviewStatus.REJECTED
    db.session.commit()
    assert "last" not in listing(surveyor, world.group_a1)[hh.id]
    first.review_status = ReviewStatus.APPROVED
    # this round's own interview (March 2026) is not "last round": the starting point stays round 1's
    interview(
        hh,
        world.surveyor_1,
        [member("Nguyễn Văn An", 1971, b3_occupation="retired")],
        when=datetime(2026, 3, 5, 2, tzinfo=timezone.utc),
    )
    db.session.commit()
    last = listing(surveyor, world.group_a1)[hh.id]["last"]
    assert last["interviewed_on"] == "2025-08-12"
    assert [p["b3_occupation"] for p in last["members"].values()] == ["civil_servant"]


def test_only_the_households_of_the_users_share_are_sent(app, world, form_a):  # noqa: F811
    group = world.group_a1
    mine = make_household(group, "Số 1, ngõ 3", "Chủ hộ Một", members=1)
    theirs = make_household(group, "Số 2, ngõ 3", "Chủ hộ Hai", members=1)
    mine.list_key, theirs.list_key = "list:1", "list:2"
    group.expected_households = 2
    db.session.flush()
    interview(mine, world.surveyor_1, [member("Chủ hộ Một", 1971)], when=FIRST)
    interview(theirs, world.surveyor_2, [member("Chủ hộ Hai", 1971)], when=FIRST)
    second_round(world)
    assert teams.split_group(group, [(world.team_1, 1, 1), (world.team_2, 2, 2)], local_today())
    db.session.commit()
    team_1 = listing(ApiClient(app.test_client(), "surveyor_1"), group)
    team_2 = listing(ApiClient(app.test_client(), "surveyor_2"), group)
    assert mine.id in team_1 and theirs.id not in team_1 and "last" in team_1[mine.id]
    assert theirs.id in team_2 and mine.id not in team_2 and "last" in team_2[theirs.id]
    assert "Chủ hộ Hai" not in str(team_1) and "Chủ hộ Một" not in str(team_2)
