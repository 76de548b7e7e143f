"""Fixtures of the job tests: the test kinds loaded, their call lists and test ticks reset."""

import pytest

from survey_app.jobs import registry
from tests.jobs import kinds


@pytest.fixture(autouse=True)
def fresh_calls():
    kinds.CALLS.clear()
    kinds.FAILURES.clear()
    ticks = dict(registry.TICKS)
    yield
    registry.TICKS.clear()
    registry.TICKS.update(ticks)


@pytest.fixture
def fast_jobs(app, monkeypatch):
    """Short heartbeat, stale time and backoff, so dead workers and retries take moments."""
    for name, value in {"JOB_HEARTBEAT_SECONDS": 0.1, "JOB_STALE_SECONDS": 1.0, "JOB_RETRY_SECONDS": 0.0}.items():
        monkeypatch.setitem(app.config, name, value)
