"""Server-side sessions: logout, revocation, deactivation and a password change sign a device out at once,
wherever its cookies were copied; a phone then gets 401 and asks to sign in again."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from survey_app.accounts.models import EndReason, SessionKind, User, UserSession
from survey_app.extensions import db, utcnow
from survey_app.tokens import token_hash
from tests.conftest import TEST_PASSWORD, login
from tests.teams.conftest import post, sign_in
from tests.teams.test_enrollment import confirm, issue_sheet, open_link

SESSION_COOKIE = "survey_session"
REMEMBER_COOKIE = "remember_token"
PHONE_API = "/api/phone/bootstrap"
PAGE = "/survey"


def copy_cookies(app, source, *names):
    """A second browser holding a copy of some of `source`'s cookies (a stolen or lost phone)."""
    other = app.test_client()
    for name in names:
        cookie = source.get_cookie(name)
        assert cookie is not None, f"no {name} cookie to copy"
        other.set_cookie(name, cookie.value)
    return other


def assert_signed_out(client):
    """The phone API and a page both answer 401 to these very cookies (each tried on a fresh copy,
    since the first refusal tells the browser to drop them)."""
    names = [n for n in (SESSION_COOKIE, REMEMBER_COOKIE) if client.get_cookie(n) is not None]
    api = copy_cookies(client.application, client, *names).get(PHONE_API)
    assert api.status_code == 401 and api.json["error"]["session_ended"] is True
    page = copy_cookies(client.application, client, *names).get(PAGE)
    assert page.status_code == 401
    html = page.get_data(as_text=True)
    assert "Phiên đăng nhập trên thiết bị này đã kết thúc" in html and 'name="password"' in html
    assert client.get(PAGE).status_code in (302, 401)  # the device itself is signed out too
    assert client.get(PAGE).headers.get("Location", "").startswith("/login")  # and then simply asked to log in


def sessions_of(user):
    return db.session.scalars(sa.select(UserSession).where(UserSession.user_id == user.id).order_by(UserSession.id)).all()


@pytest.fixture
def surveyor(client, world):
    assert login(client, "surveyor_1").status_code == 302
    assert client.get(PHONE_API).status_code == 200
    return client


def test_login_opens_a_session_row_and_the_cookie_holds_only_its_token(surveyor, world):
    [row] = sessions_of(world.surveyor_1)
    assert row.kind == SessionKind.PASSWORD and row.ended_at is None and row.device_label
    cookie = surveyor.get_cookie(SESSION_COOKIE).value
    assert row.token_hash not in cookie  # the hash stays on the server
    assert f'"_user_id":"{world.surveyor_1.id}"' not in cookie


def test_logged_out_cookie_gets_401(app, surveyor, world):
    copy = copy_cookies(app, surveyor, SESSION_COOKIE)
    assert copy.get(PHONE_API).status_code == 200  # the copy works while the session lives
    post(surveyor, "/logout")
    assert_signed_out(copy)
    [row] = sessions_of(world.surveyor_1)
    assert row.end_reason == EndReason.LOGOUT


def test_revoked_device_gets_401_at_once(app, surveyor, world):
    copy = copy_cookies(app, surveyor, SESSION_COOKIE)
    admin = sign_in(app.test_client(), "admin_a")
    [row] = sessions_of(world.surveyor_1)
    response = post(admin, f"/accounts/{world.surveyor_1.id}/devices/{row.id}/revoke")
    assert response.status_code == 302
    assert_signed_out(surveyor)
    assert_signed_out(copy)
    db.session.refresh(row)
    assert row.end_reason == EndReason.REVOKED and row.ended_by_id == world.admin_a.id


def test_deactivated_user_gets_401_everywhere_and_cannot_log_in(app, surveyor, world):
    second = app.test_client()
    assert login(second, "surveyor_1").status_code == 302
    admin = sign_in(app.test_client(), "admin_a")
    assert post(admin, f"/accounts/{world.surveyor_1.id}/deactivate").status_code == 302
    assert_signed_out(surveyor)
    assert_signed_out(second)
    assert {r.end_reason for r in sessions_of(world.surveyor_1)} == {EndReason.DEACTIVATED}
    assert login(app.test_client(), "surveyor_1").status_code == 200  # the login form again, not a redirect


