"""The worker loop: requeue the jobs of dead workers, claim and run one job, repeat; ticks beside it.

One loop per thread; `survey-app worker` runs one in its process, `survey-app run` one in a
daemon thread beside the web server (survey_app/jobs/embedded.py). The loop outlives its
database: an error reaching it is logged, the loop waits (1 s, doubling up to 30 s) and goes on
with fresh connections. A job's writes and its `done` are one transaction, so a try cut short
(worker killed, database gone) leaves nothing half-done: the job is taken again once its
heartbeat is older than JOB_STALE_SECONDS.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import zlib

import sqlalchemy as sa
from flask import Flask
from flask_babel import force_locale
from flask_babel import gettext as _

from survey_app.extensions import db, utcnow
from survey_app.jobs import queue
from survey_app.jobs.models import Job, this_try
from survey_app.jobs.registry import HANDLERS, TICKS, JobError, Tick

log = logging.getLogger(__name__)
#: Longest wait after an error of the loop itself (the database gone, say).
MAX_ERROR_WAIT = 30.0


def worker_id() -> str:
    """host:pid:thread of the calling thread."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_native_id()}"[:120]


class Heartbeat:
    """Beats a running try every JOB_HEARTBEAT_SECONDS from a side thread, on its own connection."""

    def __init__(self, engine: sa.Engine, job_id: int, worker: str, attempt: int, every: float):
        self.engine, self.every = engine, every
        self.statement = this_try(job_id, worker, attempt)
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name=f"heartbeat-{job_id}", daemon=True)

    def __enter__(self) -> "Heartbeat":
        self.thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()
        self.thread.join(timeout=max(self.every, 1.0) + 15)

    def stop(self) -> None:
        self.stopped.set()

    def _run(self) -> None:
        while not self.stopped.wait(self.every):
            try:
                with self.engine.begin() as connection:
                    connection.execute(self.statement.values(heartbeat_at=utcnow()))
            except Exception:  # noqa: BLE001 — a missed beat is retried at the next one
                log.warning("heartbeat failed", exc_info=True)


