"""The submission API: idempotent by UUID, conflicts, quarantine, batches, household status, members."""

import sqlalchemy as sa

from survey_app.audit.models import AuditEvent
from survey_app.collection import operations
from survey_app.collection.models import (
    Household,
    HouseholdStatus,
    Person,
    QuarantinedSubmission,
    QuarantineStatus,
    Submission,
    Visit,
    VisitOutcome,
)
from survey_app.extensions import db
from tests.collection.conftest import new_uuid, record
from tests.collection.forms import answers


def fresh(model, key):
    db.session.expire_all()
    return db.session.get(model, key)


def count(model, *where):
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def test_an_interview_is_stored_with_its_visit_status_and_members(surveyor, world):
    body = record(world.hh_a1.id, location={"latitude": 20.85, "longitude": 106.69, "accuracy_m": 14.5})
    response = surveyor.post("/api/submissions", body)
    assert response.status_code == 201, response.get_json()
    receipt = response.get_json()
    assert receipt["result"] == "stored" and receipt["uuid"] == body["uuid"]
    submission = fresh(Submission, receipt["submission_id"])
    assert submission.answers == body["answers"] and submission.form_version == "test.1"
    assert submission.surveyor_id == world.surveyor_1.id and submission.survey_team_id == world.team_1.id
    assert submission.household_id == world.hh_a1.id and submission.residential_group_id == world.group_a1.id
    assert (submission.latitude, submission.longitude, submission.accuracy_m) == (20.85, 106.69, 14.5)
    visit = fresh(Visit, receipt["visit_id"])
    assert visit.outcome == VisitOutcome.INTERVIEWED and visit.submission_id == submission.id
    assert visit.accuracy_m == 14.5 and visit.surveyor_id == world.surveyor_1.id
    assert fresh(Household, world.hh_a1.id).status == HouseholdStatus.DONE
    members = (
        db.session.execute(sa.select(Person).where(Person.household_id == world.hh_a1.id).order_by(Person.line_no))
        .scalars()
        .all()
    )
    assert len(members) == 2  # both roster entries matched by name and birth year, none created
    assert [(p.submission_id, p.answer_index) for p in members] == [(submission.id, 0), (submission.id, 1)]


def test_sending_again_returns_the_first_result_and_stores_no_copy(surveyor, world):
    body = record(world.hh_a1.id)
    first = surveyor.post("/api/submissions", body).get_json()
    again = surveyor.post("/api/submissions", {**body, "sent_at": "2025-08-21T08:00:00Z", "attempt": 5})
    assert again.status_code == 200
    second = again.get_json()
    assert second["result"] == "duplicate"
    assert {k: second[k] for k in ("submission_id", "visit_id", "household_id")} == {
        k: first[k] for k in ("submission_id", "visit_id", "household_id")
    }
    assert count(Submission) == 1 and count(Visit) == 1


def test_same_uuid_with_other_content_is_a_conflict_and_changes_nothing(surveyor, world):
    body = record(world.hh_a1.id)
    surveyor.post("/api/submissions", body)
    changed = {**body, "answers": answers(a5_members=3)}
    response = surveyor.post("/api/submissions", changed)
    assert response.status_code == 409 and response.get_json()["result"] == "conflict"
    db.session.expire_all()
    assert db.session.execute(sa.select(Submission)).scalar_one().answers["a5_members"] == 2


def test_invalid_answers_are_quarantined_with_per_field_errors_then_fixed_by_a_resend(surveyor, world):
    bad = record(world.hh_a1.id, answers=answers(members=[{"b0_name": "An", "b1_birth_year": 1850, "b2_sex": "male"}]))
    response = surveyor.post("/api/submissions", bad)
    assert response.status_code == 422
    receipt = response.get_json()
    assert receipt["result"] == "quarantined"
    assert {"field": "b1_birth_year", "index": 0, "code": "constraint"}.items() <= receipt["errors"][0].items()
    assert count(QuarantinedSubmission) == 1  # committed although the answer is 422
    assert count(Submission) == 0 and count(Visit) == 0
    assert fresh(Household, world.hh_a1.id).status == HouseholdStatus.NOT_VISITED
    again = surveyor.post("/api/submissions", bad)
    assert again.status_code == 422 and again.get_json()["quarantine_id"] == receipt["quarantine_id"]
    fixed = {
        **bad,
        "answers": answers(members=[{"b0_name": "An", "b1_birth_year": 1950, "b2_sex": "male", "age": 75}], a5_members=1),
    }
    stored = surveyor.post("/api/submissions", fixed)
    assert stored.status_code == 201
    row = db.session.execute(sa.select(QuarantinedSubmission)).scalar_one()
    assert row.status == QuarantineStatus.ACCEPTED and row.submission_id == stored.get_json()["submission_id"]


