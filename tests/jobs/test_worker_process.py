"""`survey-app worker` as a real process on the test's database (an SQLite file, or PostgreSQL):
killed with SIGKILL mid-job, its job is taken again by another worker and done once; SIGTERM
stops it cleanly; `--once` runs what is due and exits."""

import signal

from survey_app import jobs
from survey_app.extensions import db
from survey_app.jobs import JobState
from tests.jobs.helpers import stop_process, stored, wait_for, worker_process
from tests.jobs.kinds import counted

FAST = {"JOB_STALE_SECONDS": "1.5", "JOB_HEARTBEAT_SECONDS": "0.2", "JOB_RETRY_SECONDS": "0"}


def test_a_worker_killed_mid_job_leaves_it_to_another_which_does_it_once(app):
    job = jobs.enqueue("test.slow", {"first_try_seconds": 600})
    db.session.commit()
    first = worker_process(app, "--poll", "0.1", **FAST)
    second = None
    try:
        running = wait_for(
            lambda: (
                (j := stored(job.id)).state == JobState.RUNNING
                and f":{first.pid}:" in j.claimed_by
                and j.heartbeat_at > j.started_at
                and j
            ),
            "the first worker running the job and beating",
        )
        assert running.attempts == 1
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
        assert stored(job.id).state == JobState.RUNNING  # as the dead worker left it
        second = worker_process(app, "--poll", "0.1", **FAST)
        done = wait_for(lambda: (j := stored(job.id)).state == JobState.DONE and j, "the second worker finishing it")
        assert f":{second.pid}:" in done.claimed_by and done.attempts == 2
        assert counted(job.id) == 1  # the killed try's work was never committed
        assert second.poll() is None
        second.send_signal(signal.SIGTERM)  # stops after the current job (none): exit code 0
        assert second.wait(timeout=30) == 0
    finally:
        output = stop_process(first) + (stop_process(second) if second else "")
    assert "lost its worker" in output


def test_once_runs_what_is_due_and_exits(app):
    first, second = jobs.enqueue("test.count"), jobs.enqueue("test.count")
    db.session.commit()
    process = worker_process(app, "--once")
    assert process.wait(timeout=60) == 0, stop_process(process)
    assert "2 job(s) run" in stop_process(process)
    assert {stored(first.id).state, stored(second.id).state} == {JobState.DONE}
    assert counted(first.id) == counted(second.id) == 1


def test_the_worker_command_runs_in_the_app_cli(app, runner):
    job = jobs.enqueue("test.count")
    db.session.commit()
    result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 0 and "1 job(s) run" in result.output
    assert stored(job.id).state == JobState.DONE
