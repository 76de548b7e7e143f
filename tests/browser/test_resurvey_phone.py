"""A second round at the door (issue 18, item 1): last round's members are offered, one marked as moved
away leaves the roster, the others are filled in for the interview, and the same person is kept."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from survey_app.collection.models import Person
from survey_app.extensions import db
from survey_app.rounds.operations import start_round
from tests.browser.test_offline_survey import (  # noqa: F401  (street is a fixture)
    finalize,
    household_part,
    member,
    open_household,
    sign_in,
    stored_submissions,
    street,
    wait_unsent,
)

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
