"""Stored submissions corrected with history (collection/corrections.py), and records sent back to the
surveyor's phone ("has issues") fixed and sent again as a new version (operations._store_fix)."""

import json

import sqlalchemy as sa

from survey_app.audit.models import AuditEvent
from survey_app.collection.models import Person, ReviewStatus, Submission, SubmissionVersion, VersionSource
from survey_app.dashboard.models import PersonIndicator
from survey_app.dashboard.tasks import derive_pending
from survey_app.extensions import db
from survey_app.sync.refused import RefusedRecord
from tests.collection.conftest import ApiClient, record
from tests.collection.forms import answers
from tests.collection.test_review import admin_client
from tests.conftest import csrf_token

AN = {"b0_name": "Nguyễn Văn An", "b1_birth_year": 1971, "b2_sex": "male", "age": 54}
SECOND = {"b0_name": "Thành viên 2", "b1_birth_year": 1972, "b2_sex": "female", "age": 53}  # as answers() has it
BINH = {"b0_name": "Trần Thị Bình", "b1_birth_year": 1975, "b2_sex": "female", "age": 50}


def stored(surveyor, world, **extra):
    body = record(world.hh_a1.id, **extra)
    receipt = surveyor.post("/api/submissions", body).get_json()
    assert receipt["result"] == "stored", receipt
    return body, receipt["submission_id"]


def page_token(client, submission_id):
    return csrf_token(client.get(f"/review/{submission_id}").get_data(as_text=True))


def correct(client, submission_id, new_answers, reason="Sửa năm sinh", version=1):
    token = page_token(client, submission_id)
    return client.post(
        f"/review/{submission_id}/correct",
        headers={"X-CSRFToken": token},
        json={"answers": new_answers, "reason": reason, "version": version},
    )


def send_back(client, submission_id, comment="Năm sinh của thành viên 2 chưa đúng"):
    response = client.post(
        f"/review/{submission_id}/status",
        data={"csrf_token": page_token(client, submission_id), "status": "has_issues", "comment": comment},
    )
    assert response.status_code == 302
    return comment


def fresh(submission_id) -> Submission:
    db.session.expire_all()
    return db.session.get(Submission, submission_id)


def versions(submission_id):
    return (
        db.session.execute(
            sa.select(SubmissionVersion)
            .where(SubmissionVersion.submission_id == submission_id)
            .order_by(SubmissionVersion.number)
        )
        .scalars()
        .all()
    )


def test_a_correction_is_a_new_version_with_who_when_and_why(app, surveyor, world):
    body, submission_id = stored(surveyor, world)
    admin = admin_client(app)
    fixed = answers(members=[AN, {**SECOND, "b1_birth_year": 1976, "age": 49}], a6_internet="no")
    response = correct(admin, submission_id, fixed)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["version"] == 2
    submission = fresh(submission_id)
    assert submission.answers == fixed and submission.version == 2
    first, second = versions(submission_id)
    assert (first.number, first.source, first.answers, first.author_id) == (
        1,
        VersionSource.SENT,
        body["answers"],
        world.surveyor_1.id,
    )
    assert (second.number, second.source, second.author_id, second.reason) == (
        2,
        VersionSource.CORRECTED,
        world.admin_a.id,
        "Sửa năm sinh",
    )
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "submission.corrected", AuditEvent.object_id == str(submission_id))
        )
        == 1
    )
    # The page: every version listed, the latest shown, the change labelled as the form shows it.
    html = admin.get(f"/review/{submission_id}").get_data(as_text=True)
    assert html.count('data-testid="version"') == 2 and "Sửa năm sinh" in html
    assert "<del>1972</del>" in html and "<ins>1976</ins>" in html and "<del>Có</del>" in html
    old = admin.get(f"/review/{submission_id}?version=1").get_data(as_text=True)
    assert 'data-testid="old-version"' in old and ">1972<" in old
    # The phone's re-send of what it first sent is still a duplicate, not a conflict.
    again = surveyor.post("/api/submissions", {**body, "attempt": 2})
    assert again.status_code == 200 and again.get_json()["result"] == "duplicate"


