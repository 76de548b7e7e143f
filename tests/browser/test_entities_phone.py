"""ODK Entities on the phone, in a real Chromium: a household form reading households.csv offers the surveyor the
households of their team's groups (built by the server, no file attached), pulldata() reads the chosen one's
columns, and the answer sent updates that household in the registry."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from survey_app.collection.models import Household, Submission
from survey_app.extensions import db
from survey_app.formdefs import operations
from tests.browser.test_offline_survey import field, open_household, sign_in, type_in, wait_unsent
from tests.factories import make_household

pytestmark = pytest.mark.browser

FORM = (
    "| survey |\n| | type | name | label | read_only | calculation | save_to | relevant |\n"
    "| | text | a1_group | Tổ dân phố | yes | | | |\n"
    "| | select_one_from_file households.csv | neighbour | Hộ bên cạnh | | | | |\n"
    "| | calculate | neighbour_head | | | pulldata('households', 'head_name', 'name', ${neighbour}) | | |\n"
    "| | text | new_phone | Số điện thoại mới | | | phone | ${neighbour_head} != '' |\n"
    "| entities |\n| | list_name | entity_id |\n| | households | ${neighbour} |\n"
    "| settings |\n| | form_id | version |\n| | household_survey | 2099.5 |\n"
)


def test_the_phone_offers_the_teams_households_and_the_answer_updates_the_registry(live_server, phone, world):
    next_door = make_household(world.group_a1, "Số 14, ngõ 3, đường Lê Lợi", "Hoàng Văn Hải")
    db.session.flush()
    draft, loaded = operations.upload(world.ward_a.id, world.admin_a, "entities.md", FORM.encode())
    assert draft is not None and loaded.missing == [], [str(e) for e in loaded.errors]
    assert operations.publish(draft, world.admin_a) is None
    db.session.commit()

    sign_in(phone, live_server)
    open_household(phone, world.group_a1.id, world.hh_a1.id)
    phone.get_by_test_id("outcome-interviewed").click()
    choices = field(phone, "neighbour").locator("input")
    expect(choices).to_have_count(2)  # TDP01's households; TDP02's (another team's) are not on this phone
    assert choices.evaluate_all("(inputs) => inputs.map((i) => i.value)") == [str(world.hh_a1.id), str(next_door.id)]
    expect(field(phone, "neighbour")).to_contain_text("Hoàng Văn Hải - Số 14, ngõ 3, đường Lê Lợi")
    expect(field(phone, "neighbour")).not_to_contain_text(world.hh_a2.head_name)
    assert field(phone, "new_phone").is_hidden()  # shown once pulldata() finds the chosen household's head
    field(phone, "neighbour").locator(f'input[value="{next_door.id}"]').check()
    expect(field(phone, "new_phone")).to_be_visible()
    type_in(phone, "new_phone", "0911222333")
    phone.get_by_test_id("form-next").click()
    phone.get_by_test_id("finalize").click()
    phone.wait_for_selector("#s-households:not([hidden])")
    wait_unsent(phone, 0)

    db.session.expire_all()
    submission = db.session.execute(sa.select(Submission)).scalar_one()
    assert submission.answers["neighbour"] == str(next_door.id)
    assert submission.answers["neighbour_head"] == "Hoàng Văn Hải"  # the phone's pulldata() over the list's rows
    assert db.session.get(Household, next_door.id).phone == "0911222333"
    assert db.session.get(Household, world.hh_a1.id).phone != "0911222333"
