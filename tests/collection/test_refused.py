"""Records the server refuses are kept on the server with their reason (survey_app/sync/refused.py),
so setting one aside on the phone never destroys the only copy; ward staff retry or close them."""

import sqlalchemy as sa

from survey_app.audit.models import AuditEvent
from survey_app.collection.models import QuarantinedSubmission, Submission
from survey_app.extensions import db
from survey_app.sync.envelope import content_of
from survey_app.sync.refused import RefusedRecord
from tests.collection.conftest import record
from tests.collection.forms import answers
from tests.collection.test_review import admin_client
from tests.conftest import csrf_token


def kept_rows():
    db.session.expire_all()
    return db.session.execute(sa.select(RefusedRecord).order_by(RefusedRecord.id)).scalars().all()


def test_every_refused_record_is_kept_with_its_reason_and_sender(surveyor, world):
    refused = {
        "bad_outcome": record(world.hh_a1.id, outcome="not_an_outcome"),
        "forbidden": record(world.hh_a2.id),  # team 2's household: outside the sender's area
        "unknown_form": record(world.hh_a1.id, form_version="no.such.version"),
        "unknown_kind": {**record(world.hh_a1.id), "kind": "not_a_kind"},
    }
    receipts = {code: surveyor.post("/api/submissions", body) for code, body in refused.items()}
    assert {code: r.status_code for code, r in receipts.items()} == {
        "bad_outcome": 400,
        "forbidden": 403,
        "unknown_form": 404,
        "unknown_kind": 400,
    }
    rows = {row.id: row for row in kept_rows()}
    assert len(rows) == 4
    for code, response in receipts.items():
        receipt = response.get_json()
        assert receipt["result"] == code
        row = rows[receipt["kept_id"]]
        assert (row.code, row.status, row.uuid) == (code, response.status_code, refused[code]["uuid"])
        assert row.payload == content_of(refused[code])  # as sent, without the transport fields
        assert row.sender_id == world.surveyor_1.id and row.survey_team_id == world.team_1.id
        assert row.ward_id == world.ward_a.id and row.message and row.resolution is None
    assert rows[receipts["unknown_kind"].get_json()["kept_id"]].kind == "not_a_kind"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Submission)) == 0


def test_a_refused_record_sent_again_is_counted_not_copied(surveyor, world):
    body = record(world.hh_a2.id)
    first = surveyor.post("/api/submissions", body).get_json()
    again = surveyor.post("/api/submissions", {**body, "attempt": 2, "sent_at": "2025-08-21T08:00:00Z"}).get_json()
    assert again["kept_id"] == first["kept_id"]
    [row] = kept_rows()
    assert row.times_received == 2 and row.last_received_at >= row.received_at


def test_stored_duplicate_and_quarantined_records_leave_no_refused_copy(surveyor, world):
    body = record(world.hh_a1.id)
    assert surveyor.post("/api/submissions", body).status_code == 201
    assert surveyor.post("/api/submissions", body).status_code == 200
    bad = record(world.hh_a1.id, answers=answers(members=[{"b0_name": "An", "b1_birth_year": 1850, "b2_sex": "male"}]))
    quarantined = surveyor.post("/api/submissions", bad)
    assert quarantined.status_code == 422 and "kept_id" not in quarantined.get_json()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(QuarantinedSubmission)) == 1
    assert kept_rows() == []


def test_in_a_batch_the_refused_record_is_kept_and_the_others_stored(surveyor, world):
    good, outside = record(world.hh_a1.id), record(world.hh_a2.id)
    results = surveyor.post("/api/submissions/batch", {"items": [good, outside]}).get_json()["results"]
    assert [r["status"] for r in results] == [201, 403]
    [row] = kept_rows()
    assert results[1]["kept_id"] == row.id and row.uuid == outside["uuid"]
    assert "kept_id" not in results[0]


