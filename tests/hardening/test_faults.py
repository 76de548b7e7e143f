"""Faults during a sync: after the phone's retries nothing is lost and nothing is stored twice."""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import sqlalchemy as sa

from survey_app.collection.models import Person, Submission, Visit
from survey_app.extensions import db
from tests.collection.conftest import ApiClient, record
from tests.collection.forms import publish_test_form
from tests.conftest import TEST_PASSWORD, app_for

ROOT = Path(__file__).resolve().parents[2]
#: The app served by Werkzeug in a child process on the port given as argument.
SERVE = "import sys; from survey_app import create_app; create_app().run('127.0.0.1', int(sys.argv[1]), threaded=True)"


@pytest.fixture
def batch(world):
    """A phone's queue: one interview per household of team 1's group (made for the test)."""
    from tests.factories import make_household

    publish_test_form(world.ward_a)
    households = [world.hh_a1] + [make_household(world.group_a1, f"Số {n}", f"Chủ hộ {n}") for n in range(9)]
    db.session.commit()
    return [record(household.id) for household in households]


def stored_counts() -> tuple[int, int, int]:
    db.session.rollback()
    return tuple(db.session.scalar(sa.select(sa.func.count()).select_from(model)) for model in (Submission, Visit, Person))


def assert_stored_once(items) -> None:
    db.session.rollback()
    uuids = [item["uuid"] for item in items]
    stored = db.session.scalars(sa.select(Submission.uuid).where(Submission.uuid.in_(uuids))).all()
    visits = db.session.scalars(sa.select(Visit.client_uuid).where(Visit.client_uuid.in_(uuids))).all()
    assert sorted(stored) == sorted(uuids) and sorted(visits) == sorted(uuids)


def assert_busy(response) -> None:
    """A clear, retryable refusal in Vietnamese."""
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    message = response.get_json()["error"]["message"]
    assert "chưa có gì được lưu" in message or "nothing was saved" in message  # until the .po is merged


def test_reply_lost_after_commit(app, batch):
    phone = ApiClient(app.test_client(), "surveyor_1")
    first = phone.post("/api/submissions/batch", {"items": batch})
    assert first.status_code == 200  # ...and the reply never reaches the phone
    counts = stored_counts()
    again = phone.post("/api/submissions/batch", {"items": batch})
    assert again.status_code == 200
    for before, after in zip(first.get_json()["results"], again.get_json()["results"]):
        assert (before["status"], after["status"], after["result"]) == (201, 200, "duplicate")
        assert before["submission_id"] == after["submission_id"] and before["visit_id"] == after["visit_id"]
    assert stored_counts() == counts
    assert_stored_once(batch)


@pytest.fixture
def second_app(app):
    """Build an app on the test database with other settings; its engine is closed afterwards."""
    made = []

    def build(**config):
        other = app_for(app.config["SQLALCHEMY_DATABASE_URI"], **config)
        made.append(other)
        return other

    yield build
    for other in made:
        with other.app_context():
            db.engine.dispose()


def test_database_locked_is_a_retryable_503(app, batch, second_app):
    postgres = db.engine.dialect.name == "postgresql"
    busy = second_app(
        SQLITE_BUSY_TIMEOUT_MS=200,
        SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"options": "-c lock_timeout=300"}} if postgres else {},
    )
    phone = ApiClient(busy.test_client(), "surveyor_1")
    counts = stored_counts()
    with db.engine.connect() as holder:  # another writer holds the lock
        if postgres:
            holder.exec_driver_sql("LOCK TABLE submissions, visits IN EXCLUSIVE MODE")
        else:
            holder.exec_driver_sql("BEGIN IMMEDIATE")
        response = phone.post("/api/submissions/batch", {"items": batch})
        holder.rollback()
    assert_busy(response)
    assert stored_counts() == counts
    retry = phone.post("/api/submissions/batch", {"items": batch})
    assert retry.status_code == 200 and {r["status"] for r in retry.get_json()["results"]} == {201}
    assert_stored_once(batch)


def test_disk_full_is_a_retryable_503(app, batch, second_app):
    postgres = db.engine.dialect.name == "postgresql"
    full = {"on": True}
    disk = second_app()
    with disk.app_context():
        if postgres:  # a trigger failing like PostgreSQL does when it cannot grow a file
            with db.engine.begin() as conn:
                conn.exec_driver_sql(
                    "CREATE FUNCTION disk_full() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION "
                    "'could not extend file: No space left on device' USING ERRCODE = '53100'; END $$ "
                    "LANGUAGE plpgsql"
                )
                conn.exec_driver_sql(
                    "CREATE TRIGGER disk_full BEFORE INSERT ON submissions FOR EACH ROW EXECUTE FUNCTION disk_full()"
                )
        else:  # no free page left, and the database may not grow by a single page

            @sa.event.listens_for(db.engine, "connect")
            def _limit(dbapi_connection, _record):
                if full["on"]:
                    cursor = dbapi_connection.cursor()
                    pages = cursor.execute("PRAGMA page_count").fetchone()[0]
                    cursor.execute(f"PRAGMA max_page_count={pages}")
                    cursor.close()

            with db.engine.connect() as conn:
                conn.exec_driver_sql("VACUUM")
                assert conn.exec_driver_sql("PRAGMA freelist_count").scalar() == 0
            db.engine.dispose()  # new connections get the limit of the vacuumed file
    phone = ApiClient(disk.test_client(), "surveyor_1")
    counts = stored_counts()
    try:
        big = [{**item, "answers": {**item["answers"], "a2_address": "x" * 3000}} for item in batch]
        response = phone.post("/api/submissions/batch", {"items": big})
        assert_busy(response)
        assert stored_counts() == counts
    finally:
        full["on"] = False  # space is freed
        db.session.rollback()  # the test's own read lock would block DROP TRIGGER
        with disk.app_context():
            db.engine.dispose()
            if postgres:
                with db.engine.begin() as conn:
                    conn.exec_driver_sql("DROP TRIGGER disk_full ON submissions")
                    conn.exec_driver_sql("DROP FUNCTION disk_full()")
    retry = phone.post("/api/submissions/batch", {"items": batch})
    assert retry.status_code == 200 and {r["status"] for r in retry.get_json()["results"]} == {201}
    assert_stored_once(batch)


