"""Jobs: deferred work (exports, plan generation, derived figures) done by a worker process,
with the state of every job in the database.

Where the worker runs
    Embedded (one ward, SQLite): `survey-app run` starts one worker in a daemon thread of the
    server process (SURVEY_EMBEDDED_WORKER=1, the default; with Flask's reloader only in the
    serving child). City (PostgreSQL): gunicorn serves the web, `survey-app worker` runs on as many
    hosts as wanted (set SURVEY_EMBEDDED_WORKER=0 where `survey-app run` is used for the web).
    `survey-app worker --once` runs every tick once and every due job, then exits.

A job's life
    queued -> running (heartbeat every JOB_HEARTBEAT_SECONDS from a side thread; a handler may
    also call `job.beat(progress)`) -> done, or after an error queued again with backoff
    (run_after: JOB_RETRY_SECONDS, doubling) until `max_attempts`, then failed with its error in
    words for people (`JobError("...")` is shown as it is; any other exception shows a generic
    sentence and its traceback goes to the server log). A running job whose heartbeat is older
    than JOB_STALE_SECONDS lost its worker: it is queued again (or failed after its last try).
    Two workers never run the same try: claims lock the row (PostgreSQL FOR UPDATE SKIP LOCKED,
    SQLite BEGIN IMMEDIATE), and a try's end changes the row only while it is still that try.

Writing a job kind (in the capability's tasks.py, imported by app.register_jobs)::

    from survey_app import jobs

    @jobs.handler("export", on_failure=mark_export_failed)
    def run_export(job):            # job.payload, job.ward_id, job.user_id, job.attempts
        ...                         # db.session writes: committed with the job's `done`
        job.beat({"rows": 1200})    # optional; its own short transaction
        return {"rows": 1200}       # kept in job.result (JSON)

    jobs.enqueue("export", {"export_id": 7}, ward_id=1, user_id=3, active_key="export:7")

`enqueue` only flushes (the request commits); with `active_key` the job already queued or running
under that key is returned instead of a second one. Handlers must not commit their writes: the
worker commits them with the state change to done, so a try cut short changes nothing. Work
outside the database (a file) must be safe to do again (write under a new name).

Ticks: functions every worker calls regularly::

    jobs.register_tick("dashboard.derive", derive_from_outbox, every_seconds=2)

Each call runs in its own app context and transaction, committed when `fn()` returns and rolled
back if it raises (logged, never fatal; a lost database is waited out by the loop). Ticks run in
a thread of their own beside the job loop, so a long export does not hold them back. With
`exclusive=True` (the default) one worker at a time runs a tick on PostgreSQL (an advisory lock
for the transaction; a worker finding it taken skips that round); SQLite deployments have one
worker. A tick should do a bounded batch per call and be idempotent (run again, it changes
nothing), since a worker may die between its work and its commit.

Tests: `survey_app.jobs.worker.run_pending(app)` runs every tick once and every due job now.
"""

from survey_app.jobs.models import Job, JobState
from survey_app.jobs.queue import active, enqueue, latest
from survey_app.jobs.registry import JobError, handler, register_tick

__all__ = ["Job", "JobError", "JobState", "active", "enqueue", "handler", "latest", "register_tick"]
