"""Attendance taken offline in Chromium: learners of the list ticked and one added at the door, kept
through a reload without signal, sent once the signal is back, and stored exactly once although the
first reply is lost; a lesson taught at home, recorded offline the same way."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from survey_app.extensions import db
from survey_app.training.models import Attendance, HomeLesson, ModuleCheck
from tests.browser.test_offline_survey import go_offline, sign_in, unsent, wait_unsent
from tests.training.conftest import held  # noqa: F401  (the fixture)
from tests.training.test_home_lessons import home  # noqa: F401  (the fixture)

pytestmark = pytest.mark.browser


def stored() -> list[tuple]:
    db.session.expire_all()
    return db.session.execute(
        sa.select(Attendance.full_name, Attendance.walk_in, Attendance.class_session_id).order_by(Attendance.full_name)
    ).all()


def learner(page, name: str):
    return page.get_by_test_id("att-learner").filter(has_text=name)


def test_attendance_taken_offline_arrives_exactly_once(live_server, phone, held):  # noqa: F811
    sign_in(phone, live_server)
    phone.get_by_test_id("open-attendance").click()
    sessions = phone.get_by_test_id("att-session")
    expect(sessions).to_have_count(1)
    expect(sessions).to_contain_text("Nhà văn hoá TDP01")
    go_offline(phone)

    sessions.click()
    expect(phone.get_by_test_id("att-learner")).to_have_count(3)
    learner(phone, "Nguyễn Văn An").locator("input").check()
    learner(phone, "Lê Thị Hoa").locator("input").check()
    phone.get_by_test_id("att-add").click()  # nothing typed: the phone says what is missing
    expect(phone.get_by_test_id("att-error")).to_have_text("Hãy nhập họ tên học viên.")
    phone.get_by_test_id("att-new-name").fill("Bà Tư")
    phone.get_by_test_id("att-new-year").fill("1951")
    phone.get_by_test_id("att-group").select_option(label="Tổ dân phố TDP01")
    phone.get_by_test_id("att-add").click()
    door = learner(phone, "Bà Tư")
    expect(door).to_contain_text("thêm tại lớp")
    expect(door.locator("input")).to_be_checked()
    phone.get_by_test_id("att-save").click()
    phone.wait_for_selector("#s-attendance:not([hidden])")
    wait_unsent(phone, 3)
    assert stored() == []

    phone.reload()  # no signal: the shell, the lists and the queue come from the phone itself
    wait_unsent(phone, 3)
    phone.goto(f"{live_server}/phone/#/a/{held.session.id}")
    expect(learner(phone, "Nguyễn Văn An")).to_contain_text("đã điểm danh trên máy này")
    expect(learner(phone, "Bà Tư").locator("input")).to_be_disabled()

    lost = []

    def lose_first_reply(route):
        if lost:
            return route.continue_()
        lost.append(route.fetch())  # the server stores the batch, the phone never hears back
        return route.abort()

    phone.route("**/api/submissions/batch", lose_first_reply)
    phone.context.set_offline(False)
    phone.get_by_test_id("send-now").click()
    wait_unsent(phone, 0)
    assert lost and lost[0].status == 200
    session = held.session.id
    assert stored() == [("Bà Tư", True, session), ("Lê Thị Hoa", False, session), ("Nguyễn Văn An", False, session)]
    assert unsent(phone) == "0"

    # Back on the session: the server's list now says who is marked; Bình can still be ticked.
    phone.goto(f"{live_server}/phone/#/a/{session}")
    expect(learner(phone, "Nguyễn Văn An")).to_contain_text("đã điểm danh")
    expect(learner(phone, "Trần Thị Bình").locator("input")).to_be_enabled()


def test_a_lesson_taught_at_home_recorded_offline_arrives_exactly_once(live_server, phone, home):  # noqa: F811
    sign_in(phone, live_server)
    phone.get_by_test_id("open-attendance").click()
    learners = phone.get_by_test_id("home-learner")
    expect(learners).to_have_count(1)  # Trần Thị Bình lives in team 2's group
    expect(learners).to_contain_text("Nguyễn Văn An")
    go_offline(phone)

    learners.click()
    modules = phone.get_by_test_id("home-module")
    expect(modules).to_have_count(2)
    expect(modules.filter(has_text="M2")).to_contain_text("0/2 buổi")
    phone.get_by_test_id("home-save").click()  # nothing ticked: the phone says so
    expect(phone.get_by_test_id("home-error")).to_have_text("Đánh dấu ít nhất một học phần bạn đã hướng dẫn.")
    modules.filter(has_text="M2").locator("input").check()
    phone.get_by_test_id("home-save").click()
    phone.wait_for_selector("#s-attendance:not([hidden])")
    wait_unsent(phone, 1)

    phone.reload()  # no signal: the learner and the lesson come from the phone itself
    wait_unsent(phone, 1)
    phone.goto(f"{live_server}/phone/#/a/h/{home['an']['key'][0]}/1")
    m2 = phone.get_by_test_id("home-module").filter(has_text="M2")
    expect(m2).to_contain_text("1/2 buổi")
    expect(m2).to_contain_text("đã học hôm nay")
    expect(m2.locator("input")).to_be_disabled()

    lost = []

    def lose_first_reply(route):
        if lost:
            return route.continue_()
        lost.append(route.fetch())
        return route.abort()

    phone.route("**/api/submissions/batch", lose_first_reply)
    phone.context.set_offline(False)
    phone.get_by_test_id("send-now").click()
    wait_unsent(phone, 0)
    assert lost and lost[0].status == 200
    db.session.expire_all()
    rows = db.session.execute(sa.select(HomeLesson.full_name, HomeLesson.module, HomeLesson.recorded_by_id)).all()
    assert [(name, module) for name, module, _by in rows] == [("Nguyễn Văn An", "m2")]


def test_the_short_check_at_the_last_session_is_taken_offline_and_judged_by_the_server(live_server, phone, held):  # noqa: F811
    sign_in(phone, live_server)
    phone.goto(f"{live_server}/phone/#/a/{held.session.id}")
    expect(phone.get_by_test_id("att-check")).to_be_visible()  # today's session is the class's last
    expect(phone.get_by_test_id("att-check")).to_contain_text("Hãy điểm danh học viên có mặt trước.")
    go_offline(phone)
    learner(phone, "Nguyễn Văn An").locator("input").check()
    phone.get_by_test_id("att-save").click()
    phone.wait_for_selector("#s-attendance:not([hidden])")
    phone.goto(f"{live_server}/phone/#/a/{held.session.id}")
    phone.get_by_test_id("check-learner").filter(has_text="Nguyễn Văn An").click()
    items = phone.get_by_test_id("check-item")
    expect(items).to_have_count(2)
    items.first.get_by_label("Mức 2", exact=True).check()
    phone.get_by_test_id("check-save").click()  # one question left: the phone says so
    expect(phone.get_by_test_id("check-error")).to_have_text("Hãy trả lời tất cả câu hỏi của bài kiểm tra.")
    items.nth(1).get_by_label("Tự làm được").check()
    phone.get_by_test_id("check-save").click()
    expect(phone.get_by_test_id("check-learner").filter(has_text="Nguyễn Văn An")).to_contain_text("đã kiểm tra trên máy này")
    wait_unsent(phone, 2)

    phone.context.set_offline(False)
    phone.get_by_test_id("send-now").click()
    wait_unsent(phone, 0)
    db.session.expire_all()
    (row,) = db.session.scalars(sa.select(ModuleCheck)).all()
    assert (row.module, row.learner_key, row.answers, row.passed) == (
        "m2",
        f"l:{held.learners[0].id}",
        {"v1_vneid": "level2", "v2_vneid_use": "self"},
        True,
    )
    phone.goto(f"{live_server}/phone/#/a/{held.session.id}")  # the server's result, once the list is fetched again
    expect(phone.get_by_test_id("check-learner").filter(has_text="Nguyễn Văn An").locator(".badge")).to_have_text("đạt")