def test_derived_figures_and_members_follow_the_latest_version(app, surveyor, world):
    _, submission_id = stored(surveyor, world)
    derive_pending()
    db.session.commit()
    internet = (
        sa.select(sa.func.count())
        .select_from(PersonIndicator)
        .where(PersonIndicator.submission_id == submission_id, PersonIndicator.home_internet.is_(True))
    )
    assert db.session.scalar(internet) == 2
    renamed = answers(members=[AN, BINH], a6_internet="no")
    assert correct(admin_client(app), submission_id, renamed).status_code == 200
    derive_pending()
    db.session.commit()
    assert db.session.scalar(internet) == 0
    names = db.session.scalars(
        sa.select(Person.full_name).where(Person.submission_id == submission_id).order_by(Person.answer_index)
    ).all()
    assert names == ["Nguyễn Văn An", "Trần Thị Bình"]


def test_refused_corrections_change_nothing_and_are_audited(app, surveyor, world):
    body, submission_id = stored(surveyor, world)
    admin = admin_client(app)
    invalid = answers(members=[{**AN, "b1_birth_year": 1850}])
    response = correct(admin, submission_id, invalid)
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "b1_birth_year" and response.get_json()["message"]
    assert correct(admin, submission_id, body["answers"]).status_code == 422  # nothing changed: refused
    assert correct(admin, submission_id, answers(), reason="  ").status_code == 400
    assert correct(admin, submission_id, answers(a6_internet="no"), version=7).status_code == 409
    submission = fresh(submission_id)
    assert submission.answers == body["answers"] and submission.version == 1 and versions(submission_id) == []
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.action == "submission.correction_refused")
        )
        == 2
    )
    # Outside the record's ward, or a surveyor: refused (403, audited), the record unchanged.
    other = admin_client(app, "admin_b")
    token = csrf_token(other.get("/review").get_data(as_text=True))
    denied = other.post(
        f"/review/{submission_id}/correct",
        headers={"X-CSRFToken": token},
        json={"answers": answers(a6_internet="no"), "reason": "x", "version": 1},
    )
    assert denied.status_code == 403
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "access.denied", AuditEvent.object_id == str(submission_id))
        )
        == 1
    )
    assert admin_client(app, "surveyor_1").get(f"/review/{submission_id}/correct").status_code == 403
    assert fresh(submission_id).version == 1


def test_a_team_leader_corrects_their_teams_records_only(app, surveyor, world, form_a):
    _, submission_id = stored(surveyor, world)
    leader = admin_client(app, "leader_1")
    assert leader.get(f"/review/{submission_id}").status_code == 200
    assert leader.get(f"/review/{submission_id}/correct").status_code == 200
    assert correct(leader, submission_id, answers(a6_internet="no"), reason="Hộ không có mạng").status_code == 200
    assert versions(submission_id)[-1].author_id == world.leader_1.id
    other_team = surveyor.post("/api/submissions", record(world.hh_a2.id))  # team 2's household: refused anyway
    assert other_team.status_code == 403
    from survey_app.accounts.models import Role
    from tests.factories import make_user

    make_user("leader_2", Role.TEAM_LEADER, ward=world.ward_a, team=world.team_2)
    db.session.commit()
    assert admin_client(app, "leader_2").get(f"/review/{submission_id}").status_code == 403
    assert admin_client(app, "leader_2").get(f"/review/{submission_id}/correct").status_code == 403


