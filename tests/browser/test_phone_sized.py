"""Staff pages at 360 px: the menu folds into one button, every touch target is at least 44 px tall,
nothing is wider than the screen; at 1280 px the menu is open and the button gone."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser_fixtures import log_in

pytestmark = pytest.mark.browser

PAGES = ("/ward", "/review", "/review/quality", "/review/duplicates", "/audit", "/teams")


def heights(page, selector: str) -> list[tuple[str, float]]:
    return page.evaluate("""(selector) => [...document.querySelectorAll(selector)]
        .filter((el) => el.offsetParent !== null)
        .map((el) => [el.textContent.trim().slice(0, 30), el.getBoundingClientRect().height])""", selector)


def test_the_menu_folds_into_one_button_on_a_phone(live_server, phone, world):
    log_in(phone, live_server, "admin_a", "/ward")
    menu = phone.get_by_test_id("menu-button")
    expect(menu).to_be_visible()
    expect(phone.locator(".mainnav")).to_be_hidden()
    expect(phone.get_by_role("button", name="Đăng xuất")).to_be_hidden()
    assert phone.locator(".topbar").bounding_box()["height"] < 80  # one row: the name and the button
    menu.click()
    expect(phone.locator(".mainnav")).to_be_visible()
    expect(phone.get_by_role("button", name="Đăng xuất")).to_be_visible()
    small = [(text, h) for text, h in heights(phone, ".topbar a, .topbar button, .topbar label, .mainnav a") if h < 44]
    assert small == []  # "Đăng xuất" was 27 px tall
    phone.locator(".mainnav a", has_text="Nhật ký hệ thống").click()
    phone.wait_for_url("**/audit")
    expect(phone.locator(".mainnav")).to_be_hidden()  # a new page starts folded
    for path in PAGES:
        phone.goto(live_server + path)
        assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path


def test_on_a_desk_the_menu_is_open_and_the_button_gone(live_server, desk, world):
    log_in(desk, live_server, "admin_a", "/ward")
    expect(desk.get_by_test_id("menu-button")).to_be_hidden()
    expect(desk.locator(".mainnav")).to_be_visible()
    expect(desk.get_by_role("button", name="Đăng xuất")).to_be_visible()
    assert desk.get_by_role("button", name="Đăng xuất").bounding_box()["height"] >= 44
