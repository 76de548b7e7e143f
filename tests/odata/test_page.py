"""The tokens page on the person's own account: make a token (shown once), use it, revoke it."""

from __future__ import annotations

import re

import sqlalchemy as sa

from survey_app.audit.models import AuditEvent
from survey_app.extensions import db
from tests.conftest import csrf_token, login
from tests.odata.helpers import bearer, feed

TOKEN = re.compile(r'data-testid="token-value">([^<]+)<')


def test_make_use_and_revoke_a_token_from_the_page(client, world):
    login(client, "leader_1")
    account = client.get("/account/password").get_data(as_text=True)
    assert 'href="/account/tokens"' in account
    page = client.get("/account/tokens")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    assert f"/odata/{world.ward_a.id}/household_survey.svc" in html and "leader_1" in html
    response = client.post("/account/tokens", data={"csrf_token": csrf_token(html), "name": "Sổ Excel tổ 1", "days": "90"})
    assert response.status_code == 200
    shown = response.get_data(as_text=True)
    secret = TOKEN.search(shown).group(1)
    assert "Sổ Excel tổ 1" in shown
    assert secret not in client.get("/account/tokens").get_data(as_text=True)  # shown once only
    assert client.get(feed(world.ward_a), headers=bearer(secret)).status_code == 200
    html = client.get("/account/tokens").get_data(as_text=True)
    token_id = re.search(r'data-token-id="(\d+)" data-state="valid"', html).group(1)
    revoked = client.post("/account/tokens/revoke", data={"csrf_token": csrf_token(html), "token_id": token_id})
    assert revoked.status_code == 302
    assert client.get(feed(world.ward_a), headers=bearer(secret)).status_code == 401
    assert 'data-state="revoked"' in client.get("/account/tokens").get_data(as_text=True)
    actions = db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.action.like("odata.token%"))).all()
    assert sorted(actions) == ["odata.token_created", "odata.token_revoked"]


def test_nobody_revokes_anothers_token(client, world):
    from tests.odata.helpers import make_token

    make_token(world.admin_a)
    login(client, "leader_1")
    html = client.get("/account/tokens").get_data(as_text=True)
    from survey_app.odata.queries import tokens_of

    (theirs,) = tokens_of(world.admin_a.id)
    response = client.post("/account/tokens/revoke", data={"csrf_token": csrf_token(html), "token_id": str(theirs.id)})
    assert response.status_code == 404
    db.session.refresh(theirs)
    assert theirs.revoked_at is None


def test_roles_that_read_no_rows_have_no_tokens(client, world):
    for username in ("surveyor_1", "city_viewer"):
        fresh = client.application.test_client()
        login(fresh, username)
        assert fresh.get("/account/tokens").status_code == 403
        assert 'href="/account/tokens"' not in fresh.get("/account/password").get_data(as_text=True)
