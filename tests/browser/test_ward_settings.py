"""A ward admin changes a plan target on the settings page of a 360 px phone and sees it on the dashboard."""

import pytest

from survey_app.extensions import db
from survey_app.wards.models import Ward
from tests.conftest import TEST_PASSWORD
from tests.dashboard.helpers import OFFLINE, SKILLED, interview

pytestmark = pytest.mark.browser


@pytest.fixture
def answered(world):
    interview(world.hh_a1, [SKILLED, OFFLINE], surveyor=world.surveyor_1)  # level-2 VNeID: 1 of 2 adults
    db.session.commit()
    return world


def log_in(page, live_server, username: str):
    page.goto(f"{live_server}/login")
    page.get_by_label("Tên đăng nhập hoặc số điện thoại").fill(username)
    page.get_by_label("Mật khẩu").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url("**/ward")


def fits_the_width(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def target_bullet(page, key: str):
    """The bullet chart of a plan target at the top of the dashboard."""
    return page.locator(f'[data-testid=bullets] li[data-indicator="{key}"]')


def test_ward_admin_changes_a_target_on_a_phone(live_server, phone, answered):
    errors = []
    phone.on("pageerror", lambda error: errors.append(str(error)))
    log_in(phone, live_server, "admin_a")
    phone.goto(f"{live_server}/dashboard")
    bullet = target_bullet(phone, "vneid_level2")  # the plans' default, missed at 50 %
    assert "Mục tiêu 82%" in bullet.inner_text() and "target-missed" in bullet.get_attribute("class")
    assert fits_the_width(phone)

    phone.goto(f"{live_server}/ward")
    phone.get_by_test_id("settings-link").click()
    phone.wait_for_url("**/ward/settings")
    assert fits_the_width(phone)
    field = phone.get_by_label("VNeID mức 2")
    field.scroll_into_view_if_needed()
    assert field.bounding_box()["height"] >= 44  # a large touch target
    field.fill("45,5")
    phone.get_by_label("Ngày bắt đầu khảo sát").fill("2025-09-01")
    phone.get_by_label("Ngày kết thúc khảo sát").fill("2025-10-31")
    phone.get_by_test_id("save-settings").click()
    phone.wait_for_selector(".flash")
    assert "Đã lưu cài đặt." in phone.locator(".flash").inner_text()
    assert phone.get_by_label("VNeID mức 2").input_value() == "45,5"
    db.session.expire_all()
    assert db.session.get(Ward, answered.ward_a.id).plan_targets == {"vneid_level2": 0.455}

    phone.get_by_test_id("menu-button").click()  # the menu is one button on a phone
    phone.get_by_role("link", name="Bảng theo dõi").first.click()
    phone.wait_for_url("**/dashboard")
    bullet = target_bullet(phone, "vneid_level2")
    assert "Mục tiêu 45,5%" in bullet.inner_text() and "đã đạt" in bullet.inner_text()
    assert "target-met" in bullet.get_attribute("class")
    assert phone.get_by_test_id("schedule").is_visible()

    phone.goto(f"{live_server}/ward/settings")  # a wrong value is refused in words, nothing saved
    phone.get_by_label("VNeID mức 2").fill("150")
    phone.get_by_test_id("save-settings").click()
    problems = phone.get_by_test_id("settings-problems")
    assert "“150” nằm ngoài giới hạn" in problems.inner_text()
    assert fits_the_width(phone)
    db.session.expire_all()
    assert db.session.get(Ward, answered.ward_a.id).plan_targets == {"vneid_level2": 0.455}
    assert not errors, errors


def test_settings_page_on_a_desk(live_server, browser, world):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    page = context.new_page()
    try:
        log_in(page, live_server, "admin_a")
        page.goto(f"{live_server}/ward/settings")
        assert fits_the_width(page)
        first, second = (page.locator(".target-field").nth(i).bounding_box() for i in (0, 1))
        assert first["y"] == second["y"] and second["x"] > first["x"]  # side by side
    finally:
        context.close()
