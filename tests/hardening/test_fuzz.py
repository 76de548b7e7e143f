"""Arbitrary input to every JSON and form endpoint and to the importers: never a 500, always a clear
error, and nothing stored changes when the input is refused."""

from __future__ import annotations

import io
import json

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from survey_app.extensions import db
from tests.hardening.matrix import (
    JSON_POSTS,
    STATE_CHANGING,
    client_for,
    csrf_of,
    every_rule,
    rules,
    url_for_scope,
)
from tests.hardening.matrix_world import build_matrix

#: Tables a refused request may still write to: the audit log, login failures, kept invalid records,
#: the copies of refused records (survey_app/sync/refused.py), and import previews (kept, with their
#: errors, until confirmed).
LOGGED = {"audit_events", "login_failures", "quarantined_submissions", "refused_records", "import_batches"}
SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=12,
)
RECORD_KEYS = st.sampled_from(
    [
        "uuid",
        "outcome",
        "household_id",
        "visited_at",
        "form_id",
        "form_version",
        "answers",
        "new_household",
        "kind",
        "items",
        "members",
        "started_at",
        "location",
        "attempt",
    ]
)
#: JSON bodies: anything, and objects using the real keys with arbitrary values.
BODIES = (
    JSON
    | st.dictionaries(RECORD_KEYS, JSON, max_size=6)
    | st.builds(lambda items: {"items": items}, st.lists(st.dictionaries(RECORD_KEYS, JSON, max_size=6), max_size=4))
)
FIELDS = st.dictionaries(
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=15), st.text(max_size=40), max_size=5
)


def snapshot() -> dict:
    """Every row of every table but the logged ones."""
    db.session.rollback()
    return {
        table.name: sorted(map(repr, db.session.execute(sa.select(table)).all()))
        for table in db.metadata.sorted_tables
        if table.name not in LOGGED
    }


def assert_clear_refusal(response, before) -> None:
    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    if response.status_code >= 400:
        if response.is_json:  # {"error": {...}}, or a record's receipt with its own message
            body = response.get_json()
            assert body.get("error", body)["message"]
        assert snapshot() == before


@pytest.fixture
def values(world):
    return build_matrix(world)


@pytest.mark.parametrize("endpoint", sorted(JSON_POSTS))
def test_json_endpoints(app, values, endpoint):
    (rule,) = [r for r in rules(app) if r.endpoint == endpoint]
    client = client_for(app, "surveyor")
    token = client.get("/api/phone/csrf").get_json()["csrf_token"]
    url = url_for_scope(rule, values["own"])
    before = snapshot()

    @SETTINGS
    @given(body=BODIES)
    def check(body):
        response = client.post(url, data=json.dumps(body), content_type="application/json", headers={"X-CSRFToken": token})
        assert_clear_refusal(response, before)

    check()


#: Every form POST (logging out takes no fields).
FORM_POSTS = sorted(
    {rule.endpoint for rule in every_rule() if set(rule.methods) & set(STATE_CHANGING)} - JSON_POSTS - {"accounts.logout"}
)


@pytest.mark.parametrize("endpoint", FORM_POSTS)
def test_form_endpoints(app, values, endpoint):
    (rule,) = [r for r in rules(app) if r.endpoint == endpoint]
    client = client_for(app, "anonymous" if endpoint in ("accounts.login", "teams.enroll") else "ward_admin")
    token = csrf_of(client)
    url = url_for_scope(rule, values["own"])

    @settings(SETTINGS, max_examples=6)
    @given(fields=FIELDS)
    def check(fields):
        before = snapshot()
        response = client.post(url, data={**fields, "csrf_token": token})
        assert_clear_refusal(response, before)

    check()


XLSX_ISH = st.binary(max_size=300).map(lambda tail: b"PK\x03\x04" + tail)
CSV_ISH = st.lists(st.lists(st.text(max_size=12), max_size=5), max_size=6).map(
    lambda rows: "\n".join(",".join(row) for row in rows).encode()
)
FILES = (
    st.binary(max_size=300)
    | XLSX_ISH
    | CSV_ISH
    | st.builds(
        lambda head, body: head + body,
        st.sampled_from(
            [
                b"code,name,expected_households\n",
                b"full_name,phone,role,account_role\n",
                b"\xef\xbb\xbfcode,name\n",
                b"group_code,address,head_name,phone,member_count,household_code\n",
            ]
        ),
        CSV_ISH,
    )
)
NAMES = st.sampled_from(["a.csv", "a.xlsx", "a.txt", "a", "../../a.csv"])
GEOJSON = JSON | st.builds(
    lambda features: {"type": "FeatureCollection", "features": features},
    st.lists(st.dictionaries(st.sampled_from(["type", "properties", "geometry"]), JSON, max_size=3), max_size=3),
)


@pytest.mark.parametrize("kind", ["groups", "people", "households"])
def test_team_importers(app, values, kind):
    client = client_for(app, "ward_admin")
    token = csrf_of(client)

    @SETTINGS
    @given(content=FILES, name=NAMES, boundaries=GEOJSON)
    def check(content, name, boundaries):
        before = snapshot()
        data = {"csrf_token": token, "table_file": (io.BytesIO(content), name)}
        if kind == "groups":
            data["boundary_file"] = (io.BytesIO(json.dumps(boundaries).encode()), "b.geojson")
        response = client.post(f"/teams/imports/{kind}", data=data, content_type="multipart/form-data")
        assert_clear_refusal(response, before)
        assert snapshot() == before  # a preview never changes the ward's data

    check()


def test_xlsform_upload(app, values):
    client = client_for(app, "ward_admin")
    token = csrf_of(client)

    @SETTINGS
    @given(content=FILES, name=NAMES)
    def check(content, name):
        before = snapshot()
        response = client.post(
            "/forms/upload", data={"csrf_token": token, "file": (io.BytesIO(content), name)}, content_type="multipart/form-data"
        )
        assert_clear_refusal(response, before)
        assert response.status_code >= 400 or snapshot() == before

    check()
