"""Hand-built interviews for dashboard tests: submissions, visits and linked members."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime, timezone

from survey_app.collection.models import Person, ReviewStatus, Submission, Visit, VisitOutcome
from survey_app.dashboard.indicators import refresh_person_indicators
from survey_app.extensions import db

WHEN = datetime(2025, 8, 5, 3, 0, tzinfo=timezone.utc)  # 10:00 in Hải Phòng

#: A member who does everything: level L5, the five essential skills.
SKILLED = {
    "b0_respondent": "self",
    "b2_sex": "female",
    "age": 30,
    "age_group": "25_39",
    "b6_phone": "smartphone",
    "b7_computer": "yes",
    "b8_internet": "daily",
    **{
        f"s{i}_{name}": "yes"
        for i, name in enumerate(
            [
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
            ],
            start=1,
        )
    },
    "v1_vneid": "level2",
    "v2_vneid_use": "self",
    "v3_public_services": "self",
    "v4_cashless": "yes",
    "v5_scam": "no",
    "v6_digital_signature": "yes",
    "l1_topics": ["m8"],
    **{f"b4_{d}": "none" for d in ("seeing", "hearing", "walking", "remembering", "selfcare", "communicating")},
}
#: A member who never used the Internet (L0), answered by proxy.
OFFLINE = {
    "b0_respondent": "proxy",
    "b2_sex": "male",
    "age": 80,
    "age_group": "75_plus",
    "b6_phone": "basic",
    "b7_computer": "no",
    "b8_internet": "never",
    "v1_vneid": "none",
    "v3_public_services": "in_person_only",
    "v4_cashless": "no",
    "v5_scam": "targeted",
    "v6_digital_signature": "no",
    "l1_topics": ["m1", "m2"],
    "b5_vulnerable": ["lives_alone"],
    **{f"b4_{d}": "none" for d in ("seeing", "hearing", "remembering", "selfcare", "communicating")},
    "b4_walking": "a_lot",
}
HOUSEHOLD = {"a6_internet": "yes", "a8_devices": ["smartphone", "smart_tv"], "a9_poor": "no", "a10_home_support": "no"}


def interview(
    household,
    members: list[dict],
    *,
    household_answers: dict | None = None,
    surveyor=None,
    when: datetime = WHEN,
    review: ReviewStatus = ReviewStatus.RECEIVED,
    version: str = "2025.1",
    gps: tuple[float, float] | None = None,
) -> Submission:
    """Record an interviewed visit with its submission, as the collection package does."""
    answers = {"a1_group": household.residential_group.code, **(household_answers or HOUSEHOLD), "members": members}
    submission = Submission(
        ward_id=household.ward_id,
        uuid=str(uuid.uuid4()),
        form_id="household_survey",
        form_version=version,
        surveyor_id=surveyor.id if surveyor else None,
        survey_team_id=surveyor.survey_team_id if surveyor else None,
        household_id=household.id,
        residential_group_id=household.residential_group_id,
        started_at=when,
        received_at=when,
        answers=answers,
        review_status=review,
        content_hash=hashlib.sha256(json.dumps(answers, sort_keys=True).encode()).hexdigest(),
    )
    db.session.add(submission)
    db.session.flush()
    visit(household, VisitOutcome.INTERVIEWED, surveyor=surveyor, when=when, gps=gps, submission=submission)
    people = db.session.query(Person).filter_by(household_id=household.id).order_by(Person.line_no).all()
    for person in people[: len(members)]:
        person.submission_id = submission.id
    refresh_person_indicators(submission)
    return submission


def visit(household, outcome: VisitOutcome, *, surveyor=None, when: datetime = WHEN, gps=None, submission=None):
    """One knock on the door; the household's status follows the outcome."""
    db.session.add(
        Visit(
            ward_id=household.ward_id,
            household_id=household.id,
            residential_group_id=household.residential_group_id,
            surveyor_id=surveyor.id if surveyor else None,
            survey_team_id=surveyor.survey_team_id if surveyor else None,
            outcome=outcome,
            visited_at=when,
            latitude=gps[0] if gps else None,
            longitude=gps[1] if gps else None,
            submission_id=submission.id if submission else None,
        )
    )
    household.apply_visit_outcome(outcome)
    db.session.flush()
