"""Rate limits an attacker cannot turn against users.

- The client address comes from a forwarded-for header only when SURVEY_TRUSTED_PROXIES says so.
- Failed logins slow the account down with growing waits, never a lock; a device where the person
  already signed in is never held back by failures from elsewhere (or from its own address).
- Self-survey limits count per address *and* group link.
- Enrolment codes that do not work are limited per address and summed up in the audit log.
- Failure rows are purged when they expire.
"""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from survey_app.accounts import operations as account_operations
from survey_app.accounts.models import LoginFailure
from survey_app.audit.models import AuditEvent
from survey_app.extensions import db, limiter, utcnow
from survey_app.teams import enrollment
from tests.collection.conftest import new_uuid
from tests.collection.forms import FORM_ID, VERSION, answers, publish_test_form
from tests.conftest import TEST_PASSWORD, app_for, csrf_token

WAIT_VI = "Tài khoản này đã nhập sai mật khẩu quá nhiều lần"


def _login(client, username, password=TEST_PASSWORD, **environ):
    token = csrf_token(client.get("/login", **environ).get_data(as_text=True))
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token}, **environ)


def _events(action):
    return db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == action)).scalars().all()


@pytest.fixture
def later(monkeypatch):
    """later(seconds): move the accounts' clock forward (failures keep their stored time)."""
    offset = {"seconds": 0}

    def shifted():
        return utcnow() + timedelta(seconds=offset["seconds"])

    monkeypatch.setattr(account_operations, "utcnow", shifted)

    def move(seconds):
        offset["seconds"] += seconds

    return move


# ---------------------------------------------------------------- the client's address


def test_a_forwarded_for_header_is_ignored_without_a_trusted_proxy(app, client, world, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_MAX_FAILURES_ADDRESS", 3)
    for index in range(3):
        _login(client, f"nobody{index}", "sai", headers={"X-Forwarded-For": f"10.9.0.{index}"})
    refused = _login(client, "nobody9", "sai", headers={"X-Forwarded-For": "10.9.0.99"})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert "Đã nhập sai mật khẩu quá nhiều lần từ địa chỉ này" in refused.get_data(as_text=True)
    assert {event.ip for event in _events("login.failed")} == {"127.0.0.1"}


def test_behind_a_trusted_proxy_the_forwarded_address_is_the_client(fresh_database_url):
    from flask_migrate import upgrade

    from tests.factories import build_world

    other = app_for(fresh_database_url, TRUSTED_PROXIES=1, LOGIN_MAX_FAILURES_ADDRESS=3)
    with other.app_context():
        upgrade()
        build_world()
        db.session.commit()
        limiter.reset()
        client = other.test_client()
        for index in range(3):
            _login(client, f"nobody{index}", "sai", headers={"X-Forwarded-For": "10.9.0.1"})
        assert _login(client, "nobody9", "sai", headers={"X-Forwarded-For": "10.9.0.1"}).status_code == 429
        elsewhere = _login(client, "admin_a", headers={"X-Forwarded-For": "10.9.0.2"})
        assert elsewhere.status_code == 302
        assert {event.ip for event in _events("login.failed")} == {"10.9.0.1"}
        db.session.remove()
        db.engine.dispose()


# ---------------------------------------------------------------- per account: growing waits


def test_failures_slow_an_account_down_with_growing_waits_not_a_lock(client, world, later):
    for _ in range(5):
        assert _login(client, "admin_a", "sai").status_code == 200  # the free failures
    held = _login(client, "admin_a")  # even the right password waits, from a device never signed in
    assert held.status_code == 429 and 25 <= int(held.headers["Retry-After"]) <= 30
    assert WAIT_VI in held.get_data(as_text=True)
    later(31)
    assert _login(client, "admin_a", "sai").status_code == 200  # tried again after the wait: wrong again
    held = _login(client, "admin_a")
    assert held.status_code == 429 and 55 <= int(held.headers["Retry-After"]) <= 60  # the wait doubled
    later(61)
    assert _login(client, "admin_a").status_code == 302  # waiting is always enough
    assert _login(world_client := client.application.test_client(), "leader_1").status_code == 302
    assert world_client  # another account from the same address was never held


def test_waits_never_grow_past_the_window(app, client, world, later):
    window = app.config["LOGIN_WINDOW_MINUTES"] * 60
    waits = []
    for _ in range(12):
        _login(client, "admin_a", "sai")
        waits.append(account_operations.login_wait_seconds("admin_a"))
        later(waits[-1] + 1)
    assert waits[:5] == [0, 0, 0, 0, 30] and waits[5:7] == [60, 120]
    assert 480 <= max(waits) <= window  # old failures fall out of the window: never a longer hold


def test_a_device_that_signed_in_before_is_never_held_by_failures_elsewhere(app, world, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_MAX_FAILURES_ADDRESS", 4)
    own_phone = app.test_client()
    assert _login(own_phone, "admin_a").status_code == 302
    own_phone.post("/logout", data={"csrf_token": csrf_token(own_phone.get("/ward").get_data(as_text=True))})
    attacker = app.test_client()  # the same address (one ward office behind one NAT)
    for _ in range(8):
        _login(attacker, "admin_a", "wrong")
    assert _login(attacker, "admin_a").status_code == 429  # the account waits for unknown devices
    assert _login(attacker, "leader_1").status_code == 429  # and the address is held
    assert _login(own_phone, "admin_a").status_code == 302  # the known device is let in at once


def test_the_device_cookie_is_for_its_own_accounts_and_old_passwords(app, world):
    phone = app.test_client()
    assert _login(phone, "leader_1").status_code == 302
    phone.post("/logout", data={"csrf_token": csrf_token(phone.get("/team").get_data(as_text=True))})
    attacker = app.test_client()
    for _ in range(6):
        _login(attacker, "admin_a", "wrong")
    assert _login(phone, "admin_a").status_code == 429  # leader_1's device is not admin_a's
    for _ in range(6):
        _login(attacker, "leader_1", "wrong")
    world.leader_1.set_password("a-new-long-password-2026")
    db.session.commit()
    assert _login(phone, "leader_1", "a-new-long-password-2026").status_code == 429  # a new password forgets it
    forged = app.test_client()
    forged.set_cookie(account_operations.DEVICE_COOKIE, "not-signed")
    assert _login(forged, "leader_1", "a-new-long-password-2026").status_code == 429


def test_expired_failure_rows_are_purged(app, client, world, later):
    for _ in range(3):
        _login(client, "admin_a", "sai")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginFailure)) == 3
    later(app.config["LOGIN_WINDOW_MINUTES"] * 60 + 1)
    _login(client, "leader_1", "sai")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginFailure)) == 1


