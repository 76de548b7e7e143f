"""Secrets and personal data never reach the logs, even at DEBUG level."""

from __future__ import annotations

import logging

from survey_app.extensions import db
from tests.collection.conftest import ApiClient, record
from tests.collection.forms import answers, publish_test_form
from tests.conftest import login

PASSWORD = "Mat-khau-bi-mat-42"
PHONE = "0912345678"
NAME = "Đỗ Thị Hằng Nga"


def test_login_failure_and_submission_leave_no_personal_data_in_logs(app, world, caplog):
    publish_test_form(world.ward_a)
    db.session.commit()
    caplog.set_level(logging.DEBUG)
    assert login(app.test_client(), "surveyor_1", PASSWORD).status_code == 200  # refused, form shown again
    phone = ApiClient(app.test_client(), "surveyor_1")
    body = record(
        world.hh_a1.id,
        answers=answers(
            members=[{"b0_name": NAME, "b1_birth_year": 1971, "b2_sex": "female", "age": 54}], a2_address=f"Số 3, ĐT {PHONE}"
        ),
    )
    assert phone.post("/api/submissions/batch", {"items": [body, {"uuid": "not-a-uuid", "b0_name": NAME}]}).status_code == 200
    logged = "\n".join(f"{r.getMessage()} {r.args!r} {r.exc_text or ''}" for r in caplog.records)
    for secret in (PASSWORD, PHONE, NAME, "test-secret-key"):
        assert secret not in logged
