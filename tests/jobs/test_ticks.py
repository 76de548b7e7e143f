"""Ticks: functions the worker calls regularly, each in its own transaction; errors never stop it."""

import threading

import sqlalchemy as sa

from survey_app import jobs
from survey_app.audit.models import AuditEvent
from survey_app.audit.operations import record
from survey_app.extensions import db
from survey_app.jobs.worker import run_worker
from tests.conftest import run_jobs
from tests.jobs.helpers import wait_for


def _events(action: str) -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == action))


def test_a_tick_runs_in_its_own_transaction_and_its_writes_are_committed():
    jobs.register_tick("test.write", lambda: record("test.ticked"), every_seconds=3600)
    run_jobs()
    assert _events("test.ticked") == 1


def test_a_failing_tick_is_logged_rolled_back_and_the_others_still_run(caplog):
    def broken():
        record("test.broken")
        raise ValueError("tick bug")

    jobs.register_tick("test.broken", broken, every_seconds=3600)
    jobs.register_tick("test.write", lambda: record("test.ticked"), every_seconds=3600)
    job = jobs.enqueue("test.count")
    db.session.commit()
    assert run_jobs() == 1  # the job ran too
    assert _events("test.broken") == 0 and _events("test.ticked") == 1
    assert "tick test.broken failed" in caplog.text and "tick bug" in caplog.text
    assert jobs.latest("test.count").id == job.id


def test_a_running_worker_calls_its_ticks_again_and_again(app):
    calls = []
    jobs.register_tick("test.often", lambda: calls.append(1), every_seconds=0.05)
    stop = threading.Event()
    thread = threading.Thread(target=run_worker, args=(app,), kwargs={"stop": stop, "poll_seconds": 0.05})
    thread.start()
    try:
        wait_for(lambda: len(calls) >= 5, "five calls of the tick")
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not thread.is_alive()


def test_an_exclusive_tick_is_skipped_while_another_worker_runs_it(app):
    """On PostgreSQL an advisory lock keeps a tick to one worker at a time; SQLite has one worker."""
    from survey_app.jobs.worker import Worker, _tick_lock

    calls = []
    jobs.register_tick("test.exclusive", lambda: calls.append(1), every_seconds=3600)
    postgres = db.engine.dialect.name == "postgresql"
    with app.app_context():
        assert _tick_lock("test.exclusive")  # held by this transaction, as a running worker would
        Worker(app).run_ticks(everything=True)
        db.session.rollback()
    assert calls == ([] if postgres else [1])
    Worker(app).run_ticks(everything=True)
    assert len(calls) == (1 if postgres else 2)


def test_ticks_need_a_positive_period():
    import pytest

    with pytest.raises(ValueError):
        jobs.register_tick("test.never", lambda: None, every_seconds=0)
