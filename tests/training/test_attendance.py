"""Attendance taken on the phone: stored once through the sync core, refused with a clear message
(another ward's class, a learner marked twice, a class the member does not see), a copy kept."""

from __future__ import annotations

import sqlalchemy as sa

from survey_app.audit.models import AuditEvent
from survey_app.collection.models import Person
from survey_app.extensions import db
from survey_app.sync.refused import RefusedRecord
from survey_app.training.models import Attendance
from tests.training.conftest import mark, session_of


def batch(client, *items) -> list[dict]:
    response = client.post("/api/submissions/batch", {"items": list(items)})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["results"]


def attendances() -> list[Attendance]:
    return list(db.session.scalars(sa.select(Attendance).order_by(Attendance.id)))


def kept() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(RefusedRecord).where(RefusedRecord.kind == "attendance"))


def test_marked_learners_are_stored_once_and_a_resend_is_a_duplicate(held, leader, world):
    # the household's lines are not the answers' positions (a member listed before the survey): the
    # learner's line in the plan is the position in the answers
    db.session.execute(sa.update(Person).where(Person.household_id == world.hh_a1.id).values(line_no=Person.line_no + 6))
    db.session.commit()
    records = [mark(held.session, learner_id=x.id) for x in held.learners[:2]]
    first = batch(leader, *records)
    assert [r["status"] for r in first] == [201, 201] and all(r["attendance_id"] for r in first)
    again = batch(leader, *records)  # the reply was lost: the phone sends the same batch
    assert [r["status"] for r in again] == [200, 200] and [r["result"] for r in again] == ["duplicate", "duplicate"]
    rows = attendances()
    assert [(r.plan_learner_id, r.class_session_id, r.walk_in) for r in rows] == [
        (held.learners[0].id, held.session.id, False),
        (held.learners[1].id, held.session.id, False),
    ]
    # the listed learner is the surveyed person of their household record's line
    person = db.session.get(Person, rows[0].person_id)
    assert person.submission_id == held.learners[0].submission_id and person.answer_index == 0


def test_one_record_alone_through_the_single_endpoint(held, leader):
    response = leader.post("/api/submissions", mark(held.session, learner_id=held.learners[0].id))
    assert response.status_code == 201 and response.get_json()["result"] == "stored"


def test_a_learner_marked_twice_for_one_session_is_refused_and_kept(held, leader, app):
    from tests.collection.conftest import ApiClient

    assert batch(leader, mark(held.session, learner_id=held.learners[0].id))[0]["status"] == 201
    other_phone = ApiClient(app.test_client(), "admin_a")
    (second,) = batch(other_phone, mark(held.session, learner_id=held.learners[0].id))
    assert second["status"] == 409 and second["result"] == "already_marked"
    assert "Nguyễn Văn An" in second["message"] and second["kept_id"]
    assert len(attendances()) == 1 and kept() == 1


def test_a_walk_in_added_at_the_door_is_stored_and_matched_to_a_surveyed_resident(held, leader, world):
    walk_in = {"full_name": "Thanh Vien 2", "birth_year": 1972, "residential_group_id": world.group_a2.id}
    (result,) = batch(leader, mark(held.session, walk_in=walk_in))
    assert result["status"] == 201
    (row,) = attendances()
    # "Thành viên 2", born 1972, lives in TDP02 (tests/factories.make_household), not on the class's list:
    # matched without accents
    person = db.session.get(Person, row.person_id)
    assert row.walk_in and person.full_name == "Thành viên 2" and person.household_id == world.hh_a2.id
    # the same walk-in typed again with its accents is the same learner: refused
    (again,) = batch(leader, mark(held.session, walk_in={**walk_in, "full_name": "  Thành  Viên 2"}))
    assert again["status"] == 409 and again["result"] == "already_marked"


def test_a_walk_in_who_is_on_the_list_counts_as_the_listed_learner(held, leader, world):
    listed = held.learners[1]  # Lê Thị Hoa, line 2 of hh_a1: the person row of line 2 is "Thành viên 2", 1972
    person = db.session.scalar(sa.select(Person).where(Person.submission_id == listed.submission_id, Person.answer_index == 1))
    (result,) = batch(
        leader,
        mark(
            held.session,
            walk_in={
                "full_name": person.full_name,
                "birth_year": person.birth_year,
                "residential_group_id": person.residential_group_id,
            },
        ),
    )
    assert result["status"] == 201
    (row,) = attendances()
    assert row.plan_learner_id == listed.id and not row.walk_in
    (twice,) = batch(leader, mark(held.session, learner_id=listed.id))
    assert twice["status"] == 409


