"""Ward staff review submissions with comments, and fix or reject quarantined records."""

import json

import sqlalchemy as sa

from survey_app.audit.models import AuditEvent
from survey_app.collection.models import (
    QuarantinedSubmission,
    QuarantineStatus,
    ReviewStatus,
    Submission,
)
from survey_app.extensions import db
from tests.collection.conftest import record
from tests.collection.forms import answers
from tests.conftest import csrf_token, login


def admin_client(app, username="admin_a"):
    client = app.test_client()
    login(client, username)
    return client


def stored(surveyor, world, **extra):
    return surveyor.post("/api/submissions", record(world.hh_a1.id, **extra)).get_json()


def test_the_list_filters_by_review_status_and_stays_in_the_ward(app, surveyor, world):
    receipt = stored(surveyor, world)
    admin = admin_client(app)
    html = admin.get("/review").get_data(as_text=True)
    assert f'data-submission-id="{receipt["submission_id"]}"' in html and "Số 12, ngõ 3" in html
    assert f'data-submission-id="{receipt["submission_id"]}"' not in admin.get("/review?status=approved").get_data(as_text=True)
    assert f'data-submission-id="{receipt["submission_id"]}"' in admin.get("/review?status=received").get_data(as_text=True)
    other = admin_client(app, "admin_b")
    assert f'data-submission-id="{receipt["submission_id"]}"' not in other.get("/review").get_data(as_text=True)
    assert other.get(f"/review/{receipt['submission_id']}").status_code == 403
    assert surveyor.get("/review").status_code == 403


def test_detail_shows_answers_with_the_forms_labels(app, surveyor, world):
    receipt = stored(surveyor, world)
    html = admin_client(app).get(f"/review/{receipt['submission_id']}").get_data(as_text=True)
    assert "Số nhân khẩu" in html and "Internet" in html and "Có" in html  # label and choice label, not "yes"
    assert "Nguyễn Văn An" in html


def test_review_status_moves_are_guarded_commented_and_audited(app, surveyor, world):
    submission_id = stored(surveyor, world)["submission_id"]
    admin = admin_client(app)
    page = admin.get(f"/review/{submission_id}").get_data(as_text=True)
    token = csrf_token(page)
    response = admin.post(
        f"/review/{submission_id}/status", data={"csrf_token": token, "status": "has_issues", "comment": "Thiếu số điện thoại"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    submission = db.session.get(Submission, submission_id)
    assert submission.review_status == ReviewStatus.HAS_ISSUES and submission.review_comment == "Thiếu số điện thoại"
    assert submission.reviewed_by_id == world.admin_a.id
    admin.post(f"/review/{submission_id}/status", data={"csrf_token": token, "status": "approved"})
    refused = admin.post(f"/review/{submission_id}/status", data={"csrf_token": token, "status": "rejected"})
    assert refused.status_code == 400  # approved -> rejected skips the review
    db.session.expire_all()
    assert db.session.get(Submission, submission_id).review_status == ReviewStatus.APPROVED
    actions = db.session.execute(
        sa.select(AuditEvent.detail).where(AuditEvent.action == "submission.reviewed").order_by(AuditEvent.id)
    ).scalars()
    assert [d["to"] for d in actions] == ["has_issues", "approved"]


def quarantined(surveyor, world):
    bad = record(world.hh_a1.id, answers=answers(a5_members=0))
    receipt = surveyor.post("/api/submissions", bad).get_json()
    return bad, db.session.get(QuarantinedSubmission, receipt["quarantine_id"])


def test_quarantine_accept_after_fixing(app, surveyor, world):
    bad, row = quarantined(surveyor, world)
    admin = admin_client(app)
    assert f'data-quarantine-id="{row.id}"' in admin.get("/review/quarantine").get_data(as_text=True)
    page = admin.get(f"/review/quarantine/{row.id}").get_data(as_text=True)
    assert "a5_members" in page
    token = csrf_token(page)
    url = f"/review/quarantine/{row.id}/accept"
    assert admin.post(url, data={"csrf_token": token, "answers": "{oops"}).status_code == 400
    still_bad = admin.post(url, data={"csrf_token": token, "answers": json.dumps(answers(a5_members=40))})
    assert still_bad.status_code == 422 and "a5_members" in still_bad.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(QuarantinedSubmission, row.id).status == QuarantineStatus.OPEN
    fixed = admin.post(url, data={"csrf_token": token, "answers": json.dumps(answers())})
    assert fixed.status_code == 302
    db.session.expire_all()
    row = db.session.get(QuarantinedSubmission, row.id)
    submission = db.session.execute(sa.select(Submission)).scalar_one()
    assert row.status == QuarantineStatus.ACCEPTED and row.submission_id == submission.id
    assert row.reviewed_by_id == world.admin_a.id
    assert submission.uuid == bad["uuid"] and submission.surveyor_id == world.surveyor_1.id
    assert submission.answers["a5_members"] == 2
    # The phone, never told, sends its original again: it hears the record is in, not a conflict.
    again = surveyor.post("/api/submissions", bad)
    assert again.status_code == 200 and again.get_json()["submission_id"] == submission.id


def test_quarantine_reject_needs_a_reason_and_the_phone_is_told(app, surveyor, world):
    bad, row = quarantined(surveyor, world)
    admin = admin_client(app)
    token = csrf_token(admin.get(f"/review/quarantine/{row.id}").get_data(as_text=True))
    assert admin.post(f"/review/quarantine/{row.id}/reject", data={"csrf_token": token, "reason": ""}).status_code == 400
    response = admin.post(f"/review/quarantine/{row.id}/reject", data={"csrf_token": token, "reason": "Hộ không tồn tại"})
    assert response.status_code == 302
    db.session.expire_all()
    row = db.session.get(QuarantinedSubmission, row.id)
    assert row.status == QuarantineStatus.REJECTED and row.reason == "Hộ không tồn tại"
    again = surveyor.post("/api/submissions", bad)
    assert again.status_code == 409 and "Hộ không tồn tại" in again.get_json()["message"]
    assert (
        admin.post(
            f"/review/quarantine/{row.id}/accept", data={"csrf_token": token, "answers": json.dumps(answers())}
        ).status_code
        == 400
    )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Submission)) == 0


