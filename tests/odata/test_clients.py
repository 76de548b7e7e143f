"""The feed read by clients nobody here wrote, over a live server: python-odata (a general OData v4
client) against /odata, and ODK's own pyodk against the ODK Central layout (/v1/...)."""

from __future__ import annotations

import sqlalchemy as sa

from survey_app.collection.models import Submission
from survey_app.extensions import db
from tests.exports.data import field_work
from tests.odata.helpers import make_token


def _database_rows(ward_id: int) -> list[tuple]:
    """(instanceID, id, group, review state, a6_internet) of the ward's household submissions, by id."""
    rows = db.session.execute(
        sa.select(Submission.uuid, Submission.id, Submission.review_status, Submission.answers)
        .where(Submission.ward_id == ward_id, Submission.form_id == "household_survey")
        .order_by(Submission.id)
    ).all()
    return [(f"uuid:{u}", i, status.value, answers["a6_internet"], len(answers["members"])) for u, i, status, answers in rows]


def test_python_odata_reflects_the_metadata_and_reads_every_table(live_server, world, app, monkeypatch):
    import requests
    from odata import ODataService

    field_work(world)
    monkeypatch.setitem(app.config, "ODATA_PAGE_SIZE", 1)  # every row on its own page: the client follows the links
    secret = make_token(world.admin_a)
    url = f"{live_server}/odata/{world.ward_a.id}/household_survey.svc"
    service = ODataService(url, reflect_entities=True, auth=requests.auth.HTTPBasicAuth("admin_a", secret), quiet_progress=True)
    assert set(service.entities) == {"Submissions", "Submissions.members"}
    Submissions = service.entities["Submissions"]
    found = service.query(Submissions).all()
    rows = sorted(((s.__id, s.submission_id, s.review_status, s.a6_internet) for s in found), key=lambda row: row[1])
    assert rows == [row[:4] for row in _database_rows(world.ward_a.id)]
    members = service.query(service.entities["Submissions.members"]).all()
    assert sorted(m.b0_name for m in members) == ["Nguyễn Văn An", "Thành viên 2", "Trần Thị Bình"]


def test_pyodk_get_table_reads_the_central_layout(live_server, world, tmp_path):
    from pyodk.client import Client

    field_work(world)
    secret = make_token(world.admin_a, name="pyodk")
    config = tmp_path / "pyodk_config.toml"
    config.write_text(f'[central]\nbase_url = "{live_server}"\nusername = "admin_a"\npassword = "{secret}"\n', encoding="utf-8")
    client = Client(config_path=str(config), cache_path=str(tmp_path / "pyodk_cache.toml"), project_id=world.ward_a.id)
    table = client.submissions.get_table(form_id="household_survey", count=True)
    assert table["@odata.count"] == 2
    rows = [(r["__id"], r["submission_id"], r["review_status"], r["a6_internet"]) for r in table["value"]]
    assert rows == [row[:4] for row in _database_rows(world.ward_a.id)]
    assert all(r["__system"]["submissionDate"].endswith("Z") for r in table["value"])
    members = client.submissions.get_table(form_id="household_survey", table_name="Submissions.members")["value"]
    per_submission = {}
    for member in members:
        per_submission[member["__Submissions-id"]] = per_submission.get(member["__Submissions-id"], 0) + 1
    assert per_submission == {row[0]: row[4] for row in _database_rows(world.ward_a.id)}
    filtered = client.submissions.get_table(form_id="household_survey", filter="group eq 'TDP02'", select="__id,group")
    assert filtered["value"] == [{"__id": _database_rows(world.ward_a.id)[1][0], "group": "TDP02"}]
    # a second client reads the cached session token and checks it with /v1/users/current
    again = Client(config_path=str(config), cache_path=str(tmp_path / "pyodk_cache.toml"), project_id=world.ward_a.id)
    assert len(again.submissions.get_table(form_id="household_survey")["value"]) == 2
