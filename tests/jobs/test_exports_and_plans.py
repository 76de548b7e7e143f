"""Exports and plan generation as the worker's jobs: an export whose worker died is taken again and
finishes; a failing export is tried again, then shows its error on its page; plans show their state."""

import html as htmllib
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_babel import force_locale, gettext

from survey_app.audit.models import AuditEvent
from survey_app.exports import operations
from survey_app.exports.models import ExportJob, ExportStatus
from survey_app.extensions import db, utcnow
from survey_app.jobs import Job, JobState, queue
from survey_app.planning.models import TrainingPlan
from tests.conftest import csrf_token, login, run_jobs
from tests.exports.data import field_work
from tests.jobs.helpers import stored
from tests.planning.helpers import add_household_answers, digital_team, learner


@pytest.fixture(autouse=True)
def no_files_left(app):
    """Files written and not downloaded here would be seen by the export tests that follow."""
    yield
    folder = Path(app.instance_path) / "exports"
    for path in folder.glob("*") if folder.exists() else []:
        path.unlink()


def shown(app, msgid, **params):
    """The text a page shows for a message (Vietnamese once the catalog has it)."""
    with app.test_request_context("/"), force_locale("vi"):
        return gettext(msgid, **params)


def _export(client, world):
    token = csrf_token(client.get("/exports").get_data(as_text=True))
    response = client.post(
        "/exports", data={"csrf_token": token, "format": "xlsx", "lang": "vi", "groups": [world.group_a1.id, world.group_a2.id]}
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return int(response.headers["Location"].rstrip("/").split("/")[-1])


def _page(client, path) -> str:
    return htmllib.unescape(client.get(path).get_data(as_text=True))


def _export_row(export_id: int) -> ExportJob:
    db.session.rollback()
    db.session.expire_all()
    return db.session.get(ExportJob, export_id)


def test_a_queued_export_is_written_by_the_worker(app, client, world, monkeypatch):
    field_work(world)
    monkeypatch.setitem(app.config, "EXPORT_BACKGROUND_ROWS", 0)
    login(client, "admin_a")
    export_id = _export(client, world)
    export = _export_row(export_id)
    assert export.status == ExportStatus.RUNNING and export.job.state == JobState.QUEUED
    assert export.job.kind == "export" and export.job.user_id == world.admin_a.id
    assert shown(app, "Waiting for the worker to start this export…") in _page(client, f"/exports/{export_id}")
    assert run_jobs() == 1
    export = _export_row(export_id)
    assert export.status == ExportStatus.DONE and export.job.state == JobState.DONE and export.running_key is None
    assert export.job.result["rows"] == export.rows_written > 0


def test_an_export_whose_worker_died_is_taken_again_and_finishes_once(app, client, world, monkeypatch):
    field_work(world)
    monkeypatch.setitem(app.config, "EXPORT_BACKGROUND_ROWS", 0)
    monkeypatch.setitem(app.config, "JOB_STALE_SECONDS", 1.0)
    login(client, "admin_a")
    export_id = _export(client, world)
    job_id, _attempt = queue.claim("stopped-server:1:1")  # the server restarted while writing it
    long_ago = utcnow() - timedelta(hours=2)
    db.session.execute(sa.update(Job).where(Job.id == job_id).values(heartbeat_at=long_ago))
    db.session.execute(sa.update(ExportJob).where(ExportJob.id == export_id).values(heartbeat_at=long_ago))
    db.session.commit()
    # Not released as "interrupted" by the next request: the worker owns it.
    assert (
        client.post(
            "/exports",
            data={
                "csrf_token": csrf_token(client.get("/exports").get_data(as_text=True)),
                "format": "xlsx",
                "lang": "vi",
                "groups": [world.group_a1.id],
            },
        ).status_code
        == 409
    )
    assert run_jobs() == 1
    export = _export_row(export_id)
    assert export.status == ExportStatus.DONE and export.job.attempts == 2
    status = client.get(f"/api/exports/{export_id}").get_json()
    assert status["status"] == "done" and status["error"] is None
    download = client.get(status["download_url"])
    assert download.status_code == 200
    download.close()
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "export.workbook")) == 1


