"""bench/load.py runs end to end with tiny numbers; its floor endpoint exists only under BENCH_FLOOR."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import sqlalchemy as sa

from survey_app.accounts.models import Role
from survey_app.extensions import db
from tests.conftest import app_for, csrf_token, login
from tests.factories import make_city, make_group, make_team, make_user, make_ward

ROOT = Path(__file__).resolve().parents[2]
LAST_LINE = re.compile(
    r"stored_per_s=(?P<stored_per_s>\d+) p95_ms=(?P<p95_ms>\d+) floor_per_s=(?P<floor_per_s>\d+) "
    r"ratio_floor=(?P<ratio_floor>\d+\.\d\d) sent=(?P<sent>\d+) stored=(?P<stored>\d+) "
    r"duplicates=(?P<duplicates>\d+) lost=(?P<lost>\d+) errors_5xx=(?P<errors_5xx>\d+)"
)
FLOOR = "/api/bench/floor/batch"


def test_load_bench_runs_end_to_end(fresh_database_url):
    done = subprocess.run(
        [
            sys.executable,
            "bench/load.py",
            "--database-url",
            fresh_database_url,
            "--phones",
            "3",
            "--records",
            "4",
            "--batch",
            "2",
            "--workers",
            "1",
            "--timeout",
            "120",
        ],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))},
    )
    lines = done.stdout.strip().splitlines()
    match = LAST_LINE.fullmatch(lines[-1]) if lines else None
    assert match, done.stdout + done.stderr
    figures = {name: float(value) for name, value in match.groupdict().items()}
    assert figures["sent"] == 12 and figures["stored"] == figures["sent"], done.stderr
    assert figures["lost"] == 0 and figures["duplicates"] == 0 and figures["errors_5xx"] == 0, done.stderr
    assert "floor: 7 batch requests" in done.stderr, done.stderr  # 6 batches + 1 re-sent
    real = re.search(r"^real: (\d+) batch requests .* 0 records refused, 0 errors$", done.stderr, re.M)
    assert real and int(real.group(1)) == 7, done.stderr  # every re-sent record came back a duplicate
    assert done.returncode == 0, done.stderr


def test_no_floor_endpoint_without_the_flag(app, client):
    assert not any(rule.rule.startswith("/api/bench") for rule in app.url_map.iter_rules())
    assert client.post(FLOOR, json={"items": []}).status_code == 404


def test_floor_endpoint_inserts_rows_behind_login_and_csrf(fresh_database_url):
    bench_app = app_for(fresh_database_url, BENCH_FLOOR=True)
    with bench_app.app_context():
        db.create_all()
        db.session.execute(sa.text("CREATE TABLE bench_floor_rows (uuid varchar(36) primary key, body text)"))
        ward = make_ward(make_city(), "FLOOR")
        make_user("floor_phone", Role.SURVEYOR, ward=ward, team=make_team(ward, 1, [make_group(ward, "TDP01")]))
        db.session.commit()
        items = [{"uuid": str(uuid.uuid4()), "answers": {"a2_address": "Số 1"}} for _ in range(3)]
        client = bench_app.test_client()
        assert client.post(FLOOR, json={"items": items}).status_code == 400  # no CSRF token
        anonymous = {"X-CSRFToken": csrf_token(client.get("/login").get_data(as_text=True))}
        assert client.post(FLOOR, json={"items": items}, headers=anonymous).status_code == 401
        login(client, "floor_phone")
        headers = {"X-CSRFToken": client.get("/api/phone/csrf").get_json()["csrf_token"]}
        for _ in range(2):  # the re-sent batch meets its rows again
            response = client.post(FLOOR, json={"items": items}, headers=headers)
            assert response.status_code == 200
            assert [r["uuid"] for r in response.get_json()["results"]] == [i["uuid"] for i in items]
        assert client.post(FLOOR, json={"rows": items}, headers=headers).status_code == 400
        stored = db.session.execute(sa.text("SELECT uuid FROM bench_floor_rows")).scalars().all()
        assert sorted(stored) == sorted(i["uuid"] for i in items)
        db.session.remove()
        db.engine.dispose()
