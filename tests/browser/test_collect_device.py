"""Ward staff make an ODK Collect device on the member's page, see its card's Collect QR, and revoke it."""

from __future__ import annotations

import base64
import json
import zlib

import pytest
from playwright.sync_api import expect

from survey_app.qrcodes import qr_data_uri
from tests.browser_fixtures import log_in
from tests.openrosa.conftest import COLLECT_HEADERS, publish_form

pytestmark = pytest.mark.browser


def test_ward_staff_make_a_collect_device_see_its_qr_and_revoke_it(app, live_server, desk, world):
    publish_form(world.ward_a, world.admin_a)
    log_in(desk, live_server, "admin_a", "/ward")
    desk.goto(f"{live_server}/teams/{world.team_1.id}")
    desk.locator(f"tr[data-user-id='{world.surveyor_1.id}'] [data-testid=collect-devices]").click()
    desk.wait_for_url(f"**/collect/members/{world.surveyor_1.id}")
    desk.fill("#collect-label", "Điện thoại Samsung của An")
    desk.get_by_test_id("create-collect-device").click()
    qr = desk.get_by_test_id("collect-qr")
    expect(qr).to_be_visible()
    expect(desk.get_by_test_id("web-qr")).to_be_visible()
    payload = qr.get_attribute("data-payload")
    assert qr.get_attribute("src") == qr_data_uri(payload)  # the image is the QR code of this payload
    settings = json.loads(zlib.decompress(base64.b64decode(payload)))
    assert set(settings) == {"general", "admin", "project"}
    server_url = settings["general"]["server_url"]
    assert server_url.startswith(f"{live_server}/collect/key/")
    assert "Phường An Biên" in settings["project"]["name"]
    collect = app.test_client()
    path = server_url.removeprefix(live_server)
    assert collect.get(f"{path}/formList", headers=COLLECT_HEADERS).status_code == 200
    desk.goto(f"{live_server}/collect/members/{world.surveyor_1.id}")
    row = desk.locator("[data-testid=collect-device-table] tr[data-live=yes]")
    expect(row).to_contain_text("Điện thoại Samsung của An")
    row.get_by_test_id("revoke-collect-device").click()
    expect(desk.locator("[data-testid=collect-device-table] tr[data-live=no]")).to_have_count(1)
    assert collect.get(f"{path}/formList", headers=COLLECT_HEADERS).status_code == 403
