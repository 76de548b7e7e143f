"""The worker inside `survey-app run`: a daemon thread of the serving process."""

from __future__ import annotations

import logging
import os
import threading

from flask import Flask
from flask.helpers import get_debug_flag

from survey_app.jobs.worker import run_worker

log = logging.getLogger(__name__)


def serving_process(reload: bool | None) -> bool:
    """True in the process that serves requests: with Flask's reloader, its child
    (WERKZEUG_RUN_MAIN), never the parent that only watches the files."""
    if reload is None:
        reload = get_debug_flag()  # as `flask run` decides
    return not reload or os.environ.get("WERKZEUG_RUN_MAIN") == "true"


def start_embedded_worker(app: Flask, reload: bool | None = None) -> threading.Thread | None:
    """Start the worker thread if SURVEY_EMBEDDED_WORKER is on and this process serves; else None."""
    if not app.config.get("EMBEDDED_WORKER", True) or not serving_process(reload):
        return None
    thread = threading.Thread(
        target=run_worker, args=(app,), name="survey-worker", daemon=True, kwargs={"stop": threading.Event(), "poll_seconds": 1.0}
    )
    thread.start()
    log.info("embedded worker started")
    return thread
