"""Bad input gets a clear message; a failed export leaves no half-written file."""

import pytest
import sqlalchemy as sa

from survey_app.exports import operations
from survey_app.exports.models import ExportFormat, ExportJob, ExportStatus
from survey_app.exports.operations import ExportError
from survey_app.exports.sheets import build_sheets
from survey_app.extensions import db
from tests.conftest import csrf_token, login
from tests.exports.data import field_work


def _refusal(user, **options) -> ExportError:
    with pytest.raises(ExportError) as refused:
        operations.resolve_scope(user, ward_id=options.pop("ward_id", user.ward_id), **options)
    return refused.value


def test_empty_selection(world):
    error = _refusal(world.admin_a, group_ids=[])
    assert error.status == 400 and "hãy chọn ít nhất một tổ" in str(error)


def test_group_of_another_ward_is_named(world):
    error = _refusal(world.admin_a, group_ids=[world.group_a1.id, world.group_c1.id])
    assert error.status == 400
    assert "không thuộc Phường An Biên" in str(error) and "TDP01" in str(error)
    assert "999999" in str(_refusal(world.admin_a, group_ids=[999999]))
    assert "abc không phải là một tổ dân phố" in str(_refusal(world.admin_a, group_ids=["abc"]))


def test_team_leader_cannot_pick_another_teams_group(world):
    error = _refusal(world.leader_1, group_ids=[world.group_a2.id])
    assert error.status == 403 and "TDP02" in str(error)


def test_team_leader_without_groups_has_nothing_to_export(world):
    from tests.factories import make_team, make_user

    lonely = make_user("leader_9", world.leader_1.role, ward=world.ward_a, team=make_team(world.ward_a, 9))
    error = _refusal(lonely)
    assert "Không có gì để xuất" in str(error)


def test_unknown_ward_code(world):
    with pytest.raises(ExportError) as refused:
        operations.resolve_scope(None, ward_code="ZZ")
    assert refused.value.status == 404 and "ZZ" in str(refused.value)


def test_second_export_while_one_runs(world):
    scope = operations.resolve_scope(world.admin_a, ward_id=world.ward_a.id)
    operations.start_job(scope, ExportFormat.XLSX, rows_total=10)
    db.session.commit()
    with pytest.raises(ExportError) as refused:
        operations.start_job(scope, ExportFormat.XLSX, rows_total=10)
    assert refused.value.status == 409 and "vẫn đang được chuẩn bị" in str(refused.value)
    # a different person is not blocked
    other = operations.resolve_scope(world.city_viewer, ward_id=world.ward_a.id)
    operations.start_job(other, ExportFormat.CSV, rows_total=10)


def test_a_race_is_decided_by_the_database(world, monkeypatch):
    scope = operations.resolve_scope(world.admin_a, ward_id=world.ward_a.id)
    db.session.add(ExportJob(ward_id=world.ward_a.id, user_id=world.admin_a.id, running_key=f"user:{world.admin_a.id}"))
    db.session.commit()
    monkeypatch.setattr(operations, "ensure_idle", lambda _scope: None)  # both requests passed the check at once
    with pytest.raises(ExportError) as refused:
        operations.start_job(scope, ExportFormat.XLSX, rows_total=1)
    assert refused.value.status == 409


def test_a_silent_running_job_does_not_block_for_ever(world):
    from datetime import timedelta

    from survey_app.extensions import utcnow

    old = utcnow() - timedelta(hours=1)
    db.session.add(
        ExportJob(
            ward_id=world.ward_a.id,
            user_id=world.admin_a.id,
            running_key=f"user:{world.admin_a.id}",
            heartbeat_at=old,
            created_at=old,
        )
    )
    db.session.commit()
    scope = operations.resolve_scope(world.admin_a, ward_id=world.ward_a.id)
    job = operations.start_job(scope, ExportFormat.XLSX, rows_total=1)
    assert job.status == ExportStatus.RUNNING
    assert db.session.scalar(sa.select(sa.func.count()).where(ExportJob.status == ExportStatus.FAILED)) == 1


