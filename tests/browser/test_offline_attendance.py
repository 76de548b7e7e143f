"""Attendance taken offline in Chromium: learners of the list ticked and one added at the door, kept
through a reload without signal, sent once the signal is back, and stored exactly once although the
first reply is lost."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from survey_app.extensions import db
from survey_app.training.models import Attendance
from tests.browser.test_offline_survey import go_offline, sign_in, unsent, wait_unsent
from tests.training.conftest import held  # noqa: F401  (the fixture)

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
