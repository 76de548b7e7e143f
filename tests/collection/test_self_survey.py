"""The online self-survey: anonymous, rate-limited, shows no one else's data, lands in the review queue."""

import re

import pytest
import sqlalchemy as sa

from survey_app.collection.models import Channel, Household, QuarantinedSubmission, ReviewStatus, Submission
from survey_app.extensions import db
from tests.collection.conftest import new_uuid
from tests.collection.forms import FORM_ID, VERSION, answers
from tests.conftest import login

TOKEN = "poster-token-for-group-a1-abcdefghijklmnop"


@pytest.fixture
def resident(app, world, form_a):
    world.group_a1.self_survey_token = TOKEN
    db.session.commit()
    client = app.test_client()
    page = client.get(f"/self/{TOKEN}")
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page.get_data(as_text=True)).group(1)

    def send(body, csrf=True):
        return client.post(f"/api/self/{TOKEN}/submissions", json=body, headers={"X-CSRFToken": token} if csrf else {})

    client.send = send
    client.page = page
    return client


def payload(**extra):
    return {
        "uuid": new_uuid(),
        "form_id": FORM_ID,
        "form_version": VERSION,
        "answers": answers(),
        "started_at": "2025-08-20T12:00:00+07:00",
        "finished_at": "2025-08-20T12:09:00+07:00",
        **extra,
    }


def test_the_page_shows_the_group_and_nobody_elses_data(resident, world):
    html = resident.page.get_data(as_text=True)
    assert resident.page.status_code == 200 and world.group_a1.name in html and world.ward_a.name in html
    assert "/static/js/phone/self.js" in html and f"/api/self/{TOKEN}/form" in html
    assert world.hh_a1.head_name not in html and world.hh_a1.address not in html
    form = resident.get(f"/api/self/{TOKEN}/form").get_json()
    assert form["form_id"] == FORM_ID and form["version"] == VERSION
    assert resident.get("/self/unknown-token").status_code == 404
    assert resident.get("/api/self/unknown-token/form").status_code == 404
    assert resident.get(f"/api/phone/groups/{world.group_a1.id}/households").status_code == 401


def test_a_resident_sends_an_online_submission_into_the_review_queue(app, resident, world):
    body = payload(answers=answers(a2_address="Số 99, đường Trần Phú"))  # no listed household there
    response = resident.send(body)
    assert response.status_code == 201
    assert set(response.get_json()) <= {"uuid", "status", "result", "message", "errors"}  # no ids, no data
    submission = db.session.execute(sa.select(Submission)).scalar_one()
    assert submission.channel == Channel.ONLINE and submission.review_status == ReviewStatus.RECEIVED
    assert submission.residential_group_id == world.group_a1.id and submission.ward_id == world.ward_a.id
    assert submission.household_id is None and submission.surveyor_id is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Household)) == 4  # no household created
    assert resident.send(body).status_code == 200  # a double tap stores nothing new
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Submission)) == 1
    admin = app.test_client()
    login(admin, "admin_a")
    assert f'data-submission-id="{submission.id}"' in admin.get("/review?status=received").get_data(as_text=True)


def test_bad_answers_come_back_per_field_and_wait_in_quarantine(resident, world):
    response = resident.send(payload(answers=answers(a5_members=0)))
    assert response.status_code == 422
    assert [e["field"] for e in response.get_json()["errors"]] == ["a5_members"]
    row = db.session.execute(sa.select(QuarantinedSubmission)).scalar_one()
    assert row.channel == Channel.ONLINE and row.residential_group_id == world.group_a1.id
    assert resident.send(payload(answers=answers(group_code="TDP02"))).status_code == 422


def test_sending_needs_the_pages_csrf_token(resident):
    assert resident.send(payload(), csrf=False).status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Submission)) == 0


def test_a_refused_self_survey_is_kept_with_its_group_and_no_sender(resident, world):
    from survey_app.sync.refused import RefusedRecord

    body = payload(form_version="no.such.version")
    response = resident.send(body)
    assert response.status_code == 404 and "kept_id" not in response.get_json()  # no ids for the anonymous
    kept = db.session.execute(sa.select(RefusedRecord).where(RefusedRecord.uuid == body["uuid"])).scalar_one()
    assert (kept.code, kept.sender_id, kept.self_group_id) == ("unknown_form", None, world.group_a1.id)
    assert kept.payload["answers"] == answers()


def test_a_self_survey_is_matched_to_its_listed_household_and_counted_once(app, resident, world):
    from survey_app.collection import quality
    from survey_app.dashboard.tasks import derive_pending

    listed = world.hh_a1  # "Số 12, ngõ 3, đường Lê Lợi"
    first = resident.send(payload(answers=answers(a2_address="so 12 ngo 3 duong Le Loi")))
    assert first.status_code == 201 and "household_id" not in first.get_json()
    submission = db.session.execute(sa.select(Submission)).scalar_one()
    assert submission.household_id == listed.id and submission.channel == Channel.ONLINE
    db.session.expire_all()
    assert db.session.get(Household, listed.id).status.value == "done"  # counted in coverage, once
    # A second one for the same household is kept, and flagged as a possible duplicate.
    resident.send(payload(answers=answers()))
    # Two unmatched ones with the same address and head: the second is flagged too.
    other = answers(a2_address="Số 99, đường Trần Phú")  # (this test form asks no head's name)
    resident.send(payload(answers=other))
    resident.send(payload(answers=other))
    derive_pending()
    db.session.commit()
    rows = db.session.execute(sa.select(Submission).order_by(Submission.id)).scalars().all()
    assert [r.household_id for r in rows] == [listed.id, listed.id, None, None]
    assert [quality.flags_for(r) for r in rows] == [[], ["twice"], [], ["twice"]]
