"""A second round at the door (issue 18, item 1): last round's members are offered, one marked as moved
away leaves the roster, the others are filled in for the interview, and the same person is kept."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from survey_app.collection.models import Person
from survey_app.extensions import db
from survey_app.rounds.operations import start_round
from tests.browser.test_offline_survey import (  # noqa: F401  (street is a fixture)
    field,
    finalize,
    go_offline,
    household_part,
    member,
    open_household,
    pick,
    sign_in,
    stored_submissions,
    street,
    wait_unsent,
)
from tests.exports.data import interview
from tests.exports.data import member as member_answers

pytestmark = pytest.mark.browser


def test_a_member_marked_moved_at_the_door_leaves_the_roster_and_the_rest_are_filled_in(live_server, phone, world, street):  # noqa: F811
    world.ward_a.survey_starts_on, world.ward_a.survey_ends_on = date(2025, 8, 1), date(2025, 9, 30)
    start_round(world.ward_a, name="Đợt 2 (năm 2026)", starts_on=date(2026, 3, 1), ends_on=None, user=world.admin_a)
    db.session.commit()
    an, moved = db.session.scalars(
        sa.select(Person).where(Person.household_id == street["first"].id).order_by(Person.line_no).limit(2)
    )
    sign_in(phone, live_server)
    expect(phone.locator("#who")).to_contain_text("Đợt 2 (năm 2026)")  # the surveyor sees which round this is
    open_household(phone, street["group"].id, street["first"].id)
    check = phone.get_by_test_id("roster-check")
    expect(check).to_be_visible()
    expect(check.locator("[data-person]")).to_have_count(3)  # the two adults and the child of the roster
    check.locator(f'[data-person="{moved.id}"] input[value="moved"]').check()
    phone.get_by_test_id("outcome-interviewed").click()
    household_part(phone, 2)
    phone.get_by_test_id("form-next").click()
    members = phone.get_by_test_id("member-list").locator("li")
    expect(members).to_have_count(1)  # An only: Thành viên 2 moved away, the child is not asked part B
    expect(members).to_contain_text("Nguyễn Văn An")
    member(phone, 0, name=None, born=1971, sex="male")
    finalize(phone)
    wait_unsent(phone, 0)
    (submission,) = stored_submissions()
    assert [m["b0_name"] for m in submission.answers["members"]] == ["Nguyễn Văn An"]
    db.session.expire_all()
    assert db.session.get(Person, moved.id).left_reason == "moved"
    assert db.session.get(Person, an.id).submission_id == submission.id  # the same person, surveyed again


def measured_items(page, index: int) -> None:
    """What a later round asks a member afresh (nothing of it is pre-filled): who answers, phone and
    Internet use, the services, the learning needs; a member who never uses the Internet skips the skills."""
    page.get_by_test_id(f"member-{index}").click()
    for name in ("b0_respondent", "b6_phone", "b7_computer", "b8_internet", "v1_vneid", "v3_public_services", "v4_cashless"):
        expect(field(page, name).locator("input:checked")).to_have_count(0)
    pick(page, "b0_respondent", "self")
    pick(page, "b6_phone", "smartphone")
    pick(page, "b7_computer", "no")
    pick(page, "b8_internet", "never")
    pick(page, "v1_vneid", "none")
    pick(page, "v3_public_services", "no_need")
    pick(page, "v4_cashless", "no")
    pick(page, "v5_scam", "no")
    pick(page, "l1_topics", "none")
    page.get_by_test_id("member-done").click()


def test_round_two_starts_from_last_rounds_answers_and_a_changed_one_is_the_new_answer(live_server, phone, world, street):  # noqa: F811
    hh = street["first"]
    first = interview(
        hh,
        world.surveyor_1,
        [
            member_answers("Nguyễn Văn An", 1971, b3_occupation="retired", b4_walking="a_lot"),
            member_answers(
                "Thành viên 2", 1972, b2_sex="female", b3_occupation="homemaker", b5_vulnerable=["reading_difficulty"]
            ),
        ],
        when=datetime(2025, 8, 12, 2, 30, tzinfo=timezone.utc),
    )
    world.ward_a.survey_starts_on, world.ward_a.survey_ends_on = date(2025, 8, 1), date(2025, 9, 30)
    start_round(world.ward_a, name="Đợt 2 (năm 2026)", starts_on=date(2026, 3, 1), ends_on=None, user=world.admin_a)
    db.session.commit()
    before = dict(first.answers)
    an = db.session.scalar(sa.select(Person).where(Person.household_id == hh.id, Person.line_no == 1))

    sign_in(phone, live_server)
    go_offline(phone)  # the listing, last round's answers with it, is on the phone
    open_household(phone, street["group"].id, hh.id)
    phone.get_by_test_id("outcome-interviewed").click()
    expect(phone.get_by_test_id("last-round-note")).to_contain_text("12/08/2025")
    expect(field(phone, "a4_phone").locator("input")).to_have_value("0912345678")
    expect(field(phone, "a5_members").locator("input")).to_have_value("2")
    expect(field(phone, "a9_poor").locator('input[value="no"]')).to_be_checked()
    expect(phone.get_by_test_id("last-a9_poor")).to_have_text("Theo đợt trước")
    expect(phone.get_by_test_id("last-a2_address")).to_have_count(0)  # the listing's own, not marked
    # the home's Internet and devices are what the round measures: asked afresh
    expect(field(phone, "a6_internet").locator("input:checked")).to_have_count(0)
    expect(phone.get_by_test_id("last-a6_internet")).to_have_count(0)
    pick(phone, "a6_internet", "yes")
    pick(phone, "a7_connection", "fibre_wifi", "mobile_data")
    pick(phone, "a8_devices", "smartphone", "smart_tv")
    pick(phone, "a9_poor", "near_poor")  # the household is near-poor now
    expect(phone.get_by_test_id("last-a9_poor")).to_have_text("Đã sửa · đợt trước: Không")
    phone.screenshot(path="/tmp/carryover-household.png", full_page=True)
    phone.get_by_test_id("form-next").click()
    expect(phone.get_by_test_id("member-list").locator("li")).to_have_count(2)  # the child is not asked part B
    phone.get_by_test_id("member-0").click()
    expect(field(phone, "b3_occupation").locator('input[value="retired"]')).to_be_checked()
    expect(field(phone, "b4_walking").locator('input[value="a_lot"]')).to_be_checked()
    expect(phone.get_by_test_id("last-b3_occupation")).to_have_text("Theo đợt trước")
    expect(phone.get_by_test_id("last-b6_phone")).to_have_count(0)  # measured again, not pre-filled
    phone.get_by_test_id("member-done").click()  # back to the list, the rest asked below
    measured_items(phone, 0)
    measured_items(phone, 1)
    finalize(phone)
    phone.context.set_offline(False)
    wait_unsent(phone, 0)

    again = stored_submissions()[-1]
    assert again.id != first.id and again.household_id == hh.id
    household = {
        name: again.answers.get(name)
        for name in ("a4_phone", "a5_members", "a6_internet", "a7_connection", "a8_devices", "a10_home_support")
    }
    assert household == {name: before[name] for name in household}  # confirmed (a4, a5, a10) or answered alike
    assert again.answers["a9_poor"] == "near_poor"  # changed: the new answer
    assert "#last" not in again.answers and "#last_on" not in again.answers
    first_member, second_member = again.answers["members"]
    assert (first_member["b3_occupation"], first_member["b4_walking"], first_member["b6_phone"]) == (
        "retired",
        "a_lot",
        "smartphone",
    )
    assert (second_member["b3_occupation"], second_member["b5_vulnerable"]) == ("homemaker", ["reading_difficulty"])
    assert "#last" not in first_member and first_member["l1_topics"] == ["none"]
    db.session.expire_all()
    assert db.session.get(Person, an.id).submission_id == again.id  # the same person, linked to the new interview
