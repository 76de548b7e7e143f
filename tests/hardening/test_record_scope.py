"""A client UUID names a record only inside its ward, and only its sender learns about it or corrects it.

A post to ward B (a surveyor's API or a group's self-survey link) with a UUID that exists in ward A
neither reads, changes nor "corrects" ward A's record, stored or quarantined; the same between the
teams of one ward.
"""

import re

import pytest
import sqlalchemy as sa

from survey_app.accounts.models import Role
from survey_app.audit.models import AuditEvent
from survey_app.collection.models import QuarantinedSubmission, QuarantineStatus, Submission, Visit
from survey_app.extensions import db
from survey_app.support.models import SupportEvent
from survey_app.support.operations import ensure_default_catalogue
from tests.collection.conftest import ApiClient, record
from tests.collection.forms import answers, publish_test_form
from tests.factories import make_user
from tests.support.conftest import support_record

B_TOKEN = "poster-token-for-group-b1-abcdefghijklmnop"


@pytest.fixture
def two_wards(app, world):
    publish_test_form(world.ward_a)
    publish_test_form(world.ward_b)
    make_user("surveyor_b", Role.SURVEYOR, ward=world.ward_b, team=world.team_b)
    world.group_b1.self_survey_token = B_TOKEN
    db.session.commit()
    return {name: ApiClient(app.test_client(), name) for name in ("surveyor_1", "surveyor_2", "surveyor_b")}


def _resident_of_b(app):
    client = app.test_client()
    page = client.get(f"/self/{B_TOKEN}").get_data(as_text=True)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)
    return lambda body: client.post(f"/api/self/{B_TOKEN}/submissions", json=body, headers={"X-CSRFToken": token})


def _snapshot(model, uuid_column, uuid):
    rows = db.session.execute(sa.select(model).where(uuid_column == uuid)).scalars().all()
    return sorted(
        (row.ward_id, row.id, row.content_hash, getattr(row, "status", None), repr(getattr(row, "payload", None))) for row in rows
    )


def _stored_in_a(phones, world, **overrides):
    body = record(world.hh_a1.id, **overrides)
    response = phones["surveyor_1"].post("/api/submissions", body)
    assert response.status_code in (201, 422), response.get_json()
    return body


def test_the_same_uuid_in_another_ward_is_another_record(two_wards, world):
    body = _stored_in_a(two_wards, world)
    before = _snapshot(Submission, Submission.uuid, body["uuid"])
    copy = record(world.hh_b1.id, uuid=body["uuid"], answers=answers(group_code="TDP01"))
    response = two_wards["surveyor_b"].post("/api/submissions", copy)
    receipt = response.get_json()
    assert response.status_code == 201 and receipt["result"] == "stored"
    rows = db.session.execute(sa.select(Submission).where(Submission.uuid == body["uuid"])).scalars().all()
    assert sorted(row.ward_id for row in rows) == sorted([world.ward_a.id, world.ward_b.id])
    a_row = next(row for row in rows if row.ward_id == world.ward_a.id)
    assert receipt["submission_id"] != a_row.id and receipt["household_id"] == world.hh_b1.id
    assert [r for r in _snapshot(Submission, Submission.uuid, body["uuid"]) if r[0] == world.ward_a.id] == before


def test_a_resend_of_ward_a_content_to_ward_b_learns_nothing_of_ward_a(two_wards, world):
    """The exact body ward A stored, sent to ward B: no "duplicate" receipt carrying ward A's ids."""
    body = _stored_in_a(two_wards, world)
    a_row = db.session.execute(sa.select(Submission).where(Submission.uuid == body["uuid"])).scalar_one()
    response = two_wards["surveyor_b"].post("/api/submissions", body)
    receipt = response.get_json()
    assert receipt["result"] != "duplicate"
    assert a_row.id not in (receipt.get("submission_id"), receipt.get("household_id"))
    assert receipt.get("household_id") != world.hh_a1.id


def test_ward_b_cannot_correct_ward_a_quarantined_record(two_wards, world):
    body = _stored_in_a(two_wards, world, answers=answers(a5_members=0))
    quarantined = db.session.execute(
        sa.select(QuarantinedSubmission).where(QuarantinedSubmission.uuid == body["uuid"])
    ).scalar_one()
    before = _snapshot(QuarantinedSubmission, QuarantinedSubmission.uuid, body["uuid"])
    fix = record(world.hh_b1.id, uuid=body["uuid"], answers=answers(a2_address="Đổi bởi phường B"))
    two_wards["surveyor_b"].post("/api/submissions", fix)
    db.session.expire_all()
    a_rows = [r for r in _snapshot(QuarantinedSubmission, QuarantinedSubmission.uuid, body["uuid"]) if r[0] == world.ward_a.id]
    assert a_rows == before
    assert db.session.get(QuarantinedSubmission, quarantined.id).status == QuarantineStatus.OPEN


