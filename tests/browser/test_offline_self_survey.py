"""The online self-survey in a real browser: a resident fills in their household and sends it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from survey_app.collection.models import Channel, Submission
from survey_app.extensions import db
from tests.browser.test_offline_survey import household_part, member, type_in

pytestmark = pytest.mark.browser


def test_a_resident_sends_the_survey_from_the_groups_link(live_server, phone, world):
    world.group_a1.self_survey_token = "to-dan-pho-01-poster-link-abcdefghijkl"
    db.session.commit()
    phone.goto(f"{live_server}/self/{world.group_a1.self_survey_token}")
    expect(phone.get_by_test_id("self-survey")).to_contain_text(world.group_a1.name)
    type_in(phone, "a2_address", "Số 5, ngõ 9, đường Lê Lợi")
    type_in(phone, "a3_head_name", "Đặng Thị Bảy")
    household_part(phone, 1)
    phone.get_by_test_id("form-next").click()
    phone.get_by_test_id("add-member").click()
    phone.get_by_test_id("member-done").click()
    member(phone, 0, name="Đặng Thị Bảy", born=1980, sex="female", online=True)
    phone.get_by_test_id("form-review").click()
    phone.get_by_test_id("finalize").click()
    expect(phone.get_by_test_id("self-thanks")).to_be_visible()
    submission = db.session.execute(sa.select(Submission)).scalar_one()
    assert submission.channel == Channel.ONLINE and submission.household_id is None
    assert submission.answers["a1_group"] == "TDP01" and submission.answers["members"][0]["b0_name"] == "Đặng Thị Bảy"
