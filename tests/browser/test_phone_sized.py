"""Staff pages at 360 px: the menu folds into one button, every touch target is at least 44 px tall,
nothing is wider than the screen; at 1280 px the menu is open and the button gone."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser_fixtures import log_in

pytestmark = pytest.mark.browser

PAGES = ("/ward", "/review", "/review/quality", "/review/duplicates", "/audit", "/teams", "/dashboard")
#: The dashboard's own pages of ward A ({ward} is its id).
DASHBOARD_PAGES = (
    "/dashboard/ward/{ward}/groups",
    "/dashboard/ward/{ward}/teams",
    "/dashboard/ward/{ward}/members",
    "/dashboard/ward/{ward}/indicators",
    "/dashboard/ward/{ward}/indicators?by=sex",
)


def heights(page, selector: str) -> list[tuple[str, float]]:
    return page.evaluate(
        """(selector) => [...document.querySelectorAll(selector)]
        .filter((el) => el.offsetParent !== null)
        .map((el) => [el.textContent.trim().slice(0, 30), el.getBoundingClientRect().height])""",
        selector,
    )


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
    for path in PAGES + tuple(page.format(ward=world.ward_a.id) for page in DASHBOARD_PAGES):
        phone.goto(live_server + path)
        assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path
        if path.startswith("/dashboard"):  # its tabs, search, sortable headings and picker are fingertip-sized
            small = [
                (text, h)
                for text, h in heights(
                    phone, ".tabs a, .table-search button, .table-search input, th[data-sort] a, #map-indicator, .pager a"
                )
                if h < 44
            ]
            assert small == [], path


def test_on_a_desk_the_menu_is_open_and_the_button_gone(live_server, desk, world):
    log_in(desk, live_server, "admin_a", "/ward")
    expect(desk.get_by_test_id("menu-button")).to_be_hidden()
    expect(desk.locator(".mainnav")).to_be_visible()
    expect(desk.get_by_role("button", name="Đăng xuất")).to_be_visible()
    assert desk.get_by_role("button", name="Đăng xuất").bounding_box()["height"] >= 44


def test_the_phone_apps_title_bar_never_covers_the_sync_bar(live_server, phone, world):
    from survey_app.extensions import db
    from tests.browser.test_offline_survey import sign_in
    from tests.factories import make_household

    for number in range(40):  # a long list, to scroll
        make_household(world.group_a1, f"Số {100 + number}, đường Lê Lợi", f"Chủ hộ {number}", members=1)
    db.session.commit()
    sign_in(phone, live_server)
    phone.goto(phone.url.split("#")[0] + f"#/g/{world.group_a1.id}")
    expect(phone.get_by_test_id("household")).to_have_count(41)
    phone.evaluate("() => window.scrollTo(0, 2500)")  # not wait_for_function: its polling evals, which the CSP refuses
    assert phone.evaluate("() => window.scrollY") > 1500
    bar = phone.locator("header.bar").bounding_box()
    sync = phone.get_by_test_id("sync-bar").bounding_box()
    assert bar["y"] == 0 and sync["y"] >= bar["y"] + bar["height"] - 0.5  # below the title, not under it
    assert sync["y"] + sync["height"] <= 740
    expect(phone.get_by_test_id("send-now")).to_be_in_viewport()


def test_the_review_groups_an_empty_members_problems_and_offers_to_remove_it(live_server, phone, world):
    from survey_app.extensions import db
    from tests.browser.test_offline_survey import household_part, member, open_household, sign_in
    from tests.factories import make_household

    home = make_household(world.group_a1, "Số 40, ngõ 5, đường Lê Lợi", "Phạm Văn Bốn", members=1)
    db.session.commit()
    sign_in(phone, live_server)
    open_household(phone, world.group_a1.id, home.id)
    phone.get_by_test_id("outcome-interviewed").click()
    household_part(phone, 1)
    phone.get_by_test_id("form-next").click()
    member(phone, 0, name=None, born=1950, sex="male")
    phone.get_by_test_id("add-member").click()  # a member added by mistake, left empty
    phone.locator("#back").click()
    phone.get_by_test_id("form-review").click()
    cards = phone.get_by_test_id("problem-entry")
    expect(cards).to_have_count(1)  # one card for the empty member, not one per unanswered question
    expect(cards).to_contain_text("chưa trả lời câu nào")
    expect(phone.get_by_test_id("finalize")).to_be_disabled()
    cards.get_by_test_id("remove-empty").click()
    phone.get_by_test_id("dlg-yes").click()
    expect(phone.get_by_test_id("problem-entry")).to_have_count(0)
    expect(phone.get_by_test_id("finalize")).to_be_enabled()


def test_dates_on_staff_pages_are_written_the_vietnamese_way(live_server, phone, world):
    """Whatever the browser's language: a native date box would show mm/dd/yyyy in an English Chromium."""
    from datetime import date

    from survey_app.extensions import db

    world.ward_a.survey_starts_on = date(2025, 9, 1)
    db.session.commit()
    log_in(phone, live_server, "admin_a", "/ward")
    phone.goto(f"{live_server}/ward/settings")
    starts = phone.locator("#survey_starts_on")
    assert starts.get_attribute("type") == "text" and starts.get_attribute("placeholder") == "dd/mm/yyyy"
    expect(starts).to_have_value("01/09/2025")
    phone.goto(f"{live_server}/audit")
    since = phone.locator("#since")
    assert since.get_attribute("type") == "text" and since.get_attribute("inputmode") == "numeric"
    since.fill("01/01/2020")
    phone.get_by_role("button", name="Lọc").click()
    expect(phone.locator("#since")).to_have_value("01/01/2020")
    expect(phone.locator(".field-error")).to_have_count(0)


def test_phone_dates_and_times_are_typed_and_shown_the_vietnamese_way(live_server, phone, world):
    """The phone's date, time and dateTime boxes, in the phone's own page (its modules as it loads them)."""
    from tests.browser.test_offline_survey import sign_in

    sign_in(phone, live_server)
    result = phone.evaluate("""async () => {
        const w = await import('/static/js/phone/widgets.js');
        const typed = ["15/06/2025", "5/6/2025", "15062025", "31/02/2025", "2025-06-15", "15/06/25"];
        return {
            days: typed.map((text) => w.clockValue("date", text)),
            times: ["10:30", "9:05", "1030", "24:00", "10:3"].map((text) => w.clockValue("time", text)),
            moment: w.clockValue("datetime", "15/06/2025 14:30"),
            digits: w.clockValue("datetime", "150620251430"),
            shown: [w.clockText("date", "2025-06-15"), w.clockText("time", "14:30:00.000+07:00"),
                    w.clockText("datetime", "2025-06-15T14:30:00.000+07:00")],
        };
    }""")
    assert result["days"] == ["2025-06-15", "2025-06-05", "2025-06-15", None, None, None]
    times = result["times"]
    assert times[0].startswith("10:30:00.000") and times[1].startswith("09:05:00.000") and times[2].startswith("10:30")
    assert times[3] is None and times[4] is None
    assert result["moment"].startswith("2025-06-15T14:30:00.000") and result["digits"] == result["moment"]
    assert result["shown"] == ["15/06/2025", "14:30", "15/06/2025 14:30"]