def test_ward_b_self_survey_link_cannot_reach_ward_a_records(app, two_wards, world):
    stored = _stored_in_a(two_wards, world)
    quarantined = _stored_in_a(two_wards, world, answers=answers(a5_members=0))
    snapshot = (
        _snapshot(Submission, Submission.uuid, stored["uuid"]),
        _snapshot(QuarantinedSubmission, QuarantinedSubmission.uuid, quarantined["uuid"]),
    )
    send = _resident_of_b(app)
    for uuid in (stored["uuid"], quarantined["uuid"]):
        body = {
            "uuid": uuid,
            "form_id": stored["form_id"],
            "form_version": stored["form_version"],
            "answers": answers(group_code="TDP01"),
            "started_at": "2025-08-20T12:00:00+07:00",
            "finished_at": "2025-08-20T12:09:00+07:00",
        }
        response = send(body)
        assert response.status_code == 201, response.get_json()
    db.session.expire_all()
    in_a = (
        [r for r in _snapshot(Submission, Submission.uuid, stored["uuid"]) if r[0] == world.ward_a.id],
        [r for r in _snapshot(QuarantinedSubmission, QuarantinedSubmission.uuid, quarantined["uuid"]) if r[0] == world.ward_a.id],
    )
    assert in_a == snapshot
    online = db.session.execute(sa.select(Submission).where(Submission.ward_id == world.ward_b.id)).scalars().all()
    assert {row.uuid for row in online} == {stored["uuid"], quarantined["uuid"]}


def test_another_team_of_the_ward_gets_a_conflict_that_says_nothing(two_wards, world):
    body = _stored_in_a(two_wards, world)
    submission = db.session.execute(sa.select(Submission).where(Submission.uuid == body["uuid"])).scalar_one()
    visit = db.session.execute(sa.select(Visit).where(Visit.client_uuid == body["uuid"])).scalar_one()
    before = _snapshot(Submission, Submission.uuid, body["uuid"])
    same = dict(body, household_id=world.hh_a2.id, answers=answers(group_code="TDP02"))
    for attempt in (body, same):  # the exact copy, and a "correction" aimed at team 2's household
        response = two_wards["surveyor_2"].post("/api/submissions", attempt)
        receipt = response.get_json()
        assert response.status_code == 409 and receipt["result"] == "uuid_taken"
        assert not {"submission_id", "visit_id", "household_id", "household_client_uuid"} & set(receipt)
        assert "Nguyễn" not in response.get_data(as_text=True)
    assert _snapshot(Submission, Submission.uuid, body["uuid"]) == before
    assert db.session.get(Visit, visit.id).household_id == world.hh_a1.id
    refusals = db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "submission.refused")).scalars().all()
    assert refusals and all(event.detail.get("code") == "uuid_taken" for event in refusals)
    assert all("Nguyễn" not in repr(event.detail) for event in refusals)
    assert submission.id not in {event.object_id for event in refusals}
    # the sender itself still gets its duplicate receipt
    again = two_wards["surveyor_1"].post("/api/submissions", body).get_json()
    assert again["result"] == "duplicate" and again["submission_id"] == submission.id


def test_another_team_cannot_correct_a_quarantined_record(two_wards, world):
    body = _stored_in_a(two_wards, world, answers=answers(a5_members=0))
    before = _snapshot(QuarantinedSubmission, QuarantinedSubmission.uuid, body["uuid"])
    fix = dict(body, household_id=world.hh_a2.id, answers=answers(group_code="TDP02"))
    response = two_wards["surveyor_2"].post("/api/submissions", fix)
    assert response.status_code == 409 and response.get_json()["result"] == "uuid_taken"
    db.session.expire_all()
    assert _snapshot(QuarantinedSubmission, QuarantinedSubmission.uuid, body["uuid"]) == before
    assert db.session.execute(sa.select(Submission).where(Submission.uuid == body["uuid"])).first() is None


def test_support_events_are_scoped_by_ward_and_sender(app, two_wards, world):
    ensure_default_catalogue(world.ward_a)
    ensure_default_catalogue(world.ward_b)
    db.session.commit()
    event = support_record(residential_group_id=world.group_a1.id)
    assert two_wards["surveyor_1"].post("/api/submissions", event).status_code == 201
    stored = db.session.execute(sa.select(SupportEvent).where(SupportEvent.uuid == event["uuid"])).scalar_one()
    other_team = two_wards["surveyor_2"].post("/api/submissions", dict(event, residential_group_id=world.group_a2.id))
    assert other_team.status_code == 409 and other_team.get_json()["result"] == "uuid_taken"
    assert "support_event_id" not in other_team.get_json()
    ward_b = two_wards["surveyor_b"].post("/api/submissions", dict(event, residential_group_id=world.group_b1.id))
    assert ward_b.status_code == 201 and ward_b.get_json()["support_event_id"] != stored.id
    assert db.session.get(SupportEvent, stored.id).residential_group_id == world.group_a1.id
