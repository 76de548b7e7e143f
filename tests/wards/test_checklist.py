"""The ward admin's onboarding checklist: each step counted from the data, linked to its page."""

import re

from survey_app.extensions import db
from survey_app.wards.models import Ward
from tests.conftest import csrf_token, login
from tests.teams.conftest import audit


def steps(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-step="(\w+)" data-done="(yes|no)"', html))


def test_steps_follow_the_data_and_households_may_be_registered_at_the_door(client, world):
    login(client, "admin_a")
    html = client.get("/ward").get_data(as_text=True)
    # The world has groups, people in teams that cover every group, but no household list, cards or submission.
    assert steps(html) == {
        "groups": "yes",
        "households": "no",
        "people": "yes",
        "teams": "yes",
        "cards": "no",
        "form": "yes",
        "submission": "no",
    }
    assert "Nhập danh sách hộ" in html and 'href="/teams/imports/households"' in html
    token = csrf_token(html)
    assert client.post("/ward/households-at-door", data={"csrf_token": token, "at_door": "1"}).status_code == 302
    assert db.session.get(Ward, world.ward_a.id).households_at_door is True
    [event] = audit("ward.settings_changed")
    assert event.detail == {"households_at_door": True}
    assert steps(client.get("/ward").get_data(as_text=True))["households"] == "yes"


def test_only_the_ward_admin_sees_it(client, world):
    login(client, "city_viewer")
    assert 'data-testid="checklist"' not in client.get(f"/wards/{world.ward_a.id}").get_data(as_text=True)
