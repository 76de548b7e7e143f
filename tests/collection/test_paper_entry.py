"""Paper questionnaires keyed in afterwards: the same store path as a phone's record, marked as paper."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from survey_app.audit.models import AuditEvent
from survey_app.clock import local_today, local_zone
from survey_app.collection.models import (
    Channel,
    HouseholdStatus,
    QuarantinedSubmission,
    Submission,
    Visit,
)
from survey_app.extensions import db
from tests.collection.conftest import ApiClient, new_uuid
from tests.collection.forms import VERSION, answers

SUBMIT = "/paper/submissions"


@pytest.fixture
def leader(app, world, form_a):
    return ApiClient(app.test_client(), "leader_1")


def body(world, **changes) -> dict:
    sent = {
        "uuid": new_uuid(),
        "household_id": world.hh_a1.id,
        "surveyor_id": world.surveyor_1.id,
        "day": (local_today() - timedelta(days=2)).isoformat(),
        "form_version": VERSION,
        "answers": answers(),
    }
    sent.update(changes)
    return sent


def events(action="submission.paper_entered") -> list[AuditEvent]:
    return list(db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == action)).scalars())


def test_a_team_leader_keys_in_a_paper_questionnaire_stored_once_with_the_paper_mark(app, world, leader):
    sent = body(world)
    response = leader.post(SUBMIT, sent)
    assert response.status_code == 201, response.get_json()
    back = leader.get(response.get_json()["url"]).get_data(as_text=True)  # the chooser, saying it was stored
    assert f"Đã lưu phiếu giấy của hộ {world.hh_a1.address}" in back
    again = leader.post(SUBMIT, sent)  # sent twice (a double click, a reload): still one submission
    assert again.status_code == 200 and again.get_json()["result"] == "duplicate"
    db.session.expire_all()
    (submission,) = db.session.execute(sa.select(Submission)).scalars().all()
    assert submission.channel == Channel.PAPER
    assert submission.surveyor_id == world.surveyor_1.id and submission.survey_team_id == world.team_1.id
    assert submission.started_at is None and submission.finished_at is None  # its length is not judged
    (visit,) = db.session.execute(sa.select(Visit)).scalars().all()
    assert visit.surveyor_id == world.surveyor_1.id
    assert visit.visited_at.astimezone(local_zone()).date() == local_today() - timedelta(days=2)
    assert db.session.get(type(world.hh_a1), world.hh_a1.id).status == HouseholdStatus.DONE
    (event,) = events()
    assert event.user_id == world.leader_1.id and event.object_id == str(submission.id)
    assert event.detail["surveyor_id"] == world.surveyor_1.id

    # The review page says it was entered from paper, by whom.
    page = leader.get(f"/review/{submission.id}").get_data(as_text=True)
    assert "Nhập từ phiếu giấy" in page
    assert world.leader_1.full_name in page
    assert (local_today() - timedelta(days=2)).strftime("%d/%m/%Y") in page
    # The audit log reads it as a sentence.
    admin = ApiClient(app.test_client(), "admin_a")
    assert "từ phiếu giấy" in admin.get("/audit").get_data(as_text=True)


def test_the_chooser_lists_the_teams_groups_and_opens_the_form_prefilled(world, leader):
    page = leader.get("/paper").get_data(as_text=True)
    assert "TDP01" in page and "TDP02" not in page  # team 1's group only
    page = leader.get(f"/paper?group={world.group_a1.id}").get_data(as_text=True)
    assert world.hh_a1.address in page and world.surveyor_1.full_name in page
    assert world.surveyor_2.full_name not in page  # another team's surveyor
    day = (local_today() - timedelta(days=1)).isoformat()
    response = leader.get(
        f"/paper/form?group={world.group_a1.id}&household={world.hh_a1.id}&surveyor={world.surveyor_1.id}&day={day}"
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    prefilled = json.loads(re.search(r"data-answers='([^']*)'", html).group(1).replace("&#34;", '"'))
    assert prefilled["a1_group"] == "TDP01" and prefilled["a2_address"] == world.hh_a1.address
    assert re.search(r'data-uuid="[0-9a-f-]{36}"', html) and f'data-day="{day}"' in html


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"household_id": 999999}, "Hộ này không có trong danh sách của phường"),
        ({"household_id": "hh"}, "Hộ này không có trong danh sách của phường"),
        ({"day": (local_today() + timedelta(days=1)).isoformat()}, "Ngày phỏng vấn không thể sau hôm nay"),
        ({"day": "31/02/2025"}, "Ngày phỏng vấn không hợp lệ"),
        ({"day": ""}, "Hãy ghi ngày phỏng vấn"),
        ({"surveyor_id": 999999}, "Hãy chọn khảo sát viên đã phỏng vấn"),
        ({"uuid": "x"}, "UUID"),
    ],
)
def test_bad_input_gets_a_clear_message_and_stores_nothing(world, leader, changes, message):
    response = leader.post(SUBMIT, body(world, **changes))
    assert response.status_code == 400
    assert message in response.get_json()["message"]
    assert db.session.execute(sa.select(sa.func.count(Submission.id))).scalar() == 0


def test_other_teams_and_other_wards_are_refused_in_words(world, leader):
    other_team = leader.post(SUBMIT, body(world, household_id=world.hh_a2.id, answers=answers("TDP02")))
    assert other_team.status_code == 400
    assert "không được giao cho tổ của bạn" in other_team.get_json()["message"]
    other_ward = leader.post(SUBMIT, body(world, household_id=world.hh_b1.id))
    assert "không có trong danh sách của phường" in other_ward.get_json()["message"]
    other_surveyor = leader.post(SUBMIT, body(world, surveyor_id=world.surveyor_2.id))
    assert "Hãy chọn khảo sát viên" in other_surveyor.get_json()["message"]
    page = leader.get(f"/paper?group={world.group_b1.id}")
    assert page.status_code == 422 and "Tổ dân phố này không thuộc phường của bạn" in page.get_data(as_text=True)
    page = leader.get(f"/paper?group={world.group_a2.id}")
    assert page.status_code == 422 and "không được giao cho tổ của bạn" in page.get_data(as_text=True)
    future = (local_today() + timedelta(days=3)).isoformat()
    page = leader.get(
        f"/paper/form?group={world.group_a1.id}&household={world.hh_a1.id}&surveyor={world.surveyor_1.id}&day={future}"
    )
    assert page.status_code == 422 and "Ngày phỏng vấn không thể sau hôm nay" in page.get_data(as_text=True)
    assert db.session.execute(sa.select(sa.func.count(Submission.id))).scalar() == 0


def test_answers_that_fail_the_form_wait_in_the_quarantine_marked_paper_then_are_fixed(world, leader):
    sent = body(world, answers=answers(a5_members=99))
    response = leader.post(SUBMIT, sent)
    assert response.status_code == 422
    assert any(e["field"] == "a5_members" for e in response.get_json()["errors"])
    db.session.expire_all()
    (row,) = db.session.execute(sa.select(QuarantinedSubmission)).scalars().all()
    assert row.channel == Channel.PAPER and row.surveyor_id == world.surveyor_1.id
    (event,) = events()
    assert event.object_type == "quarantined_submissions" and event.object_id == str(row.id)
    fixed = leader.post(SUBMIT, {**sent, "answers": answers()})  # fixed on the page and sent again
    assert fixed.status_code == 201
    db.session.expire_all()
    submission = db.session.execute(sa.select(Submission)).scalar_one()
    assert submission.channel == Channel.PAPER
    assert db.session.get(QuarantinedSubmission, row.id).submission_id == submission.id


def test_a_surveyor_keys_in_only_their_own_interviews(app, world, form_a):
    surveyor = ApiClient(app.test_client(), "surveyor_1")
    page = surveyor.get(f"/paper?group={world.group_a1.id}").get_data(as_text=True)
    assert world.leader_1.full_name not in page.split('id="surveyor"')[1].split("</select>")[0]
    refused = surveyor.post(SUBMIT, body(world, surveyor_id=world.leader_1.id))
    assert refused.status_code == 400
    assert surveyor.post(SUBMIT, body(world)).status_code == 201


def test_city_roles_cannot_key_in(app, world, form_a):
    viewer = ApiClient(app.test_client(), "city_viewer")
    assert viewer.get("/paper").status_code == 403
    assert viewer.post(SUBMIT, body(world)).status_code in (400, 403)  # no CSRF token of a collector either
    assert db.session.execute(sa.select(sa.func.count(Submission.id))).scalar() == 0


def test_a_team_leader_cannot_take_over_another_teams_record_by_its_uuid(world, leader):
    row = QuarantinedSubmission(
        uuid=new_uuid(),
        ward_id=world.ward_a.id,
        residential_group_id=world.group_a2.id,
        surveyor_id=world.surveyor_2.id,
        survey_team_id=world.team_2.id,
        form_id="household_survey",
        form_version=VERSION,
        payload={"uuid": "x"},
        errors=[],
        content_hash="0" * 64,
    )
    db.session.add(row)
    db.session.commit()
    response = leader.post(SUBMIT, body(world, uuid=row.uuid))
    assert response.status_code == 409
    db.session.expire_all()
    assert db.session.get(QuarantinedSubmission, row.id).status.value == "open"
    assert db.session.execute(sa.select(sa.func.count(Submission.id))).scalar() == 0


def test_a_ward_admin_keys_in_for_any_team_of_the_ward(app, world, form_a):
    admin = ApiClient(app.test_client(), "admin_a")
    response = admin.post(
        SUBMIT, body(world, household_id=world.hh_a2.id, surveyor_id=world.surveyor_2.id, answers=answers("TDP02"))
    )
    assert response.status_code == 201, response.get_json()
    db.session.expire_all()
    submission = db.session.execute(sa.select(Submission)).scalar_one()
    assert submission.survey_team_id == world.team_2.id and submission.channel == Channel.PAPER
