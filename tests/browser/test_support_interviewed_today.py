"""Offline at the door: interview a new household, then log help for one of its members picked from
"phỏng vấn hôm nay"; once online the help is linked to that person on the server, exactly once."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from survey_app.collection.models import Person, Submission
from survey_app.extensions import db
from survey_app.support import figures, links
from survey_app.support.models import SupportEvent
from survey_app.support.operations import ensure_default_catalogue
from tests.browser.test_offline_households import add_household
from tests.browser.test_offline_survey import finalize, go_offline, household_part, member, sign_in, unsent, wait_unsent
from tests.browser.test_support_offline import check, open_support_form, stored_events

pytestmark = pytest.mark.browser


def test_help_for_a_member_interviewed_offline_today_is_linked_once_synced(live_server, phone, world):
    ensure_default_catalogue(world.ward_a)
    db.session.commit()
    group = world.group_a1.id
    sign_in(phone, live_server)
    open_support_form(phone)  # online once: the support data is cached for the day
    go_offline(phone)

    add_household(phone, group, "Số 77, ngõ 12, đường Lê Lợi", "Hoàng Văn Tám")
    phone.get_by_test_id("outcome-interviewed").click()
    household_part(phone, 2)
    phone.get_by_test_id("form-next").click()
    for index, (name, born, sex) in enumerate([("Hoàng Văn Tám", 1958, "male"), ("Đỗ Thị Chín", 1949, "female")]):
        phone.get_by_test_id("add-member").click()
        phone.get_by_test_id("member-done").click()
        member(phone, index, name=name, born=born, sex=sex)
    finalize(phone)
    assert unsent(phone) == "1"

    open_support_form(phone)
    check(phone, "place", "home")
    check(phone, "helped", "surveyed")
    today = phone.get_by_test_id("sup-today")
    expect(today).to_have_attribute("label", "Phỏng vấn hôm nay trên máy này")
    expect(today.locator("option")).to_have_count(1)
    expect(today.locator("option")).to_contain_text("Số 77, ngõ 12, đường Lê Lợi")
    phone.get_by_test_id("sup-household").select_option(today.locator("option").get_attribute("value"))
    expect(phone.get_by_test_id("sup-today-mark")).to_be_visible()
    people = phone.get_by_test_id("sup-person").locator("option")
    expect(people).to_have_count(3)  # the prompt and the two members
    expect(people.nth(2)).to_have_text("Đỗ Thị Chín (1949) · Số 77, ngõ 12, đường Lê Lợi · phỏng vấn hôm nay")
    phone.get_by_test_id("sup-person").select_option(label=people.nth(2).inner_text())
    check(phone, "types", "vneid_level2")
    check(phone, "outcome", "done")
    phone.get_by_test_id("sup-minutes").fill("20")
    phone.get_by_test_id("sup-save").click()
    phone.wait_for_selector("#s-support:not([hidden])")
    wait_unsent(phone, 2)
    expect(phone.get_by_test_id("support-record")).to_contain_text("Đỗ Thị Chín")
    assert stored_events() == []

    phone.context.set_offline(False)
    wait_unsent(phone, 0)
    (event,) = stored_events()
    submission = db.session.execute(sa.select(Submission)).scalar_one()
    person = db.session.execute(
        sa.select(Person).where(Person.submission_id == submission.id, Person.answer_index == 1)
    ).scalar_one()
    assert person.full_name == "Đỗ Thị Chín" and person.birth_year == 1949
    assert (event.person_id, event.household_id, event.residential_group_id) == (person.id, person.household_id, group)
    assert [t.code for t in event.types] == ["vneid_level2"] and event.volunteer_id == world.surveyor_1.id
    assert links.unlinked_events(world.admin_a, world.ward_a.id) == []
    totals = figures.support_figures(world.admin_a, world.ward_a.id)["totals"]
    assert (totals["events"], totals["people"]) == (1, 1)

    # Sent, the household stays in "phỏng vấn hôm nay" (the phone keeps the members' names, not the answers).
    open_support_form(phone)
    check(phone, "helped", "surveyed")
    expect(phone.get_by_test_id("sup-today").locator("option")).to_have_count(1)
    expect(phone.get_by_test_id("sup-today-mark")).to_be_hidden()  # no household of today chosen yet
    # The server lists the household now too: shown once, under "phỏng vấn hôm nay".
    expect(phone.locator("#supf-household > option", has_text="Số 77")).to_have_count(0)
    phone.get_by_test_id("sup-save").click()  # nothing else filled: refused on the phone, nothing sent
    expect(phone.get_by_test_id("sup-error")).to_be_visible()
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SupportEvent)) == 1
