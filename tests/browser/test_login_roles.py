"""Each role logs in through a real browser and lands on its own page, in Vietnamese."""

import pytest

from survey_app.accounts.models import Role
from survey_app.demo.generator import DEMO_ACCOUNTS, DEMO_PASSWORD, DemoConfig, generate
from survey_app.extensions import db

pytestmark = pytest.mark.browser

LANDING = {
    Role.WARD_ADMIN: ("/ward", "Tổng quan phường"),
    Role.TEAM_LEADER: ("/team", "Tổ khảo sát 1"),
    Role.SURVEYOR: ("/survey", "Tổ dân phố của tôi"),
    Role.CITY_VIEWER: ("/city", "Các phường, xã của Hải Phòng"),
    Role.CITY_ADMIN: ("/city", "Các phường, xã của Hải Phòng"),
}


@pytest.fixture
def demo_ward():
    ctx = generate(DemoConfig(groups=8, households=160, survey_teams=4, standing_teams=2))
    db.session.commit()
    return ctx


@pytest.mark.parametrize("role", list(Role))
def test_role_logs_in_and_lands_in_vietnamese(live_server, phone, demo_ward, role):
    phone.goto(f"{live_server}/")  # the home page sends an anonymous visitor to the login form
    assert "/login" in phone.url
    assert phone.locator("html").get_attribute("lang") == "vi"
    phone.get_by_label("Tên đăng nhập hoặc số điện thoại").fill(DEMO_ACCOUNTS[role])
    phone.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    phone.get_by_role("button", name="Đăng nhập").click()
    path, heading = LANDING[role]
    phone.wait_for_url(f"**{path}")
    assert heading in phone.get_by_test_id("page-title").inner_text()
    assert phone.locator(".who").get_attribute("data-role") == role.value


def test_wrong_password_message_in_browser(live_server, phone, demo_ward):
    phone.goto(f"{live_server}/login")
    phone.get_by_label("Tên đăng nhập hoặc số điện thoại").fill("canbo")
    phone.get_by_label("Mật khẩu").fill("sai-mat-khau")
    phone.get_by_role("button", name="Đăng nhập").click()
    assert phone.get_by_text("Tên đăng nhập hoặc mật khẩu không đúng.").is_visible()
    assert phone.url.endswith("/login")