def test_attendance_for_a_class_of_another_ward_is_refused_audited_and_kept(held, leader):
    before = db.session.scalar(
        sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.action == "attendance.refused")
    )
    (result,) = batch(leader, mark(held.other_ward_session, learner_id=held.learners[0].id))
    assert result["status"] == 403 and result["result"] == "other_ward"
    assert result["message"] == "Lớp học này thuộc phường, xã khác."
    assert attendances() == [] and kept() == 1
    after = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.action == "attendance.refused"))
    assert after == before + 1


def test_a_member_of_another_team_may_not_take_the_attendance_unless_they_train_the_class(held, app, world):
    from tests.collection.conftest import ApiClient

    other_team = ApiClient(app.test_client(), "surveyor_2")
    held.plan_class.learners  # noqa: B018 (loaded)
    lone = session_of(held.plan_class, days_from_today=-1)
    db.session.commit()
    # surveyor_2's team has one learner of the class (Trần Thị Bình, TDP02): they see the class
    assert batch(other_team, mark(lone, learner_id=held.learners[2].id))[0]["status"] == 201
    db.session.query(Attendance).delete()
    db.session.delete(held.learners[2])  # Bình leaves the class: team 2 no longer sees it
    db.session.commit()
    (refused,) = batch(other_team, mark(lone, learner_id=held.learners[0].id))
    assert refused["status"] == 403 and refused["result"] == "forbidden"
    lone.trainer_user_id = world.surveyor_2.id  # the trainer takes attendance at their own class
    db.session.commit()
    assert batch(other_team, mark(lone, learner_id=held.learners[0].id))[0]["status"] == 201


def test_bad_attendance_records_name_what_is_wrong_and_store_nothing(held, leader, world):
    cases = [
        (mark(held.session), 400, "bad_learner"),
        (mark(held.session, learner_id=held.learners[0].id, walk_in={"full_name": "A", "birth_year": 1960}), 400, "bad_learner"),
        (mark(held.session, walk_in={"full_name": " ", "birth_year": 1960}), 400, "bad_walk_in"),
        (mark(held.session, walk_in={"full_name": "Bà Tư", "birth_year": 1850}), 400, "bad_birth_year"),
        (mark(held.session, learner_id=held.learners[0].id, class_session_id="x"), 400, "bad_session"),
        (mark(held.session, learner_id=held.learners[0].id, recorded_at="hôm qua"), 400, "bad_time"),
        (mark(held.session, learner_id=999_999), 400, "not_on_list"),
        (mark(held.session, learner_id=held.learners[0].id, class_session_id=999_999), 404, "unknown_session"),
        (
            mark(held.session, walk_in={"full_name": "Bà Tư", "birth_year": 1950, "residential_group_id": world.group_b1.id}),
            403,
            "other_ward",
        ),
    ]
    results = batch(leader, *(record for record, _status, _code in cases))
    assert [(r["status"], r["result"]) for r in results] == [(status, code) for _record, status, code in cases]
    assert all(r.get("message") for r in results)
    assert attendances() == [] and kept() == len(cases)


def test_attendance_before_the_session_day_is_refused(held, leader):
    later = session_of(held.plan_class, days_from_today=3)
    db.session.commit()
    (result,) = batch(leader, mark(later, learner_id=held.learners[0].id))
    assert result["status"] == 400 and result["result"] == "not_yet"
    assert attendances() == []


def test_the_phone_gets_the_sessions_it_may_mark_with_their_lists(held, leader, app):
    from tests.collection.conftest import ApiClient

    batch(leader, mark(held.session, learner_id=held.learners[0].id))
    data = leader.get("/api/training/phone").get_json()
    (session,) = data["sessions"]
    assert session["id"] == held.session.id and session["venue"] == "Nhà văn hoá TDP01"
    assert [x["name"] for x in session["learners"]] == ["Lê Thị Hoa", "Nguyễn Văn An", "Trần Thị Bình"]
    assert session["marked"] == [f"l:{held.learners[0].id}"]
    assert {g["name"] for g in data["groups"]} == {"Tổ dân phố TDP01", "Tổ dân phố TDP02"}
    assert session["title"]["vi"]  # the module's title from the scoring rules
    ward_b = ApiClient(app.test_client(), "admin_b")
    assert [s["id"] for s in ward_b.get("/api/training/phone").get_json()["sessions"]] == [held.other_ward_session.id]
