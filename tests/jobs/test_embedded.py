"""The embedded set-up: `survey-app run` serves the web and runs the worker in a thread beside it."""

import socket
import urllib.request

import pytest

from survey_app import jobs
from survey_app.extensions import db
from survey_app.jobs import JobState
from survey_app.jobs.embedded import serving_process, start_embedded_worker
from tests.jobs.helpers import stop_process, stored, wait_for, worker_process


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def test_survey_app_run_does_the_jobs_in_its_own_process(app, world):
    job = jobs.enqueue("test.count")
    db.session.commit()
    port = _free_port()
    server = worker_process(app, "--no-reload", "--port", str(port), command="run")
    try:
        assert wait_for(lambda: _answers(f"http://127.0.0.1:{port}/login"), "the server answering")
        done = wait_for(lambda: (j := stored(job.id)).state == JobState.DONE and j, "the job done by the server")
        assert f":{server.pid}:" in done.claimed_by
    finally:
        stop_process(server)


@pytest.mark.parametrize(
    "reload, run_main, serves",
    [
        (False, None, True),  # no reloader: this process serves
        (True, None, False),  # the reloader's parent only watches files
        (True, "true", True),  # its child serves
    ],
)
def test_the_worker_starts_only_in_the_serving_process(monkeypatch, reload, run_main, serves):
    if run_main is None:
        monkeypatch.delenv("WERKZEUG_RUN_MAIN", raising=False)
    else:
        monkeypatch.setenv("WERKZEUG_RUN_MAIN", run_main)
    assert serving_process(reload) is serves


def test_no_embedded_worker_when_turned_off(app, monkeypatch):
    monkeypatch.setitem(app.config, "EMBEDDED_WORKER", False)
    assert start_embedded_worker(app, reload=False) is None
