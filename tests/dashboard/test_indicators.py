"""Indicators computed on hand-built households, exact to the person."""

import sqlalchemy as sa

from survey_app.collection.models import ReviewStatus
from survey_app.dashboard.indicators import aggregate, rebuild_indicators, refresh_person_indicators
from survey_app.dashboard.models import PersonIndicator
from survey_app.extensions import db
from tests.dashboard.helpers import OFFLINE, SKILLED, interview
from tests.dashboard.test_raw_figures import assert_tallies_match
from tests.factories import make_household

#: An adult from an older form version: no b8 (so no level), no v6, no l1; the household has no a8.
OLD_FORM = {
    "b0_respondent": "self",
    "b2_sex": "female",
    "age": 45,
    "age_group": "40_59",
    "b6_phone": "smartphone",
    "b7_computer": "no",
    "v1_vneid": "level1",
    "v2_vneid_use": "needs_help",
    "v3_public_services": "helped",
    "v4_cashless": "yes",
    "v5_scam": "lost",
}


def _figures(world, by="total"):
    return dict(aggregate((PersonIndicator.ward_id == world.ward_a.id,), by))


def _share(bucket, key):
    item = bucket["indicators"][key]
    return item["n"], item["of"]


def _three_adults(world):
    interview(world.hh_a1, [SKILLED, OFFLINE], surveyor=world.surveyor_1)
    interview(
        world.hh_a2,
        [OLD_FORM],
        household_answers={"a6_internet": "no", "a9_poor": "no"},
        surveyor=world.surveyor_2,
        version="2024.9",
    )
    db.session.commit()


def test_hand_built_households_give_exact_figures(world):
    _three_adults(world)
    total = _figures(world)["total"]
    assert (total["adults"], total["proxy"], total["households"]) == (3, 1, 2)
    expected = {
        "level_0": (1, 2),
        "level_5": (1, 2),
        "level_4_plus": (1, 2),
        "level_1": (0, 2),
        "internet_user": (1, 2),
        "essential_five": (1, 3),
        "household_essential_five": (1, 2),
        "vneid_account": (2, 3),
        "vneid_level2": (1, 3),
        "public_services_self": (1, 3),
        "public_services_any": (2, 3),
        "cashless": (2, 3),
        "scam_exposed": (2, 3),
        "scam_lost": (1, 3),
        # answers about the household count once per household: 1 of the 2 has home Internet (2 of its 3 adults)
        "digital_signature": (1, 2),
        "smartphone": (2, 3),
        "computer_use": (1, 3),
        "home_internet": (1, 2),
        "device_smartphone": (1, 1),
        "device_smart_tv": (1, 1),
        "device_computer": (0, 1),
        "device_none": (0, 1),
        "wants_m1": (1, 2),
        "wants_m2": (1, 2),
        "wants_m8": (1, 2),
        "wants_none": (0, 2),
        "gap_m1": (1, 2),
        "gap_m2": (1, 2),
        "gap_m3": (1, 2),
        "gap_m4": (1, 2),
        "gap_m5": (1, 2),
        "gap_m6": (1, 2),
        "gap_m7": (0, 2),
        "gap_m8": (1, 2),
    }
    assert {key: _share(total, key) for key in expected} == expected
    assert total["indicators"]["vneid_level2"]["share"] == 1 / 3


def test_breakdowns_by_group_age_sex_and_vulnerability(world):
    _three_adults(world)
    by_group = _figures(world, "group")
    assert {key: bucket["adults"] for key, bucket in by_group.items()} == {world.group_a1.id: 2, world.group_a2.id: 1}
    assert _share(by_group[world.group_a2.id], "vneid_account") == (1, 1)
    by_age = _figures(world, "age_group")
    assert {key: bucket["adults"] for key, bucket in by_age.items()} == {"25_39": 1, "75_plus": 1, "40_59": 1}
    by_sex = _figures(world, "sex")
    assert (by_sex["female"]["adults"], by_sex["male"]["adults"]) == (2, 1)
    assert _share(by_sex["female"], "essential_five") == (1, 2)
    vulnerable = _figures(world, "vulnerable")
    assert {key: bucket["adults"] for key, bucket in vulnerable.items()} == {
        "disability": 1,
        "age_75_plus": 1,
        "lives_alone": 1,
        "poor_household": 0,
        "any": 1,
        "none": 2,
    }
    assert _share(vulnerable["any"], "level_0") == (1, 1)


def test_rejected_submissions_are_left_out_and_come_back_when_reopened(world):
    _three_adults(world)
    extra = make_household(world.group_a1, "Số 3, ngõ 5", "Đỗ Văn Em")
    submission = interview(extra, [SKILLED], review=ReviewStatus.REJECTED)
    db.session.commit()
    assert _figures(world)["total"]["adults"] == 3
    submission.review(ReviewStatus.HAS_ISSUES, world.admin_a.id)
    refresh_person_indicators(submission)
    assert _figures(world)["total"]["adults"] == 4
    submission.review(ReviewStatus.REJECTED, world.admin_a.id)
    refresh_person_indicators(submission)
    assert _figures(world)["total"]["adults"] == 3
    assert_tallies_match(world.ward_a.id)


def test_a_second_interview_replaces_the_first(world):
    _three_adults(world)
    from datetime import timedelta

    from tests.dashboard.helpers import WHEN

    interview(world.hh_a1, [OFFLINE], when=WHEN + timedelta(days=2))
    total = _figures(world)["total"]
    assert total["adults"] == 2 and _share(total, "vneid_level2") == (0, 2)
    assert_tallies_match(world.ward_a.id)


def test_the_table_equals_a_rebuild_from_the_raw_answers(world):
    _three_adults(world)
    extra = make_household(world.group_a2, "Số 8, ngõ 1", "Vũ Thị Giang")
    interview(extra, [SKILLED, SKILLED, OFFLINE], review=ReviewStatus.APPROVED)
    columns = [c for c in PersonIndicator.__table__.columns if c.name != "id"]

    def snapshot():
        return sorted(tuple(row) for row in db.session.execute(sa.select(*columns)).all())

    incremental = snapshot()
    assert rebuild_indicators(world.ward_a.id) == len(incremental) == 6
    assert snapshot() == incremental


def test_members_under_15_are_not_adults(world):
    child = {**SKILLED, "age": 12, "age_group": None}
    interview(world.hh_a1, [SKILLED, child])
    assert _figures(world)["total"]["adults"] == 1