def test_a_batch_answers_per_item_and_one_bad_item_never_fails_the_others(surveyor, world):
    good, dup = record(world.hh_a1.id), record(world.hh_a1.id, outcome="nobody_home")
    surveyor.post("/api/submissions", dup)
    items = [
        good,
        dup,
        {**record(world.hh_a1.id), "uuid": "not-a-uuid"},
        record(world.hh_a2.id),  # team 2's household
        record(world.hh_a1.id, form_version="9999.9"),
        record(world.hh_a1.id, answers=answers(a5_members=0)),
        "not an object",
    ]
    response = surveyor.post("/api/submissions/batch", {"items": items})
    assert response.status_code == 200
    results = response.get_json()["results"]
    assert [r["status"] for r in results] == [201, 200, 400, 403, 404, 422, 400]
    assert results[4]["result"] == "unknown_form" and results[3]["result"] == "forbidden"
    assert count(Submission) == 1 and count(QuarantinedSubmission) == 1
    assert count(Visit) == 2  # the earlier nobody-home visit and the interview
    assert fresh(Household, world.hh_a2.id).status == HouseholdStatus.NOT_VISITED
    assert count(AuditEvent, AuditEvent.action == "submission.refused") == 1
    replay = surveyor.post("/api/submissions/batch", {"items": items}).get_json()["results"]
    assert [r["status"] for r in replay] == [200, 200, 400, 403, 404, 422, 400]
    assert count(Submission) == 1 and count(Visit) == 2 and count(QuarantinedSubmission) == 1


def test_visit_outcomes_move_the_household_status_and_a_late_miss_never_reopens_it(surveyor, world):
    hh = world.hh_a1.id
    assert surveyor.post("/api/submissions", record(hh, outcome="nobody_home")).status_code == 201
    assert fresh(Household, hh).status == HouseholdStatus.REVISIT
    assert surveyor.post("/api/submissions", record(hh)).status_code == 201
    late = surveyor.post("/api/submissions", record(hh, outcome="nobody_home", visited_at="2025-08-19T01:00:00Z"))
    assert late.status_code == 201
    db.session.expire_all()
    assert fresh(Household, hh).status == HouseholdStatus.DONE
    assert count(Visit, Visit.household_id == hh) == 3


def test_visit_without_answers_needs_no_form_and_refuses_answers(surveyor, world):
    response = surveyor.post("/api/submissions", record(world.hh_a1.id, outcome="refused"))
    assert response.status_code == 201 and "submission_id" not in response.get_json()
    with_answers = record(world.hh_a1.id, outcome="refused", answers=answers())
    assert surveyor.post("/api/submissions", with_answers).status_code == 400


def test_a_household_registered_offline_is_reconciled_once(surveyor, world):
    client_uuid = new_uuid()
    block = {
        "client_uuid": client_uuid,
        "residential_group_id": world.group_a1.id,
        "address": "  Số 99,   ngõ mới ",
        "head_name": "Đỗ Văn Mới",
    }
    first = surveyor.post("/api/submissions", record(None, outcome="new_household", household=block))
    assert first.status_code == 201
    interview = record(
        None,
        household=block,
        answers=answers(members=[{"b0_name": "Đỗ Văn Mới", "b1_birth_year": 1980, "b2_sex": "male", "age": 45}], a5_members=1),
    )
    second = surveyor.post("/api/submissions", interview).get_json()
    assert second["household_id"] == first.get_json()["household_id"]
    assert second["household_client_uuid"] == client_uuid
    household = db.session.execute(sa.select(Household).where(Household.client_uuid == client_uuid)).scalar_one()
    assert household.address == "Số 99, ngõ mới" and household.registered_by_id == world.surveyor_1.id
    assert household.status == HouseholdStatus.DONE
    person = db.session.execute(sa.select(Person).where(Person.household_id == household.id)).scalar_one()
    assert (person.full_name, person.birth_year, person.answer_index, person.line_no) == ("Đỗ Văn Mới", 1980, 0, 1)
    other_team = {**block, "client_uuid": new_uuid(), "residential_group_id": world.group_a2.id}
    refused = surveyor.post("/api/submissions", record(None, outcome="new_household", household=other_team))
    assert refused.status_code == 403
    assert count(Household, Household.client_uuid == other_team["client_uuid"]) == 0


def test_unmatched_members_become_new_roster_entries(surveyor, world):
    members = [
        {"b0_name": "NGUYỄN  văn an", "b1_birth_year": 1971, "b2_sex": "male", "age": 54},
        {"b0_name": "Người Mới", "b1_birth_year": 2001, "b2_sex": "female", "age": 24},
    ]
    receipt = surveyor.post("/api/submissions", record(world.hh_a1.id, answers=answers(members=members))).get_json()
    rows = (
        db.session.execute(sa.select(Person).where(Person.household_id == world.hh_a1.id).order_by(Person.line_no))
        .scalars()
        .all()
    )
    assert [(p.line_no, p.submission_id, p.answer_index) for p in rows] == [
        (1, receipt["submission_id"], 0),
        (2, None, None),
        (3, receipt["submission_id"], 1),
    ]


def test_two_identical_requests_racing_store_one_row(surveyor, world, monkeypatch):
    """The second insert hits the unique UUID inside its savepoint, re-reads, and answers like a re-send."""
    body = record(world.hh_a1.id)
    assert surveyor.post("/api/submissions", body).status_code == 201
    real = operations._known_result
    calls = []

    def blind_first_lookup(*args, **kwargs):
        calls.append(1)
        return None if len(calls) == 1 else real(*args, **kwargs)

    monkeypatch.setattr(operations, "_known_result", blind_first_lookup)
    response = surveyor.post("/api/submissions", body)
    assert response.status_code == 200 and response.get_json()["result"] == "duplicate"
    assert count(Submission) == 1 and count(Visit) == 1 and count(Person, Person.submission_id.is_not(None)) == 2


def test_the_answers_are_checked_against_the_visits_group(surveyor, world):
    response = surveyor.post("/api/submissions", record(world.hh_a1.id, answers=answers(group_code="TDP02")))
    assert response.status_code == 422
    assert [e["code"] for e in response.get_json()["errors"]] == ["group_mismatch"]
