"""Several workers over many jobs: each job runs once, by one worker, and is counted once."""

import threading
from collections import Counter

import sqlalchemy as sa

from survey_app import jobs
from survey_app.audit.models import AuditEvent
from survey_app.extensions import db
from survey_app.jobs import Job, JobState
from survey_app.jobs.worker import run_worker
from tests.jobs.helpers import wait_for
from tests.jobs.kinds import CALLS

JOBS = 150
WORKERS = 4


def test_workers_in_threads_never_run_a_job_twice(app):
    ids = [jobs.enqueue("test.count", {"n": n}).id for n in range(JOBS)]
    db.session.commit()
    stop = threading.Event()
    threads = [
        threading.Thread(target=run_worker, args=(app,), name=f"worker-{n}", kwargs={"stop": stop, "poll_seconds": 0.02})
        for n in range(WORKERS)
    ]
    for thread in threads:
        thread.start()
    try:
        wait_for(lambda: len(CALLS) >= JOBS and _left() == 0, "every job done")
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    runs = Counter(job_id for job_id, _attempt, _thread in CALLS)
    assert sorted(runs) == ids and set(runs.values()) == {1}  # every job, each once
    assert len({thread for *_, thread in CALLS}) > 1  # the work was shared
    rows = db.session.execute(sa.select(Job.state, Job.attempts)).all()
    assert Counter(rows) == {(JobState.DONE, 1): JOBS}
    events = Counter(db.session.scalars(sa.select(AuditEvent.object_id).where(AuditEvent.action == "test.counted")))
    assert len(events) == JOBS and set(events.values()) == {1}


def _left() -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).where(Job.state != JobState.DONE))


def test_worker_processes_never_run_a_job_twice(app):
    from tests.jobs.helpers import stop_process, worker_process

    ids = [jobs.enqueue("test.count", {"n": n}).id for n in range(60)]
    db.session.commit()
    processes = [worker_process(app, "--poll", "0.05") for _ in range(2)]
    try:
        wait_for(lambda: _left() == 0, "every job done")
    finally:
        for process in processes:
            stop_process(process)
    owners = dict(db.session.execute(sa.select(Job.id, Job.claimed_by)).all())
    assert sorted(owners) == ids and {int(owner.split(":")[1]) for owner in owners.values()} <= {p.pid for p in processes}
    assert Counter(db.session.scalars(sa.select(Job.attempts))) == {1: 60}
    events = Counter(db.session.scalars(sa.select(AuditEvent.object_id).where(AuditEvent.action == "test.counted")))
    assert len(events) == 60 and set(events.values()) == {1}