class Worker:
    """One worker loop's state: its id and when each tick last ran."""

    def __init__(self, app: Flask, ident: str | None = None):
        self.app = app
        self.ident = ident or worker_id()
        self.last_tick: dict[str, float] = {}
        self.last_sweep = 0.0

    # ------------------------------------------------------------ one round

    def step(self) -> bool:
        """Requeue the jobs of dead workers, run one due job: True if a job ran."""
        self.sweep()
        return self.run_one()

    def sweep(self) -> None:
        stale = float(self.app.config.get("JOB_STALE_SECONDS", 60))
        if time.monotonic() - self.last_sweep < min(stale / 4, 5.0):
            return
        with self._context():
            queue.requeue_stale(stale)
        self.last_sweep = time.monotonic()

    def run_ticks(self, *, everything: bool = False) -> float:
        """Call the due ticks (all of them with `everything`): seconds until the next one is due."""
        for tick in list(TICKS.values()):
            last = self.last_tick.get(tick.name)
            if everything or last is None or time.monotonic() - last >= tick.every_seconds:
                self.last_tick[tick.name] = time.monotonic()
                self.run_tick(tick)
        now = time.monotonic()
        return min(
            (self.last_tick[t.name] + t.every_seconds - now for t in TICKS.values() if t.name in self.last_tick), default=1.0
        )

    def run_tick(self, tick: Tick) -> None:
        """Call one tick in its own app context and transaction; its errors are logged, except a
        lost database, which the loop waits out."""
        with self._context():
            try:
                if tick.exclusive and not _tick_lock(tick.name):
                    db.session.rollback()
                    return  # another worker is running it now
                tick.fn()
                db.session.commit()
            except (sa.exc.OperationalError, sa.exc.InterfaceError):
                db.session.rollback()
                raise
            except Exception:  # noqa: BLE001 — a tick never stops the worker
                db.session.rollback()
                log.exception("tick %s failed", tick.name)

    def run_one(self) -> bool:
        with self._context():
            claimed = queue.claim(self.ident)
        if claimed is None:
            return False
        with self._context():
            self.run_job(*claimed)
        return True

    def run_job(self, job_id: int, attempt: int) -> None:
        """Run one try of a claimed job and end it (done, again later, or failed)."""
        job = db.session.get(Job, job_id)
        kind = job.kind
        handler = HANDLERS.get(kind)
        every = float(self.app.config.get("JOB_HEARTBEAT_SECONDS", 5))
        with Heartbeat(db.engine, job_id, self.ident, attempt, every) as heartbeat:
            try:
                if handler is None:
                    raise JobError(_("This kind of job (%(kind)s) is unknown to this worker.", kind=kind), retry=False)
                result = handler.fn(job)
                heartbeat.stop()
                # The handler's writes and `done` commit together; a write refused at the commit
                # (a constraint) fails the try like an error of the handler.
                ours = queue.finish(job_id, self.ident, attempt, result)
                if ours:
                    db.session.commit()
            except Exception as error:  # noqa: BLE001 — any failure ends the try with a message
                db.session.rollback()
                heartbeat.stop()
                self._failed(job_id, attempt, error)
                return
            if ours:
                log.info("job %s (%s) done on try %s", job_id, kind, attempt)
            else:
                db.session.rollback()
                log.warning("job %s was given to another worker while this one ran it; its work is undone", job_id)

    def _failed(self, job_id: int, attempt: int, error: Exception) -> None:
        if isinstance(error, JobError):
            message, retry = error.message, error.retry
            log.warning("job %s failed on try %s: %s", job_id, attempt, message)
        else:
            message, retry = _("An unexpected error stopped the job; the details are in the server log."), True
            log.exception("job %s failed on try %s", job_id, attempt)
        state = queue.record_failure(job_id, self.ident, attempt, message, retry=retry)
        db.session.commit()
        if state is not None:
            log.info("job %s is now %s", job_id, state.value)

    def _context(self):
        return _Context(self.app)

    # ------------------------------------------------------------ loops

    def drain(self) -> int:
        """Every tick once, then every due job until none is due: the number of jobs run."""
        self.run_ticks(everything=True)
        ran = 0
        while self.step():
            ran += 1
        return ran

    def loop(self, stop: threading.Event, poll_seconds: float) -> None:
        """Run jobs until `stop` is set (the current job is finished first); ticks in a side thread,
        so a long export does not hold back the dashboard's figures."""
        log.info("worker %s started", self.ident)
        ticks = threading.Thread(target=self._tick_loop, args=(stop,), name="worker-ticks", daemon=True)
        ticks.start()
        self._guarded(stop, lambda: None if self.step() else poll_seconds)
        ticks.join(timeout=30)
        log.info("worker %s stopped", self.ident)

    def _tick_loop(self, stop: threading.Event) -> None:
        self._guarded(stop, lambda: min(max(self.run_ticks(), 0.05), 1.0))

    def _guarded(self, stop: threading.Event, round_) -> None:
        """Call `round_()` until `stop`, waiting the seconds it returns (None: go on at once); an
        error is logged and waited out (1 s, doubling up to 30 s): the loop outlives its database."""
        wait = 1.0
        while not stop.is_set():
            try:
                pause = round_()
                wait = 1.0
            except Exception:  # noqa: BLE001
                log.warning("worker %s: error in the loop; trying again in %.0f s", self.ident, wait, exc_info=True)
                stop.wait(wait)
                wait = min(wait * 2, MAX_ERROR_WAIT)
                continue
            if pause:
                stop.wait(pause)


class _Context:
    """An app context in the app's default language, its session removed at the end."""

    def __init__(self, app: Flask):
        self.app = app

    def __enter__(self):
        self.app_context = self.app.app_context()
        self.app_context.push()
        self.locale = force_locale(self.app.config["BABEL_DEFAULT_LOCALE"])
        self.locale.__enter__()

    def __exit__(self, *exc_info):
        try:
            self.locale.__exit__(*exc_info)
            if exc_info[0] is not None:
                db.session.rollback()
        finally:
            self.app_context.pop()


def _tick_lock(name: str) -> bool:
    """PostgreSQL: an advisory lock of the tick for this transaction (False: another worker has it).
    SQLite has one worker (the embedded one) and one writer at a time: always True."""
    if db.engine.dialect.name != "postgresql":
        return True
    key = zlib.crc32(f"survey_app.tick:{name}".encode())
    return bool(db.session.scalar(sa.select(sa.func.pg_try_advisory_xact_lock(key))))


def run_worker(app: Flask, *, stop: threading.Event | None = None, once: bool = False, poll_seconds: float = 1.0) -> int:
    """Run a worker in this thread: until `stop` is set, or (`once`) until nothing is due. Jobs run."""
    worker = Worker(app)
    if once:
        return worker.drain()
    worker.loop(stop or threading.Event(), poll_seconds)
    return 0


def run_pending(app: Flask) -> int:
    """Run every tick once and every due job now, in this thread (tests, `survey-app worker --once`)."""
    return Worker(app).drain()