def test_sent_back_the_record_reaches_the_phone_and_its_fix_is_a_new_version(app, surveyor, world):
    body, submission_id = stored(surveyor, world)
    admin = admin_client(app)
    comment = send_back(admin, submission_id)
    [listed] = surveyor.get("/api/phone/sent-back").get_json()["records"]
    assert (listed["uuid"], listed["version"], listed["comment"]) == (body["uuid"], 1, comment)
    assert listed["payload"]["answers"] == body["answers"] and listed["payload"]["fix_of"] == 1
    assert listed["label"]["address"] == world.hh_a1.address
    assert ApiClient(app.test_client(), "surveyor_2").get("/api/phone/sent-back").get_json()["records"] == []
    # The team leader sees it pending for the member.
    team_page = admin_client(app, "leader_1").get("/team").get_data(as_text=True)
    assert f'data-submission-id="{submission_id}"' in team_page and comment in team_page
    # The surveyor fixes it (the same UUID, new answers, fix_of) and sends it again.
    fix = {**listed["payload"], "answers": answers(members=[AN, {**SECOND, "b1_birth_year": 1976, "age": 49}])}
    response = surveyor.post("/api/submissions", {**fix, "sent_at": "2025-08-22T01:00:00Z", "attempt": 1})
    assert response.status_code == 201 and response.get_json()["result"] == "fixed"
    submission = fresh(submission_id)
    assert submission.version == 2 and submission.review_status == ReviewStatus.RECEIVED
    assert submission.answers == fix["answers"]
    [first, second] = versions(submission_id)
    assert (second.source, second.author_id, second.reason) == (VersionSource.FIXED, world.surveyor_1.id, comment)
    assert surveyor.get("/api/phone/sent-back").get_json()["records"] == []
    # A re-send of the fix, or of the original, is a duplicate; nothing else changes.
    assert surveyor.post("/api/submissions", {**fix, "attempt": 2}).get_json()["result"] == "duplicate"
    assert surveyor.post("/api/submissions", {**body, "attempt": 3}).get_json()["result"] == "duplicate"
    assert fresh(submission_id).version == 2


def test_a_fix_through_the_batch_path_is_stored_too(app, surveyor, world):
    body, submission_id = stored(surveyor, world)
    send_back(admin_client(app), submission_id)
    [listed] = surveyor.get("/api/phone/sent-back").get_json()["records"]
    other = record(world.hh_a1.id)
    fix = {**listed["payload"], "answers": answers(a6_internet="no")}
    results = surveyor.post("/api/submissions/batch", {"items": [fix, other]}).get_json()["results"]
    assert [r["result"] for r in results] == ["fixed", "stored"]
    assert fresh(submission_id).version == 2


def test_fixes_that_cannot_be_applied_are_kept_and_change_nothing(app, surveyor, world):
    body, submission_id = stored(surveyor, world)
    # Not sent back: the same UUID with other answers is a conflict, as before.
    assert surveyor.post("/api/submissions", {**body, "answers": answers(a6_internet="no"), "fix_of": 1}).status_code == 409
    admin = admin_client(app)
    send_back(admin, submission_id)
    [listed] = surveyor.get("/api/phone/sent-back").get_json()["records"]
    invalid = surveyor.post(
        "/api/submissions", {**listed["payload"], "answers": answers(members=[{**AN, "b1_birth_year": 1850}])}
    )
    assert invalid.status_code == 422 and invalid.get_json()["result"] == "fix_invalid"
    assert invalid.get_json()["errors"] and invalid.get_json()["kept_id"]
    # The staff corrected it meanwhile: the phone's fix of version 1 no longer applies; kept for them.
    assert correct(admin, submission_id, answers(a6_internet="no")).status_code == 200
    stale = surveyor.post(
        "/api/submissions", {**listed["payload"], "answers": answers(a5_members=2, a6_internet="yes", a2_address="Số 14")}
    )
    assert stale.status_code == 409 and stale.get_json()["result"] == "changed" and stale.get_json()["kept_id"]
    # Someone else's fix of it: refused without saying anything about it.
    team_2 = ApiClient(app.test_client(), "surveyor_2")
    assert team_2.post("/api/submissions", {**listed["payload"], "fix_of": 2}).get_json()["result"] == "uuid_taken"
    submission = fresh(submission_id)
    assert submission.version == 2 and submission.review_status == ReviewStatus.HAS_ISSUES
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RefusedRecord)) >= 2


def test_has_issues_needs_a_comment_for_the_surveyor(app, surveyor, world):
    _, submission_id = stored(surveyor, world)
    admin = admin_client(app)
    response = admin.post(
        f"/review/{submission_id}/status",
        data={"csrf_token": page_token(admin, submission_id), "status": "has_issues", "comment": " "},
    )
    assert response.status_code == 400
    assert fresh(submission_id).review_status == ReviewStatus.RECEIVED
    assert json.loads(json.dumps(surveyor.get("/api/phone/sent-back").get_json()))["records"] == []
