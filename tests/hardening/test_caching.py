"""No personal answer is cached, a logout clears what the browser kept, and access logs name routes only.

Issue 14 items 5 and 6. The phone's side (the service worker's caches) is in tests/browser/test_shared_phone.py.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from survey_app.accounts import operations as account_operations
from survey_app.accounts import sessions
from survey_app.accounts.models import EndReason, UserSession
from survey_app.collection.phone import SIGNED_IN_COOKIE
from survey_app.extensions import db
from survey_app.teams import enrollment
from survey_app.teams.operations import ensure_self_survey_token
from tests.conftest import csrf_token, login

ROOT = Path(__file__).resolve().parents[2]
NAME = "Nguyễn Văn An"


def signed_in(app, username: str):
    client = app.test_client()
    assert login(client, username).status_code == 302
    return client


def cookie(client, name: str):
    return client.get_cookie(name)


# --- Cache-Control: no-store ---------------------------------------------------------------------


def _plain_get_rules(app):
    """Every GET route without arguments (pages, JSON, downloads), but the cacheable ones."""
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and not rule.arguments and rule.endpoint not in ("static", "collection.service_worker"):
            yield rule.rule


@pytest.mark.parametrize("username", [None, "admin_a", "surveyor_1", "city_viewer"])
def test_every_page_and_api_answer_sends_no_store(app, world, username):
    client = signed_in(app, username) if username else app.test_client()
    checked = 0
    for path in _plain_get_rules(app):
        response = client.get(path)
        assert response.headers.get("Cache-Control") == "no-store", (path, response.status_code)
        checked += 1
    assert checked > 30


def test_personal_answers_with_arguments_and_error_answers_send_no_store(app, world):
    surveyor = signed_in(app, "surveyor_1")
    admin = signed_in(app, "admin_a")
    answers = [
        surveyor.get(f"/api/phone/groups/{world.group_a1.id}/households"),  # rosters: names, birth years
        surveyor.get("/api/phone/bootstrap"),
        surveyor.get(f"/groups/{world.group_a1.id}/households?q={urllib.parse.quote(NAME)}"),
        admin.get(f"/accounts/{world.surveyor_1.id}"),
        admin.get(f"/teams/{world.team_1.id}"),
        surveyor.get(f"/api/phone/groups/{world.group_b1.id}/households"),  # 404 JSON
        admin.get("/no/such/page"),  # 404 page
        app.test_client().get("/api/phone/bootstrap"),  # 401 JSON
        app.test_client().post("/login", data={"username": "x"}),  # 400: no CSRF token
    ]
    assert {r.status_code for r in answers} >= {200, 400, 401, 404}
    for response in answers:
        assert response.headers["Cache-Control"] == "no-store", response.request.path


def test_static_files_and_the_service_worker_stay_cacheable(app, world):
    """The phone's offline shell comes from these: they hold nobody's data."""
    client = signed_in(app, "surveyor_1")
    for path in ("/static/js/phone/app.js", "/static/css/phone.css", "/phone/sw.js"):
        response = client.get(path)
        assert response.status_code == 200 and "no-store" not in response.headers.get("Cache-Control", ""), path
        response.close()


# --- Logout and the signed-in cookie the phone app reads -----------------------------------------------


def _logout(client):
    token = csrf_token(client.get("/survey", follow_redirects=True).get_data(as_text=True))
    return client.post("/logout", data={"csrf_token": token})


def test_logout_clears_the_browser_cache_but_not_the_unsent_records(app, world):
    client = signed_in(app, "surveyor_1")
    response = _logout(client)
    assert response.status_code == 302
    # "cache", never "storage": that would delete the phone's unsent records in IndexedDB.
    assert response.headers["Clear-Site-Data"] == '"cache"'
    assert response.headers["Cache-Control"] == "no-store"


def test_the_signed_in_cookie_follows_the_session(app, world):
    """Set at sign-in ("<user id>.<session id>", readable by the phone app), gone at logout."""
    client = app.test_client()
    response = login(client, "surveyor_1")
    row = db.session.scalars(sa.select(UserSession).where(UserSession.user_id == world.surveyor_1.id)).one()
    header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith(f"{SIGNED_IN_COOKIE}="))
    assert "HttpOnly" not in header and "SameSite=Lax" in header
    assert "Max-Age" not in header and "Expires" not in header  # a password sign-in lasts the browser session
    value = cookie(client, SIGNED_IN_COOKIE).value
    user_id, session_id = value.split(".")
    assert int(user_id) == world.surveyor_1.id and session_id.isdigit()
    assert int(session_id) == row.id
    assert client.get("/api/phone/bootstrap").status_code == 200
    assert cookie(client, SIGNED_IN_COOKIE).value == value  # not rewritten on every answer
    _logout(client)
    assert cookie(client, SIGNED_IN_COOKIE) is None


def test_an_ended_session_deletes_the_signed_in_cookie_with_its_401(app, world):
    client = signed_in(app, "surveyor_1")
    assert cookie(client, SIGNED_IN_COOKIE) is not None
    assert sessions.end_all(world.surveyor_1, EndReason.REVOKED, by=world.admin_a) == 1
    db.session.commit()
    response = client.get("/api/phone/bootstrap")
    assert response.status_code == 401 and response.headers["Cache-Control"] == "no-store"
    assert cookie(client, SIGNED_IN_COOKIE) is None


def test_another_user_signing_in_replaces_the_signed_in_cookie(app, world):
    client = signed_in(app, "surveyor_1")
    first = cookie(client, SIGNED_IN_COOKIE).value
    _logout(client)
    assert login(client, "surveyor_2").status_code == 302
    second = cookie(client, SIGNED_IN_COOKIE).value
    assert second.split(".")[0] == str(world.surveyor_2.id) and second != first


def test_a_qr_enrolled_phone_keeps_the_signed_in_cookie_as_long_as_its_session(app, world):
    token, _ = enrollment.issue(world.surveyor_1, world.admin_a)
    db.session.commit()
    phone = app.test_client()
    page = phone.get(f"/enroll/{token}")
    response = phone.post(f"/enroll/{token}", data={"csrf_token": csrf_token(page.get_data(as_text=True))})
    assert response.status_code == 302
    header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith(f"{SIGNED_IN_COOKIE}="))
    max_age = int(header.split("Max-Age=")[1].split(";")[0])
    assert abs(max_age - sessions.lifetime().total_seconds()) < 60


# --- Access logs: routes, never tokens or searches ----------------------------------------------------


@pytest.fixture
def secrets_in_urls(world):
    """A real enrollment token, set-password token and self-survey token, and a name search."""
    enroll, _ = enrollment.issue(world.surveyor_1, world.admin_a)
    password, _ = account_operations.issue_password_link(world.admin_a, world.surveyor_2)
    own = ensure_self_survey_token(world.group_a1)
    db.session.commit()
    search = urllib.parse.quote(NAME)
    paths = [
        f"/enroll/{enroll}",
        f"/set-password/{password}",
        f"/self/{own}",
        f"/api/self/{own}/form",
        f"/groups/{world.group_a1.id}/households?q={search}",
        f"/login?next=/groups/{world.group_a1.id}/households%3Fq%3D{search}",
        f"/enroll-typo/{enroll}",
    ]
    return SimpleNamespace(paths=paths, secrets=[enroll, password, own, NAME, search, "Nguy"])


def _get(url: str, headers: dict | None = None) -> int:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_the_development_servers_access_log_names_routes_not_tokens(live_server, secrets_in_urls, caplog):
    caplog.set_level(logging.INFO, logger="werkzeug")
    for path in secrets_in_urls.paths:
        _get(live_server + path)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and len([r for r in caplog.records if r.name == "werkzeug"]) < len(secrets_in_urls.paths):
        time.sleep(0.05)
    lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert len(lines) >= len(secrets_in_urls.paths)
    logged = "\n".join(lines)
    for secret in secrets_in_urls.secrets:
        assert secret not in logged
    for route in (
        "GET /enroll/<token> HTTP",
        "GET /set-password/<token> HTTP",
        "GET /self/<token> HTTP",
        "GET /api/self/<token>/form HTTP",
        "GET /groups/<group_id>/households HTTP",
        "GET /login HTTP",
        "GET <unmatched> HTTP",
    ):
        assert route in logged, logged


def test_gunicorns_logger_names_routes_whatever_the_log_format(app, world, secrets_in_urls, monkeypatch):
    """Even a format asking for the path, query, referer, cookies or environ gets none of them."""
    from gunicorn.config import Config
    from gunicorn.glogging import SafeAtoms

    from survey_app.accesslog import RouteLogger

    config = Config()
    config.set(
        "access_log_format",
        '"%(r)s" %(U)s %(q)s %(f)s %({referer}i)s %({cookie}i)s %({set-cookie}o)s '
        "%({location}o)s %({raw_uri}e)s %({query_string}e)s %({path_info}e)s %(a)s",
    )
    logger = RouteLogger(config)
    environs = []  # the very environ the app saw, as gunicorn hands it to its logger afterwards
    inner = app.wsgi_app
    monkeypatch.setattr(app, "wsgi_app", lambda environ, start: environs.append(environ) or inner(environ, start))
    client = app.test_client()
    lines = []
    for path in secrets_in_urls.paths:
        response = client.get(path, headers={"Referer": f"http://localhost{path}", "User-Agent": "Chrome"})
        environ = environs[-1]
        environ["RAW_URI"] = path
        request = SimpleNamespace(
            headers=[("REFERER", f"http://localhost{path}"), ("COOKIE", "survey_session=s3cret"), ("USER-AGENT", "Chrome")]
        )
        resp = SimpleNamespace(status=response.status, sent=len(response.data), headers=list(response.headers.items()))
        atoms = logger.atoms(resp, request, environ, timedelta(milliseconds=3))
        lines.append(config.access_log_format % SafeAtoms(atoms))
    logged = "\n".join(lines)
    for secret in [*secrets_in_urls.secrets, "s3cret"]:
        assert secret not in logged
    assert '"GET /enroll/<token> HTTP/1.1"' in logged and '"GET /self/<token> HTTP/1.1"' in logged
    assert "Chrome" in logged


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_gunicorn_started_as_the_readme_says_logs_no_token(app, world, secrets_in_urls, tmp_path):
    """`gunicorn -c python:survey_app.gunicorn_conf ...` on the test database: the access log is clean."""
    port = _free_port()
    env = {
        **os.environ,
        "SURVEY_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SURVEY_SECRET_KEY": "test-secret-key",
        "SURVEY_INSTANCE_PATH": str(tmp_path),
        "PYTHONPATH": str(ROOT),
    }
    log_path = tmp_path / "gunicorn.log"
    with open(log_path, "wb") as log:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                "python:survey_app.gunicorn_conf",
                "-w",
                "1",
                "-b",
                f"127.0.0.1:{port}",
                "survey_app:create_app()",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, log_path.read_text()[-2000:]
                time.sleep(0.2)
        base = f"http://127.0.0.1:{port}"
        statuses = [_get(base + path, {"Referer": base + path}) for path in secrets_in_urls.paths]
        assert 200 in statuses
        deadline = time.monotonic() + 5
        while log_path.read_text().count('"GET ') < len(secrets_in_urls.paths) and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        server.terminate()
        server.wait(timeout=10)
    logged = log_path.read_text(encoding="utf-8", errors="replace")
    assert logged.count('"GET ') >= len(secrets_in_urls.paths), logged[-2000:]
    for secret in secrets_in_urls.secrets:
        assert secret not in logged
    assert '"GET /enroll/<token> HTTP/1.1" 200' in logged and '"GET /set-password/<token> HTTP/1.1" 200' in logged
