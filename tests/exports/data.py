"""Field work in the test world for the export tests: answers, visits, support events."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime, timedelta, timezone

from survey_app.collection.models import Household, HouseholdStatus, Person, Submission, Visit, VisitOutcome
from survey_app.dashboard.indicators import refresh_person_indicators
from survey_app.extensions import db
from survey_app.support.models import SupportEvent, SupportOutcome, SupportPlace, SupportType

WHEN = datetime(2025, 8, 12, 2, 30, tzinfo=timezone.utc)  # 09:30 in Hải Phòng
#: Typed by a surveyor into the address: must stay text in every file.
FORMULA_ADDRESS = '=HYPERLINK("http://evil.example","bấm vào")'


def member(name: str, birth_year: int, **answers) -> dict:
    """A member's answers following the questionnaire's skip rules (a daily Internet user)."""
    base = {
        "b0_name": name,
        "b0_respondent": "self",
        "b1_birth_year": birth_year,
        "age": 2025 - birth_year,
        "age_group": "40_59",
        "b2_sex": "male",
        "b3_occupation": "civil_servant",
        **{f"b4_{d}": "none" for d in ("seeing", "hearing", "walking", "remembering", "selfcare", "communicating")},
        "b5_vulnerable": ["none"],
        "b6_phone": "smartphone",
        "b7_computer": "yes",
        "b8_internet": "daily",
        **{
            key: "yes"
            for key in (
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
        },
        "v1_vneid": "level2",
        "v2_vneid_use": "self",
        "v3_public_services": "self",
        "v4_cashless": "yes",
        "v5_scam": "no",
        "v6_digital_signature": "no",
        "l1_topics": ["m8"],
        "l2_time": ["weekend"],
        "l3_place": "community_house",
        "l4_format": "class",
        "l5_tutor": "yes",
    }
    base.update(answers)
    return base


def interview(
    household: Household, surveyor, members: list[dict], *, address: str | None = None, when: datetime = WHEN
) -> Submission:
    """A household submission, its visit, the household done, the adults linked to their answers."""
    answers = {
        "a1_group": household.residential_group.code,
        "a2_address": address or household.address,
        "a3_head_name": household.head_name,
        "a4_phone": "0912345678",
        "a5_members": len(members),
        "a6_internet": "yes",
        "a7_connection": ["fibre_wifi", "mobile_data"],
        "a8_devices": ["smartphone", "smart_tv"],
        "a9_poor": "no",
        "a10_home_support": "no",
        "members": members,
    }
    submission = Submission(
        ward_id=household.ward_id,
        uuid=str(uuid.uuid4()),
        form_id="household_survey",
        form_version="2025.1",
        surveyor_id=surveyor.id,
        survey_team_id=surveyor.survey_team_id,
        household_id=household.id,
        residential_group_id=household.residential_group_id,
        started_at=when,
        finished_at=when + timedelta(minutes=9),
        received_at=when + timedelta(minutes=10),
        answers=answers,
        content_hash=hashlib.sha256(json.dumps(answers, sort_keys=True).encode()).hexdigest(),
    )
    db.session.add(submission)
    db.session.flush()
    db.session.add(
        Visit(
            ward_id=household.ward_id,
            household_id=household.id,
            residential_group_id=household.residential_group_id,
            surveyor_id=surveyor.id,
            survey_team_id=surveyor.survey_team_id,
            outcome=VisitOutcome.INTERVIEWED,
            visited_at=when,
            latitude=20.85,
            longitude=106.69,
            accuracy_m=8.5,
            submission_id=submission.id,
        )
    )
    household.status = HouseholdStatus.DONE
    people = db.session.query(Person).filter_by(household_id=household.id).order_by(Person.line_no).all()
    for index, person in enumerate(people[: len(members)]):
        person.submission_id, person.answer_index = submission.id, index
    refresh_person_indicators(submission)
    db.session.flush()
    return submission


def field_work(world) -> dict:
    """Interviews in both groups of ward A, a refusal in ward B, one support event; committed."""
    a1 = interview(
        world.hh_a1,
        world.surveyor_1,
        [member("Nguyễn Văn An", 1971), member("Thành viên 2", 1972, b2_sex="female", b8_internet="never")],
        address=FORMULA_ADDRESS,
    )
    a2 = interview(world.hh_a2, world.surveyor_2, [member("Trần Thị Bình", 1980, b2_sex="female")])
    db.session.add(
        Visit(
            ward_id=world.ward_b.id,
            household_id=world.hh_b1.id,
            residential_group_id=world.group_b1.id,
            outcome=VisitOutcome.REFUSED,
            visited_at=WHEN,
        )
    )
    kind = SupportType(ward_id=world.ward_a.id, code="vneid", name_vi="Cài đặt VNeID", name_en="Install VNeID")
    db.session.add(kind)
    db.session.flush()
    event = SupportEvent(
        ward_id=world.ward_a.id,
        uuid=str(uuid.uuid4()),
        volunteer_id=world.surveyor_1.id,
        survey_team_id=world.team_1.id,
        residential_group_id=world.group_a1.id,
        household_id=world.hh_a1.id,
        occurred_at=WHEN + timedelta(days=1),
        place=SupportPlace.HOME,
        outcome=SupportOutcome.DONE,
        minutes=25,
        other_text="+84 912 345 678 gọi lại",
    )
    event.types.append(kind)
    db.session.add(event)
    db.session.commit()
    return {"a1": a1, "a2": a2, "event": event}
