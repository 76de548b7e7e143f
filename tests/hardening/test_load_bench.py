"""bench/load.py runs end to end with tiny numbers (JSON batches, and --openrosa: XML submissions as ODK
Collect sends them); its floor endpoint exists only under BENCH_FLOOR."""

from __future__ import annotations

import io
import os
import random
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
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


@pytest.fixture
def bench_modules(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    import load_phones
    import load_seed

    return load_seed, load_phones


@pytest.mark.parametrize("openrosa", [False, True], ids=["json", "openrosa"])
def test_load_bench_runs_end_to_end(fresh_database_url, openrosa):
    done = subprocess.run(
        [
            sys.executable,
            "bench/load.py",
            *(["--openrosa"] if openrosa else []),
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
    if openrosa:  # one request a record, the lost batch's 2 records again: 201 each, then 202 each
        real = re.search(r"^real: (\d+) submission requests .* 0 records refused, 0 errors$", done.stderr, re.M)
        assert real and int(real.group(1)) == 14, done.stderr
    else:
        real = re.search(r"^real: (\d+) batch requests .* 0 records refused, 0 errors$", done.stderr, re.M)
        assert real and int(real.group(1)) == 7, done.stderr  # every re-sent record came back a duplicate
    assert done.returncode == 0, done.stderr


def test_bench_xml_instance_is_stored_on_the_listed_household(fresh_database_url, bench_modules):
    """One bench record as Collect's XML instance, through the test client: a Submission on the household
    the seed listed (found by group, address and head's name), not held, no household added; sent
    again, 202."""
    load_seed, load_phones = bench_modules
    plans = load_seed.seed(fresh_database_url, 2, 2, random.Random(16), collect=True)
    phone, item = plans[0], plans[0]["queue"][0]
    assert not phone["times"]  # the shipped form has no start/end questions: no such elements
    xml = load_phones.instance_xml(item, phone["times"])
    assert b"<orx:instanceID>uuid:" + item["uuid"].encode() in xml and b"<members>" in xml
    bench_app = app_for(fresh_database_url)
    client = bench_app.test_client()

    def post():
        return client.post(
            f"/collect/key/{phone['token']}/submission",
            data={"xml_submission_file": (io.BytesIO(xml), "submission.xml", "text/xml")},
            headers={**load_phones.COLLECT_HEADERS, "Date": "Wed, 20 Aug 2025 02:30:00 GMT+00:00"},
            content_type="multipart/form-data",
        )

    first = post()
    assert first.status_code == 201, first.get_data(as_text=True)
    assert post().status_code == 202
    with bench_app.app_context():
        from survey_app.collection.models import Household, ReviewStatus, Submission, Visit

        (submission,) = db.session.execute(sa.select(Submission)).scalars().all()
        assert (submission.uuid, submission.household_id) == (item["uuid"], item["household_id"])
        assert submission.review_status == ReviewStatus.RECEIVED
        assert submission.answers["a3_head_name"] == item["answers"]["a3_head_name"]
        assert len(submission.answers["members"]) == len(item["answers"]["members"])
        visit = db.session.execute(sa.select(Visit)).scalar_one()
        assert (visit.client_uuid, visit.household_id) == (item["uuid"], item["household_id"])
        assert db.session.scalar(sa.select(sa.func.count(Household.id))) == 4
        assert db.session.execute(sa.text("SELECT count(*) FROM quarantined_submissions")).scalar_one() == 0
        db.session.remove()
        db.engine.dispose()


def test_bench_xml_serializer_writes_repeats_and_select_multiple(bench_modules):
    _load_seed, load_phones = bench_modules
    item = {
        "uuid": "0b7f6d6e-2a51-4c3b-9c55-6e1f0c5d2a10",
        "form_id": "household_survey",
        "form_version": "2025.1",
        "started_at": "2025-08-20T02:11:00Z",
        "finished_at": "2025-08-20T02:25:00Z",
        "answers": {"a2_address": "Số 1 & 2", "a8_devices": ["smartphone", "tablet"], "members": [{"age": 40}, {"age": 41}]},
    }
    xml = load_phones.instance_xml(item, True).decode()
    assert xml.startswith("<?xml version='1.0' ?><data ")
    assert 'xmlns:orx="http://openrosa.org/xforms" id="household_survey" version="2025.1">' in xml
    assert "<start>2025-08-20T09:11:00.000+07:00</start><end>2025-08-20T09:25:00.000+07:00</end>" in xml
    assert "<a2_address>Số 1 &amp; 2</a2_address><a8_devices>smartphone tablet</a8_devices>" in xml
    assert "<members><age>40</age></members><members><age>41</age></members>" in xml
    assert xml.endswith(f"<meta><orx:instanceID>uuid:{item['uuid']}</orx:instanceID></meta></data>")
    assert "<start>" not in load_phones.instance_xml(item, False).decode()


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
