"""Data-quality checks (collection/quality.py) on crafted submissions: each flag raised where it should
be and nowhere else, thresholds applied as the ward sets them, shown in review and per surveyor."""

import hashlib
import json
import uuid
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from survey_app.audit.models import AuditEvent
from survey_app.collection import quality
from survey_app.collection.models import ReviewStatus, Submission
from survey_app.dashboard.tasks import derive_pending
from survey_app.extensions import db
from tests.collection.conftest import record
from tests.collection.test_review import admin_client
from tests.conftest import csrf_token
from tests.factories import make_household

T0 = datetime(2025, 8, 20, 2, 0, tzinfo=timezone.utc)
SKILLS = [f"s{n}_item" for n in range(1, 14)]  # 13, past the default of 12
#: A small square of about 220 m around (20.85, 106.68).
SQUARE = {
    "type": "Polygon",
    "coordinates": [[[106.679, 20.849], [106.681, 20.849], [106.681, 20.851], [106.679, 20.851], [106.679, 20.849]]],
}


def craft(household, surveyor, start, minutes, members=1, skills=None, point=None, accuracy=None):
    member = {"b0_name": "An", "b1_birth_year": 1970, **(skills or {})}
    answers = {"a1_group": household.residential_group.code, "members": [member] * members}
    submission = Submission(
        ward_id=household.ward_id,
        uuid=str(uuid.uuid4()),
        form_id="household_survey",
        form_version="2025.1",
        surveyor_id=surveyor.id,
        survey_team_id=surveyor.survey_team_id,
        household_id=household.id,
        residential_group_id=household.residential_group_id,
        started_at=start,
        finished_at=start + timedelta(minutes=minutes),
        received_at=start + timedelta(minutes=minutes + 1),
        latitude=point[0] if point else None,
        longitude=point[1] if point else None,
        accuracy_m=accuracy,
        answers=answers,
        content_hash=hashlib.sha256(json.dumps(answers).encode()).hexdigest(),
    )
    db.session.add(submission)
    db.session.flush()
    return submission


def flags(submission):
    db.session.expire_all()
    return quality.flags_for(db.session.get(Submission, submission.id))


def test_each_check_flags_the_record_it_should(world):
    world.group_a1.boundary = SQUARE
    homes = [make_household(world.group_a1, f"Số {n}", f"Chủ hộ {n}", members=1) for n in range(6)]
    s1 = world.surveyor_1
    short = craft(homes[0], s1, T0, 5, members=2)  # 5 minutes for 2 members: under 3 + 2 × 2
    fine = craft(homes[1], s1, T0 + timedelta(hours=1), 25, point=(20.8500, 106.6800), accuracy=10)
    burst = craft(homes[2], s1, T0 + timedelta(hours=1, minutes=26), 20)
    far = craft(homes[3], s1, T0 + timedelta(hours=3), 30, point=(20.8600, 106.6800), accuracy=120)
    same = craft(homes[4], s1, T0 + timedelta(hours=5), 30, skills={k: "yes" for k in SKILLS})
    mixed = craft(homes[5], s1, T0 + timedelta(hours=7), 30, skills={**{k: "yes" for k in SKILLS}, "s3_item": "no"})
    again = craft(homes[5], world.surveyor_1, T0 + timedelta(hours=9), 30)  # the same household, interviewed again
    db.session.commit()
    assert quality.measure_ward(world.ward_a.id) == 7
    db.session.commit()
    assert flags(short) == ["short"]
    assert flags(fine) == []
    assert flags(far) == ["gps_far", "gps_poor"]  # about 1.0 km north of the square, ± 120 m
    assert flags(same) == ["straightline"]
    assert flags(mixed) == []
    assert flags(again) == ["twice"]
    assert flags(burst) == []  # started 1 minute after `fine` finished, 20 minutes long: a gap of 21 minutes
    quick = craft(homes[0], world.surveyor_2, T0 + timedelta(hours=11), 30)
    quicker = craft(homes[1], world.surveyor_2, T0 + timedelta(hours=11, minutes=2), 30)
    db.session.commit()
    quality.measure({homes[0].id, homes[1].id}, set())
    db.session.commit()
    assert "burst" in flags(quicker) and "burst" not in flags(quick)  # finished 2 minutes after the previous one
    check = db.session.get(quality.SubmissionCheck, far.id)
    assert 1000 < check.distance_m < 1200 and db.session.get(quality.SubmissionCheck, fine.id).distance_m == 0
    # Measuring again writes the same rows.
    before = (
        db.session.execute(sa.select(quality.SubmissionCheck).order_by(quality.SubmissionCheck.submission_id)).scalars().all()
    )
    snapshot = [(c.submission_id, c.duration_s, c.gap_s, c.distance_m, c.same_skill_items, c.repeat_of_id) for c in before]
    quality.measure_ward(world.ward_a.id)
    db.session.commit()
    after = db.session.execute(sa.select(quality.SubmissionCheck).order_by(quality.SubmissionCheck.submission_id)).scalars().all()
    assert [(c.submission_id, c.duration_s, c.gap_s, c.distance_m, c.same_skill_items, c.repeat_of_id) for c in after] == snapshot


