"""Who reads what: the exports' scope and pseudonyms, a token's own ward only, a revoked token at once."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from survey_app.accounts.models import Role
from survey_app.audit.models import AuditEvent
from survey_app.extensions import db, utcnow
from survey_app.odata import operations, queries
from survey_app.odata.models import ApiToken
from survey_app.tokens import token_hash
from tests.exports.data import field_work
from tests.exports.helpers import pseudonym
from tests.odata.helpers import EXCEL, basic, bearer, feed, make_token


def _get(client, url, headers):
    return client.get(url, headers={**EXCEL, **headers})


def test_a_team_leader_reads_their_groups_only_under_pseudonyms(client, world):
    work = field_work(world)
    headers = basic("leader_1", make_token(world.leader_1))
    rows = _get(client, f"{feed(world.ward_a)}/Submissions", headers).get_json()["value"]
    assert [r["submission_id"] for r in rows] == [work["a1"].id]  # team 1's group TDP01 only
    row = rows[0]
    assert row["household_id"] == pseudonym("H", world.hh_a1.id)
    assert row["__system"]["submitterId"] == pseudonym("U", world.surveyor_1.id)
    for personal in ("a2_address", "a3_head_name", "a4_phone", "a1_group", "a9_poor", "a10_home_support"):
        assert personal not in row  # free text and unticked sensitive answers
    members = _get(client, f"{feed(world.ward_a)}/Submissions.members", headers).get_json()["value"]
    assert len(members) == 2
    for gone in ("b0_name", "b1_birth_year", "age", "b4_seeing", "b5_vulnerable", "v5_scam"):
        assert gone not in members[0]
    assert members[0]["age_band"] == "40–59" and members[0]["b8_internet"] == "daily"
    text = _get(client, f"{feed(world.ward_a)}/Submissions.members", headers).get_data(as_text=True)
    assert "Nguyễn Văn An" not in text and "Trần Thị Bình" not in text and "0912345678" not in text
    metadata = _get(client, f"{feed(world.ward_a)}/$metadata", headers).get_data(as_text=True)
    assert 'Name="b0_name"' not in metadata and 'Name="household_id" Type="Edm.String"' in metadata
    pull = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "odata.pull")).first()
    assert pull.user_id == world.leader_1.id and pull.detail["personal"] is False
    assert pull.detail["groups"] == [world.group_a1.id]


def test_the_ward_admin_reads_names_and_sensitive_answers_the_leader_may_see_ticked_ones(client, world):
    field_work(world)
    members = _get(client, f"{feed(world.ward_a)}/Submissions.members", bearer(make_token(world.admin_a))).get_json()["value"]
    assert [m["b0_name"] for m in members] == ["Nguyễn Văn An", "Thành viên 2", "Trần Thị Bình"]
    assert members[0]["v5_scam"] == "no"
    world.ward_a.export_sensitive_fields = ["v5_scam"]
    db.session.commit()
    members = _get(client, f"{feed(world.ward_a)}/Submissions.members", bearer(make_token(world.leader_1))).get_json()["value"]
    assert members[0]["v5_scam"] == "no" and "b4_seeing" not in members[0]


def test_another_wards_token_reads_nothing_here(client, world):
    field_work(world)
    headers = bearer(make_token(world.admin_b))
    for path in ("", "/$metadata", "/Submissions", "/Submissions.members"):
        response = _get(client, f"{feed(world.ward_a)}{path}", headers)
        assert response.status_code == 403, path
        assert "value" not in response.get_json() and "Nguyễn" not in response.get_data(as_text=True)
    response = _get(client, f"{feed(world.ward_a, central=True)}/Submissions", headers)
    assert response.status_code == 403
    # its own ward answers, without ward A's rows
    rows = _get(client, f"{feed(world.ward_b)}/Submissions", headers).get_json()["value"]
    assert rows == []
    refused = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "odata.refused")).all()
    assert len(refused) == 5 and {r.detail["reason"] for r in refused} == {"other_ward"}
    assert {r.user_id for r in refused} == {world.admin_b.id}


def test_a_revoked_token_answers_401_at_once(client, world):
    secret = make_token(world.admin_a)
    headers = basic("admin_a", secret)
    assert _get(client, f"{feed(world.ward_a)}/Submissions", headers).status_code == 200
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == token_hash(secret)))
    assert token.last_used_at is not None and token.ward_id == world.ward_a.id and token.access == "read"
    assert operations.revoke_token(world.admin_a, token)
    db.session.commit()
    response = _get(client, f"{feed(world.ward_a)}/Submissions", headers)
    assert response.status_code == 401 and "value" not in response.get_json()
    assert client.post("/v1/sessions", json={"email": "admin_a", "password": secret}).status_code == 401


def test_an_expired_token_or_a_holder_no_longer_allowed_is_refused(client, world):
    secret = make_token(world.admin_a, days=30)
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == token_hash(secret)))
    token.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert _get(client, feed(world.ward_a), bearer(secret)).status_code == 401
    leader = make_token(world.leader_1)
    world.leader_1.role = Role.SURVEYOR  # stepped down: the token stops with the role
    db.session.commit()
    assert _get(client, feed(world.ward_a), bearer(leader)).status_code == 401


def test_only_a_hash_of_the_token_is_stored(world):
    secret = make_token(world.admin_a, name="Sổ Excel của phường")
    (token,) = queries.tokens_of(world.admin_a.id)
    assert token.token_hash == token_hash(secret) and secret not in (token.token_hash, token.hint, token.name)
    stored = db.session.execute(sa.text("SELECT * FROM api_tokens")).one()
    assert secret not in " ".join(str(value) for value in stored)
    created = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "odata.token_created")).one()
    assert secret not in str(created.detail)


def test_central_sign_in_gives_the_token_back_as_a_session(client, world):
    secret = make_token(world.admin_a)
    response = client.post("/v1/sessions", json={"email": "admin_a", "password": secret})
    assert response.status_code == 200
    session = response.get_json()
    assert session["token"] == secret and session["expiresAt"].endswith("Z")
    me = client.get("/v1/users/current", headers=bearer(session["token"]))
    assert me.status_code == 200 and me.get_json()["email"] == "admin_a"
    from tests.conftest import TEST_PASSWORD

    # the account's own password is not a key to the feed: only a token made for it
    assert client.post("/v1/sessions", json={"email": "admin_a", "password": TEST_PASSWORD}).status_code == 401
    assert client.post("/v1/sessions", json={"email": "leader_1", "password": secret}).status_code == 401
    assert client.post("/v1/sessions", data="not json").status_code == 401
