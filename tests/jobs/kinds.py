"""Job kinds for the tests: each run leaves an audit event, so a job done twice shows."""

from __future__ import annotations

import threading
import time

import sqlalchemy as sa

from survey_app import jobs
from survey_app.audit.models import AuditEvent
from survey_app.audit.operations import record
from survey_app.extensions import db

#: (job id, attempt, thread) of every call of a handler in this process.
CALLS: list[tuple[int, int, str]] = []
_calls_lock = threading.Lock()
#: Failures of on_failure hooks seen: (job id, error).
FAILURES: list[tuple[int, str]] = []


def _called(job) -> None:
    with _calls_lock:
        CALLS.append((job.id, job.attempts, threading.current_thread().name))


def counted(job_id: int) -> int:
    """Audit events written by runs of the job that were committed."""
    return db.session.scalar(
        sa.select(sa.func.count()).where(AuditEvent.action == "test.counted", AuditEvent.object_id == str(job_id))
    )


@jobs.handler("test.count")
def count(job):
    """Write one audit event (committed with the job's done)."""
    _called(job)
    record("test.counted", object_type="job", object_id=job.id)
    return {"counted": job.id}


@jobs.handler("test.slow")
def slow(job):
    """On the first try, wait `first_try_seconds` (beating) before counting; later tries count at once."""
    _called(job)
    if job.attempts == 1:
        end = time.monotonic() + job.payload.get("first_try_seconds", 0)
        while time.monotonic() < end:
            job.beat({"waiting": True})
            time.sleep(0.05)
    record("test.counted", object_type="job", object_id=job.id)
    return {"counted": job.id}


def _remember_failure(job, error: str) -> None:
    FAILURES.append((job.id, error))


@jobs.handler("test.fail", on_failure=_remember_failure)
def fail(job):
    """Write an audit event, then fail: with a JobError (payload "says"), or a plain exception."""
    _called(job)
    record("test.counted", object_type="job", object_id=job.id)
    if "says" in job.payload:
        raise jobs.JobError(job.payload["says"], retry=job.payload.get("retry", True))
    raise RuntimeError("secret internal detail at /srv/app.py line 3")