class Server:
    """The app in another process (one process: kill -9 stops everything), on the test database."""

    def __init__(self, url: str, tmp_path):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        env = {**os.environ, "SURVEY_DATABASE_URL": url, "SURVEY_INSTANCE_PATH": str(tmp_path)}
        self.process = subprocess.Popen(
            [sys.executable, "-c", SERVE, str(self.port)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/login", timeout=2)
                return
            except (OSError, urllib.error.URLError):
                time.sleep(0.1)
        self.kill()
        raise AssertionError("the server did not start")

    def kill(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)


class HttpPhone:
    """A phone talking to a real server: cookies, the login form, the CSRF header."""

    def __init__(self, base: str, username: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        page = self.opener.open(f"{base}/login", timeout=10).read().decode()
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        form = urllib.parse.urlencode({"username": username, "password": TEST_PASSWORD, "csrf_token": token})
        self.opener.open(f"{base}/login", form.encode(), timeout=10)
        self.token = json.load(self.opener.open(f"{base}/api/phone/csrf", timeout=10))["csrf_token"]

    def send(self, items) -> dict:
        request = urllib.request.Request(
            f"{self.base}/api/submissions/batch",
            json.dumps({"items": items}).encode(),
            {"Content-Type": "application/json", "X-CSRFToken": self.token},
        )
        return json.load(self.opener.open(request, timeout=60))


def test_server_killed_mid_batch(app, world, batch, tmp_path):
    from tests.factories import make_household

    extra = [make_household(world.group_a1, f"Số {n}", f"Hộ {n}") for n in range(40)]
    db.session.commit()
    items = batch + [record(household.id) for household in extra]  # 50: the largest batch
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    server = Server(url, tmp_path)
    outcome = {}
    try:
        phone = HttpPhone(f"http://127.0.0.1:{server.port}", "surveyor_1")

        def sync():
            try:
                outcome["reply"] = phone.send(items)
            except (OSError, urllib.error.URLError) as error:
                outcome["error"] = error

        thread = threading.Thread(target=sync)
        thread.start()
        time.sleep(0.15)
        server.kill()  # kill -9 while the batch is being stored
        thread.join(10)
    finally:
        server.kill()
    assert outcome  # a reply or a broken connection: either way the phone keeps its queue
    db.session.rollback()
    stored_before = db.session.scalar(sa.select(sa.func.count()).select_from(Submission))
    assert stored_before in (0, len(items))  # all or nothing: the batch is one transaction
    server = Server(url, tmp_path)
    try:
        reply = HttpPhone(f"http://127.0.0.1:{server.port}", "surveyor_1").send(items)
    finally:
        server.kill()
    assert {r["status"] for r in reply["results"]} <= {200, 201}
    assert_stored_once(items)
    assert stored_counts()[:2] == (len(items), len(items))


def test_a_race_on_another_unique_row_is_retried_not_refused(app, batch, monkeypatch):
    """A concurrent request wrote a unique row first (PostgreSQL): the batch's bulk write is undone,
    its records go one by one, and the one that loses a race there is tried again: stored, not a 409."""
    from sqlalchemy.exc import IntegrityError

    from survey_app.collection import batch as bulk
    from survey_app.sync import outbox

    raced, note = [], outbox.note

    def clash(*args):
        raced.append("batch")
        raise IntegrityError("INSERT INTO visits", {}, Exception("duplicate key"))

    def racing(*args, **kwargs):
        if raced == ["batch"]:
            raced.append("record")
            raise IntegrityError("INSERT INTO households", {}, Exception("duplicate key"))
        return note(*args, **kwargs)

    monkeypatch.setattr(bulk, "_write", clash)
    monkeypatch.setattr(outbox, "note", racing)
    phone = ApiClient(app.test_client(), "surveyor_1")
    response = phone.post("/api/submissions/batch", {"items": batch[:2]})
    assert raced == ["batch", "record"] and [r["status"] for r in response.get_json()["results"]] == [201, 201]
    assert_stored_once(batch[:2])


def test_a_groups_tally_lock_does_not_wait_for_another_requests_rows_of_that_group(app, world, second_app):
    """Under load on PostgreSQL, two batches of the same group deadlocked: each had inserted visits and
    persons (a KEY SHARE lock on the group row) and then asked FOR UPDATE on the group to rewrite its
    tally; PostgreSQL killed one and the phone got a 503. The tally lock must not wait for such rows."""
    from survey_app.dashboard.indicators import _lock_groups

    postgres = db.engine.dialect.name == "postgresql"
    other = second_app(
        SQLITE_BUSY_TIMEOUT_MS=200,
        SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"options": "-c lock_timeout=500"}} if postgres else {},
    )
    with db.engine.connect() as holder:  # another request has stored a person of the group, not committed yet
        holder.execute(
            sa.insert(Person.__table__).values(
                ward_id=world.ward_a.id,
                household_id=world.hh_a1.id,
                residential_group_id=world.group_a1.id,
                line_no=99,
                full_name="Người đang lưu",
            )
        )
        with other.app_context():
            _lock_groups({world.group_a1.id})  # FOR UPDATE here waited, then failed with a lock timeout
            db.session.rollback()
        holder.rollback()
