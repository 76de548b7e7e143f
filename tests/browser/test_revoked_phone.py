"""A phone whose device was signed out keeps its unsent records, asks to sign in again, then sends them."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from survey_app.accounts import sessions
from survey_app.accounts.models import EndReason
from survey_app.collection.models import Visit
from survey_app.extensions import db
from tests.browser.test_offline_survey import go_offline, open_household, sign_in, stored_records, wait_unsent
from tests.browser_fixtures import fill_login

pytestmark = pytest.mark.browser


def test_signed_out_phone_keeps_its_queue_and_sends_it_after_signing_in(live_server, phone, world):
    sign_in(phone, live_server)
    go_offline(phone)
    open_household(phone, world.group_a1.id, world.hh_a1.id)
    phone.get_by_test_id("outcome-nobody_home").click()
    wait_unsent(phone, 1)
    # Meanwhile the ward admin signs every device of this surveyor out (a lost phone, say).
    assert sessions.end_all(world.surveyor_1, EndReason.REVOKED, by=world.admin_a) == 1
    db.session.commit()
    phone.context.set_offline(False)
    relogin = phone.get_by_test_id("relogin")
    expect(relogin).to_be_visible(timeout=20_000)
    assert phone.get_by_test_id("unsent-count").inner_text() == "1"
    assert stored_records(phone) == [[world.surveyor_1.id, "queued"]]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Visit)) == 0
    relogin.click()
    phone.wait_for_url("**/login?next=/phone/")
    fill_login(phone, "surveyor_1")
    phone.wait_for_url("**/phone/")
    expect(phone.get_by_test_id("sync-msg")).to_have_attribute("data-state", "done", timeout=20_000)
    wait_unsent(phone, 0)
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Visit)) == 1
    assert stored_records(phone) == [[world.surveyor_1.id, "sent"]]
