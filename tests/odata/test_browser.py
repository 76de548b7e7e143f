"""Chromium: a team leader makes an API token on their account page, sees it once, and revokes it."""

from __future__ import annotations

import pytest
import requests

from tests.browser_fixtures import log_in

pytestmark = pytest.mark.browser


def test_make_see_once_and_revoke_a_token(live_server, desk, world):
    page = desk
    log_in(page, live_server, "leader_1", "/team")
    page.goto(f"{live_server}/account/password")
    page.click("[data-testid=my-tokens]")
    page.wait_for_url("**/account/tokens")
    page.fill("#name", "Sổ Excel tổ 1")
    page.select_option("#days", "90")
    page.click("[data-testid=create-token]")
    secret = page.text_content("[data-testid=token-value]").strip()
    assert len(secret) >= 40
    feed = page.text_content("[data-testid=feed-url]").strip()
    assert feed == f"{live_server}/odata/{world.ward_a.id}/household_survey.svc"
    assert requests.get(feed, auth=("leader_1", secret), timeout=10).status_code == 200  # as Excel's Basic credential
    page.goto(f"{live_server}/account/tokens")
    assert page.locator("[data-testid=token-value]").count() == 0  # shown once only
    row = page.locator("[data-testid=token-table] tr[data-state=valid]")
    assert row.count() == 1 and "Sổ Excel tổ 1" in row.text_content()
    row.locator("[data-testid=revoke-token]").click()
    page.wait_for_selector("[data-testid=token-table] tr[data-state=revoked]")
    assert requests.get(feed, auth=("leader_1", secret), timeout=10).status_code == 401
