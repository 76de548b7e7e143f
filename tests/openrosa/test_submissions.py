"""What an XML instance becomes, and every refusal: status, Vietnamese OpenRosa message, nothing stored."""

from __future__ import annotations

import sqlalchemy as sa

from survey_app.audit.models import AuditEvent
from survey_app.collection.models import (
    Household,
    Person,
    QuarantinedSubmission,
    ReviewStatus,
    Submission,
    SubmissionFile,
    SubmissionVersion,
    Visit,
)
from survey_app.extensions import db
from survey_app.openrosa import operations
from survey_app.openrosa.models import CollectDevice
from tests.collection.conftest import ApiClient
from tests.factories import make_household, make_user
from tests.openrosa.conftest import Collect, instance_xml, new_uuid, publish_form, web_record
from tests.openrosa.test_protocol import counts, message

JPEG1, JPEG2 = b"\xff\xd8\xff\xe0" + b"1" * 2000, b"\xff\xd8\xff\xe0" + b"2" * 3000


def refusals() -> int:
    return db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "openrosa.submission_refused"))


def test_two_photos_sent_over_two_posts_make_one_complete_submission(collect):
    instance_id = new_uuid()
    xml = instance_xml(instance_id, photos=("1755656000001.jpg", "1755656000002.jpg"))
    first = collect.post(xml, {"1755656000001.jpg": JPEG1}, incomplete=True)
    assert first.status_code == 201
    second = collect.post(xml, {"1755656000002.jpg": JPEG2})
    assert second.status_code == 201
    (submission,) = db.session.execute(sa.select(Submission)).scalars()
    files = {f.name: f for f in db.session.execute(sa.select(SubmissionFile)).scalars()}
    assert set(files) == {"1755656000001.jpg", "1755656000002.jpg"}
    assert all(f.received and f.submission_id == submission.id for f in files.values())
    assert files["1755656000002.jpg"].size == len(JPEG2) and files["1755656000001.jpg"].content_type == "image/jpeg"
    before = counts()
    assert collect.post(xml, {"1755656000002.jpg": JPEG2}).status_code == 202  # Collect unsure it arrived
    assert counts() == before


def test_a_group_the_team_does_not_cover_is_refused_and_nothing_is_stored(collect):
    before = counts()
    response = collect.post(instance_xml(new_uuid(), group="TDP02", address="Số 7, đường Trần Phú", head="Trần Thị Bình"))
    assert response.status_code == 403
    assert "tổ" in message(response).lower()  # Vietnamese: "…không phải tổ dân phố của tổ bạn"
    assert counts() == before
    assert refusals() == 1


def test_malformed_xml_is_refused(collect):
    before = counts()
    for body in (b"<data id='household_survey'><a1_group>", b'<!DOCTYPE d [<!ENTITY e "x">]><data>&e;</data>'):
        response = collect.post(body)
        assert response.status_code == 400
        assert message(response)
    assert counts() == before
    assert refusals() == 2


def test_an_answer_that_fails_the_form_is_held_not_lost(collect):
    instance_id = new_uuid()
    response = collect.post(instance_xml(instance_id, members=[("Nguyễn Văn An", 1850, "male")]))
    assert response.status_code == 202
    (held,) = db.session.execute(sa.select(QuarantinedSubmission)).scalars()
    assert held.uuid == instance_id and held.payload["answers"]["members"][0]["b1_birth_year"] == 1850
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Submission)) == 0


def test_an_attachment_over_the_limit_is_refused(app, collect):
    app.config["MEDIA_MAX_MB"] = 1
    try:
        before = counts()
        response = collect.post(
            instance_xml(new_uuid(), photos=("1755656000001.jpg",)), {"1755656000001.jpg": b"\xff" * (1024 * 1024 + 10)}
        )
        assert response.status_code == 413
        assert "MB" in message(response)
        assert counts() == before
        assert refusals() == 1
    finally:
        app.config["MEDIA_MAX_MB"] = 10


def test_a_revoked_device_ends_at_once(collect, world):
    assert collect.get("/formList").status_code == 200
    device = db.session.execute(sa.select(CollectDevice)).scalar_one()
    operations.revoke_device(device, world.admin_a)
    db.session.commit()
    assert collect.get("/formList").status_code == 403
    before = counts()
    assert collect.post(instance_xml(new_uuid())).status_code == 403
    assert collect.head_submission().status_code == 403
    assert counts() == before
    assert Collect(collect.client, "not-a-token").get("/formList").status_code == 401
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "openrosa.device_refused")) == 4


