"""Logging in and out: hashing, one message for every failure, CSRF, cookies (rate limits: tests/hardening)."""

import pytest
import sqlalchemy as sa

from survey_app.accounts.models import User
from survey_app.audit.models import AuditEvent
from survey_app.extensions import db
from tests.conftest import TEST_PASSWORD, csrf_token, login

WRONG = "Tên đăng nhập hoặc mật khẩu không đúng."


@pytest.mark.parametrize(
    "username, landing",
    [
        ("admin_a", "/ward"),
        ("leader_1", "/team"),
        ("surveyor_1", "/survey"),
        ("city_viewer", "/city"),
    ],
)
def test_each_role_lands_on_its_page(client, world, username, landing):
    response = login(client, username)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert client.get("/").headers["Location"] == landing
    assert client.get(landing).status_code == 200


def test_password_is_hashed(world):
    user = db.session.execute(sa.select(User).where(User.username == "admin_a")).scalar_one()
    assert TEST_PASSWORD not in user.password_hash and user.password_hash.startswith(("scrypt:", "pbkdf2:"))


def test_wrong_password_and_unknown_account_get_the_same_message(client, world):
    wrong = login(client, "admin_a", "sai-mat-khau").get_data(as_text=True)
    unknown = login(client, "khong-ton-tai", "sai-mat-khau").get_data(as_text=True)
    assert WRONG in wrong and WRONG in unknown
    assert client.get("/ward").status_code == 302  # still logged out
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.action == "login.failed")) == 2


def test_inactive_account_cannot_log_in(client, world):
    world.admin_a.active = False
    db.session.commit()
    assert WRONG in login(client, "admin_a").get_data(as_text=True)


def test_missing_csrf_token_is_refused(client, world):
    response = client.post("/login", data={"username": "admin_a", "password": TEST_PASSWORD})
    assert response.status_code == 400
    assert "Biểu mẫu đã hết hạn" in response.get_data(as_text=True)
    login(client, "admin_a")
    assert client.post("/logout").status_code == 400  # logout is a state change too


def test_logout(client, world):
    login(client, "admin_a")
    token = csrf_token(client.get("/ward").get_data(as_text=True))
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/ward").status_code == 302


def test_session_cookie_flags(client, world):
    response = login(client, "admin_a")
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("survey_session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_next_only_follows_local_paths(client, world):
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login?next=https://evil.example/", data={"username": "admin_a", "password": TEST_PASSWORD, "csrf_token": token}
    )
    assert response.headers["Location"] == "/"


def test_anonymous_is_sent_to_login(client, world):
    response = client.get("/ward")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert client.get("/api/me").status_code == 401


def test_me(client, world):
    login(client, "surveyor_1")
    assert client.get("/api/me").get_json()["survey_team_id"] == world.team_1.id