def test_a_failing_export_is_tried_again_then_shows_its_error(app, client, world, monkeypatch):
    field_work(world)
    monkeypatch.setitem(app.config, "EXPORT_BACKGROUND_ROWS", 0)
    monkeypatch.setitem(app.config, "JOB_RETRY_SECONDS", 30)

    def broken(*args, **kwargs):
        raise OSError("No space left on device: /srv/instance/exports")

    monkeypatch.setattr(operations, "write_export", broken)
    login(client, "admin_a")
    export_id = _export(client, world)
    assert run_jobs() == 1
    export = _export_row(export_id)
    assert export.status == ExportStatus.RUNNING and export.job.state == JobState.QUEUED
    assert export.job.run_after > utcnow() + timedelta(seconds=25)  # backoff before the next try
    unexpected = shown(app, "An unexpected error stopped the job; the details are in the server log.")
    stage = client.get(f"/api/exports/{export_id}").get_json()["stage"]
    assert stage == shown(
        app, "Try %(number)s of %(tries)s failed: %(error)s It will be tried again shortly.", number=1, tries=5, error=unexpected
    )
    for _ in range(4):  # time passes; each try fails again
        db.session.execute(sa.update(Job).where(Job.id == export.job_id).values(run_after=utcnow()))
        db.session.commit()
        assert run_jobs() == 1
    export = _export_row(export_id)
    assert export.status == ExportStatus.FAILED and export.running_key is None
    assert export.job.state == JobState.FAILED and export.job.attempts == 5
    message = shown(app, "The export failed: %(error)s", error=unexpected)
    page = _page(client, f"/exports/{export_id}")
    assert message in page and "No space left" not in page and "Traceback" not in page
    assert client.get(f"/api/exports/{export_id}").get_json()["error"] == message
    assert f'href="/exports/{export_id}"' in _page(client, "/exports")  # the list links to the error
    monkeypatch.undo()
    monkeypatch.setitem(app.config, "EXPORT_BACKGROUND_ROWS", 0)
    assert _export(client, world) != export_id  # the person may export again


def test_an_export_no_longer_allowed_fails_at_once_saying_why(app, client, world, monkeypatch):
    field_work(world)
    monkeypatch.setitem(app.config, "EXPORT_BACKGROUND_ROWS", 0)
    login(client, "admin_a")
    export_id = _export(client, world)
    db.session.execute(sa.update(ExportJob).where(ExportJob.id == export_id).values(group_ids=[world.group_b1.id]))
    db.session.commit()  # as if the group had moved out of the ward meanwhile
    run_jobs()
    export = _export_row(export_id)
    assert export.status == ExportStatus.FAILED and export.job.attempts == 1
    assert "TDP" in export.job.error or world.ward_a.name in export.job.error
    assert export.job.error in _page(client, f"/exports/{export_id}")


def _ward_with_answers(world):
    for i in range(4):
        add_household_answers(world.group_a1, [learner(["m2"], b0_name=f"Học viên {i}")])
    digital_team(world.ward_a, [world.group_a1], members=2)
    db.session.commit()


def _generate(client, ward_id):
    token = csrf_token(client.get("/plan").get_data(as_text=True))
    return client.post(
        f"/wards/{ward_id}/plan/generate",
        data={"csrf_token": token, "min_size": 2, "max_size": 30, "neighbours": 2, "trainer_capacity": 3},
    )


def _generation_line(html: str) -> str | None:
    import re

    match = re.search(r'data-testid="plan-generation" data-state="(\w+)"', html)
    return match.group(1) if match else None


def test_the_plan_page_shows_a_generation_waiting_then_the_plan(app, client, world):
    _ward_with_answers(world)
    login(client, "admin_a")
    assert _generate(client, world.ward_a.id).status_code == 302
    html = _page(client, "/plan")
    assert _generation_line(html) == "queued" and 'http-equiv="refresh"' in html
    assert shown(app, "The plan is waiting to be generated…") in html
    assert _generate(client, world.ward_a.id).status_code == 302  # asked twice: still one job
    assert shown(app, "The plan of this ward is already being generated; wait until it is ready, then try again.") in _page(
        client, "/plan"
    )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 1
    assert run_jobs() == 1
    html = _page(client, "/plan")
    assert _generation_line(html) is None and 'http-equiv="refresh"' not in html
    plan = db.session.execute(sa.select(TrainingPlan)).scalar_one()
    assert plan.summary["people"] == 4 and plan.generated_by_id == world.admin_a.id


def test_the_plan_page_shows_a_running_and_a_failed_generation(app, client, world):
    login(client, "admin_a")
    _generate(client, world.ward_a.id)
    queue.claim("some-worker:1:1")
    assert _generation_line(_page(client, "/plan")) == "running"
    db.session.execute(sa.update(Job).values(state=JobState.QUEUED, claimed_by=None, attempts=0))
    db.session.commit()
    run_jobs()  # no answers in the ward: fails at once, saying so
    html = _page(client, "/plan")
    no_answers = shown(app, "There are no survey answers in this ward yet, so there is nothing to plan.")
    assert _generation_line(html) == "failed"
    assert shown(app, "Generating the plan failed: %(error)s", error=no_answers) in html
    assert stored(db.session.scalar(sa.select(Job.id))).attempts == 1
    _ward_with_answers(world)
    _generate(client, world.ward_a.id)
    run_jobs()
    assert _generation_line(_page(client, "/plan")) is None  # the new plan is newer than the failure


def test_an_export_whose_job_ended_without_closing_it_does_not_block(app, client, world, monkeypatch):
    monkeypatch.setitem(app.config, "EXPORT_BACKGROUND_ROWS", 0)
    login(client, "admin_a")
    export_id = _export(client, world)
    db.session.execute(sa.update(Job).values(state=JobState.FAILED, active_key=None))  # its hook had failed
    db.session.commit()
    assert _export(client, world) != export_id
    assert _export_row(export_id).status == ExportStatus.FAILED
