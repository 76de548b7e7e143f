"""`survey-app worker`: run jobs and ticks until stopped (SIGTERM or Ctrl+C finish the current job)."""

from __future__ import annotations

import logging
import signal
import threading

import click
from flask import current_app
from flask.cli import with_appcontext

from survey_app.jobs.worker import run_pending, run_worker


@click.command("worker")
@click.option("--once", is_flag=True, help="Run every tick once and every job due now, then exit.")
@click.option(
    "--poll",
    "poll_seconds",
    type=click.FloatRange(min=0.05),
    default=1.0,
    show_default=True,
    help="Seconds between two looks for a job when there is none.",
)
@with_appcontext
def worker_command(once: bool, poll_seconds: float) -> None:
    """Run the jobs (exports, plans) and the periodic work; as many workers as you like, on any host."""
    app = current_app._get_current_object()
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if once:
        ran = run_pending(app)
        click.echo(f"{ran} job(s) run")
        return
    stop = threading.Event()

    def ask_to_stop(signum, _frame):
        if stop.is_set():
            raise KeyboardInterrupt  # a second signal: stop now
        logging.getLogger(__name__).info("stopping after the current job (signal %s)", signum)
        stop.set()

    signal.signal(signal.SIGTERM, ask_to_stop)
    signal.signal(signal.SIGINT, ask_to_stop)
    run_worker(app, stop=stop, poll_seconds=poll_seconds)
