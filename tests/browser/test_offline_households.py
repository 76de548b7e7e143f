"""Household list on the phone: search, status filter, a new household registered offline, GPS."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from survey_app.collection.models import Household, HouseholdStatus, Visit, VisitOutcome
from survey_app.extensions import db
from tests.browser.test_offline_survey import go_offline, open_household, sign_in, wait_unsent
from tests.factories import make_household

pytestmark = pytest.mark.browser


def addresses(page):
    return page.get_by_test_id("household").locator("strong")


def test_search_filter_new_household_and_location(live_server, phone, world):
    make_household(world.group_a1, "Số 40, ngõ 5, đường Lê Lợi", "Phạm Văn Bốn", members=1)
    db.session.commit()
    phone.context.grant_permissions(["geolocation"])
    phone.context.set_geolocation({"latitude": 20.8512, "longitude": 106.6834, "accuracy": 12})
    sign_in(phone, live_server)
    group = world.group_a1.id

    # A located visit, sent at once: nobody home at the first household.
    open_household(phone, group, world.hh_a1.id)
    phone.get_by_test_id("gps").click()
    expect(phone.get_by_test_id("gps-state")).to_contain_text("12")
    phone.get_by_test_id("outcome-nobody_home").click()
    phone.wait_for_selector("#s-households:not([hidden])")
    wait_unsent(phone, 0)
    visit = db.session.execute(sa.select(Visit)).scalar_one()
    assert (visit.latitude, visit.longitude, visit.accuracy_m) == (20.8512, 106.6834, 12)

    # Search ignores accents and case; the filter uses the statuses this phone knows.
    phone.get_by_test_id("hh-search").fill("pham van bon")
    expect(addresses(phone)).to_have_text(["Số 40, ngõ 5, đường Lê Lợi"])
    phone.get_by_test_id("hh-search").fill("")
    expect(addresses(phone)).to_have_count(2)
    phone.locator("#hh-filter [data-f=revisit]").click()
    expect(addresses(phone)).to_have_text(["Số 12, ngõ 3, đường Lê Lợi"])
    phone.locator("#hh-filter [data-f=not_visited]").click()
    expect(addresses(phone)).to_have_text(["Số 40, ngõ 5, đường Lê Lợi"])
    phone.locator("#hh-filter [data-f='']").click()

    # A household not on the list, registered without signal, reconciled once on sync.
    go_offline(phone)
    phone.get_by_test_id("new-household").click()
    phone.get_by_test_id("nh-address").fill("Số 77, ngõ 5, đường Lê Lợi")
    phone.get_by_test_id("nh-head").fill("Hoàng Văn Sáu")
    phone.get_by_test_id("nh-save").click()
    phone.get_by_test_id("outcome-new_household").click()
    wait_unsent(phone, 1)
    open_household(phone, group, phone.locator("[data-household^='c-']").get_attribute("data-household"))
    phone.get_by_test_id("outcome-nobody_home").click()
    wait_unsent(phone, 2)
    expect(phone.get_by_test_id("household")).to_have_count(3)
    phone.context.set_offline(False)
    wait_unsent(phone, 0)
    db.session.expire_all()
    added = db.session.execute(sa.select(Household).where(Household.client_uuid.is_not(None))).scalar_one()
    assert (added.address, added.head_name, added.status) == (
        "Số 77, ngõ 5, đường Lê Lợi",
        "Hoàng Văn Sáu",
        HouseholdStatus.REVISIT,
    )
    outcomes = db.session.execute(sa.select(Visit.outcome).where(Visit.household_id == added.id)).scalars().all()
    assert sorted(outcomes) == [VisitOutcome.NEW_HOUSEHOLD, VisitOutcome.NOBODY_HOME]
    phone.reload()
    phone.goto(phone.url.split("#")[0] + f"#/g/{group}")
    expect(phone.get_by_test_id("household")).to_have_count(3)  # listed once, now with its server id
    expect(phone.locator(f'[data-household="{added.id}"]')).to_have_count(1)


def add_household(phone, group_id: int, address: str, head: str) -> None:
    """From the group's list, register a household not on it (the phone may ask before it adds it)."""
    phone.goto(phone.url.split("#")[0] + f"#/g/{group_id}")
    phone.get_by_test_id("new-household").click()
    phone.get_by_test_id("nh-address").fill(address)
    phone.get_by_test_id("nh-head").fill(head)
    phone.get_by_test_id("nh-save").click()


def test_a_new_household_that_may_be_on_the_list_is_flagged_at_the_door(live_server, phone, world):
    """hh_a1 is "Số 12, ngõ 3, đường Lê Lợi", head Nguyễn Văn An; the check runs offline, on the cached list."""
    group = world.group_a1.id
    sign_in(phone, live_server)
    phone.goto(phone.url.split("#")[0] + f"#/g/{group}")
    expect(phone.get_by_test_id("household")).to_have_count(1)
    go_offline(phone)

    # The same address typed without accents, "số" or commas: the surveyor opens the listed household.
    add_household(phone, group, "12 ngo 3 duong le loi", "Ai Đó")
    expect(phone.locator("#dlg-text")).to_contain_text("Hộ này có thể đã có trong danh sách")
    expect(phone.locator("#dlg-text")).to_contain_text("Số 12, ngõ 3, đường Lê Lợi")
    phone.get_by_test_id("dlg-open").click()
    expect(phone.locator("#visit-addr")).to_have_text("Số 12, ngõ 3, đường Lê Lợi")

    # The same head at the same number and street, written another way: flagged; it is another household.
    add_household(phone, group, "Nhà 12, ngách 3/7, đường Lê Lợi", "nguyen van an")
    expect(phone.locator("#dlg-text")).to_contain_text("Nguyễn Văn An")
    phone.get_by_test_id("dlg-add").click()
    expect(phone.locator("#visit-addr")).to_have_text("Nhà 12, ngách 3/7, đường Lê Lợi")

    # Nearly the same: a typo in the head's name and one in the address.
    add_household(phone, group, "12 ngo 3 duong Le Loj", "Nguyen Van Ann")
    expect(phone.locator("#dlg-text")).to_contain_text("Số 12, ngõ 3, đường Lê Lợi")
    phone.get_by_test_id("dlg-open").click()
    expect(phone.locator("#visit-addr")).to_have_text("Số 12, ngõ 3, đường Lê Lợi")

    # Another address: no question asked.
    add_household(phone, group, "Số 90, đường Lê Lợi", "Nguyễn Văn An")
    expect(phone.locator("#visit-addr")).to_have_text("Số 90, đường Lê Lợi")
    phone.goto(phone.url.split("#")[0] + f"#/g/{group}")
    expect(phone.get_by_test_id("household")).to_have_count(3)  # the listed one and the two added
