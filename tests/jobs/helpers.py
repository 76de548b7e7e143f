"""Helpers of the job tests: wait for a state, read a job as stored, start a worker process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from survey_app.extensions import db
from survey_app.jobs import Job

ROOT = Path(__file__).resolve().parents[2]


def wait_for(predicate, what: str, timeout: float = 60.0, every: float = 0.05):
    """Poll `predicate()` until it returns something true; fail saying `what` did not happen."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"{what} did not happen within {timeout:.0f} s")


def stored(job_id: int) -> Job:
    """The job as committed now (other sessions and processes wrote it)."""
    db.session.rollback()
    db.session.expire_all()
    return db.session.get(Job, job_id)


def worker_process(
    app, *args: str, database_url: str | None = None, command: str = "worker", output: Path | None = None, **settings: str
) -> subprocess.Popen:
    """`survey-app worker` (or another command), with the test kinds, as a process on the test's
    database; its output piped, or written to `output` (to read while it runs)."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "SURVEY_SECRET_KEY": "test-secret-key",
        "SURVEY_DATABASE_URL": database_url or app.config["SQLALCHEMY_DATABASE_URI"],
        "SURVEY_INSTANCE_PATH": app.instance_path,
        **{f"SURVEY_{name}": value for name, value in settings.items()},
    }
    stdout = output.open("w") if output is not None else subprocess.PIPE
    return subprocess.Popen(
        [sys.executable, "-m", "tests.jobs.worker_process", command, *args],
        cwd=ROOT,
        env=env,
        stdout=stdout,
        stderr=subprocess.STDOUT,
        text=True,
    )


def stop_process(process: subprocess.Popen) -> str:
    """Stop a process if it still runs; its output."""
    if process.poll() is None:
        process.kill()
    output, _ = process.communicate(timeout=30)
    return output or ""