def test_review_lists_every_repeat_entry_nested_ones_after_their_parent(app, world):
    from survey_app.collection import formlink
    from tests.collection.forms import publish_structure_form

    form = publish_structure_form(world)
    answers_ = {
        "a1_group": "TDP01",
        "village": "Đông Hải",
        "plots": 1,
        "plot": [{"crop": "Lúa"}],
        "person": [
            {"pname": "An", "works": "yes", "job": [{"jname": "Dạy học", "jhours": 20}]},
            {"pname": "Bình", "works": "no"},
        ],
        "meal": [{"eaters": 4}, {"eaters": 5}],
    }
    with app.test_request_context():
        sections = formlink.labelled_answers(world.ward_a.id, "household_survey", form.version, answers_)
    assert [s["title"] for s in sections] == [
        "Hộ gia đình",
        "Người trong hộ 1",
        "Người trong hộ 1 › Công việc 1",
        "Người trong hộ 2",
        "Thửa ruộng 1",
        "Bữa sáng",
        "Bữa tối",
    ]
    assert ("jhours", "Số giờ mỗi tuần", "20") in sections[2]["rows"]
    assert sections[-1]["rows"] == [("eaters", "Số người ăn bữa tối", "5")]


def test_a_refused_nested_answer_names_its_entries(app, surveyor, world):
    from tests.collection.forms import publish_structure_form

    form = publish_structure_form(world)
    answers_ = {
        "a1_group": world.group_a1.code,
        "village": "Đông Hải",
        "plots": 0,
        "plot": [],
        "meal": [{"eaters": 4}, {"eaters": 5}],
        "person": [
            {"pname": "An", "works": "yes", "job": [{"jname": "Dạy học", "jhours": 20}, {"jname": "Bán hàng", "jhours": 200}]}
        ],
    }
    receipt = surveyor.post("/api/submissions", record(world.hh_a1.id, form_version=form.version, answers=answers_)).get_json()
    row = db.session.get(QuarantinedSubmission, receipt["quarantine_id"])
    assert [(e["field"], e["index"], e["path"]) for e in row.errors] == [("jhours", 1, [0, 1])]
    page = admin_client(app).get(f"/review/quarantine/{row.id}").get_data(as_text=True)
    assert "jhours</strong>" not in page and "jhours [mục 1.2]</strong>" in page