def test_old_remember_me_cookie_from_enrollment_gets_401(app, world):
    admin = sign_in(app.test_client(), "admin_a")
    _html, links = issue_sheet(admin, world.team_1)
    phone, path, page = open_link(app, links[world.surveyor_1.id])
    assert confirm(phone, path, page).status_code == 302
    [row] = sessions_of(world.surveyor_1)
    assert row.kind == SessionKind.ENROLLMENT
    # The phone's browser was closed: only the remember-me cookie is left, and it still signs in.
    remembered = copy_cookies(app, phone, REMEMBER_COOKIE)
    assert remembered.get(PHONE_API).status_code == 200
    # The admin takes the lost phone back: the old remember-me cookie no longer works.
    assert post(admin, f"/accounts/{world.surveyor_1.id}/devices/{row.id}/revoke").status_code == 302
    assert_signed_out(copy_cookies(app, phone, REMEMBER_COOKIE))
    assert_signed_out(phone)


def test_password_change_ends_other_sessions_but_keeps_this_one(app, surveyor, world):
    other = app.test_client()
    assert login(other, "surveyor_1").status_code == 302
    token = other.get("/account/password").get_data(as_text=True)
    from tests.conftest import csrf_token

    response = other.post(
        "/account/password",
        data={
            "csrf_token": csrf_token(token),
            "current": TEST_PASSWORD,
            "password": "mot-mat-khau-moi",
            "confirm": "mot-mat-khau-moi",
        },
    )
    assert response.status_code == 302
    assert_signed_out(surveyor)
    assert other.get(PHONE_API).status_code == 200
    assert login(app.test_client(), "surveyor_1", "mot-mat-khau-moi").status_code == 302


def test_expired_session_gets_401(app, surveyor, world):
    [row] = sessions_of(world.surveyor_1)
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert_signed_out(surveyor)


def test_a_cookie_with_a_bare_user_id_signs_nobody_in(app, world):
    """Cookies from before server-side sessions (a bare user id) are refused, not trusted."""
    from flask.sessions import SecureCookieSessionInterface

    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    forged = app.test_client()
    forged.set_cookie(SESSION_COOKIE, serializer.dumps({"_user_id": str(world.admin_a.id), "_fresh": True}))
    assert forged.get("/api/me").status_code == 401


def test_last_seen_is_written_at_most_every_few_minutes(surveyor, world):
    [row] = sessions_of(world.surveyor_1)
    first = row.last_seen_at
    surveyor.get(PHONE_API)
    db.session.refresh(row)
    assert row.last_seen_at == first  # a request right after sign-in writes nothing
    row.last_seen_at = first - timedelta(minutes=10)
    db.session.commit()
    surveyor.get(PHONE_API)
    db.session.refresh(row)
    assert row.last_seen_at > first - timedelta(minutes=1)


def test_the_person_sees_and_ends_their_own_devices(app, surveyor, world):
    other = app.test_client()
    assert login(other, "surveyor_1").status_code == 302
    page = surveyor.get(f"/accounts/{world.surveyor_1.id}/devices")
    assert page.status_code == 200 and page.get_data(as_text=True).count('data-live="yes"') == 2
    assert post(surveyor, f"/accounts/{world.surveyor_1.id}/devices/revoke").status_code == 302
    assert_signed_out(other)
    assert surveyor.get(PHONE_API).status_code == 200  # "all my other devices" keeps this one
    assert surveyor.get(f"/accounts/{world.surveyor_2.id}/devices").status_code == 403


def test_team_devices_page_lists_the_live_sessions_of_the_team(app, surveyor, world):
    leader = sign_in(app.test_client(), "leader_1")
    html = leader.get(f"/teams/{world.team_1.id}/devices").get_data(as_text=True)
    [row] = sessions_of(world.surveyor_1)
    assert f'data-session-id="{row.id}"' in html and f'data-user-id="{world.surveyor_1.id}"' in html
    assert leader.get(f"/teams/{world.team_2.id}/devices").status_code == 403
    token_rows = db.session.scalars(sa.select(UserSession.token_hash)).all()
    assert all(len(h) == 64 for h in token_rows) and token_hash("x") not in token_rows


def test_purge_drops_long_ended_sessions_only(surveyor, world):
    from survey_app.accounts import sessions

    [row] = sessions_of(world.surveyor_1)
    old = UserSession(
        user_id=world.surveyor_1.id,
        token_hash="0" * 64,
        kind=SessionKind.PASSWORD,
        device_label="x",
        created_at=utcnow() - timedelta(days=200),
        last_seen_at=utcnow() - timedelta(days=200),
        expires_at=utcnow() - timedelta(days=170),
        ended_at=utcnow() - timedelta(days=150),
        end_reason=EndReason.LOGOUT,
    )
    db.session.add(old)
    db.session.commit()
    assert sessions.purge_expired() == 1
    assert [r.id for r in sessions_of(world.surveyor_1)] == [row.id]
    assert db.session.get(User, world.surveyor_1.id) is not None