def test_an_edit_through_deprecated_id_fixes_a_record_sent_back(collect, world):
    first_id = new_uuid()
    assert collect.post(instance_xml(first_id)).status_code == 201
    submission = db.session.execute(sa.select(Submission)).scalar_one()
    submission.review(ReviewStatus.HAS_ISSUES, world.admin_a.id, "Kiểm tra năm sinh")
    db.session.commit()
    edit_id = new_uuid()
    members = [("Nguyễn Văn An", 1970, "male"), ("Thành viên 2", 1972, "female")]
    response = collect.post(instance_xml(edit_id, members=members, deprecated=first_id))
    assert response.status_code == 201, response.data
    db.session.expire_all()
    submission = db.session.get(Submission, submission.id)
    assert submission.version == 2 and submission.review_status == ReviewStatus.RECEIVED
    assert submission.answers["members"][0]["b1_birth_year"] == 1970
    assert [v.number for v in db.session.execute(sa.select(SubmissionVersion)).scalars()] == [1, 2]
    # the first instance again is a resend; an edit of the superseded instance is refused
    assert collect.post(instance_xml(first_id)).status_code == 202
    stale = collect.post(instance_xml(new_uuid(), deprecated=first_id))
    assert stale.status_code == 409


def test_a_surveyors_edit_of_a_record_not_sent_back_is_a_conflict(collect):
    first_id = new_uuid()
    assert collect.post(instance_xml(first_id)).status_code == 201
    before = counts()
    response = collect.post(instance_xml(new_uuid(), deprecated=first_id, head="Nguyễn Văn An"))
    assert response.status_code == 409
    assert counts() == before
    unknown = collect.post(instance_xml(new_uuid(), deprecated=new_uuid()))
    assert unknown.status_code == 404


def test_a_team_leaders_edit_is_a_correction(app, world, form_a):
    first_id = new_uuid()
    _device, leader_token = operations.create_device(world.leader_1, "Máy tổ trưởng", world.admin_a)
    db.session.commit()
    leader = Collect(app.test_client(), leader_token)
    assert leader.post(instance_xml(first_id)).status_code == 201
    response = leader.post(
        instance_xml(new_uuid(), deprecated=first_id, members=[("Nguyễn Văn An", 1969, "male"), ("Thành viên 2", 1972, "female")])
    )
    assert response.status_code == 201
    submission = db.session.execute(sa.select(Submission)).scalar_one()
    assert submission.version == 2 and submission.answers["members"][0]["age"] == 56


def _rows(submission: Submission) -> dict:
    """What a record made, without ids, wards, groups, senders and times of receipt."""
    skip = {"id", "ward_id", "residential_group_id", "household_id", "submission_id", "surveyor_id", "survey_team_id"}
    skip |= {"received_at", "created_at", "registered_by_id", "client_uuid", "uuid", "content_hash"}

    def plain(row):
        return {c.key: getattr(row, c.key) for c in row.__table__.columns if c.key not in skip}

    household = db.session.get(Household, submission.household_id)
    visit = db.session.execute(sa.select(Visit).where(Visit.submission_id == submission.id)).scalar_one()
    persons = db.session.execute(sa.select(Person).where(Person.household_id == household.id).order_by(Person.line_no)).scalars()
    return {
        "submission": plain(submission),
        "household": plain(household),
        "visit": plain(visit),
        "persons": [plain(p) for p in persons],
    }


def test_an_xml_instance_makes_the_same_rows_as_the_web_phones_record(app, world, collect):
    """Ward A through Collect, ward B through the web phone's JSON API: the same answers, the same rows
    (a household registered at the door, and a listed one)."""
    publish_form(world.ward_b, world.admin_b)
    team_b = world.team_b
    make_user("surveyor_b", world.surveyor_1.role, ward=world.ward_b, team=team_b)
    listed_b = make_household(world.group_b1, "Số 12, ngõ 3, đường Lê Lợi", "Nguyễn Văn An")
    db.session.commit()
    web = ApiClient(app.test_client(), "surveyor_b")
    for address, household_b in (("Số 40, đường Mới", None), ("Số 12, ngõ 3, đường Lê Lợi", listed_b)):
        xml_id, web_id = new_uuid(), new_uuid()
        head = "Nguyễn Văn An"
        assert collect.post(instance_xml(xml_id, address=address, head=head)).status_code == 201
        json_record = web_record(
            web_id, world.group_b1.id, address=address, head=head, household_id=household_b.id if household_b else None
        )
        sent = web.post("/api/submissions", json_record)
        assert sent.status_code == 201, sent.get_json()
        db.session.rollback()  # a fresh read of what the requests committed
        by_xml = db.session.execute(sa.select(Submission).where(Submission.uuid == xml_id)).scalar_one()
        by_web = db.session.execute(sa.select(Submission).where(Submission.uuid == web_id)).scalar_one()
        mine, theirs = _rows(by_xml), _rows(by_web)
        assert mine == theirs


def test_a_form_version_the_ward_never_had_is_refused(collect):
    before = counts()
    response = collect.post(instance_xml(new_uuid(), version="1999.1"))
    assert response.status_code == 404
    assert "1999.1" in message(response)
    assert counts() == before
    assert refusals() == 1
