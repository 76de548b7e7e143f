"""A phone enrolls by opening its QR link in a real Chromium (360 px wide), once."""

import pytest

from tests.conftest import TEST_PASSWORD


@pytest.mark.browser
def test_phone_enrolls_by_opening_the_qr_link(live_server, browser, world):
    from playwright.sync_api import expect

    desk_context = browser.new_context()
    desk = desk_context.new_page()
    desk.goto(f"{live_server}/login")
    desk.fill("#username", "admin_a")
    desk.fill("#password", TEST_PASSWORD)
    desk.click("button[type=submit]")
    desk.goto(f"{live_server}/teams/{world.team_1.id}")
    desk.click("[data-testid=print-cards]")
    card = desk.locator(f"[data-user-id='{world.surveyor_1.id}'].qr-card")
    expect(card.locator("img.qr")).to_be_visible()
    link = card.get_attribute("data-enroll-url")
    assert link.startswith(f"{live_server}/enroll/")

    phone = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True, device_scale_factor=2)
    page = phone.new_page()
    page.goto(link)  # what the camera app opens after reading the QR code
    expect(page.get_by_test_id("enroll-name")).to_have_text(world.surveyor_1.full_name)
    button = page.get_by_test_id("enroll-confirm")
    box = button.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 200  # a large touch target
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    button.tap()
    expect(page.get_by_test_id("page-title")).to_be_visible()
    assert page.url.endswith("/survey")
    expect(page.locator(".who")).to_contain_text(world.surveyor_1.full_name)

    again = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True).new_page()
    response = again.goto(link)
    assert response.status == 410
    expect(again.get_by_test_id("enroll")).to_have_attribute("data-state", "used")
    assert again.locator(".who").count() == 0  # nobody signed in
    for context in (desk_context, phone, again.context):
        context.close()
