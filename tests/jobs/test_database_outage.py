"""The database going away does not kill the worker: it logs, waits with backoff, reconnects, and
the queued job is done afterwards, once."""

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from survey_app import jobs
from survey_app.extensions import db, utcnow
from survey_app.jobs import Job, JobState
from survey_app.jobs.worker import run_worker
from tests.jobs.helpers import stop_process, stored, wait_for, worker_process
from tests.jobs.kinds import counted
from tests.jobs.pg_cluster import Cluster


class Outage:
    """Every statement on the app's engine fails while `down` (as with a database gone)."""

    def __init__(self, engine):
        self.engine, self.down, self.refused = engine, False, 0
        sa.event.listen(engine, "before_cursor_execute", self._check)

    def _check(self, *_args):
        if self.down:
            self.refused += 1
            raise sa.exc.OperationalError("SELECT 1", None, ConnectionError("the database is gone"))

    def remove(self):
        sa.event.remove(self.engine, "before_cursor_execute", self._check)


@pytest.fixture
def outage(app):
    cut = Outage(db.engine)
    yield cut
    cut.down = False
    cut.remove()


@pytest.fixture
def worker_thread(app, monkeypatch):
    """A worker loop with no ticks: "error in the loop" is then the job loop's own (the outbox tick,
    every half second, would meet the lost database first)."""
    monkeypatch.setattr("survey_app.jobs.worker.TICKS", {})
    stop = threading.Event()
    thread = threading.Thread(
        target=run_worker, args=(app,), kwargs={"stop": stop, "poll_seconds": 0.05}, name="outage-worker", daemon=True
    )
    yield thread
    stop.set()
    thread.join(timeout=60)
    assert not thread.is_alive()


def test_the_worker_waits_out_a_lost_database_while_idle(app, outage, worker_thread, caplog, fast_jobs):
    job = jobs.enqueue("test.count")
    db.session.commit()
    outage.down = True
    worker_thread.start()
    wait_for(lambda: outage.refused >= 2, "the worker trying the lost database again")
    outage.down = False
    done = wait_for(lambda: (j := stored(job.id)).state == JobState.DONE and j, "the job done after the outage")
    assert worker_thread.is_alive() and done.attempts == 1 and counted(job.id) == 1
    assert "error in the loop" in caplog.text


def test_a_job_cut_by_a_lost_database_is_done_once_afterwards(app, outage, worker_thread, fast_jobs, caplog):
    job = jobs.enqueue("test.slow", {"first_try_seconds": 600})
    db.session.commit()
    worker_thread.start()
    wait_for(lambda: stored(job.id).state == JobState.RUNNING, "the job running")
    outage.down = True  # the handler's next beat fails, and so does the end of its try
    wait_for(lambda: "error in the loop" in caplog.text, "the worker meeting the lost database")
    outage.down = False
    done = wait_for(lambda: (j := stored(job.id)).state == JobState.DONE and j, "the job done after the outage")
    assert worker_thread.is_alive() and done.attempts == 2 and counted(job.id) == 1


def test_a_worker_process_outlives_a_postgresql_restart(app, tmp_path):
    """A cluster of the test's own is stopped with pg_ctl for a few seconds while a worker process uses it."""
    cluster = Cluster().create()
    engine = sa.create_engine(cluster.url, pool_pre_ping=True)
    worker = None
    try:
        db.metadata.create_all(engine)
        with Session(engine) as session:
            job = Job(kind="test.count", payload={}, run_after=utcnow() + timedelta(hours=1))
            session.add(job)
            session.commit()
            job_id = job.id
        log = tmp_path / "worker.log"
        worker = worker_process(app, "--poll", "0.1", database_url=cluster.url, output=log, JOB_STALE_SECONDS="2")
        wait_for(lambda: "started" in log.read_text(), "the worker starting")
        cluster.stop()
        wait_for(lambda: "error in the loop" in log.read_text(), "the worker noticing the database gone")
        cluster.start()
        with engine.begin() as connection:  # time passes: the job queued during the outage is due
            connection.execute(sa.update(Job).where(Job.id == job_id).values(run_after=utcnow()))

        def state():
            with engine.connect() as connection:
                return connection.execute(sa.select(Job.state, Job.attempts).where(Job.id == job_id)).one()

        assert wait_for(lambda: state()[0] == JobState.DONE, "the job done after the restart")
        assert state()[1] == 1 and worker.poll() is None
        with engine.connect() as connection:
            assert (
                connection.execute(
                    sa.text("SELECT count(*) FROM audit_events WHERE action = 'test.counted' AND object_id = :id"),
                    {"id": str(job_id)},
                ).scalar()
                == 1
            )
    finally:
        if worker is not None:
            stop_process(worker)
        engine.dispose()
        cluster.remove()
