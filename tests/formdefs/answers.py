"""Answer sets used by the form engine's tests."""

from __future__ import annotations

import copy
from datetime import date

#: The day the test households were interviewed (the survey year is 2025).
TODAY = date(2025, 6, 15)

_SKILLS_ALL_YES = {
    f"s{i}_{name}": "yes"
    for i, name in enumerate(
        (
            "search",
            "verify",
            "videocall",
            "attach",
            "groups",
            "copy",
            "create",
            "spreadsheet",
            "code",
            "install",
            "connect",
            "shop",
            "learn",
            "security",
            "privacy",
        ),
        start=1,
    )
}

INTERNET_USER = {
    "b0_name": "Nguyễn Văn An",
    "b0_respondent": "self",
    "b1_birth_year": 1980,
    "age": 45,
    "age_group": "40_59",
    "b2_sex": "male",
    "b3_occupation": "civil_servant",
    "b4_seeing": "none",
    "b4_hearing": "none",
    "b4_walking": "some",
    "b4_remembering": "none",
    "b4_selfcare": "none",
    "b4_communicating": "none",
    "disability": "no",
    "b6_phone": "smartphone",
    "b7_computer": "yes",
    "b8_internet": "daily",
    **_SKILLS_ALL_YES,
    "s9_code": "no",
    "v1_vneid": "level2",
    "v2_vneid_use": "self",
    "v3_public_services": "self",
    "v4_cashless": "yes",
    "v5_scam": "targeted",
    "v6_digital_signature": "unknown",
    "l1_topics": ["m5", "m8"],
    "l2_time": ["weekday_evening", "weekend"],
    "l3_place": "community_house",
    "l4_format": "small_group",
    "l5_tutor": "yes",
}

NON_USER = {
    "b0_name": "Trần Thị Bình",
    "b0_respondent": "proxy",
    "b1_birth_year": 1950,
    "age": 75,
    "age_group": "75_plus",
    "b2_sex": "female",
    "b3_occupation": "retired",
    "b4_seeing": "a_lot",
    "b4_hearing": "some",
    "b4_walking": "cannot",
    "b4_remembering": "some",
    "b4_selfcare": "none",
    "b4_communicating": "none",
    "disability": "yes",
    "b5_vulnerable": ["lives_alone"],
    "b6_phone": "basic",
    "b7_computer": "no",
    "b8_internet": "never",
    "v1_vneid": "none",
    "v3_public_services": "in_person_only",
    "v4_cashless": "no",
    "v5_scam": "no",
    "l1_topics": ["m1"],
    "l2_time": ["weekday_morning"],
    "l3_place": "home",
    "l4_format": "one_to_one",
}

HOUSEHOLD = {
    "survey_year": 2025,
    "a1_group": "TDP07",
    "a2_address": "Số 12, ngõ 3, đường Lê Lợi",
    "a3_head_name": "Nguyễn Văn An",
    "a4_phone": "0912345678",
    "a5_members": 3,
    "a6_internet": "yes",
    "a7_connection": ["fibre_wifi", "mobile_data"],
    "a8_devices": ["smartphone", "smart_tv"],
    "a9_poor": "near_poor",
    "a10_home_support": "yes",
    "members": [INTERNET_USER, NON_USER],
}

SUPPORT_EVENT = {
    "occurred_at": "2025-06-15T09:30:00+07:00",
    "place": "community_house",
    "helped": "anonymous",
    "anon_age_group": "60_74",
    "anon_sex": "female",
    "support_types": ["vneid_install", "vneid_level2"],
    "outcome": "done",
    "minutes": 25,
}


def household(**changes) -> dict:
    """A fresh copy of the complete household, with household-level changes (None deletes)."""
    answers = copy.deepcopy(HOUSEHOLD)
    for key, value in changes.items():
        if value is None:
            answers.pop(key, None)
        else:
            answers[key] = value
    return answers


def with_member(index: int, **changes) -> dict:
    """The complete household with changes to one member (None deletes an answer)."""
    answers = household()
    member = answers["members"][index]
    for key, value in changes.items():
        if value is None:
            member.pop(key, None)
        else:
            member[key] = value
    return answers
