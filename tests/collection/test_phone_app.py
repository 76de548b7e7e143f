"""The phone app's page, service worker and the JSON it caches for a day offline."""

import json
import re

from survey_app.collection.models import Household
from survey_app.extensions import db
from survey_app.formdefs.ids import ADULT_AGE
from tests.collection.conftest import ApiClient
from tests.conftest import login


def test_bootstrap_lists_only_my_teams_groups_and_the_current_form(surveyor, world):
    body = surveyor.get("/api/phone/bootstrap").get_json()
    assert body["user"]["id"] == world.surveyor_1.id and body["team"]["id"] == world.team_1.id
    assert [g["id"] for g in body["groups"]] == [world.group_a1.id]
    assert body["groups"][0]["listed"] == 1 and body["groups"][0]["not_visited"] == 1
    assert body["form"] == {"form_id": "household_survey", "version": "test.1"}
    assert set(body["sync"]) == {"batch_size", "backoff_ms", "max_backoff_ms"}
    assert body["adult_age"] == ADULT_AGE == 15  # the phone pre-fills the roster's members of this age or over


def test_household_list_has_the_roster_and_stays_in_the_team(surveyor, world):
    db.session.add(
        Household(
            ward_id=world.ward_a.id,
            residential_group_id=world.group_a1.id,
            address="Số 1",
            head_name="Hộ Mới",
            client_uuid="3f1c6a2e-2b5e-4d7e-9a55-0c1f6f1f2a10",
        )
    )
    db.session.commit()
    body = surveyor.get(f"/api/phone/groups/{world.group_a1.id}/households").get_json()
    assert body["group"]["code"] == "TDP01"
    first, added = body["households"]
    assert first["id"] == world.hh_a1.id and first["status"] == "not_visited"
    roster = world.hh_a1.members
    # name, birth year, sex, and the resident's id (a later round marks who has gone by it)
    assert first["members"] == [["Nguyễn Văn An", 1971, "female", roster[0].id], ["Thành viên 2", 1972, "female", roster[1].id]]
    assert added["client_uuid"] == "3f1c6a2e-2b5e-4d7e-9a55-0c1f6f1f2a10" and added["members"] == []
    assert surveyor.get(f"/api/phone/groups/{world.group_a2.id}/households").status_code == 403
    assert surveyor.get(f"/api/phone/groups/{world.group_b1.id}/households").status_code == 403
    assert surveyor.get("/api/phone/groups/99999/households").status_code == 404


def test_the_shell_page_holds_no_personal_data(app, world, form_a):
    client = app.test_client()
    assert client.get("/phone/").status_code == 302  # log in first
    login(client, "surveyor_1")
    html = client.get("/phone/").get_data(as_text=True)
    assert 'type="module"' in html and "/static/js/phone/app.js" in html
    assert world.surveyor_1.full_name not in html and "csrf" not in html.lower()
    assert "<script>" not in html and "style=" not in html  # the CSP forbids inline code
    viewer = app.test_client()
    login(viewer, "city_viewer")
    assert viewer.get("/phone/").status_code == 403


def test_the_service_worker_lists_every_shell_file(app, world, form_a):
    client = app.test_client()
    response = client.get("/phone/sw.js")
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    source = response.get_data(as_text=True)
    assert "__SHELL" not in source
    version = re.search(r'const VERSION = "([0-9a-f]{16})"', source).group(1)
    assets = json.loads(re.search(r"const SHELL = (\[.*?\]);", source).group(1))
    assert assets[0] == "/phone/" and "/static/js/form-expr.js" in assets and "/static/css/phone.css" in assets
    assert "/static/js/phone/app.js" in assets and "/static/js/phone/sync.js" in assets
    for asset in assets[1:]:
        assert client.get(asset).status_code == 200, asset
    assert version in client.get("/phone/sw.js").get_data(as_text=True)  # stable between requests


def test_the_surveyor_start_page_links_to_the_app(app, world):
    client = app.test_client()
    login(client, "surveyor_1")
    html = client.get("/survey").get_data(as_text=True)
    assert 'href="/phone/"' in html and 'data-testid="open-phone"' in html


def test_a_surveyor_without_team_gets_no_groups(app, world, form_a):
    world.surveyor_1.survey_team_id = None
    db.session.commit()
    body = ApiClient(app.test_client(), "surveyor_1").get("/api/phone/bootstrap").get_json()
    assert body["groups"] == [] and body["team"] is None