def test_a_rejected_first_interview_does_not_make_the_second_a_repeat(world):
    home = make_household(world.group_a1, "Số 9", "Chủ hộ 9", members=1)
    first = craft(home, world.surveyor_1, T0, 30)
    first.review_status = ReviewStatus.REJECTED
    second = craft(home, world.surveyor_1, T0 + timedelta(days=1), 30)
    db.session.commit()
    quality.measure({home.id}, set())
    db.session.commit()
    assert flags(second) == [] and flags(first) == []


def test_thresholds_are_ward_settings_applied_at_once_and_audited(app, world, surveyor):
    home = make_household(world.group_a1, "Số 9", "Chủ hộ 9", members=1)
    short = craft(home, world.surveyor_1, T0, 5, members=2)
    db.session.commit()
    quality.measure_ward(world.ward_a.id)
    db.session.commit()
    admin = admin_client(app)
    page = admin.get("/review/quality").get_data(as_text=True)
    row = f'data-surveyor-id="{world.surveyor_1.id}"'
    assert row in page and f'data-submission-id="{short.id}"' in page
    detail = admin.get(f"/review/{short.id}").get_data(as_text=True)
    assert 'data-testid="quality-flags"' in detail and 'data-flag="short"' in detail
    values = {t.key: t.default for t in quality.THRESHOLDS}
    token = csrf_token(page)
    refused = admin.post("/review/quality/thresholds", data={**values, "min_minutes_base": "-1", "csrf_token": token})
    assert refused.status_code == 400
    assert (
        admin.post(
            "/review/quality/thresholds", data={**values, "min_minutes_base": 0, "min_minutes_per_member": 2, "csrf_token": token}
        ).status_code
        == 302
    )
    assert flags(short) == []  # 5 minutes ≥ 0 + 2 × 2: no re-derivation needed
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.action == "ward.quality_thresholds_changed")
        )
        == 1
    )
    # A team leader reads their team's flags; a surveyor and another ward's admin do not see them.
    assert f'data-submission-id="{short.id}"' not in admin_client(app, "admin_b").get("/review/quality").get_data(as_text=True)
    assert admin_client(app, "leader_1").get("/review/quality").status_code == 200
    assert admin_client(app, "surveyor_1").get("/review/quality").status_code == 403


def test_stored_records_are_measured_by_the_worker(app, surveyor, world):
    body = record(world.hh_a1.id, started_at="2025-08-20T02:11:00Z", finished_at="2025-08-20T02:13:00Z")
    submission_id = surveyor.post("/api/submissions", body).get_json()["submission_id"]
    assert db.session.get(quality.SubmissionCheck, submission_id) is None  # not on the write path
    derive_pending()
    db.session.commit()
    check = db.session.get(quality.SubmissionCheck, submission_id)
    assert check.duration_s == 120 and check.members == 2
    assert quality.flags_for(db.session.get(Submission, submission_id)) == ["short"]