def test_a_flood_of_failed_logins_is_summed_up_in_the_audit_log(app, client, world, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_MAX_FAILURES_ACCOUNT", 100)
    for _ in range(15):
        _login(client, "admin_a", "sai")
    events = _events("login.failed")
    assert len(events) == 1 and events[0].detail["count"] == 15
    assert "admin_a" not in repr(events[0].detail) and "sai" not in repr(events[0].detail)


# ---------------------------------------------------------------- the self-survey link

TOKENS = {"group_a1": "poster-a1-" + "x" * 30, "group_a2": "poster-a2-" + "y" * 30}


def _resident(app, token, address):
    client = app.test_client()
    environ = {"REMOTE_ADDR": address}
    page = client.get(f"/self/{token}", environ_base=environ).get_data(as_text=True)
    csrf = re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)

    def send(group_code):
        body = {
            "uuid": new_uuid(),
            "form_id": FORM_ID,
            "form_version": VERSION,
            "answers": answers(group_code),
            "started_at": "2025-08-20T12:00:00+07:00",
            "finished_at": "2025-08-20T12:09:00+07:00",
        }
        return client.post(f"/api/self/{token}/submissions", json=body, headers={"X-CSRFToken": csrf}, environ_base=environ)

    return send


def test_self_survey_limits_count_per_address_and_group(app, world, monkeypatch):
    publish_test_form(world.ward_a)
    world.group_a1.self_survey_token, world.group_a2.self_survey_token = TOKENS["group_a1"], TOKENS["group_a2"]
    db.session.commit()
    monkeypatch.setitem(app.config, "SELF_SURVEY_MAX_PER_ADDRESS", 2)
    junk = _resident(app, TOKENS["group_a1"], "10.1.1.1")
    assert [junk("TDP01").status_code for _ in range(2)] == [201, 201]
    refused = junk("TDP01")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert "Đã gửi quá nhiều" in refused.get_json()["error"]["message"]
    assert _resident(app, TOKENS["group_a2"], "10.1.1.1")("TDP02").status_code == 201  # the other link is open
    assert _resident(app, TOKENS["group_a1"], "10.2.2.2")("TDP01").status_code == 201  # and this one for others
    events = _events("self_survey.rate_limited")
    assert len(events) == 1 and TOKENS["group_a1"] not in repr(events[0].detail) + (events[0].path or "")


# ---------------------------------------------------------------- enrolment codes


def test_enrolment_codes_that_do_not_work_are_limited_and_summed_up(app, world):
    guesser = app.test_client()
    statuses = [guesser.get(f"/enroll/guess-{index:03d}-{'z' * 40}").status_code for index in range(10)]
    assert statuses == [404] * 10
    refused = guesser.get(f"/enroll/guess-999-{'z' * 40}")
    assert refused.status_code == 429 and "mã đăng nhập" in refused.get_data(as_text=True)
    events = _events("enroll.refused")
    assert len(events) == 1 and events[0].detail["count"] == 10 and events[0].detail["kinds"] == {"unknown": 10}
    assert len(_events("enroll.rate_limited")) == 1
    token, _row = enrollment.issue(world.surveyor_1, world.admin_a)
    db.session.commit()
    phone = app.test_client()
    page = phone.get(f"/enroll/{token}", environ_base={"REMOTE_ADDR": "10.3.3.3"})
    assert page.status_code == 200  # another address is not held
    signed_in = phone.post(
        f"/enroll/{token}", data={"csrf_token": csrf_token(page.get_data(as_text=True))}, environ_base={"REMOTE_ADDR": "10.3.3.3"}
    )
    assert signed_in.status_code == 302
