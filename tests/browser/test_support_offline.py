"""The support log on the phone: logged offline, kept over a reload, synced once; a follow-up closes it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from survey_app.extensions import db
from survey_app.support.models import SupportEvent, SupportOutcome, SupportPlace, SupportType
from survey_app.support.operations import ensure_default_catalogue
from tests.browser.test_offline_survey import go_offline, sign_in, unsent, wait_unsent
from tests.support.conftest import member, surveyed_household

pytestmark = pytest.mark.browser


@pytest.fixture
def helped_person(world):
    ensure_default_catalogue(world.ward_a)
    (person,) = surveyed_household(
        world.group_a1,
        [member("Đặng Thị Hồng", vneid="none")],
        finished=datetime(2025, 8, 20, 3, tzinfo=timezone.utc),
        address="Số 8, ngõ 2",
    )
    db.session.commit()
    return person


def stored_events():
    db.session.expire_all()
    return db.session.execute(sa.select(SupportEvent).order_by(SupportEvent.id)).scalars().all()


def open_support_form(page) -> None:
    page.goto(page.url.split("#")[0] + "#/")
    page.get_by_test_id("open-support").click()
    page.get_by_test_id("support-new").click()
    page.wait_for_selector("#s-supform:not([hidden])")


def check(page, name: str, value: str) -> None:
    page.locator(f'#supf input[name="{name}"][value="{value}"]').check()


def test_support_logged_offline_survives_a_reload_and_syncs_exactly_once(live_server, phone, world, helped_person):
    sign_in(phone, live_server)
    go_offline(phone)
    open_support_form(phone)
    check(phone, "place", "home")
    check(phone, "helped", "surveyed")
    phone.get_by_test_id("sup-household").select_option(str(helped_person.household_id))
    phone.get_by_test_id("sup-person").select_option(str(helped_person.id))
    check(phone, "types", "vneid_install")
    phone.get_by_test_id("sup-save").click()
    expect(phone.get_by_test_id("sup-error")).to_be_visible()  # outcome and minutes are missing
    check(phone, "types", "other")
    phone.get_by_test_id("sup-other").fill("Cài ứng dụng Zalo")
    check(phone, "outcome", "follow_up")
    phone.get_by_test_id("sup-minutes").fill("-5")
    phone.get_by_test_id("sup-save").click()
    expect(phone.get_by_test_id("sup-error")).to_be_visible()  # negative minutes refused on the phone too
    phone.get_by_test_id("sup-minutes").fill("25")
    phone.get_by_test_id("sup-save").click()
    phone.wait_for_selector("#s-support:not([hidden])")
    wait_unsent(phone, 1)
    assert stored_events() == []  # nothing reached the server while offline

    phone.reload()  # still offline: the page, its data and the queue come from the phone
    phone.wait_for_selector("#s-support:not([hidden])")
    assert unsent(phone) == "1"
    expect(phone.get_by_test_id("support-record")).to_have_attribute("data-state", "queued")
    expect(phone.get_by_test_id("support-record")).to_contain_text("Đặng Thị Hồng")

    phone.context.set_offline(False)
    wait_unsent(phone, 0)
    (event,) = stored_events()
    assert (event.person_id, event.household_id, event.residential_group_id) == (
        helped_person.id,
        helped_person.household_id,
        world.group_a1.id,
    )
    assert [t.code for t in event.types] == ["vneid_install", "other"] and event.other_text == "Cài ứng dụng Zalo"
    assert (event.place, event.outcome, event.minutes) == (SupportPlace.HOME, SupportOutcome.FOLLOW_UP, 25)
    assert event.volunteer_id == world.surveyor_1.id and event.survey_team_id == world.team_1.id
    assert abs((datetime.now(timezone.utc) - event.occurred_at).total_seconds()) < 600

    # The team's follow-up list now has it; logging the follow-up from there closes it.
    phone.goto(phone.url.split("#")[0] + "#/s")
    follow_up = phone.locator(f'[data-testid=follow-up][data-uuid="{event.uuid}"]')
    follow_up.get_by_test_id("follow-up-log").click()
    phone.wait_for_selector("#s-supform:not([hidden])")
    expect(phone.get_by_test_id("sup-follow-of")).to_be_visible()
    assert phone.get_by_test_id("sup-person").input_value() == str(helped_person.id)  # pre-filled
    check(phone, "place", "home")
    check(phone, "outcome", "done")
    phone.locator('#supf input[name="types"][value="other"]').uncheck()
    phone.get_by_test_id("sup-minutes").fill("15")
    phone.get_by_test_id("sup-save").click()
    expect(phone.locator("[data-testid=support-record][data-state=sent]")).to_have_count(2, timeout=20_000)
    assert unsent(phone) == "0"
    first, second = stored_events()
    assert second.follow_up_of_id == first.id and second.person_id == helped_person.id
    assert [t.code for t in second.types] == ["vneid_install"] and second.outcome == SupportOutcome.DONE
    expect(phone.locator(f'[data-testid=follow-up][data-uuid="{event.uuid}"]')).to_have_count(0)


def test_a_refused_support_record_is_fixed_on_the_phone(live_server, phone, world, helped_person):
    sign_in(phone, live_server)
    go_offline(phone)
    open_support_form(phone)
    check(phone, "place", "community_house")
    check(phone, "helped", "anonymous")
    check(phone, "age", "75_plus")
    check(phone, "sex", "male")
    check(phone, "types", "tax_app")
    check(phone, "outcome", "done")
    phone.get_by_test_id("sup-minutes").fill("30")
    phone.get_by_test_id("sup-save").click()
    wait_unsent(phone, 1)
    # Meanwhile the ward retires the tax app: the server refuses help with it given after that.
    tax = db.session.scalar(sa.select(SupportType).where(SupportType.ward_id == world.ward_a.id, SupportType.code == "tax_app"))
    tax.retired_at = datetime.now(timezone.utc) - timedelta(days=1)
    db.session.commit()
    phone.context.set_offline(False)
    phone.get_by_test_id("open-problems").wait_for()
    assert stored_events() == []
    phone.get_by_test_id("open-problems").click()
    expect(phone.get_by_test_id("problem")).to_contain_text("75")
    phone.get_by_test_id("problem-open").click()
    phone.wait_for_selector("#s-supform:not([hidden])")
    expect(phone.get_by_test_id("sup-error")).to_contain_text("eTax Mobile")  # the server's reason, naming the kind
    assert phone.locator('#supf input[name="types"][value="tax_app"]').count() == 0  # off the phone's list now
    check(phone, "types", "cashless")
    phone.get_by_test_id("sup-save").click()
    expect(phone.locator("[data-testid=support-record][data-state=sent]")).to_have_count(1, timeout=20_000)
    (event,) = stored_events()
    assert [t.code for t in event.types] == ["cashless"] and (event.anon_age_group, event.anon_sex) == ("75_plus", "male")
