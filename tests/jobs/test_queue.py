"""The jobs table as a queue: enqueue, claim, done; retries with backoff; failure with its error;
jobs of dead workers taken again; a try taken over by another worker changes nothing."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from survey_app import jobs
from survey_app.extensions import db, utcnow
from survey_app.jobs import Job, JobState, queue
from survey_app.jobs.worker import Worker
from tests.conftest import run_jobs
from tests.jobs.helpers import stored
from tests.jobs.kinds import CALLS, FAILURES, counted


def test_enqueue_only_flushes_and_the_caller_commits():
    job = jobs.enqueue("test.count", {"n": 1}, ward_id=None)
    assert job.id is not None and job.state == JobState.QUEUED and job.attempts == 0 and job.max_attempts == 5
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 0


def test_a_job_is_claimed_run_and_done_once(app):
    job = jobs.enqueue("test.count", {"n": 1})
    db.session.commit()
    assert run_jobs() == 1
    done = stored(job.id)
    assert done.state == JobState.DONE and done.attempts == 1 and done.result == {"counted": job.id}
    assert done.claimed_by.count(":") == 2 and done.started_at <= done.finished_at and done.error is None
    assert counted(job.id) == 1 and [c[:2] for c in CALLS] == [(job.id, 1)]
    assert run_jobs() == 0  # nothing left
    assert counted(job.id) == 1


def test_the_active_key_keeps_one_job_per_key_while_it_is_queued_or_running():
    first = jobs.enqueue("test.count", active_key="same")
    assert jobs.enqueue("test.count", active_key="same").id == first.id
    other = jobs.enqueue("test.count", active_key="other")
    db.session.commit()
    assert other.id != first.id and jobs.active("same").id == first.id
    run_jobs()
    assert stored(first.id).active_key is None and jobs.active("same") is None
    again = jobs.enqueue("test.count", active_key="same")
    assert again.id != first.id


def test_the_unique_key_decides_a_race(monkeypatch):
    first = jobs.enqueue("test.count", active_key="race")
    db.session.commit()
    looks, real = [], queue.active

    def first_look_misses(key):
        """The first look sees no job, as a request racing the first one would."""
        looks.append(key)
        return None if len(looks) == 1 else real(key)

    monkeypatch.setattr(queue, "active", first_look_misses)
    assert queue.enqueue("test.count", active_key="race").id == first.id  # the insert met the index
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 1


def test_a_job_that_raises_is_tried_again_with_backoff_then_fails_with_its_error(app, monkeypatch):
    monkeypatch.setitem(app.config, "JOB_RETRY_SECONDS", 30)
    job = jobs.enqueue("test.fail", {"says": "The disk is full."}, max_attempts=3)
    db.session.commit()
    assert run_jobs() == 1
    first = stored(job.id)
    assert first.state == JobState.QUEUED and first.attempts == 1 and first.error == "The disk is full."
    assert timedelta(seconds=29) < first.run_after - utcnow() <= timedelta(seconds=30)
    assert run_jobs() == 0  # not due yet
    waits = []
    for _attempt in (2, 3):
        db.session.execute(sa.update(Job).where(Job.id == job.id).values(run_after=utcnow()))  # time passes
        db.session.commit()
        before = utcnow()
        assert run_jobs() == 1
        waits.append(stored(job.id).run_after - before)
    last = stored(job.id)
    assert waits[0] > timedelta(seconds=59)  # doubled after the second failure
    assert last.state == JobState.FAILED and last.attempts == 3 and last.error == "The disk is full."
    assert last.finished_at is not None and last.active_key is None
    assert FAILURES == [(job.id, "The disk is full.")]
    assert counted(job.id) == 0  # each try's writes were undone


def test_an_unexpected_error_shows_a_sentence_not_the_exception(app, caplog):
    job = jobs.enqueue("test.fail", {}, max_attempts=1)
    db.session.commit()
    run_jobs()
    failed = stored(job.id)
    assert failed.state == JobState.FAILED
    assert "secret internal detail" not in failed.error and "Traceback" not in failed.error
    assert failed.error  # a sentence for people
    assert "secret internal detail" in caplog.text  # the traceback is in the server log


def test_a_job_error_without_retry_fails_at_once():
    job = jobs.enqueue("test.fail", {"says": "No answers yet.", "retry": False})
    db.session.commit()
    run_jobs()
    failed = stored(job.id)
    assert failed.state == JobState.FAILED and failed.attempts == 1 and failed.error == "No answers yet."


def test_an_unknown_kind_fails_with_a_message():
    job = jobs.enqueue("test.nobody-does-this")
    db.session.commit()
    run_jobs()
    failed = stored(job.id)
    assert failed.state == JobState.FAILED and "test.nobody-does-this" in failed.error


def _as_if_running(job_id: int, worker: str, attempts: int, seconds_ago: float) -> None:
    """The job as a worker left it when it died `seconds_ago` after its last heartbeat."""
    then = utcnow() - timedelta(seconds=seconds_ago)
    db.session.execute(
        sa.update(Job)
        .where(Job.id == job_id)
        .values(state=JobState.RUNNING, claimed_by=worker, attempts=attempts, started_at=then, heartbeat_at=then)
    )
    db.session.commit()


def test_a_job_whose_worker_died_is_taken_again(app, fast_jobs):
    job = jobs.enqueue("test.count")
    db.session.commit()
    _as_if_running(job.id, "dead-host:1:1", 1, seconds_ago=0.2)
    assert run_jobs() == 0  # its heartbeat is recent: still its worker's
    assert stored(job.id).state == JobState.RUNNING
    _as_if_running(job.id, "dead-host:1:1", 1, seconds_ago=5)
    assert run_jobs() == 1
    done = stored(job.id)
    assert done.state == JobState.DONE and done.attempts == 2 and not done.claimed_by.startswith("dead-host")
    assert counted(job.id) == 1


def test_a_job_whose_worker_died_on_its_last_try_fails(app, fast_jobs):
    job = jobs.enqueue("test.fail", {"says": "x"}, max_attempts=2)
    db.session.commit()
    _as_if_running(job.id, "dead-host:1:1", 2, seconds_ago=5)
    assert run_jobs() == 0
    failed = stored(job.id)
    assert failed.state == JobState.FAILED and failed.error and failed.active_key is None
    assert FAILURES == [(job.id, failed.error)] and CALLS == []


def test_a_try_taken_over_meanwhile_changes_nothing(app, fast_jobs):
    jobs.enqueue("test.count")
    db.session.commit()
    worker = Worker(app, "me:1:1")
    with app.app_context():
        job_id, attempt = queue.claim(worker.ident)
    # Another worker took it (this one looked dead): same row, next attempt, other owner.
    db.session.execute(sa.update(Job).where(Job.id == job_id).values(claimed_by="other:2:2", attempts=attempt + 1))
    db.session.commit()
    with app.app_context():
        worker.run_job(job_id, attempt)
    after = stored(job_id)
    assert after.state == JobState.RUNNING and after.claimed_by == "other:2:2"
    assert counted(job_id) == 0  # the handler's writes were rolled back


def test_beat_writes_the_heartbeat_and_progress_and_knows_when_the_try_is_lost(app, monkeypatch):
    from survey_app.jobs import models

    monkeypatch.setattr(models, "BEAT_INTERVAL", 0.0)
    jobs.enqueue("test.count")
    db.session.commit()
    with app.app_context():
        job_id, _attempt = queue.claim("me:1:1")
    running = stored(job_id)
    before = running.heartbeat_at
    assert running.beat({"rows": 10}) is True
    assert stored(job_id).progress == {"rows": 10} and stored(job_id).heartbeat_at >= before
    db.session.execute(sa.update(Job).where(Job.id == job_id).values(claimed_by="other:2:2"))
    db.session.commit()
    lost = stored(job_id)
    lost.claimed_by = "me:1:1"  # what the first worker still believes
    assert lost.beat({"rows": 20}) is False
    db.session.rollback()
    assert stored(job_id).progress == {"rows": 10}


def test_the_claim_takes_the_oldest_due_job_first():
    later = jobs.enqueue("test.count")
    later.run_after = utcnow() + timedelta(hours=1)
    first, second = jobs.enqueue("test.count"), jobs.enqueue("test.count")
    db.session.commit()
    assert queue.claim("me:1:1")[0] == first.id
    assert queue.claim("me:1:1")[0] == second.id
    assert queue.claim("me:1:1") is None


@pytest.mark.parametrize("state", [JobState.DONE, JobState.FAILED])
def test_counts_per_state(state):
    db.session.add(Job(kind="test.count", state=state))
    db.session.commit()
    assert queue.counts() == {state: 1}


def test_a_handler_beating_while_it_writes_is_not_held_up(app, monkeypatch):
    """On SQLite the handler's own write lock would make a beat on another connection wait."""
    from survey_app.jobs import models
    from survey_app.jobs.registry import HANDLERS, handler

    monkeypatch.setattr(models, "BEAT_INTERVAL", 0.0)
    seen = []

    def writes_then_beats(job):
        from survey_app.audit.operations import record

        record("test.counted", object_type="job", object_id=job.id)
        db.session.flush()  # this try now writes (SQLite: holds the write lock)
        seen.append(job.beat({"rows": 1}))

    handler("test.writes-then-beats")(writes_then_beats)
    try:
        job = jobs.enqueue("test.writes-then-beats")
        db.session.commit()
        run_jobs()
    finally:
        HANDLERS.pop("test.writes-then-beats")
    assert seen == [True] and stored(job.id).state == JobState.DONE and counted(job.id) == 1


def test_a_result_that_cannot_be_stored_fails_the_try_with_a_message(app):
    from survey_app.jobs.registry import HANDLERS, handler

    handler("test.bad-result")(lambda job: {"not json": object()})
    try:
        job = jobs.enqueue("test.bad-result", max_attempts=1)
        db.session.commit()
        run_jobs()
    finally:
        HANDLERS.pop("test.bad-result")
    failed = stored(job.id)
    assert failed.state == JobState.FAILED and failed.error and failed.result is None
