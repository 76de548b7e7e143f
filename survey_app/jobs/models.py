"""Jobs: work the worker does outside the request (exports, plans), with its state in the database."""

from __future__ import annotations

import enum
import time
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from survey_app.extensions import JSONType, UTCDateTime, db, str_enum, utcnow


class JobState(enum.StrEnum):
    QUEUED = "queued"  #: waiting for a worker (again, after a failed try: see run_after)
    RUNNING = "running"  #: claimed by a worker, which beats its heartbeat
    DONE = "done"
    FAILED = "failed"  #: the last try failed, or the job cannot succeed; `error` says why


#: States of a job still to be done: its `active_key` is kept while it is in one of them.
ACTIVE_STATES = (JobState.QUEUED, JobState.RUNNING)

#: Shortest time between two heartbeats written by a handler's `job.beat()` calls.
BEAT_INTERVAL = 1.0


class Job(db.Model):
    """One piece of deferred work of a kind (its handler), claimed by one worker at a time."""

    __tablename__ = "jobs"
    __table_args__ = (sa.Index("ix_jobs_state_run_after", "state", "run_after"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The handler's name, e.g. "export" or "plan".
    kind: Mapped[str] = mapped_column(sa.String(40))
    #: The ward the job works for, when it works for one.
    ward_id: Mapped[int | None] = mapped_column(sa.ForeignKey("wards.id"), index=True)
    #: Who asked for it; None for the system.
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    #: What the handler needs (ids and settings; no personal data).
    payload: Mapped[dict] = mapped_column(JSONType, default=dict)
    state: Mapped[JobState] = mapped_column(str_enum(JobState), default=JobState.QUEUED)
    #: Tries started so far (each claim counts one); with `claimed_by` it names one try.
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=5)
    #: Not claimed before this time: the backoff after a failed try.
    run_after: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: Last sign of life of the running try; older than JOB_STALE_SECONDS means its worker died.
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The worker running (or last running) it: "host:pid:thread".
    claimed_by: Mapped[str | None] = mapped_column(sa.String(120))
    #: Why the last try failed, in words for people (the traceback goes to the server log only).
    error: Mapped[str | None] = mapped_column(sa.Text)
    #: What the handler returned (JSON), once done.
    result: Mapped[dict | None] = mapped_column(JSONType)
    #: Last progress the handler reported (JSON), e.g. {"rows": 1200}.
    progress: Mapped[dict | None] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Set while queued or running, NULL after: the unique index keeps one active job per key
    #: (e.g. "plan:<ward id>"), even when two requests race.
    active_key: Mapped[str | None] = mapped_column(sa.String(120), unique=True)

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE_STATES

    def beat(self, progress: dict | None = None) -> bool:
        """Tell that this try is alive (and how far it got), in a short transaction of its own.

        Handlers may call it as often as they like: it writes at most once a second. False when
        the try is no longer this worker's (it was taken as dead and given to another): a long
        handler may then stop early, since its work will be undone.
        """
        now = time.monotonic()
        if now - getattr(self, "_last_beat", 0.0) < BEAT_INTERVAL or _writing_sqlite():
            return getattr(self, "_still_ours", True)
        self._last_beat = now
        values = {"heartbeat_at": utcnow()} | ({"progress": progress} if progress is not None else {})
        with db.engine.begin() as connection:
            self._still_ours = (
                connection.execute(this_try(self.id, self.claimed_by, self.attempts).values(**values)).rowcount == 1
            )
        return self._still_ours


def _writing_sqlite() -> bool:
    """True while this session holds SQLite's write lock: a beat on another connection would wait
    for it (and nobody can take the job meanwhile: claims need the same lock)."""
    session = db.session()
    if db.engine.dialect.name != "sqlite" or not session.in_transaction():
        return False
    return bool(session.connection().connection.dbapi_connection.in_transaction)


def this_try(job_id: int, worker: str | None, attempt: int) -> sa.Update:
    """An UPDATE of the job that changes nothing unless the try (worker, attempt) still runs it."""
    table = Job.__table__
    return sa.update(table).where(
        table.c.id == job_id, table.c.claimed_by == worker, table.c.attempts == attempt, table.c.state == JobState.RUNNING
    )