def test_ward_staff_store_an_out_of_area_record_on_retry(app, surveyor, world):
    outside = record(world.hh_a2.id, answers=answers(group_code=world.group_a2.code))
    kept_id = surveyor.post("/api/submissions", outside).get_json()["kept_id"]
    admin = admin_client(app)
    listing = admin.get("/review/refused").get_data(as_text=True)
    assert f'data-refused-id="{kept_id}"' in listing
    page = admin.get(f"/review/refused/{kept_id}").get_data(as_text=True)
    assert outside["uuid"] in page  # the record as sent is readable
    response = admin.post(f"/review/refused/{kept_id}/retry", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 302
    db.session.expire_all()
    submission = db.session.execute(sa.select(Submission).where(Submission.uuid == outside["uuid"])).scalar_one()
    assert submission.surveyor_id == world.surveyor_1.id  # still the surveyor's record
    row = db.session.get(RefusedRecord, kept_id)
    assert row.resolution == "stored" and row.resolved_by_id == world.admin_a.id
    assert db.session.execute(
        sa.select(AuditEvent).where(AuditEvent.action == "refused.retried", AuditEvent.object_id == str(kept_id))
    ).scalar_one()
    assert f'data-refused-id="{kept_id}"' not in admin.get("/review/refused").get_data(as_text=True)
    assert f'data-refused-id="{kept_id}"' in admin.get("/review/refused?status=handled").get_data(as_text=True)


def test_a_retry_that_is_refused_again_says_why_and_keeps_the_row_open(app, surveyor, world):
    kept_id = surveyor.post("/api/submissions", record(world.hh_a1.id, outcome="nope")).get_json()["kept_id"]
    admin = admin_client(app)
    page = admin.get(f"/review/refused/{kept_id}").get_data(as_text=True)
    response = admin.post(f"/review/refused/{kept_id}/retry", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 422 and 'data-testid="retry-result"' in response.get_data(as_text=True)
    [row] = kept_rows()
    assert row.resolution is None and row.times_received == 1  # a reviewer's try is not another copy


def test_a_retry_whose_answers_fail_the_form_moves_the_record_to_the_quarantine(app, surveyor, world):
    """Team 1's answers name team 1's group for team 2's household: stored with the admin's authority
    the record reaches the form check, fails it, and is kept in the quarantine to be fixed there."""
    outside = record(world.hh_a2.id)
    kept_id = surveyor.post("/api/submissions", outside).get_json()["kept_id"]
    admin = admin_client(app)
    page = admin.get(f"/review/refused/{kept_id}").get_data(as_text=True)
    response = admin.post(f"/review/refused/{kept_id}/retry", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 302
    db.session.expire_all()
    quarantined = db.session.execute(sa.select(QuarantinedSubmission)).scalar_one()
    assert quarantined.uuid == outside["uuid"] and quarantined.errors[0]["field"] == "a1_group"
    assert kept_rows()[0].resolution == "quarantined"


def test_marking_a_refused_record_handled_needs_a_note_and_happens_once(app, surveyor, world):
    kept_id = surveyor.post("/api/submissions", record(world.hh_a2.id)).get_json()["kept_id"]
    admin = admin_client(app)
    token = csrf_token(admin.get(f"/review/refused/{kept_id}").get_data(as_text=True))
    assert admin.post(f"/review/refused/{kept_id}/handled", data={"csrf_token": token, "note": " "}).status_code == 400
    done = admin.post(f"/review/refused/{kept_id}/handled", data={"csrf_token": token, "note": "Hộ của tổ 2, đã báo tổ trưởng"})
    assert done.status_code == 302
    [row] = kept_rows()
    assert row.resolution == "handled" and row.note == "Hộ của tổ 2, đã báo tổ trưởng"
    again = admin.post(f"/review/refused/{kept_id}/handled", data={"csrf_token": token, "note": "lần nữa"})
    assert again.status_code == 400
    assert kept_rows()[0].note == "Hộ của tổ 2, đã báo tổ trưởng"
