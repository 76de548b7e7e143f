"""The jobs table as a queue: enqueue, claim one job, end a try (done, again later, failed).

Every function only flushes, except claim and the ends of a try, which the worker commits. Two
workers never hold the same try: a claim locks the row (PostgreSQL `FOR UPDATE SKIP LOCKED`;
SQLite `BEGIN IMMEDIATE`, one writer at a time), and every end of a try changes the row only if
it is still that try (same worker, same attempt number, still running).
"""

from __future__ import annotations

import logging
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from survey_app.extensions import db, take_write_lock, utcnow
from survey_app.jobs.models import ACTIVE_STATES, Job, JobState, this_try
from survey_app.jobs.registry import HANDLERS

log = logging.getLogger(__name__)
#: Longest wait between two tries of a failing job.
MAX_BACKOFF = timedelta(hours=1)


def enqueue(
    kind: str,
    payload: dict | None = None,
    *,
    ward_id: int | None = None,
    user_id: int | None = None,
    active_key: str | None = None,
    max_attempts: int = 5,
) -> Job:
    """Add a job (flushed; the caller commits). With `active_key`, the job already queued or
    running under that key is returned instead of a second one."""
    if active_key is not None and (existing := active(active_key)) is not None:
        return existing
    job = Job(
        kind=kind,
        payload=payload or {},
        ward_id=ward_id,
        user_id=user_id,
        active_key=active_key,
        max_attempts=max_attempts,
        state=JobState.QUEUED,
        run_after=utcnow(),
    )
    _lock()  # SQLite: a savepoint needs the transaction begun (pysqlite would commit at its release)
    try:
        with db.session.begin_nested():
            db.session.add(job)
    except sa.exc.IntegrityError:  # another request queued the same key meanwhile
        existing = active(active_key) if active_key is not None else None
        if existing is None:
            raise
        return existing
    return job


def active(active_key: str) -> Job | None:
    """The queued or running job holding `active_key`, if any."""
    return db.session.execute(sa.select(Job).where(Job.active_key == active_key)).scalar_one_or_none()


def latest(kind: str, *, ward_id: int | None = None) -> Job | None:
    """The newest job of a kind (for one ward), to show its state on a page."""
    query = sa.select(Job).where(Job.kind == kind)
    if ward_id is not None:
        query = query.where(Job.ward_id == ward_id)
    return db.session.scalars(query.order_by(Job.id.desc()).limit(1)).first()


def _lock() -> None:
    """SQLite: take the write lock before reading what is claimed (PostgreSQL locks the rows instead)."""
    take_write_lock()


def _sqlite() -> bool:
    return db.engine.dialect.name == "sqlite"


def _due() -> sa.Select:
    return sa.select(Job).where(Job.state == JobState.QUEUED, Job.run_after <= utcnow()).order_by(Job.run_after, Job.id).limit(1)


def claim(worker: str) -> tuple[int, int] | None:
    """Take the next due job for `worker` and commit: (job id, attempt), or None when none is due."""
    if _sqlite() and db.session.scalar(_due().with_only_columns(Job.id)) is None:
        db.session.rollback()
        return None  # nothing due: no write lock taken
    _lock()
    job = db.session.execute(_due().with_for_update(skip_locked=True)).scalar_one_or_none()
    if job is None:
        db.session.rollback()
        return None
    now = utcnow()
    job.state, job.claimed_by, job.attempts = JobState.RUNNING, worker, job.attempts + 1
    job.started_at = job.heartbeat_at = now
    claimed = (job.id, job.attempts)
    db.session.commit()
    return claimed


def requeue_stale(stale_seconds: float) -> int:
    """Give back the running jobs whose worker stopped beating (it died), or fail them after their
    last try; commit. The number of jobs handled."""
    cutoff = utcnow() - timedelta(seconds=stale_seconds)
    stale = sa.select(Job).where(Job.state == JobState.RUNNING, Job.heartbeat_at < cutoff).order_by(Job.id).limit(50)
    if _sqlite() and db.session.scalar(stale.with_only_columns(Job.id)) is None:
        db.session.rollback()
        return 0
    _lock()
    jobs = db.session.scalars(stale.with_for_update(skip_locked=True)).all()
    for job in jobs:
        log.warning("job %s (%s) lost its worker %s on try %s", job.id, job.kind, job.claimed_by, job.attempts)
        message = _("The worker running this job stopped before the job was finished.")
        if job.attempts >= job.max_attempts:
            _fail(job, message)
        else:
            job.state, job.run_after, job.error, job.heartbeat_at = JobState.QUEUED, utcnow(), message, None
    db.session.commit()
    return len(jobs)


def finish(job_id: int, worker: str, attempt: int, result) -> bool:
    """Mark the try done, in the transaction holding the handler's writes. False (and nothing may
    be committed) when the try was taken away from this worker meanwhile."""
    now = utcnow()
    done = this_try(job_id, worker, attempt).values(
        state=JobState.DONE, result=result, finished_at=now, heartbeat_at=now, active_key=None, error=None
    )
    return db.session.execute(done).rowcount == 1


def record_failure(job_id: int, worker: str, attempt: int, message: str, *, retry: bool = True) -> JobState | None:
    """End a failed try (its writes rolled back already): queued again after a backoff, or failed
    after the last try (or at once when `retry` is False). None if the try was not this worker's."""
    _lock()
    job = db.session.execute(
        sa.select(Job)
        .where(
            Job.id == job_id,
            Job.claimed_by == worker,
            Job.attempts == attempt,
            Job.state == JobState.RUNNING,
        )
        .with_for_update()
    ).scalar_one_or_none()
    if job is None:
        return None
    if retry and job.attempts < job.max_attempts:
        job.state, job.error, job.heartbeat_at = JobState.QUEUED, message, None
        job.run_after = utcnow() + backoff(job.attempts)
    else:
        _fail(job, message)
    return job.state


def backoff(attempts: int) -> timedelta:
    """Wait before the next try: JOB_RETRY_SECONDS, doubled after each failed try, at most an hour."""
    base = float(current_app.config.get("JOB_RETRY_SECONDS", 10))
    return min(timedelta(seconds=base * 2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def _fail(job: Job, message: str) -> None:
    """Failed for good: the error kept, the key freed, the kind's on_failure told (same transaction)."""
    job.state, job.error, job.active_key, job.finished_at = JobState.FAILED, message, None, utcnow()
    handler = HANDLERS.get(job.kind)
    if handler is None or handler.on_failure is None:
        return
    try:
        with db.session.begin_nested():
            handler.on_failure(job, message)
    except Exception:  # noqa: BLE001 — the job still fails; the hook's own failure is logged
        log.exception("on_failure of job %s (%s) failed", job.id, job.kind)


def counts() -> dict[str, int]:
    """Jobs per state (for the command line and the tests)."""
    return dict(db.session.execute(sa.select(Job.state, sa.func.count()).group_by(Job.state)).all())


__all__ = [
    "ACTIVE_STATES",
    "active",
    "backoff",
    "claim",
    "counts",
    "enqueue",
    "finish",
    "latest",
    "record_failure",
    "requeue_stale",
]
