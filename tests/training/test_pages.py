"""The classes-held pages: sessions added by the ward, attendance and completion by the ward's rule."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from survey_app.extensions import db
from survey_app.planning.operations import PlanEditError, set_class_lock
from survey_app.training.models import ClassSession
from tests.conftest import csrf_token, login
from tests.training.conftest import mark, session_of
from tests.training.test_attendance import batch


def sessions() -> list[ClassSession]:
    return list(db.session.scalars(sa.select(ClassSession).order_by(ClassSession.id)))


def add(client, class_id, **fields):
    page = client.get(f"/classes/{class_id}/sessions")
    data = {"held_on": "2025-09-06", "starts_at": "19:30", "venue": "Nhà văn hoá TDP01", "trainer_user": "0", **fields}
    return client.post(f"/classes/{class_id}/sessions", data={**data, "csrf_token": csrf_token(page.get_data(as_text=True))})


def test_the_ward_adds_a_session_and_the_class_is_locked(client, held):
    login(client, "admin_a")
    before = len(sessions())
    response = add(client, held.plan_class.id, trainer_name="Thầy Minh")
    assert response.status_code == 302
    new = sessions()[before:]
    assert [(s.held_on, s.starts_at, s.venue, s.trainer_name) for s in new] == [
        (date(2025, 9, 6), "19:30", "Nhà văn hoá TDP01", "Thầy Minh")
    ]
    db.session.refresh(held.plan_class)
    assert held.plan_class.locked
    page = client.get(f"/classes/{held.plan_class.id}/sessions").get_data(as_text=True)
    assert "Đã thêm buổi học ngày 06/09/2025." in page and "Thầy Minh" in page


def test_a_bad_session_names_what_is_wrong_and_stores_nothing(client, held):
    login(client, "admin_a")
    before = len(sessions())
    for fields, message in [
        ({"held_on": ""}, "Chọn ngày học."),
        ({"starts_at": "7h30"}, "Nhập giờ bắt đầu theo giờ và phút, ví dụ 19:30."),
        ({"venue": " "}, "Hãy nhập địa điểm học."),
    ]:
        response = add(client, held.plan_class.id, **fields)
        assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert add(client, held.plan_class.id).status_code == 302
    twice = add(client, held.plan_class.id)  # the same day and time again
    assert twice.status_code == 400 and "Lớp này đã có buổi học vào ngày giờ đó." in twice.get_data(as_text=True)
    assert len(sessions()) == before + 1


def test_attendance_and_completion_follow_the_wards_rule(client, held, leader, world):
    second = session_of(held.plan_class, days_from_today=-2)
    db.session.commit()
    an, hoa, _binh = held.learners
    batch(leader, mark(held.session, learner_id=an.id), mark(second, learner_id=an.id), mark(held.session, learner_id=hoa.id))
    batch(leader, mark(held.session, walk_in={"full_name": "Bà Tư", "birth_year": 1951}))
    login(client, "admin_a")
    page = client.get(f"/classes/{held.plan_class.id}/sessions").get_data(as_text=True)
    # the default rule: two sessions complete the module; An came to both
    assert "Học viên hoàn thành học phần khi tham dự đủ 2 buổi." in page
    assert "1 trong 4 học viên đã hoàn thành." in page and "Bà Tư" in page and "thêm tại lớp" in page
    ward = client.get(f"/wards/{world.ward_a.id}/classes-held")
    token = csrf_token(ward.get_data(as_text=True))
    client.post(f"/wards/{world.ward_a.id}/classes-held/completion", data={"sessions": "1", "csrf_token": token})
    db.session.expire_all()
    assert world.ward_a.sessions_to_complete == 1
    page = client.get(f"/classes/{held.plan_class.id}/sessions").get_data(as_text=True)
    assert "3 trong 4 học viên đã hoàn thành." in page
    overview = client.get(f"/wards/{world.ward_a.id}/classes-held").get_data(as_text=True)
    assert 'data-module="m2"' in overview and f'data-class-id="{held.plan_class.id}"' not in overview
    listed = client.get(f"/wards/{world.ward_a.id}/classes-held?module=m2").get_data(as_text=True)
    assert f'data-class-id="{held.plan_class.id}"' in listed
    refused = client.post(f"/wards/{world.ward_a.id}/classes-held/completion", data={"sessions": "0", "csrf_token": token})
    db.session.expire_all()
    assert refused.status_code == 302 and world.ward_a.sessions_to_complete == 1
    assert "Chọn số buổi từ 1 đến 10." in client.get(refused.headers["Location"]).get_data(as_text=True)
    # the ward asks for the short check too: nobody has taken it, nobody completes
    client.post(f"/wards/{world.ward_a.id}/classes-held/completion", data={"sessions": "1", "check": "y", "csrf_token": token})
    db.session.expire_all()
    assert world.ward_a.check_to_complete is True and world.ward_a.sessions_to_complete == 1
    page = client.get(f"/classes/{held.plan_class.id}/sessions").get_data(as_text=True)
    assert "0 trong 4 học viên đã hoàn thành." in page and "Học viên cũng phải đạt bài kiểm tra nhanh" in page


def test_a_team_leader_reads_their_groups_learners_only(app, client, held, leader):
    batch(leader, mark(held.session, learner_id=held.learners[0].id))
    login(client, "leader_1")
    page = client.get(f"/classes/{held.plan_class.id}/sessions").get_data(as_text=True)
    assert "Nguyễn Văn An" in page and "Trần Thị Bình" not in page  # Bình lives in team 2's group
    assert 'data-testid="session-form"' not in page  # only the ward adds sessions
    surveyor = app.test_client()
    login(surveyor, "surveyor_1")
    assert surveyor.get(f"/classes/{held.plan_class.id}/sessions").status_code == 403


def test_a_class_with_sessions_cannot_be_unlocked(held):
    set_class_lock(held.plan_class, True)
    try:
        set_class_lock(held.plan_class, False)
    except PlanEditError as error:
        assert "đã có buổi học" in str(error) or "has sessions" in str(error)
    else:
        raise AssertionError("a class with sessions was unlocked")
    assert held.plan_class.locked
