"""Hand-written answer sets and small wards for the planning tests."""

from __future__ import annotations

import hashlib
import uuid

from survey_app.accounts.models import Role
from survey_app.collection.models import Household, HouseholdStatus, Submission
from survey_app.extensions import db
from survey_app.teams.models import StandingTeam, StandingTeamKind, SurveyTeam
from tests.factories import make_team, make_user

SKILLS = (
    "s1_search",
    "s2_verify",
    "s3_videocall",
    "s4_attach",
    "s5_groups",
    "s6_copy",
    "s7_create",
    "s8_spreadsheet",
    "s9_code",
    "s10_install",
    "s11_connect",
    "s12_shop",
    "s13_learn",
    "s14_security",
    "s15_privacy",
)
DOMAINS = ("seeing", "hearing", "walking", "remembering", "selfcare", "communicating")


def expert(**changes) -> dict:
    """A member who does everything (L5, the five essential skills, no gap); `changes` override."""
    answers = {
        "b0_name": "Nguyễn Văn An",
        "b0_respondent": "self",
        "b1_birth_year": 1990,
        "age": 35,
        "age_group": "25_39",
        "b2_sex": "male",
        "b3_occupation": "civil_servant",
        **{f"b4_{d}": "none" for d in DOMAINS},
        "b5_vulnerable": ["none"],
        "b6_phone": "smartphone",
        "b7_computer": "yes",
        "b8_internet": "daily",
        **{s: "yes" for s in SKILLS},
        "v1_vneid": "level2",
        "v2_vneid_use": "self",
        "v3_public_services": "self",
        "v4_cashless": "yes",
        "v5_scam": "no",
        "v6_digital_signature": "yes",
        "l1_topics": ["none"],
        "l5_tutor": "no",
    }
    answers.update(changes)
    return {k: v for k, v in answers.items() if v is not None}


def skills(*done: str, **changes) -> dict:
    """An Internet user who did exactly the listed activities (others answered no)."""
    return expert(**{**{s: ("yes" if s in done else "no") for s in SKILLS}, **changes})


def offline(**changes) -> dict:
    """Has not used the Internet in 3 months: block S not asked (absent), nothing else done."""
    answers = expert(
        b8_internet="never",
        b6_phone="basic",
        b7_computer="no",
        v1_vneid="none",
        v2_vneid_use=None,
        v3_public_services="in_person_only",
        v4_cashless="no",
        **{s: None for s in SKILLS},
    )
    answers.update(changes)
    return {k: v for k, v in answers.items() if v is not None}


def learner(topics, times=("weekday_evening",), place="community_house", base=None, **changes) -> dict:
    """A member who asked for `topics`, with the follow-up questions l2-l4 answered."""
    answers = dict(base or offline())
    answers.update({"l1_topics": list(topics), "l2_time": list(times), "l3_place": place, "l4_format": "class"}, **changes)
    return answers


HOUSEHOLD = {
    "a2_address": "Số 1, đường Lê Lợi",
    "a3_head_name": "Nguyễn Văn An",
    "a5_members": 2,
    "a6_internet": "yes",
    "a7_connection": ["fibre_wifi"],
    "a8_devices": ["smartphone"],
    "a9_poor": "no",
    "a10_home_support": "no",
}


def add_household_answers(group, members: list[dict], **household) -> Submission:
    """An interviewed household of `group` whose submission holds these members."""
    home = Household(
        ward_id=group.ward_id, residential_group_id=group.id, address="Số 1", head_name="Chủ hộ", status=HouseholdStatus.DONE
    )
    db.session.add(home)
    db.session.flush()
    answers = {**HOUSEHOLD, "a1_group": group.code, **household, "members": members}
    submission = Submission(
        ward_id=group.ward_id,
        uuid=str(uuid.uuid4()),
        form_id="household_survey",
        form_version="2025.1",
        household_id=home.id,
        residential_group_id=group.id,
        answers=answers,
        content_hash=hashlib.sha256(repr(answers).encode()).hexdigest(),
    )
    db.session.add(submission)
    db.session.flush()
    return submission


def digital_team(ward, groups, members: int = 1, number: int = 9) -> list:
    """A community digital standing team with one survey team covering `groups`; its users."""
    standing = StandingTeam(
        ward_id=ward.id, number=number, name="Tổ công nghệ số cộng đồng", kind=StandingTeamKind.COMMUNITY_DIGITAL
    )
    db.session.add(standing)
    db.session.flush()
    team: SurveyTeam = make_team(ward, 100 + number, groups, standing)
    return [make_user(f"cnscd{number}_{i}", Role.SURVEYOR, ward=ward, team=team) for i in range(members)]