def _failing_sheets(scope):
    """The real sheets, the persons rows breaking half-way (as a lost database connection would)."""
    sheets = build_sheets(scope)
    persons = next(s for s in sheets if s.key == "persons")
    real = persons.rows

    def broken():
        for number, row in enumerate(real()):
            if number == 1:
                raise RuntimeError("connection lost")
            yield row

    persons.rows = broken
    return sheets


@pytest.mark.parametrize("fmt, name", [("xlsx", "out.xlsx"), ("csv", "out.zip"), ("csv", "out-csv")])
def test_a_failed_export_leaves_no_file(world, tmp_path, fmt, name):
    field_work(world)
    scope = operations.resolve_scope(world.admin_a, ward_id=world.ward_a.id)
    with pytest.raises(RuntimeError):
        operations.write_export(scope, ExportFormat(fmt), tmp_path / name, sheets=_failing_sheets(scope))
    assert list(tmp_path.iterdir()) == []


def test_web_empty_selection_and_foreign_group(client, world):
    login(client, "admin_a")
    token = csrf_token(client.get("/exports").get_data(as_text=True))
    form = {"csrf_token": token, "ward_id": world.ward_a.id, "format": "xlsx", "lang": "vi"}
    response = client.post("/exports", data=form)
    assert response.status_code == 400 and "hãy chọn ít nhất một tổ" in response.get_data(as_text=True)
    response = client.post("/exports", data={**form, "groups": [world.group_b1.id]})
    assert response.status_code == 400 and "không thuộc Phường An Biên" in response.get_data(as_text=True)
    response = client.post("/exports", data={**form, "groups": [world.group_a1.id], "format": "pdf"})
    assert response.status_code == 400 and "field-error" in response.get_data(as_text=True)


def test_web_second_export_while_one_runs(client, world):
    scope = operations.resolve_scope(world.admin_a, ward_id=world.ward_a.id)
    operations.start_job(scope, ExportFormat.XLSX, rows_total=10)
    db.session.commit()
    login(client, "admin_a")
    token = csrf_token(client.get("/exports").get_data(as_text=True))
    response = client.post(
        "/exports",
        data={"csrf_token": token, "ward_id": world.ward_a.id, "format": "xlsx", "lang": "vi", "groups": [world.group_a1.id]},
    )
    assert response.status_code == 409 and "vẫn đang được chuẩn bị" in response.get_data(as_text=True)


def test_web_team_leader_asking_for_another_group_is_refused_and_logged(client, world):
    from survey_app.audit.models import AuditEvent

    login(client, "leader_1")
    token = csrf_token(client.get("/exports").get_data(as_text=True))
    response = client.post("/exports", data={"csrf_token": token, "format": "xlsx", "lang": "vi", "groups": [world.group_a2.id]})
    assert response.status_code == 403 and "TDP02" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "export.refused")) == 1


def test_web_failed_export_leaves_no_file_and_does_not_block(client, world, app, monkeypatch):
    from pathlib import Path

    field_work(world)
    real = operations.write_export

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(operations, "write_export", broken)
    login(client, "admin_a")
    token = csrf_token(client.get("/exports").get_data(as_text=True))
    form = {"csrf_token": token, "format": "xlsx", "lang": "vi", "groups": [world.group_a1.id]}
    response = client.post("/exports", data=form)
    assert response.status_code == 500 and "Traceback" not in response.get_data(as_text=True)
    job = db.session.execute(sa.select(ExportJob)).scalar_one()
    assert job.status == ExportStatus.FAILED and job.running_key is None
    folder = Path(app.instance_path) / "exports"
    assert not folder.exists() or list(folder.iterdir()) == []
    monkeypatch.setattr(operations, "write_export", real)
    assert client.post("/exports", data=form).status_code == 200  # not blocked by the failed one
