"""Bad input gets a clear JSON error, never a stack trace, and changes nothing stored."""

import pytest
import sqlalchemy as sa

from survey_app.audit.models import AuditEvent
from survey_app.collection.models import Household, Person, QuarantinedSubmission, Submission, Visit
from survey_app.extensions import db
from tests.collection.conftest import ApiClient, record
from tests.collection.forms import answers
from tests.conftest import csrf_token

STORED = (Submission, Visit, QuarantinedSubmission, Household, Person)


def snapshot():
    db.session.expire_all()
    return {m.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(m)) for m in STORED}


def error_of(response) -> dict:
    body = response.get_json()
    assert body is not None, response.get_data(as_text=True)[:200]
    assert "Traceback" not in response.get_data(as_text=True)
    return body.get("error") or body


@pytest.mark.parametrize(
    "raw", [b"{not json", b"\xff\xfe", b'{"uuid": NaN}', b'{"a": Infinity}', b'{"answers": {"a5_members": 1' + b"0" * 400 + b"}}"]
)
def test_malformed_json_is_a_400(surveyor, world, raw):
    before = snapshot()
    response = surveyor.post("/api/submissions", raw=raw)
    assert response.status_code == 400
    assert error_of(response)["message"]
    assert snapshot() == before


@pytest.mark.parametrize(
    "change, code",
    [
        ({"uuid": "12345"}, "bad_uuid"),
        ({"uuid": None}, "bad_uuid"),
        ({"outcome": "abducted"}, "bad_outcome"),
        ({"visited_at": "yesterday"}, "bad_time"),
        ({"visited_at": "2025-08-20T02:10:00"}, "bad_time"),  # no time zone
        ({"household_id": "12"}, "bad_household"),
        ({"answers": ["a", "list"]}, "bad_answers"),
        ({"answers": {"members": "three"}}, "bad_answers"),
        ({"form_id": None}, "missing"),
        ({"location": {"latitude": 200, "longitude": 1}}, "bad_location"),
    ],
)
def test_bad_records_are_400_naming_the_problem(surveyor, world, change, code):
    before = snapshot()
    response = surveyor.post("/api/submissions", {**record(world.hh_a1.id), **change})
    assert response.status_code == 400
    assert error_of(response)["result"] == code and error_of(response)["message"]
    assert snapshot() == before


def test_another_teams_household_is_403_and_audited(surveyor, world):
    before = snapshot()
    for household in (world.hh_a2, world.hh_b1, world.hh_c1):
        response = surveyor.post("/api/submissions", record(household.id, answers=answers("TDP02")))
        assert response.status_code == 403 and error_of(response)["result"] == "forbidden"
    assert surveyor.post("/api/submissions", record(987654)).status_code == 403
    assert snapshot() == before
    assert (
        db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.action == "submission.refused"))
        == 4
    )


def test_unknown_form_version_is_404(surveyor, world):
    before = snapshot()
    response = surveyor.post("/api/submissions", record(world.hh_a1.id, form_version="0.0"))
    assert response.status_code == 404 and "0.0" in error_of(response)["message"]
    assert surveyor.post("/api/submissions", record(world.hh_a1.id, form_id="no_such_form")).status_code == 404
    assert snapshot() == before


def test_oversized_bodies_are_413(app, surveyor, world, monkeypatch):
    monkeypatch.setitem(app.config, "SUBMISSION_MAX_BYTES", 4000)
    before = snapshot()
    big = record(world.hh_a1.id, answers=answers(a2_address="x" * 6000))
    assert surveyor.post("/api/submissions", big).status_code == 413
    batch = surveyor.post("/api/submissions/batch", {"items": [big, record(world.hh_a1.id)]})
    assert batch.status_code == 200
    assert [r["status"] for r in batch.get_json()["results"]] == [413, 201]
    monkeypatch.setitem(app.config, "SUBMISSION_BATCH_MAX_ITEMS", 2)
    too_many = surveyor.post("/api/submissions/batch", {"items": [record(world.hh_a1.id)] * 3})
    assert too_many.status_code == 413 and error_of(too_many)["message"]
    monkeypatch.setitem(app.config, "SUBMISSION_MAX_BYTES", 100)
    small = surveyor.post("/api/submissions/batch", {"items": [record(world.hh_a1.id)] * 2})
    assert [r["status"] for r in small.get_json()["results"]] == [413, 413]
    huge = surveyor.post("/api/submissions/batch", {"items": [big] * 2})  # over the whole batch's limit
    assert huge.status_code == 413 and error_of(huge)["message"]
    assert snapshot() == {**before, "Submission": 1, "Visit": 1}


def test_a_batch_must_be_a_list_of_items(surveyor, world):
    for body in ({"items": "x"}, [], {"records": []}):
        response = surveyor.post("/api/submissions/batch", body)
        assert response.status_code == 400 and error_of(response)["message"]


def test_posts_need_the_csrf_header(surveyor, world):
    before = snapshot()
    response = surveyor.post("/api/submissions", record(world.hh_a1.id), token=False)
    assert response.status_code == 400 and error_of(response)["message"]
    assert surveyor.post("/api/submissions/batch", {"items": [record(world.hh_a1.id)]}, token=False).status_code == 400
    assert snapshot() == before


def test_only_collectors_may_send(app, world, form_a):
    viewer = ApiClient(app.test_client(), "city_viewer")
    assert viewer.token is None  # no phone API for a city viewer
    viewer.token = csrf_token(viewer.get("/city").get_data(as_text=True))
    before = snapshot()
    assert viewer.post("/api/submissions", record(world.hh_a1.id)).status_code == 403
    assert viewer.post("/api/submissions/batch", {"items": [record(world.hh_a1.id)]}).status_code == 403
    assert snapshot() == before
    anonymous = app.test_client()
    assert anonymous.get("/api/phone/bootstrap").status_code == 401
    assert anonymous.get(f"/api/phone/groups/{world.group_a1.id}/households").status_code == 401
